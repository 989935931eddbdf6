"""What a Socket.IO client may send: limits checked on each packet before any work is done.

Owns the inbound side of Socket.IO. Each Engine.IO message is looked at as it arrives, in
the connection's own thread, before python-socketio decodes it or starts a handler for it:

* a rate per connection, per client address and for all clients together (token
  buckets); an event over any is dropped and counted against its connection, and a
  connection that keeps flooding is closed;
* an event may carry at most ``max_attachments`` binary attachments (a camera frame is
  one), so a header that declares millions cannot make the server hold what follows;
* a packet that is not Socket.IO (garbage, an attachment nobody announced, a header that
  does not parse) closes its connection.

A closed connection gets one log line with its counts, never a traceback per packet, and
its address may not connect again for a while (``shut_out_for``, asked by
``connection_limits.EngineIOSlots`` before Engine.IO sees the request): 15 s, twice as
long each time it does it again, up to 10 minutes, so reconnecting to flood again costs
the attacker, not the server.
It handles no event itself: ``events`` does.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import struct
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask_socketio import SocketIO

from stream_ocr.config import InboundLimits
from stream_ocr.realthreads import threading, time

logger = logging.getLogger(__name__)

# A Socket.IO packet as Engine.IO carries it: its type, then for a binary event or ack the
# count of attachments and a dash ("51-[...]").
_PACKET = re.compile(r"^[0-6]")
_BINARY_HEADER = re.compile(r"^[56](\d{1,7})-")

DROP, CLOSE, PASS = "drop", "close", "pass"
# An address whose connection was closed for attacking may not connect again for this
# long, twice as long each time after, up to the last.
FIRST_SHUT_OUT_S = 15.0
MAX_SHUT_OUT_S = 600.0


class Bucket:
    """A token bucket: ``rate`` a second, at most ``burst`` at once (events, or bytes)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def take(self) -> bool:
        """One token if there is one (an event passes), else False (it is dropped)."""
        with self.lock:
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False

    def wait_for(self, n: int) -> float:
        """Count ``n`` already spent (bytes read); how long to wait before spending more."""
        with self.lock:
            self._refill()
            self.tokens -= n
            return -self.tokens / self.rate if self.tokens < 0 else 0.0


@dataclass
class _Connection:
    address: str
    bucket: Bucket
    dropped: int = 0
    recent_drops: int = 0  # within the current flood window
    window_start: float = 0.0
    expected: int = 0  # attachments announced by the binary event being assembled, not yet come
    held_bytes: int = 0  # attachments received for it
    closing: str | None = None
    disconnect_due: bool = False


class InboundGuard:
    """Installed on one ``SocketIO``: every message passes ``admit`` first."""

    def __init__(self, socketio: SocketIO, limits: InboundLimits, max_attachment_bytes: int) -> None:
        self.sio = socketio.server
        self.eio = socketio.server.eio
        self.limits = limits
        self.max_held = max_attachment_bytes * limits.max_attachments
        self._lock = threading.Lock()
        self._connections: dict[str, _Connection] = {}
        self._addresses: dict[str, Bucket] = {}
        # All clients together: an attacker with many addresses has a budget at each.
        self._everyone = Bucket(limits.events_per_s_total, 2 * limits.events_per_s_total)
        # Addresses whose connections were closed for attacking: until when they are shut
        # out, and how many times (each time twice as long, up to ``MAX_SHUT_OUT_S``).
        self._shut_out: dict[str, tuple[float, int]] = {}
        self.counts: Counter[str] = Counter()  # dropped, closed_flood, closed_malformed, closed_attachments
        original_trigger = self.eio._trigger_event
        original_message = self.sio._handle_eio_message

        def trigger(event: str, *args: Any, **kwargs: Any) -> Any:
            if event == "message" and self.admit(args[0], args[1]) != PASS:
                self._disconnect_if_due(args[0])
                return None
            if event == "disconnect":
                self._forget(args[0])
            return original_trigger(event, *args, **kwargs)

        def handle_message(eio_sid: str, data: Any) -> None:
            try:
                original_message(eio_sid, data)
            except Exception as e:  # noqa: BLE001  (a bad packet closes its connection, quietly)
                with self._lock:
                    self._closing(eio_sid, self._connection(eio_sid), "malformed", f"{type(e).__name__}: {e}"[:120])
                self._disconnect_if_due(eio_sid)

        self.eio._trigger_event = trigger
        self.sio._handle_eio_message = handle_message

    def admit(self, eio_sid: str, data: Any) -> str:
        """PASS, DROP (over the rate) or CLOSE (the connection is being closed) for one message."""
        with self._lock:
            conn = self._connection(eio_sid)
            if conn.closing is not None:
                return CLOSE
            if isinstance(data, bytes | bytearray):
                # An attachment: only after a header that announced it, and within the cap.
                if conn.expected <= 0:
                    return self._closing(eio_sid, conn, "malformed", "an attachment nobody announced")
                conn.expected -= 1
                conn.held_bytes += len(data)
                if conn.held_bytes > self.max_held:
                    return self._closing(eio_sid, conn, "attachments", f"{conn.held_bytes} bytes of attachments held")
                return PASS
            if not isinstance(data, str) or not _PACKET.match(data):
                return self._closing(eio_sid, conn, "malformed", repr(data[:40]) if data else "an empty packet")
            if data[0] in "56":
                header = _BINARY_HEADER.match(data)
                if header is None:
                    return self._closing(eio_sid, conn, "malformed", "a binary packet without its count")
                announced = int(header.group(1))
                if announced > self.limits.max_attachments:
                    return self._closing(eio_sid, conn, "attachments", f"{announced} attachments declared")
                if conn.expected > 0:
                    return self._closing(eio_sid, conn, "malformed", "a header before the last one's attachments")
                conn.expected, conn.held_bytes = announced, 0
            if data[0] in "01":  # connect and disconnect packets are never rate limited
                return PASS
            address = self._addresses.setdefault(
                conn.address, Bucket(self.limits.events_per_s_per_address, 2 * self.limits.events_per_s_per_address)
            )
            if conn.bucket.take() and address.take() and self._everyone.take():
                return PASS
            return self._dropped(eio_sid, conn)

    def shut_out_for(self, address: str) -> float:
        """Seconds more that ``address`` may not connect (0: it may)."""
        with self._lock:
            until, _ = self._shut_out.get(address, (0.0, 0))
            left = until - time.monotonic()
            if len(self._shut_out) > 10_000:  # long-gone attackers
                self._shut_out = {a: v for a, v in self._shut_out.items() if v[0] > time.monotonic()}
            return max(0.0, left)

    def _dropped(self, eio_sid: str, conn: _Connection) -> str:
        self.counts["dropped"] += 1
        conn.dropped += 1
        now = time.monotonic()
        if now - conn.window_start > self.limits.flood_window_s:
            conn.window_start, conn.recent_drops = now, 0
        conn.recent_drops += 1
        if conn.recent_drops > self.limits.flood_drops:
            return self._closing(eio_sid, conn, "flood", f"{conn.recent_drops} events over the rate")
        return DROP

    def _connection(self, eio_sid: str) -> _Connection:
        conn = self._connections.get(eio_sid)
        if conn is None:
            environ = self.sio.environ.get(eio_sid)
            rate = self.limits.events_per_s
            address = (environ or {}).get("REMOTE_ADDR", "?")
            conn = _Connection(address, Bucket(rate, 2 * rate), window_start=time.monotonic())
            if environ is None:  # what was still buffered of a connection already gone
                conn.closing = "gone"
            else:
                self._connections[eio_sid] = conn
        return conn

    def _closing(self, eio_sid: str, conn: _Connection, why: str, detail: str) -> str:
        """Mark ``conn`` closed for ``why`` (under the lock) and close it outside the lock."""
        if conn.closing is None:
            conn.closing = why
            self.counts[f"closed_{why}"] += 1
            until, strikes = self._shut_out.get(conn.address, (0.0, 0))
            if time.monotonic() - until > MAX_SHUT_OUT_S:  # an old offence is forgotten
                strikes = 0
            seconds = min(MAX_SHUT_OUT_S, FIRST_SHUT_OUT_S * 2**strikes)
            self._shut_out[conn.address] = (time.monotonic() + seconds, strikes + 1)
            logger.warning(
                "closed a Socket.IO connection from %s: %s (%s; %d events dropped over the rate before)",
                conn.address,
                {"flood": "it flooded", "attachments": "too many attachments", "malformed": "a malformed packet"}[why],
                detail,
                conn.dropped,
            )
            conn.disconnect_due = True
        return CLOSE

    def _disconnect_if_due(self, eio_sid: str) -> None:
        """Close the connection once, in the thread that received its last packet."""
        with self._lock:
            conn = self._connections.get(eio_sid)
            if conn is None or not conn.disconnect_due:
                return
            conn.disconnect_due = False
        self.sio._binary_packet.pop(eio_sid, None)
        # No polite close for an attacker: the connection's socket is reset at once, so the
        # reader stops with what it has (a flood already buffered is not read on) and the
        # peer sees it gone. Where the server gives no socket (eventlet), Engine.IO closes it.
        environ = self.sio.environ.get(eio_sid) or {}
        raw = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                raw.shutdown(socket.SHUT_RDWR)
        # Closed without waiting for its queue to drain: this may be the connection's own
        # reader thread, and its writer has nobody left to send to.
        sock = self.eio.sockets.pop(eio_sid, None)
        if sock is not None:
            sock.close(wait=False, abort=True, reason=self.eio.reason.SERVER_DISCONNECT)

    def _forget(self, eio_sid: str) -> None:
        with self._lock:
            self._connections.pop(eio_sid, None)
            if len(self._addresses) > 10_000:  # buckets of addresses long gone
                self._addresses.clear()
