"""What the default engine's memory does as a long job meets new input shapes, before and after the caps.

A film read for hours keeps meeting shapes it has not run: changed regions of new sizes
for CRAFT, and batches of new sizes and widths for the recogniser (whole subtitle lines
are up to 1536 px wide). OpenVINO keeps buffers as large as the largest input it has run,
This script gives one engine the
shapes a long job meets, in a fresh process per variant, and prints its RSS after
loading, after the workload, and the workload's time:

* ``before``: no cap on a recogniser batch's columns, nothing run at load (the code
  before this change);
* ``now``: the engine as it ships (``english_g2.MAX_BATCH_COLUMNS``, and ``reserve`` at
  load).

    python benchmarks/shapes_memory.py [--craft-shapes 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def run(variant: str, craft_shapes: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from stream_ocr.engines import english_g2

    if variant == "before":
        english_g2.MAX_BATCH_COLUMNS = 10**9
        english_g2.EnglishG2Recognizer.reserve = lambda self: None
    from stream_ocr.engines import create_engine

    engine = create_engine()
    loaded = rss_mb()
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    # CRAFT: the largest region first (the engine reserves it), then regions of other sizes.
    engine.detector.score_maps(np.zeros((1, 512, 896, 3), np.uint8))
    shapes = [(h, w) for h in range(64, 513, 64) for w in range(64, 897, 128)]
    rng.shuffle(shapes)
    for h, w in shapes[:craft_shapes]:
        engine.detector.score_maps(rng.integers(0, 255, (1, h, w, 3), dtype=np.uint8))
    after_craft = rss_mb()
    # The recogniser: every batch a job can send, as crops (the engine batches them).
    for count in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32):
        for width in english_g2.WIDTH_BUCKETS:
            crops = [rng.integers(0, 255, (64, width), dtype=np.uint8) for _ in range(count)]
            engine.recognizer.class_scores(crops)
    return {
        "variant": variant,
        "loaded_mb": round(loaded),
        "after_craft_mb": round(after_craft),
        "after_all_mb": round(rss_mb()),
        "workload_s": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--craft-shapes", type=int, default=40)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run(args.variant, args.craft_shapes)))
        return 0
    rows = []
    for variant in ("before", "now"):
        out = subprocess.run(
            [sys.executable, __file__, "--variant", variant, "--craft-shapes", str(args.craft_shapes)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| variant | RSS loaded MB | after CRAFT's shapes MB | after every batch MB | growth MB | workload s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        growth = r["after_all_mb"] - r["loaded_mb"]
        print(
            f"| {r['variant']} | {r['loaded_mb']} | {r['after_craft_mb']} | {r['after_all_mb']} | {growth} "
            f"| {r['workload_s']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
