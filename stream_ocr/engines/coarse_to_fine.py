"""Detect text on fewer pixels: find it on a coarse pass, box it at full scale.

Owns one decision of the detector's two-pass mode (``EngineConfig.detect_coarse_side``),
and nothing of running a network: ``text_components`` and ``padded_regions`` turn the
coarse pass's score map (``text_finder``'s text probabilities, or CRAFT's own region
scores on a coarse copy) into the rectangles of the frame worth detecting at the full
scale. Every component of the map above ``find_score`` (for CRAFT far below its
detection threshold, so that text too small or faint to give a box at the coarse scale
is still found) becomes a rectangle padded by twice its own height, and rectangles that
meet are merged. CRAFT then runs at the full scale on those rectangles only, and its
boxes there are the frame's boxes: they are as tight as a one-pass detector's, which the
recogniser needs (boxes taken from CRAFT's coarse map itself read worse: CER 0.120
against 0.104 at 960 px on training photos), except where ``boxed_at_coarse`` finds all
of a region's words big enough to keep CRAFT's coarse boxes.

A frame with text on a third of its area costs the coarse pass and that third; a frame
with no text, the coarse pass only.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from stream_ocr.geometry import Region, merge_boxes


@dataclass(frozen=True)
class FindConfig:
    """What the coarse pass counts as text; scores are its map's (0-1), and cells are its map's."""

    find_score: float = 0.2
    # A component smaller than this, in score-map cells, is noise.
    min_cells: int = 4
    # Padding around each component, as a multiple of its height (at least ``min_pad`` px),
    # so that the fine pass sees a word whole, with the context CRAFT needs around it.
    pad: float = 2.0
    min_pad: int = 16
    # Each region is then grown to a multiple of this many pixels at the full scale. 64
    # gained on 100 ICDAR 2015 training photos (7.7% fewer detector pixels, F1 0.550
    # against 0.546: tools/tune_coarse.py --steps) but lost on the validation photos (F1
    # 0.648 against 0.662, peak RSS 82 MB higher: more shapes), so 128 (BENCHMARKS.md).
    step: int = 128


def text_components(textmap: np.ndarray, to_frame: float, shape: tuple[int, ...], config: FindConfig) -> list[Region]:
    """Each component of text the coarse pass found, as its bounding rectangle in the pixels
    of a frame of ``shape`` (unpadded); ``textmap`` is that pass's score map, one cell of
    which is ``to_frame`` frame pixels (CRAFT's region scores at scale ``coarse``: ``2 /
    coarse``; the text finder's probabilities: ``1 / coarse``)."""
    h, w = shape[:2]
    mask = (textmap > config.find_score).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    rects = []
    for i in range(1, count):
        x, y, cw, ch, cells = (int(v) for v in stats[i])
        if cells < config.min_cells:
            continue
        x0, y0 = int(x * to_frame), int(y * to_frame)
        x1, y1 = min(w, int(np.ceil((x + cw) * to_frame))), min(h, int(np.ceil((y + ch) * to_frame)))
        rects.append((x0, y0, x1, y1))
    return rects


def padded_regions(components: list[Region], shape: tuple[int, ...], config: FindConfig) -> list[Region]:
    """The components padded by ``pad`` times their height (at least ``min_pad``), merged where they meet."""
    h, w = shape[:2]
    rects = []
    for x0, y0, x1, y1 in components:
        pad = max(config.min_pad, config.pad * (y1 - y0))
        rects.append(
            (
                max(0, int(x0 - pad)),
                max(0, int(y0 - pad)),
                min(w, int(np.ceil(x1 + pad))),
                min(h, int(np.ceil(y1 + pad))),
            )
        )
    return merge_boxes(rects)


def box_height(box: np.ndarray) -> float:
    """The shorter side of a 4-point box: the height of a word's box, whichever way it runs."""
    p = np.asarray(box, dtype=np.float32)
    return float(min(np.linalg.norm(p[1] - p[0]), np.linalg.norm(p[3] - p[0])))


def _inside(x: float, y: float, rect: Region) -> bool:
    return bool(rect[0] <= x < rect[2] and rect[1] <= y < rect[3])


def _centre_in(box: np.ndarray, rect: Region) -> bool:
    cx, cy = np.asarray(box, dtype=np.float32).mean(axis=0)
    return _inside(float(cx), float(cy), rect)


def boxed_at_coarse(
    region: Region, components: list[Region], boxes: list[np.ndarray], min_height: float
) -> list[np.ndarray] | None:
    """The coarse pass's own boxes of ``region`` (frame pixels), when they are good enough to
    skip the full-scale pass there; else None.

    They are when the region holds at least one box, every box in it is at least
    ``min_height`` frame pixels high (big text is boxed as tightly at the coarse scale as at
    the full one, give or take a map cell), and every text component in it has a box (text too
    faint or small for a coarse box is boxed at the full scale)."""
    inside = [b for b in boxes if _centre_in(b, region)]
    if not inside or min(box_height(b) for b in inside) < min_height:
        return None
    for comp in components:
        if not _inside((comp[0] + comp[2]) / 2, (comp[1] + comp[3]) / 2, region):
            continue
        if not any(_centre_in(b, comp) for b in inside):
            return None
    return inside


def grown_to_multiple(rect: Region, step: float, shape: tuple[int, ...]) -> Region:
    """``rect`` grown about its centre until each side is a multiple of ``step`` frame pixels
    (kept inside the frame; a side that would pass the frame's becomes the frame's), so that
    the full-scale pass meets few distinct shapes: each shape it meets costs memory
    (oneDNN keeps kernels per shape), and more context around the text costs nothing in
    accuracy."""
    h, w = shape[:2]
    x0, y0, x1, y1 = rect

    def grow(a: int, b: int, limit: int) -> tuple[int, int]:
        size = min(limit, int(np.ceil(np.ceil((b - a) / step - 1e-6) * step)))
        start = min(max(0, a - (size - (b - a)) // 2), limit - size)
        return start, start + size

    x0, x1 = grow(x0, x1, w)
    y0, y1 = grow(y0, y1, h)
    return x0, y0, x1, y1


def grown_regions(rects: list[Region], step: float, shape: tuple[int, ...]) -> list[Region]:
    """``rects`` grown to multiples of ``step`` and merged where they then meet, until every
    one is a multiple (or the frame's side) and none meet."""
    for _ in range(8):
        grown = merge_boxes([grown_to_multiple(r, step, shape) for r in rects])
        if grown == rects:
            break
        rects = grown
    return rects
