"""The log file of each Takeline process: the editor writes ``editor.log``, its generation
worker ``worker.log``, both in the user's log folder and rotated (1 MiB, 3 old files kept).

Two processes never share a file: a rotation in one would leave the other writing to the
renamed file. ``faulthandler`` writes into the same file, so a native crash (Qt, PyAV, a
CUDA kernel) leaves every thread's stack in the log; it is re-pointed at the new file on
each rotation. The editor exports the folder in ``TAKELINE_LOG_DIR``, so the worker it spawns
(spawn start method: a fresh interpreter that inherits only the environment) logs beside it.
This lives in ``generation`` because the worker must set it up without importing anything
above it; the editor reaches it through the CLI.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOG_DIR_ENV = "TAKELINE_LOG_DIR"
MAX_BYTES = 1 << 20
BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


class FaultLogHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that ``faulthandler`` also writes to (after every rotation the
    old stream is closed, so faulthandler must follow the new one)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        self._follow()

    def _follow(self) -> None:
        if self.stream is not None:
            faulthandler.enable(self.stream, all_threads=True)

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        super().doRollover()
        self._follow()

    def close(self) -> None:
        # A closed file must not stay faulthandler's target (it would write to a dead fd).
        if self.stream is not None and faulthandler.is_enabled():
            faulthandler.enable(sys.__stderr__ or sys.stderr, all_threads=True)
        super().close()


def start_log(name: str, folder: Path) -> Path | None:
    """Send this process's log records (level INFO and up) and native crash stacks to
    ``folder/name.log``, and tell child processes the folder. None (with faulthandler on
    stderr, as before) when the folder cannot be written: a read-only home still edits."""
    path = folder / f"{name}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = FaultLogHandler(path)
    except OSError as exc:
        print(f"takeline: warning: no log file ({path}: {exc.strerror or exc})",
              file=sys.stderr)
        if not faulthandler.is_enabled():
            faulthandler.enable(all_threads=True)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, FaultLogHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # two lines at every open
    os.environ[LOG_DIR_ENV] = str(folder)
    logging.getLogger("takeline").info("%s started (pid %d, Python %s)", name, os.getpid(),
                                       sys.version.split()[0])
    return path


def start_worker_log() -> Path | None:
    """In the worker: log beside the editor when it logs (its folder is in the environment);
    otherwise (tests, a CLI command) faulthandler on stderr only."""
    folder = os.environ.get(LOG_DIR_ENV, "").strip()
    if folder:
        return start_log("worker", Path(folder))
    if not faulthandler.is_enabled():
        faulthandler.enable(all_threads=True)
    return None
