"""The recogniser for Chinese and Japanese lines: PP-OCRv6's small multilingual recogniser.

Owns reading boxes with it and nothing else: each box warped out of the BGR frame to 48
pixels high, the network run on onnxruntime over crops of like width, and CTC decoding
into a text and a confidence (the mean of the kept characters' probabilities, as
PaddleOCR gives it). Its alphabet, 18,708 characters (Chinese, Japanese kana, Latin,
digits and punctuation), is stored in the model file's own metadata. The network
(``PP-OCRv6_rec_small.onnx``) ships inside the rapidocr wheel, is checked by its
checksum and is never downloaded. Which boxes it reads is ``scripts``'s choice.
"""

from __future__ import annotations

import time

import numpy as np

from stream_ocr.engines.english_g2 import warp_box
from stream_ocr.engines.text_finder import rapidocr_session
from stream_ocr.engines.weight_files import PPOCR_REC_SMALL
from stream_ocr.errors import WeightsError
from stream_ocr.step.scripts import is_han

HEIGHT = 48
# Crops are at least this wide (PaddleOCR's 320 x 48 input), and at most this wide: a line
# longer than 40 characters is squeezed rather than given an input the network never met.
MIN_WIDTH = 320
MAX_WIDTH = 1920
# At most this many crops per run; crops are sorted by width first, so that a short word
# is padded out to the width of its neighbours, not of the longest line.
BATCH = 16
# A "-" read next to a Han character is "一" (a flat stroke either way; Chinese sets no
# hyphen between its characters) when the network gives "一" this much at that step.
# Chosen on lines drawn over training photos (tools/tune_cjk_ends.py; BENCHMARKS.md).
ONE_BESIDE_HAN: float | None = 0.1
# The box grows by this share of its height on every side: CRAFT boxes a Chinese line
# tightly, and the network was trained on crops with some background around the glyphs.
MARGIN = 0.08


def crop_line(bgr: np.ndarray, box: np.ndarray, margin: float = MARGIN) -> np.ndarray:
    """The 4-point box (clockwise from the text's top-left) warped out of ``bgr``, ``HEIGHT``
    pixels high, its width in proportion."""
    return warp_box(bgr, box, margin, HEIGHT, HEIGHT // 2, MAX_WIDTH)


def alphabet(session: object) -> list[str]:
    """The model's characters, class 0 being CTC's blank and the last the space."""
    meta = session.get_modelmeta().custom_metadata_map  # type: ignore[attr-defined]
    if "character" not in meta:
        raise WeightsError("the PP-OCR recogniser's model file holds no character list")
    return ["", *meta["character"].splitlines(), " "]


def decode_characters(
    probs: np.ndarray, characters: list[str], one_beside_han: float | None = ONE_BESIDE_HAN
) -> list[tuple[str, float]]:
    """Greedy CTC over one crop's (time, classes) scores: each character kept (repeats
    merged, blanks dropped) with its probability. A "-" next to a Han character whose
    "一" has ``one_beside_han`` or more is that "一" (None: never)."""
    best = probs.argmax(axis=1)
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    steps = np.flatnonzero(keep)
    chars = [(characters[best[t]], float(probs[t, best[t]])) for t in steps]
    if one_beside_han is None or "-" not in (c for c, _ in chars) or "一" not in characters:
        return chars
    one = characters.index("一")
    for k, t in enumerate(steps):
        if chars[k][0] != "-" or probs[t, one] < one_beside_han:
            continue
        beside = [chars[j][0] for j in (k - 1, k + 1) if 0 <= j < len(chars)]
        if any(is_han(c) for c in beside):
            chars[k] = ("一", float(probs[t, one]))
    return chars


def decode(
    probs: np.ndarray, characters: list[str], one_beside_han: float | None = ONE_BESIDE_HAN
) -> tuple[str, float]:
    """One crop's text and confidence: the mean of its characters' probabilities."""
    chars = decode_characters(probs, characters, one_beside_han)
    if not chars:
        return "", 0.0
    return "".join(c for c, _ in chars), float(np.mean([p for _, p in chars]))


class PPOCRRecognizer:
    """BGR boxes in, (text, confidence) out."""

    def __init__(self, session: object, one_beside_han: float | None = ONE_BESIDE_HAN) -> None:
        self.session = session
        self.one_beside_han = one_beside_han
        self.characters = alphabet(session)
        self._input = session.get_inputs()[0].name  # type: ignore[attr-defined]

    @classmethod
    def load(cls, threads: int = 0) -> PPOCRRecognizer:
        """The recogniser on onnxruntime with ``threads`` (0: one per core), its threads
        sleeping between batches so that they leave the cores to the other networks."""
        return cls(rapidocr_session(PPOCR_REC_SMALL, threads))

    def read_boxes(
        self, bgr: np.ndarray, boxes: list[np.ndarray], timings: dict[str, float] | None = None
    ) -> list[tuple[str, float]]:
        """Each box of ``bgr`` read; adds the milliseconds to ``timings["recognize_cjk"]``."""
        start = time.perf_counter()
        reads = self.read_crops([crop_line(bgr, box) for box in boxes])
        if timings is not None:
            timings["recognize_cjk"] = timings.get("recognize_cjk", 0.0) + (time.perf_counter() - start) * 1000
        return reads

    def read_crops(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Each BGR crop, ``HEIGHT`` pixels high, read."""
        return [decode(probs, self.characters, self.one_beside_han) for probs in self._scores(crops)]

    def read_characters(self, bgr: np.ndarray, boxes: list[np.ndarray]) -> list[list[tuple[str, float]]]:
        """Each box of ``bgr`` read as its characters, each with its probability."""
        crops = [crop_line(bgr, b) for b in boxes]
        return [decode_characters(probs, self.characters, self.one_beside_han) for probs in self._scores(crops)]

    def _scores(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """The network's (time, classes) scores of each BGR crop, ``HEIGHT`` pixels high."""
        scores: list[np.ndarray] = [np.zeros((0, len(self.characters)))] * len(crops)
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1])
        for begin in range(0, len(order), BATCH):
            members = order[begin : begin + BATCH]
            width = max(MIN_WIDTH, max(crops[i].shape[1] for i in members))
            batch = np.zeros((len(members), 3, HEIGHT, width), dtype=np.float32)
            for row, i in enumerate(members):
                crop = crops[i]
                batch[row, :, :, : crop.shape[1]] = crop.transpose(2, 0, 1) / 127.5 - 1.0
            (probs,) = self.session.run(None, {self._input: batch})  # type: ignore[attr-defined]
            for row, i in enumerate(members):
                scores[i] = probs[row]
        return scores
