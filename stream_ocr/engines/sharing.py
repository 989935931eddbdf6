"""Fair shares of one engine: whose read runs next when live streams, still images and video jobs all wait.

Owns the turn-taking only. Every read waits in a lane (``live``, ``api``, ``video``); when
the engine frees, the turn goes to the waiting lane that has used the least engine time
for its weight, so a flood of still images or a long video job never starves the live
streams. The ``api`` lane is bounded, in waiting callers and in waiting time: past
either bound a caller gets ``EngineBusyError`` (the web layer's 503 with Retry-After)
rather than a place in an ever longer queue. It runs no OCR of its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from stream_ocr.config import ENGINE_LANES, ShareConfig
from stream_ocr.engines.base import Engine
from stream_ocr.errors import BadInputError, EngineBusyError
from stream_ocr.geometry import Region
from stream_ocr.realthreads import threading, time
from stream_ocr.types import FrameResult

LANES = ENGINE_LANES


@dataclass
class LaneStats:
    """What one lane got: turns, engine seconds, and callers turned away."""

    turns: int = 0
    busy_s: float = 0.0
    refused: int = 0
    timed_out: int = 0


class EngineShares:
    """Weighted fair turns on one engine. Thread-safe; a turn is a context manager."""

    def __init__(self, config: ShareConfig | None = None) -> None:
        self.config = config or ShareConfig()
        self._cond = threading.Condition()
        self._busy = False
        self._waiting: dict[str, deque[object]] = {lane: deque() for lane in LANES}
        # Engine seconds used per unit of weight; an idle lane catches up to the others on
        # its return, so that idling earns no burst.
        self._used: dict[str, float] = dict.fromkeys(LANES, 0.0)
        # A lane served by one thread (live, video) is not waiting in the instant its read
        # ends: its next turn stays held for it for ``return_window_s``, while it is owed one.
        self._virtual = 0.0  # the served lane's ``_used`` at the start of the latest turn
        self._held_for: str | None = None
        self._held_until = 0.0
        self.stats: dict[str, LaneStats] = {lane: LaneStats() for lane in LANES}

    def waiting(self, lane: str) -> int:
        with self._cond:
            return len(self._waiting[lane])

    def _next_lane(self) -> str | None:
        """The lane whose turn it is: the least served for its weight among those waiting, and
        the lane the turn is held for (None while it is held and that lane has not come back)."""
        ready = [lane for lane in LANES if self._waiting[lane]]
        held = self._held_for if time.monotonic() < self._held_until else None
        candidates = ready + ([held] if held is not None and held not in ready else [])
        if not candidates:
            return None
        best = min(candidates, key=lambda lane: self._used[lane])
        return best if best in ready else None

    def _wait_s(self, deadline: float | None) -> float | None:
        """How long to sleep: until the caller's deadline or the end of a held turn, whichever is first."""
        ends = [t for t in (deadline, self._held_until if self._held_for else None) if t is not None]
        return max(0.0, min(ends) - time.monotonic()) + 0.001 if ends else None

    @contextmanager
    def turn(self, lane: str, timeout_s: float | None = None) -> Iterator[None]:
        """Wait for ``lane``'s turn on the engine, hold it for the ``with`` body."""
        if lane not in self._waiting:
            raise BadInputError(f"unknown engine lane {lane!r}; one of {', '.join(LANES)}")
        bounded = lane == "api"
        if bounded and timeout_s is None:
            timeout_s = self.config.api_timeout_s
        ticket = object()
        with self._cond:
            queue = self._waiting[lane]
            if bounded and len(queue) >= self.config.api_max_waiting:
                self.stats[lane].refused += 1
                raise EngineBusyError(
                    f"the engine is busy ({len(queue)} images already waiting); try again shortly", retry_after_s=2
                )
            returning = self._held_for == lane and time.monotonic() < self._held_until
            if not queue and not returning:
                # Back from idle: start where the engine's service stands now (start-time
                # fair queueing), so that idling earns no burst.
                self._used[lane] = max(self._used[lane], self._virtual)
            queue.append(ticket)
            deadline = None if timeout_s is None else time.monotonic() + timeout_s
            try:
                while self._busy or self._next_lane() != lane or queue[0] is not ticket:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        self.stats[lane].timed_out += 1
                        raise EngineBusyError(
                            f"the engine stayed busy for {timeout_s:.0f} s; try again shortly", retry_after_s=5
                        )
                    self._cond.wait(self._wait_s(deadline))
            except BaseException:
                queue.remove(ticket)
                self._cond.notify_all()
                raise
            queue.popleft()
            self._busy = True
            self._virtual = self._used[lane]
            if self._held_for == lane:
                self._held_for = None
        started = time.monotonic()
        try:
            yield
        finally:
            spent = time.monotonic() - started
            with self._cond:
                self._busy = False
                self._used[lane] += spent / self.config.weights[lane]
                if not self._waiting[lane]:
                    self._held_for, self._held_until = lane, time.monotonic() + self.config.return_window_s
                self.stats[lane].turns += 1
                self.stats[lane].busy_s += spent
                self._cond.notify_all()


class SharedEngine:
    """An engine seen through one lane of ``EngineShares``: ``read`` waits for the lane's turn."""

    def __init__(self, engine: Engine, shares: EngineShares, lane: str) -> None:
        if lane not in LANES:
            raise BadInputError(f"unknown engine lane {lane!r}; one of {', '.join(LANES)}")
        self.engine = engine
        self.shares = shares
        self.lane = lane
        self.name = engine.name
        self.text_config = engine.text_config

    def read(self, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult:
        with self.shares.turn(self.lane):
            return self.engine.read(frame, regions)
