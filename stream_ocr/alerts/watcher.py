"""The watcher: checks each live stream's tracks against the watchlist as they are read.

Owns the rules in force and the once-per-appearance promise: a rule fires at most once
per track (the same text on screen for an hour is one alert; the text gone and back, or
replaced in place, is a new track and a new alert). An alert is published as a Socket.IO
``alert`` event to every client, handed to the webhook sender, stored by the history
writer (with the crop it was seen in), and counted by rule.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

from stream_ocr.alerts.records import AlertRow, RuleRecords
from stream_ocr.alerts.rules import MAX_TEXT, WatchRule
from stream_ocr.errors import BadInputError
from stream_ocr.history.store import text_key
from stream_ocr.realthreads import threading
from stream_ocr.types import Line

logger = logging.getLogger(__name__)

MAX_RULES = 1000


class Watcher:
    def __init__(
        self,
        rules: list[WatchRule],
        publish: Callable[[str, dict[str, Any], str | None], None],
        on_alert: list[Callable[[AlertRow, dict[str, Any]], None]] | None = None,
        records: RuleRecords | None = None,
        stored: bool = False,
    ) -> None:
        self.publish = publish
        # Each alert also goes to these (the history writer, the webhook sender).
        self.on_alert = list(on_alert or [])
        self.records = records
        # Whether alerts are stored (their crops can then be fetched by URL).
        self.stored = stored
        self.counts: Counter[str] = Counter()
        self.recent: deque[dict[str, Any]] = deque(maxlen=100)
        self._lock = threading.Lock()
        self._rules: dict[str, WatchRule] = {}
        for rule in rules + (records.load() if records is not None else []):
            if rule.name in self._rules:
                raise BadInputError(f"two watchlist rules are named {rule.name!r}")
            self._rules[rule.name] = rule
        # (stream id, track id) -> the rules that have fired on that track.
        self._fired: OrderedDict[tuple[str, int], set[str]] = OrderedDict()

    # -- rules -----------------------------------------------------------------------------
    def rules(self) -> list[WatchRule]:
        with self._lock:
            return list(self._rules.values())

    def add(self, rule: WatchRule) -> None:
        """Add or replace an API rule (stored, when there is a database)."""
        with self._lock:
            held = self._rules.get(rule.name)
            if held is not None and held.source != "api":
                raise BadInputError(f"rule {rule.name!r} comes from the {held.source}; it cannot be replaced")
            if held is None and len(self._rules) >= MAX_RULES:
                raise BadInputError(f"the watchlist is full ({MAX_RULES} rules)")
        if self.records is not None:
            self.records.save(rule)
        with self._lock:
            self._rules[rule.name] = rule

    def remove(self, name: str) -> bool:
        with self._lock:
            held = self._rules.get(name)
            if held is None:
                return False
            if held.source != "api":
                raise BadInputError(f"rule {name!r} comes from the {held.source}; remove it there")
        if self.records is not None:
            self.records.delete(name)
        with self._lock:
            self._rules.pop(name, None)
        return True

    # -- matching --------------------------------------------------------------------------
    def check(self, stream_id: str, lines: tuple[Line, ...], t: float, crop_of: Callable[[int], bytes | None]) -> None:
        """Raise an alert for each rule that a track's text now matches for the first time."""
        rules = [r for r in self.rules() if r.applies_to(stream_id)]
        if not rules:
            return
        for line in lines:
            if line.track_id is None or not line.text:
                continue
            key = (stream_id, line.track_id)
            with self._lock:
                fired = self._fired.setdefault(key, set())
                self._fired.move_to_end(key)
                while len(self._fired) > 10_000:
                    self._fired.popitem(last=False)
            search_key = text_key(line.text[:MAX_TEXT])  # once per line, for every word rule
            for rule in rules:
                if rule.name in fired or not rule.matches(line.text, search_key):
                    continue
                fired.add(rule.name)
                confidence = line.confidence if line.confidence is not None else 0.0
                alert = AlertRow(
                    uuid.uuid4().hex, rule.name, stream_id, line.text, confidence, t, crop_of(line.track_id)
                )
                self._raise(alert)

    def _raise(self, alert: AlertRow) -> None:
        payload = alert.to_dict(crop_url=self.stored)
        logger.info("alert %s on %s: %r", alert.rule, alert.stream_id, alert.text)
        with self._lock:
            self.counts[alert.rule] += 1
            self.recent.appendleft(payload)
        self.publish("alert", payload, None)
        for sink in self.on_alert:
            try:
                sink(alert, payload)
            except Exception:  # noqa: BLE001  (a failing sink must not stop the others)
                logger.exception("handing alert %s on failed", alert.id)

    def forget(self, stream_id: str, track_id: int) -> None:
        """The track ended: its rules may fire again on a later track."""
        with self._lock:
            self._fired.pop((stream_id, track_id), None)
