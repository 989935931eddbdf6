"""Where a live stream's results go: outgoing events, in a queue or through Redis.

Owns the ``Event`` record, the in-process ``EventQueue`` that the server's event pump
drains, and ``RedisEmitter``, which sends events straight to every web process through
Flask-SocketIO's Redis message queue (for stream stages that run outside a web process,
on a Ray cluster). Both take ``publish(name, payload, room)`` and never block the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stream_ocr.realthreads import queue
from stream_ocr.service import Service

logger = logging.getLogger(__name__)

CHANNEL = "flask-socketio"

Publish = Callable[[str, dict[str, Any], "str | None"], None]


@dataclass(frozen=True)
class Event:
    """An outgoing event: name, payload, and the Socket.IO room it is for (None: everyone)."""

    name: str
    payload: dict[str, Any]
    room: str | None = None


def room_of(stream_id: str) -> str:
    return f"stream:{stream_id}"


# Streams of one visitor: a browser's camera (``cam-<Socket.IO id>``) and an uploaded
# video's job (``video:<job id>``). Their ids are unguessable, and what they show is their
# visitor's alone; configured streams (``--source``) are for everyone.
BROWSER_PREFIX = "cam-"
VIDEO_PREFIX = "video:"


def is_public(stream_id: str) -> bool:
    """Whether any visitor may see this stream's tracks and alerts (a configured stream)."""
    return not stream_id.startswith((BROWSER_PREFIX, VIDEO_PREFIX))


def audience_of(stream_id: str) -> str | None:
    """The room an event of this stream is for: everyone (None), or its visitor's own."""
    return None if is_public(stream_id) else room_of(stream_id)


class EventQueue:
    """A bounded queue of outgoing events; a full queue drops new events (counted)."""

    def __init__(self, size: int) -> None:
        self.events: queue.Queue[Event] = queue.Queue(maxsize=size)
        self.dropped = 0

    def publish(self, name: str, payload: dict[str, Any], room: str | None) -> None:
        try:
            self.events.put_nowait(Event(name, payload, room))
        except queue.Full:
            self.dropped += 1

    def drain(self, max_events: int = 500) -> list[Event]:
        """Pending events, oldest first, without waiting."""
        out: list[Event] = []
        for _ in range(max_events):
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                break
        return out


class RedisEmitter(Service):
    """Publishes events to every web process through Redis (Socket.IO's message queue).

    A thread (``emit:redis``) sends what ``publish`` queued, so a slow or absent Redis
    never holds up a stream; a full queue drops events (counted), and what Redis refuses
    is logged and dropped by python-socketio's manager.
    """

    def __init__(self, url: str, size: int = 2000, extra: Callable[[], list[Event]] | None = None) -> None:
        import socketio

        super().__init__("emit:redis")
        self.url = url
        self.queue = EventQueue(size)
        # Called each round for events made on demand (the newest preview frames).
        self.extra = extra
        # Flask-SocketIO's channel, on which every web process listens.
        self.manager = socketio.RedisManager(url, channel=CHANNEL, write_only=True)
        self.sent = 0
        self.start()

    def publish(self, name: str, payload: dict[str, Any], room: str | None) -> None:
        self.queue.publish(name, payload, room)

    @property
    def dropped(self) -> int:
        return self.queue.dropped

    def run(self) -> None:
        # python-socketio's RedisManager logs and drops what it cannot publish itself.
        while not self.stopping:
            events = self.queue.drain()
            if self.extra is not None:
                try:
                    events += self.extra()
                except Exception:  # noqa: BLE001  (the emitter must outlive a bad round)
                    logger.exception("making on-demand events failed")
            for event in events:
                try:
                    self.manager.emit(event.name, event.payload, namespace="/", room=event.room)
                    self.sent += 1
                except Exception:  # noqa: BLE001  (one bad event must not stop the stream's events)
                    logger.exception("publishing %s failed", event.name)
            self.sleep(0.005 if events else 0.02)

    def close(self) -> None:
        self.stop(5)
