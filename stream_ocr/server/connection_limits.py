"""What Engine.IO's connections may take of the server: request slots, and time before CONNECT.

Owns two limits that the Socket.IO ``connect`` handler cannot give, because it runs only
once a client has sent Socket.IO's CONNECT:

* ``EngineIOSlots``, WSGI middleware around every ``/socket.io/`` request: at most
  ``per_address`` open at once from one client address and ``total`` in all, and at most
  ``sessions_per_s`` new sessions a second from all addresses together (an attacker with
  many addresses pays for each new one); past any it answers 503 at once. In the threading mode a websocket holds one of gunicorn's
  threads for as long as it is open (and a long poll for up to its ping interval), so
  ``total`` is kept below the thread pool: the page, the API, ``/healthz`` and ``/metrics``
  always find a thread, however many websockets are open.
* ``CloseSilentSessions``: an Engine.IO session that has not sent Socket.IO's CONNECT
  within ``timeout_s`` is closed (64 such sessions once held every thread of the server).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from flask_socketio import SocketIO

from stream_ocr.server.inbound import Bucket

logger = logging.getLogger(__name__)

# Threads of gunicorn's pool that Engine.IO requests may never take (the page, the API,
# /healthz and /metrics are served on them).
RESERVED_THREADS = 8
# Seconds an Engine.IO session may stay open without Socket.IO's CONNECT.
CONNECT_TIMEOUT_S = 10.0


class EngineIOSlots:
    """WSGI middleware: open ``/socket.io/`` requests per client address and in all, capped."""

    def __init__(
        self,
        app: Callable[..., Any],
        per_address: int,
        total: int,
        path: str = "/socket.io",
        *,
        shut_out: Callable[[str], float] | None = None,
        sessions_per_s: float | None = None,
    ) -> None:
        """``shut_out(address)``: how many seconds more that address is refused (one whose
        connections were closed for attacking), 0 if none. ``sessions_per_s``: new Engine.IO
        sessions a second from all addresses together (five times that at once)."""
        self.app = app
        self.sessions = Bucket(sessions_per_s, 5 * sessions_per_s) if sessions_per_s else None
        self.shut_out = shut_out
        self.per_address = per_address
        self.total = total
        self.path = path
        self.open: Counter[str] = Counter()
        self.open_total = 0
        self.refused = 0  # in /metrics
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(self.path):
            return self.app(environ, start_response)
        address = environ.get("REMOTE_ADDR") or "?"
        wait_s = self.shut_out(address) if self.shut_out is not None else 0.0
        if wait_s > 0:
            with self._lock:
                self.refused += 1
            return self._refuse(
                start_response, "your address is shut out after an attack", wait_s, "429 Too Many Requests"
            )
        new_session = "sid=" not in environ.get("QUERY_STRING", "")
        if new_session and self.sessions is not None and not self.sessions.take():
            with self._lock:
                self.refused += 1
            return self._refuse(start_response, "the server takes no more new connections this second", 1.0)
        with self._lock:
            full = self.open_total >= self.total
            if full or self.open[address] >= self.per_address:
                self.refused += 1
                why = "the server's connections are all taken" if full else "too many connections from your address"
                return self._refuse(start_response, why)
            self.open[address] += 1
            self.open_total += 1
        try:
            result = self.app(environ, start_response)
        except BaseException:
            self._release(address)
            raise
        return _Closing(result, lambda: self._release(address))

    def _release(self, address: str) -> None:
        with self._lock:
            self.open[address] -= 1
            self.open_total -= 1
            if self.open[address] <= 0:
                del self.open[address]

    @staticmethod
    def _refuse(
        start_response: Callable[..., Any], why: str, retry_s: float = 5.0, status: str = "503 Service Unavailable"
    ) -> list[bytes]:
        body = json.dumps({"error": f"{why}: try again later"}).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(max(1, round(retry_s)))),
            ],
        )
        return [body]


class _Closing:
    """A response iterable that calls ``release`` once, when the server closes it."""

    def __init__(self, result: Iterable[bytes], release: Callable[[], None]) -> None:
        self._result = result
        self._release = release
        self._released = False

    def __iter__(self):
        return iter(self._result)

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            if not self._released:
                self._released = True
                self._release()


class CloseSilentSessions:
    """Close Engine.IO sessions that do not send Socket.IO's CONNECT within ``timeout_s``."""

    def __init__(self, socketio: SocketIO, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.socketio = socketio
        self.timeout_s = timeout_s
        self.closed = 0  # in /metrics
        self._opened: dict[str, float] = {}
        eio = socketio.server.eio
        on_connect, on_disconnect = eio.handlers["connect"], eio.handlers["disconnect"]

        def connected(eio_sid: str, *args: Any) -> Any:
            self._opened[eio_sid] = time.monotonic()
            return on_connect(eio_sid, *args)

        def disconnected(eio_sid: str, *args: Any) -> Any:
            self._opened.pop(eio_sid, None)
            return on_disconnect(eio_sid, *args)

        eio.on("connect", connected)
        eio.on("disconnect", disconnected)

    def start(self, stop: threading.Event) -> None:
        """Sweep once a second, as a background task of Socket.IO's, until ``stop`` is set."""
        self.socketio.start_background_task(self._sweep, stop)

    def _sweep(self, stop: threading.Event) -> None:
        server = self.socketio.server
        while not stop.is_set():
            self.socketio.sleep(1.0)
            now = time.monotonic()
            for eio_sid, opened in list(self._opened.items()):
                if server.manager.sid_from_eio_sid(eio_sid, "/") is not None:
                    self._opened.pop(eio_sid, None)  # it connected: the Socket.IO limits apply
                elif now - opened > self.timeout_s:
                    self._opened.pop(eio_sid, None)
                    self.closed += 1
                    logger.info("closed an Engine.IO session that sent no CONNECT in %.0f s", self.timeout_s)
                    # Not waiting for its writer to send the close: one slow socket must not
                    # hold up the sweep of all the others (under a loaded suite, closing
                    # 56 sessions one after another, each waiting, overran the time-out).
                    sock = server.eio.sockets.pop(eio_sid, None)
                    if sock is None:
                        continue  # gone meanwhile
                    try:
                        sock.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)
                    except Exception as e:  # noqa: BLE001  (gone meanwhile)
                        logger.debug("closing a silent session: %s", e)
