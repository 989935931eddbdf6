"""Benchmark following a moving picture (``ChangeConfig.follow_motion``): pixels read, engine time, lines found.

For each clip, the frames sampled at 2 fps go through two ``FrameStep``s in one process,
one following the picture and one not, frame by frame in turn (so both see the same
machine load). Printed per clip and setting: frames read whole and in part, the share of
the frames' pixels given to the engine, the engine's seconds, and of the truth lines,
how many some track reads within CER 0.2.

Clips: a page scrolled like a screen recording (``tests/step/test_reuse.py``), and the samples
whose camera moves: glare (a pan under moving highlights), signs (pans and zooms, with
cuts) and scoreboard (a slow camera under a changing score).

    python benchmarks/moving_reuse.py [--clips scroll glare signs scoreboard]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.runtimes import cpu_flags  # noqa: E402
from stream_ocr.config import EngineConfig  # noqa: E402
from stream_ocr.engines import create_engine  # noqa: E402
from stream_ocr.evaluation.video import cer  # noqa: E402
from stream_ocr.step.change import ChangeConfig  # noqa: E402
from stream_ocr.step.frame_step import FrameStep, StepConfig  # noqa: E402
from tests.step.test_reuse import PAGE_LINES, sampled, scrolling_page  # noqa: E402

SAMPLES = ROOT / "samples"


def clip(name: str) -> tuple[list, list[str]]:
    """(time, frame) pairs at 2 fps, and the truth lines."""
    if name == "scroll":
        frames, _, _ = scrolling_page()
        return frames, PAGE_LINES
    truth = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return sampled(name), [line["text"] for line in truth["lines"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+", default=["scroll", "glare", "signs", "scoreboard"])
    args = parser.parse_args()
    engine = create_engine(EngineConfig())
    print(f"CPU flags: {cpu_flags()}")
    print(
        "| clip | follow the picture | frames | read whole | read in part | pixels given / pixels of frames read | engine s | truth lines found |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in args.clips:
        frames, truth = clip(name)
        steps = {
            follow: FrameStep(engine, StepConfig(change=ChangeConfig(follow_motion=follow))) for follow in (False, True)
        }
        figures = {follow: {"whole": 0, "part": 0, "pixels": 0, "of": 0, "s": 0.0} for follow in steps}
        for t, frame in frames:
            for follow, step in steps.items():
                started = time.perf_counter()
                result = step(frame, t)
                f = figures[follow]
                f["s"] += time.perf_counter() - started
                if not result.skipped:
                    f["part" if result.regions is not None else "whole"] += 1
                    f["pixels"] += result.pixels_read
                    f["of"] += result.width * result.height
        for follow, step in steps.items():
            f = figures[follow]
            tracks = step.tracker.active + step.tracker.finished
            found = sum(any(cer(line, track.text) <= 0.2 for track in tracks) for line in truth)
            share = f["pixels"] / f["of"] if f["of"] else 0.0
            print(
                f"| {name} | {'yes' if follow else 'no'} | {len(frames)} | {f['whole']} | {f['part']} | "
                f"{share:.3f} | {f['s']:.1f} | {found} / {len(truth)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
