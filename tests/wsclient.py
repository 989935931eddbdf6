"""A websocket client for the tests: simple-websocket's, without its lost first message.

simple-websocket 1.1's client takes only the handshake's answer from its first read of
the socket. When the server's first message came in the same read (Engine.IO's OPEN,
sent at once after the 101; seen on a fast machine), it stays in wsproto's buffer until
more bytes arrive: a ping 25 s later, or the server closing the silent session after
10 s. Browsers keep it; so does this client.
"""

from __future__ import annotations

import simple_websocket


class Client(simple_websocket.Client):
    def handshake(self) -> None:
        super().handshake()
        # Hand on whatever came with the 101 (the reader thread has not started yet).
        self.connected = self._handle_events()


def connect(url: str, **kwargs) -> Client:
    return Client.connect(url, **kwargs)
