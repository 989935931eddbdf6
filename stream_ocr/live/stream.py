"""One live stream after capture: its status, counters, viewers and the events it sends.

Owns what a stream is, wherever its stages run: the latest-frame slot capture fills,
the counters, the preview for viewers, and turning each per-frame result, error or
status change into an outgoing event (``sinks``). The stream registry (``live/hub.py``)
holds many of these in one process; a Ray stream actor (``cluster/stream_actors.py``)
holds one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stream_ocr.errors import BadInputError
from stream_ocr.live.metrics import StreamStats
from stream_ocr.live.preview import PreviewConfig, StreamPreview
from stream_ocr.live.sinks import Event, Publish, room_of
from stream_ocr.live.slot import LatestSlot
from stream_ocr.realthreads import threading, time
from stream_ocr.sources.capture import ENDED, ERROR, CaptureConfig, CaptureLoop
from stream_ocr.sources.opening import SourceSpec
from stream_ocr.step.frame_step import StepResult
from stream_ocr.types import Frame


class LiveStream:
    """A configured source (``spec``) or a browser camera (``spec`` None) and its events.

    ``on_status``, ``on_frame``, ``on_result`` and ``on_error`` are the callbacks of the
    capture loop and the inference worker; each publishes through ``publish``. With
    ``capture`` (and a ``spec``), the stream has its own capture loop filling ``slot``.
    ``on_ended`` is called when a configured source ends or fails for good.
    """

    def __init__(
        self,
        stream_id: str,
        *,
        spec: SourceSpec | None,
        slot: LatestSlot[Frame],
        preview: PreviewConfig,
        publish: Publish,
        node: str = "",
        capture: CaptureConfig | None = None,
        on_ended: Callable[[], None] | None = None,
    ) -> None:
        self.stream_id = stream_id
        self.spec = spec
        self.slot = slot
        self.publish = publish
        self.node = node
        self.stats = StreamStats(stream_id, slot)
        self.preview = StreamPreview(stream_id, preview)
        self.on_ended = on_ended
        self._lock = threading.Lock()
        self.viewers = 0
        self.status = "connecting"
        self.reason = ""
        self.next_browser_frame = 0
        self.last_browser_frame = 0.0
        self.capture: CaptureLoop | None = None
        if spec is not None and capture is not None:
            self.capture = CaptureLoop(spec, slot, self.stats, self.on_status, self.on_frame, capture)

    @property
    def room(self) -> str:
        return room_of(self.stream_id)

    def describe(self) -> dict[str, Any]:
        """What a browser may see of it: name, kind, status, the node it runs on; never credentials."""
        return {
            "id": self.stream_id,
            "kind": self.spec.kind if self.spec is not None else "browser",
            "source": self.spec.describe() if self.spec is not None else "your camera",
            "status": self.status,
            "reason": self.reason,
            "node": self.node,
        }

    def health(self) -> dict[str, Any]:
        return {
            "id": self.stream_id,
            "status": self.status,
            "capture_alive": self.capture is not None and self.capture.alive,
            "node": self.node,
        }

    def add_viewer(self) -> None:
        with self._lock:
            self.viewers += 1

    def remove_viewer(self) -> None:
        with self._lock:
            self.viewers = max(0, self.viewers - 1)

    def newest_preview(self) -> Event | None:
        preview = self.preview.ready.take_nowait()
        return None if preview is None else Event("frame", preview.to_dict(), self.room)

    # -- callbacks from the capture and inference threads ---------------------------------
    def on_status(self, stream_id: str, status: str, reason: str) -> None:
        self.status, self.reason = status, reason
        payload = {"stream_id": stream_id, "status": status, "reason": reason, "time": time.time()}
        self.publish("stream_status", payload, self.room)
        if status in (ENDED, ERROR) and self.on_ended is not None:
            self.on_ended()

    def on_frame(self, frame: Frame) -> None:
        """In the capture thread: a preview frame now and then, if anyone watches."""
        if self.viewers:
            self.preview.on_frame(frame)

    def on_result(self, frame: Frame, step: StepResult) -> None:
        now = time.time()
        latency = (now - frame.captured_at) * 1000
        gone_at: list[list] = []
        if step.skipped:
            self.stats.frame_skipped()
        else:
            self.stats.frame_inferred(latency)
            if self.viewers:
                gone_at = self.preview.on_result(frame, step.lines)
        payload = {
            **step.to_dict(),
            "gone_at": gone_at,
            "stream_id": frame.stream_id,
            "frame_id": frame.frame_id,
            "captured_at": frame.captured_at,
            "result_at": now,
            "latency_ms": round(latency, 1),
            "position_s": frame.position_s,
        }
        del payload["time"]
        self.publish("ocr_result", payload, self.room)

    def on_error(self, frame: Frame, error: Exception) -> None:
        self.stats.inference_failed()
        if isinstance(error, BadInputError):
            self.publish(
                "frame_error",
                {"stream_id": frame.stream_id, "frame_id": frame.frame_id, "error": str(error)},
                self.room,
            )
