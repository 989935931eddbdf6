"""One stream's stages after capture, the same for live streams and video files.

Owns the per-frame step: the view (regions of interest) -> change gate (is this frame worth
reading, and which part?) -> engine (words) -> lines (junk dropped, words grouped:
``step.lines``) -> tracker (lines across frames, fused text). A frame that has not changed is not read: the lines on
screen carry forward. A frame that changed in one small region has only that region
read: the lines elsewhere carry forward, and the lines it touches are read again; when
the picture moved (a pan, a scroll), the lines carried forward move with it. It
owns no thread and no queue: the live inference worker and the video loop call it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from stream_ocr.engines.base import FrameReader
from stream_ocr.geometry import Region, overlaps
from stream_ocr.step.change import ChangeConfig, ChangeGate
from stream_ocr.step.lines import TextConfig, reading_order, with_lines
from stream_ocr.step.regions import moved_lines, regions_to_read, reread_wider
from stream_ocr.step.view import View
from stream_ocr.tracking.tracker import Track, Tracker, TrackerConfig
from stream_ocr.types import Detection, FrameResult, Line

# How many times a region read is read again, wider, for a new line it cut through
# (``step.regions.reread_wider``): across the view, then grown to its room if still cut.
REREADS = 2


@dataclass(frozen=True)
class StepConfig:
    """The per-frame stages' settings: change detection, tracking, and a region of interest."""

    change: ChangeConfig = field(default_factory=ChangeConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    # Each a region (x0, y0, x1, y1) in frame pixels: only these parts of the frame are read, several
    # stacked as one picture (``view``); none: the whole frame.
    rois: tuple[Region, ...] = ()


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
    # The parts of the frame the engine read, each (x0, y0, x1, y1) in frame pixels; None: all.
    regions: tuple[Region, ...] | None = None

    @property
    def followed(self) -> bool:
        """The picture moved and nothing else changed: its lines moved with it, and the
        engine read no pixel."""
        return not self.skipped and self.regions == ()

    @property
    def pixels_read(self) -> int:
        """Pixels given to the engine: 0 for a skipped frame."""
        if self.skipped:
            return 0
        if self.regions is None:
            return self.width * self.height
        return sum((r[2] - r[0]) * (r[3] - r[1]) for r in self.regions)

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
            "regions": [list(r) for r in self.regions] if self.regions is not None else None,
            "lines": [line.to_dict() for line in self.lines],
            "detections": [w.to_dict() for w in self.words],
        }


def summed(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """Two reads' timings, stage by stage."""
    return {k: a.get(k, 0.0) + b.get(k, 0.0) for k in {**a, **b}}


class FrameStep:
    """Call with each frame (BGR uint8) and its time, in time order; not thread-safe."""

    def __init__(
        self,
        engine: FrameReader,
        config: StepConfig | None = None,
        *,
        keyframe_phase: float = 0.0,
        text: TextConfig | None = None,
        on_track_end: Callable[[Track], None] | None = None,
    ) -> None:
        """``text``: how the engine's words become lines; by default the engine's own.
        ``on_track_end`` is told of each track as it ends (the live history)."""
        self.engine = engine
        self.config = config or StepConfig()
        self.text = text or engine.text_config
        self.gate = ChangeGate(self.config.change, keyframe_phase)
        self.tracker = Tracker(self.config.tracker, on_end=on_track_end)
        self.cutter = View(self.config.rois)
        self.shown: tuple[Line, ...] = ()
        # The engine's lines of the last read, in the view's pixels: what a region read keeps.
        self.read_lines: tuple[Line, ...] = ()
        self.read_count = 0
        self.skipped_count = 0
        # Of the reads, those of a region only.
        self.region_count = 0

    # What ``state`` leaves out: the engine and how this step was made.
    _MADE = ("engine", "config", "text")

    def state(self) -> dict[str, Any]:
        """Everything this step has learnt from the frames so far (gate, tracker, lines
        shown), for a video job's checkpoint (``video.resume``); ``restore`` puts it back."""
        state = {k: v for k, v in vars(self).items() if k not in self._MADE}
        state["tracker"] = copy.copy(self.tracker)
        state["tracker"].on_end = None  # a callback is the caller's, not state
        return state

    def restore(self, state: dict[str, Any]) -> None:
        on_end = self.tracker.on_end
        vars(self).update(state)
        self.tracker.on_end = on_end

    def view(self, image: np.ndarray) -> np.ndarray:
        """The part of ``image`` this stream reads: its regions of interest, or all of it."""
        return self.cutter.cut(image)

    def unchanged(self, image: np.ndarray, t: float) -> bool:
        """True if this frame would be skipped as unchanged (a millisecond or two to tell)."""
        return self.gate.unchanged(self.view(image), t)

    def __call__(self, image: np.ndarray, t: float) -> StepResult:
        """Read ``image`` (seen at ``t`` seconds) if it changed; raises what the engine raises."""
        view = self.view(image)
        decision = self.gate.decide(view, t)
        if not decision.read:
            self.tracker.carry_forward(t)
            self.skipped_count += 1
            return StepResult(t, True, self.shown, image.shape[1], image.shape[0])
        regions = decision.regions
        before = self.read_lines
        if decision.warp is not None and regions is not None:
            before, again = moved_lines(before, decision.warp, view.shape, decision.held_still)
            regions = (*regions, *again)
        if regions is not None:
            regions = regions_to_read(regions, before, view.shape)
        try:
            if regions == ():  # the picture moved and nothing else changed: the lines only move
                result = FrameResult(view.shape[1], view.shape[0], (), self.engine.name, {"total": 0.0}, ())
            else:
                result = with_lines(self.engine.read(view, regions), self.text)
                # A new line the changed regions cut through (a subtitle fading in changes
                # least at its ends: "have to..." was read "have to."): read again, wider.
                for _ in range(REREADS):
                    if regions is None or (wider := reread_wider(regions, result.lines, before, view.shape)) == regions:
                        break
                    regions, first = wider, result.timings_ms
                    result = with_lines(self.engine.read(view, regions), self.text)
                    result = replace(result, timings_ms=summed(first, result.timings_ms))
        except Exception:
            self.gate.forget()
            raise
        lines, kept = result.lines, ()
        if regions is not None:
            self.region_count += 1
            kept = tuple(line for line in before if not any(overlaps(line.bbox, r) for r in regions))
            lines = kept + tuple(lines)
        self.read_lines = tuple(reading_order(lines))
        lines = self.read_lines
        lines = tuple(self.cutter.line_to_frame(line) for line in lines)
        # The lines carried from the last read keep their tracks but cast no new vote.
        carried = {self.cutter.line_to_frame(line).points for line in kept}
        self.shown = self.tracker.update(lines, t, decision.moved, carried=lambda line: line.points in carried)
        self.read_count += 1
        if regions is not None:
            regions = tuple(self.cutter.rect_to_frame(r) for r in regions)
        return StepResult(t, False, self.shown, image.shape[1], image.shape[0], result, regions)
