"""Make the bundled samples: free-licence photos with rendered signs, as stills and videos.

Run from the repository root: ``python samples/make_samples.py``. It is deterministic
(seeded) and writes beside itself. The photos are scikit-image's bundled ``skimage.data``
images (see samples/README.md for their licences); the text is rendered with Pillow's
bundled font, placed with a perspective warp, then blurred and noised like a camera's.
Each output has its ground truth beside it as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
RNG = np.random.default_rng(2026)


def render_sign(lines: list[str], size: int, fg=(20, 20, 20), bg=(235, 232, 220), pad: int = 24) -> np.ndarray:
    """A flat sign (RGB) with the lines centred, as a card."""
    font = ImageFont.load_default(size=size)
    widths = [font.getbbox(t)[2] for t in lines]
    line_h = int(size * 1.25)
    w = max(widths) + 2 * pad
    h = line_h * len(lines) + 2 * pad
    card = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(card)
    for i, (text, tw) in enumerate(zip(lines, widths)):
        draw.text(((w - tw) // 2, pad + i * line_h), text, font=font, fill=fg)
    draw.rectangle([2, 2, w - 3, h - 3], outline=fg, width=3)
    return np.array(card)


def paste_warped(scene: np.ndarray, card: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Warp ``card`` onto ``scene`` (both RGB) so that its corners land on ``corners``."""
    h, w = card.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(card, matrix, size, flags=cv2.INTER_CUBIC)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, size)
    mask = cv2.GaussianBlur(mask, (3, 3), 0)[..., None].astype(np.float32) / 255
    return (scene * (1 - mask) + warped * mask).astype(np.uint8)


def camera_look(rgb: np.ndarray, blur: float = 0.8, noise: float = 4.0) -> np.ndarray:
    out = cv2.GaussianBlur(rgb, (0, 0), blur) if blur > 0 else rgb
    out = out.astype(np.float32) + RNG.normal(0, noise, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def make_still() -> None:
    import skimage.data

    scene = cv2.resize(skimage.data.coffee(), (960, 640), interpolation=cv2.INTER_CUBIC)
    card = render_sign(["FRESH COFFEE", "OPEN DAILY"], size=56)
    corners = np.array([[520, 70], [920, 95], [905, 330], [510, 300]])
    scene = camera_look(paste_warped(scene, card, corners))
    path = HERE / "coffee_sign.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(scene, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    truth = {"source": "skimage.data.coffee (CC0) with a rendered sign", "words": ["FRESH", "COFFEE", "OPEN", "DAILY"]}
    (HERE / "coffee_sign.json").write_text(json.dumps(truth, indent=2) + "\n")


if __name__ == "__main__":
    make_still()
