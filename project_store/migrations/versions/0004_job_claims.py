"""Job claims: who runs a job (``owner`` = pid@host, ``claim_token``) and when it last said
so (``heartbeat_at``), so a job is re-queued only when its owner is gone.

Revision ID: 0004_job_claims
Revises: 0003_conditioning
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_job_claims"
down_revision = "0003_conditioning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable, no default): SQLite adds them without copying the table.
    # Rows written before claims existed read back with no owner; a 'running' one among them
    # was left by a version that could not say who ran it, and counts as orphaned.
    with op.batch_alter_table("jobs", recreate="never") as batch:
        batch.add_column(sa.Column("owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("claim_token", sa.String(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("claim_token")
        batch.drop_column("owner")
