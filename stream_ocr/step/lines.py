"""Words to lines and blocks, in reading order: the stage after every engine.

Owns the grouping only: words that share a text line (overlapping vertical extent,
similar height, a gap that fits the text's size, the same angle) become a ``Line``;
stacked lines that belong together (a two-line subtitle, a paragraph) share a block.
"Vertical" is the text's own direction, so a page held sideways groups the same way.
It reads no pixels and runs no model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from stream_ocr.step.junk import JunkConfig, is_junk_line, is_junk_word, is_punctuation
from stream_ocr.step.scripts import joins_without_space
from stream_ocr.types import Detection, FrameResult, Line, P, Placed


def text_angle(detections: Sequence[Placed]) -> float:
    """The median direction of the boxes' top edges: 0 for upright text."""
    angles = sorted(math.atan2(d.points[1][1] - d.points[0][1], d.points[1][0] - d.points[0][0]) for d in detections)
    return angles[len(angles) // 2] if angles else 0.0


def reading_order(detections: Sequence[P]) -> list[P]:
    """Sort into lines (by vertical overlap), then left to right within a line.

    "Vertical" and "left" are the text's own: a page turned sideways or upside down is
    read in its reading order, not the screen's.
    """
    detections = list(detections)
    angle = text_angle(detections)
    cos, sin = math.cos(-angle), math.sin(-angle)

    def extent(det: P) -> tuple[float, float, float, float]:
        xs = [x * cos - y * sin for x, y in det.points]
        ys = [x * sin + y * cos for x, y in det.points]
        return min(xs), min(ys), max(xs), max(ys)

    boxes = {id(d): extent(d) for d in detections}
    lines: list[list[P]] = []
    for det in sorted(detections, key=lambda d: (boxes[id(d)][1] + boxes[id(d)][3]) / 2):
        _, y0, _, y1 = boxes[id(det)]
        cy = (y0 + y1) / 2
        for line in lines:
            ly0 = sum(boxes[id(d)][1] for d in line) / len(line)
            ly1 = sum(boxes[id(d)][3] for d in line) / len(line)
            if ly0 <= cy <= ly1:
                line.append(det)
                break
        else:
            lines.append([det])
    return [d for line in lines for d in sorted(line, key=lambda d: boxes[id(d)][0])]


@dataclass(frozen=True)
class LineConfig:
    # Two words share a line when their vertical extents overlap by this share of the
    # smaller height, their heights differ by at most this ratio, and the gap between
    # them is at most this many times the line's height.
    min_overlap: float = 0.5
    max_height_ratio: float = 1.8
    # ... or this ratio, where the shorter word is of x-height letters alone ("one.", "a")
    # and lies within the taller one's rows.
    max_x_height_ratio: float = 2.6
    max_gap: float = 1.5
    max_angle_deg: float = 12.0
    # Two stacked lines share a block when the gap between them is at most this many
    # times their height and they overlap horizontally by this share of the narrower one.
    block_gap: float = 0.8
    block_overlap: float = 0.3


@dataclass
class _Extent:
    """A word's box in the text's own frame (rotated so that the text runs along x)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)


def _edge_angle(det: Detection) -> float:
    (x0, y0), (x1, y1) = det.points[0], det.points[1]
    return math.atan2(y1 - y0, x1 - x0)


def _rotate(points, angle: float) -> list[tuple[float, float]]:
    cos, sin = math.cos(-angle), math.sin(-angle)
    return [(x * cos - y * sin, x * sin + y * cos) for x, y in points]


def _extent(det: Placed, angle: float) -> _Extent:
    pts = _rotate(det.points, angle)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return _Extent(min(xs), min(ys), max(xs), max(ys))


def _angle_gap(a: float, b: float) -> float:
    d = abs(a - b) % (2 * math.pi)
    return math.degrees(min(d, 2 * math.pi - d))


def _enclosing(words: list[Detection], angle: float) -> tuple:
    """The box around ``words`` in the text's frame, as 4 points clockwise from its top-left."""
    pts = [p for w in words for p in _rotate(w.points, angle)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    corners = [(min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys))]
    return tuple(_rotate(corners, -angle))


def _confidence(words: list[Detection]) -> float | None:
    if any(w.confidence is None for w in words):
        return None
    total = sum(max(1, len(w.text)) for w in words)
    return sum(w.confidence * max(1, len(w.text)) for w in words) / total  # type: ignore[operator]


# Letters that stay between the baseline and the x-height: a word of them alone ("one.",
# "a", "us") is boxed about half as high as a word with ascenders and descenders.
_X_HEIGHT = frozenset("acemnorsuvwxz.,:;-–—'\"…")


def _height_ratio_allowed(a: Detection, b: Detection, ea: _Extent, eb: _Extent, config: LineConfig) -> float:
    """How many times taller one of two words may be than the other and still share their
    line: ``max_height_ratio``, or ``max_x_height_ratio`` where the shorter is of x-height
    letters alone and lies within the taller's rows ("making a bigger" and "one.")."""
    short, tall = (a, b) if ea.height <= eb.height else (b, a)
    es, et = (ea, eb) if short is a else (eb, ea)
    text = short.text.strip()
    if (
        text
        and all(c in _X_HEIGHT for c in text)
        and et.y0 - 0.1 * et.height <= es.y0
        and es.y1 <= et.y1 + 0.1 * et.height
    ):
        return config.max_x_height_ratio
    return config.max_height_ratio


def join_words(texts: list[str]) -> str:
    """A line's words in order, a space between each two but where Chinese or Japanese meet
    (``step.scripts.joins_without_space``)."""
    out = ""
    for text in texts:
        out += text if not out or joins_without_space(out, text) else " " + text
    return out


def group_lines(
    words: Sequence[Detection],
    config: LineConfig | None = None,
    junk_word: Callable[[Detection], bool] | None = None,
    junk_line: Callable[[Line], bool] | None = None,
) -> tuple[Line, ...]:
    """Group ``words`` into lines, in reading order, each numbered with its block.

    Lines are found with every word; then words for which ``junk_word`` is true leave
    their line (which keeps its place and its other words), but for marks of punctuation
    alone ("-", "...") in a line that keeps a real word; and lines for which ``junk_line``
    is true go.
    """
    config = config or LineConfig()
    words = [w for w in words if w.text.strip()]
    if not words:
        return ()
    angle = text_angle(words)
    extents = {id(w): _extent(w, angle) for w in words}
    rows: list[list[Detection]] = []
    for word in sorted(words, key=lambda w: extents[id(w)].x0):
        e = extents[id(word)]
        best, best_gap = None, math.inf
        for row in rows:
            last = extents[id(row[-1])]
            overlap = min(e.y1, last.y1) - max(e.y0, last.y0)
            low, high = sorted((e.height, last.height))
            gap = e.x0 - last.x1
            if (
                overlap >= config.min_overlap * low
                and high / low <= _height_ratio_allowed(word, row[-1], e, last, config)
                and -0.5 * low <= gap <= config.max_gap * high
                and _angle_gap(_edge_angle(word), _edge_angle(row[-1])) <= config.max_angle_deg
                and gap < best_gap
            ):
                best, best_gap = row, gap
        if best is None:
            rows.append([word])
        else:
            best.append(word)
    lines = []
    for row in rows:
        real = {id(w) for w in row if not is_punctuation(w) and (junk_word is None or not junk_word(w))}
        if not real:
            continue
        # A dash or an ellipsis between words stays, as printed, where real words do.
        kept = [w for w in row if id(w) in real or is_punctuation(w)]
        kept_chars = sum(len(w.text.strip()) for w in kept)
        junk_chars = sum(len(w.text.strip()) for w in row) - kept_chars
        if kept_chars <= 2 < junk_chars:
            continue  # a character or two left over from a line of a script the recognizer cannot read
        line = Line(
            points=_enclosing(kept, angle),  # type: ignore[arg-type]
            text=join_words([w.text.strip() for w in kept]),
            confidence=_confidence(kept),
            words=tuple(kept),
        )
        if junk_line is None or not junk_line(line):
            lines.append(line)
    if not lines:
        return ()
    ordered = reading_order(lines)
    return _number_blocks(ordered, angle, config)


def _number_blocks(lines: list[Line], angle: float, config: LineConfig) -> tuple[Line, ...]:
    """Give stacked lines that belong together one block number (union-find over pairs)."""
    extents = [_extent(line, angle) for line in lines]
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(extents):
        for j in range(i + 1, len(lines)):
            b = extents[j]
            upper, lower = (a, b) if a.y0 <= b.y0 else (b, a)
            height = max(upper.height, lower.height)
            gap = lower.y0 - upper.y1
            overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
            narrower = min(a.x1 - a.x0, b.x1 - b.x0)
            if (
                -0.3 * height <= gap <= config.block_gap * height
                and overlap >= config.block_overlap * narrower
                and max(a.height, b.height) / min(a.height, b.height) <= 1.5
            ):
                parent[root(j)] = root(i)
    numbers: dict[int, int] = {}
    out = []
    for i, line in enumerate(lines):
        block = numbers.setdefault(root(i), len(numbers))
        out.append(Line(line.points, line.text, line.confidence, line.track_id, line.words, block))
    return tuple(out)


def blocks(lines: tuple[Line, ...] | list[Line]) -> list[list[Line]]:
    """Lines grouped by block, each block in reading order."""
    out: dict[int, list[Line]] = {}
    for line in lines:
        out.setdefault(line.block, []).append(line)
    return list(out.values())


@dataclass(frozen=True)
class TextConfig:
    """How an engine's words become lines: the junk rules, the grouping, and the confidence
    below which a word leaves its line once lines are found (so that a line of a script the
    recognizer cannot read is known as such, even where its reads are unsure)."""

    junk: JunkConfig = field(default_factory=JunkConfig)
    lines: LineConfig = field(default_factory=LineConfig)
    min_confidence: float = 0.0


def make_lines(words: Sequence[Detection], config: TextConfig) -> tuple[Line, ...]:
    """The stage after every engine: ``words`` without junk, grouped into lines and blocks."""

    def junk_word(word: Detection) -> bool:
        unsure = word.confidence is not None and word.confidence < config.min_confidence
        return unsure or is_junk_word(word, config.junk)

    return group_lines(words, config.lines, junk_word, lambda line: is_junk_line(line, config.junk))


def with_lines(result: FrameResult, config: TextConfig) -> FrameResult:
    """An engine's ``result`` with its lines made (``make_lines``) and only the words they
    keep as its detections."""
    lines = make_lines(result.detections, config)
    return replace(result, detections=tuple(w for line in lines for w in line.words), lines=lines)
