"""The server's recorder: where the history, the watchlist and the webhooks are wired together.

``history/`` only stores and ``alerts/`` only matches and delivers; this module is the
one place that connects them (``open_recorder``): the history writer stores alerts with
the tracks, the watcher's alerts go to the writer and the webhook sender, and the
sender's outbox lives in the history's database when there is one.

``LiveRecorder`` is the hand-over from a stream's per-frame step to those sinks: after
each frame read, the best crop of each track is kept (``crops``) and the watchlist checks
the tracks' texts (``alerts.watcher``); when a track ends, it goes to the history writer
with its crop. Every call returns at once: storing and webhooks run on their own threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from stream_ocr.alerts.outbox import DatabaseOutbox, MemoryOutbox
from stream_ocr.alerts.records import AlertRow, RuleRecords, insert_alerts
from stream_ocr.alerts.rules import load_rules_file, parse_cli_rule
from stream_ocr.alerts.watcher import Watcher
from stream_ocr.alerts.webhooks import MQTT_ALERTS, WebhookConfig, WebhookSender
from stream_ocr.config import HistoryConfig, WatchConfig
from stream_ocr.history.database import engine_url
from stream_ocr.history.store import TrackStore
from stream_ocr.history.video_tracks import video_rows
from stream_ocr.history.writer import HistoryWriter
from stream_ocr.live.sinks import Publish
from stream_ocr.realthreads import threading
from stream_ocr.step.frame_step import StepResult
from stream_ocr.tracking.tracker import Track
from stream_ocr.video.crops import BestCrops

if TYPE_CHECKING:
    from stream_ocr.server.jobs import JobState

logger = logging.getLogger(__name__)


class LiveRecorder:
    def __init__(
        self, watcher: Watcher, writer: HistoryWriter | None = None, sender: WebhookSender | None = None
    ) -> None:
        self.writer = writer
        self.watcher = watcher
        self.sender = sender
        # Crops are kept only where they can be stored.
        self.crops = BestCrops() if writer is not None else None
        # Told of the frame each alert fired on (MQTT snapshots); the frame being checked,
        # per inference thread.
        self.on_alert_frame: Callable[[str, np.ndarray], None] | None = None
        self._checking = threading.local()
        watcher.on_alert.append(self._alert_frame)

    def _alert_frame(self, alert: AlertRow, payload: dict) -> None:
        frame = getattr(self._checking, "frame", None)
        if self.on_alert_frame is not None and frame is not None and frame[0] == alert.stream_id:
            self.on_alert_frame(alert.stream_id, frame[1])

    def on_read(self, stream_id: str, image: np.ndarray, step: StepResult) -> None:
        """A frame of ``stream_id`` was read: ``step.lines`` carry track ids and fused texts."""
        crops = self.crops
        if crops is not None:
            crops.observe(stream_id, image, step.lines)
        if self.watcher.rules():

            def crop_of(track_id: int) -> bytes | None:
                return crops.get(stream_id, track_id) if crops is not None else None

            self._checking.frame = (stream_id, image)
            try:
                self.watcher.check(stream_id, step.lines, step.time, crop_of)
            finally:
                self._checking.frame = None

    def on_track_end(self, stream_id: str, track: Track) -> None:
        crop = self.crops.pop(stream_id, track.track_id) if self.crops is not None else None
        if self.writer is not None:
            self.writer.record(stream_id, track, crop)
        self.watcher.forget(stream_id, track.track_id)

    def on_video_done(self, job: JobState, started: float) -> None:
        """A video job finished: its tracks go to the history, with crops cut from the video."""
        if self.writer is None or job.timeline is None:
            return
        for row in video_rows(job.timeline, job.job_id, started):
            self.writer.record_row(row)

    def on_videos_forgotten(self, job_ids: list[str] | None) -> None:
        """These video jobs' files are gone (None: every job's, at start-up): so are their tracks,
        so that a search never points at a video that cannot be played."""
        if self.writer is None:
            return
        gone = self.writer.store.forget_video_jobs(job_ids)
        if gone:
            logger.info("history: %d tracks of removed video jobs deleted", gone)

    def close(self) -> None:
        """Deliver what is due and write what is buffered, then stop the threads."""
        if self.sender is not None:
            self.sender.close()
        if self.writer is not None:
            self.writer.close()


def check_settings(history: HistoryConfig, watch: WatchConfig) -> None:
    """Refuse a bad database URL or rule before anything starts (raises ``BadInputError``)."""
    if history.db_url is not None:
        engine_url(history.db_url)
    for spec in watch.rules:
        parse_cli_rule(spec)
    if watch.rules_file is not None:
        load_rules_file(watch.rules_file)


def open_recorder(history: HistoryConfig, watch: WatchConfig, publish: Publish, mqtt: Any = None) -> LiveRecorder:
    """The history writer and webhook sender the settings ask for, and the watcher (always
    there: the API may add rules), which sends each alert to the browsers by ``publish``
    (and through the sender's outbox to ``mqtt``, a ``live.mqtt.MqttLink``, when given)."""
    writer = None
    if history.db_url is not None:
        store = TrackStore(history.db_url)
        writer = HistoryWriter(
            store, retain_s=history.retain_s, retain_rows=history.most_rows, inserters={AlertRow: insert_alerts}
        )
    rules = [parse_cli_rule(spec) for spec in watch.rules]
    if watch.rules_file is not None:
        rules += load_rules_file(watch.rules_file)
    sender = None
    sinks = []
    if writer is not None:
        sinks.append(lambda alert, payload: writer.record_row(alert))
    if watch.webhooks or mqtt is not None:
        outbox = DatabaseOutbox(writer.store.engine) if writer is not None else MemoryOutbox()
        if writer is None:
            logger.warning("alert deliveries are kept in memory: without --no-history they would survive a restart")
        targets = (*watch.webhooks, *([MQTT_ALERTS] if mqtt is not None else []))
        sender = WebhookSender(WebhookConfig(targets, watch.webhook_secret or ""), outbox, mqtt)
        sinks.append(lambda alert, payload: sender.send(payload))
    records = RuleRecords(writer.store.engine) if writer is not None else None
    watcher = Watcher(rules, publish, sinks, records, stored=writer is not None)
    recorder = LiveRecorder(watcher, writer, sender)
    if mqtt is not None and mqtt.config.snapshots:
        recorder.on_alert_frame = mqtt.snapshot
    return recorder
