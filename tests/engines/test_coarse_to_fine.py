"""The detector's two passes, with real models: text found on a coarse copy, boxed at full scale."""

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from stream_ocr.config import EngineConfig
from stream_ocr.engines.base import read_lines
from stream_ocr.engines.coarse_to_fine import boxed_at_coarse, grown_regions, padded_regions
from stream_ocr.geometry import merge_boxes, region_area

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

pytestmark = pytest.mark.slow


def overlay_frame(texture_seed=3):
    """A 1280x720 textured frame with a title 50 px high and two captions about 9 px high in
    its bottom corners (a camera's name and a timecode)."""
    rng = np.random.default_rng(texture_seed)
    frame = cv2.GaussianBlur(rng.integers(40, 120, (720, 1280, 3), dtype=np.uint8), (0, 0), 4)
    white = (255, 255, 255)
    cv2.putText(frame, "QUARTERLY REPORT", (120, 200), cv2.FONT_HERSHEY_DUPLEX, 2.4, white, 5, cv2.LINE_AA)
    cv2.putText(frame, "REC 00:12:34", (1040, 690), cv2.FONT_HERSHEY_SIMPLEX, 0.42, white, 1, cv2.LINE_AA)
    cv2.putText(frame, "Camera North Gate", (40, 690), cv2.FONT_HERSHEY_SIMPLEX, 0.42, white, 1, cv2.LINE_AA)
    return frame


class PixelsGiven:
    """Counts the pixels the detector's model is given, call by call."""

    def __init__(self, detector):
        self.detector = detector
        self.calls = []

    def __enter__(self):
        self.score_maps = self.detector.score_maps
        self.detector.score_maps = lambda batch: (
            self.calls.append(batch.shape[1] * batch.shape[2]),
            self.score_maps(batch),
        )[1]
        return self

    def __exit__(self, *exc):
        self.detector.score_maps = self.score_maps


def read(engine, frame, craft_finds=False, **config):
    """``engine``'s lines of ``frame`` with its detector's config changed for this read (and
    CRAFT as its own finder if ``craft_finds``), and the pixels CRAFT was given."""
    engine.reserve(frame.shape)  # CRAFT's one-off run at a new largest size is not counted
    before, finder = engine.detector.config, engine.detector.finder
    engine.detector.config = replace(before, **config)
    if craft_finds:
        engine.detector.finder = None
    try:
        with PixelsGiven(engine.detector) as given:
            result = read_lines(engine, frame)
    finally:
        engine.detector.config, engine.detector.finder = before, finder
    return [line.text for line in result.lines], sum(given.calls), result


def test_the_default_engine_reads_in_two_passes(keras_engine):
    detector = keras_engine.detector
    assert keras_engine.config.detect_coarse_side == EngineConfig.detect_coarse_side > 0
    assert EngineConfig.coarse_finder == "ppocr" and detector.finder is not None
    assert detector.coarse_scale(1.0, 720, 1280) == pytest.approx(EngineConfig.detect_coarse_side / 1280)
    # A 1920x1080 frame is seen at 1280 and found at 768; so is a 960x540 one (the finder
    # costs a tenth of CRAFT); a 640x480 one is read in one pass.
    assert detector.coarse_scale(2 / 3, 1080, 1920) == pytest.approx(768 / 1920)
    assert detector.coarse_scale(1.0, 540, 960) == pytest.approx(768 / 960)
    assert detector.coarse_scale(1.0, 480, 640) is None
    # CRAFT as its own finder: its coarse copy of a 960x540 frame would hold 64% of the
    # pixels, so one pass.
    finder, detector.finder = detector.finder, None
    try:
        assert detector.coarse_scale(1.0, 540, 960) is None
    finally:
        detector.finder = finder


@pytest.mark.parametrize("craft_finds", [False, True], ids=["text finder", "CRAFT finds"])
def test_two_passes_read_small_captions_as_one_pass_does_on_fewer_pixels(keras_engine, craft_finds):
    frame = overlay_frame()
    one, one_pixels, _ = read(keras_engine, frame, detect_coarse_side=0)
    two, two_pixels, result = read(keras_engine, frame, craft_finds=craft_finds)
    assert "QUARTERLY REPORT" in one and "REC 00:12:34" in one, one  # the frame is legible
    # The 9 px captions are about 5 px high on the coarse copy, too small for a box there, yet
    # found there, and boxed and read at full scale like the one pass's.
    assert sorted(two) == sorted(one), (one, two)
    assert one_pixels == 1280 * 768
    assert two_pixels < one_pixels, (two_pixels, one_pixels)
    assert result.timings_ms["detect_coarse"] > 0


def test_the_text_finder_finds_every_word_one_full_pass_boxes_in_a_real_video(keras_engine):
    """On real frames of a sample video (960x540 street signs, a quarter, half and three
    quarters in), every word CRAFT boxes in one full pass lies inside the regions the finder
    hands to the second pass, and those cover under half of each frame."""
    detector = keras_engine.detector
    capture = cv2.VideoCapture(str(SAMPLES / "signs.mp4"))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    words = 0
    for index in (count // 4, count // 2, 3 * count // 4):
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
        assert ok
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        before = detector.config
        detector.config = replace(before, detect_coarse_side=0)
        try:
            boxes = detector.detect(rgb)
        finally:
            detector.config = before
        words += len(boxes)
        found = padded_regions(detector.finder.find(rgb, 768 / 960), rgb.shape, detector.find)
        assert found and region_area(found) < 0.5 * 960 * 540, found
        for word in boxes:
            cx, cy = word.mean(axis=0)
            assert any(x0 <= cx < x1 and y0 <= cy < y1 for x0, y0, x1, y1 in found), (index, word, found)
    capture.release()
    assert words >= 8, words


def test_a_frame_without_text_costs_the_coarse_pass_only(keras_engine):
    # A flat frame: the finder finds nothing, and CRAFT never runs.
    frame = np.full((720, 1280, 3), 128, dtype=np.uint8)
    lines, pixels, result = read(keras_engine, frame)
    assert lines == []
    assert pixels == 0
    assert result.timings_ms["detect_model"] == 0.0
    assert result.timings_ms["detect_coarse"] > 0
    # A plain gradient (a clear sky) and a white frame (a blank slide): the network gives
    # them faint probabilities, but over flat pixels, which hold nothing to read.
    frame[:] = np.linspace(60, 200, 1280)[None, :, None].astype(np.uint8)
    assert read(keras_engine, frame)[:2] == ([], 0)
    assert read(keras_engine, np.full((720, 1280, 3), 255, dtype=np.uint8))[:2] == ([], 0)
    # CRAFT as its own finder, on a blurred texture: its coarse copy only.
    rng = np.random.default_rng(5)
    frame = cv2.GaussianBlur(rng.integers(40, 120, (720, 1280, 3), dtype=np.uint8), (0, 0), 4)
    lines, pixels, _ = read(keras_engine, frame, craft_finds=True)
    assert lines == []
    side = EngineConfig.detect_coarse_side
    assert pixels == side * -(-round(side * 720 / 1280) // 64) * 64


def test_text_over_most_of_the_frame_is_boxed_in_one_full_pass(keras_engine):
    """Past ``coarse_max_share`` of the frame, the regions would cost more than the frame."""
    frame = overlay_frame()
    _, pixels, _ = read(keras_engine, frame, coarse_max_share=0.01)
    assert pixels == 1280 * 768
    _, pixels, _ = read(keras_engine, frame, craft_finds=True, coarse_max_share=0.01)
    side = EngineConfig.detect_coarse_side
    coarse = side * -(-round(side * 720 / 1280) // 64) * 64
    assert pixels == coarse + 1280 * 768


def test_big_text_keeps_its_coarse_boxes_and_small_text_is_boxed_at_full_scale(keras_engine):
    """With CRAFT as its own finder and ``coarse_box_height``, the 50 px title is boxed from
    the coarse pass alone; the 9 px captions, too small for a coarse box, still get the
    full-scale pass. Same lines."""
    frame = overlay_frame()
    assert EngineConfig.coarse_box_height == 28
    every, every_pixels, _ = read(keras_engine, frame, craft_finds=True, coarse_box_height=0)
    big, big_pixels, _ = read(keras_engine, frame, craft_finds=True)
    assert sorted(big) == sorted(every), (every, big)
    assert "QUARTERLY REPORT" in big and "REC 00:12:34" in big, big
    assert big_pixels < every_pixels, (big_pixels, every_pixels)


def test_rectangles_that_meet_are_merged_until_none_meet():
    # (0,0)-(10,10) meets (10,5)-(20,20) by its edge, which meets (19,19)-(30,30); (50,50) is apart.
    rects = [(19, 19, 30, 30), (50, 50, 60, 60), (0, 0, 10, 10), (10, 5, 20, 20)]
    assert merge_boxes(rects) == [(0, 0, 30, 30), (50, 50, 60, 60)]


def test_regions_grow_to_few_shapes_inside_the_frame():
    shape = (720, 1280, 3)
    # A word near the right edge grows to 128 x 128, shifted to stay inside the frame.
    assert grown_regions([(1200, 10, 1280, 20)], 128, shape) == [(1152, 0, 1280, 128)]
    # Two that meet once grown are merged, and the merged one grown again.
    merged = grown_regions([(100, 100, 150, 120), (200, 100, 260, 120)], 128, shape)
    assert len(merged) == 1
    x0, y0, x1, y1 = merged[0]
    assert (x1 - x0) % 128 == 0 and (y1 - y0) % 128 == 0
    assert x0 <= 100 and x1 >= 260 and 0 <= y0 <= 100 and y1 >= 120
    # A side longer than the frame's is the frame's.
    assert grown_regions([(0, 0, 1280, 700)], 128, shape) == [(0, 0, 1280, 720)]


def box(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def test_a_region_keeps_its_coarse_boxes_only_when_all_its_text_is_big_and_boxed():
    region = (0, 0, 512, 256)
    big = [box(10, 10, 200, 50), box(220, 10, 400, 52)]  # 40 px high
    components = [(8, 8, 202, 52), (218, 8, 402, 54)]
    assert boxed_at_coarse(region, components, big, 28) == big
    # One small word among them: the region is boxed again at the full scale.
    small = big + [box(10, 100, 80, 116)]
    assert boxed_at_coarse(region, components + [(8, 98, 82, 118)], small, 28) is None
    # Text the coarse pass found but could not box (too faint): boxed again.
    assert boxed_at_coarse(region, components + [(300, 150, 420, 190)], big, 28) is None
    # No box at all, or the mode off by a height no box reaches: boxed again.
    assert boxed_at_coarse(region, components, [], 28) is None
    assert boxed_at_coarse(region, components, big, 41) is None
    # Boxes and components of other regions do not count.
    other = big + [box(600, 10, 640, 20)]
    assert boxed_at_coarse(region, components + [(598, 8, 642, 22)], other, 28) == big
