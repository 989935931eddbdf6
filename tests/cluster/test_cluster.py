"""Scale-out for real: a two-node Ray cluster (``ray.cluster_utils.Cluster``, one CPU a node)
and a redis-server, both started here on 127.0.0.1; real web processes and real engines.

Streams run as Ray stream actors, their engines as engine actors; events reach a client
of a second web process through Redis. Then an engine actor's process is killed. Last, a
video is read in two chunks on two workers and must give the single-process timeline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from ..conftest import ROOT, SAMPLES
from ..serverproc import ServerProcess, free_port

# Slow (a Ray cluster and Redis per module), and run in CI all the same: the README's test
# command selects no marker.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def _texts(name: str) -> set[str]:
    lines = json.loads((SAMPLES / f"{name}.json").read_text())["lines"]
    return {line["text"] for line in lines}


@pytest.fixture(scope="module")
def loopback_ray():
    """Every Ray process on 127.0.0.1: Ray otherwise swaps loopback for the machine's address."""
    old = os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    yield
    if old is None:
        os.environ.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
    else:
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = old


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """Debian's redis-server in a temporary folder, on a free loopback port, no persistence."""
    import redis

    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: bash scripts/test.sh installs it (apt-get install redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def ray_cluster(loopback_ray):
    """A Ray head and one more node, one CPU each, on loopback."""
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 150 << 20}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    cluster.add_node(**node)
    yield cluster
    cluster.shutdown()


def _get(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=30) as res:
            return json.loads(res.read())
    except urllib.error.HTTPError as e:  # /healthz's 503 still has a body
        return json.loads(e.read())


class Watcher:
    """A Socket.IO client of one web process watching one stream; keeps every ocr_result."""

    def __init__(self, url: str, stream_id: str) -> None:
        import socketio

        self.results: list[dict] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client()
        self.sio.on("ocr_result", self._on_result)
        self.sio.connect(url, wait_timeout=30)
        self.sio.emit("join", {"stream_id": stream_id})

    def _on_result(self, payload: dict) -> None:
        with self.lock:
            self.results.append(payload)

    def wait_for(self, predicate, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for result in self.results:
                    if predicate(result):
                        return result
            time.sleep(0.2)
        return None

    def close(self) -> None:
        self.sio.disconnect()


def _reads_one_of(texts: set[str], after: float = 0.0):
    """A frame captured after ``after`` and read by an engine (not skipped as unchanged, whose
    lines are carried forward) with a line of ``texts``."""
    return lambda r: r["captured_at"] > after and not r["skipped"] and any(line["text"] in texts for line in r["lines"])


class TestServingOnRay:
    @pytest.fixture(scope="class")
    def web(self, ray_cluster, redis_url, tmp_path_factory):
        """Web process A starts two engine actors and the stream actors of two sources; web
        process B starts nothing and serves what the cluster runs."""
        logs = tmp_path_factory.mktemp("logs")
        common = ["--ray", ray_cluster.address, "--message-queue", redis_url]
        a = ServerProcess(
            *common,
            "--engine-actors",
            "2",
            "--source",
            f"slides={SAMPLES / 'slides.mp4'}",
            "--source",
            f"scores={SAMPLES / 'scoreboard.mp4'}",
            "--loop",
            log_path=logs / "a.log",
        )
        a.wait_ready(600)
        b = ServerProcess(*common, "--engine-actors", "0", log_path=logs / "b.log")
        b.wait_ready(600)
        yield a, b
        for proc in (b, a):
            code = proc.stop()
            assert code == 0, proc.log()[-3000:]

    def test_two_streams_run_on_the_cluster_and_reach_a_client_of_a_second_web_process(self, web):
        a, b = web
        streams = {s["id"]: s for s in _get(b.url + "/api/streams")["streams"]}
        assert set(streams) == {"slides", "scores"}
        assert all(s["node"].startswith("127.0.0.1/") for s in streams.values()), streams
        watchers = {sid: Watcher(b.url, sid) for sid in ("slides", "scores")}
        try:
            for sid, sample in (("slides", "slides"), ("scores", "scoreboard")):
                result = watchers[sid].wait_for(_reads_one_of(_texts(sample)), 600)
                assert result is not None, (sid, watchers[sid].results[-3:], a.log()[-3000:])
                assert result["stream_id"] == sid
        finally:
            for w in watchers.values():
                w.close()
        health = _get(b.url + "/healthz")
        assert health["status"] == "ok", health
        assert len(health["engine_actors"]) == 2 and all(e["alive"] for e in health["engine_actors"])
        # Each stream has its own home actor: both engines read (all frames went to engine-0
        # when each stream actor picked the actor least busy with its own frames).
        assert all(e["frames"] > 0 for e in health["engine_actors"]), health["engine_actors"]
        metrics = urllib.request.urlopen(b.url + "/metrics", timeout=30).read().decode()
        assert 'stream_ocr_engine_actor_frames_total{actor="engine-0"' in metrics
        assert 'stream_ocr_frames_inferred_total{stream="slides"}' in metrics

    def test_an_engine_actor_killed_mid_stream_is_restarted_and_the_stream_goes_on(self, web):
        a, b = web
        before = {e["name"]: e for e in _get(a.url + "/healthz")["engine_actors"]}
        victim = before["engine-0"]
        watcher = Watcher(b.url, "slides")
        try:
            assert watcher.wait_for(_reads_one_of(_texts("slides")), 300) is not None
            os.kill(victim["pid"], signal.SIGKILL)
            killed_at = time.time()
            # Frames captured after the kill are still read and reach the client.
            result = watcher.wait_for(_reads_one_of(_texts("slides"), after=killed_at), 600)
            assert result is not None, a.log()[-3000:]
        finally:
            watcher.close()
        # Ray restarted the actor in a new process; /healthz sees it answer again.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            health = _get(a.url + "/healthz")
            now = {e["name"]: e for e in health["engine_actors"]}
            if now["engine-0"]["alive"] and now["engine-0"]["pid"] != victim["pid"]:
                break
            time.sleep(2)
        else:
            pytest.fail(f"engine-0 was not restarted: {health}")
        assert now["engine-0"]["restarted"] is True and now["engine-0"]["restarts"] >= 1
        assert health["status"] == "ok"


def _video(*args: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "stream_ocr", "video", *args, "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert out.returncode == 0, out.stderr[-3000:]


def _tracks(folder) -> list[dict]:
    data = json.loads((folder / "tracks.json").read_text())
    return data["tracks"] if isinstance(data, dict) else data


def test_a_video_read_on_ray_in_two_chunks_gives_the_single_process_timeline(ray_cluster, tmp_path):
    """slides.mp4 is cut at 10 s, inside "Budget and hiring" (4-12 s) and "Chapter C" (8-12 s):
    their halves must be joined into one track each."""
    video = str(SAMPLES / "slides.mp4")
    _video(video, "--out", str(tmp_path / "single"))
    _video(video, "--out", str(tmp_path / "ray"), "--ray", ray_cluster.address, "--workers", "2")
    single, ray = _tracks(tmp_path / "single"), _tracks(tmp_path / "ray")
    assert len(ray) == len(single)
    assert sorted(t["text"] for t in ray) == sorted(t["text"] for t in single)
    interval = 0.5  # one sample at the default 2 fps
    spans = {t["text"]: (t["first_time"], t["last_time"]) for t in single}
    for t in ray:
        first, last = spans[t["text"]]
        assert abs(t["first_time"] - first) <= interval and abs(t["last_time"] - last) <= interval, t["text"]
    budget = next(t for t in ray if t["text"] == "Budget and hiring")
    assert budget["first_time"] < 10 < budget["last_time"]
    # frames.jsonl names the joined tracks: each chunk's own ids were renumbered, so the
    # frames on both sides of the seam carry the one track's id.
    records = [json.loads(line) for line in (tmp_path / "ray" / "frames.jsonl").read_text().splitlines()]
    named = {line["track_id"] for r in records for line in r.get("lines", []) if line.get("track_id") is not None}
    assert named and named <= {t["id"] for t in ray}
    budget_times = [r["time"] for r in records for line in r.get("lines", []) if line.get("track_id") == budget["id"]]
    assert min(budget_times) < 10 < max(budget_times)
    summary = json.loads((tmp_path / "ray" / "summary.json").read_text())
    assert summary["frames_sampled"] == json.loads((tmp_path / "single" / "summary.json").read_text())["frames_sampled"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ray_address": "auto"}, "--ray needs --message-queue"),
        ({"ray_address": "auto", "message_queue": "redis://127.0.0.1:1/0", "async_mode": "eventlet"}, "threading"),
        ({"message_queue": "http://127.0.0.1:6379"}, "redis:// URL"),
    ],
)
def test_scale_out_settings_that_cannot_work_are_refused_with_the_reason(kwargs, message):
    from stream_ocr.config import ServerConfig
    from stream_ocr.errors import BadInputError

    with pytest.raises(BadInputError, match=message):
        ServerConfig(**kwargs)


def test_serving_on_a_ray_address_where_none_runs_fails_at_once_with_the_reason():
    """On gunicorn (the default): the worker's set-up error stops the master, which used to
    start a new worker for ever (the worker exited 2, not gunicorn's boot-error code)."""
    out = subprocess.run(
        [sys.executable, "-m", "stream_ocr", "serve", "--port", str(free_port()), "--ray", f"127.0.0.1:{free_port()}"]
        + ["--message-queue", "redis://127.0.0.1:1/0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"},
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert "cannot join the Ray cluster" in out.stderr
    assert out.stderr.count("cannot join the Ray cluster") == 1, out.stderr[-2000:]
