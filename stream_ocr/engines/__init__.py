"""Engines by name: a registry, and one function that builds an engine from config.

Heavy imports (TensorFlow, keras-ocr, onnxruntime) happen only when an engine is built,
inside its adapter module.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, replace

from stream_ocr.config import EngineConfig
from stream_ocr.engines.base import Engine
from stream_ocr.engines.weight_files import CRAFT_MLT_25K, ENGLISH_G2, WEIGHTS_PACKAGE, weights_present
from stream_ocr.errors import EngineUnavailableError

DEFAULT_ENGINE = "keras-ocr"


@dataclass(frozen=True)
class EngineInfo:
    name: str
    description: str
    module: str
    cls: str
    status: Callable[[EngineConfig], str]


def _keras_ocr_status(config: EngineConfig) -> str:
    missing = [w.filename for w in (CRAFT_MLT_25K, ENGLISH_G2) if not weights_present(w, config.weights_dir)]
    if missing:
        return f"weights missing ({', '.join(missing)}): pip install {WEIGHTS_PACKAGE}"
    if importlib.util.find_spec("keras_ocr") is None or importlib.util.find_spec("tensorflow") is None:
        return "not installed: pip install keras-ocr tensorflow tf-keras"
    return "ready (weights present)"


def _rapidocr_status(config: EngineConfig) -> str:
    if importlib.util.find_spec("rapidocr") is None or importlib.util.find_spec("onnxruntime") is None:
        return "not installed: pip install 'rapidocr>=3.10,<4' onnxruntime"
    return "ready (models bundled in the rapidocr wheel)"


ENGINES: dict[str, EngineInfo] = {
    "keras-ocr": EngineInfo(
        "keras-ocr",
        "keras-ocr CRAFT detector + EasyOCR english_g2 recognizer, on OpenVINO or TensorFlow (--runtime)",
        "stream_ocr.engines.keras_ocr_engine",
        "KerasOCREngine",
        _keras_ocr_status,
    ),
    "rapidocr": EngineInfo(
        "rapidocr",
        "RapidOCR 3.x, PP-OCRv6 small ONNX models, on onnxruntime",
        "stream_ocr.engines.rapidocr_engine",
        "RapidOCREngine",
        _rapidocr_status,
    ),
}


def engine_info(name: str) -> EngineInfo:
    try:
        return ENGINES[name]
    except KeyError:
        raise EngineUnavailableError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}") from None


def create_engine(config: EngineConfig | None = None, name: str | None = None) -> Engine:
    """Build the engine ``name`` (default: ``config.name``). Slow: loads models and warms up."""
    config = config or EngineConfig()
    if name is not None:
        config = replace(config, name=name)
    info = engine_info(config.name)
    cls = getattr(importlib.import_module(info.module), info.cls)
    return cls(config)


__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "EngineInfo", "create_engine", "engine_info"]
