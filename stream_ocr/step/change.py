"""Is this frame worth reading, and which part of it? Local change detection with keyframes.

Owns the decision only. A frame is compared with the last frame that was read, cell by
cell over a grid of a small, blurred grey copy: the largest cell difference counts, so a
change confined to one corner (a page counter, one letter of a slide, a score) is seen
however still the rest of the frame is. When the changed cells cover a small part of
the frame, only that region (with a margin) needs reading. When the whole picture moved
(a pan, a scroll, a slow zoom: ``picture_motion``), the comparison is made with the last
frame read moved as far, or as it was where an overlay held still, so only the newly
shown strips along the edges and what changed meanwhile are read. The whole frame is
read anyway once ``keyframe_s`` has passed since the last whole read. It runs no OCR;
live streams and video files use it alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from stream_ocr.errors import BadInputError
from stream_ocr.geometry import Region, area, intersection, merge_boxes
from stream_ocr.settings import setting
from stream_ocr.step.picture_motion import followed_motion, largest_move, picture_motion, picture_shift


@dataclass(frozen=True)
class ChangeConfig:
    # A cell whose mean absolute difference (0-1) reaches this counts as changed; 0 reads
    # every frame.
    threshold: float = setting(
        0.03,
        flag="--change-threshold",
        help="skip frames where no part changed by this much since the last frame read (the largest "
        "per-cell mean abs difference, 0-1; 0 reads every sampled frame)",
    )
    # The signature: the frame shrunk to this width, in square cells of this many pixels.
    width: int = 480
    cell: int = 12
    # Where no cell changed, a second look in cells this small (0: none). A cell's
    # difference is its mean, so a small change is diluted by its cell: an editor's 19 px
    # timecode stepping changed cells of 12 (32 pixels of a 1280x720 frame) by 0.018-0.027
    # and was never read again; cells of 6, by 0.04 or more. Only then, so that what the
    # coarse cells see is read as before: cells of 6 throughout cut the regions otherwise,
    # and split a track of the glare sample (BENCHMARKS.md, "Session of 2026-12-08").
    fine_cell: int = 6
    # Read at least this often (seconds), changed or not.
    keyframe_s: float = setting(10.0, flag="--keyframe", help="read a frame at least this often, in seconds")
    enabled: bool = True
    # Read only the changed regions when their boxes (with ``region_margin`` pixels of the
    # signature around each) cover at most this share of the frame; above it, the whole frame.
    region_max_share: float = 0.5
    region_margin: int = 12
    # When the whole picture moved (a pan, a scroll), compare the frame with the last one
    # read moved by the same amount: only what that leaves changed (the newly shown strip,
    # text that changed meanwhile) is read, and the lines read before move with the picture.
    # The shift is found by phase correlation, and one whose peak is under
    # ``motion_response`` is not trusted (a cut, a fast zoom, a picture too plain to tell);
    # corners followed by optical flow then refine it with a small zoom or turn.
    follow_motion: bool = setting(
        True,
        flag="--no-follow-motion",
        help="read a frame whole when the picture moved as one (a pan, a scroll), instead of "
        "reading only the strip it newly shows",
    )
    motion_response: float = 0.3

    @property
    def reads_all(self) -> bool:
        """Every frame is read: the gate is off, or its threshold 0."""
        return not self.enabled or self.threshold == 0

    @property
    def regions(self) -> bool:
        return self.region_max_share > 0

    def __post_init__(self) -> None:
        if not 0 <= self.threshold < 1:
            raise BadInputError("the change threshold must be in [0, 1)")
        if self.keyframe_s <= 0:
            raise BadInputError("the keyframe interval must be positive")
        if self.width < 16 or self.cell < 2 or self.fine_cell < 0:
            raise BadInputError("the change signature needs width >= 16, cell >= 2 and fine_cell >= 0")
        if not 0 <= self.region_max_share <= 1 or self.region_margin < 0:
            raise BadInputError("region_max_share must be in [0, 1] (0: always the whole frame), region_margin >= 0")


@dataclass(frozen=True)
class Decision:
    """Whether to read a frame, and if only parts: ``regions``, each (x0, y0, x1, y1) in
    frame pixels; None reads the whole frame."""

    read: bool
    regions: tuple[Region, ...] | None = None
    # How far the whole picture moved since the last frame read, (dx, dy) in frame pixels
    # (``ChangeConfig.follow_motion``); None when it did not, or no one shift explains it.
    # With ``regions``, they are what that move left changed.
    moved: tuple[float, float] | None = None
    # The same move as a 2x3 matrix in frame pixels, row by row (a shift, and a small zoom
    # or turn when the picture's points say so): where a point of the last frame read is now.
    warp: tuple[float, ...] | None = None
    # With ``warp``: the parts of the frame that held still while the picture moved (a
    # subtitle, a score box, a logo over a moving camera), each (x0, y0, x1, y1) in frame
    # pixels. What was read there stays put; the rest moves with the picture.
    still: tuple[Region, ...] = ()
    # Cells of the signature left changed after the move (for choosing between readings).
    changed_cells: int = 0

    def held_still(self, box: tuple[float, float, float, float]) -> bool:
        """Whether most of ``box`` (frame pixels) lies in the parts that held still."""
        return sum(intersection(box, r) for r in self.still) > 0.5 * max(1.0, area(box))


def signature(image: np.ndarray, width: int = 480) -> np.ndarray:
    """A small, blurred grey copy of a BGR (or grey) frame, as float32."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height = max(1, round(width * gray.shape[0] / gray.shape[1]))
    small = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (5, 5), 0).astype(np.float32)


def cell_changes(previous: np.ndarray, current: np.ndarray, cell: int, unknown: np.ndarray | None = None) -> np.ndarray:
    """The mean absolute difference (0-1) of each cell of the grid (edge cells included);
    pixels where ``unknown`` is true count as wholly changed."""
    diff = np.abs(current - previous)
    if unknown is not None:
        diff[unknown] = 255.0
    h, w = diff.shape
    rows, cols = -(-h // cell), -(-w // cell)
    padded = np.zeros((rows * cell, cols * cell), np.float32)
    counts = np.zeros_like(padded)
    padded[:h, :w] = diff
    counts[:h, :w] = 1
    sums = padded.reshape(rows, cell, cols, cell).sum(axis=(1, 3))
    sizes = counts.reshape(rows, cell, cols, cell).sum(axis=(1, 3))
    return sums / np.maximum(sizes, 1) / 255


def largest_cell_change(previous: np.ndarray, current: np.ndarray, cell: int) -> float:
    """The largest mean absolute difference (0-1) over the grid's cells."""
    return float(cell_changes(previous, current, cell).max())


def moved_changes(
    previous: np.ndarray, current: np.ndarray, matrix: np.ndarray, cell: int
) -> tuple[np.ndarray, np.ndarray]:
    """``cell_changes`` against ``previous`` moved by ``matrix`` (2x3), each pixel matched
    within one pixel (the move is estimated to a fraction of one, and sharp edges would
    otherwise differ); what the moved frame does not cover is new. Returned twice: as
    that, and with a pixel also matching ``previous`` where it was (the letters of a
    subtitle that held still while the picture behind them moved match there, the
    picture between them after the move; what the move newly shows is new either way)."""
    h, w = current.shape
    best = np.full_like(current, np.inf)
    for ox in (-1, 0, 1):
        for oy in (-1, 0, 1):
            nudged = matrix + np.float32([[0, 0, ox], [0, 0, oy]])
            aligned = cv2.warpAffine(previous, nudged, (w, h), flags=cv2.INTER_LINEAR, borderValue=-1e4)
            np.minimum(best, np.abs(current - aligned), out=best)
    covered = cv2.warpAffine(np.ones_like(previous), matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    unknown = covered < 0.5
    zero = np.zeros_like(current)
    best = np.minimum(best, 255.0)
    after_move = cell_changes(zero, best, cell, unknown=unknown)
    either = cell_changes(zero, np.minimum(best, np.abs(current - previous)), cell, unknown=unknown)
    return after_move, either


def cell_boxes(mask: np.ndarray, config: ChangeConfig, frame_shape: tuple[int, ...]) -> tuple[Region, ...]:
    """The boxes (frame pixels) of the groups of true cells in ``mask``, a grid of the
    signature's cells, each group boxed alone."""
    if not mask.any():
        return ()
    h, w = frame_shape[:2]
    size = config.cell * w / config.width  # a cell, in frame pixels
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    return tuple(
        (int(x * size), int(y * size), min(w, int(np.ceil((x + bw) * size))), min(h, int(np.ceil((y + bh) * size))))
        for x, y, bw, bh, _ in stats[1:count]
    )


# A row or column of cells at the frame's edge that is at least this share changed belongs
# to a strip along that edge (what a pan or a zoom newly shows).
STRIP_FILL = 0.7


def edge_strips(mask: np.ndarray) -> tuple[int, int, int, int]:
    """How many rows (top, bottom) and columns (left, right) of changed cells lie along the
    edges of the grid: the strip a moving camera shows for the first time."""
    rows, cols = mask.shape
    top = bottom = left = right = 0
    while top < rows and mask[top].mean() >= STRIP_FILL:
        top += 1
    while bottom < rows - top and mask[rows - 1 - bottom].mean() >= STRIP_FILL:
        bottom += 1
    inner = mask[top : rows - bottom]
    if inner.size:
        while left < cols and inner[:, left].mean() >= STRIP_FILL:
            left += 1
        while right < cols - left and inner[:, cols - 1 - right].mean() >= STRIP_FILL:
            right += 1
    return top, bottom, left, right


def changed_regions(
    changes: np.ndarray, config: ChangeConfig, frame_shape: tuple[int, ...]
) -> tuple[Region, ...] | None:
    """The regions to read, in frame pixels, or None when they cover more than
    ``region_max_share`` of the frame (read it whole).

    Strips of changed cells along the frame's edges (what a pan or a zoom newly shows)
    are regions of their own, so that a strip along the top and one down a side are two
    thin regions, not one box around both. Inside them, each group of changed cells is
    boxed with ``region_margin`` pixels of the signature around it; boxes that meet are
    merged. The regions never overlap."""
    mask = changes >= config.threshold
    if not mask.any():
        return None
    h, w = frame_shape[:2]
    to_frame = w / config.width  # the signature is ``width`` pixels wide
    cell, pad = config.cell, config.region_margin
    rows, cols = mask.shape
    deepen = -(-pad // cell)  # the margin, in whole cells

    def deeper(n: int) -> int:
        return n + deepen if n else 0

    top, bottom, left, right = edge_strips(mask)
    top = min(rows, deeper(top))
    bottom = min(rows - top, deeper(bottom))
    left = min(cols, deeper(left))
    right = min(cols - left, deeper(right))
    strips = [
        (0, 0, cols, top),
        (0, rows - bottom, cols, rows),
        (0, top, left, rows - bottom),
        (cols - right, top, cols, rows - bottom),
    ]

    def to_pixels(x0: float, y0: float, x1: float, y1: float) -> Region:
        return (
            max(0, int(x0 * to_frame)),
            max(0, int(y0 * to_frame)),
            min(w, int(np.ceil(x1 * to_frame))),
            min(h, int(np.ceil(y1 * to_frame))),
        )

    boxes = [to_pixels(x0 * cell, y0 * cell, x1 * cell, y1 * cell) for x0, y0, x1, y1 in strips if x1 > x0 and y1 > y0]
    inner = to_pixels(left * cell, top * cell, (cols - right) * cell, (rows - bottom) * cell)
    rest = mask.copy()
    rest[:top], rest[rows - bottom :], rest[:, :left], rest[:, cols - right :] = False, False, False, False
    count, _, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    groups = []
    for x, y, bw, bh, _ in stats[1:count]:
        x0, y0, x1, y1 = to_pixels((x * cell - pad), (y * cell - pad), ((x + bw) * cell + pad), ((y + bh) * cell + pad))
        x0, y0, x1, y1 = max(x0, inner[0]), max(y0, inner[1]), min(x1, inner[2]), min(y1, inner[3])
        if x1 > x0 and y1 > y0:
            groups.append((x0, y0, x1, y1))
    boxes += merge_boxes(groups)
    if sum((b[2] - b[0]) * (b[3] - b[1]) for b in boxes) > config.region_max_share * w * h:
        return None
    return tuple(sorted(boxes))


class ChangeGate:
    """Remembers the last frame read; says whether the next one has changed enough to read."""

    def __init__(self, config: ChangeConfig | None = None, keyframe_phase: float = 0.0) -> None:
        """``keyframe_phase`` (0-1): the first keyframe comes that share of ``keyframe_s``
        sooner, so that streams started together do not all read whole frames at once."""
        self.config = config or ChangeConfig()
        if not 0.0 <= keyframe_phase < 1.0:
            raise BadInputError("the keyframe phase must be in [0, 1)")
        self.keyframe_phase = keyframe_phase
        self._signature: np.ndarray | None = None
        # When the whole frame was last read: keyframes count from it.
        self._whole_at: float | None = None
        self.last_change = 0.0

    def should_read(self, image: np.ndarray, t: float) -> bool:
        """True (and remember this frame) if ``image`` at time ``t`` should be read."""
        return self.decide(image, t).read

    def unchanged(self, image: np.ndarray, t: float) -> bool:
        """True if ``decide`` would skip ``image`` at ``t``; remembers nothing."""
        previous = self._signature
        if self.config.reads_all or previous is None or self._whole_at is None:
            return False
        if t - self._whole_at >= self.config.keyframe_s or t < self._whole_at:
            return False
        current = signature(image, self.config.width)
        if previous.shape != current.shape:
            return False
        if float(cell_changes(previous, current, self.config.cell).max()) >= self.config.threshold:
            return False
        return self._fine_changes(previous, current) is None

    def decide(self, image: np.ndarray, t: float) -> Decision:
        """Whether ``image`` at time ``t`` should be read, whole or a region; remembers it if so."""
        if self.config.reads_all:
            return Decision(True)
        current = signature(image, self.config.width)
        previous = self._signature
        if previous is None or previous.shape != current.shape or self._whole_at is None:
            self.last_change = 1.0
            first = self._whole_at is None and previous is None
            self._signature, self._whole_at = current, t
            if first:
                self._whole_at = t - self.keyframe_phase * self.config.keyframe_s
            return Decision(True)
        changes = cell_changes(previous, current, self.config.cell)
        self.last_change = float(changes.max())
        due = t - self._whole_at >= self.config.keyframe_s or t < self._whole_at
        if not due and self.last_change < self.config.threshold:
            fine = self._fine_changes(previous, current)
            if fine is None:
                return Decision(False)
            # A small change in one place (a counter, a timecode): read there, no move to follow.
            self._signature = current
            config = replace(self.config, cell=self.config.fine_cell)
            regions = changed_regions(fine, config, image.shape) if self.config.regions else None
            if regions is None:
                self._whole_at = t
            return Decision(True, regions)
        self._signature = current
        regions = changed_regions(changes, self.config, image.shape) if self.config.regions and not due else None
        matrix = self._motion(previous, current) if self.config.follow_motion else None
        if matrix is None:
            if regions is None:
                self._whole_at = t
            return Decision(True, regions, None, None)
        to_frame = image.shape[1] / self.config.width
        frame_matrix = matrix.astype(np.float64)
        frame_matrix[:, 2] *= to_frame
        warp = tuple(float(v) for v in frame_matrix.ravel())
        h, w = image.shape[:2]
        centre = frame_matrix @ np.array([w / 2, h / 2, 1.0])
        moved = (float(centre[0] - w / 2), float(centre[1] - h / 2))
        if self.config.regions and not due:
            followed = self._moved_decision(changes, previous, current, matrix, image.shape, moved, warp)
            # Followed, unless the move explains less than no move: a slow pan over a plain
            # picture changes only the edges of what it shows, few enough cells to read as
            # regions without following it, but fewer still when followed.
            if regions is None or followed.changed_cells < int((changes >= self.config.threshold).sum()):
                if followed.regions is None:
                    self._whole_at = t
                return followed
            return Decision(True, regions)
        self._whole_at = t
        return Decision(True, None, moved, warp)

    def _fine_changes(self, previous: np.ndarray, current: np.ndarray) -> np.ndarray | None:
        """The changes in cells of ``fine_cell`` when one reaches the threshold, else None."""
        if not self.config.fine_cell:
            return None
        fine = cell_changes(previous, current, self.config.fine_cell)
        return fine if float(fine.max()) >= self.config.threshold else None

    def _moved_decision(
        self,
        changes: np.ndarray,
        previous: np.ndarray,
        current: np.ndarray,
        matrix: np.ndarray,
        shape: tuple[int, ...],
        moved: tuple[float, float],
        warp: tuple[float, ...],
    ) -> Decision:
        """The picture moved by ``matrix``: a cell is unchanged if it matches the last frame
        read moved so, or that frame as it was (an overlay that holds still over a moving
        camera). What neither explains is read; when nothing is left, no pixel is read and
        the lines only move."""
        threshold = self.config.threshold
        after_move, left = moved_changes(previous, current, matrix, self.config.cell)
        changed = int((left >= threshold).sum())
        regions = changed_regions(left, self.config, shape) if changed else ()
        if regions is None:
            return Decision(True, None, moved, warp, changed_cells=changed)
        still = (left < threshold) & (changes < after_move)
        return Decision(True, regions, moved, warp, cell_boxes(still, self.config, shape), changed)

    def _motion(self, previous: np.ndarray, current: np.ndarray) -> np.ndarray | None:
        """How the whole picture moved between two signatures (a 2x3 matrix), or None.
        Phase correlation first; when it finds no one shift (its peak split between a
        picture that pans and zooms, and a still overlay such as a subtitle), corners
        followed from where they were, over one more pyramid level, can still agree."""
        shift = picture_shift(previous, current, self.config.motion_response)
        if shift is not None:
            return picture_motion(previous, current, shift)
        matrix = followed_motion(previous, current, levels=3)
        if matrix is None or largest_move(matrix, current.shape) < 0.5:
            return None
        return matrix

    def forget(self) -> None:
        """Read the next frame whole, whatever it holds (the last read failed)."""
        self._signature, self._whole_at = None, None
