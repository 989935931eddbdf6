"""The tracks table, and the trigrams of their text keys (the fuzzy search's index).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_key", sa.Text, nullable=False),
        sa.Column("first_seen", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("points", sa.Text, nullable=False),
    )
    op.create_index("tracks_stream_first_seen", "tracks", ["stream_id", "first_seen"])
    op.create_index("tracks_first_seen", "tracks", ["first_seen"])
    op.create_table(
        "track_grams",
        sa.Column("gram", sa.String(16), nullable=False),
        sa.Column("track_id", sa.Integer, sa.ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("track_grams_gram", "track_grams", ["gram", "track_id"])
    op.create_index("track_grams_track", "track_grams", ["track_id"])


def downgrade() -> None:
    op.drop_table("track_grams")
    op.drop_table("tracks")
