"""Opening a project from the command line: for writing (the commands that change it) or
read-only (``info``, ``export``, ``frame``, ``otio export``, listing jobs), and the one-line
notice when a stale writer lock was taken over."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from project_store.db import ProjectError
from project_store.project import Project
from services.backup_scheduler import backup_before_writing


def open_project(path: Path, *, read_only: bool = False) -> Project:
    """A writer is refused (``ProjectLockedError``: "NAME is open in Takeline (pid N on
    HOST) — ...") while the window or another command has the project open for writing;
    a read-only open never is, and never disturbs that writer (``project_store.db``).

    A writer backs the project up first when the newest backup is older than the editor's
    interval (``services.backup_scheduler.backup_before_writing``); a failed backup is a
    warning, not a refusal (the command's own edits are still one transaction each)."""
    project = Project.open(path, read_only=read_only)
    if project.lock_notice:
        print(f"takeline: note: {project.lock_notice}", file=sys.stderr)
    if not read_only:
        try:
            backup_before_writing(project.path)
        except (ProjectError, sqlite3.Error, OSError) as exc:
            print(f"takeline: warning: no backup was made before this change: {exc}",
                  file=sys.stderr)
    return project
