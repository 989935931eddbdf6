"""Read each Chinese or Japanese line again with its ends widened, so that a glyph CRAFT left out is kept.

Owns that second look and nothing else. CRAFT gives a glyph of one flat stroke, "一"
("one", in about one Chinese line in ten), no region score at all: a line that begins or
ends with it is boxed without it, and PP-OCR reads what it is given, so "一个还是两个？"
came out "个还是两个？". Here PP-OCR reads each CJK line's box again, widened by ``widen``
line heights at each end (an end is not widened where another box stands in the way). What
it reads in the widened ends is kept when the rest of its read is the line's own text,
unchanged: at each end, the run of characters next to the text that are what stands at
that end of real text (``LEADING``, ``TRAILING``), each read at ``min_probability`` or
more. The box grows over them. The Latin lines'
counterpart is ``line_reads``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from stream_ocr.engines.english_g2 import Read
from stream_ocr.engines.ppocr_recognizer import PPOCRRecognizer
from stream_ocr.step.scripts import CJK_LANGUAGES, language_of

# What may stand where CRAFT drew no box: "一", and the marks set with Chinese and Japanese
# text (quotes, brackets, dashes before a line; full stops, commas, ellipses after it).
LEADING = frozenset("一「『“《（(-—")
TRAILING = frozenset("一ー。，、！？…」』”》）).,!?")


@dataclass(frozen=True)
class EndsConfig:
    # How far each end of a line's box is widened, in line heights (a CJK glyph and its
    # gap are about 1.1), and how surely an added character must be read. Chosen on lines
    # drawn over training photos (tools/tune_cjk_ends.py; BENCHMARKS.md).
    widen: float = 1.2
    min_probability: float = 0.8
    # At most this many characters are added at either end, each one of these.
    most: int = 2
    leading: frozenset[str] = LEADING
    trailing: frozenset[str] = TRAILING


def _along(box: np.ndarray) -> tuple[np.ndarray, float]:
    """The unit vector along a box's text and its height."""
    tl, tr, _, bl = box
    length = float(np.linalg.norm(tr - tl))
    along = (tr - tl) / length if length > 0 else np.array([1.0, 0.0], dtype=np.float32)
    return along.astype(np.float32), float(np.linalg.norm(bl - tl))


def _free(zone: np.ndarray, others: list[np.ndarray]) -> bool:
    """Whether no other box has its centre inside ``zone`` (a 4-point polygon)."""
    polygon = zone.reshape(-1, 1, 2).astype(np.float32)
    for other in others:
        cx, cy = np.asarray(other, dtype=np.float32).mean(axis=0)
        if cv2.pointPolygonTest(polygon, (float(cx), float(cy)), False) >= 0:
            return False
    return True


def widened(box: np.ndarray, before: float, after: float) -> np.ndarray:
    """``box`` (clockwise from the text's top-left) longer by ``before`` and ``after`` of its
    height at its start and end."""
    box = np.asarray(box, dtype=np.float32)
    along, height = _along(box)
    tl, tr, br, bl = box
    b, a = along * before * height, along * after * height
    return np.array([tl - b, tr + a, br + a, bl - b], dtype=np.float32)


def added_ends(text: str, chars: list[tuple[str, float]], config: EndsConfig) -> tuple[str, str] | None:
    """What a widened read ``chars`` adds before and after ``text``: the run of characters
    next to it at each end that are allowed there and read surely (at most ``most``); None
    when the widened read does not hold the line's own text unchanged."""
    read = "".join(c for c, _ in chars)
    at = read.find(text)
    if at < 0:
        return None
    lead = []
    for c, p in reversed(chars[:at]):
        if c not in config.leading or p < config.min_probability or len(lead) == config.most:
            break
        lead.append(c)
    tail = []
    for c, p in chars[at + len(text) :]:
        if c not in config.trailing or p < config.min_probability or len(tail) == config.most:
            break
        tail.append(c)
    return "".join(reversed(lead)), "".join(tail)


class CJKLineEnds:
    """Reads in (each box's chosen read), the same reads out with the glyphs at CJK lines' ends kept."""

    def __init__(self, recognizer: PPOCRRecognizer, config: EndsConfig | None = None) -> None:
        self.recognizer = recognizer
        self.config = config or EndsConfig()

    def read(self, bgr: np.ndarray, reads: list[Read], timings: dict[str, float] | None = None) -> list[Read]:
        """``reads`` with each CJK line's widened read put in its place where it adds a
        glyph; adds the milliseconds to ``timings["recognize_cjk_ends"]``."""
        start = time.perf_counter()
        try:
            return self._read(bgr, reads)
        finally:
            if timings is not None:
                spent = (time.perf_counter() - start) * 1000
                timings["recognize_cjk_ends"] = timings.get("recognize_cjk_ends", 0.0) + spent

    def _read(self, bgr: np.ndarray, reads: list[Read]) -> list[Read]:
        todo = [i for i, r in enumerate(reads) if language_of(r.text) in CJK_LANGUAGES]
        if not todo:
            return reads
        wide, ends = [], []
        for i in todo:
            box = np.asarray(reads[i].box, dtype=np.float32)
            others = [r.box for j, r in enumerate(reads) if j != i]
            w = self.config.widen
            before = w if _free(self._zone(box, w, start=True), others) else 0.0
            after = w if _free(self._zone(box, w, start=False), others) else 0.0
            wide.append(widened(box, before, after))
            ends.append((before, after))
        out = list(reads)
        for i, chars, (before, after) in zip(todo, self.recognizer.read_characters(bgr, wide), ends):
            if not before and not after:
                continue
            found = added_ends(reads[i].text, chars, self.config)
            if found is None or found == ("", ""):
                continue
            lead, tail = found
            box = np.asarray(reads[i].box, dtype=np.float32)
            grow_before = min(before, 1.1 * len(lead))
            grow_after = min(after, 1.1 * len(tail))
            out[i] = Read(widened(box, grow_before, grow_after), lead + reads[i].text + tail, reads[i].confidence)
        return out

    @staticmethod
    def _zone(box: np.ndarray, widen: float, start: bool) -> np.ndarray:
        """The strip a line's box would grow over at its start (or end)."""
        tl, tr, br, bl = box
        along, height = _along(box)
        step = along * widen * height
        if start:
            return np.array([tl - step, tl, bl, bl - step], dtype=np.float32)
        return np.array([tr, tr + step, br + step, br], dtype=np.float32)
