"""Benchmark boxes that follow motion between inferences, on panning samples.

Replays a sample as a live stream would see it: inference runs back to back on the newest
frame, each result arriving after the engine's own measured time; preview frames go out
every round(fps / 12) frames (as near 12 fps as the video allows). On every preview frame, the boxes a viewer sees are compared with the boxes
the engine reads on that very frame (run offline on every preview frame), by IoU, for
each line of text:

* held: the latest result's boxes, where they were read (no following);
* followed: the same boxes carried onto the frame by ``motion.BoxFollower``.

    python benchmarks/motion.py [--samples signs:0:6 glare:0:12]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from stream_ocr.engines import create_engine  # noqa: E402
from stream_ocr.engines.base import read_lines  # noqa: E402
from stream_ocr.live.box_follower import BoxFollower  # noqa: E402
from stream_ocr.tracking.fusion import same_text  # noqa: E402

PREVIEW_FPS = 12.0


def iou(a, b) -> float:
    ax0, ay0 = np.min(a, axis=0)
    ax1, ay1 = np.max(a, axis=0)
    bx0, by0 = np.min(b, axis=0)
    bx1, by1 = np.max(b, axis=0)
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return float(inter / union) if union > 0 else 0.0


def clip(name: str, start: float, end: float) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(ROOT / "samples" / f"{name}.mp4"))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.set(cv2.CAP_PROP_POS_MSEC, start * 1000)
    frames = []
    for _ in range(round((end - start) * fps)):
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    return frames, fps


def run(engine, name: str, start: float, end: float) -> dict:
    frames, fps = clip(name, start, end)
    preview_every = max(1, round(fps / PREVIEW_FPS))
    previews = list(range(0, len(frames), preview_every))
    truth = {i: read_lines(engine, frames[i]).lines for i in previews}
    # Back-to-back inference on the newest frame: result k read frame f_k, ready at frame r_k.
    schedule, i = [], 0
    while i < len(frames):
        t0 = time.perf_counter()
        lines = read_lines(engine, frames[i]).lines
        cost = time.perf_counter() - t0
        ready = i + max(1, round(cost * fps))
        schedule.append((i, ready, lines))
        i = ready
    follower = BoxFollower()
    held_scores, followed_scores = [], []
    k, current = -1, None
    for p in previews:
        while k + 1 < len(schedule) and schedule[k + 1][1] <= p:
            k += 1
            read_at, _, current = schedule[k]
            follower.reset(frames[read_at], [(n, line.points) for n, line in enumerate(current)])
        if current is None:
            continue
        moved = {b.track_id: b.points for b in follower.advance(frames[p])}
        for true_line in truth[p]:
            match = [n for n, line in enumerate(current) if same_text(line.text, true_line.text, line.confidence)]
            if not match:
                continue
            n = max(match, key=lambda m: iou(current[m].points, true_line.points))
            held_scores.append(iou(current[n].points, true_line.points))
            followed_scores.append(iou(moved.get(n, current[n].points), true_line.points))
    return {
        "sample": f"{name} {start:g}-{end:g} s",
        "results": len(schedule),
        "preview_frames": len(previews),
        "pairs": len(held_scores),
        "held": float(np.mean(held_scores)) if held_scores else 0.0,
        "followed": float(np.mean(followed_scores)) if followed_scores else 0.0,
        "held_p10": float(np.percentile(held_scores, 10)) if held_scores else 0.0,
        "followed_p10": float(np.percentile(followed_scores, 10)) if followed_scores else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", nargs="+", default=["signs:0:6", "glare:0:12"], help="NAME:START:END")
    parser.add_argument("--engine", default="keras-ocr")
    args = parser.parse_args()
    engine = create_engine(name=args.engine)
    print("| sample | results | preview frames | line pairs | IoU held (mean / p10) | IoU followed (mean / p10) |")
    print("|---|---|---|---|---|---|")
    for spec in args.samples:
        name, start, end = spec.split(":")
        row = run(engine, name, float(start), float(end))
        print(
            f"| {row['sample']} | {row['results']} | {row['preview_frames']} | {row['pairs']} | "
            f"{row['held']:.3f} / {row['held_p10']:.3f} | {row['followed']:.3f} / {row['followed_p10']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
