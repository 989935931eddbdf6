"""Choose when a box is read again by the CJK recogniser (``engines/script_choice.py``).

Two sets, both from training material only:

* **Latin**: the default engine's own boxes on ICDAR 2015 *training* photos (every 10th of
  ``../shared/eval/icdar2015-train/``), each read by english_g2. What a threshold costs on
  English footage is the share of these boxes read under it (each is read a second time),
  and what it could damage is how many of them PP-OCR would claim as Chinese or Japanese.
* **CJK**: Chinese and Japanese lines drawn in Noto *Serif* CJK (the samples use Noto Sans
  and WenQuanYi), 1 to 12 characters (Chinese from GB 2312's first level; Japanese kana with
  JIS X 0208's first-level kanji), a third of them with an end mark, white with an
  outline or dark, over patches of the same training photos. A line is found when
  english_g2 reads it under the threshold and PP-OCR's read (then chosen) is within CER 0.2.

Prints one row per threshold. Run from the repository root::

    python tools/tune_scripts.py [--photos 100] [--lines 400]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from stream_ocr.config import EngineConfig
from stream_ocr.engines import create_engine
from stream_ocr.engines.english_g2 import Read
from stream_ocr.engines.ppocr_recognizer import PPOCRRecognizer
from stream_ocr.engines.script_choice import ScriptChooser
from stream_ocr.step.scripts import LANGUAGES, is_han, is_kana, language_of

TRAIN = Path(__file__).resolve().parents[2] / "shared" / "eval" / "icdar2015-train"
SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SERIF_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def latin_boxes(engine, recognizer, photos: int):
    """(english_g2 read, PP-OCR read) of every box the engine finds on the training photos."""
    out = []
    paths = sorted(TRAIN.glob("images/img_*.jpg"), key=lambda p: int(p.stem.split("_")[1]))[:: 1000 // photos]
    for path in paths:
        bgr = cv2.imread(str(path))
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        boxes = engine.detector.detect(rgb, {}, None)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        reads = engine.recognizer.recognize_boxes(gray, boxes, None, auto_rotate=engine.config.auto_rotate)
        seconds = recognizer.read_boxes(bgr, boxes)
        out += list(zip(reads, seconds))
    return out


def common_chinese(c: str) -> bool:
    """In GB 2312's first level: the 3,755 most used Chinese characters."""
    try:
        return 0xB0 <= c.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def common_japanese(c: str) -> bool:
    """In JIS X 0208's first level: the 2,965 most used kanji."""
    try:
        code = c.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0x889F <= int.from_bytes(code, "big") <= 0x9872


def cjk_lines(count: int, recognizer: PPOCRRecognizer, seed: int = 5):
    """(image, box, truth) of ``count`` drawn lines."""
    rng = random.Random(seed)
    alphabet = {c for c in recognizer.characters if len(c) == 1}
    han = [c for c in alphabet if is_han(c) and common_chinese(c)]
    kanji = [c for c in alphabet if is_han(c) and common_japanese(c)]
    kana = [c for c in alphabet if is_kana(c) and ("ぁ" <= c <= "ん" or "ァ" <= c <= "ン" or c == "ー")]
    han.sort(), kanji.sort(), kana.sort()
    photos = sorted(TRAIN.glob("images/img_*.jpg"))
    out = []
    for k in range(count):
        n = rng.choice((1, 2, 2, 3, 4, 5, 6, 8, 10, 12))
        pool = han if k % 2 == 0 else kanji + kana * 10
        text = "".join(rng.choice(pool) for _ in range(n)) + rng.choice(("", "", "。", "？", "！"))
        size = rng.randint(18, 40)
        face = ImageFont.truetype(rng.choice((SERIF, SERIF_BOLD)), size, index=2 if k % 2 == 0 else 0)
        photo = cv2.cvtColor(cv2.imread(str(rng.choice(photos))), cv2.COLOR_BGR2RGB)
        page = Image.fromarray(photo[rng.randint(0, 400) :][:240, rng.randint(0, 500) :][:, :780].copy())
        draw = ImageDraw.Draw(page)
        x, y = 20, 80
        if rng.random() < 0.6:
            draw.text((x, y), text, font=face, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
        else:
            draw.rectangle(draw.textbbox((x, y), text, font=face), fill=(235, 235, 225))
            draw.text((x, y), text, font=face, fill=(20, 20, 20))
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=face)
        if x1 > page.width:
            continue
        box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
        out.append((cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR), box, text))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--lines", type=int, default=400)
    args = parser.parse_args()
    engine = create_engine(EngineConfig())
    recognizer = PPOCRRecognizer.load(0)

    t0 = time.perf_counter()
    latin = latin_boxes(engine, recognizer, args.photos)
    print(f"Latin: {len(latin)} boxes on {args.photos} training photos ({time.perf_counter() - t0:.0f} s)")
    lines = cjk_lines(args.lines, recognizer)
    cjk = []
    for bgr, box, text in lines:
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        (first,) = engine.recognizer.recognize_boxes(gray, [box], None, auto_rotate=False)
        (second,) = recognizer.read_boxes(bgr, [box])
        cjk.append((first, second, text))
    print(f"CJK: {len(cjk)} drawn lines (Noto Serif CJK SC and JP)")
    # PP-OCR's time per box, on the Latin boxes in batches as the engine sends them.
    sample = [r for r, _ in latin[:256]]
    bgr = cv2.imread(str(next(TRAIN.glob("images/img_*.jpg"))))
    t0 = time.perf_counter()
    for i in range(0, len(sample), 8):
        recognizer.read_boxes(bgr, [r.box for r in sample[i : i + 8]])
    per_box = (time.perf_counter() - t0) * 1000 / len(sample)
    print(f"PP-OCR second read: {per_box:.1f} ms a box (batches of 8)")

    print("| below | Latin boxes read again | Latin boxes taken as CJK | CJK lines found | of them 1-2 chars |")
    print("| --- | --- | --- | --- | --- |")
    short = [c for c in cjk if len(c[2].rstrip("。？！")) <= 2]
    for threshold in THRESHOLDS:
        chooser = ScriptChooser(recognizer, LANGUAGES, threshold)

        def chosen(first: Read, second: tuple[str, float], chooser: ScriptChooser = chooser) -> str:
            if not chooser.needs_second_read(first):
                return first.text
            return second[0] if chooser.better(first, *second) else first.text

        again = sum(chooser.needs_second_read(r) for r, _ in latin)
        taken = sum(language_of(chosen(r, s)) in ("zh", "ja") for r, s in latin)
        found = [Levenshtein.normalized_distance(chosen(f, s), t) <= 0.2 for f, s, t in cjk]
        found_short = [Levenshtein.normalized_distance(chosen(f, s), t) <= 0.2 for f, s, t in short]
        print(
            f"| {threshold} | {again / len(latin):.3f} ({again}) | {taken} | {np.mean(found):.3f} | "
            f"{np.mean(found_short):.3f} ({len(short)}) |"
        )
    confidences = np.array([f.confidence for f, _, _ in cjk])
    print(
        "english_g2 on the CJK lines, percentiles 50/90/95/99:", np.percentile(confidences, (50, 90, 95, 99)).round(3)
    )


if __name__ == "__main__":
    main()
