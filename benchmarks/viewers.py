"""Benchmark many viewers of one live stream: who gets frames, the live rate, and /healthz.

Starts ``stream-ocr serve`` with the sample video as a live stream (this tree, or another
checkout with ``--tree``), then opens ``--clients`` Socket.IO viewers over websockets, a
few per loopback address (127.0.x.y, under the server's per-address cap), each joining the
stream; one thread reads them all (answering Engine.IO's pings) and counts the preview
frames each receives. Meanwhile it asks ``/healthz`` once a second and counts the live
results read. The viewers' handshakes go out at once and may take ``--handshake-deadline``
seconds all told; one the server has not answered by then counts as unanswered (a server
whose every thread is held stops answering rather than refusing). Prints: viewers
connected, refused and unanswered, preview frames per second per viewer (median, and the
share that got none), the live results per second, and /healthz latency.

    python benchmarks/viewers.py --clients 100 [--seconds 60] [--tree /tmp/before] [--async-mode eventlet]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import socket
import statistics
import struct
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.runtimes import cpu_flags  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402

PER_ADDRESS = 4


def frame(text: str) -> bytes:
    """One masked websocket text frame."""
    data = text.encode()
    mask = os.urandom(4)
    size = bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(data))
    return bytes([0x81]) + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class Viewer:
    """One websocket viewer; the handshake is sent at once and its answer read by ``handshake``."""

    def __init__(self, port: int, source: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        self.sock.sendall(
            (
                f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.sock.setblocking(False)
        self.head = b""
        self.ok: bool | None = None  # None until the server answered the handshake
        self.buffer = b""
        self.frames = 0
        self.results = 0

    def handshake(self, data: bytes) -> None:
        """Bytes of the handshake's answer; once whole, join the stream if it was accepted."""
        self.head += data
        if b"\r\n\r\n" not in self.head and data:
            return
        self.head, _, rest = self.head.partition(b"\r\n\r\n")
        self.ok = self.head.startswith(b"HTTP/1.1 101")
        if self.ok:
            self.sock.setblocking(True)
            self.sock.sendall(frame("40") + frame('42["join",{"stream_id":"sample"}]'))
            self.sock.setblocking(False)
            self.feed(rest)

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 2:
            size, at = self.buffer[1] & 0x7F, 2
            if size == 126:
                if len(self.buffer) < 4:
                    return
                size, at = struct.unpack("!H", self.buffer[2:4])[0], 4
            elif size == 127:
                if len(self.buffer) < 10:
                    return
                size, at = struct.unpack("!Q", self.buffer[2:10])[0], 10
            if len(self.buffer) < at + size:
                return
            opcode, payload = self.buffer[0] & 0x0F, self.buffer[at : at + size]
            self.buffer = self.buffer[at + size :]
            if opcode == 1:
                if payload == b"2":
                    self.sock.sendall(frame("3"))
                elif payload.startswith(b'451-["frame"'):
                    self.frames += 1
                elif payload.startswith(b'42["ocr_result"') and re.search(rb'"skipped":\s*false', payload):
                    self.results += 1


def server_rss_mb(pid: int) -> int | None:
    """The resident memory of the server and its children (gunicorn's worker), in MB."""
    try:
        import psutil
    except ImportError:
        return None
    root = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20)


def connect_all(port: int, clients: int, deadline_s: float) -> tuple[list[Viewer], int, int]:
    """Open ``clients`` viewers at once, a few per loopback address, and wait up to
    ``deadline_s`` for their handshakes: (viewers let in, refused, left unanswered)."""
    viewers, refused = [], 0
    for i in range(clients):
        source = f"127.0.{2 + i // (PER_ADDRESS * 250)}.{1 + (i // PER_ADDRESS) % 250}"
        try:
            viewers.append(Viewer(port, source))
        except OSError:
            refused += 1
    selector = selectors.DefaultSelector()
    for viewer in viewers:
        selector.register(viewer.sock, selectors.EVENT_READ, viewer)
    deadline = time.monotonic() + deadline_s
    waiting = len(viewers)
    while waiting and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.1):
            viewer = key.data
            try:
                data = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            except ConnectionError:
                data = b""  # reset: refused
            viewer.handshake(data)
            if viewer.ok is not None:
                selector.unregister(key.fileobj)
                waiting -= 1
    selector.close()
    accepted = [v for v in viewers if v.ok]
    refused += sum(v.ok is False for v in viewers)
    unanswered = sum(v.ok is None for v in viewers)
    for viewer in viewers:
        if not viewer.ok:
            viewer.sock.close()
    return accepted, refused, unanswered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose server to run")
    parser.add_argument("--async-mode", default="threading", choices=("threading", "eventlet"))
    parser.add_argument("--preview-sends-per-s", type=float, help="the server's preview budget (its default)")
    parser.add_argument("--server-threads", type=int, help="threading mode: gunicorn's threads (the server's default)")
    parser.add_argument(
        "--handshake-deadline", type=float, default=15.0, help="seconds the viewers' handshakes may take, all at once"
    )
    args = parser.parse_args()
    extra = ("--server-threads", str(args.server_threads)) if args.server_threads else ()
    if args.preview_sends_per_s is not None:
        extra += ("--preview-sends-per-s", str(args.preview_sends_per_s))
    row = watch(args.clients, args.seconds, args.tree, args.async_mode, args.handshake_deadline, extra)
    print(json.dumps(row))
    print("| " + " | ".join(row) + " |\n|" + "---|" * len(row) + "\n| " + " | ".join(map(str, row.values())) + " |")
    return 0


def watch(
    clients: int, seconds: float, tree: Path, async_mode: str, handshake_deadline: float, extra: tuple[str, ...] = ()
) -> dict:
    """One run: a server of ``tree`` watched by ``clients`` viewers for ``seconds``; the row of figures."""
    os.environ["PYTHONPATH"] = str(tree)
    server = ServerProcess(
        "--source", f"sample={ROOT / 'samples' / 'signs.mp4'}", "--loop", *extra, cwd=tree, async_mode=async_mode
    )
    server.wait_ready(timeout=300)
    viewers: list[Viewer] = []
    try:
        viewers, refused, unanswered = connect_all(server.port, clients, handshake_deadline)
        selector = selectors.DefaultSelector()
        for viewer in viewers:
            selector.register(viewer.sock, selectors.EVENT_READ, viewer)
        latencies, started, next_probe = [], time.monotonic(), 0.0
        while time.monotonic() - started < seconds:
            for key, _ in selector.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(1 << 16)
                except (BlockingIOError, ConnectionError):
                    continue
                if data:
                    key.data.feed(data)
                else:
                    selector.unregister(key.fileobj)
            if time.monotonic() >= next_probe:
                next_probe = time.monotonic() + 1.0
                t = time.perf_counter()
                try:
                    urllib.request.urlopen(server.url + "/healthz", timeout=30).read()
                    latencies.append((time.perf_counter() - t) * 1000)
                except OSError:
                    latencies.append(30_000.0)
        rss_mb = server_rss_mb(server.proc.pid)
        rates = sorted(v.frames / seconds for v in viewers)
        live = max((v.results for v in viewers), default=0) / seconds
    finally:
        for viewer in viewers:
            viewer.sock.close()
        server.stop()
    latencies.sort()
    row = {
        "cpu": cpu_flags(),
        "tree": str(tree),
        "async_mode": async_mode,
        "server_args": " ".join(extra),
        "clients": clients,
        "connected": len(viewers),
        "refused": refused,
        "unanswered": unanswered,
        "frames_per_s_median": round(statistics.median(rates), 2) if rates else 0,
        "share_with_no_frame": round(sum(r == 0 for r in rates) / max(1, len(rates)), 2),
        "live_results_per_s": round(live, 2),
        "healthz_p50_ms": round(latencies[len(latencies) // 2]) if latencies else None,
        "healthz_max_ms": round(latencies[-1]) if latencies else None,
        "server_rss_mb": rss_mb,
    }
    return row


if __name__ == "__main__":
    sys.exit(main())
