"""The preview video a viewer sees: JPEG frames now and then, with the text boxes carried onto each.

Owns one stream's preview: the rate limit, the resize and JPEG encoding, the newest
preview waiting to be sent (a latest-wins slot), and the ``BoxFollower`` that moves the
last result's line boxes onto every preview frame. It runs in the capture thread and the
inference thread; it never sends anything (the hub's drain does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from stream_ocr.live.box_follower import BoxFollower, MotionConfig
from stream_ocr.live.slot import LatestSlot
from stream_ocr.realthreads import time
from stream_ocr.types import Frame, Line


@dataclass(frozen=True)
class PreviewConfig:
    fps: float = 12.0
    max_side: int = 960
    jpeg_quality: int = 75
    motion: MotionConfig = field(default_factory=MotionConfig)


@dataclass(frozen=True)
class Preview:
    """One preview frame, and the line boxes followed onto it."""

    stream_id: str
    frame_id: int
    captured_at: float
    jpeg: bytes
    width: int
    height: int
    boxes: tuple[dict[str, Any], ...] = ()
    # Track ids whose boxes following dropped since the last result: their text has gone
    # from this frame (a cut, or it left the picture), and their labels are not drawn.
    gone: tuple[int | None, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``frame`` event's payload."""
        return {
            "stream_id": self.stream_id,
            "frame_id": self.frame_id,
            "captured_at": self.captured_at,
            "width": self.width,
            "height": self.height,
            "jpeg": self.jpeg,
            "boxes": list(self.boxes),
            "gone": list(self.gone),
        }


class StreamPreview:
    """One stream's preview frames for its viewers."""

    def __init__(self, stream_id: str, config: PreviewConfig | None = None) -> None:
        self.stream_id = stream_id
        self.config = config or PreviewConfig()
        self.follower = BoxFollower(self.config.motion)
        self.ready: LatestSlot[Preview] = LatestSlot(f"preview:{stream_id}")
        self._last = 0.0

    def on_frame(self, frame: Frame) -> None:
        """In the capture thread: make a preview if one is due (boxes followed onto it)."""
        now = time.monotonic()
        if now - self._last < 1.0 / self.config.fps:
            return
        self._last = now
        image = frame.image
        followed, gone = self.follower.follow(image, frame.captured_at)
        boxes = tuple(b.to_dict() for b in followed)
        h, w = image.shape[:2]
        scale = min(1.0, self.config.max_side / max(h, w))
        if scale < 1.0:
            image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.config.jpeg_quality])
        if ok:
            preview = Preview(self.stream_id, frame.frame_id, frame.captured_at, jpeg.tobytes(), w, h, boxes, gone)
            self.ready.put(preview)

    def on_result(self, frame: Frame, lines: tuple[Line, ...]) -> list[list]:
        """In the inference thread: ``lines`` were read on ``frame``; follow their boxes from
        there. Returns ``[track id, taken]`` for each line whose text had gone by a preview
        frame sent meanwhile (taken then): the ``ocr_result`` event's ``gone_at``."""
        if not isinstance(frame.image, np.ndarray):
            return []
        lines_read = [(line.track_id, line.points) for line in lines]
        gone = self.follower.reset(frame.image, lines_read, frame.captured_at)
        return [[track_id, taken] for track_id, taken in gone.items() if taken is not None]
