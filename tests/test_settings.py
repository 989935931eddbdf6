"""One configuration model: the command line, the environment and a --config file fill the
same config dataclasses, and their own checks are the only ones."""

import json
import subprocess
import sys

import pytest

from stream_ocr.cli import COMMAND_CONFIGS, build_parser, given_settings
from stream_ocr.config import EngineConfig, ServerConfig
from stream_ocr.errors import BadInputError
from stream_ocr.launcher import wants_eventlet
from stream_ocr.settings import all_settings, check_file_keys, fill, read_config_file
from stream_ocr.video.job import VideoJob

from .conftest import ROOT, SAMPLES


def serve_config(*args: str, file: dict | None = None) -> tuple[ServerConfig, EngineConfig]:
    given = given_settings(build_parser().parse_args(["serve", *args]), file or {})
    return fill(ServerConfig, given), fill(EngineConfig, given)


def test_the_command_line_wins_over_the_environment_which_wins_over_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("STREAM_OCR_DATA_DIR", str(tmp_path))
    file = {"port": 5101, "engine": "rapidocr", "retain-days": 7, "allowed_hosts": ["a.example"]}
    server, engine = serve_config(file=file)
    assert (server.port, engine.name, server.history.retain_days, server.allowed_hosts) == (
        5101,
        "rapidocr",
        7,
        ("a.example",),
    )
    monkeypatch.setenv("STREAM_OCR_PORT", "5102")
    monkeypatch.setenv("STREAM_OCR_ALLOWED_HOSTS", "b.example,c.example")
    monkeypatch.setenv("STREAM_OCR_NO_HISTORY", "yes")
    server, engine = serve_config(file=file | {"retain-days": 30})
    assert (server.port, server.allowed_hosts, server.keep_history) == (5102, ("b.example", "c.example"), False)
    assert server.history.db_url is None
    # ...where a retention from the file would contradict it: the check says so.
    with pytest.raises(BadInputError, match="need a history"):
        serve_config(file=file)
    monkeypatch.delenv("STREAM_OCR_NO_HISTORY")
    server, engine = serve_config("--port", "5103", "--engine", "keras-ocr", "--allowed-hosts", "d.example", file=file)
    assert (server.port, engine.name, server.allowed_hosts) == (5103, "keras-ocr", ("d.example",))
    # Left out everywhere: the field's default, or the command's (a history in the data folder).
    server, engine = serve_config()
    assert engine == EngineConfig() and server.host == "127.0.0.1"
    assert server.history.db_url == f"sqlite:///{tmp_path / 'history.db'}"


def test_bad_values_are_refused_where_they_came_from(monkeypatch, tmp_path):
    # The dataclass's own check, whichever way the value came.
    with pytest.raises(BadInputError, match="port must be 0-65535"):
        serve_config("--port", "70000")
    with pytest.raises(BadInputError, match="port must be 0-65535"):
        serve_config(file={"port": 70000})
    monkeypatch.setenv("STREAM_OCR_MIN_CONFIDENCE", "2")
    with pytest.raises(BadInputError, match="min_confidence must be in"):
        serve_config()
    # Conversions name the variable or the file.
    monkeypatch.setenv("STREAM_OCR_MIN_CONFIDENCE", "high")
    with pytest.raises(BadInputError, match=r"\$STREAM_OCR_MIN_CONFIDENCE"):
        serve_config()
    monkeypatch.delenv("STREAM_OCR_MIN_CONFIDENCE")
    for value in ("5000", 50.5, True):
        with pytest.raises(BadInputError, match="port is a"):
            serve_config(file={"port": value})
    with pytest.raises(BadInputError, match="no-history is true or false"):
        serve_config(file={"no-history": "yes"})
    # Choices and nulls are checked for the file and the environment as argparse checks flags.
    with pytest.raises(BadInputError, match="recognizer is one of english_g2, kurapan"):
        serve_config(file={"recognizer": "nope"})
    with pytest.raises(BadInputError, match="port cannot be null"):
        serve_config(file={"port": None})
    assert serve_config(file={"db": None})[0].history.db_url.startswith("sqlite:")  # optional: null is none
    monkeypatch.setenv("STREAM_OCR_ASYNC_MODE", "gevent")
    with pytest.raises(BadInputError, match=r"\$STREAM_OCR_ASYNC_MODE: async-mode is one of"):
        serve_config()
    monkeypatch.delenv("STREAM_OCR_ASYNC_MODE")
    # A typo in the file is not ignored: it names the known settings.
    with pytest.raises(BadInputError, match="unknown setting.*retian-days.*known: .*retain-days"):
        check_file_keys({"retian-days": 3}, (ServerConfig,), ("sources",), "x.json")
    path = tmp_path / "bad.json"
    path.write_text("[1, 2]")
    with pytest.raises(BadInputError, match="JSON object"):
        read_config_file(path)
    path.write_text("{nope")
    with pytest.raises(BadInputError, match="not JSON"):
        read_config_file(path)


def test_every_setting_has_one_flag_a_help_and_an_environment_variable():
    parser = build_parser()
    for command, classes in COMMAND_CONFIGS.items():
        keys = [s.key for cls in classes for s in all_settings(cls)]
        assert len(keys) == len(set(keys)), f"{command}: a flag is used twice"
        text = parser._subparsers._group_actions[0].choices[command].format_help()
        for cls in classes:
            for s in all_settings(cls):
                assert s.help and s.flag in text and s.env in text.replace("\n", "").replace(" ", ""), (command, s.key)


def test_a_video_job_from_flags_and_the_subtitle_preset():
    given = given_settings(
        build_parser().parse_args(["video", "x.mp4", "--out", "o", "--roi", "1,2,30,40", "--no-cut-reads"]), {}
    )
    job = fill(VideoJob, given)
    assert job.roi == (1, 2, 31, 42) and not job.cuts.enabled and job.change.follow_motion
    with pytest.raises(BadInputError, match="--roi is x,y,w,h"):
        fill(VideoJob, given_settings(build_parser().parse_args(["video", "x", "--out", "o"]), {"roi": "1,2"}))


def test_the_launcher_picks_eventlet_from_the_flag_the_environment_or_the_file(monkeypatch, tmp_path):
    monkeypatch.delenv("STREAM_OCR_ASYNC_MODE", raising=False)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"async-mode": "eventlet"}))
    assert wants_eventlet(["serve", "--config", str(path)])
    assert not wants_eventlet(["serve", "--config", str(path), "--async-mode", "threading"])
    monkeypatch.setenv("STREAM_OCR_ASYNC_MODE", "threading")
    assert not wants_eventlet(["serve", f"--config={path}"])
    assert not wants_eventlet(["image", "--config", str(path)])


@pytest.mark.slow
def test_a_config_file_and_the_environment_choose_the_engine_of_a_real_read(tmp_path):
    """The real command: a file's engine reads the sign; the environment overrides the file."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"engine": "rapidocr", "max-pixels": 5_000_000}))

    def run(*args, env=None):
        return subprocess.run(
            [sys.executable, "-m", "stream_ocr", "image", "--json", "--config", str(path), *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env=env,
        )

    out = run(str(SAMPLES / "coffee_sign.jpg"))
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["engine"] == "rapidocr" and {"FRESH", "COFFEE"} <= {
        w for d in result["detections"] for w in d["text"].split()
    }
    import os

    out = run(str(SAMPLES / "coffee_sign.jpg"), env={**os.environ, "STREAM_OCR_MAX_PIXELS": "1000"})
    assert out.returncode == 1 and "pixels" in out.stderr, out.stderr[-2000:]
    path.write_text(json.dumps({"engine": "rapidocr", "max-pixel": 5}))
    out = run(str(SAMPLES / "coffee_sign.jpg"))
    assert out.returncode == 2 and "unknown setting(s) max-pixel" in out.stderr, out.stderr[-2000:]


def test_serve_takes_streams_from_flags_and_the_file(tmp_path):
    from stream_ocr.cli import serve_sources

    args = build_parser().parse_args(["serve", "--source", "desk=0", "--loop"])
    file = {"sources": [{"name": "lobby", "uri": "rtsp://127.0.0.1:8554/x", "loop": False}]}
    sources = serve_sources(args, file)
    assert [(s.name, s.loop) for s in sources] == [("desk", True), ("lobby", False)]
    with pytest.raises(BadInputError, match="sources is a list"):
        serve_sources(args, {"sources": [{"uri": "x"}]})
