"""Does a long film run in flat memory? A two-hour subtitled film, and the job's RSS as it goes.

Makes (``--make``) a long film of the kind ``make_films.py`` makes, cheaper to run: a real
film's subtitle file (*Primer*, the tuning film's source: all of it, then again from its
start until the length is reached) burned in by libass over ICDAR 2015 training photos,
a still shot of 4-8 s each with a cut between (854x480, 24 fps). Then runs (``--run``)
``stream-ocr video FILM --subtitles`` with defaults and samples the process's RSS every
few seconds beside how far into the film the job is (the last record of frames.jsonl),
and prints RSS at each ten minutes of film and the last against the tenth minute's.

    python benchmarks/long_film.py --make ~/films/long.mp4 --subs /path/to/subtitle-starter-code
    python benchmarks/long_film.py --run ~/films/long.mp4 [--engine keras-ocr]

The issue's bar: RSS after 2 hours of film within 10% of RSS after 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from film import tree_rss_mb  # noqa: E402
from make_films import ass_file, parse_js  # noqa: E402

SIZE = (854, 480)
FPS = 24


def long_cues(subs: Path, minutes: float) -> list[dict]:
    """Primer's cues from its start, again and again, until ``minutes`` are filled."""
    cues = parse_js((subs / "subtitles/primer-en.js").read_text(encoding="utf-8"))
    first, last = cues[0][0], cues[-1][1]
    out, offset = [], -first
    while True:
        for i, (s, e, lines) in enumerate(cues):
            if i + 1 < len(cues):
                e = min(e, cues[i + 1][0] - 0.04)
            start, end = s + offset, e + offset
            if end > minutes * 60:
                return out
            out.append({"start": round(start, 3), "end": round(end, 3), "lines": lines})
        offset += last - first + 5.0


def make(path: Path, subs: Path, photos_dir: Path, minutes: float) -> None:
    import make_films

    cues = long_cues(subs, minutes)
    make_films.LENGTH_S = minutes * 60  # the three styles each take a third of the film
    photos = [photos_dir / f"img_{n}.jpg" for n in range(1, 501)]
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        ass = Path(tmp) / "subs.ass"
        ass.write_text(ass_file(cues, ("DejaVu Sans", "Liberation Sans", "FreeSans")), encoding="utf-8")
        cmd = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24"]
        cmd += ["-s", f"{SIZE[0]}x{SIZE[1]}", "-r", str(FPS), "-i", "-", "-vf", f"ass={ass}"]
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-pix_fmt", "yuv420p", str(path)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        assert proc.stdin is not None
        total, made, k = int(minutes * 60 * FPS), 0, 0
        while made < total:
            image = cv2.resize(cv2.imread(str(photos[k % len(photos)])), SIZE, interpolation=cv2.INTER_AREA)
            k += 1
            frames = min(total - made, int(rng.uniform(4.0, 8.0) * FPS))
            data = image.tobytes()
            for _ in range(frames):
                proc.stdin.write(data)
            made += frames
        proc.stdin.close()
        if proc.wait() != 0:
            raise SystemExit("ffmpeg failed")
    print(f"{path}: {minutes:g} min, {len(cues)} cues")


def film_time(frames_jsonl: Path) -> float:
    """How far into the film the job is: the time of frames.jsonl's last whole record."""
    try:
        with open(frames_jsonl, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 65536))
            lines = f.read().splitlines()
    except FileNotFoundError:
        return 0.0
    for line in reversed(lines[1:] if len(lines) > 1 else lines):
        try:
            return float(json.loads(line)["time"])
        except (ValueError, KeyError):
            continue
    return 0.0


def run(path: Path, engine: str, every_s: float) -> None:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "stream_ocr", "video", str(path), "--subtitles", "--out", out, "--quiet"]
        cmd += ["--engine", engine]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        samples: list[tuple[float, float, float]] = []  # (wall s, film s, RSS MB)
        while proc.poll() is None:
            time.sleep(every_s)
            samples.append((time.monotonic() - started, film_time(Path(out) / "frames.jsonl"), tree_rss_mb(proc.pid)))
        wall = time.monotonic() - started
        summary = json.loads((Path(out) / "summary.json").read_text())
    if proc.returncode != 0:
        raise SystemExit(f"the job failed ({proc.returncode})")
    print(f"{path.name}: {summary['cues']} cues, {summary['frames_read']} frames read, wall {wall:.0f} s")
    print("| film minute | RSS MB (the highest sample up to then) |")
    print("|---|---|")
    marks: dict[int, float] = {}
    for _, film_s, rss in samples:
        minute = int(film_s // 600) * 10
        marks[minute] = max(marks.get(minute, 0.0), rss)
    for minute in sorted(marks):
        print(f"| {minute}-{minute + 10} | {marks[minute]:,.0f} |")
    first = next((rss for _, film_s, rss in samples if film_s >= 600), None)
    last = samples[-2][2] if len(samples) > 1 else None  # before the exports at the end
    if first and last:
        print(f"RSS at film minute 10: {first:,.0f} MB; at the end: {last:,.0f} MB ({last / first - 1:+.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make", type=Path, help="write a long film here")
    parser.add_argument("--subs", type=Path, help="a checkout of dmclough/subtitle-starter-code (with --make)")
    parser.add_argument("--photos", type=Path, default=ROOT.parent / "shared/eval/icdar2015-train/images")
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--run", type=Path, help="run the subtitle job on this film and sample its memory")
    parser.add_argument("--engine", default="keras-ocr")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between memory samples")
    args = parser.parse_args()
    if args.make:
        if not args.subs:
            parser.error("--make needs --subs")
        make(args.make, args.subs, args.photos, args.minutes)
    if args.run:
        run(args.run, args.engine, args.every)


if __name__ == "__main__":
    main()
