"""The result types every stage speaks: detections and per-frame results.

Plain frozen dataclasses, validated when built. Boxes are in the original
frame's pixels and the frame's size travels with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from stream_ocr.geometry import bbox, rounded

Point = tuple[float, float]


@dataclass(frozen=True)
class Detection:
    """One piece of text: a 4-point polygon (clockwise from top-left), its text and confidence.

    ``confidence`` is in [0, 1], or None when the recognizer gives none.
    ``track_id`` is set by the tracker, when one runs.
    """

    points: tuple[Point, Point, Point, Point]
    text: str
    confidence: float | None = None
    track_id: int | None = None

    def __post_init__(self) -> None:
        if len(self.points) != 4 or any(len(p) != 2 for p in self.points):
            raise ValueError(f"a detection needs 4 (x, y) points, got {self.points!r}")
        if any(not math.isfinite(v) for p in self.points for v in p):
            raise ValueError("detection points must be finite")
        if self.confidence is not None and not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    @classmethod
    def from_array(cls, box: Any, text: str, confidence: float | None) -> Detection:
        """Build from a 4x2 array-like of points."""
        pts = tuple((float(x), float(y)) for x, y in box)
        return cls(points=pts, text=text, confidence=confidence)  # type: ignore[arg-type]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Axis-aligned (x0, y0, x1, y1)."""
        return bbox(self.points)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "points": rounded(self.points),
            "text": self.text,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }
        if self.track_id is not None:
            out["track_id"] = self.track_id
        return out


@dataclass(frozen=True)
class Line(Detection):
    """Words that share one line of text, in reading order; its text joins theirs with spaces.

    ``points`` enclose all the words; ``confidence`` is the words' mean, weighted by
    length. ``block`` numbers the block the line belongs to within its frame: stacked
    lines that belong together, such as a two-line subtitle, share one.
    """

    words: tuple[Detection, ...] = ()
    block: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["block"] = self.block
        out["words"] = [w.to_dict() for w in self.words]
        return out


@dataclass(frozen=True)
class FrameResult:
    """What an engine found in one frame, with the frame's size and the time each stage took.

    ``detections`` are the engine's own boxes (words, for keras-ocr); ``lines`` group
    them into lines and blocks, in reading order (``stream_ocr.step.lines``).
    """

    width: int
    height: int
    detections: tuple[Detection, ...]
    engine: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    lines: tuple[Line, ...] = ()

    @property
    def text(self) -> str:
        """The lines found, in reading order, one per line."""
        if self.lines:
            return "\n".join(line.text for line in self.lines)
        return "\n".join(d.text for d in reading_order(self.detections))

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "width": self.width,
            "height": self.height,
            "detections": [d.to_dict() for d in self.detections],
            "lines": [line.to_dict() for line in self.lines],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


def shift(det: Detection, dx: float, dy: float) -> Detection:
    """``det`` (a word or a line, with its words) moved by (dx, dy) pixels."""
    points = tuple((x + dx, y + dy) for x, y in det.points)
    if isinstance(det, Line):
        words = tuple(shift(w, dx, dy) for w in det.words)
        return Line(points, det.text, det.confidence, det.track_id, words, det.block)  # type: ignore[arg-type]
    return Detection(points, det.text, det.confidence, det.track_id)  # type: ignore[arg-type]


def warped(det: Detection, matrix: tuple[float, ...]) -> Detection:
    """``det`` (a word or a line, with its words) moved by a 2x3 matrix (row by row)."""
    a, b, c, d, e, f = matrix
    points = tuple((a * x + b * y + c, d * x + e * y + f) for x, y in det.points)
    if isinstance(det, Line):
        words = tuple(warped(w, matrix) for w in det.words)
        return Line(points, det.text, det.confidence, det.track_id, words, det.block)  # type: ignore[arg-type]
    return Detection(points, det.text, det.confidence, det.track_id)  # type: ignore[arg-type]


def text_angle(detections: list[Detection]) -> float:
    """The median direction of the boxes' top edges: 0 for upright text."""
    angles = sorted(math.atan2(d.points[1][1] - d.points[0][1], d.points[1][0] - d.points[0][0]) for d in detections)
    return angles[len(angles) // 2] if angles else 0.0


def reading_order(detections: tuple[Detection, ...] | list[Detection]) -> list[Detection]:
    """Sort into lines (by vertical overlap), then left to right within a line.

    "Vertical" and "left" are the text's own: a page turned sideways or upside down is
    read in its reading order, not the screen's.
    """
    detections = list(detections)
    angle = text_angle(detections)
    cos, sin = math.cos(-angle), math.sin(-angle)

    def extent(det: Detection) -> tuple[float, float, float, float]:
        xs = [x * cos - y * sin for x, y in det.points]
        ys = [x * sin + y * cos for x, y in det.points]
        return min(xs), min(ys), max(xs), max(ys)

    boxes = {id(d): extent(d) for d in detections}
    lines: list[list[Detection]] = []
    for det in sorted(detections, key=lambda d: (boxes[id(d)][1] + boxes[id(d)][3]) / 2):
        _, y0, _, y1 = boxes[id(det)]
        cy = (y0 + y1) / 2
        for line in lines:
            ly0 = sum(boxes[id(d)][1] for d in line) / len(line)
            ly1 = sum(boxes[id(d)][3] for d in line) / len(line)
            if ly0 <= cy <= ly1:
                line.append(det)
                break
        else:
            lines.append([det])
    return [d for line in lines for d in sorted(line, key=lambda d: boxes[id(d)][0])]


@dataclass(frozen=True)
class Frame:
    """One captured frame on its way to inference.

    ``image`` is BGR uint8, or the encoded bytes a browser sent (the inference thread
    decodes them, so no decoding happens on the event loop). ``captured_at`` is wall-clock
    time (``time.time()``); ``position_s`` is the time within a video file, if any.
    """

    stream_id: str
    frame_id: int
    image: Any
    captured_at: float
    position_s: float | None = None
