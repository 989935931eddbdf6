"""Background services: a named OS thread with a stop signal, started, stopped and joined one way.

Every loop that runs beside the data path is a ``Service``: a stream's capture, the
inference thread, the Redis emitter, the history writer, the webhook sender, the video
jobs, and a video's reader and annotated writer. ``start()`` runs ``run()`` on a real OS
thread (``realthreads``, so eventlet never turns it green) named for what it carries;
``stop()`` asks it to end and joins it. Inside ``run()``, ``stopping`` says whether to
end and ``sleep()`` waits but wakes at once on stop; a loop that blocks on a queue
overrides ``wake()`` to unblock it. An exception that escapes ``run()`` is logged once
with the thread's name and kept as ``error``, instead of ending the thread unseen.

A reader or writer of files (a video's frames, frames.jsonl, the annotated video) is
``Closing``: used in ``with``, it is closed on the way out, however the block ends.
"""

from __future__ import annotations

import logging
from typing import Self

from stream_ocr.realthreads import start_thread, threading

logger = logging.getLogger(__name__)


class Closing:
    """A reader or writer that ``with`` closes: subclasses give ``close()``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Service:
    """One background thread: subclasses give ``run()`` (and ``wake()`` if they block elsewhere)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.error: str | None = None  # why ``run()`` ended early, if it raised
        self._stop_requested = threading.Event()
        self._thread: threading.Thread | None = None  # type: ignore[name-defined]

    def run(self) -> None:
        raise NotImplementedError

    def wake(self) -> None:
        """Unblock ``run()`` where it waits on something other than ``sleep`` (put a
        sentinel in its queue, set its event)."""

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} was started already")
        self._thread = start_thread(self._main, self.name)

    @property
    def stopping(self) -> bool:
        return self._stop_requested.is_set()

    @property
    def stop_event(self) -> threading.Event:  # type: ignore[name-defined]
        """Set once stop is asked: for work that takes a cancel event (a video's reading)."""
        return self._stop_requested

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless asked to stop first; True when stopping."""
        return self._stop_requested.wait(seconds)

    def request_stop(self) -> None:
        """Ask ``run()`` to end, without waiting for it."""
        self._stop_requested.set()
        self.wake()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the thread; True when it has ended (or never started)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.alive

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask ``run()`` to end and wait up to ``timeout`` s; True when it has."""
        self.request_stop()
        ended = self.join(timeout)
        if not ended:
            logger.warning("%s did not stop within %.0f s", self.name, timeout)
        return ended

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _main(self) -> None:
        try:
            self.run()
        except Exception as e:  # noqa: BLE001  (kept and logged: a thread's error is otherwise lost)
            self.error = f"{type(e).__name__}: {e}"
            logger.exception("%s stopped on an error", self.name)
