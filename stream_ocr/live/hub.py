"""The stream registry: every live stream of this process, and the one inference worker.

Owns which streams exist (configured sources, and browser cameras that clients add and
remove), their viewers, and the outgoing event queue. On a Ray cluster the configured
streams run on stream actors instead: ``cluster.hub.ClusterHub`` is this registry with
those added, behind the same methods. Each stream's own state and events are a ``live.stream.LiveStream``;
the per-frame work is ``live.worker.InferenceWorker`` running ``step.frame_step.FrameStep``. It never
imports Flask or Socket.IO: the server drains ``drain()`` and emits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from stream_ocr.config import ImageLimits
from stream_ocr.engines.base import FrameReader
from stream_ocr.errors import BadInputError
from stream_ocr.live.preview import PreviewConfig
from stream_ocr.live.sinks import BROWSER_PREFIX, Event, EventQueue, room_of
from stream_ocr.live.stream import LiveStream
from stream_ocr.live.worker import InferenceWorker, Recorder
from stream_ocr.realthreads import threading, time
from stream_ocr.sources.capture import CaptureConfig
from stream_ocr.sources.opening import SourceSpec
from stream_ocr.step.change import ChangeConfig
from stream_ocr.step.frame_step import StepConfig, StepResult
from stream_ocr.tracking.tracker import TrackerConfig
from stream_ocr.types import Frame

logger = logging.getLogger(__name__)

__all__ = ["BROWSER_PREFIX", "Event", "HubConfig", "StreamHub", "room_of"]


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

    def step_config(self) -> StepConfig:
        return StepConfig(change=self.change, tracker=self.tracker)


class StreamHub:
    """Runs the configured streams and any browser cameras on one engine (``FrameReader``)."""

    def __init__(
        self,
        engine: FrameReader,
        specs: list[SourceSpec],
        config: HubConfig | None = None,
        *,
        recorder: Recorder | None = None,
        events: EventQueue | None = None,
    ) -> None:
        """``recorder`` is told of each stream's reads and ended tracks (history, watchlist);
        ``events`` is the queue outgoing events wait in (one of the hub's own size if none)."""
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise BadInputError(f"stream names must be unique, got {names}")
        self.engine = engine
        self.config = config or HubConfig()
        self.queue = events or EventQueue(self.config.event_queue_size)
        self._lock = threading.Lock()
        self._streams: dict[str, LiveStream] = {}
        self.worker = InferenceWorker(
            engine,
            on_result=self._on_result,
            on_error=self._on_error,
            image_limits=self.config.camera_limits,
            step_config=self.config.step_config(),
            recorder=recorder,
        )
        for spec in specs:
            self._add(spec.name, spec)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        self.worker.start()
        for stream in self._local():
            if stream.capture is not None:
                stream.capture.start()

    def stop(self, timeout: float = 10.0) -> None:
        for stream in self._local():
            if stream.capture is not None:
                stream.capture.stop(timeout)
        self.worker.stop(timeout)

    # -- streams -------------------------------------------------------------------------
    def _add(self, stream_id: str, spec: SourceSpec | None) -> LiveStream:
        # A configured source has its own capture loop; a browser camera's frames come as events.
        stream = LiveStream(
            stream_id,
            spec=spec,
            slot=self.worker.new_slot(stream_id),
            preview=self.config.preview,
            publish=self.publish,
            capture=None if spec is None else self.config.capture,
            on_ended=None if spec is None else self._announce_streams,
        )
        with self._lock:
            self._streams[stream_id] = stream
        return stream

    def _local(self) -> list[LiveStream]:
        with self._lock:
            return list(self._streams.values())

    def _get(self, stream_id: str) -> LiveStream | None:
        with self._lock:
            return self._streams.get(stream_id)

    def configured_streams(self) -> list[dict[str, Any]]:
        """What a browser may pick from: names, kinds, status and node, never credentials."""
        return [s.describe() for s in self._local() if s.spec is not None]

    def has_stream(self, stream_id: str) -> bool:
        return self._get(stream_id) is not None

    def stream_ids(self) -> list[str]:
        return [s.stream_id for s in self._local()]

    def status_of(self, stream_id: str) -> tuple[str, str]:
        stream = self._get(stream_id)
        if stream is None:
            raise KeyError(stream_id)
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
        stream = self._get(stream_id)
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
        stream = self._get(stream_id)
        if stream is not None:
            stream.add_viewer()

    def remove_viewer(self, stream_id: str) -> None:
        stream = self._get(stream_id)
        if stream is not None:
            stream.remove_viewer()

    # -- events ----------------------------------------------------------------------------
    def publish(self, name: str, payload: dict[str, Any], room: str | None) -> None:
        """Queue an outgoing event; never blocks (a full queue drops it, counted)."""
        self.queue.publish(name, payload, room)

    @property
    def events_dropped(self) -> int:
        return self.queue.dropped

    def _announce_streams(self) -> None:
        self.publish("streams", {"streams": self.configured_streams()}, None)

    def _on_result(self, frame: Frame, step: StepResult) -> None:
        stream = self._get(frame.stream_id)
        if stream is not None:  # None: a browser stream whose client has left
            stream.on_result(frame, step)

    def _on_error(self, frame: Frame, error: Exception) -> None:
        stream = self._get(frame.stream_id)
        if stream is not None:
            stream.on_error(frame, error)

    def drain(self, max_events: int = 500) -> list[Event]:
        """Pending events, oldest first, then the newest preview of each watched stream."""
        out = self.queue.drain(max_events)
        for stream in self._local():
            preview = stream.newest_preview()
            if preview is not None:
                out.append(preview)
        return out

    # -- health and metrics ----------------------------------------------------------------
    def health(self, stall_s: float) -> dict[str, Any]:
        """Liveness: the inference thread (dead, or stuck on one frame past ``stall_s``) and
        each configured stream's capture. ``ok`` is False when inference cannot serve."""
        inference = self.worker.health()
        inference["stalled"] = inference["busy_s"] > stall_s
        return {
            "ok": bool(inference["alive"]) and not inference["stalled"],
            "inference": inference,
            "streams": [s.health() for s in self._local() if s.spec is not None],
        }

    def local_metrics(self) -> list[dict[str, Any]]:
        """This process's streams' counters (a stream actor sends its own ``metrics`` events)."""
        return [s.stats.snapshot().to_dict() for s in self._local()]

    def metrics(self) -> list[dict[str, Any]]:
        """Every stream's counters."""
        return self.local_metrics()
