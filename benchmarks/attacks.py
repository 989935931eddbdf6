"""Benchmark a Socket.IO attack on a live server: the sample stream's results, memory and log.

Starts ``stream-ocr serve`` with the sample video as a live stream, and measures, in one
run on one server, windows of ``--seconds`` each:

1. before: the sample stream's results (frames read) per window;
2. during the attack: ``--flooders`` connections send events as fast as their sockets
   take them (join and leave, with and without payloads, reconnecting when closed), and
   ``--holders`` connections each announce a camera frame and send an attachment of
   ``--attachment-mb`` megabytes, again and again, and one announces 9,999,999
   attachments (issue 35's findings 1 and 2);
3. after: the same, from the moment the attackers leave.

It prints the results per window (the bar: >= 80% of before, during the attack, and back
within 5 s after), the server's RSS before, at its peak and 10 s after (the bar: growth
<= 300 MB, back within 10 s), and how much its log grew (the bar: <= 1 MB).

    python benchmarks/attacks.py [--seconds 10] [--flooders 4] [--holders 2] [--attachment-mb 8]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import socket
import struct
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.runtimes import cpu_flags  # noqa: E402
from tests.server.test_attacks import raw_websocket  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def ws_frame(payload: bytes, binary: bool = False) -> bytes:
    """One masked websocket frame, as a client sends it."""
    mask = b"\x5a\x17\xc0\xde"
    header = bytes([0x82 if binary else 0x81])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 1 << 16:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 4096 else _mask_fast(payload, mask)
    return header + mask + masked


def _mask_fast(payload: bytes, mask: bytes) -> bytes:
    import numpy as np

    data = np.frombuffer(payload, np.uint8)
    key = np.resize(np.frombuffer(mask, np.uint8), data.size)
    return (data ^ key).tobytes()


_next_address = iter(range(1 << 30))


def source_address(spread: int) -> str:
    """The next of ``spread`` loopback addresses (127.0.1.x): a distributed attacker, each
    address shut out on its own."""
    k = next(_next_address) % max(1, spread)
    return f"127.0.{1 + k // 250}.{1 + k % 250}"


def connect(port: int, spread: int = 1) -> socket.socket:
    """An Engine.IO websocket that has said Socket.IO's CONNECT, from the next address."""
    sock, status = raw_websocket(port, source_address(spread))
    if status != 101:
        sock.close()
        raise OSError(f"refused with {status}")  # shut out, or full
    sock.sendall(ws_frame(b"40"))
    return sock


def drain(sock: socket.socket, stop: threading.Event) -> None:
    """Read what the server sends, so that its writes never block on us."""
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            if not sock.recv(1 << 16):
                return
        except TimeoutError:
            continue
        except OSError:
            return


def attack(port: int, stop: threading.Event, spread: int, send_once) -> None:
    """Connect, ``send_once(sock)`` until closed or stopped, and again, from the next address."""
    while not stop.is_set():
        try:
            sock = connect(port, spread)
        except OSError:
            time.sleep(0.2)
            continue
        threading.Thread(target=drain, args=(sock, stop), daemon=True).start()
        sock.settimeout(5)
        with contextlib.suppress(OSError):
            while not stop.is_set():
                send_once(sock)
        sock.close()


def flooder(port: int, stop: threading.Event, sent: list[int], spread: int) -> None:
    burst = b"".join(ws_frame(p) for p in (b'42["join"]', b'42["leave",{}]', b'42["join",{"stream_id":"x"}]') * 500)

    def send_once(sock: socket.socket) -> None:
        sock.sendall(burst)
        sent.append(1500)  # events

    attack(port, stop, spread, send_once)


def holder(
    port: int, stop: threading.Event, megabytes: float, sent: list[int], declare_millions: bool, spread: int
) -> None:
    attachment = ws_frame(b"\xff\xd8" + bytes(int(megabytes * (1 << 20))), binary=True)
    header = ws_frame(b'45%d-["camera_frame",{"_placeholder":true,"num":0}]' % (9999999 if declare_millions else 1))

    def send_once(sock: socket.socket) -> None:
        sock.sendall(header)
        sock.sendall(attachment)
        sent.append(len(attachment))

    attack(port, stop, spread, send_once)


def metric(url: str, name: str, labels: str = "") -> float:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as res:
        text = res.read().decode()
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def worker_pid(proc: ServerProcess) -> str:
    """The serving process: gunicorn's worker (the child), or the server itself."""
    import subprocess

    pids = subprocess.run(["pgrep", "-P", str(proc.proc.pid)], capture_output=True, text=True).stdout.split()
    return pids[0] if pids else str(proc.proc.pid)


def worker_rss_mb(proc: ServerProcess) -> float:
    status = Path(f"/proc/{worker_pid(proc)}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def worker_cpu_s(proc: ServerProcess) -> float:
    """CPU seconds the serving process has used (user and system)."""
    fields = Path(f"/proc/{worker_pid(proc)}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--flooders", type=int, default=4)
    parser.add_argument("--holders", type=int, default=2)
    parser.add_argument("--attachment-mb", type=float, default=8.0)
    parser.add_argument(
        "--addresses", type=int, default=100, help="loopback addresses the attackers connect from, in turn (1: one)"
    )
    args = parser.parse_args()
    print(f"CPU flags: {cpu_flags()}")
    log = Path("/tmp/stream-ocr-attacks.log")
    proc = ServerProcess("--source", f"sample={ROOT / 'samples' / 'signs.mp4'}", "--loop", log_path=log)
    label = '{stream="sample"}'
    try:
        proc.wait_ready(timeout=300)
        time.sleep(10)  # the stream warm, the engine's first reads done

        def results() -> float:
            """The sample stream's results: frames read, and frames found unchanged."""
            return sum(metric(proc.url, f"stream_ocr_frames_{k}_total", label) for k in ("inferred", "skipped"))

        def window() -> float:
            start = results()
            time.sleep(args.seconds)
            return results() - start

        cpu0 = worker_cpu_s(proc)
        before = window()
        cpu_before = worker_cpu_s(proc) - cpu0
        rss_before = worker_rss_mb(proc)
        log_before = log.stat().st_size
        stop = threading.Event()
        events: list[int] = []
        held: list[int] = []
        threads = [
            threading.Thread(target=flooder, args=(proc.port, stop, events, args.addresses))
            for _ in range(args.flooders)
        ]
        threads += [
            threading.Thread(target=holder, args=(proc.port, stop, args.attachment_mb, held, k == 0, args.addresses))
            for k in range(args.holders + 1)
        ]
        peak = rss_before
        for t in threads:
            t.start()
        start = results()
        cpu1, mine1 = worker_cpu_s(proc), own_cpu_s()
        t_end = time.monotonic() + args.seconds
        while time.monotonic() < t_end:
            peak = max(peak, worker_rss_mb(proc))
            time.sleep(0.5)
        during = results() - start
        cpu_during, mine_during = worker_cpu_s(proc) - cpu1, own_cpu_s() - mine1
        stop.set()
        for t in threads:
            t.join(30)
        left_at = time.monotonic()
        # Back to its rate: the first 5 s window after the attackers left that reaches 80%.
        back_s = None
        for _ in range(6):
            a = results()
            time.sleep(5)
            rate = (results() - a) / 5
            if rate >= 0.8 * before / args.seconds:
                back_s = time.monotonic() - left_at - 5
                break
        time.sleep(max(0.0, 10 - (time.monotonic() - left_at)))
        rss_after = worker_rss_mb(proc)
        after = window()
        grown = log.stat().st_size - log_before
        dropped = metric(proc.url, "stream_ocr_socketio_events_dropped_total")
        closed = {
            why: metric(proc.url, "stream_ocr_socketio_connections_closed_total", f'{{why="{why}"}}')
            for why in ("flood", "attachments", "malformed")
        }
    finally:
        proc.stop()
    print(
        f"attack: {args.flooders} flooders, {args.holders} holders of {args.attachment_mb:g} MB, "
        f"one announcing 9,999,999, from {args.addresses} addresses in turn"
    )
    print(f"written into sockets: {sum(events):,} events and {sum(held) / 1e6:,.0f} MB of attachments")
    print(f"the server dropped {dropped:,.0f} events over the rate, and closed connections: {closed}")
    print("| window | sample results | share of before |")
    print("| --- | --- | --- |")
    for name, value in (("before", before), ("during the attack", during), ("after", after)):
        print(f"| {name} ({args.seconds:g} s) | {value:.0f} | {value / before if before else 0:.0%} |")
    back = f"within {max(0.0, back_s):.1f} s" if back_s is not None else "not within 30 s"
    print(f"back to 80% of its rate: {back}")
    print(
        f"RSS: before {rss_before:.0f} MB, peak {peak:.0f} MB (+{peak - rss_before:.0f}), 10 s after {rss_after:.0f} MB"
    )
    print(f"log grew {grown / 1024:.1f} KB")
    print(
        f"CPU seconds per window: the server {cpu_before:.1f} before, {cpu_during:.1f} during the attack; "
        f"the attackers (this process, on the same cores) {mine_during:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
