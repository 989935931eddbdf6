"""Is this frame worth reading? Local change detection with forced keyframes.

Owns the decision only. A frame is compared with the last frame that was read, cell by
cell over a grid of a small, blurred grey copy: the largest cell difference counts, so a
change confined to one corner (a page counter, one letter of a slide, a score) is seen
however still the rest of the frame is. A frame is read anyway once ``keyframe_s`` has
passed since the last read. It runs no OCR; live streams and video files use it alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from stream_ocr.errors import BadInputError


@dataclass(frozen=True)
class ChangeConfig:
    # A cell whose mean absolute difference (0-1) reaches this counts as changed.
    threshold: float = 0.03
    # The signature: the frame shrunk to this width, in square cells of this many pixels.
    width: int = 480
    cell: int = 12
    # Read at least this often (seconds), changed or not.
    keyframe_s: float = 10.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.threshold < 1:
            raise BadInputError("the change threshold must be in [0, 1)")
        if self.keyframe_s <= 0:
            raise BadInputError("the keyframe interval must be positive")
        if self.width < 16 or self.cell < 2:
            raise BadInputError("the change signature needs width >= 16 and cell >= 2")


def signature(image: np.ndarray, width: int = 480) -> np.ndarray:
    """A small, blurred grey copy of a BGR (or grey) frame, as float32."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height = max(1, round(width * gray.shape[0] / gray.shape[1]))
    small = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (5, 5), 0).astype(np.float32)


def largest_cell_change(previous: np.ndarray, current: np.ndarray, cell: int) -> float:
    """The largest mean absolute difference (0-1) over the grid's cells (edge cells included)."""
    diff = np.abs(current - previous)
    h, w = diff.shape
    rows, cols = -(-h // cell), -(-w // cell)
    padded = np.zeros((rows * cell, cols * cell), np.float32)
    counts = np.zeros_like(padded)
    padded[:h, :w] = diff
    counts[:h, :w] = 1
    sums = padded.reshape(rows, cell, cols, cell).sum(axis=(1, 3))
    sizes = counts.reshape(rows, cell, cols, cell).sum(axis=(1, 3))
    return float((sums / np.maximum(sizes, 1)).max()) / 255


class ChangeGate:
    """Remembers the last frame read; says whether the next one has changed enough to read."""

    def __init__(self, config: ChangeConfig | None = None) -> None:
        self.config = config or ChangeConfig()
        self._signature: np.ndarray | None = None
        self._read_at: float | None = None
        self.last_change = 0.0

    def should_read(self, image: np.ndarray, t: float) -> bool:
        """True (and remember this frame) if ``image`` at time ``t`` should be read."""
        if not self.config.enabled:
            return True
        current = signature(image, self.config.width)
        previous = self._signature
        if previous is None or previous.shape != current.shape or self._read_at is None:
            change = 1.0
        else:
            change = largest_cell_change(previous, current, self.config.cell)
        self.last_change = change
        due = self._read_at is None or t - self._read_at >= self.config.keyframe_s or t < self._read_at
        if change >= self.config.threshold or due:
            self._signature, self._read_at = current, t
            return True
        return False

    def forget(self) -> None:
        """Read the next frame whatever it holds (the last read failed)."""
        self._signature, self._read_at = None, None
