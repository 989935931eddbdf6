"""The ``rapidocr`` engine: PP-OCR ONNX models shipped in the rapidocr wheel, on onnxruntime.

Owns the adapter only: thread limits for onnxruntime, and turning RapidOCR's output
into ``Detection``s. Its default config loads the bundled models with no download.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from stream_ocr.config import EngineConfig
from stream_ocr.engines.base import Engine
from stream_ocr.errors import EngineUnavailableError
from stream_ocr.types import Detection


class RapidOCREngine(Engine):
    name = "rapidocr"

    def __init__(self, config: EngineConfig) -> None:
        super().__init__()
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
        start = time.perf_counter()
        # RapidOCR takes BGR arrays, as OpenCV gives them.
        output: Any = self._ocr(frame)
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
            detections.append(Detection.from_array(np.asarray(box).reshape(4, 2), text, conf))
        return detections
