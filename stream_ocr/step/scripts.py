"""Which language a text is in, told by its script; and the languages ``--lang`` names.

Owns the character classes and nothing else. A text holding kana is Japanese; one holding
Chinese characters (Han) and no kana is Chinese, or Japanese where only Japanese is read;
one holding other letters (Latin, for the recognisers here) is English; one of digits and punctuation only is
in every language (a score, a clock). The engines use it to choose a recogniser and to
drop what they were not asked to read, the exporters to write one subtitle file per
language, the line grouper to join Chinese and Japanese pieces without a space.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh", "ja")
# The languages whose lines the CJK recogniser reads.
CJK_LANGUAGES = frozenset({"zh", "ja"})


def parse_languages(value: str) -> tuple[str, ...]:
    """``"en"``, ``"zh,en"``, ``"auto"`` (every language) ... as a tuple in ``LANGUAGES``'s order."""
    names = {part.strip().lower() for part in value.split(",") if part.strip()}
    if "auto" in names:
        return LANGUAGES
    unknown = sorted(names - set(LANGUAGES))
    if unknown or not names:
        raise ValueError(
            f"languages are a comma-separated list of {', '.join(LANGUAGES)}, or auto; got {value!r}"
            + (f" ({', '.join(unknown)} unknown)" if unknown else "")
        )
    return tuple(name for name in LANGUAGES if name in names)


def is_han(c: str) -> bool:
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


def is_kana(c: str) -> bool:
    o = ord(c)
    # Hiragana, Katakana (with the long-vowel mark), half-width katakana.
    return 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D


def is_cjk(c: str) -> bool:
    """A Chinese or Japanese character, or the punctuation and full-width forms set with them."""
    o = ord(c)
    return is_han(c) or is_kana(c) or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFF65


def language_of(text: str, languages: tuple[str, ...] = LANGUAGES) -> str | None:
    """The language of ``text`` among ``languages``' scripts, or None for digits and
    punctuation only. Han without kana is "zh", unless "ja" is read and "zh" is not."""
    if any(is_kana(c) for c in text):
        return "ja"
    if any(is_han(c) for c in text):
        return "ja" if "ja" in languages and "zh" not in languages else "zh"
    if any(c.isalpha() for c in text):
        return "en"
    return None


def is_read(text: str, languages: tuple[str, ...]) -> bool:
    """Whether ``text`` is in one of ``languages`` (or in none: digits and punctuation)."""
    language = language_of(text, languages)
    return language is None or language in languages


def joins_without_space(left: str, right: str) -> bool:
    """Whether two pieces of one line meet with no space: Chinese and Japanese set no
    space between characters, nor before their punctuation."""
    if not left or not right:
        return False
    a, b = left[-1], right[0]
    if is_cjk(a):
        return is_cjk(b) or not b.isalnum()
    return is_cjk(b) and not a.isalnum()


def languages_of(texts: list[str]) -> list[str | None]:
    """Each of one video's texts' language (``language_of``), where Han without kana is
    Japanese if the video has Japanese lines: Japanese sets short lines in kanji alone."""
    found = [language_of(text) for text in texts]
    if "ja" in found:
        found = ["ja" if language == "zh" else language for language in found]
    return found
