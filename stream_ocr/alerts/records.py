"""Alerts and API-added rules in the history database: the SQL of ``alerts`` and ``watch_rules``.

Owns reading recent alerts and their crops, and storing the rules that the API adds, so
that they survive a restart. Alerts are written by the history writer's thread
(``history.writer``), with the tracks, never by the inference thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from stream_ocr.alerts.rules import WatchRule
from stream_ocr.history.schema import alerts, watch_rules
from stream_ocr.history.store import iso
from stream_ocr.live.sinks import BROWSER_PREFIX


@dataclass(frozen=True)
class AlertRow:
    """One alert as raised: the Socket.IO and webhook payload, and the crop it was seen in."""

    id: str
    rule: str
    stream_id: str
    text: str
    confidence: float
    time: float
    crop: bytes | None = None

    def to_dict(self, crop_url: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "stream_id": self.stream_id,
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "time": iso(self.time),
            "crop_url": f"/api/alerts/{self.id}/crop.jpg" if crop_url and self.crop else None,
        }

    def values(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "stream_id": self.stream_id,
            "text": self.text,
            "confidence": self.confidence,
            "time": self.time,
            "crop": self.crop,
        }


def insert_alerts(conn: sa.Connection, rows: list[AlertRow]) -> None:
    if rows:
        conn.execute(alerts.insert(), [row.values() for row in rows])


def recent_alerts(engine: sa.Engine, limit: int = 100, public_only: bool = False) -> list[AlertRow]:
    """The newest alerts; ``public_only``: of configured streams only (not browser cameras')."""
    select = sa.select(alerts).order_by(alerts.c.time.desc()).limit(limit)
    if public_only:
        select = select.where(~alerts.c.stream_id.startswith(BROWSER_PREFIX, autoescape=True))
    with engine.connect() as conn:
        rows = conn.execute(select).all()
    return [AlertRow(*row) for row in rows]


def alert_crop(engine: sa.Engine, alert_id: str) -> bytes | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(alerts.c.crop).where(alerts.c.id == alert_id)).scalar_one_or_none()


class RuleRecords:
    """The API's rules in ``watch_rules``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def load(self) -> list[WatchRule]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(watch_rules.c.spec).order_by(watch_rules.c.name)).scalars().all()
        return [WatchRule.from_dict(json.loads(spec), "api") for spec in rows]

    def save(self, rule: WatchRule) -> None:
        spec = {k: v for k, v in rule.to_dict().items() if k != "source"}
        if rule.max_errors is None:
            spec.pop("max_errors")
        with self.engine.begin() as conn:
            conn.execute(watch_rules.delete().where(watch_rules.c.name == rule.name))
            conn.execute(watch_rules.insert(), {"name": rule.name, "spec": json.dumps(spec)})

    def delete(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(watch_rules.delete().where(watch_rules.c.name == name))
