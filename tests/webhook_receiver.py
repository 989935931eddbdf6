"""A webhook receiver for the tests: a real HTTP server on loopback that records what it is sent.

It can refuse its first requests (HTTP 503), as a receiver that is restarting would, and
it can be started late, on a port chosen before, as one that was down.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .serverproc import free_port


class WebhookReceiver:
    def __init__(self, fail_first: int = 0, port: int | None = None) -> None:
        self.fail_first = fail_first
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.attempts = 0
        self.received: list[tuple[Any, bytes]] = []  # (headers: case-insensitive, body)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.attempts += 1
                if receiver.attempts <= receiver.fail_first:
                    self.send_response(503)
                else:
                    receiver.received.append((self.headers, body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, name="test-webhook-receiver", daemon=True).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
