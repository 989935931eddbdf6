"""Benchmark how many live streams of mostly static content one engine holds at 1 result a second each.

Runs the real hub (a capture thread per stream, latest-frame slots, one inference thread,
the change gate, trackers) with one engine, on N streams at once, for ``--seconds`` each
N. The streams are the samples of signage, dashboards and subtitles (slides, screen,
scoreboard, subtitles), each played looped at its native 30 fps and decoded in full, as
a camera's would be, and each watched by one viewer (previews encoded). With more than
four streams, a video plays on two streams at once.

For each N it prints, per stream and over all: results a second, split into frames the
engine read (whole, or only their changed regions), frames where the picture only moved
(their lines follow it, no pixel is read) and frames skipped as unchanged (whose results
carry the lines forward), the longest gap between two results of a stream (counted from
the start, and when it ended), and read latency p50 / p95. A stream is held when it got at least one result a
second and never waited more than ``--max-gap`` seconds for one, counted from the start
(the first results wait for every stream's first whole read), and again counted from
each stream's first result (the steady state).

    python benchmarks/streams.py [--counts 1 2 4 6 8] [--seconds 60] [--max-gap 2]

State the CPU flags with the figures.
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

from benchmarks.detector_scales import cpu_flags  # noqa: E402

STATIC = ("slides.mp4", "screen.mp4", "scoreboard.mp4", "subtitles.mp4")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))] if values else 0.0


def run(engine, count: int, seconds: float, max_gap: float) -> dict:
    from stream_ocr.live.hub import StreamHub
    from stream_ocr.realthreads import time as real_time
    from stream_ocr.sources.opening import SourceSpec

    specs = [SourceSpec(f"s{i}", str(ROOT / "samples" / STATIC[i % len(STATIC)]), loop=True) for i in range(count)]
    hub = StreamHub(engine, specs)
    for spec in specs:
        hub.add_viewer(spec.name)
    times: dict[str, list[float]] = {s.name: [] for s in specs}
    reads: dict[str, int] = dict.fromkeys(times, 0)
    followed: dict[str, int] = dict.fromkeys(times, 0)
    latencies: list[float] = []
    hub.start()
    start = time.monotonic()
    try:
        while time.monotonic() - start < seconds:
            real_time.sleep(0.1)
            for event in hub.drain():
                if event.name != "ocr_result":
                    continue
                name = event.payload["stream_id"]
                times[name].append(time.monotonic())
                if event.payload.get("regions") == [] and not event.payload.get("skipped"):
                    followed[name] += 1  # the picture only moved: lines followed it, nothing read
                elif not event.payload.get("skipped"):
                    reads[name] += 1
                    latencies.append(event.payload["latency_ms"])
    finally:
        elapsed = time.monotonic() - start
        hub.stop()
    per_stream = []
    for spec in specs:
        stamps = [start] + times[spec.name] + [start + elapsed]
        gap, gap_end = max((b - a, b - start) for a, b in zip(stamps, stamps[1:]))
        # The same from the stream's first result on: the steady state, without the first
        # whole reads of every stream (and the engine's first meeting with their shapes).
        steady = max((b - a for a, b in zip(stamps[1:], stamps[2:])), default=elapsed)
        rate = len(times[spec.name]) / elapsed
        per_stream.append(
            {
                "stream": spec.name,
                "video": Path(spec.uri).name,
                "results_per_s": round(rate, 2),
                "reads_per_s": round(reads[spec.name] / elapsed, 2),
                "followed_per_s": round(followed[spec.name] / elapsed, 2),
                "skips_per_s": round((len(times[spec.name]) - reads[spec.name] - followed[spec.name]) / elapsed, 2),
                "longest_gap_s": round(gap, 2),
                "longest_gap_ended_at_s": round(gap_end, 1),
                "held": rate >= 1.0 and gap <= max_gap,
                "longest_gap_after_first_s": round(steady, 2),
                "held_after_first": rate >= 1.0 and steady <= max_gap,
            }
        )
    return {
        "streams": count,
        "seconds": round(elapsed, 1),
        "held": sum(s["held"] for s in per_stream),
        "held_after_first": sum(s["held_after_first"] for s in per_stream),
        "min_results_per_s": min(s["results_per_s"] for s in per_stream),
        "mean_results_per_s": round(statistics.mean(s["results_per_s"] for s in per_stream), 2),
        "reads_per_s": round(sum(reads.values()) / elapsed, 2),
        "followed_per_s": round(sum(followed.values()) / elapsed, 2),
        "longest_gap_s": max(s["longest_gap_s"] for s in per_stream),
        "read_latency_p50_ms": round(pct(latencies, 50)),
        "read_latency_p95_ms": round(pct(latencies, 95)),
        "per_stream": per_stream,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4, 6, 8])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-gap", type=float, default=2.0, help="longest wait for a result a held stream may have")
    parser.add_argument("--engine", default="keras-ocr")
    args = parser.parse_args()

    from stream_ocr.engines import create_engine

    engine = create_engine(name=args.engine)
    print(f"# CPU flags: {' '.join(cpu_flags())}; engine {args.engine}", flush=True)
    print(
        "| streams | held at >= 1 result/s | held after each stream's first result | min results/s | mean results/s | reads/s (all) | followed/s (all) | longest gap s | read p50 ms | read p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for count in args.counts:
        row = run(engine, count, args.seconds, args.max_gap)
        rows.append(row)
        print(
            f"| {count} | {row['held']} | {row['held_after_first']} | {row['min_results_per_s']} | {row['mean_results_per_s']} | "
            f"{row['reads_per_s']} | {row['followed_per_s']} | {row['longest_gap_s']} | {row['read_latency_p50_ms']} | {row['read_latency_p95_ms']} |",
            flush=True,
        )
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
