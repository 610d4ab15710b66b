"""Generated audio takes (issue 17): a take's media is a picture (a lossless video file, as
before) or sound (a float WAV of the exact samples the model produced). ``media_kind`` says
which; an audio take's ``sample_rate``, ``channels`` and ``samples`` are what the model made
(its ``frame_count``, ``width`` and ``height`` are 0). Video takes keep NULLs there, so rows
written before this migration read back exactly as before.

Revision ID: 0009_audio_takes
Revises: 0008_beats
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_audio_takes"
down_revision = "0008_beats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (constant default or NULL): SQLite adds them without copying the table.
    with op.batch_alter_table("takes", recreate="never") as batch:
        batch.add_column(sa.Column("media_kind", sa.String(), nullable=False,
                                   server_default="video"))
        batch.add_column(sa.Column("sample_rate", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("channels", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("samples", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("takes") as batch:
        batch.drop_column("samples")
        batch.drop_column("channels")
        batch.drop_column("sample_rate")
        batch.drop_column("media_kind")
