"""Benchmark the engines side by side: latency per frame, accuracy on the eval set, peak RSS.

Compares, on the same frames in one run:
  * ``keras-ocr``  - our default engine, default settings;
  * ``rapidocr``   - RapidOCR 3.x (PP-OCRv6 small);
  * ``stock-pipeline`` - keras-ocr's own ``keras_ocr.pipeline.Pipeline`` at its defaults
    (scale=2, max_size=2048), with the same CRAFT weights and the same english_g2
    recognizer through keras-ocr's ``recognize_from_boxes`` interface.

Each engine runs in its own process, so that its peak RSS is its own.

    python benchmarks/engines.py [--eval-images 100] [--latency-frames 8] [--engines keras-ocr,rapidocr,stock-pipeline]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
ENGINES = ("keras-ocr", "rapidocr", "stock-pipeline")


def _frames(size: tuple[int, int], count: int):
    """``count`` eval photos at ``size`` (w, h): centre-cropped to the aspect, then resized."""
    import cv2

    from stream_ocr.images import read_image

    w, h = size
    for i in range(1, count + 1):
        img = read_image(EVAL / "icdar2015" / "images" / f"img_{i}.jpg")
        ih, iw = img.shape[:2]
        crop_w = min(iw, round(ih * w / h))
        x0 = (iw - crop_w) // 2
        yield cv2.resize(img[:, x0 : x0 + crop_w], (w, h), interpolation=cv2.INTER_AREA)


def _build(name: str):
    """A function BGR frame -> list of Detection, for the named engine."""
    if name in ("keras-ocr", "rapidocr"):
        from stream_ocr.engines import create_engine

        engine = create_engine(name=name)
        return lambda frame: list(engine.read(frame).detections)

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
    pipeline = keras_ocr.pipeline.Pipeline(detector=detector, recognizer=EnglishG2Recognizer.load(config))

    def read(frame):
        (predictions,) = pipeline.recognize([cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)])
        return [Detection.from_array(box, text, None) for text, box in predictions if text.strip()]

    return read


def run_one(name: str, eval_images: int, latency_frames: int) -> dict:
    from stream_ocr.evaluation import EMPTY_SCORES, read_icdar_gt, score_words
    from stream_ocr.images import read_image

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
    if eval_images == 0:
        return out
    total = EMPTY_SCORES
    times = []
    for i in range(1, eval_images + 1):
        frame = read_image(EVAL / "icdar2015" / "images" / f"img_{i}.jpg")
        start = time.perf_counter()
        detections = read(frame)
        times.append(time.perf_counter() - start)
        total = total + score_words(detections, read_icdar_gt(EVAL / "icdar2015" / "gt" / f"gt_img_{i}.txt"))
    out["eval_images"] = eval_images
    out["eval_median_s"] = round(statistics.median(times), 3)
    out.update(total.summary())
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-images", type=int, default=100)
    parser.add_argument("--latency-frames", type=int, default=8)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.eval_images, args.latency_frames)))
        return 0

    rows = []
    for name in args.engines.split(","):
        cmd = [
            sys.executable,
            __file__,
            "--one",
            name,
            "--eval-images",
            str(args.eval_images),
            "--latency-frames",
            str(args.latency_frames),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{name} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)

    cols = [
        "engine",
        "median_s_640x480",
        "median_s_1280x720",
        "recall",
        "precision",
        "f1",
        "detection_recall",
        "cer",
        "eval_median_s",
        "peak_rss_mb",
        "load_s",
    ]
    cols = [c for c in cols if c in rows[0]]
    print()
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
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
