"""Opening the SQLite file: the connection, schema version checks, Alembic migrations.

Everything that can go wrong when a user points Takeline at a file ends here as a
``ProjectError`` subclass whose message says what happened and what to do; callers never
see a raw sqlite3 traceback.

The project is read and written through ``Connection``, a thin layer over the standard
``sqlite3`` module with the transaction rules of SQLAlchemy 2.x's ``Connection`` (autobegin,
``begin`` / ``begin_nested``, explicit ``commit``). SQLAlchemy and Alembic are imported only
to create a file or migrate an old one: importing them costs about 0.3 s, more than
``takeline info`` needs in all, and every statement through them costs more than the edit
it writes (bench_project.py, bench_cli.py). The schema itself still lives in ``schema.py``
and the migrations; ``HEAD_REVISION`` says which one a current file is at without
importing Alembic (tests/project_store/test_project.py checks it against the scripts).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

FORMAT_MARKER = "takeline-project"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The migrations in ``migrations/versions``, oldest first; the last is the head. A new
# migration adds its revision here (a test fails until it does).
REVISIONS: tuple[str, ...] = (
    "0001_initial",
    "0002_takes_and_jobs",
    "0003_conditioning",
    "0004_job_claims",
    "0005_take_metrics",
    "0006_linked_audio",
    "0007_shift_log",
    "0008_beats",
    "0009_audio_takes",
    "0010_ltx2_partners",
)
HEAD_REVISION = REVISIONS[-1]

# What every database failure is: sqlite3's errors and the two of ``Result.one``.
SQLError = sqlite3.Error
OperationalError = sqlite3.OperationalError
DatabaseError = sqlite3.DatabaseError


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


class OutdatedSchemaError(ProjectError):
    """A read-only open of a project whose schema is older than this version's (it must be
    opened for writing once, which migrates it)."""


class NoRowError(sqlite3.DatabaseError):
    """``Result.one``: the statement returned no row, or more than one."""


# ---------------------------------------------------------------------- the connection


class Result:
    """The rows of one statement. Rows are named tuples: ``row.column``, ``row[0]``, and
    unpacking all work (as SQLAlchemy's ``Row`` does)."""

    __slots__ = ("_cursor", "_row")

    _classes: dict[tuple[str, ...], Any] = {}

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        description = cursor.description
        if description is None:
            self._row = None
            return
        names = tuple(d[0] for d in description)
        cls: Any = Result._classes.get(names)
        if cls is None:
            # rename=True: a column named like a keyword or twice still gives a usable row.
            cls = Result._classes[names] = namedtuple("Row", names, rename=True)  # type: ignore[misc]
        self._row = cls._make

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def __iter__(self) -> Iterator[Any]:
        if self._row is None:
            return iter(())
        return map(self._row, self._cursor)

    def all(self) -> list[Any]:
        if self._row is None:
            return []
        return list(map(self._row, self._cursor.fetchall()))

    def first(self) -> Any:
        row = self._cursor.fetchone() if self._row is not None else None
        self._cursor.close()
        return None if row is None else self._row(row)  # type: ignore[misc]

    def one(self) -> Any:
        rows = self.all()
        if len(rows) != 1:
            raise NoRowError("no row was found" if not rows else
                             f"{len(rows)} rows were found where one was expected")
        return rows[0]

    def scalar(self) -> Any:
        row = self._cursor.fetchone() if self._row is not None else None
        self._cursor.close()
        return None if row is None else row[0]


class Transaction:
    """``with conn.begin():`` / ``with conn.begin_nested():`` — committed (released) when
    the block ends, rolled back when it raises."""

    __slots__ = ("_conn", "_savepoint", "_done")

    def __init__(self, conn: Connection, savepoint: str | None) -> None:
        self._conn, self._savepoint, self._done = conn, savepoint, False

    def commit(self) -> None:
        if self._done:
            return
        self._done = True
        if self._savepoint is None:
            self._conn._commit_root()
        else:
            self._conn._release(self._savepoint)

    def rollback(self) -> None:
        if self._done:
            return
        self._done = True
        if self._savepoint is None:
            self._conn._rollback_root()
        else:
            self._conn._rollback_to(self._savepoint)

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.rollback()
                raise
        else:
            self.rollback()


class Connection:
    """One project connection with SQLAlchemy 2.x's transaction rules: a statement outside
    a transaction begins one (the reads of ``Project._load`` then see one snapshot) that
    lasts until ``commit``; ``begin`` starts one explicitly (refused while one is open);
    ``begin_nested`` is a SAVEPOINT inside the current one. A writer's transactions take
    the write lock at BEGIN (``BEGIN IMMEDIATE``), so a commit never fails half-way for a
    lock another connection took first."""

    def __init__(self, raw: sqlite3.Connection, *, read_only: bool) -> None:
        raw.isolation_level = None  # transactions are ours: we emit BEGIN ourselves
        self.raw = raw
        self.read_only = read_only
        # A reader's BEGIN takes no write intent (IMMEDIATE would be refused on mode=ro).
        self._begin_sql = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        self._root: Transaction | None = None
        self._savepoints: list[str] = []
        self._savepoint_counter = 0

    # -- statements
    def execute(self, sql: Any, params: Any = None) -> Result:
        """``sql``: a string with ``:name`` parameters (``str()`` of anything else, so an
        SQLAlchemy ``text()`` clause reads the same); ``params``: a dict, or a list of dicts
        for one statement run for each."""
        if not isinstance(sql, str):
            sql = str(sql)
        if self._root is None:
            self._autobegin()
        if isinstance(params, list):
            return Result(self.raw.executemany(sql, params))
        return Result(self.raw.execute(sql, params or ()))

    def execute_raw(self, sql: str, params: Any = None) -> sqlite3.Cursor:
        """``execute`` giving sqlite3's cursor of plain tuples (for the hot loops)."""
        if self._root is None:
            self._autobegin()
        return self.raw.execute(sql, params or ())

    def exec_driver_sql(self, sql: str) -> Result:
        return self.execute(sql)

    # -- transactions
    def in_transaction(self) -> bool:
        return self._root is not None

    def begin(self) -> Transaction:
        if self._root is not None:
            raise RuntimeError("a transaction is already begun on this connection; commit "
                               "it first (reads begin one: see Project._reading)")
        return self._begin_root()

    def begin_nested(self) -> Transaction:
        if self._root is None:
            self._autobegin()
        self._savepoint_counter += 1
        name = f"sp_{self._savepoint_counter}"
        self.raw.execute(f"SAVEPOINT {name}")
        self._savepoints.append(name)
        return Transaction(self, name)

    def commit(self) -> None:
        if self._root is not None:
            self._root.commit()

    def rollback(self) -> None:
        if self._root is not None:
            self._root.rollback()

    def close(self) -> None:
        try:
            if self._root is not None:
                self._rollback_root()
        finally:
            self.raw.close()

    def _autobegin(self) -> None:
        self._begin_root()

    def _begin_root(self) -> Transaction:
        self.raw.execute(self._begin_sql)
        self._root = Transaction(self, None)
        return self._root

    def _commit_root(self) -> None:
        try:
            self.raw.execute("COMMIT")
        except sqlite3.Error:
            # The transaction is still open in SQLite: end it, so the connection is usable.
            self._rollback_root()
            raise
        self._end_root()

    def _rollback_root(self) -> None:
        try:
            if self.raw.in_transaction:
                self.raw.execute("ROLLBACK")
        finally:
            self._end_root()

    def _end_root(self) -> None:
        if self._root is not None:
            self._root._done = True
        self._root = None
        self._savepoints.clear()

    def _release(self, name: str) -> None:
        self._pop_savepoint(name)
        self.raw.execute(f"RELEASE SAVEPOINT {name}")

    def _rollback_to(self, name: str) -> None:
        self._pop_savepoint(name)
        if self.raw.in_transaction:
            self.raw.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.raw.execute(f"RELEASE SAVEPOINT {name}")

    def _pop_savepoint(self, name: str) -> None:
        if name in self._savepoints:
            del self._savepoints[self._savepoints.index(name):]


def connect(path: Path, *, synchronous: str = "FULL", read_only: bool = False) -> Connection:
    """One file, foreign keys on, a 5 s busy timeout, and explicit BEGIN so transactions
    (and SAVEPOINTs) map one-to-one onto SQLite's.

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
    ``-shm`` behind; the next writer's close removes them.

    ``synchronous`` FULL: a committed edit is on disk before the call returns, even across
    a power cut. The WAL journal mode lives in the file header, so it is switched on by
    ``enable_wal`` only once the file is known to be a project: merely opening someone
    else's SQLite database must not rewrite it."""
    mode = "ro" if read_only else "rw"
    uri = f"file:{quote(str(Path(path).absolute()))}?mode={mode}"
    # check_same_thread=False: as SQLAlchemy's pool had it; the project is used from one
    # thread at a time, not always the one that opened it.
    raw = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    try:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA busy_timeout=5000")
        raw.execute(f"PRAGMA synchronous={synchronous}")
    except BaseException:
        raw.close()
        raise
    return Connection(raw, read_only=read_only)


def enable_wal(conn: Connection) -> None:
    """Put the file in WAL mode (a no-op when it already is). Must run outside a
    transaction, hence straight on the driver connection, which is in autocommit mode."""
    if conn.in_transaction():
        conn.commit()
    conn.raw.execute("PRAGMA journal_mode=WAL").fetchall()


def looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


# ---------------------------------------------------------------------- schema versions


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    return HEAD_REVISION


def known_revisions() -> set[str]:
    return set(REVISIONS)


def stored_revision(conn: Connection) -> str | None:
    """The schema revision the file is at (Alembic's ``alembic_version`` row)."""
    rows = conn.execute("SELECT version_num FROM alembic_version").all()
    return str(rows[0][0]) if len(rows) == 1 else None


def check_schema(conn: Connection, path: Path) -> bool:
    """Refuse files that are not ours or are from the future; True when the file is at
    the head revision, False when it is older and must be migrated (``migrate``)."""
    try:
        tables = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    except sqlite3.DatabaseError as exc:
        raise CorruptProjectError(
            f"{path} is damaged and cannot be read ({_reason(exc)}). Restore it from a backup."
        ) from None
    if "meta" not in tables or "alembic_version" not in tables:
        raise NotAProjectError(
            f"{path} is an SQLite database but not a Takeline project. "
            "Open a .takeline file, or create one with `takeline new`."
        )
    marker = conn.execute("SELECT value FROM meta WHERE key='format'").scalar()
    if marker != FORMAT_MARKER:
        raise NotAProjectError(f"{path} is not a Takeline project (format marker {marker!r}).")
    current = stored_revision(conn)
    if current not in REVISIONS:
        writer = conn.execute("SELECT value FROM meta WHERE key='writer'").scalar()
        raise NewerProjectError(
            f"{path} was written by a newer Takeline ({writer or 'unknown version'}, schema "
            f"{current}); this version understands schemas up to {HEAD_REVISION}. "
            "Update Takeline to open it; the file has not been changed."
        )
    return current == HEAD_REVISION


def check_and_migrate(conn: Connection, path: Path, *, read_only: bool = False) -> None:
    """``check_schema``, then bring an older file up to date (``read_only``: raise
    ``OutdatedSchemaError`` instead). Ends the connection's transaction first when it
    migrates: the migration runs on a connection of its own."""
    if check_schema(conn, path):
        return
    current = stored_revision(conn)
    if read_only:
        raise OutdatedSchemaError(
            f"{path} was written by an older Takeline (schema {current}); open it for "
            "writing once to bring it up to date.")
    conn.commit()
    migrate(path)


def sqlalchemy_engine(path: Path) -> Engine:
    """An SQLAlchemy engine on the file, for Alembic only (creating a file, migrating an
    old one), with the same per-connection set-up as ``connect``."""
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite+pysqlite:///{path}", future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        for pragma in ("foreign_keys=ON", "busy_timeout=5000", "synchronous=FULL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(c: Any) -> None:
        c.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(path: Path) -> None:
    """Upgrade the file to the head revision with Alembic, in one transaction. The caller
    holds the writer lock and has no transaction open on the file."""
    from sqlalchemy.exc import SQLAlchemyError

    engine = sqlalchemy_engine(path)
    try:
        with engine.connect() as sa_conn, sa_conn.begin():
            upgrade(sa_conn)
    except SQLAlchemyError as exc:
        raise translate(exc, path) from None
    finally:
        engine.dispose()


def upgrade(conn: Any) -> None:
    """Run the migrations up to head on an SQLAlchemy connection (inside its transaction)."""
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def quick_check(conn: Connection) -> str:
    return str(conn.execute("PRAGMA quick_check").scalar())


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip()


def translate(exc: BaseException, path: Path) -> ProjectError:
    """Turn a database-layer failure (sqlite3's, or SQLAlchemy's around a migration) into
    a message a user can act on."""
    reason = _reason(exc)
    operational = isinstance(exc, sqlite3.OperationalError) or isinstance(
        getattr(exc, "orig", None), sqlite3.OperationalError)
    if operational and "locked" in reason:
        return ProjectError(
            f"{path} is busy: another program holds a write lock ({reason}). "
            "Close other Takeline windows using it and try again."
        )
    if "not a database" in reason or "malformed" in reason or "disk image" in reason:
        return CorruptProjectError(
            f"{path} is damaged and cannot be read ({reason}). Restore it from a backup."
        )
    if operational and ("readonly" in reason or "permission" in reason):
        return ProjectError(f"{path} cannot be written ({reason}). Check the file permissions.")
    return ProjectError(f"{path}: database error ({reason}).")
