"""How much a line is edged as subtitles are drawn, on real pixels: a frame of a real video
with text drawn over it as a subtitle renderer draws it, and as scene text is printed."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from stream_ocr.video.subtitles import MIN_OUTLINE, outline_share

from ..helpers import signs_frame

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def drawn(text: str, fill, stroke, patch=None) -> tuple[np.ndarray, tuple]:
    image = Image.fromarray(cv2.cvtColor(signs_frame(), cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(FONT, 40)
    x0, y0, x1, y1 = draw.textbbox((400, 620), text, font=face, stroke_width=3 if stroke else 0)
    if patch is not None:
        draw.rectangle((x0 - 40, y0 - 30, x1 + 40, y1 + 30), fill=patch)
    draw.text((400, 620), text, font=face, fill=fill, stroke_width=3 if stroke else 0, stroke_fill=stroke)
    points = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR), points


def test_subtitles_outlined_boxed_or_yellow_are_edged_and_print_on_a_shirt_is_not():
    outlined = outline_share(*drawn("I said I would, and I did...", (255, 255, 255), (0, 0, 0)))
    yellow = outline_share(*drawn("- Where'd you call?", (255, 230, 0), (0, 0, 0)))
    boxed = outline_share(*drawn("Your work and your cell.", (255, 255, 255), None, patch=(16, 16, 16)))
    shirt = outline_share(*drawn("LISTER", (235, 235, 235), None, patch=(40, 80, 200)))
    assert min(outlined, yellow, boxed) >= 0.5, (outlined, yellow, boxed)
    assert shirt < MIN_OUTLINE, shirt
    # Nothing bright in the box: no measure at all, rather than a low one.
    dark = np.full((720, 1280, 3), 30, np.uint8)
    assert outline_share(dark, ((400, 620), (800, 620), (800, 660), (400, 660))) is None
