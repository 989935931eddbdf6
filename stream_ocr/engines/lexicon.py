"""English words as a reader knows them: the recogniser's look-alike glyphs, lost spaces and case, mended.

Owns the rules that read a line's words against English word frequencies (``wordfreq``,
whose lists ship inside its wheel: nothing is downloaded), and nothing about pixels. A
word is changed only into words far more common than what was read, and only where the
read is no common word itself: a name that is in no list stays as it was read. The rules,
and every threshold below, were chosen on the tuning film (``benchmarks/make_films.py``'s
``tune``), never on the film reported on:

* look-alike glyphs: "Iook" is "look", "AIl" is "All", "lt" is "It";
* a lone "l" in a line of words is the word "I", and so is a lone "|", "!" or "1" before
  a small word ("1" only where no number would stand);
* a lost space: "Iwas" and "lguess" are "I was" and "I guess", "Asmall" is "A small", "ifyou" is "if you", "Okay.so"
  is "Okay. so";
* a letter in quotes run into its neighbours: "an 'a'end" is "an 'a' end";
* an ellipsis whose dots the decoder ran together: "been.." is "been...";
* a stray glyph in a word of no list: "comnes" is "comes", "wihat" "what", "bbig" "big",
  "we'Ill" "we'll" (a stroke, an "n" or a doubled letter; never a word that is in a list);
* a closing "!" read as "l" or "I" on the end of a word: "Goodbyel" is "Goodbye!";
* case where the glyphs cannot tell it (``english_g2.SAME_SHAPE``): in a line written in
  sentence case, "SO" is "so" (or "So" where a sentence starts), "NO" is "No", "US" is "us".

Only English has a model here: other languages' lines are left as read.
"""

from __future__ import annotations

import functools
import itertools
import re

from stream_ocr.engines.english_g2 import SAME_SHAPE

# Zipf frequencies (log10 of uses per billion words): below UNKNOWN a read is no common
# word and may be mended; a mended form must reach COMMON, and each half of a split word
# SPLIT_COMMON.
UNKNOWN = 2.5
COMMON = 3.5
SPLIT_COMMON = 4.0
# One half of a split word is one of English's commonest ("you", "the", "was"): a space
# lost between two rarer words ("fail safe") is told from a compound only by pixels.
SPLIT_ANCHOR = 5.7
# "I" or "A" run into the next word ("Ido", "Asmall") is split below this.
I_JOINED = 3.0
# What a piece of one or two letters must have over SPLIT_COMMON (English's own two-letter
# words are all above 5; "se" is 4.29 from other languages' text).
SHORT_PIECE = 1.5
# A look-alike's mended form must also be this much more common than the read.
LOOK_ALIKE_GAIN = 2.0
# A line is in sentence case when at least this share of its telling letters (those whose
# capital differs in shape, after each word's first) are small.
SENTENCE_CASE = 0.7

# A word with a stray glyph is mended only into a word at least this common.
STRAY_COMMON = 4.0
# The glyphs the recogniser reads in a word where there is none: a stroke, or an "n" or
# "r" beside an "m" or "n" (besides a letter read twice).
_STRAY = frozenset("iIl|nr")
# What English writes after an apostrophe.
_CONTRACTIONS = frozenset({"s", "t", "re", "ve", "ll", "d", "m"})
_EDGE = re.compile(r"^([^\w]*)(.*?)([^\w]*)$", re.S)
_SWAPS = {"I": "l", "l": "I", "1": "l", "0": "o", "|": "l"}
_SENTENCE_END = ".?!"


@functools.lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common ``word`` is in English (0: not in the list)."""
    from wordfreq import zipf_frequency  # its lists load on first use (about 60 MB)

    return zipf_frequency(word.lower(), "en")


def _split_edges(token: str) -> tuple[str, str, str]:
    m = _EDGE.match(token)
    assert m is not None
    return m.group(1), m.group(2), m.group(3)


def _in_case_of(word: str, model: str) -> str:
    """``word`` with each letter in the case of ``model``'s letter at that place."""
    return "".join(c.upper() if m.isupper() else c.lower() if m.islower() else c for c, m in zip(word, model))


def look_alike(core: str) -> str:
    """``core`` with I/l, 1/l, 0/o and | swapped where that makes a far more common word."""
    own = zipf(core) if core else COMMON
    if own >= COMMON or not any(c in _SWAPS for c in core):
        return core
    places = [i for i, c in enumerate(core) if c in _SWAPS][:4]
    best, best_score = core, max(COMMON, own + LOOK_ALIKE_GAIN)
    for flips in itertools.product((False, True), repeat=len(places)):
        if not any(flips):
            continue
        chars = list(core)
        for i, flip in zip(places, flips):
            if flip:
                chars[i] = _SWAPS[chars[i]]
        word = "".join(chars)
        if not word.replace("'", "").isalpha():
            continue
        score = zipf(word)
        if score > best_score:
            best, best_score = word, score
    # The swaps give their own case (a small l, a capital I): "Iook" is "look", "AIl" "All".
    return best


def _stray(word: str, i: int) -> bool:
    c = word[i].lower()
    return c in _STRAY or any(0 <= j < len(word) and word[j].lower() == c for j in (i - 1, i + 1))


def without_stray(core: str) -> str:
    """``core`` less one glyph the recogniser added, where that makes a common word and
    ``core`` is in no list at all ("comnes", "we'Ill"); else as it is."""
    head, apostrophe, tail = core.partition("'")
    if apostrophe:
        if not head.isalpha() or not tail.isalpha() or tail.lower() in _CONTRACTIONS:
            return core
        for i in range(len(tail)):
            shorter = tail[:i] + tail[i + 1 :]
            if shorter.lower() in _CONTRACTIONS and _stray(tail, i):
                return head + apostrophe + shorter
        return core
    if len(core) < 3 or not core.isalpha() or zipf(core) > 0:
        return core
    best, best_score = core, STRAY_COMMON
    for i in range(len(core)):
        shorter = core[:i] + core[i + 1 :]
        if _stray(core, i) and zipf(shorter) > best_score:
            best, best_score = shorter, zipf(shorter)
    return best


def closing_mark(core: str, trail: str) -> tuple[str, str]:
    """A word's letters and what closes it, with a closing "!" read as "l" or "I" given back
    ("Goodbyel" is "Goodbye!"): only where the word is in no list and its stem is common."""
    if trail or len(core) < 3 or core[-1] not in "lI" or not core[:-1].isalpha():
        return core, trail
    if zipf(core) > 0 or zipf(core[:-1]) < COMMON:
        return core, trail
    return core[:-1], "!"


def split_word(core: str) -> list[str]:
    """``core`` as the two common words it ran together ("Iwas", "ifyou"), or as it is."""
    if len(core) < 3 or not core.replace("'", "").isalpha():
        return [core]
    own = zipf(core)
    if core[0] in "AIl|" and core[1:2].islower() and own < I_JOINED and zipf(core[1:]) >= COMMON:
        return ["A" if core[0] == "A" else "I", core[1:]]
    if own >= UNKNOWN:
        return [core]
    if not core[1:].islower():
        return [core]
    best, best_score = [core], SPLIT_COMMON
    for i in range(1, len(core)):
        a, b = core[:i], core[i:]
        if len(a) == 1 and a not in ("a",) or len(b) == 1 and b not in ("a",):
            continue
        if a.endswith("'") or b.startswith("'"):
            continue  # "meter's" is one word
        # A piece of two letters must be one of English's own ("if", "me"), not a syllable
        # that lists of many languages' words hold ("se", "ni").
        score = min(zipf(a) - SHORT_PIECE * (len(a) <= 2), zipf(b) - SHORT_PIECE * (len(b) <= 2))
        if max(zipf(a), zipf(b)) < SPLIT_ANCHOR:
            continue  # "failsafe", "dramamine": a compound of two words, no space lost
        if a[0].isupper() and zipf(a) < SPLIT_ANCHOR:
            continue  # "Margarethe" is a name; "Whatwe" starts a sentence
        if score > best_score:
            best, best_score = [a, b], score
    return best


def _split_at_quote(token: str) -> list[str]:
    """ "'a'end" as "'a'" and "end", "a'b'end" as "a", "'b'" and "end": a letter in quotes,
    named as a letter is, with the spaces round it lost."""
    m = re.fullmatch(r"([A-Za-z]*)('[A-Za-z]')([A-Za-z]*[^\w]*)", token)
    if not m or not (m.group(1) or m.group(3)) or m.group(2).lower() == "'n'":
        return [token]  # "rock'n'roll" is one word
    return [part for part in m.groups() if part]


def _split_at_stop(token: str) -> list[str]:
    """ "Okay.so" as "Okay." and "so", "into.As" as "into." and "As": a mark with no space after
    it, between words."""
    m = re.fullmatch(r"([\w',.]*[A-Za-z0-9'][.,?!])([a-z][A-Za-z']+.*)", token) or re.fullmatch(
        r"([\w',]*[A-Za-z0-9'][.?!])([A-Z][a-z'][A-Za-z']*.*)", token
    )
    if not m:
        return [token]
    before = m.group(1)[:-1]
    word_before = any(c.isdigit() for c in before) or zipf(before) >= COMMON
    if word_before and zipf(_split_edges(m.group(2))[1]) >= COMMON:
        return [m.group(1), m.group(2)]
    return [token]


def _sentence_case(words: list[str]) -> bool:
    telling = [c for w in words for c in w[1:] if c.isalpha() and c.isascii() and c not in SAME_SHAPE]
    return bool(telling) and sum(c.islower() for c in telling) >= SENTENCE_CASE * len(telling)


def _even_case(core: str, starts_sentence: bool) -> str:
    """A common word whose letters after the first cannot tell their case, in a line written
    in sentence case: those letters small, and the first too unless its shape tells or a
    sentence starts there."""
    letters = core[1:]
    if len(core) < 2 or not letters.isalpha() or any(c not in SAME_SHAPE for c in letters):
        return core
    lower = core.lower()
    if zipf(lower) < COMMON:
        return core  # "UOB", "Cox": no common word to go by
    first = core[0] if starts_sentence or core[0] not in SAME_SHAPE else core[0].lower()
    return first + lower[1:]


def correct_line(words: list[str]) -> list[list[str]]:
    """Each of a line's words (as read, in order) as the words it is (one, or two where a
    space was lost)."""
    out: list[list[str]] = []
    for token in words:
        parts = []
        for piece in (p for q in _split_at_quote(token) for p in _split_at_stop(q)):
            lead, core, trail = _split_edges(piece)
            if re.fullmatch(r"\.\.", trail):
                trail = "..."
            core, trail = closing_mark(core, trail)
            core = look_alike(core)
            split = split_word(core)
            if len(split) == 1:
                core = without_stray(core)
            if len(split) == 2:
                parts += [lead + split[0], split[1] + trail]
            else:
                parts.append(lead + core + trail)
        out.append(parts)
    flat = [p for parts in out for p in parts]
    sentence_case = _sentence_case(flat)
    # A lone "l", "|", "!" or "1" between words, or a lone "i", is the word "I".
    position = 0
    for parts in out:
        for k, part in enumerate(parts):
            before = flat[position - 1] if position else ""
            after = flat[position + 1] if position + 1 < len(flat) else ""
            if part == "i" or part == "l" and len(flat) > 1:
                part = "I"
            elif part in ("|", "!", "1") and after[:1].isalpha() and after[:1].islower():
                # "1" only where no number would stand: first, or after a stop or comma.
                if part != "1" or not before or before[-1:] in ".,?!":
                    part = "I"
            elif sentence_case:
                lead, core, trail = _split_edges(part)
                starts = not any(c.isalnum() for w in flat[:position] for c in w) or before[-1:] in _SENTENCE_END
                part = lead + _even_case(core, starts) + trail
            parts[k] = part
            flat[position] = part
            position += 1
    return out
