"""Real OS threads, locks, events, queues and sleep, even under eventlet's monkey-patching.

Capture and inference make blocking C calls (OpenCV reads, TensorFlow runs, JPEG
encoding). Under eventlet these must run in real OS threads, never green ones, or every
client freezes. Core modules take their threading primitives from here; this module
only chooses them.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from types import ModuleType


def _original(name: str) -> ModuleType:
    if "eventlet" in sys.modules:
        from eventlet import patcher

        if patcher.is_monkey_patched("thread"):
            return patcher.original(name)
    return importlib.import_module(name)


threading = _original("threading")
queue = _original("queue")
time = _original("time")


# Threads that may be inside an engine's native code (TensorFlow, onnxruntime).
ENGINE_THREADS = ("inference:", "video-jobs")


def exit_now_if_an_engine_thread_runs(code: int) -> None:
    """End the process at once if a read is still running after shutdown let it finish.

    Python's finalization tears modules down under a daemon thread that is still inside
    TensorFlow, and the process dies of SIGSEGV: a worker stopped during a long read did
    (exit code -11, not 0). Call this once everything the server keeps is closed; only
    that read is lost.
    """
    busy = [t.name for t in threading.enumerate() if t.is_alive() and t.name.startswith(ENGINE_THREADS)]
    if busy:
        logging.getLogger(__name__).warning("a read still ran at shutdown (%s): exiting without it", ", ".join(busy))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def locks_are_green() -> bool:
    """True under eventlet's monkey-patching: a library's own locks are green ones."""
    return threading is not sys.modules.get("threading")


def start_thread(target, name: str, *args) -> threading.Thread:  # type: ignore[name-defined]
    """Start a daemon OS thread named for what it does (``capture:lobby``, ``inference:keras-ocr``)."""
    thread = threading.Thread(target=target, name=name, args=args, daemon=True)
    thread.start()
    return thread


def give_logging_real_locks() -> None:
    """Under eventlet, make logging's locks real ones (call once logging is configured).

    Monkey-patching makes every lock logging creates green. A capture or inference thread
    (a real OS thread) that logs while a green thread holds such a lock hands the lock
    over on its own thread's hub, which cannot switch to a green thread of the main one
    ("greenlet.error: Cannot switch to a different thread"): the server hung at start-up.
    """
    if not locks_are_green():
        return  # not monkey-patched: logging's locks are real already
    import logging

    logging._lock = threading.RLock()  # type: ignore[attr-defined]
    handlers = [
        h
        for lg in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        for h in getattr(lg, "handlers", [])
    ]
    for handler in handlers:
        handler.lock = threading.RLock()

    def create_lock(self) -> None:
        self.lock = threading.RLock()

    logging.Handler.createLock = create_lock  # type: ignore[method-assign]
