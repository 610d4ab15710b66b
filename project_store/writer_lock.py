"""One writer per project: a lock file beside the project, held with ``flock``.

Why not SQLite's own locks: they are POSIX (``fcntl``) record locks, which belong to the
*process and file*: closing *any* descriptor of the ``.takeline`` file in the process (a
file dialog sniffing its type, a hash, a thumbnailer, ``open(path).read(16)``) silently drops
every lock SQLite holds on it. The next process to open and close the project then believes
it is alone, checkpoints, and deletes the ``-wal`` and ``-shm`` files while the editor keeps
writing into the deleted WAL; a crash then loses every edit since.

``flock`` locks belong to the *open file description*: only closing the descriptor we
opened here (or the process ending) releases them, whatever else the process opens or
closes. The descriptor is opened close-on-exec, so a spawned worker does not inherit it.

The lock file (``<project>.lock``) holds ``{"pid", "host", "opened_at"}`` of the writer, for
the message a second writer gets. It is removed on a clean release; one left behind by a
process that died is *stale*: its ``flock`` went with the process, the next writer takes it
over and says so (``WriterLock.notice``). Read-only opens take no lock (see
``project_store.db.connect``: what keeps a reader from deleting a live writer's WAL).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from project_store.db import ProjectError


class ProjectLockedError(ProjectError):
    """Another process has the project open for writing."""


@dataclass(frozen=True)
class Holder:
    pid: int | None
    host: str
    opened_at: str = ""

    def describe(self) -> str:
        return f"pid {self.pid if self.pid is not None else '?'} on {self.host or '?'}"


def this_host() -> str:
    return socket.gethostname()


def lock_path(project_path: str | os.PathLike[str]) -> Path:
    p = Path(project_path)
    return p.with_name(p.name + ".lock")


def locked_message(project_path: Path, holder: Holder | None) -> str:
    who = holder.describe() if holder is not None else "another process"
    return (f"{project_path.name} is open in Takeline ({who}) — close it there, "
            "or open it read-only")


def _read_holder(fd: int) -> Holder | None:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid = data.get("pid")
    return Holder(pid=pid if isinstance(pid, int) else None, host=str(data.get("host", "")),
                  opened_at=str(data.get("opened_at", "")))


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (the one test the lock, job claims and
    the session record share). 0 and negative ids name process groups, never a holder."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def current_holder(project_path: str | os.PathLike[str]) -> Holder | None:
    """Who has the project open for writing now (None when nobody does). Takes nothing: a
    shared ``flock`` tried and dropped at once."""
    path = lock_path(project_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or Holder(None, "")
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class WriterLock:
    """The held lock of one writer. ``acquire`` refuses with ``ProjectLockedError`` while
    another process (or another ``Project`` in this one) holds it."""

    def __init__(self, path: Path, fd: int, notice: str | None) -> None:
        self.path = path
        self._fd: int | None = fd
        # Set when a stale lock was taken over: what the caller should tell the user.
        self.notice = notice

    @classmethod
    def acquire(cls, project_path: str | os.PathLike[str]) -> WriterLock:
        project_path = Path(project_path)
        path = lock_path(project_path)
        for _attempt in range(10):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise ProjectError(
                    f"Cannot open {project_path.name} for writing: its lock file {path} "
                    f"cannot be made ({exc.strerror or exc}). Check the folder's permissions, "
                    "or open it read-only.") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise ProjectLockedError(locked_message(project_path, holder)) from None
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise ProjectError(
                        f"Cannot open {project_path.name} for writing: this file system does "
                        "not support file locks, so two writers could not be kept apart. "
                        "Copy the project to a local disk, or open it read-only.") from None
                raise ProjectError(f"Cannot lock {path}: {exc.strerror or exc}.") from None
            # The previous holder may have removed the file between our open and our flock:
            # then we hold a lock on a file nobody else will see. Start again.
            st = os.fstat(fd)
            try:
                now = os.stat(path)
            except FileNotFoundError:
                now = None
            if now is None or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
                os.close(fd)
                continue
            old = _read_holder(fd)
            notice = _stale_notice(project_path, old)
            try:
                body = json.dumps({"pid": os.getpid(), "host": this_host(),
                                   "opened_at": datetime.now(UTC).isoformat(timespec="seconds")})
                os.ftruncate(fd, 0)
                os.pwrite(fd, body.encode("utf-8"), 0)
                os.fsync(fd)
            except OSError:
                pass  # the lock is what matters; the note in it only names us in messages
            return cls(path, fd, notice)
        raise ProjectError(f"Cannot lock {path}: it keeps being replaced. Try again.")

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Remove the lock file while still holding it, then let go. A process that opened
        the file before the removal finds, after its own flock, that the path is gone or is
        another file, and starts again (see ``acquire``)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            try:
                st = os.fstat(fd)
                now = os.stat(self.path)
                if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                    self.path.unlink()
            except OSError:
                pass
        finally:
            os.close(fd)

    def __del__(self) -> None:  # a Project dropped without close still lets go
        if getattr(self, "_fd", None) is not None:
            self.release()


def _stale_notice(project_path: Path, old: Holder | None) -> str | None:
    if old is None or old.pid is None:
        return None
    host = this_host()
    if old.host == host and old.pid == os.getpid():
        return None
    if old.host != host:
        why = f"on {old.host or 'an unknown machine'}, another machine; its lock is no longer held"
    elif pid_alive(old.pid):
        why = f"on {old.host}; that process no longer holds it"
    else:
        why = f"on {old.host}; that process is gone"
    return (f"{project_path.name} was left locked by pid {old.pid} ({why}). Took over the "
            "lock: the last session did not close normally; every committed edit is kept.")
