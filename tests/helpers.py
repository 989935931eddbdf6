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
