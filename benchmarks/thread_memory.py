"""Benchmark TensorFlow's inter-op thread count: recognizer memory per shape, and speed.

oneDNN keeps kernels for each input shape it has run, per thread that ran it, so the
number of TensorFlow inter-op threads decides how often a shape is paid for. For each
setting, in its own process (TensorFlow fixes thread counts once it runs), side by side:

  * MB per new recognizer shape: RSS growth over the first pass through every
    (batch size, width bucket) pair the recognizer uses (1, 2, 4, 8 crops x 9 widths);
  * growth over ``--passes`` more passes through the same shapes, and per pass;
  * ms per engine read on frames of ``samples/signs.mp4`` (every 10th), with the
    detector's and recognizer's shares.

    python benchmarks/thread_memory.py [--settings 0,1,0,1] [--passes 10]

Setting 0 is TensorFlow's own choice (one thread per core); 1 is the engine's default.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from live import rss_mb  # this folder is on the path when run as a script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sample_frames(step: int = 10) -> list:
    import cv2

    capture = cv2.VideoCapture(str(ROOT / "samples" / "signs.mp4"))
    frames = []
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % step == 0:
            frames.append(frame)
        index += 1
    capture.release()
    return frames


def run_one(inter_op: int, passes: int) -> dict:
    import numpy as np

    from stream_ocr.config import EngineConfig
    from stream_ocr.engines import create_engine
    from stream_ocr.engines.english_g2 import HEIGHT, WIDTH_BUCKETS

    engine = create_engine(EngineConfig(tf_inter_op_threads=inter_op))
    recognizer = engine.recognizer
    rng = np.random.default_rng(0)
    shapes = [(batch, width) for batch in (1, 2, 4, 8) for width in WIDTH_BUCKETS]

    def run_all_shapes() -> None:
        for batch, width in shapes:
            crops = [rng.integers(0, 256, (HEIGHT, width), dtype=np.uint8) for _ in range(batch)]
            recognizer.recognize_crops(crops)

    before = rss_mb()
    run_all_shapes()
    first_pass = rss_mb() - before
    per_pass = []
    for _ in range(passes):
        start = rss_mb()
        run_all_shapes()
        per_pass.append(round(rss_mb() - start, 1))

    frames = sample_frames()
    for frame in frames[:10]:
        engine.read(frame)
    detect = recognize = 0.0
    t0 = time.perf_counter()
    for frame in frames:
        timings = engine.read(frame).timings_ms
        detect += timings["detect_model"]
        recognize += timings["recognize"]
    elapsed = time.perf_counter() - t0
    n = len(frames)
    return {
        "inter_op_threads": inter_op,
        "shapes": len(shapes),
        "mb_per_new_shape": round(first_pass / len(shapes), 2),
        "repeat_growth_mb": round(sum(per_pass), 1),
        "per_pass_mb": per_pass,
        "frames": n,
        "ms_per_read": round(elapsed / n * 1000, 1),
        "detect_ms": round(detect / n, 1),
        "recognize_ms": round(recognize / n, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", default="0,1,0,1", help="inter-op thread counts, one process each")
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.passes)))
        return 0

    for setting in args.settings.split(","):
        cmd = [sys.executable, __file__, "--one", setting, "--passes", str(args.passes)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"inter-op {setting} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
            return 1
        print(proc.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
