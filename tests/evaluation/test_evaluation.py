import numpy as np
import pytest

from stream_ocr.evaluation.images import (
    GroundTruthBox,
    read_icdar_gt,
    score_page,
    score_words,
    split_into_words,
)
from stream_ocr.geometry import polygon_iou
from stream_ocr.step.lines import reading_order
from stream_ocr.tracking.similarity import edit_distance
from stream_ocr.types import Detection


def box(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def gt(x0, y0, x1, y1, text):
    return GroundTruthBox(np.array(box(x0, y0, x1, y1), dtype=np.float32), text)


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("same", "same") == 0


def test_iou():
    assert polygon_iou(np.array(box(0, 0, 10, 10)), np.array(box(0, 0, 10, 10))) == pytest.approx(1.0)
    assert polygon_iou(np.array(box(0, 0, 10, 10)), np.array(box(5, 0, 15, 10))) == pytest.approx(1 / 3)
    assert polygon_iou(np.array(box(0, 0, 1, 1)), np.array(box(5, 5, 6, 6))) == 0.0


def test_hit_is_case_and_end_punctuation_insensitive():
    truth = [gt(0, 0, 100, 20, "Exit")]
    s = score_words([Detection(box(0, 0, 100, 20), "EXIT!", 0.9)], truth)
    assert (s.hits, s.predictions, s.ground_truth) == (1, 1, 1)


def test_wrong_text_is_a_detection_but_no_hit():
    truth = [gt(0, 0, 100, 20, "Exit")]
    s = score_words([Detection(box(0, 0, 100, 20), "Exlt", 0.9)], truth)
    assert s.hits == 0 and s.detection_hits == 1 and s.predictions == 1
    assert s.cer == pytest.approx(0.25)


def test_dont_care_boxes_are_ignored():
    truth = [gt(0, 0, 100, 20, "###"), gt(0, 50, 100, 70, "Open")]
    s = score_words([Detection(box(0, 0, 100, 20), "zzz", 0.9)], truth)
    assert s.predictions == 0 and s.ground_truth == 1


def test_matching_is_one_to_one():
    truth = [gt(0, 0, 100, 20, "Open")]
    dets = [Detection(box(0, 0, 100, 20), "Open", 0.9), Detection(box(1, 0, 101, 20), "Open", 0.8)]
    s = score_words(dets, truth)
    assert s.hits == 1 and s.predictions == 2


def test_line_boxes_are_split_into_words():
    words = split_into_words(Detection(box(0, 0, 110, 10), "ab cdefgh", 0.5))
    assert [w.text for w in words] == ["ab", "cdefgh"]
    assert words[0].bbox[2] < words[1].bbox[0]
    s = score_words(
        [Detection(box(0, 0, 90, 10), "ab cdefg", 0.5)], [gt(0, 0, 20, 10, "ab"), gt(30, 0, 90, 10, "cdefg")]
    )
    assert s.hits == 2


def test_read_gt_with_bom_crlf_and_commas(tmp_path):
    p = tmp_path / "gt.txt"
    p.write_bytes("\ufeff1,2,3,4,5,6,7,8,Hello, world\r\n9,9,9,9,9,9,9,9,###\r\n".encode())
    boxes = read_icdar_gt(p)
    assert [b.text for b in boxes] == ["Hello, world", "###"]
    assert boxes[0].points.shape == (4, 2) and not boxes[1].legible


def test_reading_order_follows_text_direction():
    upright = [
        Detection(box(60, 0, 100, 10), "b", 1.0),
        Detection(box(0, 0, 50, 10), "a", 1.0),
        Detection(box(0, 20, 50, 30), "c", 1.0),
    ]
    assert [d.text for d in reading_order(upright)] == ["a", "b", "c"]

    # The same page turned 180 degrees: points start at the text's top-left, now bottom-right.
    def turn(d):
        pts = [(200 - x, 200 - y) for x, y in d.points]
        return Detection(tuple(pts), d.text, 1.0)

    assert [d.text for d in reading_order([turn(d) for d in upright])] == ["a", "b", "c"]


def test_page_score():
    dets = [Detection(box(0, 0, 50, 10), "Hello", 1.0), Detection(box(60, 0, 100, 10), "world", 1.0)]
    s = score_page(dets, "Hello\nworld\n")
    assert s.cer == 0 and s.word_recall == 1.0 and s.word_precision == 1.0
    assert score_page(dets[:1], "Hello world").word_recall == 0.5
