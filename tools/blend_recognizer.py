"""Choose how much of the fine-tuned english_g2 the engine runs: a blend of EasyOCR's release
and ``tools/finetune_recognizer.py``'s weights, ``(1 - a) x release + a x fine-tuned``.

For each ``a`` it prints word accuracy on the held-out *training* crops (ICDAR 2015
training photos whose number ends in 0, which fine-tuning never trained on; exact, and
case-insensitive) and the character error rate of the printed page in its four
orientations (``../shared/eval/printed/``), each read end to end by the engine's detector
and recognizer. The rule: the largest held-out accuracy whose page reads no worse than the
release's in every orientation. The validation photos are not used.

    python tools/blend_recognizer.py [--weights NPZ] [--alphas 0 0.3 0.5 0.7 1] [--validation]

``--weights`` names the trained weights (default: the training output the shipped
weights were made from, ``tools/weights/english_g2_finetuned.npz``); write the chosen
blend into the package with ``tools/convert_recognizer.py --blend A --write`` and
``--synthetic`` adds the held-out synthetic crops of ``tools/finetune_recognizer.py``.
``--validation`` also prints, for *reporting only*, word accuracy on the legible word
crops of the 100 validation photos (cut at their true boxes): never use it to choose.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import cv2  # noqa: E402
import finetune_recognizer as finetune  # noqa: E402
import numpy as np  # noqa: E402
from convert_recognizer import FINETUNED_WEIGHTS  # noqa: E402

from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines import create_engine  # noqa: E402
from stream_ocr.engines.base import read_lines  # noqa: E402
from stream_ocr.engines.english_g2 import EnglishG2Recognizer, load_finetuned  # noqa: E402
from stream_ocr.engines.keras_ocr_compat import import_tensorflow  # noqa: E402
from stream_ocr.evaluation.images import read_icdar_gt, score_page  # noqa: E402
from stream_ocr.sources.images import read_image  # noqa: E402

PRINTED = ROOT.parent / "shared" / "eval" / "printed"
PAGES = ("phototest.tif", "phototest-rotated-180.png", "phototest-rotated-L.png", "phototest-rotated-R.png")


def validation_crops() -> list:
    """The validation photos' legible word crops, cut as the engine cuts (for reporting only)."""
    folder = ROOT.parent / "shared" / "eval" / "icdar2015"
    out = []
    for n in range(1, 101):
        gray = cv2.cvtColor(read_image(folder / "images" / f"img_{n}.jpg"), cv2.COLOR_BGR2GRAY)
        for box in read_icdar_gt(folder / "gt" / f"gt_img_{n}.txt"):
            text = box.text.strip()
            if box.legible and text and all(c in finetune.INDEX for c in text):
                crop = finetune.crop_box(gray, box.points, finetune.MARGINS[0])
                if crop.shape[1] >= 8:
                    out.append((crop, text))
    return out


def caseless_accuracy(model, items, tf) -> float:
    right = 0
    probs_of = EnglishG2Recognizer.on_tensorflow(model).class_probs
    for batch, widths, texts in finetune.batches(items, 32, np.random.default_rng(0), train=False):
        probs = probs_of(batch)
        for row, (w, text) in enumerate(zip(widths, texts)):
            steps = max(1, min(probs.shape[1], w // 4))
            right += finetune.decode(probs[row, :steps])[0].lower() == text.lower()
    return right / max(1, len(items))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.3, 0.5, 0.7, 1.0])
    parser.add_argument("--weights", type=Path, default=FINETUNED_WEIGHTS)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--validation", action="store_true")
    args = parser.parse_args()
    tf = import_tensorflow()
    engine = create_engine(EngineConfig(recognizer_weights="easyocr", runtime="tensorflow"))
    model = engine.recognizer.model
    release = [w.copy() for w in model.get_weights()]
    held = finetune.word_crops(False, np.random.default_rng(0), [n for n in range(10, 1001, 10)])
    synthetic = []
    if args.synthetic:
        numbers = [n for n in range(10, 1001, 10)]
        renderer = finetune.Renderer(seed=999, backgrounds=finetune.icdar_backgrounds(numbers))
        synthetic = [renderer.sample(finetune.MARGINS[0]) for _ in range(500)]
    validation = validation_crops() if args.validation else []
    truth = (PRINTED / "phototest.txt").read_text()
    pages = {name: read_image(PRINTED / name) for name in PAGES}
    rows = []
    for alpha in args.alphas:
        model.set_weights(release)
        load_finetuned(model, args.weights, sha256="", blend=alpha)
        page_cer = {
            name: round(score_page(read_lines(engine, frame).detections, truth).cer, 3) for name, frame in pages.items()
        }
        row = {
            "alpha": alpha,
            "held_out_crops": len(held),
            "held_out_word_accuracy": round(finetune.accuracy(model, held, tf), 4),
            "held_out_caseless": round(caseless_accuracy(model, held, tf), 4),
            "page_cer": page_cer,
        }
        if synthetic:
            row["held_out_synthetic_accuracy"] = round(finetune.accuracy(model, synthetic, tf), 4)
        if validation:
            row["validation_crops"] = len(validation)
            row["validation_word_accuracy"] = round(finetune.accuracy(model, validation, tf), 4)
            row["validation_caseless"] = round(caseless_accuracy(model, validation, tf), 4)
        rows.append(row)
        print(json.dumps(row), flush=True)
    baseline = next((r for r in rows if r["alpha"] == 0.0), None)
    if baseline is not None:
        fit = [r for r in rows if all(r["page_cer"][p] <= baseline["page_cer"][p] for p in PAGES)]
        best = max(fit, key=lambda r: r["held_out_word_accuracy"])
        print("chosen:", json.dumps(best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
