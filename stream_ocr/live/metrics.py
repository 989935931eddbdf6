"""Per-stream counters and rates: capture and inference fps, drops, errors, latency.

Owns the numbers only; thread-safe. The Socket.IO ``metrics`` event and the Prometheus
``/metrics`` page both read ``snapshot()``, so they never disagree.
"""

from __future__ import annotations

import collections
from dataclasses import asdict, dataclass
from typing import Any

from stream_ocr.realthreads import threading, time


class RateMonitor:
    """Events per second over the last ``window_s`` seconds (a deque of timestamps).

    The window is long enough that a slow engine (one frame every few seconds) still shows a rate.
    """

    def __init__(self, window_s: float = 15.0, maxlen: int = 4096) -> None:
        self.window_s = window_s
        self._times: collections.deque[float] = collections.deque(maxlen=maxlen)

    def tick(self, now: float | None = None) -> None:
        self._times.append(time.monotonic() if now is None else now)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()
        if len(self._times) < 2:
            return 0.0
        # Intervals counted up to now, so that a stalled source falls towards 0.
        return (len(self._times) - 1) / max(now - self._times[0], 1e-6)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True)
class StreamSnapshot:
    stream_id: str
    captured: int
    dropped: int
    inferred: int
    skipped: int
    errors: int
    capture_fps: float
    inference_fps: float
    latency_p50_ms: float
    latency_p95_ms: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("capture_fps", "inference_fps", "latency_p50_ms", "latency_p95_ms"):
            out[key] = round(out[key], 1)
        return out


class StreamStats:
    """Counters for one stream; ``dropped`` is read from the stream's slot."""

    def __init__(self, stream_id: str, dropped_counter: Any = None) -> None:
        self.stream_id = stream_id
        self._lock = threading.Lock()
        self._capture = RateMonitor()
        self._inference = RateMonitor()
        self._latencies_ms: collections.deque[float] = collections.deque(maxlen=200)
        self._slot = dropped_counter
        self.captured = 0
        self.inferred = 0
        self.skipped = 0
        self.errors = 0

    def frame_captured(self) -> None:
        with self._lock:
            self.captured += 1
            self._capture.tick()

    def frame_inferred(self, latency_ms: float) -> None:
        with self._lock:
            self.inferred += 1
            self._inference.tick()
            self._latencies_ms.append(latency_ms)

    def frame_skipped(self) -> None:
        """A frame was looked at and found unchanged: not read, its lines carried forward."""
        with self._lock:
            self.skipped += 1

    def inference_failed(self) -> None:
        with self._lock:
            self.errors += 1

    def snapshot(self) -> StreamSnapshot:
        with self._lock:
            latencies = list(self._latencies_ms)
            return StreamSnapshot(
                stream_id=self.stream_id,
                captured=self.captured,
                dropped=self._slot.dropped if self._slot is not None else 0,
                inferred=self.inferred,
                skipped=self.skipped,
                errors=self.errors,
                capture_fps=self._capture.rate(),
                inference_fps=self._inference.rate(),
                latency_p50_ms=percentile(latencies, 50),
                latency_p95_ms=percentile(latencies, 95),
            )
