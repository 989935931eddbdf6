import threading
import time

import pytest

from stream_ocr.live.metrics import RateMonitor, StreamStats, percentile
from stream_ocr.live.slot import LatestSlot


def test_newest_wins_and_drops_are_counted():
    slot = LatestSlot("s")
    for i in range(5):
        slot.put(i)
    assert slot.take_nowait() == 4
    assert slot.dropped == 4 and slot.put_count == 5
    assert slot.take_nowait() is None


def test_put_never_blocks_while_a_consumer_waits():
    slot = LatestSlot("s")
    got = []
    consumer = threading.Thread(target=lambda: got.append(slot.take(timeout=5)))
    consumer.start()
    time.sleep(0.05)
    start = time.perf_counter()
    slot.put("frame")
    assert time.perf_counter() - start < 0.05
    consumer.join(5)
    assert got == ["frame"]


def test_take_times_out():
    start = time.perf_counter()
    assert LatestSlot("s").take(timeout=0.1) is None
    assert time.perf_counter() - start >= 0.09


def test_wakeup_is_shared():
    wake = threading.Event()
    a, b = LatestSlot("a", wake), LatestSlot("b", wake)
    b.put(1)
    assert wake.is_set() and a.take_nowait() is None and b.take_nowait() == 1


def test_rate_monitor():
    rate = RateMonitor(window_s=10)
    for i in range(31):
        rate.tick(100.0 + i / 30)
    assert rate.rate(now=101.0) == pytest.approx(30, rel=0.05)
    assert rate.rate(now=150.0) == 0.0  # stalled: everything aged out


@pytest.mark.parametrize(
    "values, q, expected",
    [([], 50, 0.0), ([5.0], 95, 5.0), (list(range(1, 101)), 50, 50.0), (list(range(1, 101)), 95, 95.0)],
)
def test_percentile(values, q, expected):
    assert percentile([float(v) for v in values], q) == pytest.approx(expected, abs=1)


def test_stream_stats_snapshot():
    slot = LatestSlot("s")
    stats = StreamStats("s", slot)
    for _ in range(3):
        stats.frame_captured()
        slot.put(object())
    stats.frame_inferred(100.0)
    stats.frame_inferred(300.0)
    stats.inference_failed()
    snap = stats.snapshot()
    assert (snap.captured, snap.dropped, snap.inferred, snap.errors) == (3, 2, 2, 1)
    assert snap.latency_p95_ms == 300.0
