"""The websocket of the threading mode: simple-websocket, with its message limit passed on.

Owns what Engine.IO's own driver leaves out: the message size limit, applied while a
message arrives (Engine.IO checks ``max_http_buffer_size`` only once a message is whole);
a bound on the messages read ahead of the handler (simple-websocket's reader thread would
otherwise parse a flood as fast as it arrives, into a list without end); byte rates per
address and for all websockets together; large messages' memory given back once they are
freed (``map_large_buffers``); and a wait that cannot miss the connection's end.
Eventlet's websocket reads only when asked, and has its own size limit.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import socket
import struct
import threading
import time

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask_socketio import SocketIO

from stream_ocr.server.inbound import Bucket

# How often a waiting handler looks whether its connection has ended.
POLL_S = 1.0
# Messages read ahead of the handler; past this the reader stops reading, so a client that
# sends faster than its events are handled is held back by TCP, not buffered.
MAX_READ_AHEAD = 64
# Bytes read per call: a big camera frame in a few reads, not thousands.
RECEIVE_BYTES = 64 * 1024
# glibc's mallopt parameter, and the size from which a buffer is mapped on its own.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1024 * 1024


_buckets: dict[str, Bucket] = {}
_buckets_lock = threading.Lock()


def _bucket(address: str, rate: float, burst: float) -> Bucket:
    with _buckets_lock:
        if len(_buckets) > 10_000:  # addresses long gone
            _buckets.clear()
        return _buckets.setdefault(address, Bucket(rate, burst))


class _ThrottledSocket:
    """A socket whose reads wait while its address, or all websockets together, are over
    their byte rate: TCP holds the sender back, and the server spends nothing on what it
    has not read."""

    def __init__(self, sock: socket.socket, buckets: tuple[Bucket, ...]) -> None:
        self._sock = sock
        self._buckets = buckets

    def recv(self, n: int) -> bytes:
        data = self._sock.recv(n)
        pause = max(bucket.wait_for(len(data)) for bucket in self._buckets)
        if pause > 0:
            time.sleep(min(pause, POLL_S))
        return data

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class ReadAheadBounded(simple_websocket.Server):
    """simple-websocket's server whose reader thread waits while ``MAX_READ_AHEAD`` messages
    wait for the handler, while its address is over ``bytes_per_s``, and while all
    websockets together are over theirs (``everyone``)."""

    def __init__(
        self, environ, *args, bytes_per_s: float | None = None, everyone: Bucket | None = None, **kwargs
    ) -> None:
        self.drained = threading.Event()  # before the reader thread starts
        # Set once the handler has ended: simple-websocket's reader sets ``connected`` from
        # what it parsed, so that flag alone can be set back to True after the end.
        self.finished = threading.Event()
        if bytes_per_s is not None:
            burst = max(2 * bytes_per_s, kwargs.get("max_message_size") or 0)
            buckets = (_bucket(environ.get("REMOTE_ADDR") or "?", bytes_per_s, burst),)
            buckets += (everyone,) if everyone is not None else ()
            environ = dict(environ)
            for key in ("gunicorn.socket", "werkzeug.socket"):
                if key in environ:
                    environ[key] = _ThrottledSocket(environ[key], buckets)
        kwargs.setdefault("receive_bytes", RECEIVE_BYTES)
        super().__init__(environ, *args, **kwargs)

    def _handle_events(self):
        keep_going = super()._handle_events()
        while keep_going and self.connected and len(self.input_buffer) >= MAX_READ_AHEAD:
            if self.finished.is_set():
                return False  # nobody will read these: the reader ends
            self.drained.clear()
            if len(self.input_buffer) < MAX_READ_AHEAD:
                break
            self.drained.wait(timeout=POLL_S)
        return keep_going and not self.finished.is_set()

    def receive(self, timeout=None):
        message = super().receive(timeout)
        if len(self.input_buffer) < MAX_READ_AHEAD:
            self.drained.set()
        return message


class BoundedWebSocket(SimpleWebSocketWSGI):
    """One websocket connection: closed at ``max_message_size`` while a message arrives.

    simple-websocket wakes a waiting reader before it marks a too-big message's connection
    closed, so a reader that wakes in between waits for ever, its request thread with it,
    and the sender, whose bytes nobody reads any more, blocks (seen on a loaded 2-core
    machine). Here the reader looks again every ``POLL_S``, and the socket is shut down
    when the handler ends, whoever else still holds it.

    A connection closed for a too-big message is reset, not closed politely: the sender's
    bytes fill the server's receive window once nobody reads them, and a closed socket with
    a zero window answers the sender's window probes until the kernel's FIN timeout
    (a minute), so the sender stayed blocked that long (seen in CI).
    """

    def __call__(self, environ, start_response):
        try:
            # SimpleWebSocketWSGI's, with the bounded server.
            self.ws = ReadAheadBounded(environ, **self.server_args)
            result = self.app(self)
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return result
        finally:
            ws = getattr(self, "ws", None)
            if ws is not None:
                ws.finished.set()  # a reader held back by a full read-ahead ends too
                ws.connected = False
                ws.drained.set()
                with contextlib.suppress(OSError):
                    if ws.max_message_size and ws.incoming_message_len > ws.max_message_size:
                        # Linger 0: the final close of the socket sends a reset.
                        ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    ws.sock.shutdown(socket.SHUT_RDWR)

    def wait(self):
        while True:
            try:
                message = self.ws.receive(timeout=POLL_S)
            except simple_websocket.ConnectionClosed:
                return None
            if message is not None:
                return message
            if not self.ws.connected:
                return None


def map_large_buffers() -> None:
    """Have glibc give every buffer of ``MMAP_THRESHOLD`` bytes or more its own mapping,
    returned to the system the moment it is freed.

    By default glibc raises that threshold to the largest block freed so far, so after a
    client sent 8 MB messages every later one came from the heap and stayed there: 20
    connections of 8 MB attachments from 20 addresses left the server 200 MB larger after
    they had gone (86 MB with this). A 960x540 frame's buffer is mapped and unmapped too,
    up to a millisecond more per copy (measured on a loaded 2-core host), against the
    hundreds the engine spends on a frame. Only on glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def limit_websocket_messages(
    socketio: SocketIO, limit: int, bytes_per_s: float | None = None, bytes_per_s_total: float | None = None
) -> None:
    """Serve websockets with ``BoundedWebSocket``, a message ``limit`` in bytes and at most
    ``bytes_per_s`` read a second from each client address, and ``bytes_per_s_total`` from
    all together (threading mode only)."""
    eio = socketio.server.eio
    if eio._async.get("websocket") is SimpleWebSocketWSGI:
        map_large_buffers()
        everyone = None
        if bytes_per_s is not None and bytes_per_s_total is not None:
            everyone = Bucket(bytes_per_s_total, max(2 * bytes_per_s_total, limit))
        websocket = functools.partial(
            BoundedWebSocket, max_message_size=limit, bytes_per_s=bytes_per_s, everyone=everyone
        )
        # A copy: the driver's table is shared by every server in the process.
        eio._async = {**eio._async, "websocket": websocket}
