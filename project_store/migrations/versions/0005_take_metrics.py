"""Take metrics: one row per (take, metric) with its value, unit and the version of the code
that measured it, so figures from an older measuring code are recomputed, not mixed.

Revision ID: 0005_take_metrics
Revises: 0004_job_claims
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_take_metrics"
down_revision = "0004_job_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: older rows are untouched, takes made before it simply have no
    # figures yet and are measured when asked.
    op.create_table(
        "take_metrics",
        sa.Column("take_id", sa.Integer(), sa.ForeignKey("takes.id"), primary_key=True),
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("direction", sa.String(), nullable=False),
        sa.Column("code_version", sa.String(), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("measured_at", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("take_metrics")
