"""Shared fixtures: real engines loaded once per test session, and the eval data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
EVAL = Path(os.environ.get("STREAM_OCR_EVAL_DIR", ROOT.parent / "shared" / "eval"))


@pytest.fixture(scope="session")
def keras_engine():
    """The default engine with default settings: real CRAFT and english_g2 weights."""
    from stream_ocr.engines import create_engine

    return create_engine()


@pytest.fixture(scope="session")
def subtitle_engine():
    """The default engine as ``--subtitles`` runs it: each Latin line read whole as well."""
    from stream_ocr.config import EngineConfig
    from stream_ocr.engines import create_engine

    return create_engine(EngineConfig(line_reads="on"))


@pytest.fixture(scope="session")
def rapid_engine():
    from stream_ocr.engines import create_engine

    return create_engine(name="rapidocr")


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    if not (EVAL / "icdar2015").is_dir():
        pytest.fail(f"the eval data is missing: expected {EVAL} (../shared/eval beside the repository)")
    return EVAL
