"""The websocket of the threading mode: simple-websocket, with its message limit passed on.

Owns two things Engine.IO's own driver leaves out: the message size limit, applied while a
message arrives (Engine.IO checks ``max_http_buffer_size`` only once a message is whole),
and a wait that cannot miss the connection's end. Eventlet's websocket has its own limit.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import struct

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask_socketio import SocketIO

# How often a waiting handler looks whether its connection has ended.
POLL_S = 1.0


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
            return super().__call__(environ, start_response)
        finally:
            ws = getattr(self, "ws", None)
            if ws is not None:
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


def limit_websocket_messages(socketio: SocketIO, limit: int) -> None:
    """Serve websockets with ``BoundedWebSocket`` and a ``limit`` in bytes (threading mode only)."""
    eio = socketio.server.eio
    if eio._async.get("websocket") is SimpleWebSocketWSGI:
        # A copy: the driver's table is shared by every server in the process.
        eio._async = {**eio._async, "websocket": functools.partial(BoundedWebSocket, max_message_size=limit)}
