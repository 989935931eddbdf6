"""Make the subtitle benchmark's films: real films' English subtitles burned over real photos in motion.

Each film is ten minutes of a real film's subtitle file (its text, line breaks and timing
as published), burned in with ffmpeg's libass in three styles that change every third of
the film (white with a black outline; white on a dark box; yellow italic with an outline),
over real camera photos (ICDAR 2015's training photos, which hold scene text of their own)
panned and zoomed, with a cut every few seconds. The truth is the subtitle file itself.

* ``tune``: *Primer* (2004), 00:20:00 to 00:30:00, over training photos 1-500, in
  DejaVu Sans, Liberation Sans and FreeSans. Rules and weights are chosen on it.
* ``tune2``: *Primer* again, 00:40:00 to 00:50:00, over the same training photos in
  another order, in Roboto (the caption face of YouTube's player), Roboto Condensed and
  Roboto Italic: a second film to tune on, in other type.
* ``report``: *Life Is Beautiful* (1997), 00:05:00 to 00:15:00, over training photos
  501-1000, in Noto Sans, Nimbus Sans and Open Sans: fonts no rule was chosen on. Figures
  are reported on it.

The subtitle files are the JavaScript arrays of the public repository
``dmclough/subtitle-starter-code`` at commit 8db9d2ba9f2149318ce3e03073e9791c612c8b8b
(``subtitles/primer-en.js``, ``subtitles/life-is-beautiful-en.js``); give a checkout of it
with ``--subs``. Nothing is downloaded. The films (about 60 MB each) stay out of the
repository:

    python benchmarks/make_films.py --subs /path/to/subtitle-starter-code --out ~/films

writes ``NAME.mp4`` and ``NAME.json`` (the truth: ``cues`` with ``start``, ``end``, ``lines``)
and ``NAME.srt`` for each film. Needs Debian's ffmpeg (with libass) and the fonts above
(fonts-dejavu, fonts-liberation, fonts-freefont-ttf, fonts-noto-core, fonts-urw-base35,
fonts-open-sans, fonts-roboto).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SOURCE_COMMIT = "8db9d2ba9f2149318ce3e03073e9791c612c8b8b"
SIZE = (1280, 720)
FPS = 24
LENGTH_S = 600.0


@dataclass(frozen=True)
class Film:
    name: str
    source: str  # path inside the subtitle repository
    start_s: float
    photos: range  # ICDAR 2015 training photo numbers
    fonts: tuple[str, str, str]  # outline, box, yellow italic
    seed: int


FILMS = (
    Film("tune", "subtitles/primer-en.js", 1200.0, range(1, 501), ("DejaVu Sans", "Liberation Sans", "FreeSans"), 1),
    Film("tune2", "subtitles/primer-en.js", 2400.0, range(1, 501), ("Roboto", "Roboto Condensed", "Roboto"), 3),
    Film(
        "report",
        "subtitles/life-is-beautiful-en.js",
        300.0,
        range(501, 1001),
        ("Noto Sans", "Nimbus Sans", "Open Sans"),
        2,
    ),
)

_CUE = re.compile(
    r'duration:\s*"(\d+):(\d+):(\d+),(\d+)\s*-->\s*(\d+):(\d+):(\d+),(\d+)",\s*'
    r'line1:\s*"((?:[^"\\]|\\.)*)",\s*line2:\s*"((?:[^"\\]|\\.)*)"'
)
_TAG = re.compile(r"<[^>]+>")


def parse_js(text: str) -> list[tuple[float, float, list[str]]]:
    """The cues of one of the repository's arrays: (start, end, lines), tags removed."""
    out = []
    for m in _CUE.finditer(text):
        h0, m0, s0, ms0, h1, m1, s1, ms1 = (int(v) for v in m.groups()[:8])
        start = h0 * 3600 + m0 * 60 + s0 + ms0 / 1000
        end = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        raw = [m.group(9), m.group(10)]
        if any("<b>" in line or "</b>" in line for line in raw):
            continue  # a release note, not dialogue
        lines = [" ".join(_TAG.sub("", json.loads(f'"{line}"')).split()) for line in raw]
        lines = [line for line in lines if line]
        if lines and end > start:
            out.append((start, end, lines))
    return out


def window(cues: list[tuple[float, float, list[str]]], start: float) -> list[dict]:
    """The cues inside [start, start + LENGTH_S), shifted to 0; a cue that overlaps the next is cut short."""
    chosen = [c for c in cues if c[0] >= start and c[1] <= start + LENGTH_S]
    out = []
    for i, (s, e, lines) in enumerate(chosen):
        if i + 1 < len(chosen):
            e = min(e, chosen[i + 1][0] - 0.04)
        out.append({"start": round(s - start, 3), "end": round(e - start, 3), "lines": lines})
    return out


def ass_time(t: float) -> str:
    cs = int(round(t * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def ass_text(line: str) -> str:
    return line.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")


def ass_file(cues: list[dict], fonts: tuple[str, str, str]) -> str:
    """An ASS script: three styles, each for a third of the film, lines never rewrapped."""
    outline, box, yellow = fonts
    # Colours are &HAABBGGRR. BorderStyle 3 draws an opaque box in the outline colour.
    styles = [
        f"Style: Outline,{outline},46,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,2.5,0,2,40,40,40,1",
        f"Style: Box,{box},44,&H00FFFFFF,&H00FFFFFF,&H30101010,&H30101010,0,0,0,0,100,100,0,0,3,6,0,2,40,40,44,1",
        f"Style: Yellow,{yellow},46,&H0000F0FF,&H0000F0FF,&H00000000,&H80000000,0,1,0,0,100,100,0,0,1,2,1,2,40,40,40,1",
    ]
    events = []
    for cue in cues:
        style = ("Outline", "Box", "Yellow")[min(2, int(cue["start"] // (LENGTH_S / 3)))]
        text = "\\N".join(ass_text(line) for line in cue["lines"])
        events.append(f"Dialogue: 0,{ass_time(cue['start'])},{ass_time(cue['end'])},{style},,0,0,0,,{text}")
    return "\n".join(
        [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {SIZE[0]}",
            f"PlayResY: {SIZE[1]}",
            "WrapStyle: 2",
            "ScaledBorderAndShadow: yes",
            "",
            "[V4+ Styles]",
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
            "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
            "Alignment, MarginL, MarginR, MarginV, Encoding",
            *styles,
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
            *events,
            "",
        ]
    )


def shots(photos: list[Path], rng: np.random.Generator):
    """Frames of a camera that pans and zooms over one photo, then cuts to the next."""
    total = int(LENGTH_S * FPS)
    made = 0
    order = rng.permutation(len(photos))
    k = 0
    w, h = SIZE
    while made < total:
        image = cv2.imread(str(photos[order[k % len(order)]]))
        k += 1
        image = cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA)
        frames = min(total - made, int(rng.uniform(3.0, 7.0) * FPS))
        z0, z1 = rng.uniform(1.05, 1.3, size=2)
        c0 = rng.uniform(0.4, 0.6, size=2)
        c1 = c0 + rng.uniform(-0.08, 0.08, size=2)
        for i in range(frames):
            a = i / max(1, frames - 1)
            zoom = z0 + (z1 - z0) * a
            cx, cy = (c0 + (c1 - c0) * a) * (w, h)
            shake = rng.normal(0, 0.6, size=2)
            matrix = np.array(
                [[zoom, 0, w / 2 - zoom * cx + shake[0]], [0, zoom, h / 2 - zoom * cy + shake[1]]], dtype=np.float32
            )
            yield cv2.warpAffine(image, matrix, SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        made += frames


def make(film: Film, subs: Path, photos_dir: Path, out: Path) -> None:
    cues = window(parse_js((subs / film.source).read_text(encoding="utf-8")), film.start_s)
    truth = {
        "source": f"dmclough/subtitle-starter-code@{SOURCE_COMMIT}:{film.source}",
        "source_start_s": film.start_s,
        "photos": f"icdar2015-train img_{film.photos.start}..img_{film.photos.stop - 1}",
        "fonts": list(film.fonts),
        "styles": ["outline", "box", "yellow italic"],
        "fps": FPS,
        "width": SIZE[0],
        "height": SIZE[1],
        "duration_s": LENGTH_S,
        "cues": cues,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{film.name}.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    srt = []
    for i, cue in enumerate(cues, 1):
        stamp = [ass_time(cue[k]).replace(".", ",") + "0" for k in ("start", "end")]
        srt.append(f"{i}\n0{stamp[0]} --> 0{stamp[1]}\n" + "\n".join(cue["lines"]) + "\n")
    (out / f"{film.name}.srt").write_text("\n".join(srt), encoding="utf-8")
    photos = [photos_dir / f"img_{n}.jpg" for n in film.photos]
    with tempfile.TemporaryDirectory() as tmp:
        ass = Path(tmp) / "subs.ass"
        ass.write_text(ass_file(cues, film.fonts), encoding="utf-8")
        cmd = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24"]
        cmd += ["-s", f"{SIZE[0]}x{SIZE[1]}", "-r", str(FPS), "-i", "-", "-vf", f"ass={ass}"]
        cmd += [
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            str(out / f"{film.name}.mp4"),
        ]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        assert proc.stdin is not None
        for frame in shots(photos, np.random.default_rng(film.seed)):
            proc.stdin.write(frame.tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise SystemExit(f"ffmpeg failed on {film.name}")
    print(f"{film.name}: {len(cues)} cues, {sum(len(c['lines']) for c in cues)} lines -> {out / film.name}.mp4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subs", type=Path, required=True, help="a checkout of dmclough/subtitle-starter-code")
    parser.add_argument("--photos", type=Path, default=Path("../shared/eval/icdar2015-train/images"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--films", nargs="+", default=[f.name for f in FILMS])
    args = parser.parse_args()
    for film in FILMS:
        if film.name in args.films:
            make(film, args.subs, args.photos, args.out)


if __name__ == "__main__":
    main()
