"""Benchmark scale-out on one machine: live streams and a video, in-process and on Ray.

Side by side, in one run:
  * streams 1, 2 and 4 (``samples/scoreboard.mp4``, looped; change detection off, so every
    frame taken is read): frames read per second per stream, in-process (one engine) and
    on Ray with 1 and 2 engine actors (one CPU and one TensorFlow thread each), with a
    stream actor per stream sending its events through a redis-server started here;
  * a 60 s video (``samples/slides.mp4`` three times over): wall time in one process and
    on Ray with 1 and 2 workers (engine loading included on both sides);
  * Ray's cost per frame: a 1280x720 frame sent to an actor and back (serialisation and
    scheduling), and a pool read minus the engine's own time.
Everything runs on 127.0.0.1.

    python benchmarks/cluster.py [--seconds 45] [--skip-video]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # Ray on loopback only

STREAM_COUNTS = (1, 2, 4)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    import redis

    port = free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    return proc, f"redis://127.0.0.1:{port}/0"


def hub_config():
    from stream_ocr.live.hub import HubConfig
    from stream_ocr.step.change import ChangeConfig

    return HubConfig(change=ChangeConfig(enabled=False))


def specs(n: int):
    from stream_ocr.sources.opening import SourceSpec

    return [SourceSpec(f"s{i}", str(ROOT / "samples" / "scoreboard.mp4"), loop=True) for i in range(n)]


def in_process_rates(engine, n: int, seconds: float) -> list[float]:
    from stream_ocr.live.hub import StreamHub

    hub = StreamHub(engine, specs(n), hub_config())
    hub.start()
    try:
        time.sleep(5)  # capture opens, first frames read
        before = {m["stream_id"]: m["inferred"] for m in hub.metrics()}
        time.sleep(seconds)
        after = {m["stream_id"]: m["inferred"] for m in hub.metrics()}
    finally:
        hub.stop()
    return [(after[k] - before[k]) / seconds for k in sorted(before)]


def ray_rates(engine_names: list[str], redis_url: str, n: int, seconds: float) -> list[float]:
    import ray

    from stream_ocr.cluster.stream_actors import start_stream_actors
    from stream_ocr.config import EngineConfig
    from stream_ocr.engines.base import text_config_of

    actors = start_stream_actors(specs(n), hub_config(), redis_url, engine_names, text_config_of(EngineConfig()))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # every stream read once: engines warm, captures open
            if all(m["inferred"] for m in ray.get([a.metrics.remote() for a in actors])):
                break
            time.sleep(1)
        before = [m["inferred"] for m in ray.get([a.metrics.remote() for a in actors])]
        time.sleep(seconds)
        after = [m["inferred"] for m in ray.get([a.metrics.remote() for a in actors])]
    finally:
        ray.get([a.stop.remote() for a in actors])
        for a in actors:
            ray.kill(a)
        time.sleep(2)  # names freed
    return [(b - a) / seconds for a, b in zip(before, after, strict=True)]


def fmt(rates: list[float]) -> str:
    return f"{statistics.mean(rates):.3f} per stream (total {sum(rates):.2f})"


def overhead(engine_names: list[str], frame) -> tuple[float, float]:
    import ray

    from stream_ocr.cluster.engine_actors import EnginePool
    from stream_ocr.step.lines import TextConfig

    @ray.remote(num_cpus=0)
    class Echo:
        def back(self, x):
            return x.shape

    echo = Echo.remote()
    ray.get(echo.back.remote(frame))
    trips = []
    for _ in range(30):
        t = time.perf_counter()
        ray.get(echo.back.remote(frame))
        trips.append((time.perf_counter() - t) * 1000)
    pool = EnginePool(engine_names[:1], text_config=TextConfig())
    extra = []
    for _ in range(5):
        t = time.perf_counter()
        result = pool.read(frame)
        extra.append((time.perf_counter() - t) * 1000 - result.timings_ms["total"])
    ray.kill(echo)
    return statistics.median(trips), statistics.median(extra)


def make_video(folder: Path) -> Path:
    import cv2

    src = cv2.VideoCapture(str(ROOT / "samples" / "slides.mp4"))
    fps = src.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, image = src.read()
        if not ok:
            break
        frames.append(image)
    out_path = folder / "slides_x3.mp4"
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for _ in range(3):
        for image in frames:
            out.write(image)
    out.release()
    return out_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=45.0, help="measuring window per configuration")
    parser.add_argument("--skip-video", action="store_true")
    args = parser.parse_args()

    import cv2
    import ray

    from stream_ocr.cluster.engine_actors import ensure_engine_actors
    from stream_ocr.cluster.runtime import OWNED, connect
    from stream_ocr.cluster.video_chunks import process_video_on_ray
    from stream_ocr.config import EngineConfig
    from stream_ocr.engines import create_engine
    from stream_ocr.video.job import process_video

    folder = Path(tempfile.mkdtemp(prefix="stream-ocr-cluster-bench-"))
    redis_proc, redis_url = start_redis(folder)
    config = replace(EngineConfig(), tf_intra_op_threads=1)
    print(f"machine: {os.cpu_count()} CPUs; window {args.seconds:.0f} s per configuration")
    try:
        t = time.monotonic()
        engine = create_engine(config)
        load_s = time.monotonic() - t
        print(f"engine load in-process: {load_s:.1f} s")
        for n in STREAM_COUNTS:
            print(f"in-process, {n} stream(s): {fmt(in_process_rates(engine, n, args.seconds))} frames/s", flush=True)
        connect("auto", num_cpus=os.cpu_count())
        for actors in (1, 2):
            names = ensure_engine_actors(actors, config, num_cpus=1)
            for n in STREAM_COUNTS:
                rates = ray_rates(names, redis_url, n, args.seconds)
                print(f"ray, {actors} engine actor(s), {n} stream(s): {fmt(rates)} frames/s", flush=True)
        frame = cv2.resize(cv2.imread(str(ROOT / "samples" / "coffee_sign.jpg")), (1280, 720))
        trip, extra = overhead(names, frame)
        print(
            f"ray per frame: 1280x720 frame to an actor and back {trip:.1f} ms; pool read minus engine time {extra:.1f} ms"
        )
        for handle in OWNED:  # the engine actors free their CPUs for the video workers
            ray.kill(handle)
        if not args.skip_video:
            video = make_video(folder)
            t = time.monotonic()
            process_video(video, folder / "single", create_engine(config))
            print(f"video 60 s, one process (engine load included): {time.monotonic() - t:.1f} s", flush=True)
            for workers in (1, 2):
                t = time.monotonic()
                process_video_on_ray(video, folder / f"ray{workers}", config, workers=workers)
                print(
                    f"video 60 s, ray with {workers} worker(s) (engine loads included): {time.monotonic() - t:.1f} s",
                    flush=True,
                )
    finally:
        if ray.is_initialized():
            ray.shutdown()
        redis_proc.terminate()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
