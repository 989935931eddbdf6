"""Make the footage samples: text that changes in place, subtitles, a scoreboard, glare, a screen.

Run from the repository root: ``python samples/make_footage.py`` (needs scikit-image for the
photos and Debian's ``fonts-wqy-microhei`` for the Chinese subtitle lines). It is seeded and
writes beside itself. Each video has its ground truth beside it as JSON: every line of text,
with the time it appears (``start``) and goes (``end``), in seconds.

These samples are meant to be hard in the ways real footage is: text that changes where old
text stood, a page counter whose one digit changes, short subtitle lines, a line repeated
after a gap, a second script the recognizer cannot read, glare that washes out different
letters on different frames, motion blur, compression.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from make_samples import _camera, camera_look
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
RNG = np.random.default_rng(2611)
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SANS_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
CJK = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
SIZE = (640, 360)


def font(path: str, size: int, index: int = 0) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def write_video(name: str, frames, fps: int, truth: dict) -> None:
    """Encode ``frames`` (BGR) as MP4 and write the ground truth beside it."""
    path = HERE / f"{name}.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE)
    count = 0
    for frame in frames:
        writer.write(frame)
        count += 1
    writer.release()
    truth = {"fps": fps, "width": SIZE[0], "height": SIZE[1], "duration_s": count / fps, **truth}
    (HERE / f"{name}.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def draw_outlined(draw: ImageDraw.ImageDraw, xy, text: str, face, fill=(255, 255, 255), outline=(0, 0, 0), width=2):
    draw.text(xy, text, font=face, fill=fill, stroke_width=width, stroke_fill=outline)


# -- slides: letters and a page counter that change in place ---------------------------
SLIDES = [
    ("Chapter A", "Plans for the spring", "1/5"),
    ("Chapter B", "Budget and hiring", "2/5"),
    ("Chapter C", "Budget and hiring", "3/5"),
    ("Chapter D", "Open questions", "4/5"),
    ("Chapter E", "Thank you", "5/5"),
]
SLIDE_S = 4.0


def make_slides(fps: int = 10) -> None:
    """A deck of five slides, 4 s each. Only the letter and the counter change on slide 3."""
    title, body, small = font(SANS_BOLD, 46), font(SANS, 30), font(SANS, 20)
    frames, lines = [], []
    for i, (head, text, counter) in enumerate(SLIDES):
        page = Image.new("RGB", SIZE, (248, 248, 244))
        draw = ImageDraw.Draw(page)
        draw.rectangle([0, 0, SIZE[0], 12], fill=(30, 70, 140))
        draw.text((60, 70), head, font=title, fill=(20, 30, 60))
        draw.text((60, 170), text, font=body, fill=(40, 40, 40))
        draw.text((560, 320), counter, font=small, fill=(90, 90, 90))
        image = camera_look(np.array(page), blur=0.5, noise=1.5)
        frame = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        frames += [frame] * int(SLIDE_S * fps)
        for text_line in (head, text, counter):
            lines.append({"text": text_line, "start": i * SLIDE_S, "end": (i + 1) * SLIDE_S})
    # One body line stays on two slides: one line of text, one span.
    merged = []
    for line in lines:
        same = [m for m in merged if m["text"] == line["text"] and m["end"] == line["start"]]
        if same:
            same[0]["end"] = line["end"]
        else:
            merged.append(dict(line))
    truth = {
        "source": "rendered slides (DejaVu fonts), with camera noise",
        "lines": merged,
    }
    write_video("slides", frames, fps, truth)


# -- subtitles: burned-in lines over a moving camera -------------------------------------
CUES = [
    (0.5, 2.5, ["I'm going grocery shopping."]),
    (3.0, 5.5, ["You want some milk?"]),
    (6.0, 6.9, ["Yes?"]),
    (7.5, 10.5, ["We should leave before", "the rain starts again."]),
    (11.0, 13.0, ["Where are my keys?"]),
    (13.6, 15.0, ["On the table."]),
    (16.5, 18.5, ["Where are my keys?"]),
    (19.0, 21.5, ["Call me when you", "get to the station."]),
    (22.0, 23.0, ["OK."]),
]
# Bilingual cues: a Chinese line above the English, which the recognizer cannot read.
CHINESE = {1: "你要牛奶吗？", 4: "我的钥匙在哪里？", 7: "到车站后给我打电话。"}


def make_subtitles(fps: int = 15) -> None:
    """24 s over a slowly moving camera on a photo, subtitles white with a black outline."""
    import skimage.data

    canvas = cv2.resize(skimage.data.astronaut(), (1100, 1100), interpolation=cv2.INTER_CUBIC)
    face, cjk = font(SANS, 24), font(CJK, 32)
    frames = []
    for i in range(24 * fps):
        t = i / fps
        p = t / 24
        image = _camera(canvas, SIZE, 420 + 260 * p, 500 - 120 * np.sin(p * np.pi), 0.85 + 0.2 * p, blur_px=1)
        image = camera_look(image, blur=0.4, noise=2)
        cue = next((k for k, c in enumerate(CUES) if c[0] <= t < c[1]), None)
        if cue is not None:
            page = Image.fromarray(image)
            draw = ImageDraw.Draw(page)
            rows = ([(CHINESE[cue], cjk)] if cue in CHINESE else []) + [(line, face) for line in CUES[cue][2]]
            y = SIZE[1] - 22 - 34 * len(rows)
            for text, f in rows:
                width = draw.textlength(text, font=f)
                draw_outlined(draw, ((SIZE[0] - width) / 2, y), text, f)
                y += 34
            image = np.array(page)
        frames.append(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    truth = {
        "source": "skimage.data.astronaut (public domain, NASA) under a moving virtual camera; "
        "subtitles rendered with DejaVu Sans and WenQuanYi Micro Hei",
        "cues": [{"start": s, "end": e, "lines": lines} for s, e, lines in CUES],
        "foreign": [{"text": text, "start": CUES[k][0], "end": CUES[k][1]} for k, text in CHINESE.items()],
    }
    write_video("subtitles", frames, fps, truth)


# -- scoreboard: digits that change in place --------------------------------------------
SCORES = [(0.0, "HOME 0 - 0 AWAY"), (4.0, "HOME 1 - 0 AWAY"), (8.0, "HOME 1 - 1 AWAY"), (12.0, "HOME 2 - 1 AWAY")]
LAPS = [(0.0, "LAP 7/10"), (5.0, "LAP 8/10"), (10.0, "LAP 9/10")]


def make_scoreboard(fps: int = 10) -> None:
    """16 s: a TV-style score box over a moving photo; the score and a lap counter change."""
    import skimage.data

    canvas = cv2.resize(skimage.data.rocket(), (1000, 670), interpolation=cv2.INTER_CUBIC)
    face, small = font(SANS_BOLD, 26), font(SANS_BOLD, 20)
    frames = []
    duration = 16.0
    for i in range(int(duration * fps)):
        t = i / fps
        image = _camera(canvas, SIZE, 480 + 60 * np.sin(t / 3), 330 + 20 * np.cos(t / 2), 0.8, blur_px=0)
        image = camera_look(image, blur=0.4, noise=2)
        page = Image.fromarray(image)
        draw = ImageDraw.Draw(page)
        draw.rectangle([20, 18, 270, 60], fill=(15, 20, 60))
        draw.text((32, 24), [s for start, s in SCORES if start <= t][-1], font=face, fill=(255, 255, 255))
        draw.rectangle([500, 18, 620, 52], fill=(160, 20, 20))
        draw.text((510, 23), [s for start, s in LAPS if start <= t][-1], font=small, fill=(255, 255, 255))
        frames.append(cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR))

    def spans(changes):
        return [
            {"text": text, "start": start, "end": changes[k + 1][0] if k + 1 < len(changes) else duration}
            for k, (start, text) in enumerate(changes)
        ]

    truth = {
        "source": "skimage.data.rocket (public domain, NASA) under a moving virtual camera; a rendered score box",
        "lines": spans(SCORES) + spans(LAPS),
    }
    write_video("scoreboard", frames, fps, truth)


# -- glare: a panning camera over a sign, a highlight sweeping across it ---------------
def make_glare(fps: int = 10, spots: int = 2) -> None:
    """12 s: a sign on a photo, the camera panning; glare spots always on some letters of the sign.

    ``spots`` highlights sit on different letters of each line at each moment, so every
    frame loses two letters or more, and no two frames lose the same ones: only reading
    across frames gives the whole text. (With one spot a line, the default recognizer read
    many frames whole, and fusion had nothing to show.) Its own random generator, so that
    it can be made again alone: ``python samples/make_footage.py glare``.
    """
    import skimage.data

    canvas = cv2.resize(skimage.data.coffee(), (1300, 870), interpolation=cv2.INTER_CUBIC)
    card = Image.new("RGB", (560, 150), (236, 230, 214))
    draw = ImageDraw.Draw(card)
    draw.text((28, 18), "WATCH YOUR STEP", font=font(SANS_BOLD, 44), fill=(30, 30, 30))
    draw.text((28, 84), "community garden", font=font(SANS, 40), fill=(30, 30, 30))
    x0, y0 = 380, 300
    canvas[y0 : y0 + 150, x0 : x0 + 560] = np.array(card)
    frames = []
    duration = 12.0
    zoom = 0.9
    rng = np.random.default_rng(2612)
    order = rng.permutation(14)  # the letter slots the highlights visit, in a scrambled order
    for i in range(int(duration * fps)):
        t = i / fps
        p = t / duration
        cx, cy = 560 + 200 * p, 390 + 30 * np.sin(p * 2 * np.pi)
        image = _camera(canvas, SIZE, cx, cy, zoom, blur_px=1 + 2 * abs(np.sin(t * 1.3)))
        glare = np.zeros(SIZE[::-1], np.float32)
        slot = order[int(t * 2) % len(order)]  # a new place every half second
        for line_y, offset in ((40, 0), (106, 5)):
            for spot in range(spots):
                sx = x0 + 40 + 34 * ((slot + offset + spot * 7) % 14)  # on the canvas, along the line
                gx = (sx - cx) * zoom + SIZE[0] / 2
                gy = (y0 + line_y - cy) * zoom + SIZE[1] / 2
                cv2.ellipse(glare, (int(gx), int(gy)), (16, 24), 10, 0, 360, 1.0, -1)
        glare = cv2.GaussianBlur(glare, (0, 0), 5)[..., None]
        image = image.astype(np.float32) * (1 - 0.95 * glare) + 255 * 0.95 * glare
        image = camera_look(np.clip(image, 0, 255).astype(np.uint8), blur=0.5, noise=3, rng=rng)
        frames.append(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    truth = {
        "source": "skimage.data.coffee (CC0) with a rendered sign, a panning camera and moving highlights",
        "lines": [
            {"text": "WATCH YOUR STEP", "start": 0.0, "end": duration},
            {"text": "community garden", "start": 0.0, "end": duration},
        ],
    }
    write_video("glare", frames, fps, truth)


# -- screen: a text-heavy screen recording ----------------------------------------------
PAGES = [
    [
        "Release notes for version 2.4",
        "Faster start on small machines",
        "Subtitles export one cue per line",
        "Fixed a crash on empty frames",
    ],
    [
        "Known issues",
        "Very small text may be missed",
        "Glare can hide single letters",
        "Restart the server after updates",
    ],
]
LINE_S = 1.5


def make_screen(fps: int = 10) -> None:
    """14 s: two pages of four lines in a window; lines appear one by one, then the page changes."""
    face = font(MONO, 20)
    frames, lines = [], []
    page_s = 7.0
    for p, page_lines in enumerate(PAGES):
        for i in range(int(page_s * fps)):
            t = i / fps
            shown = min(len(page_lines), int(t / LINE_S) + 1)
            page = Image.new("RGB", SIZE, (250, 250, 250))
            draw = ImageDraw.Draw(page)
            draw.rectangle([0, 0, SIZE[0], 28], fill=(60, 60, 70))
            draw.text((10, 5), "notes.txt - Editor", font=font(SANS, 16), fill=(230, 230, 230))
            for k in range(shown):
                draw.text((24, 60 + 44 * k), page_lines[k], font=face, fill=(25, 25, 25))
            frames.append(cv2.cvtColor(camera_look(np.array(page), blur=0.3, noise=1.0), cv2.COLOR_RGB2BGR))
        for k, text in enumerate(page_lines):
            lines.append({"text": text, "start": p * page_s + k * LINE_S, "end": (p + 1) * page_s})
    truth = {
        "source": "a rendered editor window (DejaVu fonts), lines typed one by one",
        "lines": [{"text": "notes.txt - Editor", "start": 0.0, "end": 14.0}, *lines],
    }
    write_video("screen", frames, fps, truth)


# -- captions: kinetic, stylised, some on screen for half a second, with cuts -----------
CAPTIONS = [
    (0.0, 1.5, "FIRST", "/usr/share/fonts/truetype/noto/NotoSansDisplay-Bold.ttf", 64),
    (1.5, 2.0, "cut down", "/usr/share/fonts/truetype/liberation/LiberationSans-BoldItalic.ttf", 44),
    (2.0, 3.5, "I've decided.", "/usr/share/fonts/opentype/urw-base35/URWGothic-Demi.otf", 40),
    (3.5, 4.1, "& EASY", "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf", 56),
    (4.1, 5.5, "It's 12:45", "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf", 44),
    (5.5, 6.0, "DON'T", "/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf", 60),
    (6.0, 6.5, "STOP", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", 60),
    (6.5, 8.0, "rock'n'roll", "/usr/share/fonts/opentype/urw-base35/P052-BoldItalic.otf", 48),
    (8.0, 8.7, "Yes?", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf", 48),
    (8.7, 10.0, "THE LAST ONE", "/usr/share/fonts/opentype/urw-base35/URWBookman-Demi.otf", 44),
    (10.0, 10.5, "#1 PICK", "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", 56),
    (10.5, 12.0, "See you!", "/usr/share/fonts/truetype/freefont/FreeSerifBoldItalic.ttf", 52),
]


def make_captions(fps: int = 15) -> None:
    """12 s of a fast-cut video with kinetic captions: display type in several Debian fonts,
    outlines and shadows, apostrophes, and five captions on screen for 0.7 s or less. The
    picture cuts between two photos at every caption, and the camera moves."""
    import skimage.data

    scenes = [
        cv2.resize(skimage.data.coffee(), (1000, 700), interpolation=cv2.INTER_CUBIC),
        cv2.resize(skimage.data.rocket(), (1000, 700), interpolation=cv2.INTER_CUBIC),
    ]
    fills = [(255, 255, 255), (255, 221, 0), (255, 255, 255), (120, 230, 255)]
    frames = []
    for i in range(12 * fps):
        t = i / fps
        k = next(n for n, c in enumerate(CAPTIONS) if c[0] <= t < c[1] or n == len(CAPTIONS) - 1)
        start, _, text, path, size = CAPTIONS[k]
        p = (t - start) * 0.6
        image = _camera(scenes[k % 2], SIZE, 480 + 90 * p, 330 + 30 * k % 90, 0.9 + 0.1 * p, blur_px=1)
        image = camera_look(image, blur=0.4, noise=2)
        page = Image.fromarray(image)
        draw = ImageDraw.Draw(page)
        face = font(path, size)
        width = draw.textlength(text, font=face)
        x, y = (SIZE[0] - width) / 2, 150 + 40 * (k % 3)
        if k % 2:  # a drop shadow
            draw.text((x + 3, y + 3), text, font=face, fill=(0, 0, 0))
        draw_outlined(draw, (x, y), text, face, fill=fills[k % 4], width=3 if k % 2 == 0 else 1)
        frames.append(cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR))
    truth = {
        "source": "skimage.data coffee (CC0) and rocket (public domain, NASA) under a moving virtual camera, "
        "cut at every caption; captions rendered in DejaVu, Liberation, FreeFont, Noto and URW fonts",
        "lines": [{"text": text, "start": s, "end": e} for s, e, text, _, _ in CAPTIONS],
    }
    write_video("captions", frames, fps, truth)


MAKERS = {
    "captions": make_captions,
    "slides": make_slides,
    "subtitles": make_subtitles,
    "scoreboard": make_scoreboard,
    "glare": make_glare,
    "screen": make_screen,
}

if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or MAKERS:
        MAKERS[name]()
