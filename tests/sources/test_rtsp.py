"""A real RTSP stream on loopback (GStreamer's RTSP server) that dies mid-stream and comes back."""

import shutil
import subprocess
from pathlib import Path

import pytest

from stream_ocr.live.metrics import StreamStats
from stream_ocr.live.slot import LatestSlot
from stream_ocr.sources.capture import CaptureConfig, CaptureLoop
from stream_ocr.sources.opening import SourceSpec

from ..helpers import wait_for
from ..serverproc import free_port

SERVER = Path(__file__).resolve().parents[1] / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"


def start_rtsp(port):
    proc = subprocess.Popen(
        [SYSTEM_PYTHON, str(SERVER), str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.slow  # a real RTSP server
@pytest.mark.skipif(not shutil.which("gst-launch-1.0") and not Path(SYSTEM_PYTHON).exists(), reason="needs GStreamer")
def test_rtsp_drop_reconnects_and_goes_live_again():
    port = free_port()
    server = start_rtsp(port)
    spec = SourceSpec("cam", f"rtsp://127.0.0.1:{port}/test")
    slot = LatestSlot("cam")
    stats = StreamStats("cam", slot)
    statuses = []
    loop = CaptureLoop(
        spec,
        slot,
        stats,
        lambda s, st, r: statuses.append(st),
        config=CaptureConfig(backoff_initial_s=0.2, backoff_max_s=1.0, open_timeout_s=3, read_timeout_s=2),
    )
    loop.start()
    try:
        assert wait_for(lambda: statuses and statuses[-1] == "live", 20), statuses
        assert wait_for(lambda: stats.captured > 15, 10)
        server.kill()
        server.wait()
        assert wait_for(lambda: "reconnecting" in statuses, 20), statuses
        before = stats.captured
        server = start_rtsp(port)
        assert wait_for(lambda: statuses[-1] == "live" and stats.captured > before + 10, 30), statuses
        assert loop.status == "live" and loop.alive
    finally:
        stopped = loop.stop()
        server.kill()
        server.wait()
    after_drop = statuses[statuses.index("reconnecting") :]
    assert "live" in after_drop
    # Stopped means the capture thread has ended, not only been asked to.
    assert stopped and not loop.alive
