"""One stream's stages after capture, the same for live streams and video files.

Owns the per-frame step: region of interest -> change gate (is this frame worth
reading?) -> engine (words, junk dropped, lines) -> tracker (lines across frames, fused
text). A frame that has not changed is not read: the lines on screen carry forward. It
owns no thread and no queue: the live inference worker and the video loop call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from stream_ocr.change import ChangeConfig, ChangeGate
from stream_ocr.engines.base import FrameReader
from stream_ocr.tracking import Tracker, TrackerConfig
from stream_ocr.types import Detection, FrameResult, Line

Roi = tuple[int, int, int, int]


@dataclass(frozen=True)
class StepConfig:
    """The per-frame stages' settings: change detection, tracking, and a region of interest."""

    change: ChangeConfig = field(default_factory=ChangeConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    # (x, y, w, h) in frame pixels; only this part of the frame is read.
    roi: Roi | None = None


@dataclass(frozen=True)
class StepResult:
    """What one frame gave: its lines (with track ids and fused texts), or that it was skipped.

    ``result`` is the engine's own result (None for a skipped frame). Points are in the
    full frame's pixels, whatever the region of interest.
    """

    time: float
    skipped: bool
    lines: tuple[Line, ...]
    width: int
    height: int
    result: FrameResult | None = None

    @property
    def words(self) -> list[Detection]:
        """Every line's words, each with its line's track id."""
        return [replace(w, track_id=line.track_id) for line in self.lines for w in line.words]

    def to_dict(self) -> dict[str, Any]:
        """The one serialisation: a frames.jsonl record, and the core of a live ``ocr_result``."""
        return {
            "time": round(self.time, 3),
            "skipped": self.skipped,
            "width": self.width,
            "height": self.height,
            "timings_ms": {k: round(v, 1) for k, v in self.result.timings_ms.items()} if self.result else {},
            "lines": [line.to_dict() for line in self.lines],
            "detections": [w.to_dict() for w in self.words],
        }


def shift(det: Detection, dx: float, dy: float) -> Detection:
    """``det`` (a word or a line, with its words) moved by (dx, dy) pixels."""
    points = tuple((x + dx, y + dy) for x, y in det.points)
    if isinstance(det, Line):
        words = tuple(shift(w, dx, dy) for w in det.words)
        return Line(points, det.text, det.confidence, det.track_id, words, det.block)  # type: ignore[arg-type]
    return Detection(points, det.text, det.confidence, det.track_id)  # type: ignore[arg-type]


class FrameStep:
    """Call with each frame (BGR uint8) and its time, in time order; not thread-safe."""

    def __init__(self, engine: FrameReader, config: StepConfig | None = None) -> None:
        self.engine = engine
        self.config = config or StepConfig()
        self.gate = ChangeGate(self.config.change)
        self.tracker = Tracker(self.config.tracker)
        self.shown: tuple[Line, ...] = ()
        self.read_count = 0
        self.skipped_count = 0

    def __call__(self, image: np.ndarray, t: float) -> StepResult:
        """Read ``image`` (seen at ``t`` seconds) if it changed; raises what the engine raises."""
        view = image
        roi = self.config.roi
        if roi is not None:
            x, y, w, h = roi
            view = np.ascontiguousarray(image[y : y + h, x : x + w])
        if not self.gate.should_read(view, t):
            self.tracker.carry_forward(t)
            self.skipped_count += 1
            return StepResult(t, True, self.shown, image.shape[1], image.shape[0])
        try:
            result = self.engine.read(view)
        except Exception:
            self.gate.forget()
            raise
        lines = result.lines
        if roi is not None:
            lines = tuple(shift(line, roi[0], roi[1]) for line in lines)  # type: ignore[misc]
        self.shown = self.tracker.update(lines, t)  # type: ignore[assignment]
        self.read_count += 1
        return StepResult(t, False, self.shown, image.shape[1], image.shape[0], result)
