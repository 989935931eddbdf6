"""OCR engines as Ray actors, and the pool that spreads frames over them.

Each ``EngineActor`` loads its engine once, with its share of CPUs (and GPUs, where
TensorFlow finds one), and reads one frame at a time. Ray restarts an actor whose
process dies (``max_restarts``) and retries the call that was running; the pool sends
a frame to the actor with the fewest frames in flight from this process and, if that
actor is gone, to the next.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import ray

from stream_ocr.cluster.runtime import NAMESPACE, OWNED, get_actor, named_actors, node_label
from stream_ocr.config import EngineConfig
from stream_ocr.errors import StreamOCRError
from stream_ocr.geometry import Region
from stream_ocr.live.metrics import RateMonitor
from stream_ocr.realthreads import threading, time
from stream_ocr.step.lines import TextConfig
from stream_ocr.types import FrameResult

logger = logging.getLogger(__name__)

PREFIX = "engine-"


class EngineActor:
    """One loaded engine. Reads frames; reports what it did."""

    def __init__(self, config: EngineConfig) -> None:
        from stream_ocr.engines import create_engine

        self.engine = create_engine(config)
        self.node = node_label()
        self.frames = 0
        self.errors = 0
        self.busy_s = 0.0
        self.rate = RateMonitor()
        self.restarted = ray.get_runtime_context().was_current_actor_reconstructed

    def read(self, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult:
        start = time.monotonic()
        try:
            result = self.engine.read(frame, regions)
        except Exception:
            self.errors += 1
            raise
        finally:
            self.busy_s += time.monotonic() - start
        self.frames += 1
        self.rate.tick()
        return result

    @ray.method(concurrency_group="report")
    def stats(self) -> dict[str, Any]:
        """Answered at once, in its own thread, even while a frame is being read."""
        return {
            "engine": self.engine.name,
            "node": self.node,
            "pid": os.getpid(),
            "frames": self.frames,
            "errors": self.errors,
            "busy_s": round(self.busy_s, 2),
            "fps": round(self.rate.rate(), 2),
            "restarted": self.restarted,
        }


# Reads run one at a time; reports have a thread of their own, so health checks never
# wait behind a frame.
RemoteEngineActor = ray.remote(concurrency_groups={"report": 1})(EngineActor)


def ensure_engine_actors(count: int, config: EngineConfig, num_cpus: float = 1.0, num_gpus: float = 0.0) -> list[str]:
    """Start engine actors ``engine-0`` .. ``engine-<count-1>`` unless they run already;
    returns the names of every engine actor in the cluster."""
    if config.tf_intra_op_threads == 0:
        config = replace(config, tf_intra_op_threads=max(1, int(num_cpus)))
    names = {f"{PREFIX}{i}" for i in range(count)}
    for name in sorted(names):
        handle = RemoteEngineActor.options(
            name=name,
            namespace=NAMESPACE,
            get_if_exists=True,
            max_restarts=-1,
            max_task_retries=3,
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            scheduling_strategy="SPREAD",
        ).remote(config)
        OWNED.append(handle)
    # A new actor may not be listed yet: the names just created count too.
    return sorted(names | set(named_actors(PREFIX)))


class EnginePool:
    """A ``FrameReader`` over engine actors: ``read`` runs on the home actor, or the least busy."""

    def __init__(
        self, names: list[str], *, text_config: TextConfig, timeout_s: float = 300.0, home: int | None = None
    ) -> None:
        if not names:
            raise StreamOCRError("no engine actors in the Ray cluster: start some with --engine-actors N")
        self.names = list(names)
        self.actors = [get_actor(n) for n in self.names]
        self.timeout_s = timeout_s
        self.name = "ray-pool"
        # The actors' engines return words; they become lines where the frames are stepped.
        self.text_config = text_config
        self._lock = threading.Lock()
        self._in_flight = [0] * len(self.actors)
        # A stream actor's pool sees only its own stream's frames, so "least busy" would send
        # every stream to the first actor: each stream has a home actor instead (spread by
        # the caller), and the others are its fall-backs. A pool shared by many callers (a
        # web process) takes the least busy actor, equals in turn.
        self.home = None if home is None else home % len(self.actors)
        self._next = 0

    def _order(self) -> list[int]:
        """Actors to try, best first: fewest frames in flight from here, then from the home
        actor (or the next in turn) onwards."""
        with self._lock:
            n = len(self.actors)
            start = self.home if self.home is not None else self._next
            self._next = (self._next + 1) % n
            turn = [(start + k) % n for k in range(n)]
            return sorted(turn, key=lambda i: self._in_flight[i])

    def read(self, frame: np.ndarray, regions: Sequence[Region] | None = None) -> FrameResult:
        from ray.exceptions import GetTimeoutError, RayActorError

        last: Exception | None = None
        for i in self._order():
            with self._lock:
                self._in_flight[i] += 1
            try:
                return ray.get(self.actors[i].read.remote(frame, regions), timeout=self.timeout_s)
            except (RayActorError, GetTimeoutError) as e:
                logger.warning("engine actor %s failed (%s); trying the next", self.names[i], e)
                last = e
            finally:
                with self._lock:
                    self._in_flight[i] -= 1
        raise StreamOCRError(f"no engine actor could read the frame: {last}")

    def stats(self, timeout_s: float = 3.0) -> list[dict[str, Any]]:
        """Each actor's figures, or ``alive: False`` for one that does not answer in time."""
        refs = [a.stats.remote() for a in self.actors]
        out = []
        for name, ref in zip(self.names, refs, strict=True):
            try:
                out.append({"name": name, "alive": True, **ray.get(ref, timeout=timeout_s)})
            except Exception as e:  # noqa: BLE001  (dead, restarting or unreachable)
                out.append({"name": name, "alive": False, "error": type(e).__name__})
        return out
