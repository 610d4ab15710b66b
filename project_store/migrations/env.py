"""Alembic environment: always run with a live connection handed in by project_store."""

from __future__ import annotations

from alembic import context

from project_store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
