"""FrameStep after the engine: plain words in, lines out, junk dropped, tracks across frames.

No model: an engine that returns the words it is given. What it proves is the stage
order (engine -> lines -> tracker), not anything about OCR.
"""

import numpy as np

from stream_ocr.engines.base import Engine
from stream_ocr.step.change import ChangeConfig
from stream_ocr.step.frame_step import FrameStep, StepConfig
from stream_ocr.step.lines import TextConfig
from stream_ocr.types import Detection, Line


def word(x, y, text, conf=0.95, h=30):
    w = 18 * len(text)
    return Detection(((x, y), (x + w, y), (x + w, y + h), (x, y + h)), text, conf)


class GivenWords(Engine):
    """Returns the words it was given for each frame, as an engine returns its words."""

    name = "given"

    def __init__(self, frames, text_config=None):
        super().__init__(text_config=text_config)
        self.frames = list(frames)

    def _read(self, frame, timings):
        return list(self.frames.pop(0))


def frame(k):
    image = np.zeros((360, 640, 3), np.uint8)
    image[k * 10 : k * 10 + 5] = 255  # each frame differs, so each is read
    return image


EVERY_FRAME = StepConfig(change=ChangeConfig(enabled=False))


def test_the_engines_words_become_lines_in_the_step_with_junk_left_out():
    words = [word(200, 100, "world"), word(100, 100, "Hello"), word(400, 100, "~#%&"), word(100, 250, "Exit")]
    engine = GivenWords([words, words])
    result = engine.read(frame(0))
    assert result.lines == ()  # the engine gives words only
    assert {d.text for d in result.detections} == {"Hello", "world", "~#%&", "Exit"}

    out = FrameStep(engine, EVERY_FRAME)(frame(0), 0.0)
    assert [line.text for line in out.lines] == ["Hello world", "Exit"]
    assert all(isinstance(line, Line) and not isinstance(line, Detection) for line in out.lines)
    assert [w.text for w in out.lines[0].words] == ["Hello", "world"]
    assert all(line.track_id is not None for line in out.lines)


def test_unsure_words_leave_their_line_by_the_text_config_the_step_is_given():
    words = [word(100, 100, "Sure"), word(200, 100, "maybe", conf=0.3)]
    loose = FrameStep(GivenWords([words]), EVERY_FRAME)(frame(0), 0.0)
    strict = FrameStep(GivenWords([words]), EVERY_FRAME, text=TextConfig(min_confidence=0.5))(frame(0), 0.0)
    assert [line.text for line in loose.lines] == ["Sure maybe"]
    assert [line.text for line in strict.lines] == ["Sure"]


def test_a_line_read_on_two_frames_keeps_its_track():
    engine = GivenWords(
        [[word(100, 100, "Platform"), word(270, 100, "9")], [word(102, 101, "Platform"), word(272, 101, "9")]]
    )
    step = FrameStep(engine, EVERY_FRAME)
    first = step(frame(0), 0.0)
    second = step(frame(1), 0.5)
    assert first.lines[0].text == second.lines[0].text == "Platform 9"
    assert first.lines[0].track_id == second.lines[0].track_id


def test_no_words_give_no_lines():
    out = FrameStep(GivenWords([[]]), EVERY_FRAME)(frame(0), 0.0)
    assert out.lines == () and not out.skipped
