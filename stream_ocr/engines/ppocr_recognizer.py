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

HEIGHT = 48
# Crops are at least this wide (PaddleOCR's 320 x 48 input), and at most this wide: a line
# longer than 40 characters is squeezed rather than given an input the network never met.
MIN_WIDTH = 320
MAX_WIDTH = 1920
# At most this many crops per run; crops are sorted by width first, so that a short word
# is padded out to the width of its neighbours, not of the longest line.
BATCH = 16
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


def decode(probs: np.ndarray, characters: list[str]) -> tuple[str, float]:
    """Greedy CTC over one crop's (time, classes) scores: repeats merged, blanks dropped."""
    best = probs.argmax(axis=1)
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    if not keep.any():
        return "", 0.0
    text = "".join(characters[i] for i in best[keep])
    return text, float(probs.max(axis=1)[keep].mean())


class PPOCRRecognizer:
    """BGR boxes in, (text, confidence) out."""

    def __init__(self, session: object) -> None:
        self.session = session
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
        reads: list[tuple[str, float]] = [("", 0.0)] * len(crops)
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
                reads[i] = decode(probs[row], self.characters)
        return reads
