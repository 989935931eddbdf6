"""Benchmark burned-in subtitles on whole films, as a subtitle reader scores them.

Runs ``stream-ocr video FILM --subtitles`` with defaults, once per engine, on films made by
``benchmarks/make_films.py`` (kept out of the repository), and scores the SRT with
``stream_ocr.evaluation.video.score_subtitles``: exact lines and exact cues (character for
character, case, punctuation and dashes included; only runs of spaces folded), lines found
(CER <= 0.1 with case and punctuation forgiven), CER with case and punctuation counted,
phantom cues, cues split in two, the median timing error, rtf (wall time, model load
included, over film time) and the peak RSS of the process.

    python benchmarks/film.py ~/films/tune.mp4 [~/films/report.mp4] [--engines keras-ocr rapidocr]
        [--wrong 40] [--end 120] [--baseline /tmp/before] [--json out.json] [--keep DIR]

``--wrong N`` prints the first N lines that were not exact (truth, then the closest read),
and the first N phantom cues (their start and text).
``--keep DIR`` keeps each run's output (SRT, tracks.json, frames.jsonl) in DIR.
``--baseline DIR`` also runs another checkout's default engine (a ``git worktree`` of the
commit before a change) on the same films, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stream_ocr.evaluation.video import score_subtitles  # noqa: E402
from stream_ocr.video.exporters import parse_srt  # noqa: E402


def tree_rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` and its children, in MB, from /proc."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total / 1024


def run(film: Path, engine: str, out: Path, extra: list[str], tree: Path = ROOT) -> tuple[float, float]:
    """Run the job with ``tree``'s stream_ocr; returns (wall seconds, peak RSS in MB)."""
    cmd = [sys.executable, "-m", "stream_ocr", "video", str(film), "--subtitles", "--out", str(out), "--quiet"]
    cmd += ["--engine", engine, *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tree, env=dict(os.environ, PYTHONPATH=str(tree)), stderr=subprocess.PIPE)
    peak = [0.0]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, name="rss-watch", daemon=True)
    watcher.start()
    _, err = proc.communicate()
    watcher.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"stream-ocr video failed:\n{err.decode()[-3000:]}")
    return time.perf_counter() - start, peak[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("films", nargs="+", type=Path)
    parser.add_argument("--engines", nargs="+", default=["keras-ocr", "rapidocr"])
    parser.add_argument("--end", type=float, help="score only the first END seconds (a quicker look)")
    parser.add_argument("--wrong", type=int, default=0, help="print this many lines that were not exact")
    parser.add_argument("--baseline", type=Path, help="also run the default engine of this checkout, side by side")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep each run's output in this folder")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for film in args.films:
            truth = json.loads(film.with_suffix(".json").read_text(encoding="utf-8"))
            duration = truth["duration_s"]
            cues = truth["cues"]
            extra: list[str] = []
            if args.end:
                duration = args.end
                cues = [c for c in cues if c["end"] <= args.end]
                extra = ["--end", str(args.end)]
            runs = [(engine, engine, ROOT) for engine in args.engines]
            if args.baseline:
                runs.insert(0, ("baseline keras-ocr", "keras-ocr", args.baseline.resolve()))
            for label, engine, tree in runs:
                out = (args.keep or Path(tmp)) / f"{film.stem}-{label.replace(' ', '-')}"
                wall, rss = run(film, engine, out, extra, tree)
                srt = parse_srt((out / f"{film.stem}.srt").read_text(encoding="utf-8"))
                scores = score_subtitles(srt, cues).to_dict()
                wrong, phantoms = scores.pop("wrong"), scores.pop("phantoms")
                row = {"film": film.stem, "engine": label, **scores, "rtf": round(wall / duration, 3)}
                row["peak_rss_mb"] = round(rss)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
                for t, r in wrong[: args.wrong]:
                    print(f"  {t!r:60} -> {r!r}", file=sys.stderr)
                for start, text in phantoms[: args.wrong]:
                    print(f"  phantom cue at {start:7.2f} s: {text!r}", file=sys.stderr)
    columns = [
        ("exact lines", "exact_lines"),
        ("exact cues", "exact_cues"),
        ("lines found", "lines_found"),
        ("CER", "cer"),
        ("cues out", "output_cues"),
        ("phantom cues", "phantom_cues"),
        ("split cues", "split_cues"),
        ("timing err s", "timing_error_s"),
        ("rtf", "rtf"),
        ("peak RSS MB", "peak_rss_mb"),
    ]
    print("| film | engine | cues | lines | " + " | ".join(c for c, _ in columns) + " |")
    print("|---|---|---|---|" + "---|" * len(columns))
    for row in rows:
        cells = " | ".join(str(row[k]) for _, k in columns)
        print(f"| {row['film']} | {row['engine']} | {row['cues']} | {row['lines']} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
