"""Words to lines and blocks: synthetic boxes for the geometry, real frames for the real thing."""

import math

import cv2
import pytest

from stream_ocr.engines.base import read_lines
from stream_ocr.step.junk import is_junk_word
from stream_ocr.step.lines import blocks, group_lines
from stream_ocr.types import Detection

from ..conftest import SAMPLES


def word(x, y, text, w=None, h=30, conf=0.95):
    w = w or 18 * len(text)
    return Detection(((x, y), (x + w, y), (x + w, y + h), (x, y + h)), text, conf)


def subtitle_words():
    # Two centred lines of a subtitle, words given out of order as a detector does.
    top = [word(180, 276, "We"), word(222, 276, "should"), word(340, 276, "leave"), word(440, 276, "before")]
    bottom = [word(192, 308, "the"), word(250, 308, "rain"), word(330, 308, "starts"), word(450, 308, "again.")]
    return [top[2], bottom[1], top[0], bottom[3], top[3], bottom[0], top[1], bottom[2]]


def test_words_become_lines_in_reading_order_and_a_block():
    lines = group_lines(subtitle_words())
    assert [line.text for line in lines] == ["We should leave before", "the rain starts again."]
    assert [len(line.words) for line in lines] == [4, 4]
    assert lines[0].block == lines[1].block
    (block,) = blocks(lines)
    assert len(block) == 2
    x0, y0, x1, y1 = lines[0].bbox
    assert (x0, y0) == (180, 276) and x1 == 440 + 18 * 6 and y1 == 306


def test_columns_far_apart_and_lines_far_apart_stay_apart():
    words = [word(20, 20, "Left"), word(100, 20, "column"), word(500, 20, "Right"), word(20, 300, "Footer")]
    lines = group_lines(words)
    assert [line.text for line in lines] == ["Left column", "Right", "Footer"]
    assert len({line.block for line in lines}) == 3


def test_different_heights_do_not_share_a_line():
    lines = group_lines([word(20, 20, "BIG", h=90), word(110, 50, "small", h=20)])
    assert len(lines) == 2


def test_a_closing_word_of_x_height_letters_alone_stays_in_its_line():
    """A film's subtitle line: "bigger" is boxed from its ascender to its descender, "one."
    (no letter above the x-height or below the baseline) half as high. It was a line, and a
    cue, of its own."""
    words = [
        word(462, 632, "making", w=120, h=53),
        word(590, 641, "a", w=20, h=33),
        word(622, 632, "bigger", w=119, h=53),
    ]
    lines = group_lines([*words, word(745, 645, "one.", w=74, h=28)])
    assert [line.text for line in lines] == ["making a bigger one."]
    # Text of x-height letters far smaller than its neighbour, or outside its rows, is other text.
    assert len(group_lines([word(20, 20, "BIG", h=90), word(110, 50, "sun", h=20)])) == 2
    assert len(group_lines([*words, word(745, 672, "one.", w=74, h=28)])) == 2


@pytest.mark.parametrize("degrees", [90, 180, -90])
def test_a_turned_page_groups_the_same(degrees):
    angle = math.radians(degrees)

    def turn(d):
        pts = tuple(
            (x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)) for x, y in d.points
        )
        return Detection(pts, d.text, d.confidence)

    lines = group_lines([turn(d) for d in subtitle_words()])
    assert [line.text for line in lines] == ["We should leave before", "the rain starts again."]


def test_junk_words_leave_their_line_and_a_lone_unsure_character_goes():
    words = [word(20, 20, "Fixed"), word(120, 20, "a", conf=0.8), word(150, 20, "crash"), word(400, 200, "3", conf=0.8)]
    words.append(word(20, 100, "Tiemj^"))
    lines = group_lines(
        words,
        junk_word=lambda w: "^" in w.text,
        junk_line=lambda line: len(line.text) == 1 and line.confidence < 0.9,
    )
    assert [line.text for line in lines] == ["Fixed a crash"]


@pytest.mark.slow
def test_real_subtitle_frame_reads_as_two_lines_in_one_block(keras_engine):
    capture = cv2.VideoCapture(str(SAMPLES / "subtitles.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 9000)  # "We should leave before / the rain starts again."
    ok, frame = capture.read()
    assert ok
    result = read_lines(keras_engine, frame)
    subtitle = [line for line in result.lines if line.bbox[1] > 250]
    assert [line.text.rstrip(".:;") for line in subtitle] == ["We should leave before", "the rain starts again"]
    assert subtitle[0].block == subtitle[1].block
    assert result.text.splitlines()[-2:] == [line.text for line in subtitle]


def test_a_dialogue_dash_and_an_ellipsis_stay_in_a_line_of_words():
    # A lone "-" or "..." is no junk where the line holds real words.
    words = [word(100, 50, "-", w=12), word(130, 50, "Every"), word(230, 50, "line"), word(310, 50, "...", w=20)]
    lines = group_lines(words, junk_word=lambda w: is_junk_word(w))
    assert [line.text for line in lines] == ["- Every line ..."]


def test_an_ampersand_between_words_stays_and_alone_is_no_line():
    words = [word(100, 50, "FAST"), word(200, 50, "&", w=16), word(230, 50, "LIGHT"), word(100, 200, "&", w=16)]
    lines = group_lines(words, junk_word=lambda w: is_junk_word(w))
    assert [line.text for line in lines] == ["FAST & LIGHT"]


@pytest.mark.slow
def test_the_ampersand_of_the_product_sample_is_read(keras_engine):
    capture = cv2.VideoCapture(str(SAMPLES / "product.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 2000)
    ok, frame = capture.read()
    assert ok
    assert "FAST & LIGHT" in [line.text for line in read_lines(keras_engine, frame).lines]


def test_punctuation_alone_is_no_line():
    lines = group_lines([word(100, 50, "-", w=12), word(100, 200, "...", w=20)], junk_word=lambda w: is_junk_word(w))
    assert lines == ()


def test_a_word_with_a_closing_ellipsis_is_no_junk():
    assert not is_junk_word(word(0, 0, "me..."))
    assert not is_junk_word(word(0, 0, "'O.R.'"))
    assert is_junk_word(word(0, 0, "~^|"))
