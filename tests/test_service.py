"""The background-service base that every loop beside the data path uses."""

import logging
import queue
import threading
import time

import pytest

from stream_ocr.service import Service


class Ticker(Service):
    """Counts until stopped, sleeping between counts."""

    def __init__(self, pause: float) -> None:
        super().__init__("test:ticker")
        self.pause = pause
        self.ticks = 0

    def run(self) -> None:
        while not self.stopping:
            self.ticks += 1
            self.sleep(self.pause)


class Drainer(Service):
    """Blocks on a queue; ``wake`` puts a sentinel so that stop is prompt."""

    def __init__(self) -> None:
        super().__init__("test:drainer")
        self.items: queue.Queue = queue.Queue()
        self.seen: list = []

    def wake(self) -> None:
        self.items.put(None)

    def run(self) -> None:
        while not self.stopping:
            item = self.items.get()
            if item is not None:
                self.seen.append(item)


def test_stop_wakes_a_sleeping_service_at_once_and_names_its_thread():
    ticker = Ticker(pause=60.0)
    ticker.start()
    time.sleep(0.05)
    assert ticker.alive and any(t.name == "test:ticker" for t in threading.enumerate())
    started = time.monotonic()
    assert ticker.stop(timeout=5.0)
    assert time.monotonic() - started < 1.0 and not ticker.alive and ticker.ticks == 1
    with pytest.raises(RuntimeError, match="started already"):
        ticker.start()


def test_wake_unblocks_a_loop_that_waits_on_its_queue():
    drainer = Drainer()
    drainer.start()
    drainer.items.put("a")
    started = time.monotonic()
    assert drainer.stop(timeout=5.0) and time.monotonic() - started < 1.0
    assert drainer.seen == ["a"]


def test_an_error_that_escapes_run_is_kept_and_logged(caplog):
    class Broken(Service):
        def run(self) -> None:
            raise ValueError("disk on fire")

    broken = Broken("test:broken")
    with caplog.at_level(logging.ERROR, logger="stream_ocr.service"):
        broken.start()
        assert broken.join(5.0)
    assert broken.error == "ValueError: disk on fire"
    assert "test:broken stopped on an error" in caplog.text


def test_a_service_that_will_not_stop_is_reported(caplog):
    release = threading.Event()

    class Stuck(Service):
        def run(self) -> None:
            release.wait(10)  # ignores the stop signal, as a long native call does

    stuck = Stuck("test:stuck")
    stuck.start()
    with caplog.at_level(logging.WARNING, logger="stream_ocr.service"):
        assert not stuck.stop(timeout=0.2)
    assert "test:stuck did not stop within" in caplog.text and stuck.alive
    release.set()
    assert stuck.join(5.0)
