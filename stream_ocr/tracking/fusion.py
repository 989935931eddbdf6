"""A track's reads to one text: character alignment and a confidence-weighted vote.

Owns two questions about strings, and nothing about boxes or time:
* ``same_text``: is a new read a misreading of a text, or plainly another text?
* ``fuse``: given every read of one text and its weight, what does it say? The reads are
  aligned character by character to the read most like all the others, and each
  position (and each gap between positions) is voted on, so that "Waich", "WATCH" and
  "WATCN" give "WATCH" even when no single read was right.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from stream_ocr.tracking.similarity import glyph_key, shape_key

_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class IdentityConfig:
    """How different two reads may be and still be one text."""

    # Strings up to this long (normalised) must match exactly.
    exact_up_to: int = 2
    # Strings up to this long may differ by one edit.
    one_edit_up_to: int = 5
    # Longer strings: edits per character allowed for a fully confident read, and the
    # extra allowed as the read's confidence falls to 0.
    max_edit_ratio: float = 0.25
    unsure_extra: float = 0.2
    # A read that holds only some of a line's words (a word missed on one frame) is the
    # same line when it covers at least this share of the longer one's characters; with
    # ``partial`` off, never: subtitles are never hidden in part, and "- I believe you."
    # in the place of "- I want you to believe it." is the next subtitle.
    min_partial_cover: float = 0.5
    partial: bool = True
    # A read whose least sure word is below this confidence, and which is closer than
    # this normalised distance, may be a misreading: where it lies decides. A sure read
    # may be one too within the narrower band (glare garbles letters with confidence),
    # unless a word of it was replaced.
    sure_read: float = 0.9
    max_unsure_distance: float = 0.5
    max_sure_distance: float = 0.4


def _tokens(text: str) -> list[str]:
    return [t for t in (shape_key(w) for w in text.split()) if t]


SAME, UNSURE, DIFFERENT = "same", "unsure", "different"


def relation(known: str, read: str, confidence: float | None, config: IdentityConfig | None = None) -> str:
    """Whether ``read`` is a reading of ``known``: ``SAME``, ``DIFFERENT``, or ``UNSURE``.

    ``confidence`` is the recognizer's, for its least sure word. A read that is neither
    close enough to be the same text nor far enough to be plainly another is ``UNSURE``:
    the tracker lets place decide. The band is wider for a read the recognizer was
    unsure of; a sure read is unsure only when close and no word of it was replaced
    (glare makes confident misreads: "ommunity arden", "commun garden").
    """
    config = config or IdentityConfig()
    if same_text(known, read, confidence, config):
        return SAME
    if _hard_difference(known, read, config):
        return DIFFERENT
    a, b = shape_key(known), shape_key(read)
    if not a or not b:
        return DIFFERENT
    sure = 0.5 if confidence is None else confidence
    distance = Levenshtein.normalized_distance(a, b)
    if sure < config.sure_read and distance < config.max_unsure_distance:
        return UNSURE
    tokens_a, tokens_b = _tokens(known), _tokens(read)
    replaced = len(tokens_a) == len(tokens_b) and any(_replaced(x, y) for x, y in zip(tokens_a, tokens_b))
    if distance <= config.max_sure_distance and not replaced:
        return UNSURE
    return DIFFERENT


def _hard_difference(known: str, read: str, config: IdentityConfig) -> bool:
    """Differences no misreading explains: digits, a lone letter, a short word changed."""
    raw_a, raw_b = glyph_key(known), glyph_key(read)
    if _DIGITS.search(known) and _DIGITS.search(read) and _DIGITS.findall(raw_a) != _DIGITS.findall(raw_b):
        return True
    tokens_a, tokens_b = _tokens(known), _tokens(read)
    if len(tokens_a) == len(tokens_b) and any(max(len(x), len(y)) == 1 and x != y for x, y in zip(tokens_a, tokens_b)):
        return True
    a, b = shape_key(known), shape_key(read)
    return max(len(a), len(b)) <= config.one_edit_up_to and a != b


def same_text(known: str, read: str, confidence: float | None, config: IdentityConfig | None = None) -> bool:
    """Whether ``read`` (with its recognizer ``confidence``) is plainly a reading of ``known``.

    Digits are identity: two reads whose digits differ are different texts (a page
    counter, a score, a clock), however alike the rest. So is a lone letter ("Chapter
    A" -> "Chapter B").
    """
    config = config or IdentityConfig()
    a, b = shape_key(known), shape_key(read)
    if not a or not b:
        return known.strip().casefold() == read.strip().casefold()
    raw_a, raw_b = glyph_key(known), glyph_key(read)
    digits_a, digits_b = _DIGITS.findall(raw_a), _DIGITS.findall(raw_b)
    if _DIGITS.search(known) and _DIGITS.search(read) and digits_a != digits_b:
        return False
    tokens_a, tokens_b = _tokens(known), _tokens(read)
    if len(tokens_a) == len(tokens_b) and any(_replaced(x, y) for x, y in zip(tokens_a, tokens_b)):
        return False  # a word changed: "Chapter A" -> "Chapter B", "my keys" -> "my bags"
    if a == b:
        return True
    n = max(len(a), len(b))
    edits = Levenshtein.distance(a, b)
    if n <= config.exact_up_to:
        return False
    if n <= config.one_edit_up_to:
        return edits <= 1
    sure = 0.5 if confidence is None else confidence
    if edits / n <= config.max_edit_ratio + config.unsure_extra * (1.0 - sure):
        return True
    return config.partial and _partial(a, b, known, read, config)


def _replaced(a: str, b: str) -> bool:
    """One word put for another, not misread: a lone letter changed, or most of a word."""
    if max(len(a), len(b)) == 1:
        return a != b
    return min(len(a), len(b)) >= 3 and Levenshtein.normalized_distance(a, b) > 0.5


def _partial(a: str, b: str, known: str, read: str, config: IdentityConfig) -> bool:
    """One holds only some of the other's words, each of them nearly the same."""
    short, long_ = (read, known) if len(b) <= len(a) else (known, read)
    if min(len(a), len(b)) < config.min_partial_cover * max(len(a), len(b)):
        return False
    long_tokens = _tokens(long_)
    for token in _tokens(short):
        if not any(Levenshtein.normalized_distance(token, other) <= 0.25 for other in long_tokens):
            return False
    return True


def is_fragment(part: str, whole: str) -> bool:
    """Whether ``part`` holds fewer words than ``whole``, each nearly one of ``whole``'s words.

    A line read with a word hidden (glare, an occluding hand) splits into such fragments.
    """
    part_tokens, whole_tokens = _tokens(part), _tokens(whole)
    if not part_tokens or len(part_tokens) >= len(whole_tokens):
        return False
    return all(
        any(Levenshtein.normalized_distance(token, other) <= 0.25 for other in whole_tokens) for token in part_tokens
    )


@dataclass(frozen=True)
class Fused:
    text: str
    confidence: float


def _anchor(reads: list[tuple[str, float]]) -> str:
    """The read with the least weighted distance to all the others (a weighted medoid)."""
    best, best_cost = reads[0][0], float("inf")
    for text, _ in reads:
        cost = sum(w * Levenshtein.distance(text, other) for other, w in reads)
        if cost < best_cost:
            best, best_cost = text, cost
    return best


def fuse(reads: dict[str, float] | list[tuple[str, float]]) -> Fused:
    """Fuse distinct reads of one text, each with its weight (summed read confidences).

    Each read is aligned to the anchor (Levenshtein operations); every anchor position
    gets a vote for the character the read has there, or for nothing, and every gap
    between positions a vote for what the read inserts there, or for nothing. The
    confidence is the winning votes' mean share: 1 when every read agrees.
    """
    items = [(t, w) for t, w in (reads.items() if isinstance(reads, dict) else reads) if t]
    if not items:
        return Fused("", 0.0)
    if len(items) == 1:
        return Fused(repair_case(items[0][0]), 1.0)
    anchor = _anchor(items)
    n = len(anchor)
    slots: list[dict[str, float]] = [defaultdict(float) for _ in range(n)]
    gaps: list[dict[str, float]] = [defaultdict(float) for _ in range(n + 1)]
    total = sum(w for _, w in items)
    for text, weight in items:
        inserted: dict[int, str] = defaultdict(str)
        for tag, i1, i2, j1, j2 in Levenshtein.opcodes(anchor, text):
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                for k in range(i2 - i1):
                    slots[i1 + k][text[j1 + k]] += weight
            elif tag == "delete":
                for k in range(i1, i2):
                    slots[k][""] += weight
            elif tag == "insert":
                inserted[i1] += text[j1:j2]
            else:  # an uneven replace: pair what lines up, the rest is deleted or inserted
                common = min(i2 - i1, j2 - j1)
                for k in range(common):
                    slots[i1 + k][text[j1 + k]] += weight
                for k in range(i1 + common, i2):
                    slots[k][""] += weight
                if j2 - j1 > common:
                    inserted[i2] += text[j1 + common : j2]
        for position in range(n + 1):
            gaps[position][inserted.get(position, "")] += weight
    out, agreement = [], []
    for position in range(n + 1):
        gap_text, gap_weight = _chosen(gaps[position])
        out.append(gap_text)
        if gap_text:
            agreement.append(gap_weight / total)
        if position < n:
            char, weight = _chosen(slots[position])
            out.append(char)
            agreement.append(weight / total)
    text = repair_case(" ".join("".join(out).split()))
    return Fused(text, sum(agreement) / len(agreement) if agreement else 0.0)


# Marks a recogniser reads faintly: missed by some reads of a line and seen by others. Where
# nothing and marks alone are voted on near evenly (the marks have this share of nothing's
# weight or more), the marks win: a faint stop or ellipsis is missed far more often than one
# is read where none is printed ("the a end." 2.0 against "the a end..." 1.999).
_MARKS = frozenset(".,!?…:;'\"’-")
MARK_TIE = 0.9


def _chosen(votes: dict[str, float]) -> tuple[str, float]:
    """The text a slot or gap of the alignment gets: the heaviest vote (nothing on a tie),
    or marks alone that nearly tie with nothing."""
    best = max(votes.items(), key=lambda kv: (kv[1], kv[0] == ""))
    if best[0] == "":
        marks = [(t, w) for t, w in votes.items() if t and set(t) <= _MARKS and w >= MARK_TIE * best[1]]
        if marks:
            return max(marks, key=lambda kv: kv[1])
    return best


def repair_case(text: str) -> str:
    """Upper-case a word whose letters are all capitals but one ("PROTECTeD", "WATCh").

    A lone lower-case letter among four or more capitals is a recognizer's slip far more
    often than the word's real spelling.
    """
    words = []
    for word in text.split(" "):
        letters = [c for c in word if c.isalpha()]
        if len(letters) >= 4 and sum(c.islower() for c in letters) == 1:
            word = word.upper()
        words.append(word)
    return " ".join(words)
