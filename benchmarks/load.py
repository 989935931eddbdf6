"""Benchmark fairness: a live stream's result rate with and without a flood of still-image requests.

Starts ``stream-ocr serve`` with the sample video as a live stream, watches it with one
Socket.IO client, and measures for ``--seconds`` each, in one run on one server:

1. the live stream alone: results read per second;
2. the same while ``--clients`` threads post ``samples/coffee_sign.jpg`` to ``/api/`` back
   to back: the live rate again, the API's latency (p50/p95) and its share of 503s.

The bar (issue "Hardening"): the live rate under load stays >= 50% of the rate without.

With ``--viewers N`` it measures the other load instead: N Socket.IO viewers of the stream
over websockets (``benchmarks/viewers.py``, which can also be run by itself): who gets in,
their preview rate, the live rate and ``/healthz`` latency.

    python benchmarks/load.py --viewers 500 [--seconds 60] [--tree /tmp/before] [--async-mode eventlet]

    pip install websocket-client   # the Socket.IO client's transport
    python benchmarks/load.py [--seconds 60] [--clients 16] [--api-rate-limit 120/minute]

Clients back off 0.5 s after a 503 or a 429, as a polite client does with Retry-After.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.async_modes import pct  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def live_rate(results: list[float], start: float, end: float) -> float:
    return sum(start <= t < end for t in results) / (end - start)


def flood(url: str, image: str, stop: threading.Event, outcomes: list[tuple[int, float]]) -> None:
    import requests

    session = requests.Session()
    while not stop.is_set():
        t = time.perf_counter()
        try:
            status = session.post(url + "/api/", json={"image": image}, timeout=120).status_code
        except requests.RequestException:
            status = 0
        outcomes.append((status, (time.perf_counter() - t) * 1000))
        if status in (429, 503):
            time.sleep(0.5)  # what a polite client does with Retry-After, shortened


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--settle", type=float, default=20, help="seconds before measuring")
    parser.add_argument(
        "--api-rate-limit",
        default="100000/minute",
        help="the server's per-address API rate (default: high, so that the engine's sharing is what is measured; "
        "the server's own default is 120/minute)",
    )
    parser.add_argument("--viewers", type=int, help="measure N websocket viewers instead of an API flood")
    parser.add_argument("--tree", type=Path, default=ROOT, help="with --viewers: the checkout whose server to run")
    parser.add_argument("--async-mode", default="threading", choices=("threading", "eventlet"))
    args = parser.parse_args()
    if args.viewers is not None:
        from benchmarks.viewers import watch

        row = watch(args.viewers, args.seconds, args.tree, args.async_mode, handshake_deadline=15.0)
        print(json.dumps(row))
        return 0
    import socketio

    server = ServerProcess(
        "--source", f"sample={ROOT / 'samples' / 'signs.mp4'}", "--loop", "--api-rate-limit", args.api_rate_limit
    )
    server.wait_ready(timeout=300)
    inferred: list[float] = []
    client = socketio.Client()
    client.on("ocr_result", lambda r: None if r.get("skipped") else inferred.append(time.time()))
    client.connect(server.url, transports=["websocket"])
    client.emit("join", {"stream_id": "sample"})
    time.sleep(args.settle)

    quiet_start = time.time()
    time.sleep(args.seconds)
    quiet_end = time.time()

    image = "data:image/jpeg;base64," + base64.b64encode((ROOT / "samples" / "coffee_sign.jpg").read_bytes()).decode()
    stop = threading.Event()
    outcomes: list[tuple[int, float]] = []
    threads = [threading.Thread(target=flood, args=(server.url, image, stop, outcomes)) for _ in range(args.clients)]
    for t in threads:
        t.start()
    load_start = time.time()
    time.sleep(args.seconds)
    load_end = time.time()
    stop.set()
    for t in threads:
        t.join(180)
    client.disconnect()
    code = server.stop()

    quiet = live_rate(inferred, quiet_start, quiet_end)
    loaded = live_rate(inferred, load_start, load_end)
    ok_ms = [ms for status, ms in outcomes if status == 200]
    row = {
        "clients": args.clients,
        "api_rate_limit": args.api_rate_limit,
        "seconds": args.seconds,
        "live_results_per_s_alone": round(quiet, 3),
        "live_results_per_s_under_load": round(loaded, 3),
        "live_ratio": round(loaded / quiet, 2) if quiet else None,
        "api_requests": len(outcomes),
        "api_200": len(ok_ms),
        "api_503_share": round(sum(s == 503 for s, _ in outcomes) / max(1, len(outcomes)), 3),
        "api_429": sum(s == 429 for s, _ in outcomes),
        "api_other": sum(s not in (200, 429, 503) for s, _ in outcomes),
        "api_p50_ms": round(pct(ok_ms, 50)),
        "api_p95_ms": round(pct(ok_ms, 95)),
        "clean_exit": code == 0,
    }
    print(json.dumps(row))
    cols = list(row)
    print("\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
