"""Run a blocking C call (decoding, TensorFlow) from a request handler without freezing eventlet.

Under eventlet a handler is a green thread; the call goes to eventlet's pool of real OS
threads (tpool) and the green thread waits without blocking the hub. Under threading the
handler already is an OS thread, and the call runs in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_blocking(async_mode: str, fn: Callable[..., T], *args) -> T:
    if async_mode == "eventlet":
        from eventlet import tpool

        return tpool.execute(fn, *args)
    return fn(*args)
