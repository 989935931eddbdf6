"""The stream registry of a web process on a Ray cluster: cameras here, configured streams on actors.

``ClusterHub`` is ``live.hub.StreamHub`` (browser cameras still run in this process, read
by the engine actors through its worker) with the configured streams that run on stream
actors (``stream_actors.ClusterStreams``) added to every answer: the list a browser
picks from, viewers, status, health and counters. The server uses either through the
same methods.
"""

from __future__ import annotations

from typing import Any, Protocol

from stream_ocr.engines.base import FrameReader
from stream_ocr.live.hub import HubConfig, StreamHub
from stream_ocr.live.sinks import EventQueue
from stream_ocr.live.worker import Recorder


class RemoteStreams(Protocol):
    """Streams whose stages run elsewhere (a Ray cluster), as this process sees them."""

    def describe(self) -> list[dict[str, Any]]: ...
    def add_viewer(self, stream_id: str) -> None: ...
    def remove_viewer(self, stream_id: str) -> None: ...
    def health(self) -> dict[str, Any]: ...
    def metrics(self) -> list[dict[str, Any]]: ...


class ClusterHub(StreamHub):
    """This process's browser cameras, and the cluster's configured streams."""

    def __init__(
        self,
        engine: FrameReader,
        remote: RemoteStreams,
        config: HubConfig | None = None,
        *,
        recorder: Recorder | None = None,
        events: EventQueue | None = None,
    ) -> None:
        super().__init__(engine, [], config, recorder=recorder, events=events)
        self.remote = remote

    def _remote(self, stream_id: str) -> dict[str, Any] | None:
        return next((s for s in self.remote.describe() if s["id"] == stream_id), None)

    def configured_streams(self) -> list[dict[str, Any]]:
        return super().configured_streams() + self.remote.describe()

    def has_stream(self, stream_id: str) -> bool:
        return super().has_stream(stream_id) or self._remote(stream_id) is not None

    def stream_ids(self) -> list[str]:
        return super().stream_ids() + [s["id"] for s in self.remote.describe()]

    def status_of(self, stream_id: str) -> tuple[str, str]:
        if super().has_stream(stream_id):
            return super().status_of(stream_id)
        remote = self._remote(stream_id)
        if remote is None:
            raise KeyError(stream_id)
        return remote["status"], remote["reason"]

    def add_viewer(self, stream_id: str) -> None:
        if super().has_stream(stream_id):
            super().add_viewer(stream_id)
        else:
            self.remote.add_viewer(stream_id)

    def remove_viewer(self, stream_id: str) -> None:
        if super().has_stream(stream_id):
            super().remove_viewer(stream_id)
        else:
            self.remote.remove_viewer(stream_id)

    def health(self, stall_s: float) -> dict[str, Any]:
        """The local worker's health, and the cluster's actors'."""
        out = super().health(stall_s)
        cluster = self.remote.health()
        out["cluster"] = cluster
        out["streams"] += cluster["streams"]
        out["ok"] = out["ok"] and cluster["ok"]
        return out

    def metrics(self) -> list[dict[str, Any]]:
        """Every stream's counters, those of the cluster's stream actors included."""
        return super().metrics() + self.remote.metrics()
