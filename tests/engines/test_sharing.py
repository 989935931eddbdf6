"""Turn-taking on the one engine: live streams keep their share, the API lane is bounded.

Plumbing only: a stand-in engine that sleeps stands for the real one, since what is under
test is who gets the next turn, not OCR.
"""

import threading
import time

import numpy as np
import pytest

from stream_ocr.config import ShareConfig
from stream_ocr.engines.base import Engine
from stream_ocr.engines.sharing import EngineShares, SharedEngine
from stream_ocr.errors import BadInputError, EngineBusyError

FRAME = np.zeros((8, 8, 3), np.uint8)


class SleepyEngine(Engine):
    name = "sleepy"

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def _read(self, frame, timings):
        time.sleep(self.seconds)
        return []


def hammer(engine, stop, counts, key, errors):
    while not stop.is_set():
        try:
            engine.read(FRAME)
            counts[key] += 1
        except EngineBusyError:
            errors[key] += 1
            time.sleep(0.005)


def run_for(seconds, workers):
    """Hammer each (lane engine, lane name) in ``workers`` from its own thread; reads per lane."""
    stop = threading.Event()
    counts = {name: 0 for _, name in workers}
    errors = dict.fromkeys(counts, 0)
    threads = [threading.Thread(target=hammer, args=(engine, stop, counts, name, errors)) for engine, name in workers]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(5)
    return counts


def test_live_keeps_its_share_under_an_api_flood_and_a_video_job():
    engine = SleepyEngine(0.01)
    shares = EngineShares(ShareConfig(api_max_waiting=16))
    lanes = {
        "live": SharedEngine(engine, shares, "live"),
        "api": SharedEngine(engine, shares, "api"),
        "video": SharedEngine(engine, shares, "video"),
    }
    workers = [(lanes["live"], "live"), (lanes["video"], "video")] + [(lanes["api"], "api")] * 12
    counts = run_for(2.0, workers)
    total = sum(counts.values())
    # Weights 2:1:1 -> live half the engine's time, the API and the video job a quarter each.
    assert counts["live"] / total >= 0.4, counts
    assert counts["api"] / total >= 0.15, counts
    assert counts["video"] / total >= 0.15, counts
    assert shares.stats["live"].turns == counts["live"]


def test_without_competition_a_lane_has_the_whole_engine():
    engine = SleepyEngine(0.01)
    shares = EngineShares()
    api = SharedEngine(engine, shares, "api")
    started = time.monotonic()
    for _ in range(20):
        api.read(FRAME)
    assert time.monotonic() - started < 20 * 0.01 + 0.5


def test_the_api_lane_refuses_past_its_bound_and_times_out():
    engine = SleepyEngine(0.5)
    shares = EngineShares(ShareConfig(api_max_waiting=2, api_timeout_s=0.2))
    video = SharedEngine(engine, shares, "video")
    holder = threading.Thread(target=video.read, args=(FRAME,))
    holder.start()
    time.sleep(0.05)  # the video job holds the engine for 0.5 s
    outcomes = []

    def call():
        try:
            SharedEngine(engine, shares, "api").read(FRAME)
            outcomes.append("read")
        except EngineBusyError as e:
            outcomes.append(("busy", e.retry_after_s))

    waiters = [threading.Thread(target=call) for _ in range(2)]
    for t in waiters:
        t.start()
    time.sleep(0.05)
    # Two already wait: a third is turned away at once, not queued.
    started = time.monotonic()
    with pytest.raises(EngineBusyError, match="waiting"):
        SharedEngine(engine, shares, "api").read(FRAME)
    assert time.monotonic() - started < 0.05
    for t in waiters:
        t.join(2)
    holder.join(2)
    # The two waiters gave up after 0.2 s, while the video read still held the engine.
    assert [o[0] for o in outcomes] == ["busy", "busy"]
    assert shares.stats["api"].refused == 1 and shares.stats["api"].timed_out == 2
    assert shares.waiting("api") == 0
    # And the engine is free again afterwards.
    SharedEngine(engine, shares, "api").read(FRAME)


def test_an_idle_lane_earns_no_burst():
    engine = SleepyEngine(0.01)
    shares = EngineShares()
    live, api = SharedEngine(engine, shares, "live"), SharedEngine(engine, shares, "api")
    for _ in range(30):
        api.read(FRAME)  # the API alone for a while: live was idle
    counts = run_for(0.3, [(live, "live")] + [(api, "api")] * 3)
    # Had live been owed its idle time it would have taken every turn for 0.3 s.
    assert counts["api"] >= 4, counts


@pytest.mark.parametrize(
    "kwargs", [{"weights": {"live": 1.0}}, {"weights": {"live": 0, "api": 1, "video": 1}}, {"api_max_waiting": 0}]
)
def test_bad_share_config_is_refused(kwargs):
    with pytest.raises(BadInputError):
        ShareConfig(**kwargs)


def test_unknown_lane_is_refused():
    with pytest.raises(BadInputError, match="lane"):
        SharedEngine(SleepyEngine(0), EngineShares(), "bulk")
