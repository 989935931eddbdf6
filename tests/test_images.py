import base64

import cv2
import numpy as np
import pytest

from stream_ocr.config import ImageLimits
from stream_ocr.errors import BadInputError, InputTooLargeError
from stream_ocr.images import decode_data_url, decode_image, read_image, to_bgr8


def _encode(image: np.ndarray, ext: str = ".png") -> bytes:
    ok, buf = cv2.imencode(ext, image)
    assert ok
    return buf.tobytes()


@pytest.fixture
def photo() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)


def test_round_trip_bgr(photo):
    out = decode_image(_encode(photo))
    assert out.dtype == np.uint8 and out.shape == photo.shape
    np.testing.assert_array_equal(out, photo)


def test_grayscale_becomes_bgr():
    gray = np.tile(np.arange(64, dtype=np.uint8), (10, 1))
    out = decode_image(_encode(gray))
    assert out.shape == (10, 64, 3)
    np.testing.assert_array_equal(out[:, :, 0], gray)
    np.testing.assert_array_equal(out[:, :, 2], gray)


def test_rgba_composited_over_white():
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[:4, :, 3] = 255  # top half opaque black, bottom half transparent
    out = decode_image(_encode(rgba))
    assert out.shape == (8, 8, 3)
    assert (out[:4] == 0).all()
    assert (out[4:] == 255).all()


def test_16_bit_scaled_to_8_bit():
    img16 = np.full((4, 4, 3), 65535, dtype=np.uint16)
    img16[0, 0] = 0
    img16[1, 1] = 32896  # ~ 128 * 257
    out = decode_image(_encode(img16))
    assert out.dtype == np.uint8
    assert out[2, 2, 0] == 255 and out[0, 0, 0] == 0 and out[1, 1, 0] == 128


def test_float_image_converted():
    out = to_bgr8(np.full((2, 2), 0.5, dtype=np.float32))
    assert out.shape == (2, 2, 3) and out[0, 0, 0] == 128


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"hello, this is text and not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "truncated|not an image"),
    ],
)
def test_bad_bytes(data, message):
    with pytest.raises(BadInputError, match=message):
        decode_image(data)


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_truncated_files(photo, ext):
    data = _encode(photo, ext)
    with pytest.raises(BadInputError, match="truncated|not an image"):
        decode_image(data[: len(data) // 2])


def test_pixel_limit_checked_before_decoding():
    big = np.zeros((3000, 3000), dtype=np.uint8)  # compresses to a few kB: a small bomb
    data = _encode(big)
    assert len(data) < 100_000
    with pytest.raises(InputTooLargeError, match="pixels"):
        decode_image(data, ImageLimits(max_pixels=1_000_000))


def test_byte_limit(photo):
    with pytest.raises(InputTooLargeError, match="bytes"):
        decode_image(_encode(photo), ImageLimits(max_bytes=100))


def test_data_url_with_and_without_prefix(photo):
    b64 = base64.b64encode(_encode(photo, ".png")).decode()
    np.testing.assert_array_equal(decode_data_url("data:image/png;base64," + b64), photo)
    np.testing.assert_array_equal(decode_data_url(b64), photo)


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "non-empty"),
        ("data:image/png;base64,@@@not-base64@@@", "base64"),
        ("data:text/plain;base64," + base64.b64encode(b"hi").decode(), "not an image"),
        (base64.b64encode(b"plain text, not an image").decode(), "not an image"),
    ],
)
def test_bad_data_urls(value, message):
    with pytest.raises(BadInputError, match=message):
        decode_data_url(value)


def test_read_image_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="no such image"):
        read_image(tmp_path / "nope.png")


def test_reads_1_bit_tiff(eval_dir):
    page = read_image(eval_dir / "printed" / "phototest.tif")
    assert page.shape == (480, 640, 3) and page.dtype == np.uint8
    assert set(np.unique(page)) <= {0, 255}
