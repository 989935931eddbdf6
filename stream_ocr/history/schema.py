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
    sa.Column("crop", sa.LargeBinary, nullable=True),  # a small JPEG of its best read
    # Tracks of a video job (stream id ``video:JOB``): where in the video it starts, seconds.
    sa.Column("video_time", sa.Float, nullable=True),
)

# Every distinct trigram of each track's ``text_key``, on SQLite: a search's candidates are
# the tracks that share trigrams with the query, most shared first (pg_trgm's idea in plain
# SQL; SQLite's FTS5 is missing from some builds). PostgreSQL uses pg_trgm's own index.
track_grams = sa.Table(
    "track_grams",
    metadata,
    sa.Column("gram", sa.String(16), nullable=False),
    sa.Column("track_id", sa.Integer, sa.ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False),
)

# Each watchlist match (``alerts``), with the crop it was seen in.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # made by the watcher, so known at once
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("crop", sa.LargeBinary, nullable=True),
)

# Watchlist rules added through the API (those of the command line are not stored).
watch_rules = sa.Table(
    "watch_rules",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("spec", sa.Text, nullable=False),  # JSON, as the API takes it
)

# Webhook deliveries not yet made: survives a restart; the sender retries them.
webhook_outbox = sa.Table(
    "webhook_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the signed JSON, byte for byte
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_at", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
