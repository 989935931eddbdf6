import json
import subprocess
import sys

import pytest

from .conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow


def run(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "stream_ocr", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def test_image_prints_words():
    out = run("image", str(SAMPLES / "coffee_sign.jpg"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert set(out.stdout.split()) >= {"FRESH", "COFFEE", "OPEN", "DAILY"}
    # TensorFlow's native start-up chatter (absl's notice, CUDA probing without a GPU) is
    # kept from users; one line of ours says where the models run.
    assert "absl::InitializeLog" not in out.stderr and "cuInit" not in out.stderr, out.stderr
    assert not [line for line in out.stderr.splitlines() if line[:5] in ("I0000", "W0000", "E0000")], out.stderr
    assert "running on CPU" in out.stderr or "running on /physical_device:GPU" in out.stderr, out.stderr


def test_image_json_and_bad_file(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    out = run("image", "--json", "--engine", "rapidocr", str(SAMPLES / "coffee_sign.jpg"), str(bad))
    assert out.returncode == 1  # one file failed, the other was still read
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines[0]["engine"] == "rapidocr" and lines[0]["width"] == 960
    assert all(len(d["points"]) == 4 for d in lines[0]["detections"])
    assert "total" in lines[0]["timings_ms"]
    assert "error" in lines[1] and "broken.jpg" in out.stderr


def test_engines_lists_status():
    out = run("engines")
    assert out.returncode == 0
    assert "keras-ocr (default)" in out.stdout and "ready" in out.stdout and "rapidocr" in out.stdout


def test_unknown_engine_is_a_clear_error():
    out = run("image", "--engine", "nope", str(SAMPLES / "coffee_sign.jpg"))
    assert out.returncode == 2
    assert "unknown engine 'nope'" in out.stderr
