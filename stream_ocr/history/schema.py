"""The history tables, in SQLAlchemy Core. Alembic's migrations create them; this describes them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

tracks = sa.Table(
    "tracks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # Lower case, letters and digits only, one space between words and one at each end:
    # what search compares (trigrams of it, so its ends count too).
    sa.Column("text_key", sa.Text, nullable=False),
    sa.Column("first_seen", sa.Float, nullable=False),  # seconds since the epoch
    sa.Column("last_seen", sa.Float, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("points", sa.Text, nullable=False),  # JSON: the last box, four [x, y]
)

# Every distinct trigram of each track's ``text_key``: a search's candidates are the tracks
# that share trigrams with the query, most shared first (pg_trgm's idea, in plain SQL, so
# SQLite and PostgreSQL work alike; SQLite's FTS5 is missing from some builds).
track_grams = sa.Table(
    "track_grams",
    metadata,
    sa.Column("gram", sa.String(16), nullable=False),
    sa.Column("track_id", sa.Integer, sa.ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False),
)
