"""The one engine interface: a BGR uint8 frame in, its words out (a ``FrameResult``).

Owns the frame contract (checked once, here, for every engine) and the lock that lets one
engine be shared by the still-image API and the live streams. Engines implement
``_read``; they never see a frame that breaks the contract. An engine returns words only:
junk rules and lines are the next stage's (``step.lines``), which each engine configures
through ``text_config`` (its languages, its confidence floor).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from stream_ocr.config import EngineConfig
from stream_ocr.errors import BadInputError
from stream_ocr.geometry import Region
from stream_ocr.realthreads import threading, time
from stream_ocr.step.junk import JunkConfig
from stream_ocr.step.lines import TextConfig, with_lines
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


def text_config_of(config: EngineConfig) -> TextConfig:
    """How the words of an engine built from ``config`` become lines: junk judged by its
    languages, and words read below ``min_confidence`` leave their line once lines are
    found (like junk)."""
    return TextConfig(junk=JunkConfig(languages=config.language_list), min_confidence=config.min_confidence)


class FrameReader(Protocol):
    """What the pipeline needs of an engine: a name, ``read`` (words) and the ``text_config``
    its words become lines by. An ``Engine`` is one, and so is a ``sharing.SharedEngine``
    that waits for its turn first."""

    name: str
    text_config: TextConfig

    def read(self, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult: ...


def read_lines(engine: FrameReader, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult:
    """One still frame read to lines: the engine's words, then the line stage. What the
    still-image API and the subtitle band finder do; a stream's frames go through
    ``step.frame_step.FrameStep`` instead."""
    return with_lines(engine.read(frame, regions), engine.text_config)


class Engine(ABC):
    """Base of every OCR engine. Subclasses set ``name`` and implement ``_read``."""

    name: str = "engine"

    def __init__(self, *, text_config: TextConfig | None = None) -> None:
        # On a small CPU, two concurrent inferences only slow each other down; one at a time.
        self._lock = threading.Lock()
        # How this engine's words become lines, after it (``step.lines``).
        self.text_config = text_config or TextConfig()

    def read(self, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult:
        """Find and read the words in one BGR frame, or only in its ``regions`` (x0, y0, x1, y1).

        A region is read as the whole frame would be (at the same detector scale), and its
        boxes come back in the whole frame's pixels. The result holds words, no lines.
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
            timings["total"] = (time.perf_counter() - start) * 1000
        return FrameResult(
            width=frame.shape[1], height=frame.shape[0], detections=tuple(words), engine=self.name, timings_ms=timings
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
