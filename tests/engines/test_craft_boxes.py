"""CRAFT's maps to word boxes without TensorFlow: the same boxes as keras-ocr's getBoxes,
on real score maps of real images."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from stream_ocr.engines.craft_boxes import word_boxes
from stream_ocr.engines.keras_ocr_compat import import_keras_ocr
from stream_ocr.sources.images import read_image

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ROOT.parent / "shared" / "eval" / "icdar2015-train" / "images"
THRESHOLDS = {"detection_threshold": 0.7, "text_threshold": 0.4, "link_threshold": 0.4, "size_threshold": 10}


def real_images():
    yield "coffee_sign", read_image(ROOT / "samples" / "coffee_sign.jpg")
    capture = cv2.VideoCapture(str(ROOT / "samples" / "signs.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 200)
    ok, frame = capture.read()
    capture.release()
    assert ok
    yield "signs", frame
    for n in range(7, 1000, 70):  # 15 training photos, crowded and sparse
        yield f"img_{n}", read_image(TRAINING / f"img_{n}.jpg")


def test_word_boxes_are_keras_ocr_s_boxes_on_real_maps(keras_engine):
    get_boxes = import_keras_ocr().detection.getBoxes
    detector = keras_engine.detector
    compared = 0
    for name, frame in real_images():
        batch, _ = detector.prepare(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), 1.0)
        maps = detector.score_maps(batch)
        ours = word_boxes(maps[0], **THRESHOLDS)
        (theirs,) = get_boxes(maps, **THRESHOLDS)
        assert len(ours) == len(theirs), name
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, atol=1e-4, err_msg=name)
        compared += len(ours)
    assert compared >= 50, compared
