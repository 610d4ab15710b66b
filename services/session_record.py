"""What the editor remembers between runs: the recent projects list, and a session marker
beside each open project that tells the next run whether the last one closed normally.

Recent projects live in ``recent.json`` in the user's config folder (``timeline.app_dirs``:
``$XDG_CONFIG_HOME/takeline``, ``~/.config/takeline`` when unset): a JSON list of absolute
paths, most recent first. The session marker is ``<project>.media/session.json``
(``{"pid", "opened_at"}``), written at open and removed on a clean close; one left behind
by another process means that run crashed or was killed.

A project has one writer at a time (``project_store.writer_lock``): the marker is written
only by the process that holds the project's writer lock, so there is no "also open in
another Takeline" case any more: a second window or CLI edit is refused at open with the
holder's pid and host. A marker from another pid found by the lock's holder is therefore
always left over from a run that did not close, even if that pid is alive again (reused).
Nothing here imports Qt, so it is tested without a window.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from project_store.writer_lock import pid_alive
from timeline import app_dirs

MAX_RECENT = 10
CRASH_NOTICE = ("Takeline did not close normally last time. Nothing is lost: every edit was "
                "saved as it was made; generation jobs that were running are queued again.")


def config_dir() -> Path:
    return app_dirs.config_dir()


def recent_file() -> Path:
    return config_dir() / "recent.json"


def _read_recent() -> list[Path]:
    try:
        data = json.loads(recent_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # no list yet, or a damaged one: start afresh rather than fail the window
    if not isinstance(data, list):
        return []
    return [Path(p) for p in data if isinstance(p, str) and p]


def _write_recent(paths: list[Path]) -> None:
    target = recent_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(json.dumps([str(p) for p in paths], indent=1), encoding="utf-8")
        partial.replace(target)  # atomic: two windows never leave half a file
    except OSError:
        pass  # a read-only home must not stop anyone editing


def recent_projects() -> list[Path]:
    """Recent projects that still exist, most recent first (at most ``MAX_RECENT``)."""
    out: list[Path] = []
    for p in _read_recent():
        if p.is_file() and p not in out:
            out.append(p)
    return out[:MAX_RECENT]


def add_recent(path: str | os.PathLike[str]) -> list[Path]:
    """Put ``path`` first in the recent list (dropping missing files and duplicates)."""
    path = Path(path).resolve()
    paths = [path] + [p for p in recent_projects() if p != path]
    paths = paths[:MAX_RECENT]
    _write_recent(paths)
    return paths


def clear_recent() -> None:
    _write_recent([])


# --- session marker (crash recovery) ------------------------------------------------------


def session_file(project_path: str | os.PathLike[str]) -> Path:
    p = Path(project_path)
    return p.with_name(p.name + ".media") / "session.json"


@dataclass(frozen=True)
class SessionStart:
    """What the marker found at open: ``crashed`` when the last run left one behind
    (``pid``: that run's process). ``lock_notice``: the project's writer lock was left by a
    process that is gone and was taken over (``Project.lock_notice``)."""

    crashed: bool = False
    opened_at: str = ""
    pid: int | None = None
    lock_notice: str | None = None


def begin_session(project_path: str | os.PathLike[str], *,
                  lock_notice: str | None = None) -> SessionStart:
    """Read any marker left from before, then write ours. Call it holding the project's
    writer lock (an open, writable ``Project``)."""
    marker = session_file(project_path)
    found = SessionStart(lock_notice=lock_notice)
    try:
        old = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        old = None
    except (OSError, ValueError):
        old = {}  # unreadable: written by a run that died mid-write
    if old is not None:
        pid = old.get("pid") if isinstance(old, dict) else None
        at = str(old.get("opened_at", "")) if isinstance(old, dict) else ""
        if not isinstance(pid, int) or pid != os.getpid():
            # Not ours: the writer lock we hold says that process no longer has it open.
            found = SessionStart(crashed=True, opened_at=at,
                                 pid=pid if isinstance(pid, int) else None,
                                 lock_notice=lock_notice)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({
            "pid": os.getpid(),
            "opened_at": datetime.now(UTC).isoformat(timespec="seconds")}), encoding="utf-8")
    except OSError:
        pass  # a read-only project still opens; it just cannot report a crash next time
    return found


def end_session(project_path: str | os.PathLike[str]) -> None:
    """A clean close: remove our marker (not one another live process wrote since)."""
    marker = session_file(project_path)
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict) and data.get("pid") not in (os.getpid(), None) and pid_alive(
            int(data["pid"]) if isinstance(data.get("pid"), int) else -1):
        return
    marker.unlink(missing_ok=True)
