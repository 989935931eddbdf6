"""Prometheus exposition of the hub's per-stream numbers, read at scrape time."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from stream_ocr.streams import StreamHub


class HubCollector(Collector):
    def __init__(self, hub: StreamHub) -> None:
        self.hub = hub

    def collect(self):
        counters = {
            "captured": CounterMetricFamily(
                "stream_ocr_frames_captured", "Frames read from the source", labels=["stream"]
            ),
            "dropped": CounterMetricFamily(
                "stream_ocr_frames_dropped", "Frames replaced before inference took them", labels=["stream"]
            ),
            "inferred": CounterMetricFamily(
                "stream_ocr_frames_inferred", "Frames read by the OCR engine", labels=["stream"]
            ),
            "errors": CounterMetricFamily(
                "stream_ocr_inference_errors", "Frames the engine failed on", labels=["stream"]
            ),
        }
        gauges = {
            "capture_fps": GaugeMetricFamily("stream_ocr_capture_fps", "Capture frames per second", labels=["stream"]),
            "inference_fps": GaugeMetricFamily(
                "stream_ocr_inference_fps", "Inference frames per second", labels=["stream"]
            ),
            "latency_p50_ms": GaugeMetricFamily(
                "stream_ocr_latency_p50_ms", "Capture-to-result latency, median", labels=["stream"]
            ),
            "latency_p95_ms": GaugeMetricFamily(
                "stream_ocr_latency_p95_ms", "Capture-to-result latency, 95th percentile", labels=["stream"]
            ),
        }
        for snap in self.hub.metrics():
            for key, family in {**counters, **gauges}.items():
                family.add_metric([snap["stream_id"]], snap[key])
        yield from counters.values()
        yield from gauges.values()
        yield CounterMetricFamily(
            "stream_ocr_events_dropped",
            "Outgoing events dropped because the queue was full",
            value=self.hub.events_dropped,
        )
