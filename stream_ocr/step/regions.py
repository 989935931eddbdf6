"""Which parts of a changed frame are read: the change gate's regions, made whole and apart.

Owns the region bookkeeping between the change gate and the engine: each changed region
grown to hold the lines it touches whole, stacked halves joined, overlapping regions
made apart, the lines read before moved with the picture, and the regions to read again
when a read cut a new line. It reads no pixel.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from stream_ocr.geometry import Box, Region, area, cut_back, intersection, overlaps
from stream_ocr.types import Line, warped

# The room a line read before gets around its box when its region is read again, in line
# heights (the recogniser's margin). More costs pixels on every region read and changes the
# crop the detector sees: with 0.6 along, the glare sample's garbled "community garden"
# split in two tracks, and with 1.5 the slides' "2/5" was "S/Z".
ROOM = 0.25
# A new line (one that overlaps no line read before) whose box comes this close to its
# region's edge, in line heights, along it and across it, was cut by the region: the
# detector stops at the picture it is given.
CUT_ALONG = 0.5
CUT_ACROSS = 0.1


def regions_to_read(regions: tuple[Region, ...], lines: tuple[Line, ...], shape: tuple[int, ...]) -> tuple[Region, ...]:
    """Each changed region grown to hold the lines it touches whole; those that then
    overlap, made apart (``apart``; regions that only touch are read apart: a strip along
    the top and one down a side)."""
    grown = [grown_to_lines(r, lines, shape) for r in regions]
    return tuple(sorted(apart(stacked_joined(grown), lines, shape)))


def reread_wider(
    regions: tuple[Region, ...], lines: tuple[Line, ...], known: tuple[Line, ...], shape: tuple[int, ...]
) -> tuple[Region, ...]:
    """The regions to read again after a region read that cut a new line (one that overlaps
    none of the ``known`` lines read before, whose box reaches the edge of its region, short
    of the view's: a subtitle fading in changes least at its ends). A line cut at an end is
    read again in its strip across the whole view (how far it runs on is not known); one cut
    at its top or bottom, in its box with its room. All with
    the regions, grown to hold whole the lines they touch (``lines`` and the ``known`` lines
    read before) and made apart. ``regions`` themselves when no line was cut."""
    h, w = shape[:2]
    more = []
    for line in lines:
        if any(overlaps(line.bbox, old.bbox) for old in known):
            continue  # read before: its region was grown to hold it
        x0, y0, x1, y1 = line.bbox
        height = y1 - y0
        region = max(regions, key=lambda r: intersection(r, line.bbox))
        room = ROOM * height
        top, bottom = max(0, int(y0 - room)), min(h, int(y1 + room) + 1)
        if (region[0] > 0 and x0 - region[0] < CUT_ALONG * height) or (
            region[2] < w and region[2] - x1 < CUT_ALONG * height
        ):
            more.append((0, top, w, bottom))
        elif (region[1] > 0 and y0 - region[1] < CUT_ACROSS * height) or (
            region[3] < h and region[3] - y1 < CUT_ACROSS * height
        ):
            more.append((max(0, int(x0 - room)), top, min(w, int(x1 + room) + 1), bottom))
    if not more:
        return regions
    return regions_to_read((*regions, *more), (*known, *lines), shape)


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


def grown_to_lines(region: Region, lines: tuple[Line, ...], shape: tuple[int, ...]) -> Region:
    """``region`` grown until it holds every line it touches whole, with its room
    (``ROOM``), so that a line of which only a part changed (one
    digit of a counter) is read again whole, and a new line a region cut through is read
    again with its ends."""
    x0, y0, x1, y1 = region
    for _ in range(3):
        grown = (x0, y0, x1, y1)
        for line in lines:
            b = line.bbox
            if overlaps(b, (x0, y0, x1, y1)):
                room = ROOM * (b[3] - b[1])
                x0, y0 = min(x0, int(b[0] - room)), min(y0, int(b[1] - room))
                x1, y1 = max(x1, int(b[2] + room) + 1), max(y1, int(b[3] + room) + 1)
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
    return tuple(inside), again
