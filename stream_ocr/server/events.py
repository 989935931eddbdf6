"""Socket.IO events: joining stream rooms, browser cameras, and the one event pump.

Clients may only join configured streams or their own camera: nothing a client sends
can make the server open a URL or a path. Handlers do no blocking work: camera frames
go into a slot as bytes, and the inference thread decodes them. A payload missing or of
the wrong shape gets an ``error`` event, never an exception; what a client may send at
all, and how fast, is ``inbound``'s to check first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room, leave_room

from stream_ocr.errors import BadInputError
from stream_ocr.live.hub import BROWSER_PREFIX, StreamHub, room_of
from stream_ocr.live.sinks import Event
from stream_ocr.server.jobs import VideoJobs

logger = logging.getLogger(__name__)


# Browser cameras at once from one client address (of the server's HubConfig.max_browser_streams).
MAX_CAMERAS_PER_ADDRESS = 2


def register_events(socketio: SocketIO, hub: StreamHub, jobs: VideoJobs, max_per_address: int = 20) -> None:
    # What each client watches, so that leaving or vanishing undoes it exactly.
    watching: dict[str, set[str]] = {}
    # Open connections per client address; one over ``max_per_address`` is refused.
    addresses: dict[str, str] = {}
    # The connections whose browser camera is on.
    cameras: set[str] = set()

    def stop_watching(sid: str, stream_id: str) -> None:
        if stream_id in watching.get(sid, set()):
            watching[sid].discard(stream_id)
            leave_room(room_of(stream_id), sid=sid)
            hub.remove_viewer(stream_id)

    @socketio.on("connect")
    def on_connect(auth: Any = None):
        address = request.remote_addr or "?"
        if sum(1 for a in addresses.values() if a == address) >= max_per_address:
            logger.warning("refused a Socket.IO connection from %s: %d open already", address, max_per_address)
            raise ConnectionRefusedError(f"too many connections from your address (limit {max_per_address})")
        addresses[request.sid] = address
        watching[request.sid] = set()
        emit("streams", {"streams": hub.configured_streams()})

    @socketio.on("join")
    def on_join(data: Any = None, *_: Any):
        stream_id = data.get("stream_id") if isinstance(data, dict) else None
        sid = request.sid
        if (
            not isinstance(stream_id, str)
            or not hub.has_stream(stream_id)
            or stream_id.startswith(BROWSER_PREFIX)
            and stream_id != BROWSER_PREFIX + sid
        ):
            emit("error", {"error": f"no such stream: {stream_id!r}; pick one of the configured streams"})
            return
        for other in list(watching.get(sid, set())):
            stop_watching(sid, other)
        join_room(room_of(stream_id))
        watching.setdefault(sid, set()).add(stream_id)
        hub.add_viewer(stream_id)
        status, reason = hub.status_of(stream_id)
        emit("stream_status", {"stream_id": stream_id, "status": status, "reason": reason, "time": time.time()})

    @socketio.on("leave")
    def on_leave(data: Any = None, *_: Any):
        stream_id = data.get("stream_id") if isinstance(data, dict) else None
        if not isinstance(stream_id, str):
            emit("error", {"error": "leave takes {stream_id}"})
            return
        stop_watching(request.sid, stream_id)

    @socketio.on("camera_start")
    def on_camera_start(data: Any = None, *_: Any):
        sid = request.sid
        address = addresses.get(sid, request.remote_addr or "?")
        if sid not in cameras and sum(addresses.get(s) == address for s in cameras) >= MAX_CAMERAS_PER_ADDRESS:
            # One visitor may not take every camera slot of the server (``HubConfig.max_browser_streams``).
            emit("error", {"error": f"at most {MAX_CAMERAS_PER_ADDRESS} cameras at once from one address"})
            return
        try:
            stream_id = hub.add_browser_stream(sid)
        except BadInputError as e:
            emit("error", {"error": str(e)})
            return
        for other in list(watching.get(sid, set())):
            stop_watching(sid, other)
        join_room(room_of(stream_id))
        watching.setdefault(sid, set()).add(stream_id)
        cameras.add(sid)
        emit("stream_status", {"stream_id": stream_id, "status": "live", "reason": "your camera", "time": time.time()})

    @socketio.on("camera_frame")
    def on_camera_frame(data: Any = None, *_: Any):
        if not isinstance(data, (bytes, bytearray)):
            emit("error", {"error": "camera_frame takes one binary JPEG image"})
            return
        try:
            hub.push_browser_frame(BROWSER_PREFIX + request.sid, bytes(data))
        except BadInputError as e:
            emit("error", {"error": str(e)})

    @socketio.on("camera_stop")
    def on_camera_stop(data: Any = None, *_: Any):
        stream_id = BROWSER_PREFIX + request.sid
        stop_watching(request.sid, stream_id)
        cameras.discard(request.sid)
        hub.remove_stream(stream_id)

    @socketio.on("watch_job")
    def on_watch_job(data: Any = None, *_: Any):
        job_id = data.get("job_id") if isinstance(data, dict) else None
        state = jobs.get(job_id) if isinstance(job_id, str) else None
        if state is None:
            emit("error", {"error": f"no such video job: {job_id!r}"})
            return
        join_room(f"job:{job_id}")
        if state.state in ("done", "error"):
            # It ended before the page started watching: its end, once, with the timeline.
            emit(*jobs.final_event(state))
        else:
            emit("video_state", state.to_dict())

    @socketio.on("disconnect")
    def on_disconnect(*args: Any):
        sid = request.sid
        for stream_id in list(watching.get(sid, set())):
            stop_watching(sid, stream_id)
        watching.pop(sid, None)
        addresses.pop(sid, None)
        cameras.discard(sid)
        hub.remove_stream(BROWSER_PREFIX + sid)


def pump_events(
    socketio: SocketIO,
    hub: StreamHub,
    metrics_interval_s: float,
    stop: Any,
    preview_sends_per_s: float = 0.0,
    also: Callable[[Event], None] | None = None,
) -> None:
    """The one background task that emits everything the core produced (and hands each
    event to ``also``, the MQTT link, which must not block).

    It polls the hub's queue without blocking (a blocking get on a real OS queue would
    freeze eventlet's loop) and sleeps with ``socketio.sleep`` between rounds.
    """
    last_metrics = 0.0
    # Preview frames go viewer by viewer, each only if it keeps up; through a message
    # queue (several web processes) they go to the room, as every other event.
    per_viewer = not _has_message_queue(socketio)
    budget = PreviewBudget(preview_sends_per_s)
    while not stop.is_set():
        events = []
        try:
            events = hub.drain()
            for event in events:
                if also is not None and event.name != "frame":
                    also(event)
                if event.name == "frame" and event.room is not None and per_viewer:
                    emit_to_viewers_keeping_up(socketio, event, budget)
                else:
                    socketio.emit(event.name, event.payload, to=event.room)
            now = _monotonic()
            if now - last_metrics >= metrics_interval_s:
                last_metrics = now
                for snapshot in hub.local_metrics():
                    socketio.emit("metrics", snapshot, to=room_of(snapshot["stream_id"]))
        except Exception:  # noqa: BLE001  (the pump must outlive any one bad event)
            logger.exception("event pump: emitting failed")
        socketio.sleep(0.005 if events else 0.02)


# A viewer with more packets than this waiting for its connection gets no new preview frame
# until it has caught up: a slow or stalled viewer holds at most this many frames in the
# server's memory, and the others go on at their own pace.
MAX_PENDING_FRAMES = 2


class PreviewBudget:
    """Preview frames sent per second to all viewers together, shared out fairly.

    Sending a frame to a websocket costs the server's CPU (in threading mode, a thread that
    holds the GIL), which the engine needs: 500 viewers at the full rate cut a live stream's
    reads seven-fold (BENCHMARKS.md, "100 and 500 viewers"). Past ``sends_per_s`` each frame
    goes to the viewers who waited longest, so every viewer still gets frames, at a lower
    rate, and the live stream keeps its share. 0: no limit.
    """

    def __init__(self, sends_per_s: float, burst_s: float = 0.2) -> None:
        self.rate = sends_per_s
        self.burst = max(1.0, sends_per_s * burst_s)
        self.tokens = self.burst
        self.at = _monotonic()
        self.last_sent: dict[str, float] = {}  # viewer -> when its last frame went

    def share(self, viewers: list[str]) -> list[str]:
        """Which of ``viewers`` get this frame: all, or those that waited longest while the budget lasts."""
        if self.rate <= 0:
            return viewers
        now = _monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        chosen = sorted(viewers, key=lambda sid: self.last_sent.get(sid, 0.0))[: int(self.tokens)]
        self.tokens -= len(chosen)
        for sid in chosen:
            self.last_sent[sid] = now
        if len(self.last_sent) > 4 * len(viewers) + 1000:  # viewers gone: forget them
            keep = set(viewers)
            self.last_sent = {sid: t for sid, t in self.last_sent.items() if sid in keep}
        return chosen


def emit_to_viewers_keeping_up(socketio: SocketIO, event: Any, budget: PreviewBudget | None = None) -> int:
    """Send a ``frame`` event to each viewer of its room whose queue is short, within the
    budget's share; return how many were passed over for a long queue."""
    server = socketio.server
    passed = 0
    ready = []
    for sid, eio_sid in list(server.manager.get_participants("/", event.room)):
        sock = server.eio.sockets.get(eio_sid)
        if sock is not None and sock.queue.qsize() > MAX_PENDING_FRAMES:
            passed += 1
            continue
        ready.append(sid)
    for sid in budget.share(ready) if budget is not None else ready:
        socketio.emit(event.name, event.payload, to=sid)
    return passed


def _has_message_queue(socketio: SocketIO) -> bool:
    from socketio import KombuManager, RedisManager

    return isinstance(socketio.server.manager, (RedisManager, KombuManager))


def _monotonic() -> float:
    from stream_ocr.realthreads import time

    return time.monotonic()
