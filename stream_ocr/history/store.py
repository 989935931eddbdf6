"""The track store: open (and migrate) the database, add finished tracks, search them.

Owns the SQL. Search forgives OCR errors: candidates are the tracks that share the most
trigrams with the query (``track_grams``, over padded text keys, so "WATCH" and "Waich"
meet on " wa" and "ch "), ranked by edit-distance similarity of the best-matching part
of their text (``rapidfuzz``). It keeps no thread: ``writer`` calls ``add`` in batches.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz

from stream_ocr.errors import BadInputError
from stream_ocr.history.schema import track_grams, tracks

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The best-matching part of a text must be this similar to the query (0-100): one wrong
# letter in five ("Waich" for "WATCH") passes, a different word does not.
MIN_SCORE = 75.0
# At most this many candidates are ranked per search.
MAX_CANDIDATES = 5000


def trigrams(key: str) -> set[str]:
    return {key[i : i + 3] for i in range(len(key) - 2)}


def text_key(text: str) -> str:
    """What search compares: lower case, letters and digits, single spaces, one at each end."""
    words = re.findall(r"[^\W_]+", text.lower())
    return f" {' '.join(words)} " if words else ""


@dataclass(frozen=True)
class TrackRow:
    """One finished track as stored."""

    stream_id: str
    text: str
    first_seen: float
    last_seen: float
    confidence: float
    points: tuple[tuple[float, float], ...]

    def values(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "text": self.text,
            "text_key": text_key(self.text),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "confidence": self.confidence,
            "points": json.dumps([[round(x, 1), round(y, 1)] for x, y in self.points]),
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

    def to_dict(self) -> dict[str, Any]:
        from datetime import UTC, datetime

        def iso(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")

        return {
            "id": self.id,
            "text": self.text,
            "stream_id": self.stream_id,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "confidence": round(self.confidence, 4),
            "score": round(self.score, 1),
            "crop_url": None,
        }


class TrackStore:
    """A database of finished tracks at ``url`` (``sqlite:///PATH``), migrated to the newest schema."""

    def __init__(self, url: str) -> None:
        if not url.startswith("sqlite:///"):
            raise BadInputError(f"--db takes sqlite:///PATH in this version, got {url!r}")
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine = sa.create_engine(url)
        self.migrate()

    def migrate(self) -> None:
        """Bring the schema to Alembic's head (a new database gets every table)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def add(self, rows: list[TrackRow]) -> None:
        """Insert ``rows`` in one transaction (all or none)."""
        if not rows:
            return
        with self.engine.begin() as conn:
            for row in rows:
                values = row.values()
                (track_id,) = conn.execute(tracks.insert(), values).inserted_primary_key
                grams = [{"gram": g, "track_id": track_id} for g in sorted(trigrams(values["text_key"]))]
                if grams:
                    conn.execute(track_grams.insert(), grams)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(tracks)).scalar_one())

    def search(
        self,
        query: str,
        stream_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 50,
    ) -> list[Hit]:
        """Tracks whose text matches ``query`` exactly or within OCR errors, best first."""
        key = text_key(query)
        if not key.strip():
            raise BadInputError("the search needs letters or digits")
        select = sa.select(tracks)
        if stream_id is not None:
            select = select.where(tracks.c.stream_id == stream_id)
        if since is not None:
            select = select.where(tracks.c.last_seen >= since)
        if until is not None:
            select = select.where(tracks.c.first_seen <= until)
        shared = (
            sa.select(track_grams.c.track_id, sa.func.count().label("shared"))
            .where(track_grams.c.gram.in_(sorted(trigrams(key))))
            .group_by(track_grams.c.track_id)
            .subquery()
        )
        select = (
            select.join(shared, shared.c.track_id == tracks.c.id)
            .order_by(shared.c.shared.desc(), tracks.c.last_seen.desc())
            .limit(MAX_CANDIDATES)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(select).mappings().all()
        needle = key.strip()
        hits = []
        for row in rows:
            score = max(
                fuzz.partial_ratio(needle, row["text_key"].strip()), fuzz.ratio(needle, row["text_key"].strip())
            )
            if score >= MIN_SCORE:
                hits.append(
                    Hit(
                        row["id"],
                        row["text"],
                        row["stream_id"],
                        row["first_seen"],
                        row["last_seen"],
                        row["confidence"],
                        score,
                    )
                )
        hits.sort(key=lambda h: (-h.score, -h.last_seen))
        return hits[:limit]
