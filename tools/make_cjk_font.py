"""Make the page's Chinese and Japanese font: web/fonts/cjk-subset.woff2.

The page shows read text in the overlay, the panel and the timeline; a machine with no
Chinese or Japanese font installed would show empty boxes. This cuts Noto Sans CJK SC
(SIL Open Font License 1.1; Debian's ``fonts-noto-cjk``) down to the characters in use:
GB 2312's first level (the 3,755 most used Chinese characters), JIS X 0208's first level
(2,965 kanji), kana, and the CJK punctuation and full-width forms; the page loads it only
when such a character is on it (``unicode-range`` in style.css). Rarer characters fall
back to whatever the machine has. Needs ``pip install fonttools brotli``; run from the
repository root::

    python tools/make_cjk_font.py
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC = 2  # Noto Sans CJK SC in the collection
OUT = ROOT / "web" / "fonts" / "cjk-subset.woff2"


def characters() -> str:
    out = set()
    for first in range(0xB0, 0xD8):  # GB 2312 level 1: rows 16-55
        for second in range(0xA1, 0xFF):
            with suppress(UnicodeDecodeError):
                out.add(bytes((first, second)).decode("gb2312"))
    for code in range(0x889F, 0x9873):  # JIS X 0208 level 1 kanji, in Shift JIS
        with suppress(UnicodeDecodeError):
            out.add(code.to_bytes(2, "big").decode("shift_jis"))
    out |= {chr(c) for c in range(0x3000, 0x3100)}  # CJK punctuation, hiragana, katakana
    out |= {chr(c) for c in range(0xFF01, 0xFF66)}  # full-width forms
    return "".join(sorted(c for c in out if len(c) == 1))


def main() -> None:
    font = TTCollection(str(SOURCE)).fonts[SC]
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the licence and copyright names
    options.hinting = False
    subsetter = subset.Subsetter(options)
    text = characters()
    subsetter.populate(text=text)
    subsetter.subset(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2"
    font.save(str(OUT))
    print(f"{OUT.relative_to(ROOT)}: {len(text)} characters, {OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
