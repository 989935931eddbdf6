"""Benchmark recorded-video OCR on every footage sample, both engines, this tree and another.

For each sample in samples/ that has ground truth lines (``*.json`` beside the video) and
each engine, runs ``stream-ocr video`` once per tree (all samples in one run, so the
engine loads once) and scores the output with ``stream_ocr.evaluation.video``:

* word recall and the character error rate of the fused track texts (track CER);
* line recall (a cue line within CER 0.2), cue CER, duplicate cues, false cues (a cue
  matching no truth line of its time within CER 0.4), timing error;
* frames read and skipped as unchanged, and wall time (from summary.json).

``--baseline DIR`` also runs a second checkout (say, a ``git worktree`` of the commit
before a change) on the same samples in the same run, so that the rows compare side by
side on one machine. ``--subtitles`` adds runs of this tree with the subtitle preset on
the subtitle samples; ``--no-cut-reads`` adds runs of this tree without the extra samples
after sudden changes (``stream_ocr/step/cuts.py``), to see what they cost and what they find;
``--lang auto en,zh`` adds runs of this tree reading those languages (the language samples,
bilingual and japanese, are then also scored per language from their NAME.LANG.srt).

    python benchmarks/video.py [--baseline /tmp/before] [--engines keras-ocr rapidocr]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stream_ocr.evaluation.video import score_timeline, truth_lines  # noqa: E402
from stream_ocr.video.exporters import parse_srt  # noqa: E402

SAMPLES = ["signs", "slides", "subtitles", "scoreboard", "glare", "screen", "captions"]
SUBTITLE_SAMPLES = ["subtitles", "bilingual", "japanese"]


def run_tree(tree: Path, engine: str, videos: list[Path], out: Path, extra: list[str]) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, "-m", "stream_ocr", "video", *map(str, videos), "--out", str(out), "--quiet"]
    cmd += ["--engine", engine, *extra]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{tree}: stream-ocr video failed:\n{proc.stderr[-3000:]}")


def score(folder: Path, video: Path, lang: str | None = None) -> dict:
    """Scores of one run on ``video``; with ``lang``, of that language's file against its cues."""
    truth = json.loads(video.with_suffix(".json").read_text(encoding="utf-8"))
    if lang is not None:
        truth = {"cues": [c for c in truth["cues"] if c.get("lang") == lang]}
    truth = truth_lines(truth)
    tracks = json.loads((folder / "tracks.json").read_text())["tracks"]
    name = f"{video.stem}.{lang}.srt" if lang else f"{video.stem}.srt"
    path = folder / name
    srt = parse_srt(path.read_text(encoding="utf-8")) if path.exists() else []
    summary = json.loads((folder / "summary.json").read_text())
    scores = score_timeline(srt, tracks, truth).to_dict()
    scores.update(
        cues=len(srt),
        frames_read=summary["frames_read"],
        on_change=summary.get("frames_sampled_on_change", 0),
        frames_followed=summary.get("frames_followed", 0),
        frames_skipped=summary["frames_skipped_unchanged"],
        wall_s=summary["wall_s"],
    )
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="another checkout to run on the same samples, side by side")
    parser.add_argument("--engines", nargs="+", default=["keras-ocr", "rapidocr"])
    parser.add_argument("--samples", nargs="+", default=SAMPLES)
    parser.add_argument("--subtitles", action="store_true", help="also run the subtitle preset on subtitle samples")
    parser.add_argument("--no-cut-reads", action="store_true", help="also run this tree with --no-cut-reads")
    parser.add_argument(
        "--lang",
        nargs="+",
        default=[],
        metavar="LANGS",
        help="also run this tree with --lang LANGS for each (auto, en,zh ...); samples whose truth has "
        "languages are also scored per language, from their NAME.LANG.srt",
    )
    parser.add_argument("--json", type=Path, help="write every row here as JSON too")
    args = parser.parse_args()
    videos = [ROOT / "samples" / f"{name}.mp4" for name in args.samples]
    trees = [("this tree", ROOT, [])]
    if args.baseline:
        trees.insert(0, ("baseline", args.baseline.resolve(), []))
    if args.subtitles:
        trees.append(("this tree --subtitles", ROOT, ["--subtitles"]))
    if args.no_cut_reads:
        trees.append(("this tree --no-cut-reads", ROOT, ["--no-cut-reads"]))
    for langs in args.lang:
        trees.append((f"this tree --lang {langs}", ROOT, ["--lang", langs]))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines:
            for label, tree, extra in trees:
                chosen = [v for v in videos if "--subtitles" not in extra or v.stem in SUBTITLE_SAMPLES]
                out = Path(tmp) / f"{engine}-{len(rows)}"
                run_tree(tree, engine, chosen, out, extra)
                for video in chosen:
                    # One video gives its files in out/ itself; several give out/<name>/.
                    folder = out / video.stem if len(chosen) > 1 else out
                    rows.append({"engine": engine, "run": label, "video": video.stem, **score(folder, video)})
                    print(json.dumps(rows[-1]), file=sys.stderr)
                    cues = json.loads(video.with_suffix(".json").read_text(encoding="utf-8")).get("cues", [])
                    for lang in sorted({c["lang"] for c in cues if "lang" in c}):
                        per = score(folder, video, lang)
                        rows.append({"engine": engine, "run": label, "video": f"{video.stem}.{lang}", **per})
    columns = [
        ("word recall", "word_recall"),
        ("track CER", "track_cer"),
        ("line recall", "line_recall"),
        ("cue CER", "cue_cer"),
        ("dup cues", "duplicates"),
        ("false cues", "false_cues"),
        ("timing err s", "timing_error_s"),
        ("cues", "cues"),
        ("read", "frames_read"),
        ("on change", "on_change"),
        ("followed", "frames_followed"),
        ("skipped", "frames_skipped"),
        ("wall s", "wall_s"),
    ]
    print("| engine | run | video | " + " | ".join(c for c, _ in columns) + " |")
    print("|---|---|---|" + "---|" * len(columns))
    for row in rows:
        print(
            f"| {row['engine']} | {row['run']} | {row['video']} | " + " | ".join(str(row[k]) for _, k in columns) + " |"
        )
    print()
    print(
        "| engine | run | mean word recall | mean line recall | mean cue CER | mean track CER | false cues | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for engine in args.engines:
        for label, _, _ in trees:
            chosen = [r for r in rows if r["engine"] == engine and r["run"] == label and "." not in r["video"]]
            if not chosen:
                continue
            n = len(chosen)
            print(
                f"| {engine} | {label} | {sum(r['word_recall'] for r in chosen) / n:.3f} | "
                f"{sum(r['line_recall'] for r in chosen) / n:.3f} | {sum(r['cue_cer'] for r in chosen) / n:.3f} | "
                f"{sum(r['track_cer'] for r in chosen) / n:.3f} | {sum(r['false_cues'] for r in chosen)} | "
                f"{sum(r['wall_s'] for r in chosen):.1f} |"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
