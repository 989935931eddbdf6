"""The default engine on OpenVINO against the same engine on TensorFlow, with real weights and images."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from stream_ocr.config import EngineConfig
from stream_ocr.engines import create_engine
from stream_ocr.engines.english_g2 import keras_model_from, recognizer_net, weights_digest
from stream_ocr.engines.runtimes import intact, net_key, openvino_net, resolve_runtime
from stream_ocr.engines.weight_files import ENGLISH_G2, find_weights
from stream_ocr.errors import BadInputError
from stream_ocr.sources.images import read_image

from ..conftest import SAMPLES

TRAIN = Path(__file__).resolve().parents[3] / "shared" / "eval" / "icdar2015-train" / "images"

pytestmark = pytest.mark.slow


def test_the_default_runtime_is_openvino_on_a_cpu_and_tensorflow_on_a_gpu(keras_engine):
    from stream_ocr.engines.keras_ocr_compat import import_tensorflow

    on_gpu = bool(import_tensorflow().config.list_physical_devices("GPU"))
    assert resolve_runtime(EngineConfig()) == ("tensorflow" if on_gpu else "openvino")
    if not on_gpu:  # the networks run converted: no Keras model is built
        assert keras_engine.detector.model is None and keras_engine.recognizer.model is None


def test_on_a_machine_without_a_gpu_the_engine_reads_without_importing_tensorflow(keras_engine):
    """TensorFlow costs about 590 MB of memory once imported; on OpenVINO the engine needs
    it only to convert its networks, which the session's engine has already done."""
    from stream_ocr.engines.runtimes import gpu_driver_present

    if gpu_driver_present():
        pytest.skip("this machine has a GPU driver: TensorFlow is asked whether it finds the GPU")
    script = (
        "import sys, json\n"
        "from stream_ocr.engines import create_engine\n"
        "from stream_ocr.engines.base import read_lines\n"
        "from stream_ocr.sources.images import read_image\n"
        f"result = read_lines(create_engine(), read_image({str(SAMPLES / 'coffee_sign.jpg')!r}))\n"
        "rss = int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) // 1024\n"
        "print(json.dumps({'lines': [l.text for l in result.lines], 'tf': 'tensorflow' in sys.modules, 'rss': rss}))\n"
    )
    env = dict(os.environ, STREAM_OCR_CACHE_DIR=str(keras_engine.config.cache_dir))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["lines"] == ["FRESH COFFEE", "OPEN DAILY"], report
    assert report["tf"] is False, report
    assert report["rss"] < 800, report  # with TensorFlow imported, over 1,000 MB


def test_an_unknown_runtime_is_refused():
    with pytest.raises(BadInputError, match="auto, tensorflow or openvino"):
        EngineConfig(runtime="tensorrt")


@pytest.fixture(scope="module")
def float32_pair(tmp_path_factory):
    """The engine in float32 on both runtimes, converted into a fresh cache folder."""
    config = EngineConfig(cpu_bfloat16=False, cache_dir=tmp_path_factory.mktemp("cache"))
    return create_engine(replace(config, runtime="openvino")), create_engine(replace(config, runtime="tensorflow"))


def test_converted_networks_compute_what_tensorflow_computes(float32_pair):
    converted, reference = float32_pair
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (1, 320, 448, 3), dtype=np.uint8)
    maps = converted.detector.score_maps(frame)
    assert maps.shape == (1, 160, 224, 2)
    assert np.abs(maps - reference.detector.score_maps(frame)).max() < 1e-3
    crops = rng.integers(0, 255, (3, 64, 192, 1), dtype=np.uint8)
    probs = converted.recognizer.class_probs(crops)
    assert np.abs(probs - reference.recognizer.class_probs(crops)).max() < 1e-3


def images():
    out = [(p.name, read_image(p)) for p in sorted(SAMPLES.glob("*.jpg"))]
    for video in sorted(SAMPLES.glob("*.mp4")):  # a frame a third of the way in
        capture = cv2.VideoCapture(str(video))
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) // 3)
        ok, frame = capture.read()
        capture.release()
        assert ok, video
        out.append((video.name, frame))
    if TRAIN.is_dir():
        out += [(f"img_{n}.jpg", read_image(TRAIN / f"img_{n}.jpg")) for n in (7, 107, 207, 307)]
    return out


def test_both_runtimes_read_the_same_words(float32_pair):
    converted, reference = float32_pair
    read = {}
    for name, frame in images():
        read[name] = sorted(d.text for d in converted.read(frame).detections)
        assert read[name] == sorted(d.text for d in reference.read(frame).detections), name
    # ...and they are words: the sign reads.
    assert {"FRESH", "COFFEE", "OPEN", "DAILY"} <= {w.upper() for w in read["coffee_sign.jpg"]}


def test_a_converted_network_is_kept_by_checksum_and_converted_again_when_damaged(tmp_path):
    config = EngineConfig(cache_dir=tmp_path, runtime="openvino")
    spec = recognizer_net(weights_digest(replace(config, recognizer_weights="easyocr")))
    built = []

    def keras_model():
        built.append(1)
        return keras_model_from(find_weights(ENGLISH_G2))

    first = openvino_net(spec, keras_model, config)
    folder = tmp_path / "openvino" / net_key(spec)
    assert first.folder == folder and intact(folder) and built == [1]
    openvino_net(spec, keras_model, config)
    assert built == [1], "an intact copy is used as it is"
    weights = folder / "model.bin"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert not intact(folder)
    again = openvino_net(spec, keras_model, config)
    assert built == [1, 1] and intact(folder)
    crops = np.full((1, 64, 64, 1), 200, np.uint8)
    assert np.isfinite(again(crops)).all()
    # Other weights are another network: a retrained recognizer is converted anew.
    assert net_key(recognizer_net(weights_digest(config))) != net_key(spec)


def test_openvino_sends_no_telemetry_and_forks_nothing(tmp_path):
    # Importing openvino starts its converter's telemetry, which forks a process to send a
    # usage event to Google Analytics: under eventlet that fork was a second server on
    # the same port, which closed visitors' connections when it exited.
    script = (
        "import os, sys\n"
        "forks = []\n"
        "os.register_at_fork(before=lambda: forks.append(1))\n"
        "from stream_ocr.config import EngineConfig\n"
        "from stream_ocr.engines import create_engine\n"
        f"engine = create_engine(EngineConfig(runtime='openvino', cache_dir={str(tmp_path)!r}))\n"
        "engine.read(__import__('numpy').full((64, 64, 3), 255, 'uint8'))\n"
        "import time; time.sleep(2)\n"
        "print(len(forks), sys.modules.get('openvino_telemetry') is None)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path)}  # no consent file: telemetry's default is to send
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["0", "True"], out.stdout
    assert not (tmp_path / "intel").exists()  # nor did it write its consent folder
