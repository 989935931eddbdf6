"""Find where a video's burned-in subtitles are: the band, centred low in the frame, where text recurs.

Owns the band search only. It reads a few frames spread over the video, looks at the
lines of each that are centred across the frame, low in it and high in it, and returns
the bands that hold them (with room for one more line and a margin), full width: the
lower one always (with no such text, the lower third), the upper one where its text
changes, as a bilingual film's second language above the picture does.
``stream-ocr video --subtitles`` reads them, stacked (``view``), unless ``--roi`` is given.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from stream_ocr.engines.base import FrameReader
from stream_ocr.sources import SourceSpec, frame_rate, open_capture

logger = logging.getLogger(__name__)

# Subtitles sit in this lower share of the frame, centred within this share of its width;
# a second language may sit in this upper share instead (above the picture).
LOWER_SHARE = 0.45
UPPER_SHARE = 0.3
CENTRE_TOLERANCE = 0.12
FALLBACK_SHARE = 0.33


def find_subtitle_bands(
    path: str | Path, engine: FrameReader, start: float = 0.0, end: float | None = None, samples: int = 12
) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of each subtitle band of the video at ``path``, top to bottom, from
    ``samples`` frames: the band low in the frame (or the lower third, with no subtitles
    found), and one high in it where centred text there changes from sample to sample (the
    other language of a bilingual film; a title or a sign that stays is no subtitle)."""
    capture = open_capture(SourceSpec("video", str(path)))
    try:
        fps = frame_rate(capture)
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        first = round(start * fps)
        last = count if end is None else min(count, round(end * fps))
        lower, upper = _Centred(), _Centred()
        for k in range(samples):
            index = first + round((k + 0.5) * (last - first) / samples)
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, image = capture.read()
            if not ok:
                continue
            centred = [
                line
                for line in engine.read(image).lines
                if abs((line.bbox[0] + line.bbox[2]) / 2 - width / 2) <= CENTRE_TOLERANCE * width
            ]
            lower.add([line for line in centred if line.bbox[1] >= height * (1 - LOWER_SHARE)])
            upper.add([line for line in centred if line.bbox[3] <= height * UPPER_SHARE])
    finally:
        capture.release()
    bands = []
    if upper.frames >= 2 and len(upper.texts) >= 2:
        y0, y1 = upper.band(height, above=0.5, below=1.5)
        logger.info("subtitle band above the picture: y %d to %d of %d", y0, y1, height)
        bands.append((0, y0, width, y1 - y0))
    if lower.frames < 2:
        logger.info("no recurring centred text found low in the frame: reading the lower third")
        y = int(height * (1 - FALLBACK_SHARE))
        return [*bands, (0, y, width, height - y)]
    y0, y1 = lower.band(height, above=1.5, below=0.5)
    logger.info("subtitle band: y %d to %d of %d, from %d frames with text", y0, y1, height, lower.frames)
    return [*bands, (0, y0, width, y1 - y0)]


class _Centred:
    """The centred lines of one part of the sampled frames."""

    def __init__(self) -> None:
        self.boxes: list[tuple[float, float]] = []  # (y0, y1) in frame pixels
        self.texts: set[str] = set()
        self.frames = 0

    def add(self, lines: list) -> None:
        self.boxes += [(line.bbox[1], line.bbox[3]) for line in lines]
        self.texts |= {line.text for line in lines}
        self.frames += bool(lines)

    def band(self, height: int, above: float, below: float) -> tuple[int, int]:
        """(y0, y1) holding the lines, with room for ``above`` and ``below`` line heights more."""
        line_height = max(y1 - y0 for y0, y1 in self.boxes)
        y0 = max(0, int(min(y for y, _ in self.boxes) - above * line_height))
        y1 = min(height, int(max(y for _, y in self.boxes) + below * line_height))
        return y0, y1
