"""The part of a frame a stream reads: all of it, one region of interest, or several bands.

Owns the cutting and the mapping back, nothing else. Several bands of one width (the
subtitle bands above and below a picture) are stacked into one picture with a dark gap
between them, so that the change gate, the engine and the tracker see one image as they
would one region; each line found in it goes back to its own band's place in the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stream_ocr.geometry import Region
from stream_ocr.types import Line, shift

# Rows of black between two stacked bands: the detector never links text across them.
GAP = 16


@dataclass(frozen=True)
class View:
    """``rois``, each a region (x0, y0, x1, y1); none: the whole frame. Stacked bands share
    their x0 and x1."""

    rois: tuple[Region, ...] = ()

    def __post_init__(self) -> None:
        if len({(x0, x1) for x0, _, x1, _ in self.rois}) > 1:
            raise ValueError(f"stacked bands must share their x and width, got {self.rois}")

    def tops(self) -> list[int]:
        """Where each band starts in the stacked picture."""
        out, y = [], 0
        for _, y0, _, y1 in self.rois:
            out.append(y)
            y += y1 - y0 + GAP
        return out

    def cut(self, image: np.ndarray) -> np.ndarray:
        """The picture the stream reads of ``image``."""
        if not self.rois:
            return image
        if len(self.rois) == 1:
            x0, y0, x1, y1 = self.rois[0]
            return np.ascontiguousarray(image[y0:y1, x0:x1])
        x0, _, x1, _ = self.rois[0]
        parts = []
        for k, (_, y0, _, y1) in enumerate(self.rois):
            if k:
                parts.append(np.zeros((GAP, x1 - x0, *image.shape[2:]), dtype=image.dtype))
            parts.append(image[y0:y1, x0:x1])
        return np.ascontiguousarray(np.concatenate(parts))

    def band_of(self, y: float) -> int:
        """The band that row ``y`` of the stacked picture belongs to (a gap row: the one above)."""
        tops = self.tops()
        return max(k for k, top in enumerate(tops) if top <= y) if y >= 0 else 0

    def line_to_frame(self, line: Line) -> Line:
        """``line`` of the stacked picture, in the frame's pixels."""
        if not self.rois:
            return line
        x0, y0, x1, y1 = line.bbox
        k = self.band_of((y0 + y1) / 2)
        x, y, _, _ = self.rois[k]
        return shift(line, x, y - self.tops()[k])

    def rect_to_frame(self, rect: Region) -> Region:
        """A region (x0, y0, x1, y1) of the stacked picture in the frame's pixels (by its top)."""
        if not self.rois:
            return rect
        k = self.band_of(rect[1])
        x, y, _, _ = self.rois[k]
        dy = y - self.tops()[k]
        return rect[0] + x, rect[1] + dy, rect[2] + x, rect[3] + dy
