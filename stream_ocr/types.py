"""The result types every stage speaks: detections and per-frame results.

Plain frozen dataclasses, validated when built. Boxes are in the original
frame's pixels and the frame's size travels with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

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
        _check_place("a detection", self.points, self.confidence)

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
        return _place_dict(self)


@dataclass(frozen=True)
class Line:
    """Words that share one line of text, in reading order; its text joins theirs with spaces.

    A line holds its words; it is not one. ``points`` enclose all the words;
    ``confidence`` is the words' mean, weighted by length. ``block`` numbers the block the
    line belongs to within its frame: stacked lines that belong together, such as a
    two-line subtitle, share one. ``track_id`` is set by the tracker.
    """

    points: tuple[Point, Point, Point, Point]
    text: str
    confidence: float | None = None
    track_id: int | None = None
    words: tuple[Detection, ...] = ()
    block: int = 0

    def __post_init__(self) -> None:
        _check_place("a line", self.points, self.confidence)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Axis-aligned (x0, y0, x1, y1)."""
        return bbox(self.points)

    def to_dict(self) -> dict[str, Any]:
        return {**_place_dict(self), "block": self.block, "words": [w.to_dict() for w in self.words]}


# A word or a line: what the tracker follows and boxes are drawn for.
Placed = Detection | Line
P = TypeVar("P", Detection, Line)


def _check_place(what: str, points: Any, confidence: float | None) -> None:
    if len(points) != 4 or any(len(p) != 2 for p in points):
        raise ValueError(f"{what} needs 4 (x, y) points, got {points!r}")
    if any(not math.isfinite(v) for p in points for v in p):
        raise ValueError(f"{what}'s points must be finite")
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence must be in [0, 1], got {confidence}")


def _place_dict(item: Placed) -> dict[str, Any]:
    """What a word and a line share in JSON: points, text, confidence, and a track id if any."""
    out: dict[str, Any] = {
        "points": rounded(item.points),
        "text": item.text,
        "confidence": None if item.confidence is None else round(item.confidence, 4),
    }
    if item.track_id is not None:
        out["track_id"] = item.track_id
    return out


@dataclass(frozen=True)
class FrameResult:
    """What was found in one frame, with the frame's size and the time each stage took.

    ``detections`` are the engine's own boxes (words, for keras-ocr). ``lines`` are empty
    as an engine returns its result; the line stage after it (``step.lines.with_lines``)
    drops the junk words and groups the rest into lines and blocks, in reading order.
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
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "width": self.width,
            "height": self.height,
            "detections": [d.to_dict() for d in self.detections],
            "lines": [line.to_dict() for line in self.lines],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


def shift(det: P, dx: float, dy: float) -> P:
    """``det`` (a word, or a line with its words) moved by (dx, dy) pixels."""
    return warped(det, (1.0, 0.0, dx, 0.0, 1.0, dy))


def warped(det: P, matrix: tuple[float, ...]) -> P:
    """``det`` (a word, or a line with its words) moved by a 2x3 matrix (row by row)."""
    a, b, c, d, e, f = matrix
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = det.points
    points = (
        (a * x0 + b * y0 + c, d * x0 + e * y0 + f),
        (a * x1 + b * y1 + c, d * x1 + e * y1 + f),
        (a * x2 + b * y2 + c, d * x2 + e * y2 + f),
        (a * x3 + b * y3 + c, d * x3 + e * y3 + f),
    )
    if isinstance(det, Line):
        return replace(det, points=points, words=tuple(warped(w, matrix) for w in det.words))
    return replace(det, points=points)


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
