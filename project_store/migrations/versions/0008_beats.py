"""Beat markers: ``markers.kind`` ("" a user's marker, "beat" a beat found in a music clip
by ``takeline beats``) and ``markers.item`` (that clip), so finding a clip's beats again
replaces them and Cut to Beats / snapping can tell beats from the editor's own markers.

Both are plain ADD COLUMNs (SQLite adds them without copying the table); existing markers
read back as the user's markers they were.

Revision ID: 0008_beats
Revises: 0007_shift_log
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_beats"
down_revision = "0007_shift_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("markers", recreate="never") as batch:
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("item", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("markers") as batch:
        batch.drop_column("item")
        batch.drop_column("kind")
