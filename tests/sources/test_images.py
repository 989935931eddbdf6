import base64
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest

from stream_ocr.config import ImageLimits
from stream_ocr.errors import BadInputError, InputTooLargeError
from stream_ocr.sources.images import decode_data_url, decode_image, read_image, to_bgr8

from ..conftest import ROOT


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


def bomb_png(width: int, height: int) -> bytes:
    """A grey PNG of all zeros: a few MB that unpack to width x height bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


BOMB_SCRIPT = """
import resource, sys
from stream_ocr.config import ImageLimits
from stream_ocr.errors import InputTooLargeError
from stream_ocr.sources.images import decode_image

data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for limits in (ImageLimits(), ImageLimits(max_pixels=10**10, max_bytes=10**9)):
    try:
        decode_image(data, limits)
        print("decoded")
    except InputTooLargeError as e:
        print("refused:", e)
print("grew_mb", (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


@pytest.mark.slow  # a fresh process, measured
def test_a_decompression_bomb_is_refused_before_any_decoder_allocates(tmp_path):
    # 30000 x 30000 (900 MP, 900 MB decoded) in about 1 MB. Refused from its header, with our
    # limit and with a limit raised past it (Pillow's own bomb limit then refuses it), in a
    # fresh process whose peak memory shows that nothing was decoded.
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(30000, 30000))
    assert path.stat().st_size < 3_000_000
    proc = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT, str(path)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("refused:") == 2, proc.stdout
    grew = float(proc.stdout.split("grew_mb")[1].split()[0])
    assert grew < 100, proc.stdout


def test_an_image_whose_size_cannot_be_read_is_refused():
    with pytest.raises(BadInputError, match="not an image"):
        decode_image(b"P6\n" + b"9" * 64)  # a PPM header cut to garbage


def test_rgba_and_16_bit_convert_without_multiplying_memory():
    rgba = np.zeros((600, 500, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[100:200, :, :3] = 40
    out = to_bgr8(rgba)
    assert out.dtype == np.uint8 and out.shape == (600, 500, 3) and out[150, 10, 0] == 40 and out[0, 0, 0] == 0
    transparent = np.zeros((10, 10, 4), np.uint8)
    assert (to_bgr8(transparent) == 255).all()  # over white
    deep = np.full((700, 300), 65535, np.uint16)
    assert (to_bgr8(deep) == 255).all()
