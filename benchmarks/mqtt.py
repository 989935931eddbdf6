"""What MQTT out costs a live stream, and whether 1,000 alerts a minute all go out.

1. **Cost**: the real server on the sample stream (``samples/signs.mp4``, looped), in
   rounds that take turns, without and with ``--mqtt --mqtt-discovery`` to a local
   mosquitto with a subscriber to ``#``; results per second of the stream (frames read
   plus frames skipped as unchanged, from ``/metrics``) over each round after a warm-up.
2. **Alerts**: ``--alerts-per-minute`` alerts (1,000) for one minute through the same
   outbox and broker link the server uses (``alerts.webhooks`` + ``live.mqtt``); counts
   what a subscriber received, lost and doubled, and the delay from raising to arrival.

    python benchmarks/mqtt.py [--rounds 2] [--seconds 60] [--alerts-per-minute 1000]

Needs Debian's mosquitto (``scripts/test.sh`` installs it); everything on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stream_ocr.alerts.outbox import MemoryOutbox  # noqa: E402
from stream_ocr.alerts.webhooks import MQTT_ALERTS, WebhookConfig, WebhookSender  # noqa: E402
from stream_ocr.config import MqttConfig  # noqa: E402
from stream_ocr.live.mqtt import MqttLink  # noqa: E402
from tests.live.test_mqtt import Broker, Subscriber  # noqa: E402
from tests.serverproc import ServerProcess  # noqa: E402


def results(url: str) -> float:
    """Frames read plus frames skipped by the sample stream so far."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as res:
        text = res.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(("stream_ocr_frames_inferred_total{", "stream_ocr_frames_skipped_total{")):
            total += float(line.rsplit(" ", 1)[1])
    return total


def cost_round(broker: Broker | None, seconds: float, warmup: float) -> float:
    args = ["--source", f"sample={ROOT / 'samples' / 'signs.mp4'}", "--loop"]
    if broker is not None:
        args += ["--mqtt", broker.url, "--mqtt-discovery", "--watch", "coffee=FRESH COFFEE"]
    server = ServerProcess(*args)
    try:
        server.wait_ready()
        time.sleep(warmup)
        start, t0 = results(server.url), time.monotonic()
        time.sleep(seconds)
        return (results(server.url) - start) / (time.monotonic() - t0)
    finally:
        server.stop()


def alerts(broker: Broker, per_minute: int) -> None:
    link = MqttLink(MqttConfig(url=broker.url), ["sample"], rules=["r"])
    link.start()
    sender = WebhookSender(WebhookConfig((MQTT_ALERTS,), ""), MemoryOutbox(), link)
    listener = Subscriber(broker.port, name="bench-listener")
    arrived: dict[int, float] = {}
    doubled = 0

    def on_message(client, userdata, message) -> None:
        nonlocal doubled
        if message.topic == "stream-ocr/alerts":
            k = json.loads(message.payload)["id"]
            doubled += k in arrived
            arrived.setdefault(k, time.time())

    listener.client.on_message = on_message
    try:
        link.connected.wait(20)
        time.sleep(1.0)
        raised: dict[int, float] = {}
        start = time.monotonic()
        for k in range(per_minute):
            due = start + 60.0 * k / per_minute
            time.sleep(max(0.0, due - time.monotonic()))
            raised[k] = time.time()
            sender.send({"id": k, "rule": "r", "stream_id": "sample", "text": f"alert {k}", "crop_url": "/c"})
        deadline = time.monotonic() + 30
        while len(arrived) < per_minute and time.monotonic() < deadline:
            time.sleep(0.2)
        delays = sorted(arrived[k] - raised[k] for k in arrived)
        print(
            f"alerts: {per_minute} raised in 60 s, {len(arrived)} arrived, {per_minute - len(arrived)} lost, "
            f"{doubled} doubled; delay p50 {statistics.median(delays) * 1000:.0f} ms, "
            f"p99 {delays[int(0.99 * (len(delays) - 1))] * 1000:.0f} ms"
        )
    finally:
        sender.close()
        link.close()
        listener.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--alerts-per-minute", type=int, default=1000)
    parser.add_argument("--skip-cost", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        broker = Broker(Path(folder))
        try:
            if not args.skip_cost:
                listener = Subscriber(broker.port)
                rates: dict[str, list[float]] = {"without MQTT": [], "with MQTT": []}
                for _ in range(args.rounds):
                    rates["without MQTT"].append(cost_round(None, args.seconds, args.warmup))
                    rates["with MQTT"].append(cost_round(broker, args.seconds, args.warmup))
                print("| server | results/s, each round | mean |")
                print("|---|---|---|")
                for name, values in rates.items():
                    print(f"| {name} | {', '.join(f'{v:.2f}' for v in values)} | {statistics.mean(values):.2f} |")
                base, mqtt = statistics.mean(rates["without MQTT"]), statistics.mean(rates["with MQTT"])
                print(f"with MQTT: {mqtt / base - 1:+.1%} results per second; {len(listener.messages)} messages seen")
                listener.close()
            alerts(broker, args.alerts_per_minute)
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
