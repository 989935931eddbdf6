"""The one engine interface: a BGR uint8 frame in, a ``FrameResult`` out.

Owns the frame contract (checked once, here, for every engine), the lock that lets one
engine be shared by the still-image API and the live streams, and the stages every
engine's words go through after it: junk dropped (``plausibility``), words grouped into
lines (``lines``). Engines implement ``_read``; they never see a frame that breaks the
contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from stream_ocr.errors import BadInputError
from stream_ocr.geometry import Region
from stream_ocr.realthreads import threading, time
from stream_ocr.step.junk import JunkConfig, is_junk_line, is_junk_word
from stream_ocr.step.lines import LineConfig, group_lines
from stream_ocr.types import Detection, FrameResult, shift


def check_frame(frame: np.ndarray) -> None:
    """Raise BadInputError unless ``frame`` is BGR uint8 H x W x 3 with both sides >= 1."""
    if not isinstance(frame, np.ndarray):
        raise BadInputError(f"a frame must be a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise BadInputError(
            f"a frame must be uint8, got {frame.dtype}; convert it with stream_ocr.sources.images.to_bgr8"
        )
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise BadInputError(f"a frame must be H x W x 3 (BGR), got shape {frame.shape}")
    if frame.shape[0] < 1 or frame.shape[1] < 1:
        raise BadInputError(f"a frame must not be empty, got shape {frame.shape}")


def check_region(region: Region, frame: np.ndarray) -> Region:
    """``region`` (x0, y0, x1, y1) clipped to the frame; BadInputError if nothing is left."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in region)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        raise BadInputError(f"the region {region} holds no pixel of a {w}x{h} frame")
    return x0, y0, x1, y1


class FrameReader(Protocol):
    """What the pipeline needs of an engine: a name and ``read``. An ``Engine`` is one, and so
    is a ``sharing.SharedEngine`` that waits for its turn first."""

    name: str

    def read(self, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult: ...


class Engine(ABC):
    """Base of every OCR engine. Subclasses set ``name`` and implement ``_read``."""

    name: str = "engine"

    def __init__(self, junk: JunkConfig | None = None, lines: LineConfig | None = None) -> None:
        # On a small CPU, two concurrent inferences only slow each other down; one at a time.
        self._lock = threading.Lock()
        self.junk = junk or JunkConfig()
        self.line_config = lines or LineConfig()
        # Words read below this leave their line after lines are found (like junk), so that a
        # line of an unreadable script is known as such even where its reads are unsure.
        self.min_confidence = 0.0

    def _unsure(self, word: Detection) -> bool:
        return word.confidence is not None and word.confidence < self.min_confidence

    def read(self, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult:
        """Find and read the text in one BGR frame, or only in its ``regions`` (x0, y0, x1, y1).

        A region is read as the whole frame would be (at the same detector scale), and its
        boxes come back in the whole frame's pixels.
        """
        check_frame(frame)
        if regions is not None:
            regions = [check_region(region, frame) for region in regions]
        with self._lock:
            start = time.perf_counter()
            timings: dict[str, float] = {}
            if regions is None:
                words = self._read(np.ascontiguousarray(frame), timings)
            else:
                words = [w for region in regions for w in self._read_region(frame, region, timings)]
            lines = group_lines(
                words,
                self.line_config,
                lambda word: is_junk_word(word, self.junk) or self._unsure(word),
                lambda line: is_junk_line(line, self.junk),
            )
            detections = [word for line in lines for word in line.words]
            timings["total"] = (time.perf_counter() - start) * 1000
        return FrameResult(
            width=frame.shape[1],
            height=frame.shape[0],
            detections=tuple(detections),
            engine=self.name,
            timings_ms=timings,
            lines=lines,
        )

    @abstractmethod
    def _read(self, frame: np.ndarray, timings: dict[str, float]) -> list[Detection]:
        """Detections in ``frame``'s pixels; add per-stage milliseconds to ``timings``."""

    def _read_region(self, frame: np.ndarray, region: Region, timings: dict[str, float]) -> list[Detection]:
        """Detections in ``region`` of ``frame``, in the frame's pixels. Engines whose detector
        scales frames by their size override this, to see the region at the frame's scale."""
        x0, y0, x1, y1 = region
        words = self._read(np.ascontiguousarray(frame[y0:y1, x0:x1]), timings)
        return [shift(w, x0, y0) for w in words]
