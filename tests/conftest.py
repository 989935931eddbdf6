"""Shared fixtures: real engines loaded once per test session, and the eval data.

Also the fast inner loop's rule: a test that uses a real engine, a server, a browser or a
database server is slow, marked so here by the fixtures it uses (``REAL_PARTS``), so
``pytest -m "not slow"`` runs in seconds. A test left unmarked that still builds a real
engine or starts a real server fails at once (``real_parts_only_when_slow``), so the
rule cannot rot.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
EVAL = Path(os.environ.get("STREAM_OCR_EVAL_DIR", ROOT.parent / "shared" / "eval"))

# Fixtures that hold a real model, server process, browser or database server: a test that
# uses one (directly or through another fixture) is slow.
REAL_PARTS = {
    "keras_engine",
    "subtitle_engine",
    "rapid_engine",
    "chinese_engine",
    "japanese_engine",
    "server",
    "served",
    "still_server",
    "websocket_server",
    "pg_server",
    "redis_url",
    "loopback_ray",
    "ray_cluster",
    "playwright",
    "wheel",
    "rtsp",
    "mqtt_broker",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_PARTS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


class RealPartInAFastTest(AssertionError):
    pass


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise RealPartInAFastTest(f"this test {what} but is not marked slow: mark it, or use a fake")

    return refuse


@pytest.fixture(autouse=True)
def real_parts_only_when_slow(request, monkeypatch):
    """In a test not marked slow, building a real engine or starting a real server or
    database fails: the fast loop loads no model and starts nothing."""
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    from stream_ocr import engines

    from . import pgserver, serverproc

    for name, info in list(engines.ENGINES.items()):
        monkeypatch.setitem(engines.ENGINES, name, replace(info, module=__name__, cls="NoEngineInAFastTest"))
    monkeypatch.setattr(serverproc.ServerProcess, "__init__", _refuse("starts a server process"))
    monkeypatch.setattr(pgserver.PostgresServer, "__init__", _refuse("starts PostgreSQL"))
    yield


def NoEngineInAFastTest(config):  # noqa: N802  (stands where an engine class is looked up)
    raise RealPartInAFastTest("this test builds a real engine but is not marked slow: mark it, or use a fake")


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
def chinese_engine():
    """The default engine reading English and Chinese (``--lang en,zh``)."""
    from stream_ocr.config import EngineConfig
    from stream_ocr.engines import create_engine

    return create_engine(EngineConfig(languages="en,zh"))


@pytest.fixture(scope="session")
def rapid_engine():
    from stream_ocr.engines import create_engine

    return create_engine(name="rapidocr")


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    if not (EVAL / "icdar2015").is_dir():
        pytest.fail(f"the eval data is missing: expected {EVAL} (../shared/eval beside the repository)")
    return EVAL
