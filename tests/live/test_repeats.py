"""Log volume bounded: a repeated error is one line an interval per key, with a count."""

import logging
import time

import numpy as np

from stream_ocr.live.repeats import Repeats
from stream_ocr.live.worker import InferenceWorker
from stream_ocr.types import Frame

from ..fakes import FakeEngine


def test_a_repeated_message_is_logged_once_an_interval_with_how_many_more_came(caplog):
    repeats = Repeats(logging.getLogger("test.repeats"), interval_s=0.2)
    with caplog.at_level(logging.WARNING, logger="test.repeats"):
        logged = [repeats.log("cam-a", logging.WARNING, "bad frame %d", k) for k in range(100)]
        assert logged.count(True) == 1 and len(caplog.records) == 1
        assert repeats.log("cam-b", logging.WARNING, "bad frame %d", 0)  # another key: its own line
        time.sleep(0.25)
        assert repeats.log("cam-a", logging.WARNING, "bad frame %d", 100)
    assert [r.getMessage() for r in caplog.records] == [
        "bad frame 0",
        "bad frame 0",
        "bad frame 100 (and 99 more like it in the last 0.2 s)",
    ]


def test_a_camera_sending_garbage_gets_one_log_line_not_one_a_frame(caplog):
    errors = []
    worker = InferenceWorker(FakeEngine(), on_result=lambda f, r: None, on_error=lambda f, e: errors.append(e))
    worker.new_slot("cam-x")
    with caplog.at_level(logging.WARNING, logger="stream_ocr.live.worker"):
        for k in range(50):
            worker.process(Frame("cam-x", k, b"not a jpeg at all", time.time()))
        worker.process(Frame("cam-x", 99, np.full((8, 8, 3), 1, np.uint8), time.time()))
    assert len(errors) == 50  # each is still answered (frame_error) and counted
    assert len([r for r in caplog.records if "cam-x" in r.getMessage()]) == 1
