"""Log volume bounded: a message that repeats is logged once per interval per key, with a count.

Owns the counting only. A client can make the same error happen many times a second (a
camera sending frames that are not images); the log gets its first line at once, then one
line an interval saying how many more came, never a line each.
"""

from __future__ import annotations

import logging

from stream_ocr.realthreads import threading, time


class Repeats:
    """``log(key, ...)`` logs through ``logger`` at most once per ``interval_s`` for each key."""

    def __init__(self, logger: logging.Logger, interval_s: float = 60.0, max_keys: int = 10_000) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._since: dict[str, int] = {}

    def log(self, key: str, level: int, message: str, *args: object) -> bool:
        """Log ``message`` for ``key`` unless it was logged within the interval; True if it was."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval_s:
                self._since[key] = self._since.get(key, 0) + 1
                return False
            if len(self._last) >= self.max_keys:  # keys of clients long gone
                self._last.clear()
                self._since.clear()
            more = self._since.pop(key, 0)
            self._last[key] = now
        if more:
            message += " (and %d more like it in the last %g s)"
            args = (*args, more, self.interval_s)
        self.logger.log(level, message, *args)
        return True
