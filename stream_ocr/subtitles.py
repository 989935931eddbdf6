"""Find where a video's burned-in subtitles are: the band, centred low in the frame, where text recurs.

Owns the band search only. It reads a few frames spread over the video, looks at the
lines in the lower part of each that are centred across the frame, and returns the band
that holds them (with room for one more line above and a margin), full width. With no
such text it falls back to the lower third. ``stream-ocr video --subtitles`` uses it
unless ``--roi`` is given.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from stream_ocr.engines.base import FrameReader
from stream_ocr.sources import SourceSpec, frame_rate, open_capture

logger = logging.getLogger(__name__)

# Subtitles sit in this lower share of the frame, centred within this share of its width.
LOWER_SHARE = 0.45
CENTRE_TOLERANCE = 0.12
FALLBACK_SHARE = 0.33


def find_subtitle_band(
    path: str | Path, engine: FrameReader, start: float = 0.0, end: float | None = None, samples: int = 12
) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the subtitle band of the video at ``path``, from ``samples`` frames."""
    capture = open_capture(SourceSpec("video", str(path)))
    try:
        fps = frame_rate(capture)
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        first = round(start * fps)
        last = count if end is None else min(count, round(end * fps))
        top = int(height * (1 - LOWER_SHARE))
        boxes: list[tuple[float, float]] = []  # (y0, y1) of centred lines, in frame pixels
        frames_with_text = 0
        for k in range(samples):
            index = first + round((k + 0.5) * (last - first) / samples)
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, image = capture.read()
            if not ok:
                continue
            result = engine.read(image[top:])
            centred = []
            for line in result.lines:
                x0, y0, x1, y1 = line.bbox
                if abs((x0 + x1) / 2 - width / 2) <= CENTRE_TOLERANCE * width:
                    centred.append((y0 + top, y1 + top))
            boxes += centred
            frames_with_text += bool(centred)
    finally:
        capture.release()
    if frames_with_text < 2:
        logger.info("no recurring centred text found low in the frame: reading the lower third")
        y = int(height * (1 - FALLBACK_SHARE))
        return 0, y, width, height - y
    line_height = max(y1 - y0 for y0, y1 in boxes)
    y0 = max(0, int(min(y for y, _ in boxes) - 1.5 * line_height))
    y1 = min(height, int(max(y for _, y in boxes) + 0.5 * line_height))
    logger.info("subtitle band: y %d to %d of %d, from %d frames with text", y0, y1, height, frames_with_text)
    return 0, y0, width, y1 - y0
