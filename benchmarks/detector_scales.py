"""Benchmark the CRAFT detector's model alone at the padded shapes the engine feeds it.

Prints the median seconds of one forward pass per shape (after one warm-up pass), and the
CPU features that decide it: on x86 without AVX-512 (no bfloat16, no AMX) CRAFT is an
order of magnitude slower than on CPUs with them, which is what sets the default
engine's frame rate on small machines.

    python benchmarks/detector_scales.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines.craft import CraftDetector  # noqa: E402
from stream_ocr.engines.keras_ocr_engine import configure_tensorflow  # noqa: E402

SHAPES = ((384, 640), (576, 960), (768, 1280))


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "fma"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = EngineConfig()
    configure_tensorflow(config.tf_intra_op_threads, config.tf_inter_op_threads, config.cpu_bfloat16)
    detector = CraftDetector.load(config)
    row: dict = {"cpu_flags": " ".join(cpu_flags())}
    for h, w in SHAPES:
        batch = np.zeros((1, h, w, 3), np.uint8)
        detector.score_maps(batch)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            detector.score_maps(batch)
            times.append(time.perf_counter() - t0)
        row[f"{w}x{h}_s"] = round(statistics.median(times), 2)
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
