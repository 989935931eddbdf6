"""Boxes on the picture: the one place for a polygon's bounding box, centre, overlap and rounding.

A text's place is a 4-point polygon (clockwise from its top-left, as ``types.Detection``
holds it); comparisons are made on axis-aligned boxes ``(x0, y0, x1, y1)``. Every module
that needs one of these takes it from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Box = tuple[float, float, float, float]


def bbox(points: Iterable[Sequence[float]]) -> Box:
    """The axis-aligned box ``(x0, y0, x1, y1)`` around ``points``."""
    pts = list(points)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def centre(points: Sequence[Sequence[float]]) -> tuple[float, float]:
    """The mean of a polygon's corners."""
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: Box, b: Box) -> float:
    """The area two boxes share."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def iou(a: Box, b: Box) -> float:
    """Intersection over union, 0 for boxes of no area."""
    inter = intersection(a, b)
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def rounded(points: Iterable[Sequence[float]]) -> list[list[float]]:
    """Points as JSON holds them: a tenth of a pixel."""
    return [[round(x, 1), round(y, 1)] for x, y in points]
