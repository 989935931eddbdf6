"""Benchmark the engines side by side: latency per frame, accuracy on training and validation photos, peak RSS.

Compares, on the same frames in one run:
  * ``keras-ocr``  - our default engine, default settings (english_g2 fine-tuned on the
    ICDAR 2015 training words);
  * ``keras-ocr-easyocr`` - the same with EasyOCR's released english_g2 weights;
  * ``keras-ocr-auto`` - the default engine with ``--lang auto`` (not run unless named):
    what reading Chinese and Japanese too costs English photos;
  * ``keras-ocr-lines`` - the default engine reading each line whole as well, with the
    lexicon, as ``--subtitles`` runs it (``--line-reads on``; not run unless named);
  * ``rapidocr``   - RapidOCR 3.x (PP-OCRv6 small);
  * ``stock-pipeline`` - keras-ocr's own ``keras_ocr.pipeline.Pipeline`` at its defaults
    (scale=2, max_size=2048), with the same CRAFT weights and the same english_g2
    recognizer through keras-ocr's ``recognize_from_boxes`` interface.

Each engine runs in its own process, so that its peak RSS is its own. Accuracy is given
on the training subset every setting was chosen on (every 5th of the 1,000 ICDAR 2015
training photos: 200) and on the 100 validation photos, side by side.

    python benchmarks/engines.py [--eval-images 100] [--train-images 200] [--latency-frames 8]
                                 [--engines keras-ocr,keras-ocr-easyocr,rapidocr,stock-pipeline]
                                 [--baseline OTHER_TREE [--baseline-engines keras-ocr]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
ENGINES = ("keras-ocr", "keras-ocr-easyocr", "rapidocr", "stock-pipeline")


def _frames(size: tuple[int, int], count: int):
    """``count`` eval photos at ``size`` (w, h): centre-cropped to the aspect, then resized."""
    import cv2

    from stream_ocr.sources.images import read_image

    w, h = size
    for i in range(1, count + 1):
        img = read_image(EVAL / "icdar2015" / "images" / f"img_{i}.jpg")
        ih, iw = img.shape[:2]
        crop_w = min(iw, round(ih * w / h))
        x0 = (iw - crop_w) // 2
        yield cv2.resize(img[:, x0 : x0 + crop_w], (w, h), interpolation=cv2.INTER_AREA)


def _build(name: str):
    """A function BGR frame -> list of Detection, for the named engine."""
    if name in ("keras-ocr", "rapidocr", "keras-ocr-easyocr", "keras-ocr-auto", "keras-ocr-lines"):
        from stream_ocr.config import EngineConfig
        from stream_ocr.engines import create_engine
        from stream_ocr.engines.base import read_lines

        if name == "keras-ocr-easyocr":
            engine = create_engine(EngineConfig(recognizer_weights="easyocr"))
        elif name == "keras-ocr-auto":  # --lang auto: unsure boxes read again for Chinese and Japanese
            engine = create_engine(EngineConfig(languages="auto"))
        elif name == "keras-ocr-lines":  # each line read whole as well, as --subtitles does
            engine = create_engine(EngineConfig(line_reads="on"))
        else:
            engine = create_engine(name=name)
        return lambda frame: list(read_lines(engine, frame).detections)

    import cv2

    from stream_ocr.config import EngineConfig
    from stream_ocr.engines.craft import cached_craft_weights
    from stream_ocr.engines.english_g2 import EnglishG2Recognizer
    from stream_ocr.engines.keras_ocr_compat import import_keras_ocr
    from stream_ocr.types import Detection

    keras_ocr = import_keras_ocr()
    config = EngineConfig()
    detector = keras_ocr.detection.Detector(weights=None)
    detector.model.load_weights(str(cached_craft_weights(config)))
    recognizer = EnglishG2Recognizer.load(replace(config, recognizer_weights="easyocr"))
    pipeline = keras_ocr.pipeline.Pipeline(detector=detector, recognizer=recognizer)

    def read(frame):
        (predictions,) = pipeline.recognize([cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)])
        return [Detection.from_array(box, text, None) for text, box in predictions if text.strip()]

    return read


def score_set(read, folder: Path, numbers: list[int]) -> tuple[dict, float]:
    from stream_ocr.evaluation.images import EMPTY_SCORES, read_icdar_gt, score_words
    from stream_ocr.sources.images import read_image

    total = EMPTY_SCORES
    times = []
    for i in numbers:
        frame = read_image(folder / "images" / f"img_{i}.jpg")
        start = time.perf_counter()
        detections = read(frame)
        times.append(time.perf_counter() - start)
        total = total + score_words(detections, read_icdar_gt(folder / "gt" / f"gt_img_{i}.txt"))
    return total.summary(), statistics.median(times)


def run_one(name: str, eval_images: int, latency_frames: int, train_images: int = 0) -> dict:
    t0 = time.perf_counter()
    read = _build(name)
    out: dict = {"engine": name, "load_s": round(time.perf_counter() - t0, 1)}
    for size in ((640, 480), (1280, 720)):
        frames = list(_frames(size, latency_frames + 1))
        read(frames[0])  # the first call at a new size may trace; not what a stream sees
        times = []
        for frame in frames[1:]:
            start = time.perf_counter()
            read(frame)
            times.append(time.perf_counter() - start)
        out[f"median_s_{size[0]}x{size[1]}"] = round(statistics.median(times), 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if train_images and name != "stock-pipeline":
        every = max(1, 1000 // train_images)
        summary, _ = score_set(read, EVAL / "icdar2015-train", list(range(every, 1001, every))[:train_images])
        out.update({f"train_{k}": v for k, v in summary.items()})
    if eval_images:
        summary, median_s = score_set(read, EVAL / "icdar2015", list(range(1, eval_images + 1)))
        out["eval_images"] = eval_images
        out["eval_median_s"] = round(median_s, 3)
        out.update(summary)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-images", type=int, default=100)
    parser.add_argument("--train-images", type=int, default=200, help="training photos (every 1000/N-th)")
    parser.add_argument("--latency-frames", type=int, default=8)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--baseline", type=Path, help="also run engines from this tree (its own benchmark script)")
    parser.add_argument("--baseline-engines", default="keras-ocr", help="the engines to run from the baseline tree")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.eval_images, args.latency_frames, args.train_images)))
        return 0

    rows = []
    runs = [(name, ROOT, name) for name in args.engines.split(",")]
    if args.baseline:
        # The same engines from another tree (e.g. a worktree of an older commit, beside
        # ../shared), one after the other with this tree's, in this one run.
        baseline = args.baseline.resolve()
        runs = [(name, baseline, f"{name} (baseline)") for name in args.baseline_engines.split(",")] + runs
    for name, tree, label in runs:
        cmd = [
            sys.executable,
            str(Path(tree) / "benchmarks" / "engines.py"),
            "--one",
            name,
            "--eval-images",
            str(args.eval_images),
            "--latency-frames",
            str(args.latency_frames),
            "--train-images",
            str(args.train_images),
        ]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env=env)
        if proc.returncode != 0:
            print(f"{name} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
            return 1
        rows.append({**json.loads(proc.stdout.strip().splitlines()[-1]), "engine": label})
        print(json.dumps(rows[-1]), flush=True)

    cols = [
        "engine",
        "median_s_640x480",
        "median_s_1280x720",
        "train_recall",
        "train_precision",
        "train_f1",
        "train_detection_recall",
        "recall",
        "precision",
        "f1",
        "detection_recall",
        "cer",
        "eval_median_s",
        "peak_rss_mb",
        "load_s",
    ]
    cols = [c for c in cols if any(c in r for r in rows)]
    print()
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "–")) for c in cols) + " |")
    by_name = {r["engine"]: r for r in rows}
    if "keras-ocr" in by_name and "stock-pipeline" in by_name:
        ours, stock = by_name["keras-ocr"], by_name["stock-pipeline"]
        print()
        for size in ("640x480", "1280x720"):
            print(
                f"speed-up over stock Pipeline at {size}: {stock[f'median_s_{size}'] / ours[f'median_s_{size}']:.1f}x"
            )
        if "recall" in ours:
            print(f"word recall, ours minus stock: {100 * (ours['recall'] - stock['recall']):+.1f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
