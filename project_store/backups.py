"""Backups of a project file: consistent copies, kept in tiers, restored atomically.

A backup is made through SQLite's online backup API (``sqlite3.Connection.backup``), never by
copying bytes: the copy is one consistent snapshot even while the editor is committing edits,
and it includes what is still in the ``-wal`` file. Backups live in
``<project>.media/backups/`` -- the sidecar folder that already holds the project's takes,
proxies, caches and session marker -- so moving or archiving a project with its media folder
carries its backups along, and a restored backup still finds its takes in the same
content-addressed store beside it.

Each backup is a self-contained SQLite file (rollback journal, never a ``-wal``), named
``YYYYMMDDTHHMMSS_ffffffZ-<digest>.takeline`` by its UTC time and the SHA-1 of its bytes.
Backups of unchanged content are byte-identical, so a new backup whose digest equals the
newest one's is dropped ("nothing changed").

Pruning keeps every backup of the last hour, the newest of each hour of the last 24 hours,
the newest of each (UTC) day of the last 7 days, and always the newest backup of all; the rest
is deleted.

Restoring first keeps the current file (as a backup, or byte for byte as
``damaged-<time>.takeline`` when it fails its integrity check), then replaces the project
atomically (temp file in the same folder, fsync, ``os.replace``). It is refused while any
connection -- another process, another window, this process -- has the project open: the
check takes SQLite's own exclusive lock, so it sees every SQLite connection, here or elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DatabaseError

from project_store.db import CorruptProjectError, ProjectError, ProjectNotFoundError
from project_store.writer_lock import ProjectLockedError, WriterLock

__all__ = [
    "BackupInfo",
    "DamagedProjectError",
    "ProjectInUseError",
    "RestoreResult",
    "backups_dir",
    "backups_to_keep",
    "check_integrity",
    "list_backups",
    "make_backup",
    "newest_good_backup",
    "prune",
    "restore",
]

BACKUP_SUFFIX = ".takeline"
_NAME = re.compile(r"^(\d{8}T\d{6}_\d{6})Z-([0-9a-f]{12})\.takeline$")
_TIME_FORMAT = "%Y%m%dT%H%M%S_%f"
_TMP_PREFIX = ".partial-"
_HOUR, _DAY, _WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)


class DamagedProjectError(CorruptProjectError):
    """The project failed its integrity check at open; ``backup`` is the newest backup that
    passes it (None when there is none). The file has not been changed."""

    def __init__(self, message: str, backup: BackupInfo | None) -> None:
        super().__init__(message)
        self.backup = backup


class ProjectInUseError(ProjectError):
    """A restore was asked for while a connection (any process) has the project open."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup file. ``number`` is its place in ``list_backups`` (1 = newest), the number
    ``takeline backups PROJECT --restore N`` takes."""

    number: int
    path: Path
    made_at: datetime
    size: int
    digest: str
    edits: int | None = None  # undo steps done at the time ("edit N")
    last_edit: str | None = None  # the label of the last of them

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        when = self.made_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        at = ""
        if self.edits is not None:
            at = f", at edit {self.edits}" + (f" ({self.last_edit})" if self.last_edit else "")
        return f"backup {self.number} from {when}{at}"

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "path": str(self.path), "name": self.name,
                "made_at": self.made_at.isoformat(timespec="seconds"), "size": self.size,
                "digest": self.digest, "edits": self.edits, "last_edit": self.last_edit}


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupInfo
    # Where the replaced file was kept: a backup (possibly one that already held the very
    # same content), or a byte-for-byte copy of a damaged file.
    kept: Path


# ---------------------------------------------------------------------- where and what


def backups_dir(project_path: str | os.PathLike[str]) -> Path:
    p = Path(project_path)
    return p.with_name(p.name + ".media") / "backups"


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_name(name: str) -> tuple[datetime, str] | None:
    m = _NAME.match(name)
    if m is None:
        return None
    try:
        return datetime.strptime(m[1], _TIME_FORMAT).replace(tzinfo=UTC), m[2]
    except ValueError:
        return None


def _entries(project_path: Path) -> list[tuple[datetime, str, Path]]:
    """(time, digest, path) of every backup file, newest first."""
    folder = backups_dir(project_path)
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise ProjectError(f"Cannot read the backups folder {folder}: {exc.strerror}.") from None
    out = []
    for name in names:
        parsed = _parse_name(name)
        if parsed is not None:
            out.append((parsed[0], parsed[1], folder / name))
    out.sort(key=lambda e: (e[0], e[2].name), reverse=True)
    return out


def _open_backup(path: Path) -> sqlite3.Connection:
    """A backup file, read-only and immutable: no lock, no -shm, nothing written beside it."""
    return sqlite3.connect(f"file:{_uri_path(path)}?mode=ro&immutable=1", uri=True)


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.absolute()))


def _edit_point(conn: sqlite3.Connection) -> tuple[int | None, str | None]:
    try:
        count = conn.execute("SELECT count(*) FROM history WHERE state = 'done'").fetchone()[0]
        row = conn.execute("SELECT label FROM history WHERE state = 'done' "
                           "ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        return None, None
    return int(count), (str(row[0]) if row else None)


def list_backups(project_path: str | os.PathLike[str], *,
                 details: bool = True) -> list[BackupInfo]:
    """The project's backups, newest first, numbered from 1. ``details`` also reads the edit
    each was made at (one small query per backup)."""
    out = []
    for number, (made_at, digest, path) in enumerate(_entries(Path(project_path)), start=1):
        try:
            size = path.stat().st_size
        except OSError:
            continue  # pruned by another process meanwhile
        edits = last = None
        if details:
            try:
                with contextlib.closing(_open_backup(path)) as conn:
                    edits, last = _edit_point(conn)
            except sqlite3.Error:
                pass
        out.append(BackupInfo(number, path, made_at, size, digest, edits, last))
    return out


# ---------------------------------------------------------------------- making backups


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be fsynced
        _fsync(folder)


def _digest(path: Path) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:12]


def _copy_into(source: sqlite3.Connection, target: Path) -> None:
    """The online backup of ``source`` into a new file ``target``, as one self-contained file
    (rollback journal), on disk when this returns."""
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(dest)  # one step: one read snapshot of the source, consistent
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
    _fsync(target)


def open_source(project_path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection to read a project for backups: SQLite's ``mode=ro``, so it never writes,
    never creates the file, and its close never checkpoints or deletes the WAL a live writer
    is using (see ``project_store.db.make_engine``)."""
    path = Path(project_path)
    if not path.is_file():
        raise ProjectNotFoundError(f"No project at {path}.")
    try:
        conn = sqlite3.connect(f"file:{_uri_path(path)}?mode=ro", uri=True,
                               isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as exc:
        raise ProjectError(f"Cannot read {path} to back it up ({exc}).") from None
    return conn


def make_backup(project_path: str | os.PathLike[str], *,
                source: sqlite3.Connection | None = None, now: datetime | None = None,
                keep_unchanged: bool = False) -> BackupInfo | None:
    """Back the project up now and prune the older backups. Returns the new backup, or None
    when its content is the same as the newest backup's (nothing changed since; nothing is
    written) unless ``keep_unchanged``. ``source``: an open connection to read through
    (the scheduler keeps one); otherwise one is opened for the call."""
    path = Path(project_path)
    now = now or _now()
    folder = backups_dir(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"Cannot create the backups folder {folder}: {exc.strerror}.") \
            from None
    tmp = folder / f"{_TMP_PREFIX}{uuid.uuid4().hex}{BACKUP_SUFFIX}"
    own = source is None
    conn = open_source(path) if source is None else source
    try:
        try:
            _copy_into(conn, tmp)
        except sqlite3.Error as exc:
            raise ProjectError(f"Cannot back up {path} ({exc}).") from None
        except OSError as exc:
            raise ProjectError(f"Cannot write a backup into {folder}: {exc.strerror}.") \
                from None
        digest = _digest(tmp)
        entries = _entries(path)
        if entries and entries[0][1] == digest and not keep_unchanged:
            tmp.unlink()
            return None
        final = folder / f"{now.astimezone(UTC).strftime(_TIME_FORMAT)}Z-{digest}{BACKUP_SUFFIX}"
        os.replace(tmp, final)
        _fsync_dir(folder)
    finally:
        if own:
            conn.close()
        tmp.unlink(missing_ok=True)
    prune(path, now=now)
    return next(b for b in list_backups(path) if b.path == final)


def backup_if_due(project_path: str | os.PathLike[str], interval: timedelta, *,
                  now: datetime | None = None) -> BackupInfo | None:
    """The command line's backup, before a command's first write: made when the newest
    backup is older than ``interval`` (or there is none), so a burst of commands costs one
    folder listing each and at most one copy per interval, and the project as it was before
    the burst is kept. Returns the new backup, or None when none was due or the content
    equals the newest backup's."""
    path = Path(project_path)
    now = now or _now()
    entries = _entries(path)
    if entries and now - entries[0][0] < interval:
        return None
    return make_backup(path, now=now)


# ---------------------------------------------------------------------- pruning


def backups_to_keep(times: Sequence[datetime], now: datetime) -> set[datetime]:
    """Of backups made at ``times``, the ones the tiers keep: all of the last hour, the newest
    of each hour of the last day, the newest of each UTC day of the last week, and the
    newest of all (so a project left alone for a month still has one)."""
    if not times:
        return set()
    keep = {max(times)}
    newest_in: dict[tuple[str, Any], datetime] = {}
    for t in times:
        age = now - t
        if age < _HOUR:  # also a clock set back: a backup "from the future" is kept
            keep.add(t)
            continue
        if age < _DAY:
            bucket: tuple[str, Any] = ("hour", t.replace(minute=0, second=0, microsecond=0))
        elif age < _WEEK:
            bucket = ("day", t.astimezone(UTC).date())
        else:
            continue
        if bucket not in newest_in or t > newest_in[bucket]:
            newest_in[bucket] = t
    keep.update(newest_in.values())
    return keep


def prune(project_path: str | os.PathLike[str], *, now: datetime | None = None) -> list[Path]:
    """Delete the backups the tiers do not keep (and partial files a crash left behind over
    an hour ago). Returns what was deleted."""
    path = Path(project_path)
    now = now or _now()
    entries = _entries(path)
    keep = backups_to_keep([t for t, _, _ in entries], now)
    removed = []
    for t, _, p in entries:
        if t not in keep:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                removed.append(p)
    folder = backups_dir(path)
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if name.startswith(_TMP_PREFIX):
                partial = folder / name
                with contextlib.suppress(OSError):
                    if now.timestamp() - partial.stat().st_mtime > _HOUR.total_seconds():
                        partial.unlink()
    return removed


# ---------------------------------------------------------------------- integrity


def _quick_check(conn: sqlite3.Connection) -> str:
    """"ok", or the first problem PRAGMA quick_check reports (one line)."""
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    first = str(rows[0][0]) if rows else "no answer"
    return first if first == "ok" else " ".join(first.split())


def newest_good_backup(project_path: str | os.PathLike[str]) -> BackupInfo | None:
    """The newest backup that passes an integrity check (older ones are tried in turn)."""
    for backup in list_backups(project_path):
        try:
            with contextlib.closing(_open_backup(backup.path)) as conn:
                if _quick_check(conn) == "ok":
                    return backup
        except sqlite3.Error:
            continue
    return None


def _damaged_message(path: Path, problem: str, backup: BackupInfo | None) -> str:
    head = f"{path} is damaged and cannot be read (integrity check: {problem})."
    if backup is None:
        return (f"{head} Restore it from a backup: none was found in {backups_dir(path)}. "
                "The file has not been changed.")
    return (f"{head} Restore it from a backup: the newest good one is {backup.describe()}, "
            f"`takeline backups {path} --restore {backup.number}` (the damaged file is "
            "kept beside the backups). The file has not been changed.")


def check_integrity(conn: Connection, path: Path) -> None:
    """``PRAGMA quick_check`` on an opening project (read only); a damaged file raises
    ``DamagedProjectError`` naming the newest good backup and the command to restore it."""
    try:
        rows = conn.execute(text("PRAGMA quick_check")).all()
        problem = str(rows[0][0]) if rows else "no answer"
    except DatabaseError as exc:
        problem = str(getattr(exc, "orig", None) or exc)
    if problem == "ok":
        return
    problem = " ".join(problem.split())
    backup = newest_good_backup(path)
    raise DamagedProjectError(_damaged_message(path, problem, backup), backup)


# ---------------------------------------------------------------------- restoring


@contextlib.contextmanager
def _sole_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection holding SQLite's exclusive lock on the project for as long as it is open:
    only possible when no other connection, in any process, has the file open."""
    try:
        conn = sqlite3.connect(f"file:{_uri_path(path)}?mode=rw", uri=True,
                               isolation_level=None, timeout=0)
    except sqlite3.Error as exc:
        raise ProjectError(f"Cannot open {path} to restore it ({exc}).") from None
    try:
        try:
            # Set before the first read: the lock is then kept after the transaction ends.
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ProjectInUseError(
                    f"{path} is open (in a Takeline window, a running command, or this "
                    "program); close it there, then restore the backup.") from None
            raise
        yield conn
    except sqlite3.Error as exc:
        raise ProjectError(f"Cannot restore {path} ({exc}).") from None
    finally:
        conn.close()


def _find(project_path: Path, which: int | str) -> BackupInfo:
    backups = list_backups(project_path)
    if not backups:
        raise ProjectError(f"{project_path} has no backups (in {backups_dir(project_path)}).")
    for b in backups:
        if which == b.number or which == b.name:
            return b
    if isinstance(which, int):
        raise ProjectError(f"No backup {which}: {project_path} has backups 1 to {len(backups)} "
                           f"(`takeline backups {project_path}` lists them).")
    raise ProjectError(f"No backup named {which!r} in {backups_dir(project_path)}.")


def restore(project_path: str | os.PathLike[str], which: int | str, *,
            now: datetime | None = None) -> RestoreResult:
    """Put backup ``which`` (its number in ``list_backups``, or its file name) in place of the
    project. The current file is kept first; refused while the project is open anywhere."""
    path = Path(project_path)
    if not path.is_file():
        raise ProjectNotFoundError(f"No project at {path}.")
    backup = _find(path, which)
    with contextlib.closing(_open_backup(backup.path)) as bconn:
        problem = _quick_check(bconn)
    if problem != "ok":
        raise ProjectError(f"Backup {backup.number} ({backup.name}) is damaged too "
                           f"({problem}); choose another.")
    # The writer lock first: a writer (here or in another process) is refused with its pid,
    # and none can start while the file is replaced; then SQLite's own exclusive lock, which
    # read-only connections (which take no writer lock) also hold off.
    try:
        lock = WriterLock.acquire(path)
    except ProjectLockedError as exc:
        who = str(exc).split(" — ")[0]
        raise ProjectInUseError(f"{who} — close it there, then restore the backup.") from None
    try:
        return _restore_locked(path, backup, now or _now())
    finally:
        lock.release()


def _restore_locked(path: Path, backup: BackupInfo, now: datetime) -> RestoreResult:
    wal, shm = (path.with_name(path.name + s) for s in ("-wal", "-shm"))
    tmp = path.with_name(f"{_TMP_PREFIX}{uuid.uuid4().hex}-{path.name}")
    kept: Path | None = None
    damaged_at: tuple[Any, ...] | None = None
    with _sole_connection(path) as sole:
        damaged = _quick_check(sole) != "ok"
    if damaged:
        damaged_at = _stat_key(path, wal)
        # Read byte for byte with no SQLite connection open here: closing a plain descriptor
        # of the file would drop the locks this process's connections hold on it.
        kept = _keep_damaged(path, wal, now)
    with _sole_connection(path) as sole:
        if damaged_at is not None and _stat_key(path, wal) != damaged_at:
            raise ProjectError(f"{path} changed while it was being kept; try again.")
        # 1. Keep what is there now.
        if kept is None:
            kept_info = make_backup(path, source=sole, now=now)
            kept = kept_info.path if kept_info is not None else _entries(path)[0][2]
        # 2. The backup, as a new file beside the project, on disk.
        try:
            with contextlib.closing(_open_backup(backup.path)) as bconn:
                _copy_into(bconn, tmp)
            # 3. Out of WAL mode while we alone hold the file, so nothing of the old WAL is
            # left for the new file and closing this connection deletes no -wal by name.
            try:
                mode = sole.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            except sqlite3.Error as exc:
                mode = str(exc)
            if mode != "delete" and damaged_at is None:  # a damaged file's WAL is kept above
                raise ProjectError(f"Cannot restore {path}: its WAL did not checkpoint "
                                   f"({mode}). The project was not changed.")
            wal.unlink(missing_ok=True)
            shm.unlink(missing_ok=True)
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except OSError as exc:
            raise ProjectError(f"Cannot restore {path}: {exc.strerror or exc}. "
                               "The project was not changed.") from None
        finally:
            tmp.unlink(missing_ok=True)
    return RestoreResult(restored=backup, kept=kept)


def _stat_key(db_file: Path, wal: Path) -> tuple[Any, ...]:
    """What changes when the file or its WAL is written (opening it may create an empty
    WAL: that is no change)."""
    st = db_file.stat()
    try:
        wal_size = wal.stat().st_size
    except FileNotFoundError:
        wal_size = 0
    return st.st_ino, st.st_size, st.st_mtime_ns, wal_size


def _keep_damaged(path: Path, wal: Path, now: datetime) -> Path:
    """A byte-for-byte copy of a damaged project (and its WAL), which the backup API might
    not read. Never pruned."""
    folder = backups_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"damaged-{now.astimezone(UTC).strftime(_TIME_FORMAT)}Z{BACKUP_SUFFIX}"
    for src, dst in ((path, target), (wal, target.with_name(target.name + "-wal"))):
        if not src.exists():
            continue
        with src.open("rb") as fin, dst.open("xb") as fout:
            while chunk := fin.read(1 << 20):
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
    _fsync_dir(folder)
    return target
