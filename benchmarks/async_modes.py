"""Benchmark the server's two event loops, threading and eventlet, side by side.

For each mode: start ``stream-ocr serve`` with the 30 fps sample video, connect one
Socket.IO client (websocket) that watches the stream, and for ``--seconds`` record what a
viewer gets: preview frames per second, results per second, capture fps and latency (from
the server's metrics), how long events take to reach the client after the server has
them, and the still-image API's latency while the stream runs.

    pip install websocket-client   # the benchmark's Socket.IO client transport
    python benchmarks/async_modes.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.serverproc import ServerProcess  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def run_mode(mode: str, seconds: float) -> dict:
    import requests
    import socketio

    server = ServerProcess("--source", f"sample={ROOT / 'samples' / 'signs.mp4'}", "--loop", async_mode=mode)
    server.wait_ready()
    client = socketio.Client()
    frames: list[float] = []
    results: list[float] = []
    delivery_ms: list[float] = []
    metrics: list[dict] = []
    client.on("frame", lambda f: frames.append(time.time()))

    def on_result(r):
        now = time.time()
        results.append(now)
        delivery_ms.append((now - r["result_at"]) * 1000)

    client.on("ocr_result", on_result)
    client.on("metrics", lambda m: metrics.append(m))
    client.connect(server.url, transports=["websocket"])
    client.emit("join", {"stream_id": "sample"})
    time.sleep(5)  # the stream settles
    frames.clear(), results.clear(), delivery_ms.clear(), metrics.clear()
    start = time.time()
    image = "data:image/jpeg;base64," + base64.b64encode((ROOT / "samples" / "coffee_sign.jpg").read_bytes()).decode()
    api_ms = []
    while time.time() - start < seconds:
        if len(api_ms) < 5 and time.time() - start > 10 * (len(api_ms) + 1):
            t = time.perf_counter()
            requests.post(server.url + "/api/", json={"image": image}, timeout=120).raise_for_status()
            api_ms.append((time.perf_counter() - t) * 1000)
        time.sleep(0.2)
    elapsed = time.time() - start
    client.disconnect()
    code = server.stop()
    last = metrics[-1] if metrics else {}
    return {
        "mode": mode,
        "seconds": round(elapsed, 1),
        "preview_fps_received": round(len(frames) / elapsed, 2),
        "results_per_s": round(len(results) / elapsed, 3),
        "capture_fps": last.get("capture_fps"),
        "latency_p50_ms": last.get("latency_p50_ms"),
        "latency_p95_ms": last.get("latency_p95_ms"),
        "event_delivery_p50_ms": round(pct(delivery_ms, 50), 1),
        "event_delivery_p95_ms": round(pct(delivery_ms, 95), 1),
        "api_median_ms": round(statistics.median(api_ms)) if api_ms else None,
        "clean_exit": code == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--modes", default="threading,eventlet")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_mode(args.one, args.seconds)))
        return 0
    rows = []
    for mode in args.modes.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--one", mode, "--seconds", str(args.seconds)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    cols = list(rows[0])
    print("\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
