"""MQTT out: each configured stream's text and status, the alerts, and Home Assistant discovery.

Owns the link to one MQTT broker (``MqttLink``, on paho-mqtt's own network thread, which
reconnects by itself). Topics, under ``--mqtt-prefix`` (``stream-ocr``):

* ``stream-ocr/available``: ``online`` once connected, ``offline`` as the broker's last
  will when the process dies (retained);
* ``stream-ocr/<stream>/text``: the lines on screen now, as JSON (``text``, ``lines`` with
  text, confidence and box), published when the text changes, not on every frame (retained);
* ``stream-ocr/<stream>/status``: ``live``, ``reconnecting``, ``ended``... (retained);
* ``stream-ocr/<stream>/frame``: with ``--mqtt-snapshots``, a JPEG of the frame the last
  alert fired on (retained);
* ``stream-ocr/alerts`` and ``stream-ocr/<stream>/alert``: each watchlist alert, the
  webhook's JSON with its crop URL (the second with ``event_type`` for Home Assistant's
  event entity). Alerts go through the webhooks' outbox (``alerts.webhooks``): with the
  broker away they wait, bounded, and go out when it is back.

With ``--mqtt-discovery``, retained configs under ``homeassistant/`` make each stream a
device with a text sensor, a "text present" binary sensor and an event entity for alerts.
Only configured streams (``--source``) are published: a visitor's camera or upload is theirs.
Nothing here blocks a stream: publishing only queues (bounded) for paho's thread. While the
broker is away, the latest retained message of each topic waits here (one per topic) and
goes out on connecting, so a stream that went live before the broker answered still shows
``live``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Any

from stream_ocr.live.home_assistant import discovery_configs, object_id
from stream_ocr.live.sinks import Event, is_public
from stream_ocr.realthreads import threading

logger = logging.getLogger(__name__)

# Messages paho holds for a broker that is away (alerts wait in the outbox; paho drops what
# it was given at QoS 0 before a connection, so text, status and frames are kept here as the
# latest per topic and sent on connecting).
MAX_QUEUED = 1000
ALERT_TIMEOUT_S = 5.0
# Alerts paho has taken and the broker has not acknowledged, kept to be waited for rather
# than sent twice: as many as the outbox holds (``alerts.outbox``, 10,000).
MAX_PENDING = 10_000


@dataclass(frozen=True)
class MqttTarget:
    host: str
    port: int
    tls: bool


def parse_mqtt_url(url: str) -> MqttTarget:
    """``mqtt://host[:1883]`` or ``mqtts://host[:8883]``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"--mqtt takes mqtt://HOST[:PORT] or mqtts://HOST[:PORT], got {url!r}")
    tls = parts.scheme == "mqtts"
    return MqttTarget(parts.hostname, parts.port or (8883 if tls else 1883), tls)


def text_payload(result: dict[str, Any]) -> dict[str, Any]:
    """What ``<stream>/text`` holds for an ``ocr_result`` event: its lines and their text."""
    lines = [
        {"text": line.get("text", ""), "confidence": line.get("confidence"), "box": line.get("points")}
        for line in result.get("lines", [])
    ]
    return {"text": "\n".join(line["text"] for line in lines), "lines": lines}


class MqttLink:
    """The broker link; ``observe`` (from the event pump) and ``deliver`` (from the outbox)."""

    def __init__(self, config: Any, streams: list[str], rules: list[str] | None = None) -> None:
        import paho.mqtt.client as mqtt

        self.config = config
        self.prefix = config.prefix.rstrip("/")
        self.streams = [s for s in streams if is_public(s)]
        self.rules = list(rules or [])
        target = parse_mqtt_url(config.url)
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=config.client_id or "", protocol=mqtt.MQTTv311
        )
        if config.user:
            self.client.username_pw_set(config.user, config.password)
        if target.tls:
            self.client.tls_set(ca_certs=config.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        self.client.will_set(self.topic("available"), "offline", qos=1, retain=True)
        self.client.max_queued_messages_set(MAX_QUEUED)
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self._last_text: dict[str, str] = {}
        # The latest retained message of each topic published while the broker was away:
        # paho drops QoS 0 messages it was given before a connection, so they wait here.
        self._unsent: dict[str, str | bytes] = {}
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._target = target
        # Alerts paho has taken but the broker has not acknowledged, by the outbox's key.
        self._pending: dict[Any, list[Any]] = {}
        self._closing = False

    def start(self) -> None:
        """Connect in the background (paho's thread), and keep reconnecting."""
        self.client.connect_async(self._target.host, self._target.port, keepalive=30)
        self.client.loop_start()

    def topic(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts])

    # -- paho's thread ------------------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            logger.warning("MQTT broker refused the connection: %s", reason)
            return
        logger.info("MQTT: connected to %s", self.config.url)
        client.publish(self.topic("available"), "online", qos=1, retain=True)
        if self.config.discovery:
            for name, payload in self.discovery_configs():
                client.publish(name, json.dumps(payload), qos=1, retain=True)
        with self._lock:
            for topic, body in self._unsent.items():
                client.publish(topic, body, qos=0, retain=True)
            self._unsent.clear()
            self.connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected.clear()
        if self._closing:
            return
        logger.warning("MQTT: disconnected from %s (%s); reconnecting", self.config.url, reason)

    # -- the event pump -------------------------------------------------------------------
    def observe(self, event: Event) -> None:
        """Publish what a core event changes (never blocks: paho queues it)."""
        payload = event.payload
        stream_id = payload.get("stream_id")
        if not isinstance(stream_id, str) or not is_public(stream_id):
            return
        if event.name == "ocr_result":
            text = text_payload(payload)
            key = text["text"]
            with self._lock:
                if self._last_text.get(stream_id) == key:
                    return
                self._last_text[stream_id] = key
            self._publish(self.topic(object_id(stream_id), "text"), text)
        elif event.name == "stream_status":
            status = {"status": payload.get("status"), "reason": payload.get("reason")}
            self._publish(self.topic(object_id(stream_id), "status"), status)

    def snapshot(self, stream_id: str, image: Any) -> None:
        """The frame an alert fired on, as a JPEG on ``<stream>/frame`` (retained), as Frigate
        publishes its snapshots. Called on the stream's inference thread; only queues."""
        import cv2

        if not is_public(stream_id):
            return
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if ok:
            self._retained(self.topic(object_id(stream_id), "frame"), jpeg.tobytes())

    def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        self._retained(topic, json.dumps(payload, separators=(",", ":")))

    def _retained(self, topic: str, body: str | bytes) -> None:
        """Publish a retained message at QoS 0, or keep it for the connection (the latest per
        topic) while the broker is away: under the lock ``_on_connect`` sends those in, so a
        message is neither lost nor sent twice."""
        with self._lock:
            if not self.connected.is_set():
                self._unsent[topic] = body
                return
            self.client.publish(topic, body, qos=0, retain=True)

    # -- the outbox's thread ----------------------------------------------------------------
    def deliver(self, body: str, key: Any = None) -> str | None:
        """Publish one alert (QoS 1) and wait for the broker's acknowledgement; None once it
        is taken, else why not (the outbox tries again later, with the same ``key``). A
        message paho has taken is never published twice: paho itself sends it again after a
        reconnect, so a later try waits for that one."""
        sent = self._pending.get(key) if key is not None else None
        if sent is None:
            if not self.connected.is_set():
                return "the MQTT broker is not connected"
            alert = json.loads(body)
            stream = object_id(str(alert.get("stream_id", "")))
            event = json.dumps({"event_type": self._event_type(alert), **alert})
            sent = [
                self.client.publish(self.topic("alerts"), body, qos=1),
                self.client.publish(self.topic(stream, "alert"), event, qos=1),
            ]
            if key is not None:
                self._pending[key] = sent
                # Bounded as the outbox is: an alert it dropped or gave up on is not kept here.
                while len(self._pending) > MAX_PENDING:
                    del self._pending[next(iter(self._pending))]
        for info in sent:
            if info.is_published():
                continue
            if not self.connected.is_set():
                return "the MQTT broker is not connected"
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(ALERT_TIMEOUT_S)
            if not info.is_published():
                return "the MQTT broker did not acknowledge the alert in time"
        self._pending.pop(key, None)
        return None

    def _event_type(self, alert: dict[str, Any]) -> str:
        """The rule's name where Home Assistant was told of it at discovery, else "alert"."""
        rule = object_id(str(alert.get("rule", "")))
        return rule if rule in {object_id(r) for r in self.rules} else "alert"

    # -- Home Assistant ---------------------------------------------------------------------
    def discovery_configs(self) -> list[tuple[str, dict[str, Any]]]:
        return discovery_configs(self.config.discovery_prefix, self.prefix, self.streams, self.rules)

    def close(self) -> None:
        """Say ``offline`` (retained) and disconnect, waiting briefly for it to go out."""
        self._closing = True
        if self.connected.is_set():
            info = self.client.publish(self.topic("available"), "offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2.0)
        self.client.disconnect()
        self.client.loop_stop()
