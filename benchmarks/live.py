"""Benchmark a live stream: one 30 fps sample video, the default engine, for a fixed time.

Runs the real hub (capture thread, latest-frame slot, inference thread, tracker) on
``samples/signs.mp4`` played at its native 30 fps, looped, and reports capture fps
(against the source's 30), inference fps, dropped frames, capture-to-result latency p50
and p95, and RSS: after the engine has loaded and warmed up, after the stream's first
result (the engine has then met the stream's frame size, a one-off allocation of the
detector's activations), and at the end. Growth is counted from the first result.
Results are reported apart: frames the engine read (whole, or only their changed
regions), with their latency; frames where the picture only moved, whose lines move with
it and no pixel is read (``followed``); and frames skipped as unchanged, whose results
carry the lines forward in a few milliseconds.

    python benchmarks/live.py [--seconds 60] [--engine keras-ocr]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--engine", default="keras-ocr")
    parser.add_argument("--video", default=str(ROOT / "samples" / "signs.mp4"))
    parser.add_argument("--every", type=float, default=0, help="also print a line every N seconds (for long runs)")
    args = parser.parse_args()

    from stream_ocr.engines import create_engine
    from stream_ocr.live.hub import StreamHub
    from stream_ocr.realthreads import time as real_time
    from stream_ocr.sources.opening import SourceSpec

    engine = create_engine(name=args.engine)
    hub = StreamHub(engine, [SourceSpec("sample", args.video, loop=True)])
    hub.add_viewer("sample")  # encode previews too, as when a browser watches
    rss_start = rss_mb()
    hub.start()
    start = time.monotonic()
    last_print = start
    latencies: list[float] = []
    skipped_latencies: list[float] = []
    followed_latencies: list[float] = []
    results = 0
    rss_first_result = None
    try:
        while time.monotonic() - start < args.seconds:
            real_time.sleep(0.2)
            for event in hub.drain():
                if event.name == "ocr_result":
                    results += 1
                    if rss_first_result is None:
                        rss_first_result = rss_mb()
                    if event.payload.get("skipped"):
                        skipped_latencies.append(event.payload["latency_ms"])
                    elif event.payload.get("regions") == []:
                        followed_latencies.append(event.payload["latency_ms"])
                    else:
                        latencies.append(event.payload["latency_ms"])
            if args.every and time.monotonic() - last_print >= args.every:
                last_print = time.monotonic()
                snap = hub.metrics()[0]
                print(json.dumps({"t_s": round(last_print - start), "rss_mb": round(rss_mb(), 1), **snap}), flush=True)
    finally:
        elapsed = time.monotonic() - start
        snap = hub.metrics()[0]
        hub.stop()
    rss_end = rss_mb()
    latencies.sort()
    skipped_latencies.sort()
    followed_latencies.sort()

    def pct(q: float, values: list[float] = latencies) -> float:
        return values[min(len(values) - 1, int(q / 100 * len(values)))] if values else 0.0

    out = {
        "engine": args.engine,
        "seconds": round(elapsed, 1),
        "source_fps": 30.0,
        "capture_fps": round(snap["captured"] / elapsed, 2),
        "capture_fps_pct_of_source": round(100 * snap["captured"] / elapsed / 30.0, 1),
        "inference_fps": round(snap["inferred"] / elapsed, 3),
        "frames_captured": snap["captured"],
        "frames_inferred": snap["inferred"],
        "frames_dropped": snap["dropped"],
        "inference_errors": snap["errors"],
        "reads": len(latencies),
        "reads_per_s": round(len(latencies) / elapsed, 3),
        "read_latency_p50_ms": round(pct(50)),
        "read_latency_p95_ms": round(pct(95)),
        "followed": len(followed_latencies),
        "followed_latency_p50_ms": round(pct(50, followed_latencies)),
        "skips": len(skipped_latencies),
        "skip_latency_p50_ms": round(pct(50, skipped_latencies)),
        "rss_start_mb": round(rss_start, 1),
        "rss_first_result_mb": round(rss_first_result or 0.0, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_since_first_result_mb": round(rss_end - (rss_first_result or rss_end), 1),
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
