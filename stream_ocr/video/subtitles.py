"""Find where a video's burned-in subtitles are: the band, centred low in the frame, where text recurs.

Owns the band search only. It reads a few frames spread over the video, looks at the
lines of each that are centred across the frame, low in it and high in it, and returns
the bands that hold them (with room for one more line and a margin), full width: the
lower one always (with no such text, the lower third), the upper one where its text
changes, as a bilingual film's second language above the picture does.
``stream-ocr video --subtitles`` reads them, stacked (``view``), unless ``--roi`` is given,
and makes cues of the lines in them that stand as subtitles do (``subtitle_tracks``): level,
centred, of the band's usual height, and edged as subtitles are drawn (``outline_share``,
measured on the frames as they are read: ``measure_outlines``).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import numpy as np

from stream_ocr.engines.base import FrameReader, read_lines
from stream_ocr.geometry import Region, bbox
from stream_ocr.sources.opening import SourceSpec, frame_rate, open_capture
from stream_ocr.tracking.tracker import Track

logger = logging.getLogger(__name__)

# Subtitles sit in this lower share of the frame, centred within this share of its width;
# a second language may sit in this upper share instead (above the picture).
LOWER_SHARE = 0.45
UPPER_SHARE = 0.3
CENTRE_TOLERANCE = 0.12
FALLBACK_SHARE = 0.33
# Burned-in subtitles are level: a line tilted more than this is scene text.
MAX_TILT_DEG = 8.0
# Subtitle glyphs are bright (this grey level or more) and edged with near-black (this or
# less). A cue's line is edged at least this share of the usual for its band's lines, or
# MIN_OUTLINE if that is less (chosen on the tune film: its subtitles 0.52 to 1, its scene
# text in the band 0 to 0.31); measured on a track's first OUTLINE_READS reads.
BRIGHT = 150
DARK = 80
OUTLINE_SHARE = 0.4
MIN_OUTLINE = 0.25
OUTLINE_READS = 8


def find_subtitle_bands(
    path: str | Path, engine: FrameReader, start: float = 0.0, end: float | None = None, samples: int = 12
) -> list[Region]:
    """The region of each subtitle band of the video at ``path``, top to bottom, from
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
                for line in read_lines(engine, image).lines
                if abs((line.bbox[0] + line.bbox[2]) / 2 - width / 2) <= CENTRE_TOLERANCE * width
            ]
            lower.add([line for line in centred if line.bbox[1] >= height * (1 - LOWER_SHARE)])
            upper.add([line for line in centred if line.bbox[3] <= height * UPPER_SHARE])
    finally:
        capture.release()
    bands = []
    top = upper.subtitle_like()
    if top is not None and top.frames >= 2 and len(top.texts) >= 2:
        y0, y1 = top.band(height, above=0.5, below=1.5)
        logger.info("subtitle band above the picture: y %d to %d of %d", y0, y1, height)
        bands.append((0, y0, width, y1))
    low = lower.subtitle_like()
    if low is None or low.frames < 2:
        logger.info("no recurring centred text found low in the frame: reading the lower third")
        y = int(height * (1 - FALLBACK_SHARE))
        return [*bands, (0, y, width, height)]
    y0, y1 = low.band(height, above=1.5, below=0.5)
    logger.info("subtitle band: y %d to %d of %d, from %d frames with text", y0, y1, height, low.frames)
    return [*bands, (0, y0, width, y1)]


class _Centred:
    """The centred lines of one part of the sampled frames."""

    def __init__(self) -> None:
        # One entry per sampled frame: its lines as (y0, y1, text), in frame pixels.
        self.samples: list[list[tuple[float, float, str]]] = []

    def add(self, lines: list) -> None:
        if lines:
            self.samples.append([(line.bbox[1], line.bbox[3], line.text) for line in lines])

    @property
    def frames(self) -> int:
        return len(self.samples)

    @property
    def texts(self) -> set[str]:
        return {text for lines in self.samples for _, _, text in lines}

    def subtitle_like(self) -> _Centred | None:
        """Only the lines that stand where subtitles do: a line is kept when a line of
        another sample has its height (within a fifth) and its place (middles within a third
        of a line height). Subtitles come back to the same rows; scene text that happens to
        be centred (a shop sign or a poster in a moving picture) seldom does. ``None`` when
        nothing is left."""
        kept = _Centred()
        for k, sample in enumerate(self.samples):
            kept.add_rows(
                [
                    row
                    for row in sample
                    if any(_same_row(row, other) for j, rows in enumerate(self.samples) if j != k for other in rows)
                ]
            )
        return kept if kept.samples else None

    def add_rows(self, rows: list[tuple[float, float, str]]) -> None:
        if rows:
            self.samples.append(rows)

    def band(self, height: int, above: float, below: float) -> tuple[int, int]:
        """(y0, y1) holding the lines, with room for ``above`` and ``below`` line heights more."""
        rows = [row for sample in self.samples for row in sample]
        line_height = float(np.median([y1 - y0 for y0, y1, _ in rows]))
        y0 = max(0, int(min(y for y, _, _ in rows) - above * line_height))
        y1 = min(height, int(max(y for _, y, _ in rows) + below * line_height))
        return y0, y1


def _same_row(a: tuple[float, float, str], b: tuple[float, float, str]) -> bool:
    ha, hb = a[1] - a[0], b[1] - b[0]
    return abs(ha - hb) <= max(ha, hb) / 5 and abs((a[0] + a[1]) - (b[0] + b[1])) / 2 <= max(ha, hb) / 3


def subtitle_tracks(tracks: list[Track], bands: list[Region]) -> list[Track]:
    """Of the tracks read in subtitle bands (regions; stacked bands share x0 and x1), those
    that stand as subtitles do: level, centred across the band, of the height most centred
    lines of their band have (0.55 to 1.6 times it), and edged as that band's lines are
    (``outline_share``, where it was measured). A sign, a poster or a watermark in a band is
    read and kept in tracks.json, but is no subtitle cue."""
    out = []
    for x0, y0, x1, y1 in bands:
        centre, w = (x0 + x1) / 2, x1 - x0
        placed = []
        for track in tracks:
            boxes = [bbox(b.points) for b in track.boxes]
            if not boxes:
                continue
            middle = float(np.median([(b[0] + b[2]) / 2 for b in boxes]))
            row = float(np.median([(b[1] + b[3]) / 2 for b in boxes]))
            # The box's own height, across its text: a slanted box's bounds are taller.
            height = float(np.median([_own_height(b.points) for b in track.boxes]))
            tilt = float(np.median([abs(_tilt_deg(b.points)) for b in track.boxes]))
            if y0 <= row < y1 and abs(middle - centre) <= CENTRE_TOLERANCE * w and tilt <= MAX_TILT_DEG:
                placed.append((track, height))
        if not placed:
            continue
        seen = [max(1, p[0].frames_seen) for p in placed]
        usual = float(np.median(np.repeat([p[1] for p in placed], seen)))
        # A line of capitals alone ("OK") has neither ascenders nor descenders: its box is
        # about 0.7 of a line's that has them.
        placed = [(track, height) for track, height in placed if 0.55 * usual <= height <= 1.6 * usual]
        measured = [(t.outline_sum / t.outline_reads, max(1, t.frames_seen)) for t, _ in placed if t.outline_reads]
        if measured:
            edged = float(np.median(np.repeat([m[0] for m in measured], [m[1] for m in measured])))
            least = min(MIN_OUTLINE, OUTLINE_SHARE * edged)
            placed = [(t, h) for t, h in placed if not t.outline_reads or t.outline_sum / t.outline_reads >= least]
        out += [track for track, _ in placed]
    return sorted(out, key=lambda t: t.first_time)


def _own_height(points) -> float:
    (ax, ay), _, (cx, cy), (dx, dy) = points
    bx, by = points[1]
    return (math.hypot(dx - ax, dy - ay) + math.hypot(cx - bx, cy - by)) / 2


def _tilt_deg(points) -> float:
    (ax, ay), (bx, by) = points[0], points[1]
    return math.degrees(math.atan2(by - ay, bx - ax))


def outline_share(image: np.ndarray, points) -> float | None:
    """How much the text in the box ``points`` of ``image`` (BGR) is edged as subtitles are
    drawn: the share of its bright pixels with a near-black one within a tenth of its height
    (an outline, a shadow or a box behind it). Subtitles give 0.5-1; scene text in the band
    (white print on a blue shirt, a sign) about 0. None when nothing in the box is bright."""
    x0, y0, x1, y1 = (int(round(v)) for v in bbox(points))
    reach = max(1, round((y1 - y0) / 10))
    x0, y0 = max(0, x0 - reach), max(0, y0 - reach)
    x1, y1 = min(image.shape[1], x1 + reach), min(image.shape[0], y1 + reach)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    low, high = np.percentile(gray, (3, 97))
    bright = gray >= max(BRIGHT, high - 40)
    if not bright.any():
        return None
    dark = (gray <= min(DARK, low + 40)).astype(np.uint8)
    near = cv2.dilate(dark, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    return float((bright & near).sum() / bright.sum())


def measure_outlines(image: np.ndarray, lines, tracks: list[Track]) -> None:
    """Add each line's ``outline_share`` in ``image`` to its track's (0 where nothing in its
    box is bright), for the track's first ``OUTLINE_READS`` reads (a frame read of the
    subtitle job: ``lines`` as shown, ``tracks`` the tracker's active ones)."""
    by_id = {t.track_id: t for t in tracks}
    for line in lines:
        track = by_id.get(line.track_id)
        if track is None or track.outline_reads >= OUTLINE_READS:
            continue
        # Nothing bright is nothing edged: print on a shirt in the shade ("TER") reads as
        # text, but no subtitle is drawn dim (a fading one is, for a read or two).
        track.outline_sum += outline_share(image, line.points) or 0.0
        track.outline_reads += 1
