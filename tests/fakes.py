"""A fake engine for plumbing tests (threads, slots, events). Never for claims about OCR."""

from __future__ import annotations

import threading
import time

import numpy as np

from stream_ocr.engines.base import Engine
from stream_ocr.types import Detection


class FakeEngine(Engine):
    """Returns one fixed detection per frame after ``delay_s``; raises on frames it is told to."""

    name = "fake"

    def __init__(self, delay_s: float = 0.0, fail_on_mean: float | None = None) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.fail_on_mean = fail_on_mean
        self.seen: list[tuple[int, int]] = []
        self.calls = 0
        self.thread_names: set[str] = set()
        self._count_lock = threading.Lock()

    def _read(self, frame: np.ndarray, timings: dict[str, float]) -> list[Detection]:
        with self._count_lock:
            self.calls += 1
        self.thread_names.add(threading.current_thread().name)
        if self.fail_on_mean is not None and abs(float(frame.mean()) - self.fail_on_mean) < 0.5:
            raise RuntimeError("engine exploded on this frame")
        time.sleep(self.delay_s)
        h, w = frame.shape[:2]
        return [Detection(((0, 0), (w / 2, 0), (w / 2, h / 2), (0, h / 2)), "FAKE", 0.9)]
