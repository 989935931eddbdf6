"""The watcher: checks each live stream's tracks against the watchlist as they are read.

Owns the rules in force and the once-per-appearance promise: a rule fires at most once
per track (the same text on screen for an hour is one alert; the text gone and back, or
replaced in place, is a new track and a new alert). An alert is published as a Socket.IO
``alert`` event to every client, handed to the webhook sender, stored by the history
writer (with the crop it was seen in), and counted by rule.

And the watchlist's cost: one time budget (``FRAME_BUDGET_S``, by the clock) covers all
rules on all lines of one frame, so however many rules there are, the live stream loses
at most that much per frame. Rule checks past it are skipped and counted. A rule whose
search runs out of time on ``STRIKES`` frames in a row is disabled, with the reason shown
in ``/api/watchlist``; replacing it (the same name) enables it again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

from stream_ocr.alerts.records import AlertRow, RuleRecords
from stream_ocr.alerts.rules import MATCH_TIMEOUT_S, MAX_TEXT, WatchRule
from stream_ocr.errors import BadInputError
from stream_ocr.live.sinks import audience_of
from stream_ocr.realthreads import threading
from stream_ocr.tracking.similarity import search_key
from stream_ocr.types import Line

logger = logging.getLogger(__name__)

MAX_RULES = 1000
FRAME_BUDGET_S = 0.05
STRIKES = 3
# A search that runs out of time having been given at least this long counts against its
# rule; one given less (the frame's budget all but spent) is tried again first next frame.
SLOW_SEARCH_S = 0.02


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
        self.frame_budget_s = FRAME_BUDGET_S
        self.skipped = 0  # rule checks left out because a frame's budget was spent
        self.timed_out: Counter[str] = Counter()
        self._strikes: Counter[str] = Counter()  # frames in a row a rule timed out on
        self.disabled: dict[str, str] = {}  # rule name -> why
        self._next_turn = 0

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
            self.disabled.pop(rule.name, None)
            self._strikes.pop(rule.name, None)

    def describe(self) -> list[dict[str, Any]]:
        """The rules as the API shows them, with ``disabled`` (why) for a rule taken out."""
        with self._lock:
            disabled = dict(self.disabled)
        out = []
        for rule in self.rules():
            item = rule.to_dict()
            if rule.name in disabled:
                item["disabled"] = disabled[rule.name]
            out.append(item)
        return out

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
            self.disabled.pop(name, None)
        return True

    # -- matching --------------------------------------------------------------------------
    def check(self, stream_id: str, lines: tuple[Line, ...], t: float, crop_of: Callable[[int], bytes | None]) -> None:
        """Raise an alert for each rule that a track's text now matches for the first time."""
        with self._lock:
            rules = [r for r in self._rules.values() if r.applies_to(stream_id) and r.name not in self.disabled]
        lines = tuple(line for line in lines if line.track_id is not None and line.text)
        if not rules or not lines:
            return
        fired: dict[int, set[str]] = {}
        with self._lock:
            for line in lines:
                key = (stream_id, line.track_id)
                fired[line.track_id] = self._fired.setdefault(key, set())
                self._fired.move_to_end(key)
            while len(self._fired) > 10_000:
                self._fired.popitem(last=False)
        search_keys = {line.track_id: search_key(line.text[:MAX_TEXT]) for line in lines}  # for every word rule
        # Every (line, rule) check of the frame, in round robin: a frame whose budget ran
        # out hands the next frame's first turn to the check it stopped at, so slow rules
        # or long lists early on never starve the rest.
        # (Check i is rule i % R on line i // R: no list of pairs is built per frame.)
        count = len(lines) * len(rules)
        start = self._next_turn % count
        deadline = time.perf_counter() + self.frame_budget_s
        ran: set[str] = set()
        timed_out: set[str] = set()
        stopped_at: int | None = None
        for k in range(count):
            i = (start + k) % count
            line, rule = lines[i // len(rules)], rules[i % len(rules)]
            done = fired[line.track_id]
            if rule.name in done:
                continue
            left = deadline - time.perf_counter()
            if left <= 0:
                stopped_at = k  # the frame's budget is spent: the rest wait
                break
            given = min(MATCH_TIMEOUT_S, left)
            found = rule.search(line.text, search_keys[line.track_id], given)
            if found is None:
                if given < SLOW_SEARCH_S and ran:
                    # Cut short by the frame's budget, not by its own slowness: this check
                    # goes first on the next frame, with the frame's whole budget, so a slow
                    # rule cannot live on the leftovers of frame after frame. (Had it gone
                    # first, the whole budget was too short for it: a strike.)
                    stopped_at = k
                    break
                ran.add(rule.name)
                timed_out.add(rule.name)  # out of a slow rule's time: a strike
                continue
            ran.add(rule.name)
            if found:
                done.add(rule.name)
                confidence = line.confidence if line.confidence is not None else 0.0
                alert = AlertRow(
                    uuid.uuid4().hex, rule.name, stream_id, line.text, confidence, t, crop_of(line.track_id)
                )
                self._raise(alert)
        if stopped_at is not None:
            self.skipped += count - stopped_at
            self._next_turn = start + stopped_at
        self._strike(ran, timed_out)

    def _strike(self, ran: set[str], timed_out: set[str]) -> None:
        """Count the frames in a row each rule ran out of time on; disable it at ``STRIKES``."""
        with self._lock:
            for name in ran - timed_out:
                self._strikes.pop(name, None)
            for name in timed_out:
                self.timed_out[name] += 1
                self._strikes[name] += 1
                if self._strikes[name] >= STRIKES and name not in self.disabled:
                    self.disabled[name] = (
                        f"disabled: its search ran out of time on {STRIKES} frames in a row; "
                        "simplify it and add it again"
                    )
                    logger.warning("watchlist rule %s disabled: too slow on %d frames in a row", name, STRIKES)

    def _raise(self, alert: AlertRow) -> None:
        payload = alert.to_dict(crop_url=self.stored)
        logger.info("alert %s on %s: %r", alert.rule, alert.stream_id, alert.text)
        with self._lock:
            self.counts[alert.rule] += 1
            self.recent.appendleft(payload)
        # A browser camera's alert goes to its visitor only; a configured stream's to all.
        self.publish("alert", payload, audience_of(alert.stream_id))
        for sink in self.on_alert:
            try:
                sink(alert, payload)
            except Exception:  # noqa: BLE001  (a failing sink must not stop the others)
                logger.exception("handing alert %s on failed", alert.id)

    def forget(self, stream_id: str, track_id: int) -> None:
        """The track ended: its rules may fire again on a later track."""
        with self._lock:
            self._fired.pop((stream_id, track_id), None)
