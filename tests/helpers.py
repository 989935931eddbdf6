"""Small helpers shared by tests."""

import time


def wait_for(predicate, timeout=10.0, interval=0.02):
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; return whether it came true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def send_too_much(ws, message: str, wait_s: float) -> tuple[bool, bool]:
    """Send ``message`` on a simple-websocket client from another thread; return (blocked, closed).

    ``blocked``: the send had not ended after ``wait_s`` (the server stopped reading but kept
    the connection open; the socket is then shut down to free the thread). ``closed``: the
    server closed the connection.
    """
    import contextlib
    import socket
    import threading

    import simple_websocket

    outcome = {"closed": False}

    def send():
        try:
            ws.send(message)
            ws.receive(timeout=10)
            outcome["closed"] = not ws.connected
        except (simple_websocket.ConnectionClosed, OSError):
            outcome["closed"] = True

    sender = threading.Thread(target=send, name="test-websocket-sender", daemon=True)
    sender.start()
    sender.join(wait_s)
    blocked = sender.is_alive()
    with contextlib.suppress(OSError):
        ws.sock.shutdown(socket.SHUT_RDWR)
    sender.join(10)
    return blocked, outcome["closed"]


def signs_frame():
    """A real frame (1 s into samples/signs.mp4), at 1280x720: a photo to draw text over."""
    import cv2

    from .conftest import SAMPLES

    capture = cv2.VideoCapture(str(SAMPLES / "signs.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 1000)
    ok, frame = capture.read()
    capture.release()
    assert ok
    return cv2.resize(frame, (1280, 720), interpolation=cv2.INTER_CUBIC)
