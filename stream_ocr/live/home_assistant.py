"""Home Assistant's MQTT discovery: the retained configs that make each stream a device.

Owns the configs only (``discovery_configs``); ``live.mqtt.MqttLink`` publishes them each
time it connects. Per configured stream, a device ``stream-ocr <stream>`` with a text
sensor, a "text present" binary sensor and an event entity for its alerts, each with a
``unique_id``, the ``device`` block, an ``origin``, and availability tied to
``<prefix>/available``, as Home Assistant's MQTT discovery schema asks.
"""

from __future__ import annotations

import re
from typing import Any

from stream_ocr import __version__


def object_id(text: str) -> str:
    """A name as Home Assistant's ids and MQTT topics take it: letters, digits, _ and -."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def discovery_configs(
    discovery_prefix: str, prefix: str, streams: list[str], rules: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    """(topic, config) of each entity: per stream, a text sensor, a binary sensor "text
    present" and an event entity for its alerts (one event type per rule in ``rules``)."""
    base = discovery_prefix.rstrip("/")
    origin = {"name": "stream-ocr", "sw_version": __version__, "support_url": "https://github.com/stream-ocr"}
    available = f"{prefix}/available"
    out = []
    for stream in streams:
        sid = object_id(stream)
        node = f"stream_ocr_{sid}"
        device = {
            "identifiers": [node],
            "name": f"stream-ocr {stream}",
            "manufacturer": "stream-ocr",
            "model": "live text reader",
            "sw_version": __version__,
        }
        common = {
            "availability_topic": available,
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
            "origin": origin,
        }
        text_topic = f"{prefix}/{sid}/text"
        out.append(
            (
                f"{base}/sensor/{node}/text/config",
                {
                    **common,
                    "name": "Text",
                    "unique_id": f"{node}_text",
                    "state_topic": text_topic,
                    "value_template": "{{ value_json.text[:255] }}",
                    "json_attributes_topic": text_topic,
                    "icon": "mdi:text-recognition",
                },
            )
        )
        out.append(
            (
                f"{base}/binary_sensor/{node}/text_present/config",
                {
                    **common,
                    "name": "Text present",
                    "unique_id": f"{node}_text_present",
                    "state_topic": text_topic,
                    "value_template": "{{ 'ON' if value_json.text else 'OFF' }}",
                    "payload_on": "ON",
                    "payload_off": "OFF",
                },
            )
        )
        out.append(
            (
                f"{base}/event/{node}/alert/config",
                {
                    **common,
                    "name": "Alert",
                    "unique_id": f"{node}_alert",
                    "state_topic": f"{prefix}/{sid}/alert",
                    # One event type per rule given at start; rules added later fire "alert".
                    "event_types": ["alert", *(object_id(r) for r in rules)],
                },
            )
        )
    return out
