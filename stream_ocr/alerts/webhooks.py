"""Webhook delivery: one thread (``alerts:webhooks``) that POSTs each alert to every URL.

Owns signing and retrying. The body is the alert's JSON, exactly as signed: the header
``X-Stream-OCR-Signature: sha256=<hex>`` is the HMAC-SHA256 of the body with the shared
secret, so a receiver can check that the alert came from this server. A 2xx answer is a
delivery; anything else (an error status, a refused connection, a timeout) is retried
with a doubling pause, from 1 s up to ``max_pause_s``, until ``max_attempts``. Alerts go
to the outbox first (``outbox``), and a delivery leaves it only once made or given up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from stream_ocr.alerts.outbox import DatabaseOutbox, Delivery, MemoryOutbox
from stream_ocr.realthreads import queue, threading, time
from stream_ocr.service import Service

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Stream-OCR-Signature"
# The outbox's address of the MQTT broker's alert topics (``live.mqtt.MqttLink.deliver``).
MQTT_ALERTS = "mqtt:alerts"
# How often alerts for a broker that is away are looked at again.
BROKER_AWAY_PAUSE_S = 1.0


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookConfig:
    urls: tuple[str, ...]
    secret: str
    timeout_s: float = 5.0
    max_attempts: int = 10
    first_pause_s: float = 1.0
    max_pause_s: float = 300.0


class WebhookSender(Service):
    """Takes alerts (``send``, never blocking) and delivers them from the outbox."""

    def __init__(self, config: WebhookConfig, outbox: MemoryOutbox | DatabaseOutbox, mqtt: Any = None) -> None:
        """``mqtt``: the broker link that deliveries to ``MQTT_ALERTS`` go through."""
        super().__init__("alerts:webhooks")
        self.config = config
        self.outbox = outbox
        self.mqtt = mqtt
        self.delivered = 0
        self.failed_attempts = 0
        self.given_up = 0
        self.incoming: queue.Queue[str] = queue.Queue(maxsize=10_000)
        self.incoming_dropped = 0
        # The alert being filed (taken from ``incoming``) and how many of its URLs are done.
        self._unfiled: list[str] = []
        self._filed_urls = 0
        self._wake = threading.Event()
        self.start()

    def send(self, alert: dict[str, Any]) -> None:
        """Queue ``alert`` for every URL (written to the outbox by the sender's thread)."""
        try:
            self.incoming.put_nowait(json.dumps(alert, separators=(",", ":"), sort_keys=True))
        except queue.Full:
            self.incoming_dropped += 1
        self._wake.set()

    def _file_incoming(self) -> bool:
        """Move queued alerts into the outbox; False while the outbox cannot be written."""
        while True:
            if not self._unfiled:
                try:
                    self._unfiled.append(self.incoming.get_nowait())
                except queue.Empty:
                    return True
            body = self._unfiled[0]
            try:
                for url in self.config.urls[self._filed_urls :]:
                    self.outbox.add(url, body, time.time())
                    self._filed_urls += 1
            except Exception as e:  # noqa: BLE001  (the database may be away: try again later)
                logger.warning("cannot write to the webhook outbox: %s", e)
                return False
            self._unfiled.pop(0)
            self._filed_urls = 0

    def _post(self, delivery: Delivery) -> str | None:
        """POST one delivery (or publish it, to the MQTT broker); None when it was taken, else why not."""
        if delivery.url == MQTT_ALERTS:
            return (
                self.mqtt.deliver(delivery.body, delivery.id)
                if self.mqtt is not None
                else "no MQTT broker is configured"
            )
        body = delivery.body.encode()
        request = urllib.request.Request(
            delivery.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "stream-ocr",
                SIGNATURE_HEADER: sign(self.config.secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception as e:  # noqa: BLE001  (refused, reset, timed out: all retried)
            return str(e)
        return None if 200 <= status < 300 else f"HTTP {status}"

    def _deliver_due(self) -> None:
        for delivery in self.outbox.due(time.time()):
            if self.stopping:
                return
            if delivery.url == MQTT_ALERTS and self.mqtt is not None and not self.mqtt.connected.is_set():
                # The broker is away (its link says so once, and reconnects): the alert
                # waits, bounded by the outbox, and no attempt is spent on it.
                self.outbox.retry(delivery, time.time() + BROKER_AWAY_PAUSE_S, counted=False)
                continue
            why = self._post(delivery)
            if why is None:
                self.outbox.done(delivery)
                self.delivered += 1
                continue
            self.failed_attempts += 1
            if delivery.attempts + 1 >= self.config.max_attempts:
                logger.error("webhook %s: giving up after %d attempts (%s)", delivery.url, delivery.attempts + 1, why)
                self.outbox.done(delivery)
                self.given_up += 1
                continue
            pause = min(self.config.first_pause_s * 2**delivery.attempts, self.config.max_pause_s)
            logger.warning(
                "webhook %s failed (%s): attempt %d, next in %.0f s", delivery.url, why, delivery.attempts + 1, pause
            )
            self.outbox.retry(delivery, time.time() + pause)

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        while not self.stopping:
            try:
                filed = self._file_incoming()
                self._deliver_due()
                upcoming = self.outbox.next_at()
            except Exception as e:  # noqa: BLE001  (the outbox's database may be away)
                logger.warning("webhook outbox unavailable: %s", e)
                filed, upcoming = False, None
            wait = 2.0 if not filed else 5.0 if upcoming is None else min(5.0, max(0.05, upcoming - time.time()))
            self._wake.wait(wait)
            self._wake.clear()

    def pending(self) -> int:
        try:
            return self.outbox.size() + self.incoming.qsize()
        except Exception:  # noqa: BLE001
            return self.incoming.qsize()

    def close(self, timeout: float = 5.0) -> None:
        self.stop(timeout)
