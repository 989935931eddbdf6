"""The production server of the threading mode: gunicorn's threaded worker (``gthread``).

Owns how ``stream-ocr serve`` runs on gunicorn: one worker process (Socket.IO keeps its
sessions in that process's memory), a bounded pool of threads that each serve one open
connection, and the app (engine, capture and inference threads) built inside the worker
after gunicorn forks, never in the master. Under eventlet, eventlet's own WSGI server
serves; Werkzeug's development server only behind ``--dev-server`` (``ServerApp.run``).
"""

from __future__ import annotations

import html
import logging
import os
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from stream_ocr.config import ServerConfig
from stream_ocr.errors import StreamOCRError
from stream_ocr.realthreads import exit_now_if_an_engine_thread_runs
from stream_ocr.server.security import HEADERS

logger = logging.getLogger(__name__)


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error page (a 414 for a long URL, a 400 for a bad request line), with
    the security headers every response of ours carries. Replaces ``gunicorn.util.write_error``,
    which gunicorn's workers call for requests that never reach the app."""
    page = textwrap.dedent(
        f"""\
        <html>
          <head><title>{html.escape(reason)}</title></head>
          <body><h1>{html.escape(reason)}</h1>{html.escape(mesg)}</body>
        </html>
        """
    )
    head = [f"HTTP/1.1 {status_int} {reason}", "Connection: close", "Content-Type: text/html; charset=utf-8"]
    head += [f"Content-Length: {len(page.encode())}", *(f"{k}: {v}" for k, v in HEADERS.items())]
    gunicorn_util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n" + page).encode())


class _Application(BaseApplication):
    """gunicorn's view of stream-ocr: its settings, and ``build`` run in the worker."""

    def __init__(self, build: Callable[[], Any], options: dict[str, Any]) -> None:
        self._build = build
        self._options = options
        self.served: Any = None  # the ServerApp, once built in the worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        try:
            self.served = self._build()
        except StreamOCRError as e:
            # A set-up error (weights missing, a source that cannot be opened): said once,
            # plainly, and the master stops instead of restarting the worker.
            print(f"stream-ocr: {e}", file=sys.stderr, flush=True)
            ray = sys.modules.get("ray")
            if ray is not None and ray.is_initialized():
                ray.shutdown()  # else Ray's exit hooks replace the exit code, and the master retries
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
        self.served.start()
        return self.served.app


def _stop_served(worker) -> None:
    """gunicorn's ``worker_exit`` hook, in the worker: stop capture, inference and jobs."""
    served = getattr(worker.app, "served", None)
    if served is not None:
        logger.info("shutting down")
        served.stop()
        exit_now_if_an_engine_thread_runs(0)


def gunicorn_options(config: ServerConfig) -> dict[str, Any]:
    host = f"[{config.host}]" if ":" in config.host else config.host
    return {
        "bind": [f"{host}:{config.port}"],
        "workers": 1,
        "worker_class": "gthread",
        # One thread per open connection (a websocket holds its thread while it is open);
        # connections past this wait for a free thread, up to worker_connections.
        "threads": config.server_threads,
        "worker_connections": config.server_max_connections,
        # The worker's heartbeat comes from its own loop, not from the engine's threads.
        "timeout": 120,
        # Past the served app's own wait for a read in flight (app.SHUTDOWN_WAIT_S).
        "graceful_timeout": 60,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "stream-ocr",
        "worker_exit": lambda _arbiter, worker: _stop_served(worker),
    }


def serve_gunicorn(build: Callable[[], Any], config: ServerConfig) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 2 when the app could not be built."""
    master = os.getpid()
    gunicorn_util.write_error = write_error  # its own error pages carry our headers too
    try:
        _Application(build, gunicorn_options(config)).run()
    except SystemExit as e:
        if os.getpid() != master:
            # The worker, forked inside ``run``: its exit code is for the master to read (a
            # boot error stops the master; any other code makes it start a new worker).
            raise
        code = e.code if isinstance(e.code, int) else 1
        if code in (Arbiter.WORKER_BOOT_ERROR, Arbiter.APP_LOAD_ERROR):
            return 2
        return code
    return 0
