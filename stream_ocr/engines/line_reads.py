"""Read each line of Latin text whole, so that what the detector left out of its word boxes is kept.

Owns the second look at a frame's words: the detector's word boxes of one line are joined,
the line's box is widened at both ends and read in one crop, and the read is cut back into
words at its spaces, each word placed where the recogniser read it. CRAFT draws no box
round a dialogue dash, often none round a lone "I", and its boxes end before a closing
period or ellipsis; read word by word, those glyphs are lost, and so is the space the
recogniser would have seen between two words. Characters read in the widened ends are
kept only when they are the punctuation (or the "I") that stands there in real text.
Runs no detector and groups no lines for the engine's output (``lines`` does that after).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from stream_ocr.engines.english_g2 import (
    CHARACTERS,
    HEIGHT,
    MAX_WIDTH,
    EnglishG2Recognizer,
    Read,
    confidence_of,
    decode_spans,
    warp_box,
)
from stream_ocr.step.lines import group_lines
from stream_ocr.step.scripts import is_cjk
from stream_ocr.tracking.similarity import alnum_key, key_distance
from stream_ocr.types import Detection

# What may stand in the widened ends of a line, where no word box was: a dialogue dash, an
# opening quote or bracket and a lone "I" before; closing punctuation after.
LEADING = frozenset("-–—\"'‘“([¿¡I")
TRAILING = frozenset(".,!?:;'\"’”)]…")
# The glyphs a lone "I" before a line's words is read as: one upright stroke, which the
# recogniser splits its belief over. Their probabilities are summed there.
I_LIKE = "Il|1!/"
_I_CLASSES = [CHARACTERS.index(c) + 1 for c in I_LIKE]
# How a line may end: an ellipsis or one mark, then a closing quote or bracket.
_ENDING = re.compile(r"(\.\.\.|[.,!?:;…])?[\"'’”)\]]?")
# Pixels of the crop per time step of the recogniser (two poolings of 2 across).
STEP = 4


@dataclass(frozen=True)
class LineReadConfig:
    # How far the line's box is widened, in line heights: before it (a dash and its space
    # are about 0.5, a dash before a lone "I" that the box also missed about 1.0), after
    # it (an ellipsis), and above and below.
    before: float = 1.4
    after: float = 1.2
    vertical: float = 0.1
    # A mark read in the widened ends is kept at this probability or more (the recogniser
    # reads the edge of a crop, or the picture beyond the text, as a faint "!", '"' or "."),
    # and not within this many line heights of the crop's own edge.
    min_margin_probability: float = 0.75
    min_dot_probability: float = 0.95
    min_i_probability: float = 0.5
    lone_i_reach: float = 0.7
    edge: float = 0.25
    # A closing mark stands this close (line heights, middle to middle) to the glyph before
    # it; an ellipsis' dots are about 0.3 apart, and a stop after a word about 0.5.
    mark_gap: float = 0.8
    slack: float = 0.3
    # A dialogue dash this far (in line heights) before the next glyph has a space after
    # it, which the recogniser does not always read.
    dash_space: float = 0.25
    # The whole read is kept when its letters and digits are this close (normalised edit
    # distance) to the words' own, or when it is at least as sure as they are.
    max_distance: float = 0.34
    # Lines tilted more than this keep their word reads (a page turned sideways).
    max_tilt_deg: float = 20.0


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-6)


def widened(points: np.ndarray, before: float, after: float, vertical: float) -> np.ndarray:
    """A 4-point box (clockwise from its top-left) widened by line heights at each end and edge."""
    tl, tr, br, bl = np.asarray(points, dtype=np.float32)
    h = max(float(np.linalg.norm(bl - tl)), 1.0)
    along, down = _unit(tr - tl), _unit(bl - tl)
    b, a, v = before * h, after * h, vertical * h
    return np.array(
        [tl - along * b - down * v, tr + along * a - down * v, br + along * a + down * v, bl - along * b + down * v],
        dtype=np.float32,
    )


def line_crop(gray: np.ndarray, box: np.ndarray) -> np.ndarray:
    """``box`` warped out of ``gray`` at the recogniser's height, its contrast stretched as
    ``english_g2.crop_box`` stretches a word's."""
    crop = warp_box(gray, box, 0.0, HEIGHT, HEIGHT // 4, MAX_WIDTH)
    lo, hi = np.percentile(crop, (5, 95))
    if hi - lo >= 10:
        crop = cv2.convertScaleAbs(crop, alpha=255.0 / (hi - lo), beta=-lo * 255.0 / (hi - lo))
    return crop


@dataclass(frozen=True)
class _Token:
    text: str
    x0: float  # in crop pixels
    x1: float
    probabilities: tuple[float, ...]


def tokens(
    text: str,
    probabilities: list[float],
    spans: list[tuple[int, int]],
    core: tuple[float, float],
    width: float,
    height: float,
    config: LineReadConfig,
) -> list[_Token]:
    """The read cut at its spaces into words placed along the crop (``width`` by ``height``
    pixels a line); of the characters read outside ``core`` (the crop's x range that the
    word boxes covered) only those kept that real text has there (``_margin_kept``)."""
    chars = []
    for c, p, (t0, t1) in zip(text, probabilities, spans):
        chars.append((c, p, float(t0 * STEP), float((t1 + 1) * STEP)))
    chars = _margin_kept(chars, core, width, height, config)
    words: list[list[tuple[str, float, float, float]]] = [[]]
    for item in chars:
        if item[0] == " ":
            words.append([])
        else:
            words[-1].append(item)
    words = [w for w in words if w]
    out = []
    for k, word in enumerate(words):
        # A word reaches halfway to its neighbours: CTC marks a glyph with a narrow peak.
        left = word[0][2] if k == 0 else (words[k - 1][-1][3] + word[0][2]) / 2
        right = word[-1][3] if k == len(words) - 1 else (word[-1][3] + words[k + 1][0][2]) / 2
        out.append(_Token("".join(c for c, *_ in word), left, right, tuple(p for _, p, _, _ in word)))
    return out


def _margin_kept(
    chars: list[tuple[str, float, float, float]],
    core: tuple[float, float],
    width: float,
    height: float,
    config: LineReadConfig,
) -> list[tuple[str, float, float, float]]:
    """``chars`` (character, probability, x0, x1) less what was read in the widened ends
    that is no dash, "I", quote or closing mark, is read faintly, lies at the crop's very
    edge, or makes an ending no text has (".!", a closing quote never opened)."""
    edge = config.edge * height
    # The first box's start is known to a few pixels, and a CTC peak may stand off its
    # glyph's middle: what is read this close before it still belongs to it. (After the
    # last box, letters read are the picture beyond the text.)
    core = (core[0] - config.slack * height, core[1])

    def middle(item: tuple[str, float, float, float]) -> float:
        return (item[2] + item[3]) / 2

    inner = [item for item in chars if core[0] <= middle(item) <= core[1] or item[0] == " "]
    inner_text = "".join(c for c, *_ in inner)
    lead = []
    for item in chars:
        c, p, _, _ = item
        m = middle(item)
        if m >= core[0] or c == " ":
            continue
        floor = config.min_i_probability if c == "I" else config.min_margin_probability
        if c not in LEADING or p < floor or m < edge:
            continue
        if c == "I" and m < core[0] - config.lone_i_reach * height:
            continue  # too far before the words for a lone "I" and its space
        if c in "-–—" and inner_text.lstrip()[:1] in ("-", "–", "—"):
            continue
        if c in "\"“'‘" and not any(q in inner_text for q in "\"”'’"):
            continue  # an opening quote that nothing in the line closes
        if c in "([" and ")]"["([".index(c)] not in inner_text:
            continue
        if c in "-–—" and any(d in "-–—" for d, *_ in lead):
            continue  # one dialogue dash to a line
        lead.append(item)
    # A lone "I" is a word of its own, right before the line's words: never before a dash.
    lead = [item for k, item in enumerate(lead) if item[0] != "I" or k == len(lead) - 1]
    trail = []
    last = max((middle(item) for item in inner if item[0] != " "), default=core[1])
    spaced = False
    for item in chars:
        c, p, _, _ = item
        m = middle(item)
        if m <= core[1]:
            continue
        if c == " ":
            spaced = bool(trail) or spaced or m > last
            continue
        floor = config.min_dot_probability if c in ".,:;" else config.min_margin_probability
        if m > width - edge or p < floor or m - last > config.mark_gap * height:
            break  # the picture beyond the text, read faintly or far from the last glyph
        before_it = trail[-1][0] if trail else inner_text.rstrip()[-1:]
        if c == "I" and (spaced and not trail or not spaced and before_it in ",.?!"):
            # "that. I": a lone "I" that runs on to the next line (the space after a stop
            # is not always read)
            trail.append((" ", 1.0, last, m))
        elif c not in TRAILING or spaced:
            break
        trail.append(item)
        last = m
        if c == "I":
            break
    # The end of the line as read, marks and all, must be one that text has.
    tail = re.search(r"[^\w\s]*$", inner_text.rstrip())
    inner_end = tail.group(0) if tail else ""
    while trail:
        ending = inner_end + "".join(c for c, *_ in trail)
        quotes = sum(inner_text.count(q) for q in '"“”') + sum(c in '"”' for c, *_ in trail)
        opened = re.search(r"(^|\s)['‘]\w", inner_text) is not None
        if (
            (_ENDING.fullmatch(ending) or ending.endswith(" I"))
            and (quotes % 2 == 0 or not any(c in '"”' for c, *_ in trail))
            and (opened or not any(c in "'’" for c, *_ in trail))  # "joke.'": a quote never opened
        ):
            break
        trail.pop()
    kept = [*lead, *inner, *trail]
    # No line starts with a stop or a comma, but for an ellipsis ("...and then"): a mark read
    # in the first box's slack is the picture's.
    start = next((k for k, item in enumerate(kept) if item[0] != " "), len(kept))
    run = start
    while run < len(kept) and kept[run][0] in ".,:;" and middle(kept[run]) < core[0] + config.slack * height:
        run += 1
    if run > start and "".join(c for c, *_ in kept[start:run]) != "...":
        kept = kept[:start] + kept[run:]
    # "-I don't": a dash at the start whose gap to the glyph after it is a space's.
    first = next((k for k, item in enumerate(kept) if item[0] != " "), None)
    if first is not None and kept[first][0] in "-–—" and first + 1 < len(kept):
        dash, after = kept[first], kept[first + 1]
        if after[0] != " " and after[2] - dash[3] >= config.dash_space * height:
            kept.insert(first + 1, (" ", 1.0, dash[3], after[2]))
    return kept


def _along(box: np.ndarray, width: float, x0: float, x1: float, top: float, bottom: float) -> np.ndarray:
    """The part of ``box`` (the crop's source) from crop x ``x0`` to ``x1``, and from ``top`` to
    ``bottom`` of its height (0-1)."""
    tl, tr, br, bl = box
    f0, f1 = max(0.0, x0 / width), min(1.0, x1 / width)

    def at(f: float, v: float) -> np.ndarray:
        upper = tl + (tr - tl) * f
        lower = bl + (br - bl) * f
        return upper + (lower - upper) * v

    return np.array([at(f0, top), at(f1, top), at(f1, bottom), at(f0, bottom)], dtype=np.float32)


class LineReader:
    """Reads a frame's Latin lines whole (``read``); thread-compatible, as the recogniser is."""

    def __init__(
        self,
        recognizer: EnglishG2Recognizer,
        config: LineReadConfig | None = None,
        correct: Callable[[list[str]], list[list[str]]] | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.config = config or LineReadConfig()
        # A line's words as read -> the words each is (``lexicon.correct_line``; none: as read).
        self.correct = correct

    def read(self, gray: np.ndarray, reads: list[Read]) -> list[Read]:
        """``reads`` (one per word box) with each upright Latin line read again whole: its
        words replaced by those of the line's read where that read is kept."""
        words = [Detection.from_array(r.box, r.text.strip() or "?", r.confidence) for r in reads]
        index = {id(w): i for i, w in enumerate(words)}
        candidates = [w for w in words if self._upright(w) and not any(is_cjk(c) for c in w.text)]
        lines = [line for line in group_lines(candidates) if line.words]
        if not lines:
            return reads
        config = self.config
        boxes = [widened(np.array(line.points), config.before, config.after, config.vertical) for line in lines]
        crops = [line_crop(gray, box) for box in boxes]
        replaced: set[int] = set()
        out: list[Read] = []
        for line, box, crop, probs in zip(lines, boxes, crops, self.recognizer.class_scores(crops)):
            new = self._line_words(line, box, crop.shape[1], probs)
            if new is None:
                continue
            replaced |= {index[id(w)] for w in line.words}
            # A mark boxed alone (a dash too small to join the line) is in the line's read.
            replaced |= {i for i, w in enumerate(words) if _is_mark(w.text) and _inside(w, box)}
            out += new
        return [r for i, r in enumerate(reads) if i not in replaced] + out

    def _upright(self, word: Detection) -> bool:
        (x0, y0), (x1, y1) = word.points[0], word.points[1]
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        return abs(angle) <= self.config.max_tilt_deg

    def _line_words(self, line, box: np.ndarray, width: int, probs: np.ndarray) -> list[Read] | None:
        """The line's words from its whole read, or None to keep the word reads."""
        text, probabilities, spans = decode_spans(probs)
        config = self.config
        total = config.before + _length_in_heights(line) + config.after
        core = (width * config.before / total, width * (config.before + _length_in_heights(line)) / total)
        text, probabilities = _strokes_as_i(text, probabilities, spans, probs, core[0])
        found = tokens(text, probabilities, spans, core, width, HEIGHT / (1 + 2 * config.vertical), config)
        if not found:
            return None
        line_text = " ".join(t.text for t in found)
        own = " ".join(w.text for w in line.words)
        own_confidence = np.mean([w.confidence or 0.0 for w in line.words])
        confidence = confidence_of([p for t in found for p in t.probabilities])
        distance = key_distance(alnum_key(line_text), alnum_key(own))
        if distance > config.max_distance and confidence < own_confidence:
            return None
        v0 = config.vertical / (1 + 2 * config.vertical)
        tl, tr = box[0], box[1]
        along = tr - tl
        span = max(float(np.dot(along, along)), 1e-6)

        def place(word: Detection) -> float:
            """Where the middle of ``word``'s box lies along the crop, in crop pixels."""
            middle = np.mean(np.asarray(word.points, dtype=np.float32), axis=0)
            return float(np.dot(middle - tl, along)) / span * width

        out = []
        corrected = self.correct([t.text for t in found]) if self.correct else [[t.text] for t in found]
        for k, (token, parts) in enumerate(zip(found, corrected)):
            # A word the detector boxed keeps the detector's box (it fits the glyphs); a
            # glyph it missed (a dash, a lone "I") is placed where the recogniser read it.
            members = [w for w in line.words if token.x0 <= place(w) < token.x1]
            if members:
                token_box = _enclosing([w.points for w in members], along / np.sqrt(span))
                # One box the detector drew round this word and the next ("Well, it") is
                # the next word's too: each word keeps its own part of it, or the next
                # word's box would lie inside this one's and the line fall in two.
                reach = [float(np.dot(p - tl, along)) / span * width for p in token_box]
                token_box = clipped(
                    token_box,
                    (min(reach), max(reach)),
                    token.x0 if k > 0 else -math.inf,
                    token.x1 if k < len(found) - 1 else math.inf,
                )
            else:
                token_box = _along(box, width, token.x0, token.x1, v0, 1 - v0)
            share = sum(len(p) for p in parts) or 1
            done = 0
            for part in parts:
                piece = _cut(token_box, done / share, (done + len(part)) / share)
                # Each word is as sure as the read it came from: a lone "I" or "-" is one
                # glyph, whose own score says little when the line around it reads well.
                out.append(Read(piece, part, confidence))
                done += len(part)
        return out


def _is_mark(text: str) -> bool:
    return bool(text) and not any(c.isalnum() for c in text)


def _inside(word: Detection, box: np.ndarray) -> bool:
    middle = np.mean(np.asarray(word.points, dtype=np.float32), axis=0)
    return cv2.pointPolygonTest(box.reshape(-1, 1, 2), (float(middle[0]), float(middle[1])), False) >= 0


def _strokes_as_i(
    text: str, probabilities: list[float], spans: list[tuple[int, int]], probs: np.ndarray, before: float
) -> tuple[str, list[float]]:
    """The read with each upright stroke read before the line's words (an "l", "|", "1", "!"
    or "I") made "I", as sure as the stroke classes together at its peak: a glyph the
    recogniser reads as "I" 0.45 and "l" 0.39 is an "I" 0.84 where no word has begun."""
    chars, sure = list(text), list(probabilities)
    for k, (c, (t0, t1)) in enumerate(zip(text, spans)):
        if c not in I_LIKE or (t0 + t1 + 1) * STEP / 2 >= before:
            continue
        chars[k] = "I"
        sure[k] = float(probs[t0 : t1 + 1][:, _I_CLASSES].sum(axis=1).max())
    return "".join(chars), sure


def _enclosing(boxes: list, along: np.ndarray) -> np.ndarray:
    """The box, along the line's direction, round several 4-point boxes."""
    if len(boxes) == 1:
        return np.asarray(boxes[0], dtype=np.float32)
    down = np.array([-along[1], along[0]], dtype=np.float32)
    points = np.asarray([p for b in boxes for p in b], dtype=np.float32)
    a, d = points @ along, points @ down
    corners = [(a.min(), d.min()), (a.max(), d.min()), (a.max(), d.max()), (a.min(), d.max())]
    return np.array([x * along + y * down for x, y in corners], dtype=np.float32)


def clipped(box: np.ndarray, reach: tuple[float, float], lo: float, hi: float) -> np.ndarray:
    """The part of ``box``, which runs from ``reach[0]`` to ``reach[1]`` along its line, that
    lies between ``lo`` and ``hi`` there (the whole box where it lies within)."""
    m0, m1 = reach
    if (m0 >= lo and m1 <= hi) or m1 - m0 <= 1e-6:
        return box
    f0, f1 = max(0.0, (lo - m0) / (m1 - m0)), min(1.0, (hi - m0) / (m1 - m0))
    return box if f1 <= f0 else _cut(box, f0, f1)


def _cut(box: np.ndarray, f0: float, f1: float) -> np.ndarray:
    """The part of a 4-point box from ``f0`` to ``f1`` of its length."""
    tl, tr, br, bl = np.asarray(box, dtype=np.float32)
    if f0 <= 0 and f1 >= 1:
        return np.array([tl, tr, br, bl], dtype=np.float32)
    return np.array(
        [tl + (tr - tl) * f0, tl + (tr - tl) * f1, bl + (br - bl) * f1, bl + (br - bl) * f0], dtype=np.float32
    )


def _length_in_heights(line: Detection) -> float:
    tl, tr, _, bl = (np.asarray(p, dtype=np.float32) for p in line.points)
    return float(np.linalg.norm(tr - tl)) / max(float(np.linalg.norm(bl - tl)), 1.0)
