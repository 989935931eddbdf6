"""The result types every stage speaks: detections and per-frame results.

Plain frozen dataclasses, validated when built. Boxes are in the original
frame's pixels and the frame's size travels with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

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
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "points": [[round(x, 1), round(y, 1)] for x, y in self.points],
            "text": self.text,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }
        if self.track_id is not None:
            out["track_id"] = self.track_id
        return out


@dataclass(frozen=True)
class FrameResult:
    """What an engine found in one frame, with the frame's size and the time each stage took."""

    width: int
    height: int
    detections: tuple[Detection, ...]
    engine: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The texts found, in reading order (top to bottom, then left to right), one per line."""
        return "\n".join(d.text for d in reading_order(self.detections))

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "width": self.width,
            "height": self.height,
            "detections": [d.to_dict() for d in self.detections],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


def reading_order(detections: tuple[Detection, ...] | list[Detection]) -> list[Detection]:
    """Sort into lines (by vertical overlap), then left to right within a line."""
    lines: list[list[Detection]] = []
    for det in sorted(detections, key=lambda d: (d.bbox[1] + d.bbox[3]) / 2):
        x0, y0, x1, y1 = det.bbox
        cy = (y0 + y1) / 2
        for line in lines:
            ly0 = sum(d.bbox[1] for d in line) / len(line)
            ly1 = sum(d.bbox[3] for d in line) / len(line)
            if ly0 <= cy <= ly1:
                line.append(det)
                break
        else:
            lines.append([det])
    return [d for line in lines for d in sorted(line, key=lambda d: d.bbox[0])]
