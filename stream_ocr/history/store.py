"""The track store: finished tracks written in batches, searched with OCR errors forgiven.

Owns the SQL of the ``tracks`` table. Search candidates come from trigrams: on SQLite,
the tracks sharing the most trigrams with the query (``track_grams``, over padded text
keys, so "WATCH" and "Waich" meet on " wa" and "ch "); on PostgreSQL, pg_trgm's word
similarity on its GIN index. Either way they are ranked by edit-distance similarity of
the best-matching part of their text (``rapidfuzz``). It keeps no thread: ``writer``
calls ``add`` and ``prune``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from stream_ocr.errors import BadInputError
from stream_ocr.geometry import rounded
from stream_ocr.history.database import open_database, safe_url
from stream_ocr.history.schema import track_grams, tracks
from stream_ocr.live.sinks import BROWSER_PREFIX, VIDEO_PREFIX  # private streams' prefixes
from stream_ocr.tracking.similarity import found_in, search_key, whole_likeness

logger = logging.getLogger(__name__)

# The best-matching part of a text must be this similar to the query (0-100): one wrong
# letter in five ("Waich" for "WATCH") passes, a different word does not.
MIN_SCORE = 75.0
# At most this many candidates are ranked per search; on SQLite, with a stream or time
# filter, this many times more are picked from the trigram index before filtering.
MAX_CANDIDATES = 1000
FILTERED_PICK = 20
# pg_trgm's word similarity a candidate needs (one wrong letter in five gives 0.5).
PG_WORD_SIMILARITY = 0.3


def trigrams(key: str) -> set[str]:
    return {key[i : i + 3] for i in range(len(key) - 2)}


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class TrackRow:
    """One finished track as stored; ``crop`` is a small JPEG of its best read, or None."""

    stream_id: str
    text: str
    first_seen: float
    last_seen: float
    confidence: float
    points: tuple[tuple[float, float], ...]
    crop: bytes | None = None
    video_time: float | None = None  # a video job's track: its start in the video, seconds

    def values(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "text": self.text,
            "text_key": search_key(self.text),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "confidence": self.confidence,
            "points": json.dumps(rounded(self.points)),
            "crop": self.crop,
            "video_time": self.video_time,
        }


@dataclass(frozen=True)
class Hit:
    """A search result."""

    id: int
    text: str
    stream_id: str
    first_seen: float
    last_seen: float
    confidence: float
    score: float
    has_crop: bool = False
    video_time: float | None = None

    def to_dict(self, crop_url: str | None = None) -> dict[str, Any]:
        """The search result; a video job's track also says which job and where in it.
        ``crop_url``: where its crop is served (the server signs it), if it has one."""
        return {
            "id": self.id,
            "text": self.text,
            "stream_id": self.stream_id,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "confidence": round(self.confidence, 4),
            "score": round(self.score, 1),
            "crop_url": crop_url,
            "job_id": self.stream_id[len(VIDEO_PREFIX) :] if self.stream_id.startswith(VIDEO_PREFIX) else None,
            "video_time": None if self.video_time is None else round(self.video_time, 3),
        }


class TrackStore:
    """Finished tracks in the database at ``url`` (SQLite or PostgreSQL), migrated on open."""

    def __init__(self, url: str) -> None:
        self.url = safe_url(url)
        self.engine = open_database(url)
        self.postgres = self.engine.dialect.name == "postgresql"

    def add(self, rows: list[TrackRow]) -> None:
        """Insert ``rows`` in one transaction (all or none)."""
        with self.engine.begin() as conn:
            self.insert(conn, rows)

    def insert(self, conn: sa.Connection, rows: list[TrackRow]) -> None:
        """Insert ``rows`` in the caller's transaction."""
        if not rows:
            return
        values = [row.values() for row in rows]
        if self.postgres:
            conn.execute(tracks.insert(), values)
            return
        # One statement for the tracks (their ids returned in order), one for their trigrams.
        ids = conn.execute(tracks.insert().returning(tracks.c.id, sort_by_parameter_order=True), values).scalars()
        grams = [
            {"gram": g, "track_id": track_id}
            for track_id, v in zip(ids, values, strict=True)
            for g in sorted(trigrams(v["text_key"]))
        ]
        if grams:
            conn.execute(track_grams.insert(), grams)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(tracks)).scalar_one())

    def crop(self, track_id: int) -> bytes | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(tracks.c.crop).where(tracks.c.id == track_id)).scalar_one_or_none()

    def prune(self, before: float | None = None, keep: int | None = None, most: int | None = None) -> int:
        """Delete tracks last seen before ``before`` (epoch seconds) and all but the newest
        ``keep``, the oldest first and at most ``most`` of them; return how many went."""
        with self.engine.begin() as conn:
            doomed: list[Any] = []
            if before is not None:
                doomed.append(tracks.c.last_seen < before)
            if keep is not None:
                edge = conn.execute(
                    sa.select(tracks.c.id).order_by(tracks.c.id.desc()).offset(keep).limit(1)
                ).scalar_one_or_none()
                if edge is not None:
                    doomed.append(tracks.c.id <= edge)
            if not doomed:
                return 0
            # A subquery, never a list of ids: a month may be millions (PostgreSQL takes at
            # most 65,535 parameters in a statement).
            chosen = sa.select(tracks.c.id).where(sa.or_(*doomed)).order_by(tracks.c.id).limit(most).subquery()
            ids = sa.select(chosen.c.id)
            if not self.postgres:
                conn.execute(track_grams.delete().where(track_grams.c.track_id.in_(ids)))
            return conn.execute(tracks.delete().where(tracks.c.id.in_(ids))).rowcount

    def forget_video_jobs(self, job_ids: list[str] | None = None) -> int:
        """Delete the tracks of these video jobs (None: of every job), whose files are gone."""
        if job_ids is None:
            where = tracks.c.stream_id.startswith(VIDEO_PREFIX, autoescape=True)
        elif not job_ids:
            return 0
        else:
            where = tracks.c.stream_id.in_([VIDEO_PREFIX + j for j in job_ids])
        with self.engine.begin() as conn:
            ids = sa.select(tracks.c.id).where(where)
            if not self.postgres:
                conn.execute(track_grams.delete().where(track_grams.c.track_id.in_(ids)))
            return conn.execute(tracks.delete().where(where)).rowcount

    def _candidates(self, key: str, filtered: bool) -> sa.Select:
        columns = [c for c in tracks.c if c.name != "crop"] + [tracks.c.crop.isnot(None).label("has_crop")]
        if self.postgres:
            needle = key.strip()
            return (
                sa.select(*columns)
                .where(tracks.c.text_key.op("%>")(needle))
                .order_by(sa.func.word_similarity(needle, tracks.c.text_key).desc(), tracks.c.last_seen.desc())
            )
        # The tracks sharing the most trigrams, newest first among equals, picked from the
        # trigram index alone before any track row is read (a million tracks: 0.35 s -> see
        # BENCHMARKS.md). With filters, more are picked, since the filters drop some.
        shared = sa.func.count().label("shared")
        picked = (
            sa.select(track_grams.c.track_id, shared)
            .where(track_grams.c.gram.in_(sorted(trigrams(key))))
            .group_by(track_grams.c.track_id)
            .order_by(shared.desc(), track_grams.c.track_id.desc())
            .limit(MAX_CANDIDATES * (FILTERED_PICK if filtered else 1))
            .subquery()
        )
        return (
            sa.select(*columns)
            .join(picked, picked.c.track_id == tracks.c.id)
            .order_by(picked.c.shared.desc(), tracks.c.id.desc())
        )

    def search(
        self,
        query: str,
        stream_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
        visible_to: tuple[str, ...] | None = None,
    ) -> list[Hit]:
        """Tracks whose text matches ``query`` exactly or within OCR errors, best first.

        ``visible_to``: None for every stream's tracks; else configured streams' tracks and
        those of the private streams named (a visitor's camera and video jobs).
        """
        key = search_key(query)
        if not key.strip():
            raise BadInputError("the search needs letters or digits")
        if len(key) > 200:
            raise BadInputError("the search is too long (at most 200 characters)")
        filtered = stream_id is not None or since is not None or until is not None or visible_to is not None
        select = self._candidates(key, filtered=filtered)
        if visible_to is not None:
            public = ~tracks.c.stream_id.startswith(BROWSER_PREFIX, autoescape=True) & ~tracks.c.stream_id.startswith(
                VIDEO_PREFIX, autoescape=True
            )
            select = select.where(public | tracks.c.stream_id.in_(visible_to)) if visible_to else select.where(public)
        if stream_id is not None:
            select = select.where(tracks.c.stream_id == stream_id)
        if since is not None:
            select = select.where(tracks.c.last_seen >= since)
        if until is not None:
            select = select.where(tracks.c.first_seen <= until)
        with self.engine.begin() as conn:
            if self.postgres:
                conn.execute(sa.text(f"SET LOCAL pg_trgm.word_similarity_threshold = {PG_WORD_SIMILARITY}"))
                # The planner prices pg_trgm's operator so low that it scans the whole table
                # (0.9 s at 60,000 rows, against 15 ms on the trigram index): never here.
                conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            rows = conn.execute(select.limit(MAX_CANDIDATES)).mappings().all()
        needle = key.strip()
        ranked = []
        for row in rows:
            hay = row["text_key"].strip()
            score = 100 * found_in(needle, hay)
            if score >= MIN_SCORE:
                hit = Hit(
                    row["id"],
                    row["text"],
                    row["stream_id"],
                    row["first_seen"],
                    row["last_seen"],
                    row["confidence"],
                    score,
                    bool(row["has_crop"]),
                    row["video_time"],
                )
                # Among equal scores, the text closest as a whole first, then the newest.
                ranked.append((-score, -whole_likeness(needle, hay), -hit.last_seen, hit.id, hit))
        ranked.sort(key=lambda r: r[:4])
        hits = [r[-1] for r in ranked]
        return hits[:limit]
