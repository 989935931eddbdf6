"""Webhook deliveries not yet made: in the history database (kept across a restart) or in memory.

Owns the outbox's rows: each is one alert's JSON body for one URL, with its attempts so
far and when to try next. It is bounded: past ``max_size`` the oldest deliveries are
dropped (counted), so a receiver that is down for days cannot fill the disk or memory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from stream_ocr.history.schema import webhook_outbox
from stream_ocr.realthreads import threading


@dataclass(frozen=True)
class Delivery:
    id: int
    url: str
    body: str
    attempts: int
    next_at: float
    created_at: float


class MemoryOutbox:
    """The outbox without a database: lost on a restart (the README says so)."""

    durable = False

    def __init__(self, max_size: int = 10_000) -> None:
        self.max_size = max_size
        self.dropped = 0
        self._rows: dict[int, Delivery] = {}
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, url: str, body: str, now: float) -> None:
        with self._lock:
            self._rows[self._next_id] = Delivery(self._next_id, url, body, 0, now, now)
            self._next_id += 1
            while len(self._rows) > self.max_size:
                del self._rows[min(self._rows)]
                self.dropped += 1

    def due(self, now: float, limit: int = 50) -> list[Delivery]:
        with self._lock:
            rows = sorted((d for d in self._rows.values() if d.next_at <= now), key=lambda d: d.next_at)
        return rows[:limit]

    def next_at(self) -> float | None:
        with self._lock:
            return min((d.next_at for d in self._rows.values()), default=None)

    def done(self, delivery: Delivery) -> None:
        with self._lock:
            self._rows.pop(delivery.id, None)

    def retry(self, delivery: Delivery, next_at: float, counted: bool = True) -> None:
        """Try ``delivery`` again at ``next_at``; ``counted``: this try was an attempt."""
        with self._lock:
            if delivery.id in self._rows:
                attempts = delivery.attempts + counted
                self._rows[delivery.id] = replace(delivery, attempts=attempts, next_at=next_at)

    def size(self) -> int:
        with self._lock:
            return len(self._rows)


class DatabaseOutbox:
    """The outbox in the history database's ``webhook_outbox`` table."""

    durable = True

    def __init__(self, engine: sa.Engine, max_size: int = 10_000) -> None:
        self.engine = engine
        self.max_size = max_size
        self.dropped = 0

    def add(self, url: str, body: str, now: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                webhook_outbox.insert(), {"url": url, "body": body, "attempts": 0, "next_at": now, "created_at": now}
            )
            edge = conn.execute(
                sa.select(webhook_outbox.c.id).order_by(webhook_outbox.c.id.desc()).offset(self.max_size).limit(1)
            ).scalar_one_or_none()
            if edge is not None:
                self.dropped += conn.execute(webhook_outbox.delete().where(webhook_outbox.c.id <= edge)).rowcount

    def due(self, now: float, limit: int = 50) -> list[Delivery]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(webhook_outbox)
                .where(webhook_outbox.c.next_at <= now)
                .order_by(webhook_outbox.c.next_at)
                .limit(limit)
            ).all()
        return [Delivery(*row) for row in rows]

    def next_at(self) -> float | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.min(webhook_outbox.c.next_at))).scalar_one_or_none()

    def done(self, delivery: Delivery) -> None:
        with self.engine.begin() as conn:
            conn.execute(webhook_outbox.delete().where(webhook_outbox.c.id == delivery.id))

    def retry(self, delivery: Delivery, next_at: float, counted: bool = True) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                webhook_outbox.update()
                .where(webhook_outbox.c.id == delivery.id)
                .values(attempts=delivery.attempts + counted, next_at=next_at)
            )

    def size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(webhook_outbox)).scalar_one())
