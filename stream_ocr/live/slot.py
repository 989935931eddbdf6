"""The latest-frame-wins hand-off between a producer and a consumer thread.

A slot holds at most one item. ``put`` never blocks: a newer item replaces an older one
that was not taken yet, and the replaced item is counted as dropped. This is how capture
never waits for inference, and how slow inference only drops frames.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from stream_ocr.realthreads import threading

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Size-1 slot; ``wakeup`` (shared by several slots) is set on every put."""

    def __init__(self, name: str, wakeup: threading.Event | None = None) -> None:  # type: ignore[name-defined]
        self.name = name
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._item: T | None = None
        self._wakeup = wakeup
        self.put_count = 0
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._lock:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self.put_count += 1
            self._ready.notify()
        if self._wakeup is not None:
            self._wakeup.set()

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting up to ``timeout`` seconds; None if none came."""
        with self._ready:
            if self._item is None:
                self._ready.wait(timeout)
            item, self._item = self._item, None
            return item

    def peek(self) -> T | None:
        """The newest item, left in the slot."""
        with self._lock:
            return self._item

    def take_nowait(self) -> T | None:
        with self._lock:
            item, self._item = self._item, None
            return item
