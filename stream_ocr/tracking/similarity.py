"""Is this the same text? The one place for the keys texts are compared by, and their likeness.

Owns string comparison only, no boxes and no time: the tracker, fusion, the line reads,
the video timeline, history search and the watchlist rules all compare texts through it.
Likeness is 0 (nothing alike) to 1 (the same).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

# Glyphs recognizers swap for one another; mapped alike before deciding identity.
_SHAPES = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1", "s": "5", "b": "8", "z": "2", "g": "9", "q": "9"})
_SPACE_PUNCT = re.compile(r"[\s.,:;!?'\"`´‘’“”()\[\]{}\-–—_/\\]+")


def search_key(text: str) -> str:
    """What search and watchlists compare: lower case, letters and digits, single spaces,
    one at each end (so that " word " finds whole words)."""
    words = re.findall(r"[^\W_]+", text.lower())
    return f" {' '.join(words)} " if words else ""


def glyph_key(text: str) -> str:
    """Case and look-alike glyphs removed: l, I and 1 are one, O and 0 are one."""
    return text.casefold().translate(_SHAPES)


def shape_key(text: str) -> str:
    """Case, spacing, punctuation and look-alike glyphs removed: two reads of one text
    by a recognizer that confuses l and 1, O and 0, have one key."""
    return glyph_key(_SPACE_PUNCT.sub("", text))


def alnum_key(text: str) -> str:
    """Letters and digits only, in lower case."""
    return "".join(c for c in text.casefold() if c.isalnum())


def similarity(a: str, b: str) -> float:
    """1 for equal strings (case-insensitive), falling to 0 with edit distance."""
    a, b = a.lower(), b.lower()
    if not a or not b:
        return 0.0
    return 1.0 - Levenshtein.normalized_distance(a, b)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the insertions, deletions and substitutions from one to the other."""
    return Levenshtein.distance(a, b)


def key_distance(a: str, b: str) -> float:
    """Normalised edit distance (0 the same, 1 nothing shared) of two keys."""
    return Levenshtein.normalized_distance(a, b)


def found_in(needle: str, hay: str) -> float:
    """How well ``needle`` is found in ``hay``: its best-matching part when ``hay`` is
    longer; the whole of ``hay`` when it is not, so that a text that is one word of the
    needle does not match it perfectly."""
    if len(needle) <= len(hay):
        return max(fuzz.partial_ratio(needle, hay), fuzz.ratio(needle, hay)) / 100
    return fuzz.ratio(needle, hay) / 100


def whole_likeness(a: str, b: str) -> float:
    """How alike two strings are as wholes (insertions and deletions), for ranking."""
    return fuzz.ratio(a, b) / 100


def part_likeness(a: str, b: str) -> float:
    """How well the shorter string (case-insensitive) matches its best place in the longer."""
    return fuzz.partial_ratio(a.lower(), b.lower()) / 100
