"""The glyphs at a Chinese line's ends that CRAFT boxes no part of ("一") are kept (engines/cjk_line_ends.py)."""

from __future__ import annotations

import numpy as np
import pytest

from stream_ocr.engines.base import read_lines
from stream_ocr.engines.cjk_line_ends import EndsConfig, added_ends, widened

from ..helpers import signs_frame

NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SC = 2  # the Simplified Chinese face of Noto's collection


def test_only_a_glyph_allowed_at_that_end_read_surely_around_the_line_unchanged_is_added():
    config = EndsConfig()
    line = [(c, 1.0) for c in "个还是两个？"]
    assert added_ends("个还是两个？", [("一", 0.99), *line], config) == ("一", "")
    assert added_ends("我们走", [(c, 1.0) for c in "我们走一"], config) == ("", "一")
    # Not read surely enough, not what stands at that end, or the line read otherwise.
    # Not read surely enough, or not what stands at that end: nothing added there.
    assert added_ends("个还是两个？", [("一", 0.5), *line], config) == ("", "")
    assert added_ends("个还是两个？", [("你", 0.99), *line], config) == ("", "")
    assert added_ends("个还是两个？", [("。", 0.99), *line], config) == ("", "")
    # Only the run next to the line: what lies beyond a character not allowed is not its.
    assert added_ends("个还是两个？", [("一", 0.99), ("你", 0.99), *line], config) == ("", "")
    assert added_ends("个还是两个？", [("你", 0.99), ("一", 0.99), *line], config) == ("一", "")
    # The line itself read otherwise: no second look's characters at all.
    assert added_ends("个还是两个？", [("一", 0.99), *line[:-1], ("?", 1.0)], config) is None
    # Nothing added: the line as it was.
    assert added_ends("个还是两个？", line, config) == ("", "")


def test_a_dash_beside_han_is_one_when_the_network_gives_one_a_share():
    from stream_ocr.engines.ppocr_recognizer import decode

    characters = ["", "统", "-", "一", "A", "1", " "]

    def scores(*steps):  # each step: {character: probability}, the rest blank
        probs = np.zeros((len(steps), len(characters)), dtype=np.float32)
        for t, step in enumerate(steps):
            for c, p in step.items():
                probs[t, characters.index(c)] = p
            probs[t, 0] = max(0.0, 1 - sum(step.values()))
        return probs

    dash = {"-": 0.66, "一": 0.21}
    assert decode(scores({"统": 1.0}, {}, dash), characters)[0] == "统一"
    # Not beside Han ("A-1"), too little "一", or the rule off: a dash.
    assert decode(scores({"A": 1.0}, dash, {"1": 1.0}), characters)[0] == "A-1"
    assert decode(scores({"统": 1.0}, {}, {"-": 0.9, "一": 0.05}), characters)[0] == "统-"
    assert decode(scores({"统": 1.0}, {}, dash), characters, one_beside_han=None)[0] == "统-"


def test_a_box_widened_grows_along_its_own_slant():
    box = np.array([[10, 10], [110, 10], [110, 30], [10, 30]], dtype=np.float32)
    assert widened(box, 1.0, 0.5).tolist() == [[-10, 10], [120, 10], [120, 30], [-10, 30]]
    tilted = np.array([[0, 0], [80, 60], [74, 68], [-6, 8]], dtype=np.float32)  # 100 long, 10 high
    start = widened(tilted, 1.0, 0.0)[0]
    assert np.allclose(start, [-8, -6], atol=1e-4)


def subtitle(text: str, size: int, boxed: bool = False) -> np.ndarray:
    """A real frame with ``text`` in Noto Sans CJK SC at ``size`` px as a subtitle: white
    outlined, or dark on a light box."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    frame = signs_frame()
    page = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(page)
    face = ImageFont.truetype(NOTO_CJK, size, index=SC)
    x = (page.width - draw.textlength(text, font=face)) / 2
    y = page.height - 3 * size
    if boxed:
        x0, y0, x1, y1 = draw.textbbox((x, y), text, font=face)
        draw.rectangle((x0 - 8, y0 - 6, x1 + 8, y1 + 6), fill=(235, 235, 225))
        draw.text((x, y), text, font=face, fill=(20, 20, 20))
    else:
        draw.text((x, y), text, font=face, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0))
    return cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR)


def bottom_lines(engine, frame) -> list[str]:
    h = frame.shape[0]
    return [line.text for line in read_lines(engine, frame).lines if line.bbox[1] > 0.8 * h]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "size", "boxed"),
    [
        # "一" first, which CRAFT gives no score at all: each of these lost it before.
        ("一个还是两个？", 34, False),  # the line
        ("一个还是两个？", 26, True),
        ("一样好。", 18, False),
        ("一样好。", 30, True),
        # "一" last: boxed without it, or read "-" by PP-OCR (beside Han, that is "一").
        ("我们说好了，统一", 38, True),
        ("我们说好了，统一", 30, False),
        ("我们说好了，统一", 16, True),
        # "一" inside: once, not twice; and a line with none: nothing added.
        ("我一直在等你。", 26, False),
        ("你吃饭了吗？", 26, False),
    ],
)
def test_a_chinese_subtitle_keeps_every_glyph(chinese_engine, text, size, boxed):
    lines = bottom_lines(chinese_engine, subtitle(text, size, boxed))
    assert lines == [text]
