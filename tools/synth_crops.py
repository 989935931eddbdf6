"""Render synthetic word and line crops in the kinds of print found in video, for training.

Owns the texts (dictionary words, dialogue with apostrophes, digits, timecodes, counters,
words with punctuation inside), the fonts (Debian's font packages), the styles
(subtitles with outlines and shadows, screen and UI text, bold display and logo type,
plain print on photo backgrounds) and the damage (perspective, blur, motion blur, JPEG,
noise, glare, low resolution). Each crop is cut with the engine's own ``crop_box`` from a
rendered scene, so it looks like what the engine will see. Nothing here is saved: crops
are made while training, from a seed.

Whole subtitle lines (``Renderer.line_sample``) are cut as ``engines/line_reads.py`` cuts
them: the detector's box round the line's words (often without a leading dash, a lone "I"
or the closing marks, as CRAFT boxes them), widened by line heights at both ends. Their
text is real films' subtitle lines where ``--subs`` gives them (*Primer* and *Downfall*;
never the report film's *Life Is Beautiful*, nor *Rushmore*), else made up.

Needs Debian's fonts-dejavu fonts-liberation fonts-urw-base35 fonts-freefont-ttf
fonts-roboto fonts-lato fonts-cantarell fonts-inter and wamerican
(``/usr/share/dict/words``). The report film's fonts (Noto Sans, Nimbus Sans, Open Sans)
are never used.

    python tools/synth_crops.py --show 24 --out /tmp/synth.png   # a sheet to look at
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from stream_ocr.engines.english_g2 import CHARACTERS, crop_box  # noqa: E402
from stream_ocr.engines.line_reads import LineReadConfig, line_crop, widened  # noqa: E402

_LINE = LineReadConfig()
LINE_WIDENING = (_LINE.before, _LINE.after, _LINE.vertical)

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
WORDS_FILE = Path("/usr/share/dict/words")
# Symbol, dingbat and non-Latin fonts cannot draw the alphabet.
NOT_LATIN = ("Symbol", "D050000L", "Z003", "Noto Sans Symbols", "NotoSansSymbols", "NotoSansMath", "NotoMusic")
# The report film's fonts (``benchmarks/make_films.py``): never trained on, so that its
# figures are for type the recogniser has not seen.
HELD_OUT_FONTS = ("noto", "nimbussans", "opensans")

CONTRACTIONS = [
    "I'm",
    "I've",
    "I'll",
    "I'd",
    "it's",
    "It's",
    "don't",
    "Don't",
    "can't",
    "won't",
    "isn't",
    "aren't",
    "wasn't",
    "didn't",
    "doesn't",
    "you're",
    "You're",
    "we're",
    "We're",
    "they're",
    "that's",
    "That's",
    "there's",
    "What's",
    "what's",
    "let's",
    "Let's",
    "he's",
    "she's",
    "you've",
    "we've",
    "they've",
    "you'll",
    "we'll",
    "shouldn't",
    "couldn't",
    "wouldn't",
    "haven't",
    "ain't",
    "y'all",
    "o'clock",
    "O'Brien",
    "rock'n'roll",
    "ma'am",
    "Rem's",
    "Tom's",
    "Anna's",
    "world's",
    "today's",
]
INNER_PUNCT = (
    "e-mail",
    "Wi-Fi",
    "T-shirt",
    "co-op",
    "AC/DC",
    "24/7",
    "and/or",
    "R&D",
    "B&B",
    "AT&T",
    "#1",
    "#hashtag",
    "@home",
    "P&G",
    "Q&A",
    "x-ray",
    "U.S.",
    "e.g.",
    "i.e.",
    "Ph.D.",
    "self-made",
    "follow-up",
    "w/o",
    "50/50",
)
SUBTITLE_LEAD = ("", "", "", "- ", "...", '"')
# Subtitle files whose lines may be trained on (paths inside dmclough/subtitle-starter-code).
SUBTITLE_SOURCES = ("subtitles/primer-en.js", "subtitles/downfall.js")
LINE_END_MARKS = set(".,!?;:'\"…")
SUBTITLE_END = ("", ".", ".", ",", "?", "!", "...", "?!", '."')
# Font files that are not the sans faces subtitles are set in.
SERIF_OR_MONO = ("Serif", "Mono", "Roman", "C059", "P052", "Bookman", "Z003")
CURLY = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'}
SAFE = set(CHARACTERS)


def find_fonts() -> list[Path]:
    fonts = []
    for folder in FONT_DIRS:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in (".ttf", ".otf") or any(n in path.name for n in NOT_LATIN):
                continue
            if any(n in path.name.lower().replace("-", "") for n in HELD_OUT_FONTS) or "noto" in str(path).lower():
                continue
            if "wqy" in str(path).lower() or "Math" in path.name:
                continue
            fonts.append(path)
    if len(fonts) < 20:
        raise SystemExit(
            "too few fonts: apt-get install fonts-dejavu fonts-liberation fonts-urw-base35 fonts-freefont-ttf "
            "fonts-roboto fonts-lato fonts-cantarell fonts-inter"
        )
    return fonts


def load_words() -> list[str]:
    if not WORDS_FILE.is_file():
        raise SystemExit(f"{WORDS_FILE} is missing: apt-get install wamerican")
    words = [w.strip() for w in WORDS_FILE.read_text(encoding="utf-8", errors="ignore").split()]
    return [w for w in words if w and all(c in SAFE for c in w)]


@dataclass
class TextMaker:
    """Random texts of the kinds video shows; labels use the recogniser's characters only."""

    words: list[str]
    rng: np.random.Generator
    subtitle_lines: tuple[str, ...] = ()

    def word(self) -> str:
        return self.words[int(self.rng.integers(len(self.words)))]

    def cased(self, text: str) -> str:
        r = self.rng.random()
        return text.upper() if r < 0.3 else text.capitalize() if r < 0.55 else text.lower() if r < 0.75 else text

    def number(self) -> str:
        r, ri = self.rng.random(), self.rng.integers
        if r < 0.15:
            return f"{ri(0, 24):02d}:{ri(0, 60):02d}:{ri(0, 60):02d}"
        if r < 0.3:
            return f"{ri(0, 60)}:{ri(0, 60):02d}" + (f".{ri(0, 10)}" if self.rng.random() < 0.3 else "")
        if r < 0.4:
            return f"{ri(1, 99)}/{ri(1, 99)}"
        if r < 0.5:
            return f"${ri(0, 999)}.{ri(0, 100):02d}"
        if r < 0.6:
            return f"{ri(0, 100)}%"
        if r < 0.7:
            return f"{ri(1990, 2030)}-{ri(1, 13):02d}-{ri(1, 29):02d}"
        if r < 0.8:
            return f"{ri(0, 10)} - {ri(0, 10)}"
        if r < 0.9:
            return "".join(self.rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), int(ri(1, 4)))) + str(ri(1, 999))
        return str(ri(0, 10 ** int(ri(1, 7))))

    def dialogue(self) -> str:
        parts = []
        for _ in range(int(self.rng.choice([1, 1, 2, 3]))):
            r = self.rng.random()
            parts.append(CONTRACTIONS[int(self.rng.integers(len(CONTRACTIONS)))] if r < 0.35 else self.word().lower())
            if self.rng.random() < 0.1:
                parts[-1] += ","
        parts[0] = parts[0][:1].upper() + parts[0][1:]
        text = SUBTITLE_LEAD[int(self.rng.integers(len(SUBTITLE_LEAD)))] + " ".join(parts)
        return text + SUBTITLE_END[int(self.rng.integers(len(SUBTITLE_END)))]

    def subtitle_line(self) -> str:
        """One line as a subtitle shows it: a real film's, or made up with the glyphs that
        are lost most (a lone "I", "a" or "A", a dialogue dash, closing marks)."""
        rng = self.rng
        if self.subtitle_lines and rng.random() < 0.6:
            return self.subtitle_lines[int(rng.integers(len(self.subtitle_lines)))]
        words = []
        for _ in range(int(rng.integers(2, 8))):
            r = rng.random()
            if r < 0.1:
                words.append("I")
            elif r < 0.15:
                words.append("a")
            elif r < 0.35:
                words.append(CONTRACTIONS[int(rng.integers(len(CONTRACTIONS)))])
            elif r < 0.42:
                words.append(self.word().capitalize())
            else:
                words.append(self.word().lower())
            if rng.random() < 0.08:
                words[-1] += ","
        if rng.random() < 0.2:
            words.insert(0, "I" if rng.random() < 0.7 else "A")
        words[0] = words[0][:1].upper() + words[0][1:]
        text = " ".join(words) + SUBTITLE_END[int(rng.integers(len(SUBTITLE_END)))]
        r = rng.random()
        if r < 0.25:
            text = "- " + text
        elif r < 0.3:
            text = "-" + text
        elif r < 0.35:
            text = "..." + text
        return text

    def text(self, style: str) -> str:
        r = self.rng.random()
        if style == "subtitle":
            return self.dialogue()
        if style == "display":
            if r < 0.2:
                return self.number()
            n = 1 if r < 0.7 else 2
            text = " ".join(self.word() for _ in range(n))
            return text.upper() if self.rng.random() < 0.7 else text
        if r < 0.2:
            return self.number()
        if r < 0.32:
            return INNER_PUNCT[int(self.rng.integers(len(INNER_PUNCT)))]
        if r < 0.45:
            return CONTRACTIONS[int(self.rng.integers(len(CONTRACTIONS)))]
        n = 1 if r < 0.8 else int(self.rng.integers(2, 4))
        return " ".join(self.cased(self.word()) for _ in range(n))


def label_of(text: str) -> str:
    return "".join(CURLY.get(c, c) for c in text)


def curl(text: str, rng: np.random.Generator) -> str:
    """Typeset apostrophes and quotes as curly ones, as subtitles and print often have them."""
    if rng.random() < 0.4:
        text = text.replace("'", "\u2019")
        text = "".join(("\u201c" if i % 2 == 0 else "\u201d") if c == '"' else c for i, c in enumerate(text))
    return text


class Renderer:
    """Scenes with one text each; ``crop`` gives the engine's 64-px grey crop and its label."""

    STYLES = ("subtitle", "screen", "display", "scene")
    WEIGHTS = (0.3, 0.25, 0.25, 0.2)

    def __init__(
        self, seed: int, backgrounds: list[np.ndarray] | None = None, subtitle_lines: tuple[str, ...] = ()
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.fonts = find_fonts()
        self.bold = [f for f in self.fonts if any(k in f.name for k in ("Bold", "Black", "Demi", "Heavy"))]
        self.sans = [f for f in self.fonts if not any(k in f.name for k in SERIF_OR_MONO)]
        self.texts = TextMaker(load_words(), self.rng, subtitle_lines)
        self.backgrounds = backgrounds or []
        self._font_cache: dict[tuple[Path, int], ImageFont.FreeTypeFont] = {}

    def font(self, path: Path, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        if key not in self._font_cache:
            if len(self._font_cache) > 2000:
                self._font_cache.clear()
            self._font_cache[key] = ImageFont.truetype(str(path), size)
        return self._font_cache[key]

    def colour(self, dark: bool) -> tuple[int, int, int]:
        lo, hi = (0, 90) if dark else (160, 256)
        return tuple(int(v) for v in self.rng.integers(lo, hi, 3))

    def background(self, w: int, h: int, style: str) -> Image.Image:
        rng = self.rng
        if style != "screen" and self.backgrounds and rng.random() < 0.7:
            photo = self.backgrounds[int(rng.integers(len(self.backgrounds)))]
            ph, pw = photo.shape[:2]
            s = max(w / pw, h / ph) * rng.uniform(1.0, 2.5)
            photo = cv2.resize(photo, (max(w, int(pw * s) + 1), max(h, int(ph * s) + 1)))
            y, x = int(rng.integers(0, photo.shape[0] - h + 1)), int(rng.integers(0, photo.shape[1] - w + 1))
            return Image.fromarray(cv2.cvtColor(photo[y : y + h, x : x + w], cv2.COLOR_BGR2RGB))
        base = np.empty((h, w, 3), np.float32)
        c0, c1 = np.array(self.colour(rng.random() < 0.5)), np.array(self.colour(rng.random() < 0.5))
        t = np.linspace(0, 1, w if rng.random() < 0.5 else h)[None, :, None]
        grad = c0 + (c1 - c0) * t * rng.uniform(0, 1)
        base[:] = grad if grad.shape[1] == w else grad.transpose(1, 0, 2)[:, :1]
        return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))

    def render(self, style: str) -> tuple[np.ndarray, np.ndarray, str]:
        """One scene: BGR image, the text's 4-point box in it, and the label."""
        rng = self.rng
        text = self.texts.text(style)
        shown = curl(text, rng)
        fonts = self.bold if style == "display" and self.bold and rng.random() < 0.8 else self.fonts
        font = self.font(fonts[int(rng.integers(len(fonts)))], int(rng.integers(24, 72)))
        spacing = int(rng.integers(0, font.size // 4)) if style == "display" and rng.random() < 0.3 else 0
        stroke = 0
        if style == "subtitle" or (style == "display" and rng.random() < 0.3):
            stroke = int(rng.integers(1, max(2, font.size // 12) + 1))
        # Measure each character, so that letter spacing is drawn exactly.
        advances = [font.getlength(c) + spacing for c in shown]
        width = int(sum(advances) - spacing) + 2 * stroke
        ascent, descent = font.getmetrics()
        height = ascent + descent + 2 * stroke
        pad = int(height * rng.uniform(0.4, 1.2))
        w, h = width + 2 * pad, height + 2 * pad
        img = self.background(w, h, style)
        draw = ImageDraw.Draw(img)
        if style == "subtitle":
            fill = (255, 255, 255) if rng.random() < 0.7 else (255, 235, 60)
            outline = (0, 0, 0)
            if rng.random() < 0.3:  # a box behind the line, as many players draw
                draw.rectangle(
                    [pad // 2, pad // 2, w - pad // 2, h - pad // 2], fill=tuple(int(v) for v in rng.integers(0, 40, 3))
                )
        else:
            bg_mean = np.asarray(img).mean()
            fill = self.colour(dark=bg_mean > 128)
            outline = self.colour(dark=bg_mean <= 128)
        if rng.random() < 0.4 and style in ("subtitle", "display"):  # drop shadow
            off = max(1, font.size // 15)
            x = pad
            for c, adv in zip(shown, advances):
                draw.text((x + off, pad + off), c, font=font, fill=(0, 0, 0))
                x += adv
        x = pad + stroke
        for c, adv in zip(shown, advances):
            draw.text((x, pad + stroke), c, font=font, fill=fill, stroke_width=stroke, stroke_fill=outline)
            x += adv
        if style == "screen" and rng.random() < 0.5:  # small text on a screen, shown larger
            f = rng.uniform(0.3, 0.6)
            small = img.resize((max(1, int(w * f)), max(1, int(h * f))), Image.BILINEAR)
            img = small.resize((w, h), Image.NEAREST if rng.random() < 0.5 else Image.BILINEAR)
        # CRAFT's boxes hug the ink.
        _, ink_top, _, ink_bottom = font.getbbox(shown, stroke_width=stroke)
        top, bottom = pad + stroke + ink_top - stroke, pad + stroke + ink_bottom
        box = np.array([[pad, top], [w - pad, top], [w - pad, bottom], [pad, bottom]], np.float32)
        bgr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
        return bgr, box, label_of(text)

    def damage(self, image: np.ndarray, box: np.ndarray, jitter: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        h, w = image.shape[:2]
        if rng.random() < 0.6:  # perspective and rotation
            jitter = min(h, w) * jitter
            src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
            dst = src + rng.uniform(-jitter, jitter, (4, 2)).astype(np.float32)
            m = cv2.getPerspectiveTransform(src, dst)
            image = cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
            box = cv2.perspectiveTransform(box[None], m)[0]
        img = image.astype(np.float32)
        if rng.random() < 0.25:  # glare: a bright soft spot
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            sy, sx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.1, 0.5) * w
            yy, xx = np.mgrid[0:h, 0:w]
            spot = np.exp(-(((yy - cy) / sy) ** 2 + ((xx - cx) / sx) ** 2))
            img += spot[..., None] * rng.uniform(80, 220)
        if rng.random() < 0.3:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 2.0))
        if rng.random() < 0.15:  # motion blur along a random direction
            k = int(rng.integers(3, 9))
            kernel = np.zeros((k, k), np.float32)
            kernel[k // 2] = 1.0 / k
            rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
            kernel = cv2.warpAffine(kernel, rot, (k, k))
            img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
        if rng.random() < 0.3:
            img += rng.normal(0, rng.uniform(2, 12), img.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)
        if rng.random() < 0.4:  # seen small: scaled down, then read at that size
            f = rng.uniform(0.25, 0.7)
            img = cv2.resize(img, (max(8, int(w * f)), max(8, int(h * f))), interpolation=cv2.INTER_AREA)
            box = box * np.float32([img.shape[1] / w, img.shape[0] / h])
        if rng.random() < 0.5:
            ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 80))])
            img = cv2.imdecode(data, cv2.IMREAD_COLOR)
        return img, box

    def line_sample(self) -> tuple[np.ndarray, str]:
        """One subtitle line cut as ``line_reads`` cuts it, 64 px high, and its label."""
        rng = self.rng
        text = self.texts.subtitle_line()
        shown = curl(text, rng)
        fonts = self.sans if rng.random() < 0.85 else self.fonts
        font = self.font(fonts[int(rng.integers(len(fonts)))], int(rng.integers(22, 64)))
        stroke = int(rng.integers(1, max(2, font.size // 10) + 1)) if rng.random() < 0.8 else 0
        advances = [font.getlength(c) for c in shown]
        ascent, descent = font.getmetrics()
        height = ascent + descent + 2 * stroke
        pad_x, pad_y = int(height * rng.uniform(1.8, 3.0)), int(height * rng.uniform(0.5, 1.0))
        w, h = int(sum(advances)) + 2 * stroke + 2 * pad_x, height + 2 * pad_y
        img = self.background(w, h, "subtitle")
        draw = ImageDraw.Draw(img)
        fill = (255, 255, 255) if rng.random() < 0.7 else (255, 235, 60)
        if stroke == 0 or rng.random() < 0.2:  # a box behind the line, as many players draw
            grey = tuple(int(v) for v in rng.integers(0, 50, 3))
            draw.rectangle(
                [pad_x - height // 4, pad_y - height // 6, w - pad_x + height // 4, h - pad_y + height // 6], fill=grey
            )
        if rng.random() < 0.3:  # drop shadow
            draw.text(
                (pad_x + max(1, font.size // 15), pad_y + max(1, font.size // 15)), shown, font=font, fill=(0, 0, 0)
            )
        starts = np.concatenate([[0.0], np.cumsum(advances)]) + pad_x + stroke
        draw.text(
            (pad_x + stroke, pad_y + stroke), shown, font=font, fill=fill, stroke_width=stroke, stroke_fill=(0, 0, 0)
        )
        # The detector's box: often without a leading dash or lone "I", or the closing marks.
        i0, i1 = 0, len(shown)
        lead = re.match(r"(-\s?|\.\.\.)?(I\s|A\s)?", shown)
        if lead and lead.group(1) and rng.random() < 0.7:
            i0 = lead.end(1)
        if lead and lead.group(2) and rng.random() < 0.5:
            i0 = lead.end(2)
        while i1 > i0 + 1 and shown[i1 - 1] in LINE_END_MARKS and rng.random() < 0.8:
            i1 -= 1
        _, ink_top, _, ink_bottom = font.getbbox(shown, stroke_width=stroke)
        top, bottom = pad_y + stroke + ink_top - stroke, pad_y + stroke + ink_bottom
        x0, x1 = float(starts[i0]), float(starts[i1])
        box = np.array([[x0, top], [x1, top], [x1, bottom], [x0, bottom]], np.float32)
        bgr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
        if rng.random() < 0.25:  # italic, as libass slants a face that has none
            shear = rng.uniform(0.15, 0.25)
            m = np.float32([[1, -shear, shear * h], [0, 1, 0]])
            bgr = cv2.warpAffine(bgr, m, (w, h), borderMode=cv2.BORDER_REFLECT)
            box = (box @ m[:, :2].T + m[:, 2]).astype(np.float32)
        bgr, box = self.damage(bgr, box, jitter=0.02)
        hgt = float(np.linalg.norm(box[3] - box[0]))
        box = box + rng.uniform(-0.08, 0.08, box.shape).astype(np.float32) * hgt
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        return line_crop(gray, widened(box, *LINE_WIDENING)), label_of(text)

    def sample(self, margin: float) -> tuple[np.ndarray, str]:
        """One grey crop, 64 px high, and its label."""
        style = self.STYLES[int(self.rng.choice(len(self.STYLES), p=self.WEIGHTS))]
        image, box, label = self.render(style)
        image, box = self.damage(image, box)
        # The detector's boxes are never exact: move each corner a little.
        hgt = float(np.linalg.norm(box[3] - box[0]))
        box = box + self.rng.uniform(-0.08, 0.08, box.shape).astype(np.float32) * hgt
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return crop_box(gray, box.astype(np.float32), margin), label


def read_subtitle_lines(subs: Path | None) -> tuple[str, ...]:
    """The lines of ``SUBTITLE_SOURCES`` in a checkout of dmclough/subtitle-starter-code, in
    the recogniser's characters (curly quotes made straight); none without ``subs``."""
    if subs is None:
        return ()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_films import parse_js

    out = []
    for source in SUBTITLE_SOURCES:
        for _, _, lines in parse_js((subs / source).read_text(encoding="utf-8")):
            for line in lines:
                line = label_of(line)
                if line.strip() and all(c in SAFE for c in line):
                    out.append(line)
    return tuple(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/synth.png"))
    parser.add_argument("--lines", action="store_true", help="whole subtitle lines, as line reads cut them")
    parser.add_argument("--subs", type=Path, help="a checkout of dmclough/subtitle-starter-code")
    args = parser.parse_args()
    renderer = Renderer(args.seed, subtitle_lines=read_subtitle_lines(args.subs))
    rows = []
    for _ in range(args.show):
        crop, label = renderer.line_sample() if args.lines else renderer.sample(0.05)
        tile = np.full((84, 1024), 255, np.uint8)
        tile[:64, : min(1024, crop.shape[1])] = crop[:, :1024]
        cv2.putText(tile, label, (4, 80), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1)
        rows.append(tile)
    cv2.imwrite(str(args.out), np.vstack(rows))
    print(f"{args.show} crops in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
