"""One stream's stages after capture, the same for live streams and video files.

Owns the per-frame step: the view (regions of interest) -> change gate (is this frame worth
reading, and which part?) -> engine (words, junk dropped, lines) -> tracker (lines
across frames, fused text). A frame that has not changed is not read: the lines on
screen carry forward. A frame that changed in one small region has only that region
read: the lines elsewhere carry forward, and the lines it touches are read again; when
the picture moved (a pan, a scroll), the lines carried forward move with it. It
owns no thread and no queue: the live inference worker and the video loop call it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from stream_ocr.engines.base import FrameReader
from stream_ocr.geometry import Box, area, intersection, overlaps
from stream_ocr.step.change import ChangeConfig, ChangeGate, Region
from stream_ocr.step.view import Roi, View
from stream_ocr.tracking.tracker import Tracker, TrackerConfig
from stream_ocr.types import Detection, FrameResult, Line, reading_order, warped


@dataclass(frozen=True)
class StepConfig:
    """The per-frame stages' settings: change detection, tracking, and a region of interest."""

    change: ChangeConfig = field(default_factory=ChangeConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    # Each (x, y, w, h) in frame pixels: only these parts of the frame are read, several
    # stacked as one picture (``view``); none: the whole frame.
    rois: tuple[Roi, ...] = ()


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


def regions_to_read(regions: tuple[Region, ...], lines: tuple[Line, ...], shape: tuple[int, ...]) -> tuple[Region, ...]:
    """Each changed region grown to hold the lines it touches whole; those that then
    overlap, made apart (``apart``; regions that only touch are read apart: a strip along
    the top and one down a side)."""
    grown = [grown_to_lines(r, lines, shape) for r in regions]
    return tuple(sorted(apart(stacked_joined(grown), lines, shape)))


def stacked_joined(regions: list[Region]) -> list[Region]:
    """Regions one on top of the other, touching along most of the narrower one's width,
    made one when that one is wider than high: new text not yet known as a line may sit
    across their shared edge (a subtitle appearing was read as its upper and lower halves,
    each garbage). A strip down a side is higher than wide, and stays apart."""
    boxes = list(regions)
    while True:
        pair = next(
            ((i, k) for i, k in itertools.permutations(range(len(boxes)), 2) if _stacked(boxes[i], boxes[k])), None
        )
        if pair is None:
            return boxes
        i, k = pair
        a, b = boxes[i], boxes[k]
        boxes[i] = (min(a[0], b[0]), a[1], max(a[2], b[2]), b[3])
        del boxes[k]


def _stacked(above: Region, below: Region) -> bool:
    if abs(above[3] - below[1]) > 1:
        return False
    narrow = min(above, below, key=lambda r: r[2] - r[0])
    shared = min(above[2], below[2]) - max(above[0], below[0])
    return shared >= 0.5 * (narrow[2] - narrow[0]) and narrow[2] - narrow[0] > narrow[3] - narrow[1]


def apart(regions: list[Region], lines: tuple[Line, ...], shape: tuple[int, ...]) -> list[Region]:
    """Regions that overlap no more: two that do become their bounding box, unless that
    box is much larger than the two (an L: a strip down a side, against a strip along the
    bottom grown to hold a subtitle, would make the whole frame); then one is cut back to
    the other's edge where the other reaches across it, if every line it touches stays
    whole (``separated``)."""
    boxes = list(regions)
    while True:
        pairs = itertools.combinations(range(len(boxes)), 2)
        pair = next(((i, k) for i, k in pairs if overlaps(boxes[i], boxes[k])), None)
        if pair is None:
            return boxes
        i, k = pair
        a, b = boxes[i], boxes[k]
        both = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        union = area(a) + area(b) - intersection(a, b)
        parts = separated(a, b, lines, shape) if area(both) > 1.25 * union else None
        if parts is None:
            boxes[i] = both
            del boxes[k]
        else:
            boxes[i], boxes[k] = parts


def separated(a: Region, b: Region, lines: tuple[Line, ...], shape: tuple[int, ...]) -> tuple[Region, Region] | None:
    """``a`` and ``b``, one of them cut back so that they no longer overlap and no line it
    touches is cut; None if neither can be."""
    cut = cut_back(b, a)
    if cut is not None and grown_to_lines(cut, lines, shape) == cut:
        return a, cut
    cut = cut_back(a, b)
    if cut is not None and grown_to_lines(cut, lines, shape) == cut:
        return cut, b
    return None


def cut_back(b: Region, a: Region) -> Region | None:
    """``b`` without the part ``a`` covers, when ``a`` reaches across ``b`` and covers one
    of its ends (what is left is one box); else None."""
    if a[0] <= b[0] and a[2] >= b[2]:  # across b, left to right
        if a[1] <= b[1] < a[3] < b[3]:
            return b[0], a[3], b[2], b[3]
        if b[1] < a[1] < b[3] <= a[3]:
            return b[0], b[1], b[2], a[1]
    if a[1] <= b[1] and a[3] >= b[3]:  # across b, top to bottom
        if a[0] <= b[0] < a[2] < b[2]:
            return a[2], b[1], b[2], b[3]
        if b[0] < a[0] < b[2] <= a[2]:
            return b[0], b[1], a[0], b[3]
    return None


def grown_to_lines(region: Region, lines: tuple[Line, ...], shape: tuple[int, ...]) -> Region:
    """``region`` grown until it holds every line it touches whole, so that a line of which
    only a part changed (one digit of a counter) is read again whole."""
    x0, y0, x1, y1 = region
    for _ in range(3):
        grown = (x0, y0, x1, y1)
        for line in lines:
            b = line.bbox
            if overlaps(b, (x0, y0, x1, y1)):
                pad = 0.25 * (b[3] - b[1])  # the recognizer's margin needs pixels around the box
                x0, y0 = min(x0, int(b[0] - pad)), min(y0, int(b[1] - pad))
                x1, y1 = max(x1, int(b[2] + pad) + 1), max(y1, int(b[3] + pad) + 1)
        if (x0, y0, x1, y1) == grown:
            break
    return max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1)


def moved_lines(
    lines: tuple[Line, ...], warp: tuple[float, ...], shape: tuple[int, ...], stays: Callable[[Box], bool] | None = None
) -> tuple[tuple[Line, ...], list[Region]]:
    """The lines read before, moved with the picture (``warp``: a 2x3 matrix, row by row),
    but those for which ``stays(bbox)`` is true (an overlay that held still). A line no
    longer wholly in view is dropped, and the part of it still in view is returned, to be
    read again."""
    h, w = shape[:2]
    inside, again = [], []
    for line in lines:
        if stays is not None and stays(line.bbox):
            inside.append(line)
            continue
        moved_line = warped(line, warp)
        x0, y0, x1, y1 = moved_line.bbox
        if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h:
            inside.append(moved_line)
        elif x1 > 0 and y1 > 0 and x0 < w and y0 < h:
            again.append((max(0, int(x0)), max(0, int(y0)), min(w, int(x1) + 1), min(h, int(y1) + 1)))
    return tuple(inside), again  # type: ignore[return-value]


class FrameStep:
    """Call with each frame (BGR uint8) and its time, in time order; not thread-safe."""

    def __init__(self, engine: FrameReader, config: StepConfig | None = None, keyframe_phase: float = 0.0) -> None:
        self.engine = engine
        self.config = config or StepConfig()
        self.gate = ChangeGate(self.config.change, keyframe_phase)
        self.tracker = Tracker(self.config.tracker)
        self.cutter = View(self.config.rois)
        self.shown: tuple[Line, ...] = ()
        # The engine's lines of the last read, in the view's pixels: what a region read keeps.
        self.read_lines: tuple[Line, ...] = ()
        self.read_count = 0
        self.skipped_count = 0
        # Of the reads, those of a region only.
        self.region_count = 0

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
                result = self.engine.read(view, regions)
        except Exception:
            self.gate.forget()
            raise
        lines = result.lines
        if regions is not None:
            self.region_count += 1
            kept = tuple(line for line in before if not any(overlaps(line.bbox, r) for r in regions))
            lines = kept + tuple(lines)
        self.read_lines = tuple(reading_order(lines))  # type: ignore[arg-type]
        lines = self.read_lines
        lines = tuple(self.cutter.line_to_frame(line) for line in lines)
        self.shown = self.tracker.update(lines, t, decision.moved)  # type: ignore[assignment]
        self.read_count += 1
        if regions is not None:
            regions = tuple(self.cutter.rect_to_frame(r) for r in regions)
        return StepResult(t, False, self.shown, image.shape[1], image.shape[0], result, regions)
