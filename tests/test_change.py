"""Change detection on real sample frames: small local changes are seen, still frames are skipped."""

import cv2
import numpy as np

from stream_ocr.change import ChangeConfig, ChangeGate, largest_cell_change, signature

from .conftest import SAMPLES


def frame_at(name, seconds):
    capture = cv2.VideoCapture(str(SAMPLES / f"{name}.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
    ok, frame = capture.read()
    assert ok
    return frame


def test_a_slide_whose_only_change_is_a_letter_and_its_counter_is_seen():
    # slides.mp4 at 6 s shows "Chapter B ... 2/5", at 10 s "Chapter C ... 3/5": the body is the same.
    before, after = frame_at("slides", 6.0), frame_at("slides", 10.0)
    gate = ChangeGate()
    assert gate.should_read(before, 6.0)
    assert gate.should_read(after, 10.0)
    # A whole-frame mean, the old measure, hardly moves: it would have missed this.
    whole = float(np.mean(np.abs(signature(after) - signature(before)))) / 255
    assert whole < 0.01 < largest_cell_change(signature(before), signature(after), 12)


def test_only_the_page_counter_changing_is_seen():
    page = frame_at("slides", 10.0)
    counter = page.copy()
    cv2.rectangle(counter, (555, 318), (600, 346), (244, 248, 248), -1)
    cv2.putText(counter, "4/5", (560, 340), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (90, 90, 90), 1)
    gate = ChangeGate()
    assert gate.should_read(page, 0.0)
    assert gate.should_read(counter, 0.5)


def test_still_frames_are_skipped_until_the_keyframe():
    gate = ChangeGate(ChangeConfig(keyframe_s=3.0))
    frames = [frame_at("slides", 4.5 + 0.5 * i) for i in range(3)]  # slide 2, unchanged, with camera noise
    assert gate.should_read(frames[0], 0.0)
    assert not gate.should_read(frames[1], 1.0)
    assert not gate.should_read(frames[2], 2.0)
    assert gate.should_read(frames[2], 3.0)  # a keyframe


def test_disabled_gate_reads_everything_and_forget_rereads():
    frame = frame_at("slides", 1.0)
    assert all(ChangeGate(ChangeConfig(enabled=False)).should_read(frame, t) for t in (0.0, 0.5))
    gate = ChangeGate()
    assert gate.should_read(frame, 0.0)
    gate.forget()
    assert gate.should_read(frame, 0.5)
