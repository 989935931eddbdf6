"""Where a line read puts its words: geometry only, with a recogniser that reads a script.

The recogniser here is scripted (it reads the text it is given, spread evenly over the
part of the crop the line's boxes cover), so these tests check the boxes ``LineReader``
gives each word, not any reading: the real reads are in ``test_line_reads.py``.
"""

from __future__ import annotations

import numpy as np

from stream_ocr.engines.english_g2 import CHARACTERS, NUM_CLASSES, Read
from stream_ocr.engines.line_reads import STEP, LineReader, clipped
from stream_ocr.step.lines import group_lines
from stream_ocr.types import Detection


class ScriptedRecogniser:
    """Reads ``text`` in every crop, its characters spread over the crop's core (the line's
    boxes, between the widened ends), a blank step between any two."""

    def __init__(self, text: str, before: float, after: float, length: float) -> None:
        self.text, self.share = (
            text,
            (before / (before + length + after), (before + length) / (before + length + after)),
        )

    def class_scores(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for crop in crops:
            steps = crop.shape[1] // STEP
            probs = np.zeros((steps, NUM_CLASSES), np.float32)
            probs[:, 0] = 1.0
            first, last = self.share[0] * steps, self.share[1] * steps
            for k, c in enumerate(self.text):
                t = int(first + (k + 0.5) * (last - first) / len(self.text))
                probs[t, 0] = 0.0
                probs[t, CHARACTERS.index(c) + 1] = 0.99
            out.append(probs)
        return out


def box(x0: float, x1: float, y0: float = 591, y1: float = 631) -> np.ndarray:
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.float32)


def test_a_box_the_detector_drew_round_two_words_is_shared_and_the_line_stays_whole():
    """A film's frame: the detector boxed "Well, it" as one word. The line read "Well, it
    looks like"; "Well," kept the whole box and "it", placed by the read, lay inside it, so
    the line fell in two ("Well, looks like" and "it") and "it" became a cue of its own."""
    reads = [
        Read(box(474, 616), "Well, it", 0.98),
        Read(box(612, 728), "looks", 0.96),
        Read(box(734, 808), "like", 0.98),
    ]
    reader = LineReader(None)  # type: ignore[arg-type]
    config = reader.config
    reader.recognizer = ScriptedRecogniser("Well, it looks like", config.before, config.after, (808 - 474) / 40)
    gray = np.full((720, 1280), 128, np.uint8)
    out = reader.read(gray, reads)
    words = [Detection.from_array(r.box, r.text, r.confidence) for r in out]
    assert [w.text for w in sorted(words, key=lambda w: w.bbox[0])] == ["Well,", "it", "looks", "like"]
    well, it = sorted(words, key=lambda w: w.bbox[0])[:2]
    assert well.bbox[2] <= it.bbox[0] + 1, (well.bbox, it.bbox)  # side by side, not one inside the other
    assert [line.text for line in group_lines(words)] == ["Well, it looks like"]


def test_clipped_keeps_a_box_within_its_bounds_and_cuts_what_reaches_past():
    b = box(100, 200)
    assert np.array_equal(clipped(b, (0.0, 100.0), -np.inf, np.inf), b)
    cut = clipped(b, (0.0, 100.0), -np.inf, 60.0)
    assert cut[0][0] == 100 and abs(cut[1][0] - 160) < 1e-4 and abs(cut[2][0] - 160) < 1e-4
    cut = clipped(b, (0.0, 100.0), 25.0, 60.0)
    assert abs(cut[0][0] - 125) < 1e-4 and abs(cut[1][0] - 160) < 1e-4
