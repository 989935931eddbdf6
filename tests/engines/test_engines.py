"""The engine contract, with real models: frame checks, odd sizes, colour order, Pipeline compatibility."""

import cv2
import numpy as np
import pytest

from stream_ocr.engines import ENGINES, create_engine, engine_info
from stream_ocr.engines.base import read_lines
from stream_ocr.engines.english_g2 import even_case
from stream_ocr.errors import BadInputError, EngineUnavailableError
from stream_ocr.sources.images import read_image

from ..conftest import ROOT, SAMPLES

SIGN_WORDS = {"FRESH", "COFFEE", "OPEN", "DAILY"}

pytestmark = pytest.mark.slow


def words(result):
    return {d.text.upper() for d in result.detections}


def test_unknown_engine_lists_the_choices():
    with pytest.raises(EngineUnavailableError, match="keras-ocr, rapidocr"):
        engine_info("tesseract")


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((0, 10, 3), np.uint8),
        np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 4), np.uint8),
        np.zeros((10, 10, 3), np.float32),
        [[1, 2, 3]],
    ],
    ids=["empty", "2d", "4-channel", "float", "list"],
)
def test_bad_frames_are_refused(keras_engine, frame):
    with pytest.raises(BadInputError):
        keras_engine.read(frame)


@pytest.mark.parametrize("shape", [(1, 1, 3), (17, 1001, 3), (333, 77, 3), (720, 1280, 3)])
def test_blank_frames_of_odd_sizes_have_no_text(keras_engine, shape):
    result = read_lines(keras_engine, np.full(shape, 255, np.uint8))
    assert result.detections == ()
    assert (result.width, result.height) == (shape[1], shape[0])


def test_reads_the_sample_photo(keras_engine):
    frame = read_image(SAMPLES / "coffee_sign.jpg")
    result = read_lines(keras_engine, frame)
    assert words(result) >= SIGN_WORDS
    h, w = frame.shape[:2]
    for det in result.detections:
        assert all(0 <= x <= w and 0 <= y <= h for x, y in det.points)
        assert det.confidence is not None and 0 <= det.confidence <= 1
    assert {"detect_model", "recognize", "total"} <= set(result.timings_ms)


def test_a_read_of_several_regions_times_every_region(keras_engine):
    """Per-stage timings add up over a frame's regions (each region used to overwrite the
    one before, and a read of four regions showed a fifth of its time)."""
    frame = read_image(SAMPLES / "coffee_sign.jpg")
    h, w = frame.shape[:2]
    quarters = [(x, y, x + w // 2, y + h // 2) for x in (0, w // 2) for y in (0, h // 2)]
    timings = keras_engine.read(frame, quarters).timings_ms
    stages = sum(ms for stage, ms in timings.items() if stage != "total")
    assert 0.7 * timings["total"] <= stages <= timings["total"], timings


def test_boxes_follow_a_scaled_frame(keras_engine):
    frame = read_image(SAMPLES / "coffee_sign.jpg")
    big = cv2.resize(frame, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    small_boxes = {d.text: d.bbox for d in read_lines(keras_engine, frame).detections}
    compared = 0
    for det in read_lines(keras_engine, big).detections:
        if det.text in small_boxes:
            x0, y0, x1, y1 = small_boxes[det.text]
            assert det.bbox[0] == pytest.approx(2 * x0, abs=12)
            assert det.bbox[2] == pytest.approx(2 * x1, abs=12)
            compared += 1
    # The sign's words are read alike at both sizes: most boxes are compared, not none.
    assert len(small_boxes) >= len(SIGN_WORDS) and compared >= 0.75 * len(small_boxes), (compared, small_boxes)


def test_engine_converts_bgr_to_rgb(keras_engine):
    # A red sign on blue: the detector's input normalisation is per channel, so a
    # swapped colour order changes the score maps. Equal results for the frame and its
    # own copy, and different maps for the channel-swapped frame, show the order matters
    # and that the engine feeds it one fixed way.
    frame = read_image(SAMPLES / "coffee_sign.jpg")
    batch, _ = keras_engine.detector.prepare(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    rgb_maps = keras_engine.detector.score_maps(batch)
    bgr_maps = keras_engine.detector.score_maps(batch[..., ::-1].copy())
    assert np.abs(rgb_maps - bgr_maps).max() > 1e-3
    assert words(read_lines(keras_engine, frame)) >= SIGN_WORDS


@pytest.mark.parametrize("quality", [75, 90])
@pytest.mark.parametrize("word", ["HELLO", "MOON", "SOS", "NOON"])
def test_a_tightly_boxed_word_reads_upright(keras_engine, word, quality):
    # Words that still look like text when turned (HELLO upside down reads "0773H") must
    # not lose to that reading just because the tight crop reads less confidently. (A
    # lone such word that is really upside down is ambiguous; whole pages turned upside
    # down are covered in test_accuracy.)
    frame = np.full((240, 320, 3), 255, np.uint8)
    cv2.putText(frame, word, (40, 140), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (0, 0, 0), 6)
    frame = cv2.imdecode(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)
    assert [d.text.upper() for d in read_lines(keras_engine, frame).detections] == [word]


def test_one_glyph_of_another_script_does_not_turn_the_frame_over(keras_engine):
    # subtitles.mp4 at 11.4 s: "Where are my keys?" under a Chinese line. The Chinese
    # glyphs read better upside down; the English words read well upright and fairly
    # well upside down. The frame must be read upright.
    capture = cv2.VideoCapture(str(SAMPLES / "subtitles.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 11400)
    ok, frame = capture.read()
    assert ok
    texts = [line.text for line in read_lines(keras_engine, frame).lines]
    assert "Where are my keys?" in texts, texts


def test_recognizer_works_inside_stock_keras_ocr_pipeline(keras_engine):
    from stream_ocr.engines.craft import build_craft_keras_model
    from stream_ocr.engines.keras_ocr_compat import import_keras_ocr

    keras_ocr = import_keras_ocr()
    detector = keras_ocr.detection.Detector(weights=None)
    detector.model = build_craft_keras_model(keras_engine.config)
    pipeline = keras_ocr.pipeline.Pipeline(detector=detector, recognizer=keras_engine.recognizer, scale=1)
    rgb = cv2.cvtColor(read_image(SAMPLES / "coffee_sign.jpg"), cv2.COLOR_BGR2RGB)
    (predictions,) = pipeline.recognize([rgb])
    assert {text.upper() for text, _box in predictions} >= SIGN_WORDS


def test_rapidocr_reads_the_sample(rapid_engine):
    result = read_lines(rapid_engine, read_image(SAMPLES / "coffee_sign.jpg"))
    text = " ".join(d.text.upper() for d in result.detections)
    for word in SIGN_WORDS:
        assert word in text
    assert result.engine == "rapidocr"


def test_rapidocr_reads_a_region_at_the_frame_s_scale(rapid_engine):
    """A strip of the frame is read as the whole frame reads it, not blown up: RapidOCR
    scales an image's short side up to 736 px, which made a 135 px strip of this 960x640
    photo 5.5x larger on each side where the frame is seen at 1.15x."""
    frame = read_image(SAMPLES / "coffee_sign.jpg")
    h, w = frame.shape[:2]
    whole = {d.text: d.bbox for d in read_lines(rapid_engine, frame).detections}
    detector = rapid_engine._detector()
    seen = []
    run = detector.session
    detector.session = lambda batch: (seen.append(batch.shape), run(batch))[1]
    try:
        for text, (x0, y0, x1, y1) in whole.items():
            region = (0, int(y0) - 20, w, int(y1) + 20)
            (read,) = read_lines(rapid_engine, frame, [region]).detections
            assert read.text == text
            assert read.bbox == pytest.approx((x0, y0, x1, y1), abs=4)
    finally:
        detector.session = run
    scale = rapid_engine.frame_scale(h, w)
    for _, _, height, width in seen:
        assert width <= 1.05 * scale * w and height <= 1.3 * scale * 175, (seen, scale)


def test_registry_names_match_engines():
    for name, info in ENGINES.items():
        assert info.name == name


def test_kurapan_without_weights_says_what_to_do(tmp_path, monkeypatch):
    from stream_ocr.config import EngineConfig

    monkeypatch.setenv("KERAS_OCR_CACHE_DIR", str(tmp_path))
    with pytest.raises(Exception, match="crnn_kurapan.h5.*allow-download"):
        create_engine(EngineConfig(recognizer="kurapan", warmup=False))


@pytest.mark.parametrize(
    "count, batch_size, sizes",
    [(0, 32, []), (1, 32, [1]), (13, 32, [8, 4, 1]), (70, 32, [32, 32, 4, 2]), (7, 6, [6, 1])],
)
def test_recognizer_batches_are_few_shapes_with_no_blank_rows(count, batch_size, sizes):
    from stream_ocr.engines.english_g2 import chunk_sizes

    assert chunk_sizes(count, batch_size) == sizes


def test_no_recognizer_batch_is_wider_than_the_cap_and_every_crop_is_read_once():
    """Whole subtitle lines are up to 1536 px wide: 32 of them in one batch would make the
    runtime keep buffers for 32 x 1536 columns for the rest of the process."""
    import numpy as np

    from stream_ocr.engines.english_g2 import MAX_BATCH_COLUMNS, NUM_CLASSES, EnglishG2Recognizer

    batches = []

    def class_probs(batch):
        batches.append(batch.shape)
        # Each row's pixel value comes back in every time step, to check the order.
        return np.repeat(batch[:, 0, : batch.shape[2] // 4, 0, None].astype(np.float32), NUM_CLASSES, axis=2)

    recognizer = EnglishG2Recognizer(class_probs, batch_size=32)
    rng = np.random.default_rng(0)
    widths = [int(w) for w in rng.integers(20, 1537, 70)] + [1536] * 20  # crops are cut at most 1536 wide
    crops = [np.full((64, w), i % 250, np.uint8) for i, w in enumerate(widths)]
    scores = recognizer.class_scores(crops)
    assert all(n * w <= MAX_BATCH_COLUMNS for n, _, w, _ in batches), batches
    assert sum(n for n, *_ in batches) == len(crops)
    for i, (crop, probs) in enumerate(zip(crops, scores)):
        assert probs.shape[0] == max(1, crop.shape[1] // 4)
        assert float(probs[0, 0]) == i % 250
    recognizer.reserve()
    assert batches[-1][0] * batches[-1][2] == MAX_BATCH_COLUMNS


def test_crop_widths_go_to_the_smallest_bucket_that_holds_them():
    from stream_ocr.engines.english_g2 import WIDTH_BUCKETS, bucket

    assert [bucket(w, WIDTH_BUCKETS) for w in (1, 64, 65, 200, 1536, 5000)] == [64, 64, 128, 256, 1536, 1536]


def test_recognizer_weights_are_checked(tmp_path, keras_engine):
    from stream_ocr.engines.english_g2 import SHIPPED_WEIGHTS, build_model, load_finetuned, set_shipped_weights
    from stream_ocr.engines.keras_ocr_compat import import_keras_ocr
    from stream_ocr.errors import WeightsError

    model = build_model(import_keras_ocr().detection.keras)
    with pytest.raises(WeightsError, match="missing"):
        set_shipped_weights(model, tmp_path / "nope.npz")
    with pytest.raises(WeightsError, match="missing"):
        load_finetuned(model, tmp_path / "nope.npz", "", 0.5)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, np.zeros(3))
    with pytest.raises(WeightsError, match="does not fit"):
        load_finetuned(model, wrong, "", 0.5)
    with pytest.raises(WeightsError, match="sha256"):
        set_shipped_weights(model, wrong)
    with pytest.raises(WeightsError, match="between 0 and 1"):
        load_finetuned(model, SHIPPED_WEIGHTS, "", 1.5)
    assert keras_engine.config.recognizer_weights == "video"


def test_the_shipped_recognizer_is_the_release_blended_with_the_training_and_reads_no_pickle(monkeypatch):
    """tools/convert_recognizer.py was re-run after the last retraining (its output is the
    file shipped), and the default recognizer loads it without reading any pickle."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from convert_recognizer import FINETUNED_SHA256, FINETUNED_WEIGHTS, blended_weights

    from stream_ocr.config import EngineConfig
    from stream_ocr.engines import english_g2, torch_checkpoint

    expected = blended_weights(FINETUNED_WEIGHTS, sha256=FINETUNED_SHA256)

    def no_pickle(*args, **kwargs):
        raise AssertionError("a .pth pickle was read")

    monkeypatch.setattr(english_g2, "load_state_dict", no_pickle)
    monkeypatch.setattr(torch_checkpoint, "load_state_dict", no_pickle)
    recognizer = english_g2.EnglishG2Recognizer.load(EngineConfig(runtime="tensorflow"))
    shipped = recognizer.model.get_weights()
    assert len(shipped) == len(expected) and all(np.array_equal(a, b) for a, b in zip(shipped, expected))


@pytest.mark.parametrize(
    "read, expected",
    [
        ("oCr", "ocr"),  # the printed page's "ocr", as the recognizer trained on display type read it
        ("cOFFEE", "COFFEE"),
        ("cOffee", "coffee"),
        ("Coffee", "Coffee"),  # a capital first letter stays
        ("sALES uP", "SALES uP"),
        ("iPhone", "iPhone"),  # the other letters mix cases: left as read
        ("McDonald's", "McDonald's"),
        ("I've decided, Rem.", "I've decided, Rem."),
        ("It's 12:05", "It's 12:05"),
        ("WoW", "WoW"),  # no letter tells
    ],
)
def test_letters_whose_case_is_a_guess_take_their_words_case(read, expected):
    assert even_case(read) == expected
