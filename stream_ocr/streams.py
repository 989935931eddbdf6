"""The stream hub: every live stream, from capture through inference to outgoing events.

Owns the wiring for each stream (source -> slot -> worker and its per-frame step ->
events), the browser-camera streams that clients add and remove, viewers (whose preview
video ``preview.py`` makes), and an outgoing event queue. It never imports Flask or Socket.IO: the server drains
``events`` and emits them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from stream_ocr.capture import ENDED, ERROR, CaptureConfig, CaptureLoop
from stream_ocr.change import ChangeConfig
from stream_ocr.config import ImageLimits
from stream_ocr.engines.base import Engine
from stream_ocr.errors import BadInputError
from stream_ocr.metrics import StreamStats
from stream_ocr.pipeline import StepConfig, StepResult
from stream_ocr.preview import PreviewConfig, StreamPreview
from stream_ocr.realthreads import queue, threading, time
from stream_ocr.slot import LatestSlot
from stream_ocr.sources import SourceSpec
from stream_ocr.tracking import TrackerConfig
from stream_ocr.types import Frame
from stream_ocr.worker import InferenceWorker

logger = logging.getLogger(__name__)

BROWSER_PREFIX = "cam-"


@dataclass(frozen=True)
class HubConfig:
    """The hub's limits: preview rate, size and quality, browser cameras (count, rate, frame
    size), event queue, capture, change detection and tracking."""

    preview: PreviewConfig = field(default_factory=PreviewConfig)
    max_browser_streams: int = 8
    # Browser cameras: frames faster than this are dropped (counted) before they reach the
    # slot, and each frame is held to these limits (a 4K frame at most).
    camera_max_fps: float = 10.0
    camera_limits: ImageLimits = field(default_factory=lambda: ImageLimits(4 * 1024 * 1024, 3840 * 2160))
    event_queue_size: int = 2000
    capture: CaptureConfig = field(default_factory=CaptureConfig)
    tracker: TrackerConfig = field(default_factory=lambda: TrackerConfig(keep_history=False))
    change: ChangeConfig = field(default_factory=ChangeConfig)


@dataclass(frozen=True)
class Event:
    """An outgoing event: name, payload, and the Socket.IO room it is for (None: everyone)."""

    name: str
    payload: dict[str, Any]
    room: str | None = None


def room_of(stream_id: str) -> str:
    return f"stream:{stream_id}"


class _Stream:
    def __init__(
        self, stream_id: str, spec: SourceSpec | None, slot: LatestSlot[Frame], preview: PreviewConfig
    ) -> None:
        self.stream_id = stream_id
        self.spec = spec
        self.slot = slot
        self.stats = StreamStats(stream_id, slot)
        self.preview = StreamPreview(stream_id, preview)
        self.capture: CaptureLoop | None = None
        self.viewers = 0
        self.status = "connecting"
        self.reason = ""
        self.next_browser_frame = 0
        self.last_browser_frame = 0.0


class StreamHub:
    """Runs the configured streams and any browser cameras on one engine."""

    def __init__(self, engine: Engine, specs: list[SourceSpec], config: HubConfig | None = None) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise BadInputError(f"stream names must be unique, got {names}")
        self.engine = engine
        self.config = config or HubConfig()
        self.specs = {s.name: s for s in specs}
        self.events: queue.Queue[Event] = queue.Queue(maxsize=self.config.event_queue_size)
        self.events_dropped = 0
        self._lock = threading.Lock()
        self._streams: dict[str, _Stream] = {}
        step = StepConfig(change=self.config.change, tracker=self.config.tracker)
        self.worker = InferenceWorker(engine, self._on_result, self._on_error, self.config.camera_limits, step)
        for spec in specs:
            stream = self._add(spec.name, spec)
            stream.capture = CaptureLoop(
                spec, stream.slot, stream.stats, self._on_status, self._on_frame, self.config.capture
            )
        self._started = False

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        self.worker.start()
        for stream in list(self._streams.values()):
            if stream.capture is not None:
                stream.capture.start()
        self._started = True

    def stop(self, timeout: float = 10.0) -> None:
        for stream in list(self._streams.values()):
            if stream.capture is not None:
                stream.capture.stop(timeout)
        self.worker.stop(timeout)

    # -- streams -------------------------------------------------------------------------
    def _add(self, stream_id: str, spec: SourceSpec | None) -> _Stream:
        stream = _Stream(stream_id, spec, self.worker.new_slot(stream_id), self.config.preview)
        with self._lock:
            self._streams[stream_id] = stream
        return stream

    def configured_streams(self) -> list[dict[str, Any]]:
        """What a browser may pick from: names, kinds and status, never credentials."""
        with self._lock:
            streams = [s for s in self._streams.values() if s.spec is not None]
        return [
            {
                "id": s.stream_id,
                "kind": s.spec.kind,
                "source": s.spec.describe(),
                "status": s.status,
                "reason": s.reason,
            }
            for s in streams
            if s.spec is not None
        ]

    def has_stream(self, stream_id: str) -> bool:
        with self._lock:
            return stream_id in self._streams

    def stream_ids(self) -> list[str]:
        with self._lock:
            return list(self._streams)

    def status_of(self, stream_id: str) -> tuple[str, str]:
        with self._lock:
            stream = self._streams[stream_id]
            return stream.status, stream.reason

    def add_browser_stream(self, client_id: str) -> str:
        """A stream fed by a browser's camera; its id is ``cam-<client id>``."""
        stream_id = BROWSER_PREFIX + client_id
        with self._lock:
            if stream_id in self._streams:
                return stream_id
            browsers = sum(1 for s in self._streams.values() if s.spec is None)
        if browsers >= self.config.max_browser_streams:
            raise BadInputError(f"too many browser cameras at once (limit {self.config.max_browser_streams})")
        stream = self._add(stream_id, None)
        stream.status = "live"
        return stream_id

    def push_browser_frame(self, stream_id: str, data: bytes) -> None:
        """A JPEG or PNG from a browser camera. Never blocks, never decodes (the worker does)."""
        if not stream_id.startswith(BROWSER_PREFIX):
            raise BadInputError("frames can only be sent to your own camera stream")
        limit = self.config.camera_limits.max_bytes
        if len(data) > limit:
            raise BadInputError(f"camera frame is {len(data):,} bytes, over the limit of {limit:,}")
        with self._lock:
            stream = self._streams.get(stream_id)
        if stream is None:
            raise BadInputError("start your camera stream before sending frames")
        now = time.monotonic()
        if now - stream.last_browser_frame < 1.0 / self.config.camera_max_fps:
            stream.slot.dropped += 1  # faster than the cap: dropped, as a full slot would
            return
        stream.last_browser_frame = now
        stream.next_browser_frame += 1
        stream.slot.put(Frame(stream_id, stream.next_browser_frame, bytes(data), time.time()))
        stream.stats.frame_captured()

    def remove_stream(self, stream_id: str) -> None:
        """Forget a browser stream (its client left): its slot, tracker and counters go."""
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None or stream.spec is not None:
                return
            del self._streams[stream_id]
        self.worker.remove_slot(stream_id)

    def add_viewer(self, stream_id: str) -> None:
        with self._lock:
            if stream_id in self._streams:
                self._streams[stream_id].viewers += 1

    def remove_viewer(self, stream_id: str) -> None:
        with self._lock:
            if stream_id in self._streams:
                stream = self._streams[stream_id]
                stream.viewers = max(0, stream.viewers - 1)

    # -- callbacks from capture and inference threads -----------------------------------
    def publish(self, name: str, payload: dict[str, Any], room: str | None) -> None:
        """Queue an outgoing event; never blocks (a full queue drops it, counted)."""
        try:
            self.events.put_nowait(Event(name, payload, room))
        except queue.Full:
            self.events_dropped += 1

    def _on_status(self, stream_id: str, status: str, reason: str) -> None:
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is not None:
                stream.status, stream.reason = status, reason
        payload = {"stream_id": stream_id, "status": status, "reason": reason, "time": time.time()}
        self.publish("stream_status", payload, room_of(stream_id))
        if status in (ENDED, ERROR):
            self.publish("streams", {"streams": self.configured_streams()}, None)

    def _on_frame(self, frame: Frame) -> None:
        """In the capture thread: a preview frame now and then, if anyone watches."""
        with self._lock:
            stream = self._streams.get(frame.stream_id)
        if stream is not None and stream.viewers:
            stream.preview.on_frame(frame)

    def _on_result(self, frame: Frame, step: StepResult) -> None:
        with self._lock:
            stream = self._streams.get(frame.stream_id)
        if stream is None:
            return  # a browser stream whose client has left
        now = time.time()
        latency = (now - frame.captured_at) * 1000
        if step.skipped:
            stream.stats.frame_skipped()
        else:
            stream.stats.frame_inferred(latency)
            if stream.viewers:
                stream.preview.on_result(frame, step.lines)
        payload = {
            **step.to_dict(),
            "stream_id": frame.stream_id,
            "frame_id": frame.frame_id,
            "captured_at": frame.captured_at,
            "result_at": now,
            "latency_ms": round(latency, 1),
            "position_s": frame.position_s,
        }
        del payload["time"]
        self.publish("ocr_result", payload, room_of(frame.stream_id))

    def _on_error(self, frame: Frame, error: Exception) -> None:
        with self._lock:
            stream = self._streams.get(frame.stream_id)
        if stream is not None:
            stream.stats.inference_failed()
        if isinstance(error, BadInputError):
            self.publish(
                "frame_error",
                {"stream_id": frame.stream_id, "frame_id": frame.frame_id, "error": str(error)},
                room_of(frame.stream_id),
            )

    # -- for the server's event pump ------------------------------------------------------
    def drain(self, max_events: int = 500) -> list[Event]:
        """Pending events, oldest first, then the newest preview of each watched stream."""
        out: list[Event] = []
        for _ in range(max_events):
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            streams = list(self._streams.values())
        for stream in streams:
            preview = stream.preview.ready.take_nowait()
            if preview is not None:
                out.append(Event("frame", preview.to_dict(), room_of(stream.stream_id)))
        return out

    def health(self, stall_s: float) -> dict[str, Any]:
        """Liveness: the inference thread (dead, or stuck on one frame past ``stall_s``) and each
        configured stream's capture thread. ``ok`` is False when inference cannot serve."""
        inference = self.worker.health()
        inference["stalled"] = inference["busy_s"] > stall_s
        with self._lock:
            streams = [s for s in self._streams.values() if s.spec is not None]
        return {
            "ok": bool(inference["alive"]) and not inference["stalled"],
            "inference": inference,
            "streams": [
                {
                    "id": s.stream_id,
                    "status": s.status,
                    "capture_alive": s.capture is not None and s.capture.alive,
                }
                for s in streams
            ],
        }

    def metrics(self) -> list[dict[str, Any]]:
        with self._lock:
            streams = list(self._streams.values())
        return [s.stats.snapshot().to_dict() for s in streams]
