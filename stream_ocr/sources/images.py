"""Decode still images from bytes or files into the pipeline's frame format (BGR uint8).

Owns every conversion and every refusal: empty, truncated or non-image data, pixel
limits checked from the header before decoding (decompression bombs), and grey,
alpha, palette and 16-bit images converted correctly. Nothing here runs OCR.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from stream_ocr.config import ImageLimits
from stream_ocr.errors import BadInputError, InputTooLargeError

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(;[\w=.+-]+)*;base64,", re.IGNORECASE)


# Conversions go this many rows at a time, so that their temporaries stay small whatever
# the image's size: a 40 MP RGBA image never needs a float copy of itself.
_ROWS = 256


def _to_uint8(block: np.ndarray) -> np.ndarray:
    if block.dtype == np.uint16:
        return (block // 257).astype(np.uint8)
    if block.dtype in (np.float32, np.float64):
        return (np.clip(block, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    if block.dtype == np.bool_:
        return block.astype(np.uint8) * 255
    return block


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Convert a decoded image (grey, BGR, BGRA; 8/16-bit or float) to BGR uint8."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise BadInputError(f"unsupported image layout {image.shape}")
    if image.dtype not in (np.uint8, np.uint16, np.float32, np.float64, np.bool_):
        raise BadInputError(f"unsupported pixel type {image.dtype}")
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return image
    out = np.empty((image.shape[0], image.shape[1], 3), np.uint8)
    for top in range(0, image.shape[0], _ROWS):
        block = _to_uint8(image[top : top + _ROWS])
        if block.ndim == 2:
            out[top : top + _ROWS] = cv2.cvtColor(block, cv2.COLOR_GRAY2BGR)
        elif block.shape[2] == 4:
            # Composite over white: dark text on a transparent background stays readable.
            alpha = block[:, :, 3:4].astype(np.uint16)
            rgb = block[:, :, :3].astype(np.uint16)
            out[top : top + _ROWS] = ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
        else:
            out[top : top + _ROWS] = block
    return out


def _check_header(data: bytes, limits: ImageLimits) -> None:
    """Refuse, from the header alone, an image over the pixel limit or whose size cannot be read.

    Nothing is decoded here, so a small file that would unpack to gigabytes (a
    decompression bomb) costs nothing. Pillow reads the size of every format OpenCV is
    asked to decode below; a file whose size it cannot read is refused, not decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
    except Image.DecompressionBombError as e:
        raise InputTooLargeError(f"image is too large to decode safely ({e})") from e
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise BadInputError(
            "the data is not an image in a format we can read (JPEG, PNG, TIFF, BMP, WebP), or its header is corrupt"
        ) from e
    if width * height > limits.max_pixels:
        raise InputTooLargeError(
            f"image is {width}x{height} = {width * height:,} pixels, over the limit of {limits.max_pixels:,}"
        )


def _looks_truncated(data: bytes) -> bool:
    if data[:2] == b"\xff\xd8":  # JPEG: must end with an EOI marker (trailing padding allowed)
        return b"\xff\xd9" not in data[-1024:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return b"IEND" not in data[-64:]
    return False


def decode_image(data: bytes, limits: ImageLimits | None = None) -> np.ndarray:
    """Decode encoded image bytes (JPEG, PNG, TIFF, BMP, WebP, ...) into a BGR uint8 frame."""
    limits = limits or ImageLimits()
    if not data:
        raise BadInputError("the image is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise InputTooLargeError(f"image is {len(data):,} bytes, over the limit of {limits.max_bytes:,}")
    _check_header(data, limits)
    if _looks_truncated(data):
        raise BadInputError("the image file is truncated (its end marker is missing)")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise BadInputError(
            "the data is not an image in a format we can read (JPEG, PNG, TIFF, BMP, WebP), or it is corrupt"
        )
    if image.shape[0] * image.shape[1] > limits.max_pixels:
        raise InputTooLargeError(
            f"image has {image.shape[0] * image.shape[1]:,} pixels, over the limit of {limits.max_pixels:,}"
        )
    return to_bgr8(image)


def read_image(path: str | Path, limits: ImageLimits | None = None) -> np.ndarray:
    """Read an image file into a BGR uint8 frame."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"no such image file: {path}")
    limits = limits or ImageLimits()
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise InputTooLargeError(f"{path} is {size:,} bytes, over the limit of {limits.max_bytes:,}")
    try:
        return decode_image(path.read_bytes(), limits)
    except BadInputError as e:
        raise type(e)(f"{path}: {e}") from e


def decode_data_url(value: str, limits: ImageLimits | None = None) -> np.ndarray:
    """Decode ``data:image/...;base64,...`` (the prefix is optional) into a BGR frame."""
    if not isinstance(value, str) or not value.strip():
        raise BadInputError("'image' must be a non-empty base64 string or data URL")
    limits = limits or ImageLimits()
    value = value.strip()
    match = _DATA_URL.match(value)
    if match:
        mime = (match.group("mime") or "").lower()
        if mime and not mime.startswith("image/"):
            raise BadInputError(f"the data URL holds {mime}, not an image")
        value = value[match.end() :]
    elif value.startswith("data:"):
        raise BadInputError("a data URL must be base64-encoded (data:image/...;base64,...)")
    # Base64 is 4/3 of the bytes; refuse before decoding what would be too large anyway.
    if len(value) * 3 // 4 > limits.max_bytes + 3:
        raise InputTooLargeError(f"image is over the limit of {limits.max_bytes:,} bytes")
    try:
        data = base64.b64decode(re.sub(r"\s+", "", value), validate=True)
    except (binascii.Error, ValueError) as e:
        raise BadInputError(f"'image' is not valid base64: {e}") from e
    return decode_image(data, limits)
