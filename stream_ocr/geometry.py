"""Boxes on the picture: the one place for boxes, regions and the arithmetic on them.

A text's place is a 4-point polygon (clockwise from its top-left, as ``types.Detection``
holds it); comparisons are made on axis-aligned boxes ``(x0, y0, x1, y1)``. A ``Region``
is the same, in whole pixels: a part of a frame to read. One convention everywhere:
(x, y, w, h) exists only where a user types it (``--roi``) or a file shows it, and is
converted here. Every module that needs one of these takes it from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

Box = tuple[float, float, float, float]
# A part of a frame, in whole pixels: (x0, y0, x1, y1), x1 and y1 excluded.
Region = tuple[int, int, int, int]


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


def region_from_xywh(x: int, y: int, w: int, h: int) -> Region:
    """The region of a user's (x, y, w, h)."""
    return x, y, x + w, y + h


def xywh(region: Region) -> tuple[int, int, int, int]:
    """A region as (x, y, w, h), as ``--roi`` takes it and summary.json shows it."""
    x0, y0, x1, y1 = region
    return x0, y0, x1 - x0, y1 - y0


def region_area(regions: Iterable[Region]) -> int:
    """The pixels in ``regions``, counting twice what two of them share."""
    return sum((r[2] - r[0]) * (r[3] - r[1]) for r in regions)


def meet(a: Box, b: Box, touching: bool = True) -> bool:
    """Whether two boxes overlap, or with ``touching`` also share only an edge."""
    if touching:
        return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
    return overlaps(a, b)


def merge_boxes(boxes: Iterable[Region], touching: bool = True) -> list[Region]:
    """Boxes that overlap (or, with ``touching``, only touch), merged until none do; sorted."""
    out: list[Region] = []
    for box in boxes:
        while True:
            hit = next((k for k, other in enumerate(out) if meet(box, other, touching)), None)
            if hit is None:
                break
            other = out.pop(hit)
            box = (min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3]))
        out.append(box)
    return sorted(out)


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


def polygon_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two polygons (their convex hulls), as ICDAR scores boxes."""
    a = cv2.convexHull(np.asarray(a, dtype=np.float32))
    b = cv2.convexHull(np.asarray(b, dtype=np.float32))
    area_a, area_b = cv2.contourArea(a), cv2.contourArea(b)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = area_a + area_b - inter
    return float(inter / union) if union > 0 else 0.0
