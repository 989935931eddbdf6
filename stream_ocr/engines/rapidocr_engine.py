"""The ``rapidocr`` engine: PP-OCR ONNX models shipped in the rapidocr wheel, on onnxruntime.

Owns the adapter only: thread limits for onnxruntime, reading a region of a frame at the
frame's scale, and turning RapidOCR's output into ``Detection``s. Its default config
loads the bundled models with no download.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cv2
import numpy as np

from stream_ocr.config import EngineConfig
from stream_ocr.engines.base import Engine, text_config_of
from stream_ocr.errors import EngineUnavailableError
from stream_ocr.geometry import Region
from stream_ocr.types import Detection, shift


class RapidOCREngine(Engine):
    name = "rapidocr"

    def __init__(self, config: EngineConfig) -> None:
        # Its recogniser reads Chinese, Japanese and Latin alike: --lang keeps what is asked for.
        super().__init__(text_config=text_config_of(config))
        try:
            from rapidocr import RapidOCR
        except ImportError as e:
            raise EngineUnavailableError(
                "the rapidocr engine needs: pip install 'rapidocr>=3.10,<4' onnxruntime"
            ) from e
        threads = config.onnx_intra_op_threads
        self._ocr = RapidOCR(
            params={
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        self.config = config
        if config.warmup:
            self.read(np.full((64, 256, 3), 255, dtype=np.uint8))

    def _read(self, frame: np.ndarray, timings: dict[str, float]) -> list[Detection]:
        return self._read_at(frame, timings, 1.0)

    def frame_scale(self, height: int, width: int) -> float:
        """The factor RapidOCR sees a whole frame at: its longest side down to the global
        ``max_side_len``, then its shortest side up to the detector's ``limit_side_len``."""
        ocr = self._ocr
        scale = 1.0
        if max(height, width) > ocr.max_side_len:
            scale = ocr.max_side_len / max(height, width)
        elif min(height, width) < ocr.min_side_len:
            scale = ocr.min_side_len / min(height, width)
        limit = self._detector().limit_side_len
        if min(height, width) * scale < limit:
            scale = limit / min(height, width)
        return scale

    def _read_region(self, frame: np.ndarray, region: Region, timings: dict[str, float]) -> list[Detection]:
        """A region is read at the whole frame's scale. Left to RapidOCR, a strip 100 px
        high of a 960x540 frame would have its short side scaled up to 736 px: 7x, where
        the frame is seen at 1.4x (the glare sample's reads took 5x as long as whole reads)."""
        x0, y0, x1, y1 = region
        scale = self.frame_scale(frame.shape[0], frame.shape[1])
        crop = np.ascontiguousarray(frame[y0:y1, x0:x1])
        if scale != 1.0:
            size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        with self._unscaled():
            words = self._read_at(crop, timings, scale)
        return [shift(w, x0, y0) for w in words]

    def _detector(self) -> Any:
        return self._ocr._load_det_model()  # noqa: SLF001  (rapidocr>=3.10,<4: loaded once, then kept)

    @contextmanager
    def _unscaled(self) -> Iterator[None]:
        """RapidOCR's own resizing off, for an image already at the scale to read it at."""
        ocr, detector = self._ocr, self._detector()
        kept = ocr.min_side_len, ocr.max_side_len, detector.limit_side_len
        ocr.min_side_len, ocr.max_side_len, detector.limit_side_len = 0, float("inf"), 0
        try:
            yield
        finally:
            ocr.min_side_len, ocr.max_side_len, detector.limit_side_len = kept

    def _read_at(self, image: np.ndarray, timings: dict[str, float], scale: float) -> list[Detection]:
        """Words in ``image``, their boxes divided by ``scale`` (the factor it was resized by)."""
        start = time.perf_counter()
        # RapidOCR takes BGR arrays, as OpenCV gives them.
        output: Any = self._ocr(image)
        timings["rapidocr"] = timings.get("rapidocr", 0.0) + (time.perf_counter() - start) * 1000
        boxes = getattr(output, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return []
        detections = []
        for box, text, score in zip(boxes, output.txts, output.scores):
            if not text.strip():
                continue
            conf = float(np.clip(score, 0.0, 1.0))
            if conf < self.config.min_confidence:
                continue
            points = np.asarray(box, dtype=np.float32).reshape(4, 2) / scale
            detections.append(Detection.from_array(points, text, conf))
        return detections
