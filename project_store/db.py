"""Opening the SQLite file: engine set-up, schema version checks, Alembic migrations.

Everything that can go wrong when a user points Takeline at a file ends here as a
``ProjectError`` subclass whose message says what happened and what to do; callers never
see a raw SQLAlchemy or sqlite3 traceback.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

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


def make_engine(path: Path, *, synchronous: str = "FULL", read_only: bool = False) -> Engine:
    """One file, WAL journal, foreign keys on, and explicit BEGIN so that SQLAlchemy's
    transactions (and SAVEPOINTs) map one-to-one onto SQLite's.

    ``read_only``: the file is opened with SQLite's ``mode=ro`` URI. That, not politeness,
    is what keeps a reader from destroying a live writer's WAL. When the last connection of
    a process closes, SQLite takes an EXCLUSIVE lock on the database file, checkpoints, and
    deletes ``-wal``/``-shm`` only if that checkpoint returned SQLITE_OK (sqlite3WalClose).
    The writer's POSIX locks can be gone (another descriptor of the file was closed in its
    process, see ``project_store.writer_lock``), so the EXCLUSIVE lock is no protection;
    but a read-only connection's checkpoint fails with SQLITE_READONLY, so the WAL and the
    shared index the writer is using stay where they are. Shown by
    tests/durability/test_one_writer.py (a plain reader there loses the write, ``mode=ro``
    does not). A read-only open of a cleanly closed project leaves an empty ``-wal`` and a
    ``-shm`` behind; the next writer's close removes them."""
    if read_only:
        uri = "file:" + quote(str(Path(path).absolute())) + "?mode=ro"
        engine = create_engine(
            "sqlite+pysqlite://", future=True,
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    else:
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
        # A reader's BEGIN takes no write intent (IMMEDIATE would be refused on mode=ro).
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

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


class OutdatedSchemaError(ProjectError):
    """A read-only open of a project whose schema is older than this version's (it must be
    opened for writing once, which migrates it)."""


def check_and_migrate(conn: Connection, path: Path, *, read_only: bool = False) -> None:
    """Refuse files that are not ours or are from the future; bring older ones up to date
    (``read_only``: raise ``OutdatedSchemaError`` instead)."""
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
        if read_only:
            raise OutdatedSchemaError(
                f"{path} was written by an older Takeline (schema {current}); open it for "
                "writing once to bring it up to date.")
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
