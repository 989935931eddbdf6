"""Live streams as Ray actors, and how a web process sees them.

A ``StreamActor`` runs one stream's stages wherever Ray places it: capture into the
latest-frame slot, then the per-frame step (``live.worker.InferenceWorker`` over an
``EnginePool``), so at most one frame of the stream is in flight to the engines and
capture never waits. Its events go straight to Redis (``live.sinks.RedisEmitter``), so every
web process can show them; no web process holds its state. ``ClusterStreams`` is the
web side: it finds the stream actors by name and asks them for status, health and
counters (the registry's ``RemoteStreams``).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import ray

from stream_ocr.cluster.engine_actors import PREFIX as ENGINE_PREFIX
from stream_ocr.cluster.engine_actors import EnginePool
from stream_ocr.cluster.runtime import NAMESPACE, OWNED, named_actors, node_label
from stream_ocr.live.hub import HubConfig
from stream_ocr.live.sinks import Event, RedisEmitter
from stream_ocr.live.stream import LiveStream
from stream_ocr.live.worker import InferenceWorker
from stream_ocr.realthreads import threading, time
from stream_ocr.sources.opening import SourceSpec
from stream_ocr.step.lines import TextConfig

logger = logging.getLogger(__name__)

PREFIX = "stream:"


class StreamActor:
    """One stream: capture -> slot -> step on the engine actors -> events through Redis."""

    def __init__(
        self,
        spec: SourceSpec,
        config: HubConfig,
        message_queue: str,
        engine_names: list[str],
        text_config: TextConfig,
        home: int = 0,
        metrics_interval_s: float = 1.0,
    ) -> None:
        self.metrics_interval_s = metrics_interval_s
        self._last_metrics = 0.0
        self.emitter = RedisEmitter(message_queue, extra=self._preview)
        self.pool = EnginePool(engine_names, text_config=text_config, home=home)
        self.worker = InferenceWorker(
            self.pool,
            on_result=self._on_result,
            on_error=self._on_error,
            image_limits=config.camera_limits,
            step_config=config.step_config(),
        )
        self.stream = LiveStream(
            spec.name,
            spec=spec,
            slot=self.worker.new_slot(spec.name),
            preview=config.preview,
            publish=self.emitter.publish,
            node=node_label(),
            capture=config.capture,
        )
        self.worker.start()
        self.stream.capture.start()

    def _on_result(self, frame, step) -> None:
        self.stream.on_result(frame, step)

    def _on_error(self, frame, error) -> None:
        self.stream.on_error(frame, error)

    def _preview(self) -> list[Event]:
        """Made on demand each round of the emitter: the newest preview, and counters now and then."""
        events: list[Event] = []
        if not hasattr(self, "stream"):
            return events  # still starting
        event = self.stream.newest_preview()
        if event is not None:
            events.append(event)
        now = time.monotonic()
        if now - self._last_metrics >= self.metrics_interval_s:
            self._last_metrics = now
            events.append(Event("metrics", self.stream.stats.snapshot().to_dict(), self.stream.room))
        return events

    def describe(self) -> dict[str, Any]:
        return self.stream.describe()

    def health(self) -> dict[str, Any]:
        inference = self.worker.health()
        return {**self.stream.health(), "inference_alive": inference["alive"]}

    def metrics(self) -> dict[str, Any]:
        return {**self.stream.stats.snapshot().to_dict(), "events_dropped": self.emitter.dropped}

    def add_viewer(self) -> None:
        self.stream.add_viewer()

    def remove_viewer(self) -> None:
        self.stream.remove_viewer()

    def stop(self) -> None:
        if self.stream.capture is not None:
            self.stream.capture.stop()
        self.worker.stop(10)
        self.emitter.close()


RemoteStreamActor = ray.remote(StreamActor)


def start_stream_actors(
    specs: list[SourceSpec], config: HubConfig, message_queue: str, engine_names: list[str], text_config: TextConfig
) -> list[Any]:
    """One actor per source, spread over the cluster (capture needs little CPU: none is reserved).
    Stream ``i`` reads on engine actor ``i`` modulo their number first."""
    handles = [
        RemoteStreamActor.options(
            name=f"{PREFIX}{spec.name}",
            namespace=NAMESPACE,
            get_if_exists=True,
            num_cpus=0,
            max_restarts=3,
            scheduling_strategy="SPREAD",
        ).remote(spec, config, message_queue, engine_names, text_config, i)
        for i, spec in enumerate(specs)
    ]
    OWNED.extend(handles)
    return handles


class ClusterStreams:
    """The stream and engine actors as a web process sees them (answers cached ``cache_s``)."""

    def __init__(self, timeout_s: float = 3.0, cache_s: float = 1.0) -> None:
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self._lock = threading.Lock()
        self._cache: tuple[float, list[dict[str, Any]]] = (0.0, [])
        self._pool: EnginePool | None = None
        # pid each engine actor had when last seen: a new pid is a restart.
        self._pids: dict[str, int] = {}
        self.restarts: dict[str, int] = {}

    def _actors(self) -> dict[str, Any]:
        actors = {}
        for name in named_actors(PREFIX):
            with contextlib.suppress(ValueError):  # gone since it was listed
                actors[name[len(PREFIX) :]] = ray.get_actor(name, namespace=NAMESPACE)
        return actors

    def _ask(self, method: str) -> list[tuple[str, Any]]:
        """(stream id, answer or the exception) for every stream actor, in parallel."""
        actors = self._actors()
        refs = {sid: getattr(actor, method).remote() for sid, actor in actors.items()}
        out = []
        for sid, ref in refs.items():
            try:
                out.append((sid, ray.get(ref, timeout=self.timeout_s)))
            except Exception as e:  # noqa: BLE001  (dead or unreachable actor)
                out.append((sid, e))
        return out

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            at, cached = self._cache
            if time.monotonic() - at < self.cache_s:
                return cached
        streams = []
        for sid, answer in self._ask("describe"):
            if isinstance(answer, Exception):
                answer = {
                    "id": sid,
                    "kind": "?",
                    "source": "",
                    "status": "error",
                    "reason": f"its actor does not answer ({type(answer).__name__})",
                    "node": "",
                }
            streams.append(answer)
        with self._lock:
            self._cache = (time.monotonic(), streams)
        return streams

    def _call(self, stream_id: str, method: str) -> None:
        with contextlib.suppress(ValueError):  # no such actor (any more)
            getattr(ray.get_actor(PREFIX + stream_id, namespace=NAMESPACE), method).remote()

    def add_viewer(self, stream_id: str) -> None:
        self._call(stream_id, "add_viewer")

    def remove_viewer(self, stream_id: str) -> None:
        self._call(stream_id, "remove_viewer")

    def engines(self) -> list[dict[str, Any]]:
        """Each engine actor's figures, with the restarts this process has seen."""
        names = named_actors(ENGINE_PREFIX)
        if self._pool is None or self._pool.names != names:
            self._pool = EnginePool(names, text_config=TextConfig()) if names else None  # figures only
        stats = self._pool.stats(self.timeout_s) if self._pool is not None else []
        for s in stats:
            pid = s.get("pid")
            if pid is not None:
                if self._pids.get(s["name"], pid) != pid:
                    self.restarts[s["name"]] = self.restarts.get(s["name"], 0) + 1
                self._pids[s["name"]] = pid
            s["restarts"] = self.restarts.get(s["name"], 0)
        return stats

    def health(self) -> dict[str, Any]:
        engines = self.engines()
        streams = []
        for sid, answer in self._ask("health"):
            if isinstance(answer, Exception):
                answer = {"id": sid, "status": "error", "capture_alive": False, "node": ""}
            streams.append(answer)
        return {
            "ok": bool(engines) and all(e["alive"] for e in engines),
            "engines": engines,
            "streams": streams,
        }

    def metrics(self) -> list[dict[str, Any]]:
        return [answer for _, answer in self._ask("metrics") if not isinstance(answer, Exception)]
