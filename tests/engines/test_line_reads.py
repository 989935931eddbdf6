"""Every glyph a subtitle prints, read by the real engine as ``--subtitles`` runs it (each line
read whole as well): dialogue dashes, a lone "I", "a" and "A", closing stops and ellipses, and
the spaces between words.

The frames are real photos (a frame of samples/signs.mp4) with subtitle lines burned in as a
subtitle renderer draws them (white, black outline; DejaVu Sans and Liberation Sans). The lines are not those of
the tuning film the line reader and the lexicon were tuned on.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from stream_ocr.engines.base import read_lines
from stream_ocr.evaluation.video import fold

from ..helpers import signs_frame

pytestmark = pytest.mark.slow

FONTS = {
    "dejavu": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "liberation": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
}
CUES = [
    ("- I can't find my keys.", "- Look, I told you twice."),
    ("I said I would, and I did...", "A man came by. I said come in."),
    ("- Wait. Is that a ghost?", "- A what?"),
    ("So I guess it's over, then.",),
    ("That's 22...",),  # an ellipsis that runs past the last word's box
    ("I think we're doing more than that. I", "think we're blocking it."),  # a line ending in "I"
    ("I said I would, and I did...", "A man came by. I let him in."),  # a stop before a lone "I"
]


def burned(lines: tuple[str, ...], font: str = "dejavu") -> np.ndarray:
    image = Image.fromarray(cv2.cvtColor(signs_frame(), cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(FONTS[font], 40)
    y = 700 - 48 * len(lines)
    for line in lines:
        width = draw.textlength(line, font=face)
        draw.text(((1280 - width) / 2, y), line, font=face, fill=(255, 255, 255), stroke_width=3, stroke_fill=(0, 0, 0))
        y += 48
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize("lines", CUES, ids=[c[0] for c in CUES])
def test_subtitle_lines_are_read_character_for_character(subtitle_engine, lines, font):
    result = read_lines(subtitle_engine, burned(lines, font), [(0, 480, 1280, 720)])
    assert [fold(line.text) for line in result.lines] == [fold(line) for line in lines]


def test_box_by_box_alone_loses_the_dash_and_the_lone_i(keras_engine):
    """Why the subtitle preset reads lines whole: the default engine reads box by box."""
    lines = CUES[0]
    read = [line.text for line in read_lines(keras_engine, burned(lines), [(0, 480, 1280, 720)]).lines]
    assert keras_engine.config.line_reads == "auto" and read != list(lines)
