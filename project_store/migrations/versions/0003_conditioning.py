"""Conditioning: the project's cast and every conditioning version of every segment.

Revision ID: 0003_conditioning
Revises: 0002_takes_and_jobs
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_conditioning"
down_revision = "0002_takes_and_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cast_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence_id", sa.Integer(), sa.ForeignKey("sequences.id"), nullable=False),
        sa.Column("props_json", sa.Text(), nullable=False),
    )
    # Content-addressed and insert-only: a version, once written, never changes.
    op.create_table(
        "conditioning_versions",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
    )
    # Which version each segment had, in order: its conditioning history.
    op.create_table(
        "conditioning_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(), sa.ForeignKey("conditioning_versions.id"),
                  nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_conditioning_log_segment", "conditioning_log", ["segment_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_conditioning_log_segment", table_name="conditioning_log")
    op.drop_table("conditioning_log")
    op.drop_table("conditioning_versions")
    op.drop_table("cast_members")
