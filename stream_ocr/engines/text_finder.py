"""Where a frame has text, found cheaply: the first of the detector's two passes.

Owns the finding network and nothing else: PP-OCR's small text detector (a DBNet,
``PP-OCRv6_det_small.onnx``, shipped inside the rapidocr wheel and checked by its
checksum; never downloaded), run on onnxruntime on the frame seen with its longest side
at ``EngineConfig.detect_coarse_side``, and its probability map's components as
rectangles in the frame's pixels. CRAFT (``craft``) then boxes the words at the full
scale inside those rectangles only (``coarse_to_fine``), and the recognizer reads them:
the words, their boxes and their reads are still CRAFT's and english_g2's.

Why this network: it finds nearly what CRAFT's own coarse pass found, for a tenth of its
time (about 60 ms against 560 at 768 px), because it is a small network made to find text
lines, where CRAFT is a VGG-16 made to box characters. On two sets of 100 ICDAR 2015
training photos the engine took half its time, with F1 0.565 and 0.608 against 0.546 and
0.612, detection recall 0.650 and 0.654 against 0.659 and 0.677 (tools/tune_coarse.py
--finders; BENCHMARKS.md).
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from stream_ocr.engines.coarse_to_fine import FindConfig, text_components
from stream_ocr.engines.weight_files import PPOCR_DET_SMALL, WeightsFile, find_weights
from stream_ocr.errors import WeightsError
from stream_ocr.geometry import Region

# The probability that counts as text: DBNet's own binarisation threshold (rapidocr's
# ``thresh``). 0.2 ties with it on the training photos (F1 0.568 against 0.565) but finds
# faint blobs over 63% of a black frame; 0.3 none (BENCHMARKS.md).
FIND_SCORE = 0.3
# A component over pixels this flat (the standard deviation of their grey levels) holds
# nothing to read: a white frame (a blank slide, a flash) gives the network faint
# probabilities over most of it (up to 0.45), which would cost a full CRAFT pass for
# nothing. Photographs are noisier than this everywhere, so it never drops real text.
# (Dropping components whose mean probability is under 0.4 or 0.5, DBNet's own rule for
# its boxes, lost real text on training photos: detection recall 0.634 and 0.621
# against 0.643.)
FLAT_STD = 2.0
# DBNet sees a frame resized to sides that are multiples of this.
_STRIDE = 32


def rapidocr_models_dir() -> Path:
    """The folder of the networks the rapidocr wheel ships."""
    try:
        import rapidocr
    except ImportError as e:
        raise WeightsError("the text finder's network comes with rapidocr: pip install 'rapidocr>=3.10,<4'") from e
    return Path(rapidocr.__file__).resolve().parent / "models"


def rapidocr_session(weights: WeightsFile, threads: int) -> object:
    """An onnxruntime session of one of the rapidocr wheel's networks, checked by its
    checksum, on ``threads`` (0: one per core) that sleep between runs instead of spinning,
    so that they leave the cores to the other networks."""
    import onnxruntime

    path = find_weights(weights, rapidocr_models_dir())
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class TextFinder:
    """A frame (RGB uint8) in, the rectangles of its text out, unpadded, in its pixels."""

    def __init__(self, session: object, find: FindConfig) -> None:
        self.session = session
        self.find_config = find
        self._input = session.get_inputs()[0].name  # type: ignore[attr-defined]

    @classmethod
    def load(cls, threads: int = 0, find: FindConfig | None = None) -> TextFinder:
        """The finder on onnxruntime with ``threads`` (0: one per core). Its threads sleep
        between frames instead of spinning, so that they leave the cores to CRAFT. Its
        buffers come from onnxruntime's own arena, reused by whichever thread calls it:
        with plain malloc, each server thread that ran it kept its own freed copy in its
        malloc arena (a flood of 16 still images grew the server by 276 MB, against 72)."""
        session = rapidocr_session(PPOCR_DET_SMALL, threads)
        return cls(session, find or FindConfig(find_score=FIND_SCORE))

    def probabilities(self, rgb: np.ndarray, scale: float) -> np.ndarray:
        """The network's text probability for each pixel of ``rgb`` seen at ``scale``.

        As PaddleOCR does, the frame is resized straight to sides that are multiples of
        32 (a few pixels' stretch), never padded: a padded edge looks like text to it
        (a black frame padded with grey gave a band of probabilities up to 0.6)."""
        h, w = rgb.shape[:2]
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        pw, ph = max(_STRIDE, round(nw / _STRIDE) * _STRIDE), max(_STRIDE, round(nh / _STRIDE) * _STRIDE)
        small = rgb
        if (pw, ph) != (w, h):
            shrink = pw < w and ph < h
            small = cv2.resize(rgb, (pw, ph), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        # PaddleOCR trains on BGR frames, normalised to [-1, 1]: channels reversed on the
        # small copy only.
        batch = (small[..., ::-1].astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        (prob,) = self.session.run(None, {self._input: batch})  # type: ignore[attr-defined]
        prob = prob[0, 0]
        if (pw, ph) != (nw, nh):
            prob = cv2.resize(prob, (nw, nh), interpolation=cv2.INTER_LINEAR)
        return prob

    def find(self, rgb: np.ndarray, scale: float, spent: dict[str, float] | None = None) -> list[Region]:
        """The text of ``rgb`` found with the frame seen at ``scale``, as rectangles in its
        pixels; adds the milliseconds to ``spent["detect_coarse"]``."""
        t0 = time.perf_counter()
        prob = self.probabilities(rgb, scale)
        rects = [r for r in text_components(prob, 1.0 / scale, rgb.shape, self.find_config) if not flat(rgb, r)]
        if spent is not None:
            spent["detect_coarse"] = spent.get("detect_coarse", 0.0) + (time.perf_counter() - t0) * 1000
        return rects


def flat(rgb: np.ndarray, rect: Region) -> bool:
    """Whether ``rect`` of ``rgb`` is too flat to hold text (``FLAT_STD``)."""
    x0, y0, x1, y1 = rect
    part = rgb[y0:y1, x0:x1]
    if part.size == 0:
        return True
    _, std = cv2.meanStdDev(cv2.cvtColor(np.ascontiguousarray(part), cv2.COLOR_RGB2GRAY))
    return float(std[0, 0]) < FLAT_STD
