"""Sources and the capture loop on real video files (no OCR here)."""

import time

import cv2
import numpy as np
import pytest

from stream_ocr.errors import BadInputError, SourceUnavailableError
from stream_ocr.live.metrics import StreamStats
from stream_ocr.live.slot import LatestSlot
from stream_ocr.sources.capture import CaptureConfig, CaptureLoop
from stream_ocr.sources.opening import SourceSpec, open_capture


def make_video(path, frames=30, fps=30, size=(160, 120)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), (i * 7) % 255, np.uint8))
    writer.release()
    return path


@pytest.mark.parametrize(
    "text, kind",
    [
        ("cam=0", "webcam"),
        ("lobby=rtsp://user:pw@10.1.2.3:554/s", "url"),
        ("web=https://x/y.mjpg", "url"),
        ("f=videos/a.mp4", "file"),
    ],
)
def test_parse_kinds(text, kind):
    assert SourceSpec.parse(text).kind == kind


def test_describe_hides_credentials():
    spec = SourceSpec.parse("lobby=rtsp://user:secret@cam.local:554/live")
    assert "secret" not in spec.describe() and "user" not in spec.describe()
    assert spec.describe() == "rtsp://cam.local:554/live"


@pytest.mark.parametrize("text", ["no-equals-sign", "=rtsp://x", "bad name=0", "n=", "x" * 41 + "=0"])
def test_bad_specs(text):
    with pytest.raises(BadInputError):
        SourceSpec.parse(text)


@pytest.mark.parametrize("content", [None, b"", b"this is not a video at all" * 100])
def test_open_bad_files(tmp_path, content):
    path = tmp_path / "v.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SourceUnavailableError):
        open_capture(SourceSpec("v", str(path)))


def run_capture(spec, seconds, config=None):
    slot = LatestSlot(spec.name)
    stats = StreamStats(spec.name, slot)
    statuses = []
    frames = []
    loop = CaptureLoop(spec, slot, stats, lambda s, st, r: statuses.append((st, r)), frames.append, config)
    loop.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and loop.alive:
        time.sleep(0.02)
    loop.stop()
    return statuses, frames, stats


def test_file_plays_at_native_rate_then_ends(tmp_path):
    path = make_video(tmp_path / "v.mp4", frames=30, fps=30)
    start = time.monotonic()
    statuses, frames, stats = run_capture(SourceSpec("v", str(path)), 5)
    elapsed = time.monotonic() - start
    assert [s for s, _ in statuses] == ["connecting", "live", "ended"]
    assert len(frames) == 30 and stats.captured == 30
    assert 0.8 <= elapsed <= 3.0  # ~1 s of video, paced, not read as fast as possible
    assert [f.frame_id for f in frames] == list(range(1, 31))
    assert frames[-1].position_s == pytest.approx(29 / 30, abs=0.05)


def test_file_loops(tmp_path):
    path = make_video(tmp_path / "v.mp4", frames=10, fps=30)
    statuses, frames, _ = run_capture(SourceSpec("v", str(path), loop=True), 1.2)
    assert len(frames) > 20
    assert "ended" not in [s for s, _ in statuses]


def test_missing_file_is_an_error_status(tmp_path):
    statuses, frames, _ = run_capture(SourceSpec("v", str(tmp_path / "nope.mp4")), 2)
    assert statuses[-1][0] == "error" and "not found" in statuses[-1][1]
    assert frames == []


def test_unreachable_stream_retries_with_backoff():
    config = CaptureConfig(backoff_initial_s=0.1, backoff_max_s=0.4, open_timeout_s=0.5)
    statuses, _, _ = run_capture(SourceSpec("cam", "rtsp://127.0.0.1:9/none"), 3, config)
    kinds = [s for s, _ in statuses]
    assert kinds.count("reconnecting") >= 2
    assert "retrying in" in statuses[-1][1] or statuses[-1][0] == "connecting"
