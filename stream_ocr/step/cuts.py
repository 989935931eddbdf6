"""Sudden changes between consecutive frames of a video: a cut, or text that pops in.

Owns the cheap look at every decoded frame that lets the video path read text shown for
less than one sample interval (a 0.3 s caption between two samples at 2 fps): the change
gate's small grey copy of each frame (``change.signature``, 64 px wide) is compared with
the previous frame's, cell by cell (``change.largest_cell_change``), and a cell that
changed by more than ``CutConfig.threshold`` at once marks a sudden change. The frame a
moment later (``settle_s``, once a cut's blur or a caption's fade-in has passed) is then
read as an extra sample, and the frame ``follow_s`` after that once more: a text still
there is seen twice (by a read, or by the change gate finding its pixels unchanged), so
it is kept however surely it was read, like a text on two regular samples. A pan, a zoom
or a slow fade changes little from one frame to the next, so it never triggers; a ticking
counter does, but sudden changes are acted on at most every half sample interval, and
the change gate skips the extra samples that show nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stream_ocr.settings import setting
from stream_ocr.step.change import largest_cell_change, signature


@dataclass(frozen=True)
class CutConfig:
    enabled: bool = setting(
        True,
        flag="--no-cut-reads",
        help="do not read the frame after a cut or text popping in between samples (text shown "
        "for less than a sample interval is then missed; every frame is no longer decoded)",
    )
    # A cell's mean grey difference (0-1) from one frame to the next that counts as sudden.
    threshold: float = 0.08
    # The change gate's signature (``change.signature``), much smaller: 64 px wide, 8 px cells.
    width: int = 64
    cell: int = 8
    # Read the frame this long after the sudden change...
    settle_s: float = 0.07
    # ...and the frame this long after that one (0: not), unless a regular sample comes first.
    follow_s: float = 0.2


class CutWatch:
    """Fed every decoded frame in order; says which ones to read as extra samples.

    ``step``: frames between regular samples. An extra sample is ``settle`` frames after a
    sudden change, and its follow-up ``follow`` frames after that; a sudden change is acted
    on never right after another sample, never within half a step of the last one acted on
    (a ticking counter costs at most four extra samples per step), and an extra sample is
    never taken when a regular sample comes within a frame of it anyway.
    """

    def __init__(self, config: CutConfig, fps: float, step: int) -> None:
        self.config = config
        self.step = step
        self.settle = max(1, round(config.settle_s * fps))
        self.follow = round(config.follow_s * fps)
        self._previous: np.ndarray | None = None
        self._due: int | None = None
        self._follow_due: int | None = None
        self._last_sample = -(10**9)
        self._last_extra = -(10**9)

    def extra_sample(self, position: int, image: np.ndarray, regular: bool) -> bool:
        """``position``: frames since the first; True if this frame is to be read as an extra sample."""
        now = signature(image, self.config.width)
        before, self._previous = self._previous, now
        if regular:
            self._last_sample, self._due, self._follow_due = position, None, None
            return False
        if self._due is not None and position >= self._due:
            self._due = None
            self._last_sample = self._last_extra = position
            if self.follow > 0 and self._before_next_regular(position + self.follow):
                self._follow_due = position + self.follow
            return True
        if self._follow_due is not None and position >= self._follow_due:
            self._follow_due = None
            self._last_sample = position
            return True
        if (
            self._due is None
            and before is not None
            and largest_cell_change(before, now, self.config.cell) > self.config.threshold
        ):
            due = position + self.settle
            spaced = due - self._last_sample > self.settle and due - self._last_extra >= self.step / 2
            if spaced and self._before_next_regular(due):
                self._due, self._follow_due = due, None
        return False

    def _before_next_regular(self, position: int) -> bool:
        """Whether ``position`` comes more than a frame before the next regular sample."""
        next_regular = position + self.step - position % self.step
        return next_regular - position > 1
