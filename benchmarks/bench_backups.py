"""Backups of a 10,000-clip project: what a backup, the change check, the integrity check on
open, listing and restoring cost, and whether an edit waits while a backup runs.

Prints medians (and min / max) over repeated runs in one process; no targets asserted.

    .venv/bin/python benchmarks/bench_backups.py [--clips 10000] [--repeat 9]
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_project import build, report, timed  # noqa: E402

from project_store import backups  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.backup_scheduler import BackupScheduler  # noqa: E402
from services.demo_media import write_color_bars_video  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    n = args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        media = write_color_bars_video(Path(tmp) / "bars.mp4", seconds=3, size=(320, 180))
        path = Path(tmp) / "big.takeline"
        build(path, args.clips, media)
        print(f"{args.clips} clips; file {path.stat().st_size / 1e6:.1f} MB")

        # A backup as the scheduler makes it (its connection kept open), content changed.
        source = backups.open_source(path)
        report("backup (online API + fsync + digest + prune)",
               timed(lambda: backups.make_backup(path, source=source, keep_unchanged=True), n))
        # Unchanged content: the copy is made and dropped on its digest.
        report("backup of unchanged content (dropped)",
               timed(lambda: backups.make_backup(path, source=source), n))
        report("change check (PRAGMA data_version)",
               timed(lambda: source.execute("PRAGMA data_version").fetchone(), max(n, 50)))
        source.close()

        with contextlib.closing(sqlite3.connect(path)) as c:
            report("PRAGMA quick_check (the check on open)",
                   timed(lambda: c.execute("PRAGMA quick_check").fetchall(), n))
        opens = []
        for _ in range(n):
            t0 = time.perf_counter()
            Project.open(path).close()
            opens.append((time.perf_counter() - t0) * 1000)
        report("Project.open (quick_check included)", opens)
        report("list backups (with the edit of each)",
               timed(lambda: backups.list_backups(path), n))
        count = len(backups.list_backups(path))
        report(f"restore backup 1 ({count} backups kept)",
               timed(lambda: backups.restore(path, 1), max(3, n // 3)))

        # Edits while the scheduler backs up continuously, against edits alone.
        p = Project.open(path)

        def add_marker() -> None:
            p.execute({"op": "add_marker", "at": 100, "name": "m"})

        report("add marker + commit, no backup running", timed(add_marker, 40))
        scheduler = BackupScheduler(path)
        stop = threading.Event()
        made = [0]

        def keep_backing_up() -> None:
            while not stop.is_set():
                future = scheduler.tick()
                if future is not None and future.result() is not None:
                    made[0] += 1

        runner = threading.Thread(target=keep_backing_up)
        runner.start()
        try:
            during = timed(add_marker, 40)
        finally:
            stop.set()
            runner.join()
            scheduler.stop()
        report(f"add marker + commit, backups running ({made[0]} made)", during)
        p.close()


if __name__ == "__main__":
    main()
