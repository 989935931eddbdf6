"""Prometheus exposition of the hub's per-stream numbers, read at scrape time."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from stream_ocr.engines.sharing import EngineShares
from stream_ocr.live.hub import StreamHub
from stream_ocr.live.sinks import is_public

# (key in the hub's metrics snapshot, metric family, metric name, help)
STREAM_METRICS = [
    ("captured", CounterMetricFamily, "stream_ocr_frames_captured", "Frames read from the source"),
    ("dropped", CounterMetricFamily, "stream_ocr_frames_dropped", "Frames replaced before inference took them"),
    ("inferred", CounterMetricFamily, "stream_ocr_frames_inferred", "Frames read by the OCR engine"),
    ("skipped", CounterMetricFamily, "stream_ocr_frames_skipped", "Frames not read because nothing had changed"),
    ("errors", CounterMetricFamily, "stream_ocr_inference_errors", "Frames the engine failed on"),
    ("capture_fps", GaugeMetricFamily, "stream_ocr_capture_fps", "Capture frames per second"),
    ("inference_fps", GaugeMetricFamily, "stream_ocr_inference_fps", "Inference frames per second"),
    ("latency_p50_ms", GaugeMetricFamily, "stream_ocr_latency_p50_ms", "Capture-to-result latency, median"),
    ("latency_p95_ms", GaugeMetricFamily, "stream_ocr_latency_p95_ms", "Capture-to-result latency, 95th percentile"),
]


# The label of every browser camera's counters, summed: a camera's stream id is its
# visitor's (it finds the camera's history), so /metrics never names one.
CAMERAS_LABEL = "browser-cameras"


class HubCollector(Collector):
    """Per-stream counters and gauges, labelled by stream id (browser cameras' counters summed
    under one label), the number of cameras, and the hub's dropped events."""

    def __init__(self, hub: StreamHub) -> None:
        self.hub = hub

    def collect(self):
        snapshots = self.hub.metrics()
        cameras = [snap for snap in snapshots if not is_public(snap["stream_id"])]
        for key, family_type, name, help_text in STREAM_METRICS:
            family = family_type(name, help_text, labels=["stream"])
            for snap in snapshots:
                if is_public(snap["stream_id"]):
                    family.add_metric([snap["stream_id"]], snap[key])
            if cameras and family_type is CounterMetricFamily:
                family.add_metric([CAMERAS_LABEL], sum(snap[key] for snap in cameras))
            yield family
        yield GaugeMetricFamily("stream_ocr_browser_cameras", "Browser cameras streaming now", value=len(cameras))
        yield CounterMetricFamily(
            "stream_ocr_events_dropped",
            "Outgoing events dropped because the queue was full",
            value=self.hub.events_dropped,
        )


class SharesCollector(Collector):
    """Each engine lane's turns, engine seconds, waiting callers and refusals."""

    def __init__(self, shares: EngineShares) -> None:
        self.shares = shares

    def collect(self):
        families = {
            "turns": CounterMetricFamily("stream_ocr_engine_turns", "Reads run on the engine", labels=["lane"]),
            "busy_s": CounterMetricFamily(
                "stream_ocr_engine_busy_seconds", "Engine time used by each lane", labels=["lane"]
            ),
            "refused": CounterMetricFamily(
                "stream_ocr_engine_refused", "Requests refused because too many were waiting", labels=["lane"]
            ),
            "timed_out": CounterMetricFamily(
                "stream_ocr_engine_timed_out", "Requests that waited too long for a turn", labels=["lane"]
            ),
        }
        waiting = GaugeMetricFamily("stream_ocr_engine_waiting", "Reads waiting for a turn now", labels=["lane"])
        for lane, stats in self.shares.stats.items():
            for key, family in families.items():
                family.add_metric([lane], getattr(stats, key))
            waiting.add_metric([lane], self.shares.waiting(lane))
        yield from families.values()
        yield waiting


class ClusterCollector(Collector):
    """Each Ray engine actor's frames, errors, rate, liveness and restarts, by actor and node."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster

    def collect(self):
        families = {
            "frames": CounterMetricFamily(
                "stream_ocr_engine_actor_frames", "Frames read by the engine actor", labels=["actor", "node"]
            ),
            "errors": CounterMetricFamily(
                "stream_ocr_engine_actor_errors", "Frames the engine actor failed on", labels=["actor", "node"]
            ),
            "fps": GaugeMetricFamily(
                "stream_ocr_engine_actor_fps", "Engine actor frames per second", labels=["actor", "node"]
            ),
            "alive": GaugeMetricFamily(
                "stream_ocr_engine_actor_alive", "1 if the engine actor answers", labels=["actor", "node"]
            ),
            "restarts": CounterMetricFamily(
                "stream_ocr_engine_actor_restarts", "Restarts this web process has seen", labels=["actor", "node"]
            ),
        }
        for actor in self.cluster.engines():
            labels = [actor["name"], actor.get("node", "")]
            for key, family in families.items():
                value = actor.get(key, 0)
                family.add_metric(labels, float(value) if key != "alive" else float(bool(value)))
        yield from families.values()


class RecorderCollector(Collector):
    """The history writer's tracks, the watchlist's alerts by rule, and webhook deliveries."""

    def __init__(self, recorder) -> None:
        self.recorder = recorder

    def collect(self):
        writer, watcher, sender = self.recorder.writer, self.recorder.watcher, self.recorder.sender
        if writer is not None:
            for name, value, help_text in (
                ("stream_ocr_history_tracks_written", writer.written, "Tracks and alerts written to the history"),
                ("stream_ocr_history_dropped", writer.dropped, "Tracks dropped because the write buffer was full"),
                ("stream_ocr_history_write_failures", writer.failures, "Batches the database refused (retried)"),
                ("stream_ocr_history_pruned", writer.pruned, "Tracks deleted by the retention"),
            ):
                yield CounterMetricFamily(name, help_text, value=value)
            yield GaugeMetricFamily(
                "stream_ocr_history_pending", "Tracks waiting to be written", value=writer.pending.qsize()
            )
        if watcher is not None:
            alerts = CounterMetricFamily("stream_ocr_alerts", "Watchlist alerts raised", labels=["rule"])
            for rule in watcher.rules():
                alerts.add_metric([rule.name], watcher.counts[rule.name])
            yield alerts
            yield CounterMetricFamily(
                "stream_ocr_watchlist_checks_skipped",
                "Rule checks left out because a frame's watchlist time budget was spent",
                value=watcher.skipped,
            )
            yield GaugeMetricFamily(
                "stream_ocr_watchlist_rules_disabled",
                "Rules disabled for running out of time",
                value=len(watcher.disabled),
            )
        if sender is not None:
            deliveries = CounterMetricFamily("stream_ocr_webhook_deliveries", "Webhook attempts", labels=["result"])
            deliveries.add_metric(["delivered"], sender.delivered)
            deliveries.add_metric(["failed_attempt"], sender.failed_attempts)
            deliveries.add_metric(["given_up"], sender.given_up)
            deliveries.add_metric(["dropped"], sender.outbox.dropped + sender.incoming_dropped)
            yield deliveries
            yield GaugeMetricFamily(
                "stream_ocr_webhook_outbox", "Webhook deliveries not yet made", value=sender.pending()
            )


class ConnectionsCollector(Collector):
    """Engine.IO's request slots (open, refused), the silent sessions closed, and what the
    inbound guard dropped and closed."""

    def __init__(self, slots, silent, inbound) -> None:
        self.slots = slots
        self.silent = silent
        self.inbound = inbound

    def collect(self):
        yield GaugeMetricFamily(
            "stream_ocr_engineio_requests_open", "Open /socket.io/ requests", value=self.slots.open_total
        )
        yield CounterMetricFamily(
            "stream_ocr_engineio_refused",
            "/socket.io/ requests refused (503): an address's or the server's slots full",
            value=self.slots.refused,
        )
        yield CounterMetricFamily(
            "stream_ocr_silent_sessions_closed",
            "Engine.IO sessions closed for sending no CONNECT",
            value=self.silent.closed,
        )
        yield CounterMetricFamily(
            "stream_ocr_socketio_events_dropped",
            "Socket.IO events dropped over a connection's or an address's rate",
            value=self.inbound.counts["dropped"],
        )
        closed = CounterMetricFamily(
            "stream_ocr_socketio_connections_closed",
            "Socket.IO connections closed by the inbound guard, by why",
            labels=["why"],
        )
        for why in ("flood", "attachments", "malformed"):
            closed.add_metric([why], self.inbound.counts[f"closed_{why}"])
        yield closed
