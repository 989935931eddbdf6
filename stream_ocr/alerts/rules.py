"""Watchlist rules: a word or phrase with a tolerance for OCR errors, or a regular expression.

Owns parsing (``NAME=PATTERN`` from the command line, JSON from a file or the API) and
matching. A word rule matches whole words of a text with at most ``max_errors`` wrong,
missing or extra letters, case and punctuation aside ("WATCH" matches "Waich"). A regex
rule (``/PATTERN/``) is searched in the text as read, case-insensitively. Matching uses
the ``regex`` module with a time limit, so a rule added through the API cannot stall the
inference thread however it backtracks.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from stream_ocr.errors import BadInputError
from stream_ocr.tracking.similarity import search_key

logger = logging.getLogger(__name__)

MAX_PATTERN = 200
MAX_TEXT = 500
MATCH_TIMEOUT_S = 0.05
# The most errors a fuzzy part of a regex rule may allow ("(?:...){e<=3}"), as word rules.
MAX_FUZZY_ERRORS = 3
# A fuzzy constraint of the regex module: {e<=12}, {i<=1,d<=2}, {2i+2d+1s<=4}, {e}.
# (Not \p{Greek}, \N{...}, \x{...} or \g{name}, whose braces hold names.)
_FUZZY = regex.compile(r"(?<!\\[pPNxuUgk])\{([^{}]*[eids][^{}]*)\}")
_FUZZY_LIMIT = regex.compile(r"<=?\s*(\d+)")
NAME = regex.compile(r"[A-Za-z0-9_.-]{1,100}")


def default_errors(word: str) -> int:
    """Letters a word rule forgives by default: none up to 4, one up to 8, then two."""
    n = len(word.replace(" ", ""))
    return 0 if n <= 4 else 1 if n <= 8 else 2


@dataclass(frozen=True)
class WatchRule:
    """One rule. ``streams`` limits it to those stream ids (empty: every stream)."""

    name: str
    pattern: str
    is_regex: bool = False
    max_errors: int | None = None  # word rules; None: ``default_errors``
    streams: tuple[str, ...] = ()
    source: str = "api"  # "api", "cli" or "file": only API rules are stored and deletable

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise BadInputError(f"a rule name is 1-100 letters, digits, '_', '.' or '-', got {self.name!r}")
        if not self.pattern or len(self.pattern) > MAX_PATTERN:
            raise BadInputError(f"rule {self.name}: the pattern must be 1-{MAX_PATTERN} characters")
        if self.max_errors is not None and not 0 <= self.max_errors <= 3:
            raise BadInputError(f"rule {self.name}: max_errors must be 0 to 3")
        if not self.is_regex and not search_key(self.pattern).strip():
            raise BadInputError(f"rule {self.name}: a word rule needs letters or digits")
        object.__setattr__(self, "_compiled", self._compile())

    def _compile(self) -> regex.Pattern:
        if self.is_regex:
            for constraint in _FUZZY.findall(self.pattern):
                limits = [int(n) for n in _FUZZY_LIMIT.findall(constraint)]
                if not limits or max(limits) > MAX_FUZZY_ERRORS:
                    raise BadInputError(
                        f"rule {self.name}: a fuzzy part may allow at most {MAX_FUZZY_ERRORS} errors "
                        f"({{e<={MAX_FUZZY_ERRORS}}}), got {{{constraint}}}"
                    )
            try:
                return regex.compile(self.pattern, regex.IGNORECASE)
            except regex.error as e:
                raise BadInputError(f"rule {self.name}: not a valid regular expression: {e}") from None
        words = search_key(self.pattern).strip()
        errors = default_errors(words) if self.max_errors is None else self.max_errors
        body = regex.escape(words)
        fuzzy = f"(?:{body}){{e<={errors}}}" if errors else body
        # Whole words of the text key (single spaces, one at each end), best match first.
        return regex.compile(f"(?<= )(?:{fuzzy})(?= )", regex.BESTMATCH)

    @property
    def errors(self) -> int | None:
        if self.is_regex:
            return None
        return default_errors(search_key(self.pattern).strip()) if self.max_errors is None else self.max_errors

    def applies_to(self, stream_id: str) -> bool:
        return not self.streams or stream_id in self.streams

    def matches(self, text: str, key: str | None = None) -> bool:
        """Whether ``text`` (a track's fused text) matches; a match that takes too long does not.
        ``key``: ``text_key`` of the text, if the caller has it (one per line for all rules)."""
        return bool(self.search(text, key, MATCH_TIMEOUT_S))

    def search(self, text: str, key: str | None, timeout: float) -> bool | None:
        """Whether ``text`` matches, or None when the search took past ``timeout`` seconds."""
        compiled: regex.Pattern = self._compiled  # type: ignore[attr-defined]
        if self.is_regex:
            subject = text[:MAX_TEXT]
        else:
            subject = key if key is not None else search_key(text[:MAX_TEXT])
        try:
            return compiled.search(subject, timeout=max(timeout, 1e-4)) is not None
        except TimeoutError:
            return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pattern": self.pattern,
            "regex": self.is_regex,
            "max_errors": self.errors,
            "streams": list(self.streams),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "api") -> WatchRule:
        """A rule from JSON: ``{"name", "pattern", "regex"?, "max_errors"?, "streams"?}``."""
        if not isinstance(data, dict):
            raise BadInputError('a rule is a JSON object: {"name": ..., "pattern": ...}')
        unknown = set(data) - {"name", "pattern", "regex", "max_errors", "streams", "source"}
        if unknown:
            raise BadInputError(f"unknown rule fields: {sorted(unknown)}")
        name, pattern = data.get("name"), data.get("pattern")
        streams = data.get("streams") or []
        if not isinstance(name, str) or not isinstance(pattern, str):
            raise BadInputError("a rule needs a name and a pattern, both strings")
        if not isinstance(streams, list) or not all(isinstance(s, str) for s in streams) or len(streams) > 100:
            raise BadInputError("streams must be a list of stream ids (at most 100)")
        max_errors = data.get("max_errors")
        if max_errors is not None and (not isinstance(max_errors, int) or isinstance(max_errors, bool)):
            raise BadInputError("max_errors must be a whole number")
        return cls(name, pattern, bool(data.get("regex", False)), max_errors, tuple(streams), source)


def parse_cli_rule(spec: str) -> WatchRule:
    """``NAME=WORDS`` (a word rule, tolerance by length), ``NAME=WORDS~N`` (N letters
    forgiven) or ``NAME=/REGEX/``."""
    name, sep, pattern = spec.partition("=")
    if not sep:
        raise BadInputError(f"--watch takes NAME=PATTERN, got {spec!r}")
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        return WatchRule(name, pattern[1:-1], is_regex=True, source="cli")
    words, tilde, errors = pattern.rpartition("~")
    if tilde and errors.isdigit():
        return WatchRule(name, words, max_errors=int(errors), source="cli")
    return WatchRule(name, pattern, source="cli")


def load_rules_file(path: str | Path) -> list[WatchRule]:
    """Rules from a JSON file: ``{"rules": [{"name", "pattern", ...}, ...]}`` or a bare list."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise BadInputError(f"cannot read the watchlist file {path}: {e}") from None
    items = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise BadInputError(f'the watchlist file {path} must hold {{"rules": [...]}}')
    return [WatchRule.from_dict({k: v for k, v in item.items() if k != "source"}, "file") for item in items]
