"""Sudden changes between consecutive frames of a video: a cut, or text that pops in.

Owns the cheap look at every decoded frame that lets the video path read text shown for
less than one sample interval (a 0.3 s caption between two samples at 2 fps): a small grey
copy of each frame is compared with the previous frame's, cell by cell, and a cell that
changed by more than ``CutConfig.threshold`` at once marks a sudden change. The frame a
moment later (``settle_s``, once a cut's blur or a caption's fade-in has passed) is then
read as an extra sample. A pan, a zoom or a slow fade changes little from one frame to
the next, so it never triggers; a ticking counter does, but extra samples are spaced by
at least half a sample interval, and the change gate skips them when they show nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The small copy: 64x36 pixels in 8x4 cells of 8x9.
SIZE = (64, 36)
CELLS = (4, 8)


@dataclass(frozen=True)
class CutConfig:
    enabled: bool = True
    # A cell's mean grey difference (0-1) from one frame to the next that counts as sudden.
    threshold: float = 0.08
    # Read the frame this long after the sudden change.
    settle_s: float = 0.07


def signature(image: np.ndarray) -> np.ndarray:
    """The small grey copy of a BGR frame that changes are measured on (float32, 0-1)."""
    small = cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    return grey.astype(np.float32) / 255.0


def sudden(before: np.ndarray, after: np.ndarray, threshold: float) -> bool:
    """Whether any cell of ``after`` differs from ``before`` by more than ``threshold``."""
    rows, cols = CELLS
    diff = np.abs(after - before)
    h, w = diff.shape
    cells = diff[: h - h % rows, : w - w % cols].reshape(rows, h // rows, cols, w // cols).mean(axis=(1, 3))
    return bool(cells.max() > threshold)


class CutWatch:
    """Fed every decoded frame in order; says which ones to read as extra samples.

    ``step``: frames between regular samples. An extra sample is ``settle`` frames after a
    sudden change; never right after another sample, never within half a step of the last
    extra one (a ticking counter costs at most two extra samples per step), and never when
    a regular sample comes within a frame of it anyway.
    """

    def __init__(self, config: CutConfig, fps: float, step: int) -> None:
        self.config = config
        self.step = step
        self.settle = max(1, round(config.settle_s * fps))
        self._previous: np.ndarray | None = None
        self._due: int | None = None
        self._last_sample = -(10**9)
        self._last_extra = -(10**9)
        self.extra = 0

    def extra_sample(self, position: int, image: np.ndarray, regular: bool) -> bool:
        """``position``: frames since the first; True if this frame is to be read as an extra sample."""
        now = signature(image)
        before, self._previous = self._previous, now
        if regular:
            self._last_sample, self._due = position, None
            return False
        if self._due is not None and position >= self._due:
            self._due = None
            self._last_sample = self._last_extra = position
            self.extra += 1
            return True
        if self._due is None and before is not None and sudden(before, now, self.config.threshold):
            due = position + self.settle
            next_regular = position + self.step - position % self.step
            spaced = due - self._last_sample > self.settle and due - self._last_extra >= self.step / 2
            if spaced and next_regular - due > 1:
                self._due = due
        return False
