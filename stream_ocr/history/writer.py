"""The history writer: one thread (``history:writer``) that stores finished tracks in batches.

Owns the hand-off from the live pipeline: ``record`` never blocks (a full buffer drops
the track, counted). Each batch is one transaction, so a crash loses at most the
unwritten buffer. While the database fails, the batch is kept and retried with a
growing pause, and the failure is logged once per outage.
"""

from __future__ import annotations

import logging

from stream_ocr.history.store import TrackRow, TrackStore
from stream_ocr.realthreads import queue, start_thread, threading
from stream_ocr.tracking import Track

logger = logging.getLogger(__name__)


class HistoryWriter:
    def __init__(self, store: TrackStore, buffer: int = 10_000, batch: int = 200, flush_s: float = 1.0) -> None:
        self.store = store
        self.batch = batch
        self.flush_s = flush_s
        self.pending: queue.Queue[TrackRow] = queue.Queue(maxsize=buffer)
        self.written = 0
        self.dropped = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = start_thread(self._run, "history:writer")

    def record(self, stream_id: str, track: Track) -> None:
        """A finished track of ``stream_id``; tracks without text are not kept."""
        if not track.text or not track.boxes:
            return
        row = TrackRow(
            stream_id, track.text, track.first_time, track.last_time, track.confidence, track.boxes[-1].points
        )
        try:
            self.pending.put_nowait(row)
        except queue.Full:
            self.dropped += 1

    def _take(self) -> list[TrackRow]:
        rows: list[TrackRow] = []
        try:
            rows.append(self.pending.get(timeout=self.flush_s))
            while len(rows) < self.batch:
                rows.append(self.pending.get_nowait())
        except queue.Empty:
            pass
        return rows

    def _run(self) -> None:
        rows: list[TrackRow] = []
        pause = 0.5
        failing = False
        while not self._stop.is_set() or rows or not self.pending.empty():
            if not rows:
                rows = self._take()
                if not rows:
                    continue
            try:
                self.store.add(rows)
            except Exception as e:  # noqa: BLE001  (a database away must not stop the writer)
                self.failures += 1
                if not failing:
                    logger.warning(
                        "cannot write history to %s (%s): keeping %d tracks, retrying", self.store.url, e, len(rows)
                    )
                    failing = True
                if self._stop.wait(pause):
                    break
                pause = min(pause * 2, 30.0)
                continue
            if failing:
                logger.info("history writes to %s work again", self.store.url)
                failing, pause = False, 0.5
            self.written += len(rows)
            rows = []

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered (up to ``timeout``), then stop."""
        self._stop.set()
        self._thread.join(timeout)
