"""Real OS threads, locks, events, queues and sleep, even under eventlet's monkey-patching.

Capture and inference make blocking C calls (OpenCV reads, TensorFlow runs, JPEG
encoding). Under eventlet these must run in real OS threads, never green ones, or every
client freezes. Core modules take their threading primitives from here; this module
only chooses them.
"""

from __future__ import annotations

import importlib
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


def start_thread(target, name: str, *args) -> threading.Thread:  # type: ignore[name-defined]
    """Start a daemon OS thread named for what it does (``capture:lobby``, ``inference:keras-ocr``)."""
    thread = threading.Thread(target=target, name=name, args=args, daemon=True)
    thread.start()
    return thread
