"""Joint audio-video takes (issue 17, LTX-2): one run makes a video take of a segment and an
audio take of the generated audio segment linked to it. ``partner_take`` names the other
take of the pair on each of the two rows (NULL for every other take, and for every row
written before this migration).

Revision ID: 0010_ltx2_partners
Revises: 0009_audio_takes
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_ltx2_partners"
down_revision = "0009_audio_takes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable ADD COLUMN: SQLite adds it without copying the table.
    with op.batch_alter_table("takes", recreate="never") as batch:
        batch.add_column(sa.Column("partner_take", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("takes") as batch:
        batch.drop_column("partner_take")
