"""MQTT out against Debian's mosquitto, started here on a loopback port in a temporary folder:
the sample stream's text retained, availability with a last will, Home Assistant discovery,
and alerts that outlive a broker stopped for 20 s (``stream_ocr/live/mqtt.py``)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from stream_ocr.alerts.outbox import MemoryOutbox
from stream_ocr.alerts.webhooks import MQTT_ALERTS, WebhookConfig, WebhookSender
from stream_ocr.config import MqttConfig
from stream_ocr.live.home_assistant import discovery_configs
from stream_ocr.live.mqtt import MqttLink, parse_mqtt_url
from stream_ocr.live.sinks import Event

from ..conftest import SAMPLES
from ..helpers import wait_for
from ..serverproc import ServerProcess, free_port


class Broker:
    """mosquitto on 127.0.0.1:``port``, anonymous; stop and start at will. Its sessions are
    kept in the folder across a restart, so that a subscriber's queued messages are too."""

    def __init__(self, folder: Path) -> None:
        exe = shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")
        if exe is None:
            pytest.fail("mosquitto is missing: bash scripts/test.sh installs it (apt-get install mosquitto)")
        self.exe, self.port = exe, free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {folder}/\n"
        )
        self.log = folder / "mosquitto.log"
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        import socket

        with open(self.log, "a") as log:
            self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"mosquitto did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def mqtt_broker(tmp_path):
    broker = Broker(tmp_path)
    yield broker
    broker.stop()


class Subscriber:
    """A client subscribed to ``#`` that keeps every message (topic, text, retained). With a
    ``name``, its session outlives a disconnection: the broker keeps what it missed."""

    def __init__(self, port: int, name: str = "") -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, str, bool]] = []
        self.frames: list[bytes] = []  # the JPEGs of <stream>/frame
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, clean_session=not name)
        self.client.on_connect = lambda c, *_: c.subscribe("#", qos=1)
        self.client.on_message = self._keep
        self.client.reconnect_delay_set(1, 2)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _keep(self, client, userdata, message) -> None:
        if message.topic.endswith("/frame"):
            self.frames.append(message.payload)
        else:
            self.messages.append((message.topic, message.payload.decode(), bool(message.retain)))

    def on(self, topic: str) -> list[str]:
        return [text for t, text, _ in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_bad_broker_address_is_refused_clearly():
    with pytest.raises(ValueError, match="mqtt://"):
        parse_mqtt_url("http://broker:1883")
    assert parse_mqtt_url("mqtts://broker").port == 8883


def test_discovery_configs_name_every_entity_once_with_safe_ids():
    configs = dict(discovery_configs("homeassistant/", "stream-ocr", ["front door", "gate"], ["plate no."]))
    assert len(configs) == 6
    assert "homeassistant/sensor/stream_ocr_front_door/text/config" in configs
    ids = [c["unique_id"] for c in configs.values()]
    assert len(set(ids)) == len(ids)
    assert all(c["availability_topic"] == "stream-ocr/available" for c in configs.values())
    event = configs["homeassistant/event/stream_ocr_gate/alert/config"]
    assert event["state_topic"] == "stream-ocr/gate/alert" and event["event_types"] == ["alert", "plate_no_"]


@pytest.mark.slow
def test_the_served_sample_publishes_text_availability_discovery_and_alerts(mqtt_broker):
    listener = Subscriber(mqtt_broker.port)
    server = ServerProcess(
        "--source", f"sample={SAMPLES / 'signs.mp4'}", "--loop",
        "--mqtt", mqtt_broker.url, "--mqtt-discovery", "--mqtt-snapshots", "--watch", "coffee=FRESH COFFEE",
    )  # fmt: skip
    try:
        server.wait_ready()
        assert wait_for(lambda: listener.on("stream-ocr/available") == ["online"], 60, 0.2)
        texts = lambda: [json.loads(t)["text"] for t in listener.on("stream-ocr/sample/text")]  # noqa: E731
        assert wait_for(lambda: any("COFFEE" in t for t in texts()) and any("LAUNCH" in t for t in texts()), 240, 0.5)
        # Published when the text changes, not on every frame: never the same text twice in a row.
        seen = texts()
        assert all(a != b for a, b in zip(seen, seen[1:], strict=False)), seen
        line = json.loads(listener.on("stream-ocr/sample/text")[-1])["lines"]
        assert all(set(item) == {"text", "confidence", "box"} for item in line)
        # Each change of status, in order; the stream is live now (whether "connecting" went
        # out first depends on whether the broker answered before the stream opened).
        statuses = [json.loads(body)["status"] for body in listener.on("stream-ocr/sample/status")]
        assert statuses[-1] == "live" and set(statuses) <= {"connecting", "live"}, statuses
        # An alert, with the crop URL the webhook gives, on the shared topic and the stream's.
        assert wait_for(lambda: listener.on("stream-ocr/alerts"), 240, 0.5)
        alert = json.loads(listener.on("stream-ocr/alerts")[0])
        assert alert["rule"] == "coffee" and alert["stream_id"] == "sample" and alert["crop_url"].startswith("/")
        assert wait_for(lambda: listener.on("stream-ocr/sample/alert"), 30, 0.2)
        event = json.loads(listener.on("stream-ocr/sample/alert")[0])
        assert event["event_type"] == "coffee" and event["id"] == alert["id"]
        # The frame the alert fired on, as a JPEG of the stream's size.
        assert wait_for(lambda: listener.frames, 30, 0.2)
        frame = cv2.imdecode(np.frombuffer(listener.frames[0], np.uint8), cv2.IMREAD_COLOR)
        assert frame is not None and frame.shape[:2] == (540, 960)
        # Home Assistant discovery: a device per stream, each entity with its unique id,
        # availability and origin.
        configs = {t: json.loads(p) for t, p, _ in listener.messages if t.startswith("homeassistant/")}
        assert set(configs) == {
            "homeassistant/sensor/stream_ocr_sample/text/config",
            "homeassistant/binary_sensor/stream_ocr_sample/text_present/config",
            "homeassistant/event/stream_ocr_sample/alert/config",
        }
        for config in configs.values():
            assert config["unique_id"].startswith("stream_ocr_sample_")
            assert config["device"]["identifiers"] == ["stream_ocr_sample"]
            assert config["availability_topic"] == "stream-ocr/available" and config["origin"]["name"] == "stream-ocr"
        assert "coffee" in configs["homeassistant/event/stream_ocr_sample/alert/config"]["event_types"]
        # A newcomer gets the retained state at once.
        late = Subscriber(mqtt_broker.port)
        assert wait_for(lambda: late.on("stream-ocr/sample/text") and late.on("stream-ocr/available"), 20, 0.2)
        assert all(retained for t, _, retained in late.messages if t.startswith("stream-ocr/sample/text"))
        late.close()
        # Killed: the broker tells everyone it is offline (the last will).
        server.stop(signal.SIGKILL)
        assert wait_for(lambda: listener.on("stream-ocr/available")[-1:] == ["offline"], 60, 0.2)
    finally:
        server.stop()
        listener.close()


@pytest.mark.slow
def test_a_stream_that_goes_live_before_the_broker_answers_still_shows_its_status_and_text(mqtt_broker):
    """CI: the served sample went live before paho had connected, and paho drops what it was
    given at QoS 0 before a connection: ``<stream>/status`` was never published. The latest
    retained message of each topic now waits for the connection, and is sent once."""
    mqtt_broker.stop()
    link = MqttLink(MqttConfig(url=mqtt_broker.url), ["sample"])
    link.start()
    try:
        link.observe(Event("stream_status", {"stream_id": "sample", "status": "connecting"}))
        link.observe(Event("stream_status", {"stream_id": "sample", "status": "live"}))
        line = {"text": "OPEN", "confidence": 0.9, "points": [[0, 0], [9, 0], [9, 5], [0, 5]]}
        link.observe(Event("ocr_result", {"stream_id": "sample", "lines": [line]}))
        time.sleep(2.0)  # paho tries the broker and fails meanwhile
        assert not link.connected.is_set()
        mqtt_broker.start()
        assert link.connected.wait(20)
        listener = Subscriber(mqtt_broker.port)
        try:
            assert wait_for(lambda: listener.on("stream-ocr/sample/text"), 20, 0.1)
            time.sleep(1.0)
            statuses = [json.loads(body)["status"] for body in listener.on("stream-ocr/sample/status")]
            assert statuses == ["live"], statuses
            assert [json.loads(body)["text"] for body in listener.on("stream-ocr/sample/text")] == ["OPEN"]
            # Connected now: the next change goes straight out.
            link.observe(Event("stream_status", {"stream_id": "sample", "status": "ended"}))
            assert wait_for(lambda: len(listener.on("stream-ocr/sample/status")) == 2, 20, 0.1)
            assert json.loads(listener.on("stream-ocr/sample/status")[-1])["status"] == "ended"
        finally:
            listener.close()
    finally:
        link.close()


@pytest.mark.slow
def test_alerts_sent_while_the_broker_is_down_for_20_s_all_arrive_once(mqtt_broker):
    link = MqttLink(MqttConfig(url=mqtt_broker.url), ["sample"], rules=["r"])
    link.start()
    sender = WebhookSender(WebhookConfig((MQTT_ALERTS,), "", first_pause_s=0.5, max_pause_s=4.0), MemoryOutbox(), link)
    listener = Subscriber(mqtt_broker.port, name="listener")
    try:
        assert link.connected.wait(20)
        assert wait_for(lambda: listener.on("stream-ocr/available"), 20, 0.1)
        sender.send({"id": 0, "rule": "r", "stream_id": "sample", "text": "before"})
        assert wait_for(lambda: len(listener.on("stream-ocr/alerts")) == 1, 20, 0.1)
        mqtt_broker.stop()
        for k in range(1, 21):  # one alert a second while the broker is away
            sender.send({"id": k, "rule": "r", "stream_id": "sample", "text": f"while down {k}"})
            time.sleep(1.0)
        mqtt_broker.start()
        assert wait_for(lambda: len(listener.on("stream-ocr/alerts")) >= 21, 60, 0.2), listener.on("stream-ocr/alerts")
        time.sleep(2.0)  # anything doubled would come now
        ids = [json.loads(body)["id"] for body in listener.on("stream-ocr/alerts")]
        assert sorted(ids) == list(range(21)), ids
        assert sender.given_up == 0
    finally:
        sender.close()
        link.close()
        listener.close()
