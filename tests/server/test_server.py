"""The web layer in-process: the still-image API with the real engine, and Socket.IO events."""

import base64
import io
import time

import cv2
import numpy as np
import pytest

from stream_ocr.config import ImageLimits, ServerConfig
from stream_ocr.server import create_app
from stream_ocr.sources.opening import SourceSpec

from ..conftest import SAMPLES

pytestmark = pytest.mark.slow
SIGN_WORDS = {"FRESH", "COFFEE", "OPEN", "DAILY"}


LIMITS = ServerConfig(max_request_bytes=3_000_000, image_limits=ImageLimits(max_bytes=2_000_000, max_pixels=5_000_000))


def started(engine, sources):
    app = create_app(LIMITS, engine, sources)
    app.start()
    return app


@pytest.fixture(scope="module")
def server(keras_engine):
    app = started(keras_engine, [SourceSpec("sample", str(SAMPLES / "signs.mp4"), loop=True)])
    yield app
    app.stop()


@pytest.fixture
def client(server):
    return server.app.test_client()


@pytest.fixture(scope="module")
def still_server(keras_engine):
    """The same limits with no stream: a still image is read at once, not after the live
    stream's turns on the engine (test_attacks.py covers the two sharing it)."""
    app = started(keras_engine, [])
    yield app
    app.stop()


@pytest.fixture
def api(still_server):
    return still_server.app.test_client()


def data_url(path, mime="image/jpeg"):
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


def test_api_original_contract(api):
    res = api.post("/api/", json={"image": data_url(SAMPLES / "coffee_sign.jpg")})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert {d["text"] for d in body["detections"]} >= SIGN_WORDS
    assert body["width"] == 960 and body["height"] == 640
    text, box = body["predictions"][0]
    assert isinstance(text, str) and len(box) == 4 and len(box[0]) == 2


def test_api_without_data_url_prefix(api):
    raw = base64.b64encode((SAMPLES / "coffee_sign.jpg").read_bytes()).decode()
    res = api.post("/api", json={"image": raw})
    assert res.status_code == 200
    assert "COFFEE" in res.get_json()["text"]


def test_api_multipart_upload(api):
    data = {"image": (io.BytesIO((SAMPLES / "coffee_sign.jpg").read_bytes()), "sign.jpg")}
    res = api.post("/api/ocr", data=data, content_type="multipart/form-data")
    assert res.status_code == 200
    assert {d["text"] for d in res.get_json()["detections"]} >= SIGN_WORDS


def _bomb() -> str:
    ok, png = cv2.imencode(".png", np.zeros((4000, 4000), np.uint8))
    return "data:image/png;base64," + base64.b64encode(png.tobytes()).decode()


@pytest.mark.parametrize(
    "kwargs, status, message",
    [
        ({"json": {"image": "data:image/png;base64,!!!notbase64!!!"}}, 400, "base64"),
        ({"json": {"image": base64.b64encode(b"hello, plain text").decode()}}, 400, "not an image"),
        ({"json": {"image": ""}}, 400, "non-empty"),
        ({"json": {"picture": "x"}}, 400, "image"),
        ({"json": ["image"]}, 400, "object"),
        ({"data": "image=abc", "content_type": "text/plain"}, 415, "application/json"),
        ({"data": b"{not json", "content_type": "application/json"}, 400, "image"),
        ({"json": {"image": _bomb()}}, 413, "pixels"),
        ({"json": {"image": "data:image/png;base64," + "A" * 3_200_000}}, 413, ""),
    ],
    ids=[
        "bad-base64",
        "not-an-image",
        "empty",
        "no-image-field",
        "not-an-object",
        "wrong-type",
        "bad-json",
        "pixel-bomb",
        "too-many-bytes",
    ],
)
def test_api_bad_input_is_json_4xx_and_server_stays_up(client, kwargs, status, message):
    res = client.post("/api/", **kwargs)
    assert res.status_code == status
    body = res.get_json()
    assert isinstance(body, dict) and message in body["error"]
    assert client.get("/healthz").status_code == 200


def test_upload_wrong_type_and_missing_file(client):
    assert client.post("/api/ocr", json={"image": "x"}).status_code == 415
    res = client.post("/api/ocr", data={"other": "x"}, content_type="multipart/form-data")
    assert res.status_code == 400 and "image" in res.get_json()["error"]
    res = client.post("/api/ocr", data={"image": (io.BytesIO(b""), "empty.jpg")}, content_type="multipart/form-data")
    assert res.status_code == 400 and "empty" in res.get_json()["error"]


def test_healthz_and_prometheus_metrics(client, server):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["streams"][0]["id"] == "sample"
    text = client.get("/metrics").get_data(as_text=True)
    assert 'stream_ocr_frames_captured_total{stream="sample"}' in text
    assert "stream_ocr_capture_fps" in text


def test_page_is_served(client):
    res = client.get("/")
    assert res.status_code == 200 and b"stream-select" in res.data
    assert client.get("/static/vendor/socket.io.min.js").status_code == 200
    assert client.get("/static/../../etc/passwd").status_code == 404


def _received(sio, name, timeout, predicate=lambda p: True):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        for packet in sio.get_received():
            seen.append(packet)
            if packet["name"] == name and predicate(packet["args"][0]):
                return packet["args"][0], seen
        time.sleep(0.05)
    return None, seen


def test_socketio_stream_results(server):
    sio = server.socketio.test_client(server.app)
    streams, _ = _received(sio, "streams", 5)
    assert streams["streams"][0]["id"] == "sample"
    sio.emit("join", {"stream_id": "nope"})
    err, _ = _received(sio, "error", 5)
    assert "no such stream" in err["error"]
    sio.emit("join", {"stream_id": "sample"})
    result, seen = _received(sio, "ocr_result", 60, lambda p: p["detections"])
    assert result is not None, [p["name"] for p in seen]
    assert result["stream_id"] == "sample" and result["width"] == 960
    assert all("track_id" in d for d in result["detections"])
    frame, _ = _received(sio, "frame", 10)
    assert frame["jpeg"][:2] == b"\xff\xd8"
    # (Followed boxes: test_preview_frames_carry_the_last_results_boxes_while_the_text_stays.
    # On this panning, cutting sample a 2-core AVX2 CPU reads a frame in 12 s, longer than
    # a shot: the text read is gone by then, and rightly no box is drawn.)
    metrics, _ = _received(sio, "metrics", 10)
    assert metrics["capture_fps"] > 20
    sio.disconnect()


def test_socketio_browser_camera_and_cleanup(server):
    sio = server.socketio.test_client(server.app)
    sio.emit("camera_frame", b"\xff\xd8 too early")
    err, _ = _received(sio, "error", 5)
    assert "start your camera" in err["error"]
    sio.emit("camera_start")
    status, _ = _received(sio, "stream_status", 5)
    stream_id = status["stream_id"]
    assert stream_id.startswith("cam-") and server.hub.has_stream(stream_id)
    sio.emit("camera_frame", (SAMPLES / "coffee_sign.jpg").read_bytes())
    result, _ = _received(sio, "ocr_result", 60, lambda p: p["stream_id"] == stream_id)
    assert {d["text"] for d in result["detections"]} >= SIGN_WORDS
    # A stranger's /metrics and /healthz never name the camera (its id finds its history).
    stranger = server.app.test_client()
    metrics = stranger.get("/metrics").get_data(as_text=True)
    assert stream_id not in metrics and stream_id not in stranger.get("/healthz").get_data(as_text=True)
    assert 'stream_ocr_frames_inferred_total{stream="browser-cameras"}' in metrics
    assert "stream_ocr_browser_cameras 1.0" in metrics
    sio.emit("camera_frame", b"garbage, not an image")
    err, _ = _received(sio, "frame_error", 30)
    assert "not an image" in err["error"]
    sio.disconnect()
    assert not server.hub.has_stream(stream_id)


def test_preview_frames_carry_the_last_results_boxes_while_the_text_stays(keras_engine, tmp_path):
    """A still sign filmed with a little camera shake: preview frames carry the last
    result's line boxes, moved onto them by optical flow, however slow the engine."""
    image = cv2.imread(str(SAMPLES / "coffee_sign.jpg"))
    video = tmp_path / "still.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (image.shape[1], image.shape[0]))
    for i in range(150):
        shake = np.float32([[1, 0, 2 * np.sin(i / 5)], [0, 1, 2 * np.cos(i / 7)]])
        writer.write(cv2.warpAffine(image, shake, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE))
    writer.release()
    app = create_app(ServerConfig(), keras_engine, [SourceSpec("still", str(video), loop=True)])
    app.start()
    sio = app.socketio.test_client(app.app)
    try:
        sio.emit("join", {"stream_id": "still"})
        result, seen = _received(sio, "ocr_result", 120, lambda p: p["lines"])
        assert result is not None, [p["name"] for p in seen]
        followed, _ = _received(sio, "frame", 30, lambda p: p["boxes"])
        assert followed is not None
        assert all(len(b["points"]) == 4 and b["track_id"] is not None for b in followed["boxes"])
        assert not followed["gone"] or set(followed["gone"]).isdisjoint(b["track_id"] for b in followed["boxes"])
    finally:
        sio.disconnect()
        app.stop()
