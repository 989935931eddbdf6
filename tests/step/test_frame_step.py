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


class SceneReader(Engine):
    """One word on screen at ``box`` (frame pixels): each read that sees it returns the next
    of ``texts`` (the last one once they run out); reads elsewhere return nothing."""

    name = "scene"

    def __init__(self, box, texts):
        super().__init__()
        self.box, self.texts, self.seen = box, list(texts), 0

    def _read(self, frame, timings):
        return self._read_region(frame, (0, 0, frame.shape[1], frame.shape[0]), timings)

    def _read_region(self, frame, region, timings):
        x0, y0, x1, y1 = self.box
        if not (region[0] <= x0 and region[1] <= y0 and region[2] >= x1 and region[3] >= y1):
            return []
        text = self.texts[min(self.seen, len(self.texts) - 1)]
        self.seen += 1
        return [Detection(((x0, y0), (x1, y0), (x1, y1), (x0, y1)), text, 0.95)]


def test_a_line_carried_over_unread_frames_casts_no_vote_and_its_later_reads_decide():
    """The tune film: "smaller." was read "smaller" on the frame it appeared, then carried
    unread through frames of which only other parts were read, and each carried copy voted
    for the first read: the later, right reads of it never won. Carried copies keep the
    track on screen without voting."""
    line_box = (100, 300, 400, 330)
    engine = SceneReader(line_box, ["the plate smaller", "the plate smaller."])
    step = FrameStep(engine, StepConfig())

    def picture(k, touch_line=False):
        image = np.zeros((360, 640, 3), np.uint8)
        image[300:330, 100:400] = 120  # the subtitle's place
        image[0:40, 600 - 40 * (k % 3) : 640 - 40 * (k % 3)] = 255  # a corner that changes on every frame
        if touch_line:
            image[305:325, 110 + 10 * k : 150 + 10 * k] = 255  # something changes on the line
        return image

    first = step(picture(0), 0.25)  # the line appears: read whole, wrongly
    assert [line.text for line in first.lines] == ["the plate smaller"]
    for k in range(1, 7):  # only the corner changes: region reads there, the line carried
        out = step(picture(k), 0.25 * (k + 1))
        assert out.regions and not any(r[1] < 330 and r[3] > 300 for r in out.regions), out.regions
        assert [line.text for line in out.lines] == ["the plate smaller"]
    for k in (7, 8):  # the line's own pixels change: read again, right
        out = step(picture(k, touch_line=True), 0.25 * (k + 1))
        assert out.regions and any(r[1] <= 300 and r[3] >= 330 for r in out.regions), out.regions
    assert engine.seen == 3
    assert [line.text for line in out.lines] == ["the plate smaller."]
