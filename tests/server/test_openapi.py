"""The described API: ``/openapi.json`` validates, describes every route, and says what they answer.

The fast tests build an app on a fake engine and check the document itself. The slow one
runs the real engine on a sample stream with a history and a watchlist rule, calls every
documented operation as a client would, and checks each answer (its status, its media
type and its JSON) and each Socket.IO event the page receives against the document.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import cv2
import jsonschema
import pytest
from openapi_spec_validator import validate

from stream_ocr.config import HistoryConfig, ServerConfig, WatchConfig
from stream_ocr.server import create_app
from stream_ocr.server.openapi import IMPLIED, describe_routes
from stream_ocr.server.schemas import COMPONENTS, event_schema
from stream_ocr.sources.opening import SourceSpec

from ..conftest import ROOT, SAMPLES
from ..fakes import FakeEngine
from ..helpers import wait_for

DOCS_COPY = ROOT / "docs" / "reference" / "openapi.json"


@pytest.fixture
def fake_app(tmp_path):
    return create_app(ServerConfig(jobs_dir=tmp_path / "jobs"), FakeEngine(), [])


def _served(app) -> dict:
    response = app.app.test_client().get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_validates_and_describes_every_route(fake_app):
    document = _served(fake_app)
    validate(document)  # raises on any error against the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    described = {
        (path, method) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    routes = set()
    for rule in fake_app.app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, m.lower()) for m in rule.methods - IMPLIED}
    assert described == routes
    # The seed's contract: a data URL in "image", answered with predictions and text.
    operation = document["paths"]["/api/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ImageRequest"}
    assert document["components"]["schemas"]["ImageRequest"]["required"] == ["image"]
    assert {"predictions", "text"} <= set(document["components"]["schemas"]["OcrResult"]["required"])
    # Path parameters come from the rules, typed by their converters.
    crop = document["paths"]["/api/tracks/{track_id}/crop.jpg"]["parameters"]
    assert crop == [{"name": "track_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}]


def test_the_docs_copy_is_what_the_code_describes(fake_app):
    """``docs/reference/openapi.json`` (what the docs render) is today's, and so is the
    document a server serves: rewrite it with ``stream-ocr openapi --out ...``."""
    assert json.loads(DOCS_COPY.read_text(encoding="utf-8")) == describe_routes() == _served(fake_app), (
        "docs/reference/openapi.json is stale: run `stream-ocr openapi --out docs/reference/openapi.json`"
    )


def test_an_undescribed_route_fails_the_build():
    from flask import Flask

    from stream_ocr.server.openapi import build_spec

    app = Flask(__name__, static_folder=None)

    @app.get("/secret")
    def secret():
        """No YAML here."""
        return "x"

    with pytest.raises(ValueError, match="GET /secret .* no description"):
        build_spec(app)


def _names_in_code() -> tuple[set[str], set[str]]:
    """Socket.IO event names the package sends, and those it handles."""
    sent, handled = set(), set()
    for path in (ROOT / "stream_ocr").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        sent |= set(re.findall(r"""(?:emit|publish|Event)\(\s*["'](\w+)["']""", text))
        sent |= set(re.findall(r"""return ["'](video_\w+)["'], payload""", text))
        handled |= set(re.findall(r"""socketio\.on\(["'](\w+)["']\)""", text))
    return sent, handled - {"connect", "disconnect"}


def test_every_socketio_event_is_listed_with_its_direction(fake_app):
    sent, handled = _names_in_code()
    listed = _served(fake_app)["x-socketio-events"]
    assert {n for n, e in listed.items() if e["direction"] == "server"} == sent
    assert {n for n, e in listed.items() if e["direction"] == "client"} == handled
    for name in listed:
        jsonschema.Draft202012Validator.check_schema(event_schema(name))


def test_schemas_refuse_what_the_server_never_sends():
    """The schemas can fail: a result missing a field, or with one not described, is refused."""
    validator = _validator({"$ref": "#/components/schemas/Word"})
    good = {"points": [[0, 0], [1, 0], [1, 1], [0, 1]], "text": "A", "confidence": 0.9}
    validator.validate(good)
    for bad in ({**good, "extra": 1}, {k: v for k, v in good.items() if k != "text"}, {**good, "points": [[0, 0]]}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


# -- every route, answered for real -----------------------------------------------------------


def _validator(schema: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**schema, "components": {"schemas": COMPONENTS}})


class Checker:
    """Checks answers against the document, and remembers which operations it saw."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, response, path: str, method: str, status: int | None = None):
        operation = self.document["paths"][path][method]
        got = str(response.status_code)
        assert status is None or response.status_code == status, (path, method, got, response.get_data()[:300])
        assert got in operation["responses"], f"{method.upper()} {path} answered {got}, which it does not describe"
        described = operation["responses"][got]
        if "$ref" in described:
            described = self.document["components"]["responses"][described["$ref"].rsplit("/", 1)[1]]
        content = described.get("content")
        if content:
            mimetype = response.mimetype
            kinds = [k for k in content if k == mimetype or (k.endswith("/*") and mimetype.startswith(k[:-1]))]
            assert kinds, f"{method.upper()} {path} answered {mimetype}, described: {sorted(content)}"
            if mimetype == "application/json":
                _validator(content[kinds[0]]["schema"]).validate(response.get_json())
        self.seen.add((path, method))
        return response


def _short_video(tmp_path: Path) -> Path:
    """Two seconds of the slides sample, at 10 fps: a job that ends quickly."""
    capture = cv2.VideoCapture(str(SAMPLES / "slides.mp4"))
    out = tmp_path / "short.mp4"
    writer = None
    for i in range(250):
        ok, frame = capture.read()
        if not ok:
            break
        if i % 5:
            continue
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (w, h))
        writer.write(frame)
    capture.release()
    writer.release()
    return out


def test_every_documented_route_answers_as_described(keras_engine, tmp_path):
    config = ServerConfig(
        history=HistoryConfig(f"sqlite:///{tmp_path / 'history.db'}"),
        watch=WatchConfig(("budget=BUDGET",)),
        jobs_dir=tmp_path / "jobs",
    )
    server = create_app(config, keras_engine, [SourceSpec("deck", str(SAMPLES / "slides.mp4"), loop=True)])
    page = server.socketio.test_client(server.app)
    server.start()
    client = server.app.test_client()
    check = Checker(_served(server))
    events: list[dict] = []
    try:
        page.emit("join", {"stream_id": "deck"})
        sign = "data:image/jpeg;base64," + base64.b64encode((SAMPLES / "coffee_sign.jpg").read_bytes()).decode()
        for path in ("/api/", "/api"):
            body = check(client.post(path, json={"image": sign}), path, "post", 200).get_json()
            assert "COFFEE" in body["text"]
        check(client.post("/api/", json={"image": "data:image/jpeg;base64,bm90IGFuIGltYWdl"}), "/api/", "post", 400)
        check(client.post("/api/", data="x", content_type="text/plain"), "/api/", "post", 415)
        upload = {"image": (io.BytesIO((SAMPLES / "coffee_sign.jpg").read_bytes()), "sign.jpg")}
        check(client.post("/api/ocr", data=upload, content_type="multipart/form-data"), "/api/ocr", "post", 200)
        check(client.get("/api/streams"), "/api/streams", "get", 200)
        check(client.get("/healthz"), "/healthz", "get", 200)
        check(client.get("/metrics"), "/metrics", "get", 200)
        check(client.get("/openapi.json"), "/openapi.json", "get", 200)
        check(client.get("/"), "/", "get", 200)
        check(client.get("/static/app.js"), "/static/{name}", "get", 200)
        check(client.get("/static/nothing.js"), "/static/{name}", "get", 404)

        # The watchlist: a rule added, listed, and (at the end) removed.
        rule = {"name": "thanks", "pattern": "Thank you"}
        check(client.post("/api/watchlist", json=rule), "/api/watchlist", "post", 201)
        check(client.post("/api/watchlist", json={"name": "bad name!", "pattern": "x"}), "/api/watchlist", "post", 400)
        rules = check(client.get("/api/watchlist"), "/api/watchlist", "get", 200).get_json()["rules"]
        assert {r["name"] for r in rules} == {"budget", "thanks"}

        # A video job: uploaded, followed, its files and input fetched, then deleted.
        video = {"video": (io.BytesIO(_short_video(tmp_path).read_bytes()), "short.mp4")}
        job = check(
            client.post("/api/videos", data=video, content_type="multipart/form-data"), "/api/videos", "post", 202
        )
        job_id = job.get_json()["job_id"]
        page.emit("watch_job", {"job_id": job_id})
        status = f"/api/videos/{job_id}"
        assert wait_for(lambda: client.get(status).get_json()["state"] in ("done", "error"), 300, 1)
        state = check(client.get(status), "/api/videos/{job_id}", "get", 200).get_json()
        assert state["state"] == "done" and state["files"], state
        for name in state["files"]:
            check(client.get(f"{status}/files/{name}"), "/api/videos/{job_id}/files/{name}", "get", 200)
        check(client.get(f"{status}/files/nothing.srt"), "/api/videos/{job_id}/files/{name}", "get", 404)
        check(client.get(f"{status}/input"), "/api/videos/{job_id}/input", "get", 200)

        # The live stream's history and alerts: a search with a signed crop, an alert's crop.
        def budget_hits():
            return client.get("/api/search?q=Budget&limit=5").get_json()["results"]

        # (Polled every 2 s: searches share the still-image rate limit, 120 a minute.)
        assert wait_for(lambda: budget_hits() and client.get("/api/alerts").get_json()["alerts"], 400, 2)
        hits = check(client.get("/api/search?q=Budget&limit=5"), "/api/search", "get", 200).get_json()["results"]
        check(client.get("/api/search?limit=0"), "/api/search", "get", 400)
        crop_url = next(h["crop_url"] for h in hits if h["crop_url"])
        check(client.get(crop_url), "/api/tracks/{track_id}/crop.jpg", "get", 200)
        check(client.get(f"/api/tracks/{hits[0]['id']}/crop.jpg"), "/api/tracks/{track_id}/crop.jpg", "get", 404)
        alerts = check(client.get("/api/alerts"), "/api/alerts", "get", 200).get_json()["alerts"]
        check(client.get(alerts[0]["crop_url"]), "/api/alerts/{alert_id}/crop.jpg", "get", 200)
        check(client.get("/api/alerts/nothing/crop.jpg"), "/api/alerts/{alert_id}/crop.jpg", "get", 404)

        check(client.delete("/api/watchlist/thanks"), "/api/watchlist/{name}", "delete", 204)
        check(client.delete("/api/watchlist/thanks"), "/api/watchlist/{name}", "delete", 404)
        check(client.delete(status), "/api/videos/{job_id}", "delete", 204)
        check(client.get(status), "/api/videos/{job_id}", "get", 404)
        events = page.get_received()
    finally:
        page.disconnect()
        server.stop()

    every = {(p, m) for p, item in check.document["paths"].items() for m in item if m != "parameters"}
    assert every - check.seen == set(), "operations the test did not call"

    # Each Socket.IO event the page received is as listed.
    by_name: dict[str, list] = {}
    for packet in events:
        by_name.setdefault(packet["name"], []).append(packet["args"][0])
    for name in ("streams", "ocr_result", "metrics", "frame", "video_state", "video_progress", "video_done", "alert"):
        assert by_name.get(name), f"the page received no {name} event; it had {sorted(by_name)}"
    for name, payloads in by_name.items():
        validator = jsonschema.Draft202012Validator(event_schema(name))
        for payload in payloads[:50]:
            validator.validate(_binary_as_text(payload))


def _binary_as_text(payload):
    """A binary attachment (a ``frame``'s JPEG) as the string its schema describes, once
    checked to be a JPEG."""
    if isinstance(payload, dict):
        return {k: _binary_as_text(v) for k, v in payload.items()}
    if isinstance(payload, bytes):
        assert payload[:2] == b"\xff\xd8", "a binary attachment that is not a JPEG"
        return "<jpeg>"
    return payload
