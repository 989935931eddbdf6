"""Temporal reuse on real footage: a frame that changed in one place has only that region
read, and the tracks and texts are the same as when every changed frame is read whole."""

import json

import cv2
import pytest

from stream_ocr.change import ChangeConfig
from stream_ocr.evaluation_video import cer
from stream_ocr.pipeline import FrameStep, StepConfig

from .conftest import SAMPLES

pytestmark = pytest.mark.slow


def sampled(name, fps=2.0):
    capture = cv2.VideoCapture(str(SAMPLES / f"{name}.mp4"))
    step = capture.get(cv2.CAP_PROP_FPS) / fps
    index, frames = 0, []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % round(step) == 0:
            frames.append((index / capture.get(cv2.CAP_PROP_FPS), frame))
        index += 1
    return frames


def run(engine, frames, region_max_share):
    step = FrameStep(engine, StepConfig(change=ChangeConfig(region_max_share=region_max_share)))
    texts_over_time, pixels, seen = [], 0, 0
    for t, frame in frames:
        result = step(frame, t)
        texts_over_time.append((t, sorted(line.text for line in result.lines)))
        pixels += result.pixels_read
        seen += 0 if result.skipped else result.width * result.height
    return step, texts_over_time, pixels, seen


@pytest.mark.parametrize("name", ["slides", "screen"])
def test_reading_only_changed_regions_gives_the_same_texts_for_fewer_pixels(keras_engine, name):
    frames = sampled(name)
    whole_step, whole, whole_pixels, _ = run(keras_engine, frames, 0.0)
    part_step, part, part_pixels, seen = run(keras_engine, frames, ChangeConfig().region_max_share)
    assert whole_step.region_count == 0
    assert part_step.region_count >= 3, "the sample changes in place: some reads should be regions"
    assert part_pixels < 0.7 * whole_pixels, (part_pixels, whole_pixels)
    assert part_pixels < seen
    truth = json.loads((SAMPLES / f"{name}.json").read_text())["lines"]
    for (t, a), (_, b) in zip(whole, part):
        on_screen = [line["text"] for line in truth if line["start"] + 0.5 <= t < line["end"] - 0.5]
        for text in on_screen:
            found_whole = any(cer(text, x) <= 0.2 for x in a)
            found_part = any(cer(text, x) <= 0.2 for x in b)
            # Every line the whole reads see at this time, the region reads see too.
            assert found_part or not found_whole, (t, text, a, b)
