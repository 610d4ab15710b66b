"""Opening a project from the command line: for writing (the commands that change it) or
read-only (``info``, ``export``, ``frame``, ``otio export``, listing jobs), and the one-line
notice when a stale writer lock was taken over."""

from __future__ import annotations

import sys
from pathlib import Path

from project_store.project import Project


class Failure(Exception):
    """A command failed for a reason the user can act on; printed without a traceback
    (cli.main). The other cli modules' failures are kinds of it."""


def open_project(path: Path, *, read_only: bool = False) -> Project:
    """A writer is refused (``ProjectLockedError``: "NAME is open in Takeline (pid N on
    HOST) — ...") while the window or another command has the project open for writing;
    a read-only open never is, and never disturbs that writer (``project_store.db``)."""
    project = Project.open(path, read_only=read_only)
    if project.lock_notice:
        print(f"takeline: note: {project.lock_notice}", file=sys.stderr)
    return project
