"""Crops and video times of tracks; alerts, API watchlist rules and the webhook outbox; pg_trgm on PostgreSQL.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tracks", sa.Column("crop", sa.LargeBinary, nullable=True))
    op.add_column("tracks", sa.Column("video_time", sa.Float, nullable=True))
    op.create_index("tracks_last_seen", "tracks", ["last_seen"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("crop", sa.LargeBinary, nullable=True),
    )
    op.create_index("alerts_time", "alerts", ["time"])
    op.create_table(
        "watch_rules",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("spec", sa.Text, nullable=False),
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("webhook_outbox_next_at", "webhook_outbox", ["next_at"])
    if op.get_bind().dialect.name == "postgresql":
        # Fuzzy search by pg_trgm's own index (a trusted extension: the database's owner may
        # create it). The trigram table is SQLite's stand-in and stays empty here.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX tracks_text_key_trgm ON tracks USING gin (text_key gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS tracks_text_key_trgm")
    op.drop_table("webhook_outbox")
    op.drop_table("watch_rules")
    op.drop_table("alerts")
    op.drop_index("tracks_last_seen", "tracks")
    op.drop_column("tracks", "video_time")
    op.drop_column("tracks", "crop")
