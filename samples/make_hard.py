"""Make the hard-print samples: a product box, an editor's timeline, a small Chinese label.

Run from the repository root: ``python samples/make_hard.py [product timeline label]``
(needs scikit-image, and Debian's fonts-noto-core, fonts-urw-base35, fonts-open-sans and
fonts-noto-cjk). Seeded; writes beside itself, each video with its ground truth (``lines``
with ``start`` and ``end``; the label's lines have ``lang``).

What they hold is the print that real footage holds and the easier samples do not, at
1280x720 as screen recordings and phone video come:

* ``product``: a product box turned to the camera: a logo in bold condensed type with a
  glossy fill, a name in outlined (hollow) letters, a tag line with ``&`` over a busy
  striped print, and a price sticker 13 px high; a specular highlight sweeps across.
* ``timeline``: an editor's window: the ruler's timecodes (``00;00;05;00``), track names
  and clip names 10-11 px high, a playhead timecode that steps every second, and a
  tooltip ``-00;00;00;01``.
* ``label``: a shelf label in Chinese, lines 12-16 px high (``第一部分``, a price with
  ``：`` and ``¥``), and an English line 12 px high.

The type is Noto, Nimbus Sans and Open Sans only: the faces the recogniser's synthetic
training text is never drawn in (``tools/synth_crops.py``), so these samples show how it
carries over to type it has not seen.
"""

from __future__ import annotations

import sys

import cv2
import numpy as np
from make_footage import HERE, font
from make_samples import _camera, camera_look, paste_warped
from PIL import Image, ImageDraw

SIZE = (1280, 720)
RNG = np.random.default_rng(3411)
NARROW_BOLD = "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf"
DISPLAY_BOLD = "/usr/share/fonts/truetype/noto/NotoSansDisplay-Bold.ttf"
OPEN_BOLD = "/usr/share/fonts/truetype/open-sans/OpenSans-Bold.ttf"
OPEN = "/usr/share/fonts/truetype/open-sans/OpenSans-Regular.ttf"
NOTO = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
NOTO_BOLD = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"
NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC = 2  # Simplified Chinese in Noto's collection


def write(name: str, frames: list[np.ndarray], fps: int, lines: list[dict], source: str) -> None:
    path = HERE / f"{name}.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE)
    for frame in frames:
        writer.write(frame)
    writer.release()
    import json

    truth = {"fps": fps, "width": SIZE[0], "height": SIZE[1], "duration_s": len(frames) / fps}
    truth.update(source=source, lines=lines)
    (HERE / f"{name}.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- product: logo type, hollow letters, "&" over a busy print, a small price, glare -----
PRODUCT = ["NORTHWIND", "TRAIL RUNNER", "FAST & LIGHT", "$24.99"]


def product_card() -> np.ndarray:
    """The box's face, 600 x 800, RGBA."""
    w, h = 600, 800
    page = Image.new("RGBA", (w, h), (22, 48, 92, 255))
    draw = ImageDraw.Draw(page)
    for x in range(-h, w, 26):  # a busy diagonal print
        draw.line([(x, h), (x + h, 0)], fill=(38, 78, 140, 255), width=9)
    draw.rectangle((0, 250, w, 420), fill=(230, 120, 30, 255))
    # The logo: bold condensed, a glossy vertical gradient (light top, dark bottom).
    size = 118
    while draw.textlength(PRODUCT[0], font=font(NARROW_BOLD, size)) > w - 70:
        size -= 2
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).text((35, 70), PRODUCT[0], font=font(NARROW_BOLD, size), fill=255)
    gloss = np.zeros((h, w, 4), dtype=np.uint8)
    ramp = np.linspace(255, 150, 140)[:, None]
    gloss[70:210, :, :3] = np.repeat(np.clip(ramp, 0, 255), w, axis=1)[..., None]
    gloss[..., 3] = np.asarray(mask)
    page.alpha_composite(Image.fromarray(gloss))
    # The name: hollow letters (an outline only) on the orange band.
    draw.text(
        (46, 285),
        PRODUCT[1],
        font=font(DISPLAY_BOLD, 74),
        fill=(230, 120, 30, 255),
        stroke_width=3,
        stroke_fill=(255, 255, 255, 255),
    )
    # The tag line over the stripes.
    draw.text((60, 470), PRODUCT[2], font=font(OPEN_BOLD, 54), fill=(250, 250, 240, 255))
    # The price sticker.
    draw.rounded_rectangle((430, 690, 560, 740), radius=8, fill=(250, 250, 245, 255))
    draw.text((445, 700), PRODUCT[3], font=font(OPEN_BOLD, 26), fill=(200, 20, 30, 255))
    return np.asarray(page).copy()


def make_product(fps: int = 10, seconds: float = 6.0) -> None:
    import skimage.data

    scene = cv2.resize(skimage.data.coffee(), (1600, 1000), interpolation=cv2.INTER_CUBIC)
    scene = (scene * 0.7).astype(np.uint8)
    card = product_card()
    corners = np.array([[520, 150], [950, 190], [930, 790], [500, 770]], dtype=np.float32)
    frames = []
    n = int(seconds * fps)
    for i in range(n):
        t = i / n
        canvas = paste_warped(scene, card, corners, cv2.INTER_LINEAR)
        # A specular highlight sweeping across the box, left to right.
        glare = np.zeros(canvas.shape[:2], dtype=np.float32)
        cx, cy = int(480 + 520 * t), int(260 + 220 * np.sin(np.pi * t))
        cv2.ellipse(glare, (cx, cy), (70, 150), 25, 0, 360, 1.0, -1)
        glare = cv2.GaussianBlur(glare, (0, 0), 28)[..., None] * 0.85
        canvas = (canvas * (1 - glare) + 255 * glare).astype(np.uint8)
        image = _camera(canvas, SIZE, 735 + 40 * np.sin(2 * np.pi * t), 470, 0.95 + 0.05 * t, blur_px=1)
        frames.append(cv2.cvtColor(camera_look(image, blur=0.6, noise=3, rng=RNG), cv2.COLOR_RGB2BGR))
    lines = [{"text": text, "start": 0.0, "end": seconds} for text in PRODUCT]
    write("product", frames, fps, lines, "skimage.data.coffee (CC0), dimmed, with a rendered product box")


# -- timeline: an editor's small print, and a timecode that steps ------------------------
TRACKS = ["V2", "V1", "A1", "A2"]
CLIPS = [("interview_take3.mov", 1, 140, 520), ("broll_city.mp4", 0, 380, 760), ("music_bed.wav", 3, 140, 980)]
RULER = ["00;00;00;00", "00;00;05;00", "00;00;10;00", "00;00;15;00"]
TOOLTIP = "-00;00;00;01"


def timecode(frames: int, rate: int = 30) -> str:
    """A timecode as editors print it (hours;minutes;seconds;frames), from 01;00;00;00."""
    s, f = divmod(frames, rate)
    m, s = divmod(s, 60)
    return f"01;{m:02d};{s:02d};{f:02d}"


def make_timeline(fps: int = 10, seconds: int = 8) -> None:
    import skimage.data

    viewer = cv2.resize(skimage.data.astronaut(), (560, 315), interpolation=cv2.INTER_AREA)
    small = font(NOTO, 13)
    mono = font(NOTO, 13)
    big = font(NOTO_BOLD, 19)
    frames, lines = [], []
    steps = [(k, 1 + 37 * k + 11 * (k % 3)) for k in range(seconds)]  # (second, playhead frame)
    for i in range(seconds * fps):
        k, at = steps[i // fps]
        page = Image.new("RGB", SIZE, (30, 30, 34))
        draw = ImageDraw.Draw(page)
        page.paste(Image.fromarray(viewer), (360, 40))
        draw.rectangle((0, 400, SIZE[0], SIZE[1]), fill=(38, 38, 44))
        # The ruler: a timecode every 5 s, with ticks.
        for j, code in enumerate(RULER):
            x = 140 + 280 * j
            draw.line([(x, 412), (x, 428)], fill=(150, 150, 150))
            draw.text((x + 4, 410), code, font=mono, fill=(175, 175, 180))
        # Tracks and their clips.
        for j, name in enumerate(TRACKS):
            y = 450 + 60 * j
            draw.rectangle((0, y, 110, y + 50), fill=(48, 48, 56))
            draw.text((40, y + 16), name, font=small, fill=(200, 200, 205))
        for name, track, x0, x1 in CLIPS:
            y = 450 + 60 * track
            colour = (70, 110, 170) if track < 2 else (60, 140, 90)
            draw.rectangle((x0, y + 4, x1, y + 46), fill=colour)
            draw.text((x0 + 8, y + 8), name, font=small, fill=(235, 235, 240))
        # The playhead and its timecode, which steps every second.
        x = 140 + at * 280 / 150
        draw.line([(x, 405), (x, SIZE[1])], fill=(220, 60, 60), width=2)
        code = timecode(at)
        draw.text((40, 360), code, font=big, fill=(120, 170, 255))
        # A tooltip while a clip is dragged (seconds 3 to 5).
        if 3 <= k < 6:
            draw.rectangle((600, 600, 700, 622), fill=(240, 240, 210))
            draw.text((606, 603), TOOLTIP, font=mono, fill=(20, 20, 20))
        image = np.asarray(page)
        frames.append(cv2.cvtColor(camera_look(image, blur=0.0, noise=1.5, rng=RNG), cv2.COLOR_RGB2BGR))
        if i % fps == 0:
            lines.append({"text": code, "start": float(k), "end": float(k + 1)})
    end = float(seconds)
    lines += [{"text": code, "start": 0.0, "end": end} for code in RULER]
    lines += [{"text": name, "start": 0.0, "end": end} for name in TRACKS]
    lines += [{"text": name, "start": 0.0, "end": end} for name, *_ in CLIPS]
    lines.append({"text": TOOLTIP, "start": 3.0, "end": 6.0})
    write(
        "timeline", frames, fps, lines, "a rendered editor window; skimage.data.astronaut (public domain) in its viewer"
    )


# -- label: small Chinese ------------------------------------------------------------------
LABEL = [
    ("第一部分", 16, "zh"),
    ("特价", 16, "zh"),
    ("价格：¥35", 14, "zh"),
    ("净含量：500克", 12, "zh"),
    ("Best before 2027", 12, "en"),
]


def make_label(fps: int = 10, seconds: float = 5.0) -> None:
    import skimage.data

    scene = cv2.resize(skimage.data.coffee(), (1600, 1000), interpolation=cv2.INTER_CUBIC)
    card = Image.new("RGBA", (230, 150), (250, 246, 225, 255))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 230, 26), fill=(200, 30, 40, 255))
    y = 5
    for text, size, lang in LABEL:
        face = font(NOTO_CJK, size, SC) if lang == "zh" else font(NOTO, size)
        fill = (255, 255, 255, 255) if y < 20 else (30, 30, 30, 255)
        draw.text((10, y), text, font=face, fill=fill)
        y += size + 14
    corners = np.array([[700, 420], [932, 430], [928, 582], [698, 570]], dtype=np.float32)
    canvas = paste_warped(scene, np.asarray(card).copy(), corners, cv2.INTER_LINEAR)
    frames = []
    n = int(seconds * fps)
    for i in range(n):
        t = i / n
        image = _camera(canvas, SIZE, 800 + 30 * t, 500 - 10 * t, 1.0, blur_px=0)
        frames.append(cv2.cvtColor(camera_look(image, blur=0.5, noise=2, rng=RNG), cv2.COLOR_RGB2BGR))
    lines = [{"text": text, "lang": lang, "start": 0.0, "end": seconds} for text, _, lang in LABEL]
    write("label", frames, fps, lines, "skimage.data.coffee (CC0) with a rendered shelf label")


MAKERS = {"product": make_product, "timeline": make_timeline, "label": make_label}

if __name__ == "__main__":
    for name in sys.argv[1:] or MAKERS:
        MAKERS[name]()
