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


def paste_warped(
    scene: np.ndarray, card: np.ndarray, corners: np.ndarray, interpolation: int = cv2.INTER_CUBIC
) -> np.ndarray:
    """Warp ``card`` onto ``scene`` (RGB) so that its corners land on ``corners``. An RGBA
    card is blended by its own alpha; an RGB one by its outline, softened."""
    h, w = card.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(card, matrix, size, flags=interpolation)
    if card.shape[2] == 4:
        mask = warped[..., 3:4].astype(np.float32) / 255
        warped = warped[..., :3]
    else:
        mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, size)
        mask = cv2.GaussianBlur(mask, (3, 3), 0)[..., None].astype(np.float32) / 255
    return (scene * (1 - mask) + warped * mask).astype(np.uint8)


def camera_look(
    rgb: np.ndarray, blur: float = 0.8, noise: float = 4.0, rng: np.random.Generator | None = None
) -> np.ndarray:
    out = cv2.GaussianBlur(rgb, (0, 0), blur) if blur > 0 else rgb
    out = out.astype(np.float32) + (rng or RNG).normal(0, noise, out.shape)
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


def _canvas(photo: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)


def _camera(
    canvas: np.ndarray, out_size: tuple[int, int], cx: float, cy: float, zoom: float, blur_px: float
) -> np.ndarray:
    """A virtual camera: the window of ``canvas`` centred at (cx, cy), ``zoom`` x, with motion blur."""
    ow, oh = out_size
    matrix = np.array([[zoom, 0, ow / 2 - zoom * cx], [0, zoom, oh / 2 - zoom * cy]], dtype=np.float32)
    frame = cv2.warpAffine(canvas, matrix, out_size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if blur_px >= 1:
        k = int(blur_px) * 2 + 1
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        frame = cv2.filter2D(frame, -1, kernel)
    return frame


def make_video(fps: int = 30, size: tuple[int, int] = (960, 540)) -> None:
    """``signs.mp4``: three scenes with known text, a camera that moves, a cut, a static slide.

    0-6 s: a coffee shop photo with a sign, the camera panning and zooming slowly.
    6-12 s: a hard cut to a rocket photo with a sign; a second sign appears at 8 s and
    goes at 10.5 s. 12-18 s: a static, slide-like title card.
    """
    import skimage.data

    w, h = size
    truth = []

    coffee = _canvas(skimage.data.coffee(), (1400, 930))
    coffee = paste_warped(
        coffee, render_sign(["FRESH COFFEE"], size=64), np.array([[620, 180], [1230, 205], [1225, 330], [615, 305]])
    )
    truth += [{"text": "FRESH", "start": 0.0, "end": 6.0}, {"text": "COFFEE", "start": 0.0, "end": 6.0}]

    rocket = _canvas(skimage.data.rocket(), (1300, 870))
    rocket = paste_warped(
        rocket,
        render_sign(["LAUNCH PAD"], size=60, bg=(250, 250, 245)),
        np.array([[120, 520], [640, 500], [645, 620], [125, 640]]),
    )
    gate = render_sign(["GATE 7"], size=60, fg=(250, 250, 250), bg=(30, 60, 140))
    rocket_gate = paste_warped(rocket.copy(), gate, np.array([[800, 540], [1130, 550], [1128, 650], [798, 640]]))
    truth += [{"text": "LAUNCH", "start": 6.0, "end": 12.0}, {"text": "PAD", "start": 6.0, "end": 12.0}]
    truth += [{"text": "GATE", "start": 8.0, "end": 10.5}]

    slide = np.full((h, w, 3), 250, np.uint8)
    slide = paste_warped(
        slide,
        render_sign(["QUARTERLY REPORT"], size=60, bg=(250, 250, 250)),
        np.array([[140, 150], [820, 150], [820, 260], [140, 260]]),
    )
    slide = paste_warped(
        slide,
        render_sign(["SALES UP"], size=54, fg=(20, 90, 20), bg=(250, 250, 250)),
        np.array([[330, 330], [630, 330], [630, 420], [330, 420]]),
    )
    truth += [{"text": "QUARTERLY", "start": 12.0, "end": 18.0}, {"text": "REPORT", "start": 12.0, "end": 18.0}]
    truth += [{"text": "SALES", "start": 12.0, "end": 18.0}, {"text": "UP", "start": 12.0, "end": 18.0}]

    path = HERE / "signs.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    slide_frame = camera_look(cv2.cvtColor(slide, cv2.COLOR_RGB2BGR), blur=0, noise=0)
    for i in range(18 * fps):
        t = i / fps
        if t < 6:
            p = t / 6
            frame = _camera(
                coffee,
                size,
                760 + 140 * p,
                380 + 40 * np.sin(p * np.pi),
                0.9 + 0.15 * p,
                blur_px=1 + 2 * abs(np.sin(p * 3 * np.pi)),
            )
            frame = camera_look(frame, blur=0.6, noise=2)
        elif t < 12:
            p = (t - 6) / 6
            scene = rocket_gate if 8.0 <= t < 10.5 else rocket
            frame = _camera(scene, size, 620 + 80 * p, 540 - 30 * p, 0.85, blur_px=1)
            frame = camera_look(frame, blur=0.6, noise=2)
        else:
            frame = slide_frame
        if t < 12:
            frame = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        writer.write(frame)
    writer.release()
    meta = {
        "source": "skimage.data coffee (CC0) and rocket (public domain, NASA) with rendered signs; a rendered slide",
        "fps": fps,
        "width": w,
        "height": h,
        "duration_s": 18.0,
        "texts": truth,
        # The same, as the lines on screen: what tracks and subtitle cues follow.
        "lines": [
            {"text": "FRESH COFFEE", "start": 0.0, "end": 6.0},
            {"text": "LAUNCH PAD", "start": 6.0, "end": 12.0},
            {"text": "GATE 7", "start": 8.0, "end": 10.5},
            {"text": "QUARTERLY REPORT", "start": 12.0, "end": 18.0},
            {"text": "SALES UP", "start": 12.0, "end": 18.0},
        ],
    }
    (HERE / "signs.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    make_still()
    make_video()
