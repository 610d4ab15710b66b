"""Opening the SQLite file: engine set-up, schema version checks, Alembic migrations.

Everything that can go wrong when a user points Takeline at a file ends here as a
``ProjectError`` subclass whose message says what happened and what to do; callers never
see a raw SQLAlchemy or sqlite3 traceback.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError

FORMAT_MARKER = "takeline-project"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class ProjectError(Exception):
    """A project cannot be created, opened or changed; the message says why and what to do."""


class ProjectNotFoundError(ProjectError):
    pass


class ProjectExistsError(ProjectError):
    pass


class NotAProjectError(ProjectError):
    pass


class CorruptProjectError(ProjectError):
    pass


class NewerProjectError(ProjectError):
    """Written by a newer Takeline whose schema this version does not know."""


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def make_engine(path: Path, *, synchronous: str = "FULL") -> Engine:
    """One file, WAL journal, foreign keys on, and explicit BEGIN so that SQLAlchemy's
    transactions (and SAVEPOINTs) map one-to-one onto SQLite's."""
    engine = create_engine(f"sqlite+pysqlite:///{path}", future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    # synchronous is per connection. FULL: a committed edit is on disk before the call
    # returns, even across a power cut. The WAL journal mode lives in the file header, so it
    # is switched on by ``enable_wal`` only once the file is known to be a project: merely
    # opening someone else's SQLite database must not rewrite it.
    @event.listens_for(engine, "connect")
    def _journal(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.close()

    return engine


def enable_wal(conn: Connection) -> None:
    """Put the file in WAL mode (a no-op when it already is). Must run outside a
    transaction, hence straight on the driver connection, which is in autocommit mode."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    finally:
        cur.close()


def looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def check_and_migrate(conn: Connection, path: Path) -> None:
    """Refuse files that are not ours or are from the future; bring older ones up to date."""
    try:
        tables = {
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        }
    except DatabaseError as exc:
        raise CorruptProjectError(
            f"{path} is damaged and cannot be read ({_reason(exc)}). Restore it from a backup."
        ) from None
    if "meta" not in tables or "alembic_version" not in tables:
        raise NotAProjectError(
            f"{path} is an SQLite database but not a Takeline project. "
            "Open a .takeline file, or create one with `takeline new`."
        )
    marker = conn.execute(text("SELECT value FROM meta WHERE key='format'")).scalar()
    if marker != FORMAT_MARKER:
        raise NotAProjectError(f"{path} is not a Takeline project (format marker {marker!r}).")
    current = MigrationContext.configure(conn).get_current_revision()
    if current not in known_revisions():
        writer = conn.execute(text("SELECT value FROM meta WHERE key='writer'")).scalar()
        raise NewerProjectError(
            f"{path} was written by a newer Takeline ({writer or 'unknown version'}, schema "
            f"{current}); this version understands schemas up to {head_revision()}. "
            "Update Takeline to open it; the file has not been changed."
        )
    if current != head_revision():
        upgrade(conn)


def upgrade(conn: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def quick_check(conn: Connection) -> str:
    return str(conn.execute(text("PRAGMA quick_check")).scalar())


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip()


def translate(exc: BaseException, path: Path) -> ProjectError:
    """Turn a database-layer failure into a message a user can act on."""
    reason = _reason(exc)
    if isinstance(exc, OperationalError) and "locked" in reason:
        return ProjectError(
            f"{path} is busy: another program holds a write lock ({reason}). "
            "Close other Takeline windows using it and try again."
        )
    if "not a database" in reason or "malformed" in reason or "disk image" in reason:
        return CorruptProjectError(
            f"{path} is damaged and cannot be read ({reason}). Restore it from a backup."
        )
    if isinstance(exc, OperationalError) and ("readonly" in reason or "permission" in reason):
        return ProjectError(f"{path} cannot be written ({reason}). Check the file permissions.")
    return ProjectError(f"{path}: database error ({reason}).")
