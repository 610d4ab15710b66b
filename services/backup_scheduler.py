"""Backups while the editor runs: one when a project opens, then one every few minutes when
something changed. Qt-free: the window's timer calls ``tick``; the work runs on one backup
thread, never the caller's, so an edit is never kept waiting for a backup (SQLite's backup
API reads a snapshot; in WAL mode a reader does not block the writer).

"Something changed" is ``PRAGMA data_version`` on the scheduler's own read-only connection:
it moves whenever any other connection (the editor's, a ``takeline`` command's) commits, and
asking costs nothing. When it has not moved since the last backup, the tick does nothing.
When it has, a backup is made; ``project_store.backups.make_backup`` still drops one whose
content equals the newest backup's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from project_store import backups
from project_store.backups import BackupInfo
from project_store.db import ProjectError

__all__ = ["DEFAULT_INTERVAL_MINUTES", "BackupScheduler", "backup_before_writing",
           "interval_minutes"]

DEFAULT_INTERVAL_MINUTES = 5
INTERVAL_ENV = "TAKELINE_BACKUP_MINUTES"


def interval_minutes() -> float:
    """Minutes between backups: ``$TAKELINE_BACKUP_MINUTES`` when it is a positive number,
    else 5."""
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_INTERVAL_MINUTES
    return value if 0 < value < 10_000 else DEFAULT_INTERVAL_MINUTES


def backup_before_writing(project_path: str | os.PathLike[str], *,
                          now: datetime | None = None) -> BackupInfo | None:
    """The editor's schedule for a command that writes (``takeline apply``, ``import``...):
    before its first write, a backup when the newest one is older than the interval, so
    the project as it was before a run of commands can be restored as from the editor.
    Raises ProjectError (or sqlite3.Error / OSError) when the backup cannot be made."""
    return backups.backup_if_due(project_path, timedelta(minutes=interval_minutes()), now=now)


class BackupScheduler:
    """Backups of one project file. ``report(message)`` hears failures (the error reporter);
    ``on_made(info)`` each new backup. Both are called on the backup thread."""

    def __init__(self, project_path: str | os.PathLike[str], *,
                 report: Callable[[str], None] | None = None,
                 on_made: Callable[[BackupInfo], None] | None = None) -> None:
        self.project_path = Path(project_path)
        self._report = report or (lambda _message: None)
        self._on_made = on_made or (lambda _info: None)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backups")
        self._lock = threading.Lock()
        self._pending: Future[BackupInfo | None] | None = None
        self._conn: sqlite3.Connection | None = None  # used on the backup thread only
        self._version_at_backup: int | None = None
        self._closed = False
        self.last: BackupInfo | None = None

    def start(self) -> Future[BackupInfo | None] | None:
        """The backup on open (skipped by content when the newest backup is the same)."""
        return self._submit(force=True)

    def tick(self) -> Future[BackupInfo | None] | None:
        """The timer fired: back up if anything was committed since the last backup. Returns
        the work (None when one is still running or the scheduler is stopped)."""
        return self._submit(force=False)

    def _submit(self, *, force: bool) -> Future[BackupInfo | None] | None:
        with self._lock:
            if self._closed or (self._pending is not None and not self._pending.done()):
                return None
            self._pending = self._executor.submit(self._run, force)
            return self._pending

    def _run(self, force: bool) -> BackupInfo | None:
        try:
            if self._conn is None:
                self._conn = backups.open_source(self.project_path)
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            if not force and version == self._version_at_backup:
                return None
            info = backups.make_backup(self.project_path, source=self._conn)
            self._version_at_backup = version
        except ProjectError as exc:
            self._report(f"Backup failed: {exc}")
            return None
        except (sqlite3.Error, OSError) as exc:
            self._report(f"Backup of {self.project_path.name} failed: {exc}")
            return None
        if info is not None:
            self.last = info
            self._on_made(info)
        return info

    def stop(self) -> None:
        """Wait for a backup under way, then close the connection (before the project is
        closed, restored or switched). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._executor.submit(self._close_connection)
        self._executor.shutdown(wait=True)

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
