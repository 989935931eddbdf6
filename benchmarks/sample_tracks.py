"""Every track of every sample, and how much of each read frame the engine was given.

Runs ``process_video`` with the default engine on the named samples (default: all with
ground truth), keeping every track (``min_frames=1``), and prints, per sample, the frames
sampled, read, read only in their changed regions, and skipped, the share of the read
frames' pixels the engine was given, and wall time; then each track with the samples it
was seen on, its confidence, and its CER to the nearest truth line. It is what chose
``VideoJob.keep_once_confidence`` (BENCHMARKS.md, "Short-lived text").

    python benchmarks/sample_tracks.py [captions subtitles ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stream_ocr.evaluation.video import cer, truth_lines  # noqa: E402

SAMPLES = ["captions", "subtitles", "scoreboard", "glare", "signs", "slides", "screen"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samples", nargs="*", default=SAMPLES)
    args = parser.parse_args()
    from stream_ocr.engines import create_engine
    from stream_ocr.video.job import VideoJob, process_video

    engine = create_engine()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.samples:
            out = Path(tmp) / name
            s = process_video(ROOT / "samples" / f"{name}.mp4", out, engine, VideoJob(min_frames=1))
            share = s.pixels_read / max(1, s.pixels_of_frames_read)
            print(
                f"{name}: sampled {s.frames_sampled}, read {s.frames_read} ({s.frames_read_region} regions only), "
                f"skipped {s.frames_skipped_unchanged}, pixels given {share:.3f}, wall {s.wall_s} s",
                flush=True,
            )
            lines = [line["text"] for line in truth_lines(json.loads((ROOT / "samples" / f"{name}.json").read_text()))]
            for track in json.loads((out / "tracks.json").read_text())["tracks"]:
                nearest = min(cer(line, track["text"]) for line in lines)
                print(
                    f"  seen {track['frames_seen']:3d}  conf {track['confidence']:.4f}  cer {nearest:.2f}  {track['text']!r}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
