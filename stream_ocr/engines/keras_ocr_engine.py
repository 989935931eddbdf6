"""The default engine: keras-ocr's CRAFT detector with a recognizer, on OpenVINO or TensorFlow.

Owns the glue only: BGR to RGB (keras-ocr converts colour only for file paths, never
for arrays), TensorFlow thread settings, warm-up, and turning boxes and texts into
``Detection``s. The detector and recognizer are their own modules; where their networks
run is ``runtimes``'s.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import cv2
import numpy as np

from stream_ocr.config import EngineConfig
from stream_ocr.engines.base import Engine, text_config_of
from stream_ocr.engines.cjk_line_ends import CJKLineEnds
from stream_ocr.engines.craft import CraftDetector, detection_scale
from stream_ocr.engines.english_g2 import EnglishG2Recognizer, Read
from stream_ocr.engines.keras_ocr_compat import import_keras_ocr, import_tensorflow
from stream_ocr.engines.lexicon import correct_line
from stream_ocr.engines.line_reads import LineReader
from stream_ocr.engines.ppocr_recognizer import PPOCRRecognizer
from stream_ocr.engines.runtimes import resolve_runtime
from stream_ocr.engines.script_choice import ScriptChooser
from stream_ocr.errors import BadInputError, WeightsError
from stream_ocr.geometry import Region
from stream_ocr.step.scripts import CJK_LANGUAGES
from stream_ocr.types import Detection, shift

logger = logging.getLogger(__name__)

RECOGNIZERS = ("english_g2", "kurapan")


def configure_tensorflow(intra: int, inter: int, cpu_bfloat16: bool) -> None:
    """Apply thread counts (0 = TensorFlow's choice; only before TensorFlow runs an op) and bfloat16."""
    tf = import_tensorflow()
    # Applies to graphs traced from now on; oneDNN leaves it off on CPUs without bfloat16.
    tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": cpu_bfloat16})
    threading_config = tf.config.threading
    try:
        if intra and threading_config.get_intra_op_parallelism_threads() != intra:
            threading_config.set_intra_op_parallelism_threads(intra)
        if inter and threading_config.get_inter_op_parallelism_threads() != inter:
            threading_config.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        logger.warning(
            "TensorFlow is already running; thread counts stay at intra=%d inter=%d",
            threading_config.get_intra_op_parallelism_threads(),
            threading_config.get_inter_op_parallelism_threads(),
        )


class KurapanRecognizer:
    """keras-ocr's stock CRNN recognizer, when its weights are in keras-ocr's cache."""

    def __init__(self, allow_download: bool) -> None:
        keras_ocr = import_keras_ocr()
        spec = keras_ocr.recognition.PRETRAINED_WEIGHTS["kurapan"]["weights"]["top"]
        path = os.path.join(keras_ocr.tools.get_default_cache_dir(), spec["filename"])
        if not os.path.isfile(path) and not allow_download:
            raise WeightsError(
                f"the kurapan recognizer's weights are not at {path}. Put {spec['filename']} "
                "there (or set KERAS_OCR_CACHE_DIR to its folder), or allow the download "
                "with --allow-download; the default english_g2 recognizer needs neither"
            )
        self._recognizer = keras_ocr.recognition.Recognizer()

    def recognize_boxes(
        self,
        gray: np.ndarray,
        boxes: list[np.ndarray],
        timings: dict[str, float] | None = None,
        auto_rotate: bool = False,
    ) -> list[Read]:
        """Read each box; kurapan gives no confidence, and reads only upright text."""
        if not boxes:
            return []
        rgb = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
        (texts,) = self._recognizer.recognize_from_boxes(images=[rgb], box_groups=[np.array(boxes)], verbose=0)
        return [Read(box, text, None) for box, text in zip(boxes, texts)]


class KerasOCREngine(Engine):
    name = "keras-ocr"

    def __init__(self, config: EngineConfig) -> None:
        super().__init__(text_config=text_config_of(config))
        if config.recognizer not in RECOGNIZERS:
            raise BadInputError(f"unknown recognizer {config.recognizer!r}; choose one of {', '.join(RECOGNIZERS)}")
        runtime = resolve_runtime(config)
        if runtime == "tensorflow":  # on OpenVINO, TensorFlow is imported only to convert, once
            configure_tensorflow(config.tf_intra_op_threads, config.tf_inter_op_threads, config.cpu_bfloat16)
        self.config = config
        self._reserved_pixels = 0  # the largest input CRAFT has run on (``reserve``)
        self.detector = CraftDetector.load(config)
        self.recognizer: Any
        self.line_reader: LineReader | None = None
        if config.recognizer == "english_g2":
            self.recognizer = EnglishG2Recognizer.load(config)
            self.recognizer.reserve()
            if config.line_reads == "on":  # "auto" is made "on" by a --subtitles job
                lexicon = correct_line if config.lexicon and "en" in config.language_list else None
                self.line_reader = LineReader(self.recognizer, correct=lexicon)
        else:
            self.recognizer = KurapanRecognizer(config.allow_download)
        # Chinese and Japanese lines: read again by PP-OCR's recogniser (``script_choice``).
        self.scripts: ScriptChooser | None = None
        self.cjk_ends: CJKLineEnds | None = None
        if CJK_LANGUAGES & set(config.language_list):
            recognizer = PPOCRRecognizer.load(config.tf_intra_op_threads)
            self.scripts = ScriptChooser(recognizer, config.language_list)
            self.cjk_ends = CJKLineEnds(recognizer)
        logger.info("keras-ocr engine: networks on %s", runtime)
        if config.warmup:
            self.warm_up()

    def warm_up(self) -> None:
        """Run a frame with text-like content once, so the first real frame is not slow."""
        frame = np.full((240, 320, 3), 255, dtype=np.uint8)
        cv2.putText(frame, "WARM UP", (20, 130), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 5)
        self.read(frame)

    def _read(self, frame: np.ndarray, timings: dict[str, float]) -> list[Detection]:
        self.reserve(frame.shape, timings)
        return self._read_at(frame, timings, None)

    def _read_region(self, frame: np.ndarray, region: Region, timings: dict[str, float]) -> list[Detection]:
        self.reserve(frame.shape, timings)
        x0, y0, x1, y1 = region
        scale = detection_scale(frame.shape[0], frame.shape[1], self.config)
        words = self._read_at(np.ascontiguousarray(frame[y0:y1, x0:x1]), timings, scale)
        return [shift(w, x0, y0) for w in words]

    def reserve(self, shape: tuple[int, ...], timings: dict[str, float] | None = None) -> None:
        """Run CRAFT once on a blank frame of ``shape``'s size, the first time a frame is larger
        than any before. CRAFT's activations grow to the largest input it has met (on
        OpenVINO about 240 MB over the loaded engine at 576x960), and with the text finder it
        may meet a frame's full size only minutes into a stream, when text covers half of
        it: paying that at once keeps memory flat after a stream's first result. At most a
        few times in a process: each one is larger than the last."""
        h, w = self.detector.padded_size(shape[0], shape[1])
        pixels = h * w
        if pixels <= self._reserved_pixels:
            return
        start = time.perf_counter()
        self.detector.score_maps(np.zeros((1, h, w, 3), dtype=np.uint8))
        self._reserved_pixels = pixels
        if timings is not None:
            timings["detect_reserve"] = (time.perf_counter() - start) * 1000

    def _read_at(self, frame: np.ndarray, timings: dict[str, float], scale: float | None) -> list[Detection]:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        boxes = self.detector.detect(rgb, timings, scale)
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        reads = self.recognizer.recognize_boxes(gray, boxes, timings, auto_rotate=self.config.auto_rotate)
        if self.scripts is not None:
            reads = self.scripts.choose(frame, boxes, reads, timings)
        if self.cjk_ends is not None:
            reads = self.cjk_ends.read(frame, reads, timings)
        if self.line_reader is not None:
            start = time.perf_counter()
            reads = self.line_reader.read(gray, reads)
            timings["recognize_lines"] = timings.get("recognize_lines", 0.0) + (time.perf_counter() - start) * 1000
        detections = []
        for read in reads:
            text = read.text.strip()
            if not text:
                continue
            detections.append(Detection.from_array(read.box, text, read.confidence))
        return detections
