"""Make the language samples: bilingual Chinese and English subtitles, and Japanese ones.

Run from the repository root: ``python samples/make_languages.py`` (needs scikit-image and
Debian's ``fonts-noto-cjk``). Seeded; writes beside itself, each video with its ground truth:
``cues`` per language (``lang``), each with its lines and its own ``start`` and ``end``.

What they hold that real bilingual footage holds: each language's cues timed on their own
(one English cue over two Chinese ones), a cue under a second, digits inside Chinese
lines, a channel's Chinese watermark that is not a subtitle, and, in the Japanese sample,
the Japanese lines above the picture with the English below it.
"""

from __future__ import annotations

import cv2
import numpy as np
from make_footage import SIZE, draw_outlined, font, write_video
from make_samples import _camera, camera_look
from PIL import Image, ImageDraw

NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_CJK_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
# Faces in Noto's collections.
JP, SC = 0, 2
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# (start, end, lines): the English and Chinese cues, each timed on its own.
BILINGUAL_EN = [
    (0.5, 3.0, ["Have you eaten yet?"]),
    (3.5, 7.5, ["The train leaves at nine,", "so we should hurry."]),
    (8.0, 8.8, ["OK."]),
    (9.5, 12.0, ["Where is platform 3?"]),
    (12.5, 15.5, ["Next to the ticket office."]),
    (16.0, 19.0, ["Thank you very much."]),
    (19.5, 22.5, ["See you tomorrow."]),
]
BILINGUAL_ZH = [
    (0.5, 3.0, ["你吃饭了吗？"]),
    (3.5, 5.5, ["火车九点开，"]),
    (5.5, 7.5, ["所以我们得快点。"]),
    (8.0, 8.8, ["好的。"]),
    (9.5, 12.0, ["3号站台在哪里？"]),
    (12.5, 15.5, ["在售票处旁边。"]),
    (16.0, 19.0, ["非常感谢你。"]),
    (19.5, 22.5, ["明天见。"]),
]
WATERMARK = "电影频道"

JAPANESE_JA = [
    (0.5, 3.0, ["おはようございます。"]),
    (3.5, 6.5, ["今日はいい天気ですね。"]),
    (7.0, 9.5, ["コーヒーを飲みませんか？"]),
    (10.0, 10.8, ["はい！"]),
    (11.5, 14.5, ["駅まで歩いて10分です。"]),
    (15.0, 17.5, ["ありがとうございました。"]),
    (18.0, 20.5, ["また明日。"]),
]
JAPANESE_EN = [
    (0.5, 3.0, ["Good morning."]),
    (3.5, 6.5, ["Nice weather today."]),
    (7.0, 9.5, ["Would you like some coffee?"]),
    (10.0, 10.8, ["Yes!"]),
    (11.5, 14.5, ["It is a 10 minute walk", "to the station."]),
    (15.0, 17.5, ["Thank you very much."]),
    (18.0, 20.5, ["See you tomorrow."]),
]


def showing(cues, t):
    return next((lines for start, end, lines in cues if start <= t < end), [])


def truth_cues(lang, cues):
    return [{"lang": lang, "start": s, "end": e, "lines": lines} for s, e, lines in cues]


def make_bilingual(fps: int = 15) -> None:
    """23 s over a moving camera on a photo: a Chinese line stacked over the English at the
    bottom, a watermark top right, letterbox bars."""
    import skimage.data

    canvas = cv2.resize(skimage.data.chelsea(), (1200, 900), interpolation=cv2.INTER_CUBIC)
    face, cjk, mark = font(SANS, 22), font(NOTO_CJK, 28, SC), font(NOTO_CJK_BOLD, 18, SC)
    frames = []
    for i in range(23 * fps):
        t = i / fps
        p = t / 23
        image = _camera(canvas, SIZE, 500 + 220 * p, 430 - 80 * np.sin(p * np.pi), 0.8 + 0.15 * p, blur_px=1)
        image[:28] = 0
        image[-28:] = 0
        image = camera_look(image, blur=0.4, noise=2)
        page = Image.fromarray(image)
        draw = ImageDraw.Draw(page)
        draw.text((SIZE[0] - 100, 36), WATERMARK, font=mark, fill=(235, 235, 235))
        rows = [(line, cjk, 36) for line in showing(BILINGUAL_ZH, t)]
        rows += [(line, face, 28) for line in showing(BILINGUAL_EN, t)]
        y = SIZE[1] - 14 - sum(h for _, _, h in rows)
        for text, f, h in rows:
            width = draw.textlength(text, font=f)
            draw_outlined(draw, ((SIZE[0] - width) / 2, y), text, f)
            y += h
        frames.append(cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR))
    truth = {
        "source": "skimage.data.chelsea (public domain) under a moving virtual camera; subtitles rendered with "
        "DejaVu Sans and Noto Sans CJK SC; a watermark in Noto Sans CJK SC Bold",
        "cues": truth_cues("zh", BILINGUAL_ZH) + truth_cues("en", BILINGUAL_EN),
        "not_subtitles": [{"text": WATERMARK, "start": 0.0, "end": 23.0}],
    }
    write_video("bilingual", frames, fps, truth)


def make_japanese(fps: int = 15) -> None:
    """21 s over a moving camera on a photo: Japanese subtitles above the picture, English below."""
    import skimage.data

    canvas = cv2.resize(skimage.data.rocket(), (1100, 750), interpolation=cv2.INTER_CUBIC)
    face, jp = font(SANS, 22), font(NOTO_CJK, 26, JP)
    frames = []
    for i in range(21 * fps):
        t = i / fps
        p = t / 21
        image = _camera(canvas, SIZE, 520 - 160 * p, 380 + 40 * np.sin(p * np.pi), 0.75 + 0.2 * p, blur_px=1)
        image = camera_look(image, blur=0.4, noise=2)
        page = Image.fromarray(image)
        draw = ImageDraw.Draw(page)
        y = 12
        for text in showing(JAPANESE_JA, t):
            width = draw.textlength(text, font=jp)
            draw_outlined(draw, ((SIZE[0] - width) / 2, y), text, jp)
            y += 34
        lines = showing(JAPANESE_EN, t)
        y = SIZE[1] - 16 - 28 * len(lines)
        for text in lines:
            width = draw.textlength(text, font=face)
            draw_outlined(draw, ((SIZE[0] - width) / 2, y), text, face)
            y += 28
        frames.append(cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR))
    truth = {
        "source": "skimage.data.rocket (public domain, NASA) under a moving virtual camera; subtitles rendered "
        "with DejaVu Sans and Noto Sans CJK JP",
        "cues": truth_cues("ja", JAPANESE_JA) + truth_cues("en", JAPANESE_EN),
    }
    write_video("japanese", frames, fps, truth)


MAKERS = {"bilingual": make_bilingual, "japanese": make_japanese}

if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or MAKERS:
        MAKERS[name]()
