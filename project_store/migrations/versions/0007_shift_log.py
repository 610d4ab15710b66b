"""Ripples as a log: a ripple on a long track writes one ``track_shifts`` row instead of
rewriting the start of every item after the edit point (issue 23: a ripple delete at
10,000 clips cost 5-12 ms, nearly all of it rows and index pages rewritten and synced).

An item's stored ``start`` is its position when its row was written; ``shift_base`` is the
id of the newest shift logged by then. Its true start is the stored one moved by every
later shift of its track, in order, each moving it when it starts at or after the shift's
``from_frame`` (``project_store.project.apply_shifts``). A writer's clean close folds the
log back into the rows; rows written before this migration have ``shift_base`` 0 and an
empty log, so they read back exactly as before.

Revision ID: 0007_shift_log
Revises: 0006_linked_audio
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_shift_log"
down_revision = "0006_linked_audio"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "track_shifts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence_id", sa.Integer(), sa.ForeignKey("sequences.id"), nullable=False),
        sa.Column("track", sa.String(), nullable=False),
        sa.Column("from_frame", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        # Ids are never reused, even once the log is folded and emptied: a row's
        # shift_base must stay below every shift logged after it was written.
        sqlite_autoincrement=True,
    )
    # A plain ADD COLUMN with a constant default: SQLite adds it without copying the table.
    with op.batch_alter_table("items", recreate="never") as batch:
        batch.add_column(sa.Column("shift_base", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    # Fold the log into the rows (in order: each shift sees the starts the earlier ones
    # made), then drop it.
    conn = op.get_bind()
    for sid, seq, track, from_frame, delta in conn.execute(sa.text(
            "SELECT id, sequence_id, track, from_frame, delta FROM track_shifts ORDER BY id")):
        conn.execute(sa.text(
            "UPDATE items SET start = start + :d WHERE sequence_id = :s AND track = :t "
            "AND start >= :f AND shift_base < :k"),
            {"d": delta, "s": seq, "t": track, "f": from_frame, "k": sid})
    with op.batch_alter_table("items") as batch:
        batch.drop_column("shift_base")
    op.drop_table("track_shifts")
