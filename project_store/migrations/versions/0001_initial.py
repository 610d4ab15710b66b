"""Initial schema: sequences, tracks, assets, items, transitions, markers, history.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "sequences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("fps_num", sa.Integer(), nullable=False),
        sa.Column("fps_den", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("in_point", sa.Integer(), nullable=True),
        sa.Column("out_point", sa.Integer(), nullable=True),
    )
    op.create_table(
        "tracks",
        sa.Column("sequence_id", sa.Integer(), sa.ForeignKey("sequences.id"), primary_key=True),
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("solo", sa.Boolean(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("probe_json", sa.Text(), nullable=False),
        sa.Column("added_at", sa.String(), nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence_id", sa.Integer(), sa.ForeignKey("sequences.id"), nullable=False),
        sa.Column("track", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("source_in", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("assets.id"), nullable=True),
        sa.Column("props_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_items_track_start", "items", ["sequence_id", "track", "start"])
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence_id", sa.Integer(), sa.ForeignKey("sequences.id"), nullable=False),
        sa.Column("track", sa.String(), nullable=False),
        sa.Column("from_item", sa.Integer(), nullable=False),
        sa.Column("to_item", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
    )
    op.create_table(
        "markers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence_id", sa.Integer(), sa.ForeignKey("sequences.id"), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("color", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sequence_id", sa.Integer(), sa.ForeignKey("sequences.id"), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("change_json", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
    )
    op.create_index("ix_history_state", "history", ["sequence_id", "state", "id"])


def downgrade() -> None:
    for table in ("history", "markers", "transitions", "items", "assets", "tracks",
                  "sequences", "meta"):
        op.drop_table(table)
