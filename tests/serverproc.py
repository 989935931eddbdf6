"""Start the real server in a subprocess on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(
        self,
        *args: str,
        async_mode: str = "threading",
        log_path: Path | None = None,
        data_dir: Path | None = None,
        python: str = sys.executable,
        cwd: Path = ROOT,
    ) -> None:
        self.port = free_port()
        # The default history goes to a folder of this process's own, never the user's.
        self._temp_data_dir = None if data_dir is not None else tempfile.mkdtemp(prefix="stream-ocr-data-")
        self.data_dir = Path(data_dir or self._temp_data_dir)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"stream-ocr-server-{self.port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115  (open for the life of the process)
        cmd = [python, "-m", "stream_ocr", "serve", "--port", str(self.port), "--async-mode", async_mode, *args]
        env = {**os.environ, "STREAM_OCR_DATA_DIR": str(self.data_dir)}
        # A session of its own: a server that must be killed takes its workers with it.
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as res:
                    return json.loads(res.read())
            except OSError:
                time.sleep(0.3)
        log = self.log()[-3000:]
        self.stop()  # a fixture that fails here never reaches its teardown
        raise TimeoutError(f"server not ready in {timeout} s:\n{log}")

    def health(self) -> dict:
        with urllib.request.urlopen(self.url + "/healthz", timeout=10) as res:
            return json.loads(res.read())

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        if self._temp_data_dir is not None:
            shutil.rmtree(self._temp_data_dir, ignore_errors=True)
        return self.proc.returncode
