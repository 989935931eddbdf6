"""Drop reads that are junk: what a recognizer returns for text it cannot read.

Owns the rules only, applied while each engine's words are grouped into lines
(``lines.group_lines``): words that are mostly symbols, or hold symbols that almost never
occur in real text, leave their line; a line that is one character read without
conviction goes. A recognizer that meets a script outside its alphabet
(Chinese under a Latin-only model) returns exactly such strings. Letters of any script
count as letters, so an engine that reads Chinese keeps its Chinese; but a word in a
language that is not being read (``JunkConfig.languages``, from ``--lang``) leaves its line
too: Chinese read by rapidocr when only English is asked for, English when only Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from stream_ocr.step.scripts import is_read
from stream_ocr.types import Detection, Line

# Characters Latin recognizers emit for glyphs they cannot read, and which real scene or
# subtitle text almost never holds.
RARE_SYMBOLS = frozenset("^~`|\\{}<>")
# Marks that stand alone between words in real text: a dialogue dash, an ellipsis, quotes,
# an ampersand ("FAST & LIGHT", "Q & A"). A word of these only is no junk in a line that
# keeps a real word (``lines.group_lines``); alone, it is no line.
PUNCTUATION = frozenset("-–—.,!?:;'\"‘’“”()[]…&")


def is_punctuation(det: Detection) -> bool:
    """True for a word of ordinary punctuation only ("-", "...", "?")."""
    chars = [c for c in det.text if not c.isspace()]
    return bool(chars) and all(c in PUNCTUATION for c in chars)


@dataclass(frozen=True)
class JunkConfig:
    # At least this share of a read's non-space characters must be letters or digits.
    min_alnum_share: float = 0.5
    # A read of one character is kept only at this confidence or above.
    lone_char_min_confidence: float = 0.9
    # The languages being read (``step.scripts.LANGUAGES``): words in another are dropped.
    languages: tuple[str, ...] = ("en",)
    enabled: bool = True


def is_junk_word(det: Detection, config: JunkConfig | None = None) -> bool:
    """True when ``det`` reads like a recognizer's guess at something it cannot read."""
    config = config or JunkConfig()
    if not config.enabled:
        return False
    chars = [c for c in det.text if not c.isspace()]
    if not chars:
        return True
    # Ordinary marks do not count against a word: "me..." and "- Hi" are no junk.
    if not is_punctuation(det):
        chars = [c for c in chars if c not in PUNCTUATION] or chars
    alnum = sum(c.isalnum() for c in chars)
    if alnum / len(chars) < config.min_alnum_share:
        return True
    return any(c in RARE_SYMBOLS for c in chars) or not is_read(det.text, config.languages)


def is_junk_line(line: Line, config: JunkConfig | None = None) -> bool:
    """True for a line that is one character alone, read without conviction.

    Checked on whole lines, so that "a" inside "Fixed a crash" stays, while a lone "3"
    where a Chinese glyph stood goes.
    """
    config = config or JunkConfig()
    if not config.enabled:
        return False
    chars = [c for c in line.text if not c.isspace()]
    confidence = 1.0 if line.confidence is None else line.confidence
    return len(chars) == 1 and confidence < config.lone_char_min_confidence
