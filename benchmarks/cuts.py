"""Benchmark the extra samples after sudden changes (``stream_ocr/step/cuts.py``): how many, and what watching costs.

For every footage sample, reads the video with ``VideoFrames`` twice in one run, with and
without ``CutConfig`` (no engine: this is the reader's own cost, decoding every frame and
comparing its 64x36 grey copy with the previous one, against grabbing the frames between
samples), and prints the regular and extra samples, the times of the extra ones, and the
reader's wall time each way. What an extra sample then costs is one read at most (the
change gate skips it if nothing changed); ``benchmarks/video.py --no-cut-reads`` measures
that end to end.

    python benchmarks/cuts.py [--samples signs captions ...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.runtimes import cpu_flags  # noqa: E402
from stream_ocr.sources.video_frames import VideoFrames  # noqa: E402
from stream_ocr.step.cuts import CutConfig  # noqa: E402
from stream_ocr.video.job import SUBTITLE_FPS  # noqa: E402

SAMPLES = ["signs", "slides", "subtitles", "scoreboard", "glare", "screen", "captions"]


def read(path: Path, fps: float, cuts: CutConfig | None) -> tuple[int, list[float], float, int]:
    """(regular samples, times of extra samples, seconds, frames) for one pass of the reader."""
    reader = VideoFrames(path, fps, 0.0, None, False, cuts=cuts)
    started = time.perf_counter()
    reader.start()
    regular, extra, frames = 0, [], 0
    for frame in reader:
        frames += 1
        if frame.on_change:
            extra.append(round(frame.time, 2))
        elif frame.sampled:
            regular += 1
    reader.close()
    return regular, extra, time.perf_counter() - started, frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", nargs="+", default=SAMPLES)
    parser.add_argument("--repeat", type=int, default=3, help="passes each way; the fastest is kept")
    args = parser.parse_args()
    print(f"CPU flags: {cpu_flags()}")
    print("| sample | frames | regular samples | extra samples | at (s) | reader s, cut watch off | on |")
    print("|---|---|---|---|---|---|---|")
    for name in args.samples:
        path = ROOT / "samples" / f"{name}.mp4"
        fps = SUBTITLE_FPS if name == "subtitles" else 2.0
        off = min((read(path, fps, None) for _ in range(args.repeat)), key=lambda r: r[2])
        on = min((read(path, fps, CutConfig()) for _ in range(args.repeat)), key=lambda r: r[2])
        times = ", ".join(map(str, on[1])) or "-"
        print(f"| {name} | {on[3]} | {on[0]} | {len(on[1])} | {times} | {off[2]:.2f} | {on[2]:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
