"""The package as a user installs it: a built wheel in a fresh virtualenv serves its page."""

import subprocess
import sys
import urllib.request
import zipfile

import pytest
from setuptools import find_packages

from .conftest import ROOT
from .serverproc import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        # As a user builds it: pip fetches the build requirements (setuptools>=69) itself.
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    (path,) = out.glob("stream_ocr-*.whl")
    return path


def test_the_wheel_holds_every_package_and_the_page_but_no_samples(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in find_packages(str(ROOT), include=["stream_ocr*"]):
        init = package.replace(".", "/") + "/__init__.py"
        if (ROOT / init).exists():
            assert init in names, f"{package} is not in the wheel: list it in pyproject.toml"
    for page in ("index.html", "app.js", "style.css", "vendor/socket.io.min.js"):
        assert f"stream_ocr/web/{page}" in names
    assert "stream_ocr/engines/weights/english_g2_video.npz" in names
    assert not any(name.startswith(("samples/", "tests/", "web/")) for name in names)


def test_an_installed_wheel_serves_its_page(wheel, tmp_path):
    venv = tmp_path / "venv"
    # System site packages for TensorFlow and the other dependencies; the wheel itself
    # goes into the virtualenv, whose site-packages come first.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=600)
    where = subprocess.run(
        [python, "-c", "import stream_ocr; print(stream_ocr.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), where  # the wheel, not the source tree
    server = ServerProcess(python=python, cwd=tmp_path)
    try:
        server.wait_ready(timeout=300)
        for path, marker in (("/", b"<html"), ("/static/app.js", b"socket"), ("/static/vendor/socket.io.min.js", b"")):
            with urllib.request.urlopen(server.url + path, timeout=30) as res:
                assert res.status == 200, path
                assert marker in res.read().lower(), path
        # A quiet start-up in our own voice: what is served, where, with which engine and on
        # which device; none of TensorFlow's native chatter (absl, CUDA probing, oneDNN).
        log = server.log()
        assert f"open {server.url}/ in a browser" in log
        assert "reading with keras-ocr" in log and "no configured streams" in log
        assert "running on CPU" in log or "running on /physical_device:GPU" in log, log
        assert "cuInit" not in log and "absl::InitializeLog" not in log and "oneDNN" not in log, log
        assert not [line for line in log.splitlines() if line[:5] in ("I0000", "W0000", "E0000")], log
    finally:
        server.stop()
