"""The live path on footage whose text changes in place, through Socket.IO, on the real engine.

The slide deck is served as a live stream; a Socket.IO client watches it. When a slide
changes, the first result read from a frame of the new slide must carry the new label
(one inference, not after the old track's vote runs out), and still frames are skipped.
"""

import json
import time

import cv2
import pytest

from stream_ocr.config import ServerConfig
from stream_ocr.server import create_app
from stream_ocr.sources.opening import SourceSpec

from ..conftest import SAMPLES

pytestmark = pytest.mark.slow
# The sample played at half its rate: 8 s a slide, so that a slow CPU (several seconds a
# read) still reads each slide while it is on screen.
SLOWER = 2
SLIDE_S = 4.0 * SLOWER


def slowed(src, dst, factor):
    """``src`` re-encoded at 1/``factor`` of its frame rate: the same frames, ``factor`` x as long."""
    capture = cv2.VideoCapture(str(src))
    fps = capture.get(cv2.CAP_PROP_FPS)
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps / factor, size)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            writer.write(frame)
    finally:
        capture.release()
        writer.release()
    return dst


@pytest.fixture(scope="module")
def slides_results(keras_engine, tmp_path_factory):
    video = slowed(SAMPLES / "slides.mp4", tmp_path_factory.mktemp("slides") / "slides.mp4", SLOWER)
    app = create_app(ServerConfig(), keras_engine, [SourceSpec("slides", str(video))])
    app.start()
    sio = app.socketio.test_client(app.app)
    sio.emit("join", {"stream_id": "slides"})
    results, metrics = [], []
    deadline = time.monotonic() + 30 * SLOWER + 30
    try:
        while time.monotonic() < deadline:
            for packet in sio.get_received():
                if packet["name"] == "ocr_result":
                    results.append(packet["args"][0])
                elif packet["name"] == "metrics":
                    metrics.append(packet["args"][0])
                elif packet["name"] == "stream_status" and packet["args"][0]["status"] == "ended":
                    deadline = min(deadline, time.monotonic() + 1.0)
            time.sleep(0.05)
        prometheus = app.app.test_client().get("/metrics").get_data(as_text=True)
    finally:
        sio.disconnect()
        app.stop()
    return results, metrics, prometheus


def labels(result):
    return {line["text"] for line in result["lines"]}


def test_the_label_changes_with_the_first_inference_on_the_new_text(slides_results):
    results, _, _ = slides_results
    slides = [
        {**line, "start": line["start"] * SLOWER, "end": line["end"] * SLOWER}
        for line in json.loads((SAMPLES / "slides.json").read_text())["lines"]
    ]
    read = [r for r in results if not r["skipped"]]
    assert len(read) >= 5, [(r["position_s"], sorted(labels(r))) for r in results]
    checked = 0
    for k in range(1, 5):
        start = k * SLIDE_S
        on_screen = {line["text"] for line in slides if line["start"] <= start < line["end"]}
        first = next((r for r in read if r["position_s"] >= start - 0.01), None)  # a frame at start shows the new slide
        if first is None or first["position_s"] >= start + SLIDE_S:
            continue  # the stream ended, or inference skipped this slide entirely
        assert labels(first) == on_screen, (start, first["position_s"], labels(first))
        # The old slide's counter is gone from the label at once.
        assert f"{k}/5" not in labels(first)
        checked += 1
    assert checked >= 3


def test_still_frames_are_skipped_and_counted(slides_results):
    results, metrics, prometheus = slides_results
    skipped = [r for r in results if r["skipped"]]
    assert skipped, "a still slide was read again and again"
    # A skipped result still carries the lines on screen, with their track ids.
    assert all(r["lines"] and all("track_id" in line for line in r["lines"]) for r in skipped)
    assert max(m["skipped"] for m in metrics if m["stream_id"] == "slides") > 0
    assert 'stream_ocr_frames_skipped_total{stream="slides"}' in prometheus
