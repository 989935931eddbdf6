"""Choose how far CJK lines' ends are widened and read again (``engines/cjk_line_ends.py``).

Chinese and Japanese lines drawn in Noto *Serif* CJK (the samples and the tests use Noto
Sans), 2 to 12 characters, over patches of ICDAR 2015 *training* photos, white with an
outline or dark on a light box, 14 to 40 px high. A quarter of the Chinese lines begin
with "一" and a tenth end with it; a third of the Japanese lines hold a word ending in the
long-vowel mark "ー"; the rest are drawn from common characters as they fall. Each page is
read as the engine reads a frame (CRAFT, english_g2, the script choice), then each
setting's second look is applied to the same reads. A line is *exact* when the reads in
its band, joined left to right, are its text character for character; *damaged* counts
lines read exactly without the second look and not with it.

Prints one row per setting. Run from the repository root::

    python tools/tune_cjk_ends.py [--lines 400]
"""

from __future__ import annotations

import argparse
import random
import time

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from tune_scripts import SERIF, SERIF_BOLD, TRAIN, common_chinese, common_japanese

from stream_ocr.config import EngineConfig
from stream_ocr.engines import create_engine
from stream_ocr.engines.cjk_line_ends import LEADING, TRAILING, CJKLineEnds, EndsConfig
from stream_ocr.step.scripts import is_han, is_kana

ENDS = "。？！"


def drawn_lines(count: int, characters: list[str], seed: int = 11):
    """(BGR page, line box, truth) of ``count`` drawn lines."""
    rng = random.Random(seed)
    alphabet = {c for c in characters if len(c) == 1}
    han = sorted(c for c in alphabet if is_han(c) and common_chinese(c))
    kanji = sorted(c for c in alphabet if is_han(c) and common_japanese(c))
    kana = sorted(c for c in alphabet if is_kana(c) and ("ぁ" <= c <= "ん" or "ァ" <= c <= "ン"))
    photos = sorted(TRAIN.glob("images/img_*.jpg"))
    out = []
    while len(out) < count:
        k = len(out)
        n = rng.choice((2, 3, 4, 5, 6, 8, 10, 12))
        if k % 2 == 0:
            text = "".join(rng.choice(han) for _ in range(n))
            roll = rng.random()
            if roll < 0.25:
                text = "一" + text[1:]
            elif roll < 0.35:
                text = text[:-1] + "一"
            text += rng.choice(("", "", *ENDS))
        else:
            text = "".join(rng.choice(kanji + kana * 4) for _ in range(n))
            if rng.random() < 0.33:
                katakana = [c for c in kana if "ァ" <= c <= "ン"]
                word = "".join(rng.choice(katakana) for _ in range(rng.randint(1, 3))) + "ー"
                text = text[: n // 2] + word if rng.random() < 0.5 else word + text[n // 2 :]
            text += rng.choice(("", "", *ENDS))
        size = rng.randint(14, 40)
        face = ImageFont.truetype(rng.choice((SERIF, SERIF_BOLD)), size, index=2 if k % 2 == 0 else 0)
        photo = cv2.cvtColor(cv2.imread(str(rng.choice(photos))), cv2.COLOR_BGR2RGB)
        page = Image.fromarray(photo[rng.randint(0, 400) :][:240, rng.randint(0, 400) :][:, :880].copy())
        draw = ImageDraw.Draw(page)
        x, y = rng.randint(40, 120), 100
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=face)
        if x1 + 40 > page.width:
            continue
        if rng.random() < 0.6:
            draw.text((x, y), text, font=face, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
        else:
            draw.rectangle((x0 - 6, y0 - 4, x1 + 6, y1 + 4), fill=(235, 235, 225))
            draw.text((x, y), text, font=face, fill=(20, 20, 20))
        box = (x0, y0, x1, y1)
        out.append((cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR), box, text))
    return out


def line_text(reads, box) -> str:
    """The reads whose centres lie in the line's band, joined left to right."""
    x0, y0, x1, y1 = box
    inside = []
    for read in reads:
        cx, cy = np.asarray(read.box).mean(axis=0)
        if y0 - 4 <= cy <= y1 + 4 and x0 - 80 <= cx <= x1 + 80:
            inside.append((cx, read.text))
    return "".join(t for _, t in sorted(inside))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=400)
    args = parser.parse_args()
    engine = create_engine(EngineConfig(languages="zh,ja,en"))
    recognizer = engine.scripts.recognizer
    lines = drawn_lines(args.lines, recognizer.characters)
    cjk = frozenset(c for c in recognizer.characters if len(c) == 1 and (is_han(c) or is_kana(c) or c == "ー"))
    ends = {"off": None}
    for widen in (0.6, 1.2, 1.6):
        ends[f"marks, {widen}, 0.8"] = EndsConfig(widen=widen, min_probability=0.8)
    ends["marks, 1.2, 0.5"] = EndsConfig(widen=1.2, min_probability=0.5)
    ends["any CJK, 1.2, 0.8"] = EndsConfig(
        widen=1.2, min_probability=0.8, leading=LEADING | cjk, trailing=TRAILING | cjk
    )
    # Every setting of the second look with "-" never read as "一"; then that rule at three
    # probabilities, with the second look off and at its defaults.
    ones = {"never": None, "0.05": 0.05, "0.1": 0.1, "0.2": 0.2}
    settings = {f"- as 一 never; ends {name}": (None, config) for name, config in ends.items()}
    for one, value in list(ones.items())[1:]:
        for name in ("off", "marks, 1.2, 0.8"):
            settings[f"- as 一 {one}; ends {name}"] = (value, ends[name])
    exact = {name: [] for name in settings}
    spent = {name: 0.0 for name in settings}
    t0 = time.perf_counter()
    for bgr, box, text in lines:
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        boxes = engine.detector.detect(rgb, {}, None)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        reads = engine.recognizer.recognize_boxes(gray, boxes, None, auto_rotate=engine.config.auto_rotate)
        chosen = {}
        for value in ones.values():
            recognizer.one_beside_han = value
            chosen[value] = engine.scripts.choose(bgr, boxes, reads)
            for name, (rule, config) in settings.items():
                if rule != value:
                    continue
                start = time.perf_counter()
                mine = chosen[value] if config is None else CJKLineEnds(recognizer, config).read(bgr, chosen[value])
                spent[name] += time.perf_counter() - start
                exact[name].append(line_text(mine, box) == text)
    print(f"{len(lines)} drawn lines (Noto Serif CJK SC and JP, training photos), {time.perf_counter() - t0:.0f} s")
    first = [t[0] == "一" for _, _, t in lines]
    last = [t.rstrip(ENDS)[-1:] in ("一", "ー") for _, _, t in lines]
    plain = [not (f or e) for f, e in zip(first, last)]
    print(
        '| setting ("-" as 一 at; ends: set, widen, floor) | exact | begins 一 | ends 一 / ー | others | damaged | ms a line |'
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    base = np.array(exact["- as 一 never; ends off"])
    for name in settings:
        got = np.array(exact[name])
        damaged = int((base & ~got).sum())
        print(
            f"| {name} | {got.mean():.3f} | {got[first].mean():.3f} ({sum(first)}) | {got[last].mean():.3f} "
            f"({sum(last)}) | {got[plain].mean():.3f} ({sum(plain)}) | {damaged} | {spent[name] * 1000 / len(lines):.1f} |"
        )


if __name__ == "__main__":
    main()
