"""Hostile requests against the web layer: each gets a clear refusal, and nothing is left behind."""

import io
import subprocess
import sys

import pytest

from stream_ocr.config import ServerConfig
from stream_ocr.server import create_app
from stream_ocr.server.jobs import sniff_container
from stream_ocr.sources.opening import SourceSpec

from ..conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(keras_engine, tmp_path_factory):
    jobs = tmp_path_factory.mktemp("jobs")
    app = create_app(ServerConfig(jobs_dir=jobs), keras_engine, [])
    app.start()
    yield app, jobs
    app.stop()


@pytest.fixture
def client(server):
    return server[0].app.test_client()


def upload(client, name, data, **headers):
    return client.post(
        "/api/videos",
        data={"video": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/healthz", "/api/streams", "/static/app.js", "/nope"):
        res = client.get(path)
        assert res.headers["X-Content-Type-Options"] == "nosniff", path
        assert res.headers["X-Frame-Options"] == "DENY", path
        csp = res.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


@pytest.mark.parametrize("route", ["/api/ocr", "/api/videos", "/api/"])
def test_cross_origin_posts_are_refused(client, route):
    res = client.post(route, data=b"x", headers={"Origin": "http://evil.example"}, content_type="text/plain")
    assert res.status_code == 403 and "cross-origin" in res.get_json()["error"]


def test_same_origin_and_originless_posts_go_through(client):
    body = {"image": "not base64!"}
    assert client.post("/api/", json=body, headers={"Origin": "http://localhost"}).status_code == 400
    assert client.post("/api/", json=body).status_code == 400  # a script without Origin


# Uploads that are not videos, as an attacker names and fills them (also sent to the real
# server in test_attacks.py).
NOT_VIDEOS = [
    ("clip.html", b"<html><script>alert(document.domain)</script></html>"),
    ("clip.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("clip.mp4", b"<html><script>alert(1)</script></html>"),  # lying about its type
    ("list.m3u8", b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/passwd.ts\n#EXT-X-ENDLIST\n"),
    ("clip.mp4", b""),
]
NOT_VIDEO_IDS = ["html", "svg", "html-named-mp4", "playlist", "empty"]


@pytest.mark.parametrize("name, data", NOT_VIDEOS, ids=NOT_VIDEO_IDS)
def test_uploads_that_are_not_videos_are_refused_and_leave_nothing(client, server, name, data):
    _, jobs = server
    before = set(jobs.iterdir())
    res = upload(client, name, data)
    assert res.status_code == 400, res.get_json()
    assert "not a video container" in res.get_json()["error"] or "empty" in res.get_json()["error"]
    assert set(jobs.iterdir()) == before


def test_a_real_video_with_a_hostile_name_is_stored_under_a_fixed_name(client, server):
    _, jobs = server
    data = (SAMPLES / "slides.mp4").read_bytes()
    res = upload(client, "x." + "a" * 300 + "<script>.html", data)
    assert res.status_code == 202, res.get_json()
    job = res.get_json()["job_id"]
    assert sorted(p.name for p in (jobs / job).iterdir() if p.is_file()) == ["input.video"]
    served = client.get(f"/api/videos/{job}/input")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "video/mp4"  # what its bytes are, not what its name says
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_containers_are_told_by_their_bytes():
    assert sniff_container((SAMPLES / "slides.mp4").read_bytes()[:4096]) == "video/mp4"
    assert sniff_container(b"#EXTM3U\n") is None
    assert sniff_container(b"\x1a\x45\xdf\xa3" + b"\x00" * 60) == "video/webm"


@pytest.mark.parametrize("uri", ["rtsp://cam.local:99999/stream", "rtsp://cam:abc/", "http://:80/x"])
def test_a_bad_source_uri_is_a_clear_error_at_start_up(uri):
    with pytest.raises(Exception, match="bad URL|names no host"):
        SourceSpec("cam", uri)
    proc = subprocess.run(
        [sys.executable, "-m", "stream_ocr", "serve", "--source", f"cam={uri}", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "bad URL" in proc.stderr or "names no host" in proc.stderr
    assert "Traceback" not in proc.stderr
