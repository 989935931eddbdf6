"""The history writer: one thread (``history:writer``) that stores finished tracks in batches.

Owns the hand-off from the live pipeline: ``record`` never blocks (a full buffer drops
the track, counted). Each batch is one transaction, so a crash loses at most the
unwritten buffer. While the database fails, the batch is kept and retried with a
growing pause, and the failure is logged once per outage; before each retry the pool's
connections are dropped, so a connection that went bad (opened on a read-only folder or
database) is never reused once the cause has gone. Between batches it applies the
retention: tracks older than ``retain_s`` or beyond the newest ``retain_rows`` go.

It stores tracks itself; rows of other kinds (the watchlist's alerts) are written in the
same transactions by the inserters it is given (``inserters``: row type -> function of a
connection and a list of rows), so this package needs nothing of theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from stream_ocr.history.store import TrackRow, TrackStore
from stream_ocr.realthreads import queue, time
from stream_ocr.service import Service
from stream_ocr.tracking.tracker import Track

# Retention deletes at most this many tracks per transaction, with batches of writes
# between: on SQLite, 0.49 s a chunk against 11 s for 95,000 tracks in one transaction, during
# which every write waited (BENCHMARKS.md "Retention").
PRUNE_CHUNK = 2000

logger = logging.getLogger(__name__)


class HistoryWriter(Service):
    def __init__(
        self,
        store: TrackStore,
        buffer: int = 10_000,
        batch: int = 200,
        flush_s: float = 1.0,
        retain_s: float | None = None,
        retain_rows: int | None = None,
        prune_every_s: float = 60.0,
        inserters: Mapping[type, Callable[[Any, list], None]] | None = None,
    ) -> None:
        super().__init__("history:writer")
        self.store = store
        self.inserters: dict[type, Callable[[Any, list], None]] = {TrackRow: store.insert, **(inserters or {})}
        self.batch = batch
        self.flush_s = flush_s
        self.retain_s = retain_s
        self.retain_rows = retain_rows
        self.prune_every_s = prune_every_s
        self.pruned = 0
        self._next_prune = 0.0
        self.pending: queue.Queue[Any] = queue.Queue(maxsize=buffer)
        self.written = 0
        self.dropped = 0
        self.failures = 0
        self.last_error: str | None = None  # while writes fail: why (``health``)
        self.start()

    def record(self, stream_id: str, track: Track, crop: bytes | None = None) -> None:
        """A finished track of ``stream_id`` (and a JPEG of its best read); tracks without
        text are not kept."""
        if not track.text or not track.boxes:
            return
        self.record_row(
            TrackRow(
                stream_id,
                track.text,
                track.first_time,
                track.last_time,
                track.confidence,
                track.boxes[-1].points,
                crop,
            )
        )

    def record_row(self, row: Any) -> None:
        """A row of a kind it has an inserter for (a ``TrackRow``, an alert); never blocks."""
        try:
            self.pending.put_nowait(row)
        except queue.Full:
            self.dropped += 1

    def _take(self) -> list[Any]:
        rows: list[Any] = []
        try:
            rows.append(self.pending.get(timeout=self.flush_s))
            while len(rows) < self.batch:
                rows.append(self.pending.get_nowait())
        except queue.Empty:
            pass
        return rows

    def _prune(self) -> None:
        now = time.time()
        if (self.retain_s is None and self.retain_rows is None) or now < self._next_prune:
            return
        self._next_prune = now + self.prune_every_s
        before = now - self.retain_s if self.retain_s is not None else None
        try:
            gone = self.store.prune(before, self.retain_rows, most=PRUNE_CHUNK)
        except Exception as e:  # noqa: BLE001  (retention waits for the database like writes do)
            logger.warning("cannot apply the history retention on %s: %s", self.store.url, e)
            return
        if gone:
            self.pruned += gone
            logger.info("history retention: %d old tracks deleted", gone)
        if gone == PRUNE_CHUNK:
            self._next_prune = now  # more to go: the next chunk after the next batch of writes

    def _write(self, rows: list[Any]) -> None:
        """One batch, one transaction: all of it is written or none."""
        with self.store.engine.begin() as conn:
            for kind, insert in self.inserters.items():
                insert(conn, [r for r in rows if isinstance(r, kind)])

    def run(self) -> None:
        rows: list[Any] = []
        pause = 0.5
        failing = False
        while not self.stopping or rows or not self.pending.empty():
            if not failing:
                self._prune()
            if not rows:
                rows = self._take()
                if not rows:
                    continue
            try:
                self._write(rows)
            except Exception as e:  # noqa: BLE001  (a database away must not stop the writer)
                self.failures += 1
                self.last_error = str(e).splitlines()[0][:300]
                self.drop_connections()
                if not failing:
                    logger.warning(
                        "cannot write history to %s (%s): keeping %d tracks, retrying", self.store.url, e, len(rows)
                    )
                    failing = True
                if self.sleep(pause):
                    break
                pause = min(pause * 2, 30.0)
                continue
            if failing:
                logger.info("history writes to %s work again", self.store.url)
                failing, pause = False, 0.5
                self.last_error = None
            self.written += len(rows)
            rows = []

    def drop_connections(self) -> None:
        try:
            self.store.engine.dispose()
        except Exception as e:  # noqa: BLE001  (the next write opens new ones all the same)
            logger.debug("disposing the history's connections: %s", e)

    def health(self) -> dict:
        """``ok`` or ``degraded`` (writes failing: tracks wait in the buffer), for /healthz."""
        return {
            "state": "degraded" if self.last_error else "ok",
            "pending": self.pending.qsize(),
            "dropped": self.dropped,
            **({"error": self.last_error} if self.last_error else {}),
        }

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered (up to ``timeout``), then stop."""
        self.stop(timeout)
