"""Benchmark recorded-video OCR: the naive loop vs ``stream-ocr video``, same weights, same video.

* naive: every sampled frame (2 fps) through keras-ocr's stock ``Pipeline`` at its defaults
  (scale=2), with the same CRAFT weights and the same english_g2 recognizer; its reads are
  then tracked with our tracker, so that both are scored the same way.
* ours: ``stream_ocr.video.process_video`` with the default engine and settings.

Track recall: the share of the ground-truth texts (samples/signs.json) found as a track
with the same text (case-insensitive) whose time span overlaps the truth's.

    python benchmarks/video.py [--video samples/signs.mp4]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def track_recall(tracks: list[dict], truth: list[dict]) -> float:
    found = 0
    for t in truth:
        for tr in tracks:
            if (
                tr["text"].upper() == t["text"].upper()
                and tr["first_time"] <= t["end"]
                and tr["end_time"] >= t["start"]
            ):
                found += 1
                break
    return found / len(truth)


def naive(video: Path, sample_fps: float) -> tuple[float, list[dict]]:
    import cv2

    from stream_ocr.config import EngineConfig
    from stream_ocr.engines.craft import cached_craft_weights
    from stream_ocr.engines.english_g2 import EnglishG2Recognizer
    from stream_ocr.engines.keras_ocr_compat import import_keras_ocr
    from stream_ocr.tracking import Tracker
    from stream_ocr.types import Detection

    keras_ocr = import_keras_ocr()
    config = EngineConfig()
    detector = keras_ocr.detection.Detector(weights=None)
    detector.model.load_weights(str(cached_craft_weights(config)))
    pipeline = keras_ocr.pipeline.Pipeline(detector=detector, recognizer=EnglishG2Recognizer.load(config))
    tracker = Tracker()
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    step = max(1, round(fps / sample_fps))
    start = time.perf_counter()
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            (predictions,) = pipeline.recognize([cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)])
            detections = [Detection.from_array(box, text, None) for text, box in predictions if text.strip()]
            tracker.update(detections, index / fps)
        index += 1
    wall = time.perf_counter() - start
    hold = 1 / sample_fps
    tracks = [t for t in tracker.finish() if t.frames_seen >= 2]
    return wall, [{"text": t.text, "first_time": t.first_time, "end_time": t.last_time + hold} for t in tracks]


def ours(video: Path, sample_fps: float) -> tuple[float, list[dict], dict]:
    from stream_ocr.engines import create_engine
    from stream_ocr.video import VideoJob, process_video

    engine = create_engine()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = process_video(video, out, engine, VideoJob(sample_fps=sample_fps))
        wall = time.perf_counter() - start
        tracks = json.loads((Path(out) / "tracks.json").read_text())["tracks"]
    return wall, tracks, summary.to_dict()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, default=ROOT / "samples" / "signs.mp4")
    parser.add_argument("--sample-fps", type=float, default=2.0)
    args = parser.parse_args()
    truth = json.loads(args.video.with_suffix(".json").read_text())["texts"]

    ours_wall, ours_tracks, summary = ours(args.video, args.sample_fps)
    naive_wall, naive_tracks = naive(args.video, args.sample_fps)
    rows = [
        ("naive stock Pipeline loop", naive_wall, track_recall(naive_tracks, truth), len(naive_tracks)),
        ("stream-ocr video", ours_wall, track_recall(ours_tracks, truth), len(ours_tracks)),
    ]
    print("| run | wall s | track recall | tracks |")
    print("|---|---|---|---|")
    for name, wall, recall, count in rows:
        print(f"| {name} | {wall:.1f} | {recall:.2f} | {count} |")
    print(
        f"\nspeed-up: {naive_wall / ours_wall:.1f}x; frames read {summary['frames_read']}, skipped unchanged {summary['frames_skipped_unchanged']} of {summary['frames_sampled']} sampled"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
