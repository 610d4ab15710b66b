"""The backups command of ``takeline``:

    takeline backups PROJECT [--json]          list backups, newest first, numbered from 1
    takeline backups PROJECT --now [--json]    make one now (skipped when nothing changed)
    takeline backups PROJECT --restore N       put backup N (or a backup's file name) in
                                               place; the replaced file is kept as a backup

Failures are ``ProjectError`` (printed as one line by ``cli.main``, exit 1).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from project_store import backups
from project_store.db import ProjectNotFoundError

COMMANDS = ("backups",)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("backups", help="list, make or restore the project's backups")
    p.add_argument("project", type=Path)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--restore", metavar="N",
                      help="restore backup N of the list (1 = newest) or a backup's file name; "
                           "refused while the project is open")
    what.add_argument("--now", action="store_true", help="make a backup now")
    p.add_argument("--json", action="store_true", help="print JSON")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"  # pragma: no cover


def dispatch(args: argparse.Namespace) -> int:
    path: Path = args.project
    if not path.is_file():
        raise ProjectNotFoundError(
            f"No project at {path}." if not path.is_dir()
            else f"{path} is a folder, not a Takeline project file.")
    if args.restore is not None:
        which: int | str = int(args.restore) if args.restore.isdigit() else args.restore
        result = backups.restore(path, which)
        print(f"Restored {result.restored.describe()} into {path}; "
              f"the replaced file is kept as {result.kept}")
        return 0
    if args.now:
        info = backups.make_backup(path)
        if args.json:
            print(json.dumps(info.to_json() if info else None, indent=2))
        elif info is None:
            print(f"Nothing changed since the newest backup of {path}; none made.")
        else:
            print(f"Made {info.describe()}: {info.path}")
        return 0
    listed = backups.list_backups(path)
    if args.json:
        print(json.dumps([b.to_json() for b in listed], indent=2))
        return 0
    if not listed:
        print(f"No backups of {path} yet (they are made in {backups.backups_dir(path)}).")
        return 0
    for b in listed:
        when = b.made_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        edit = "" if b.edits is None else f"edit {b.edits}" + (
            f" ({b.last_edit})" if b.last_edit else "")
        print(f"{b.number:>3}  {when}  {_size(b.size):>9}  {edit}")
    return 0

