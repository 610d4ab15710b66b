"""Backups: consistent copies through SQLite's backup API, tiers, restore, damaged files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from project_store import backups
from project_store.backups import (
    DamagedProjectError,
    backups_dir,
    backups_to_keep,
    list_backups,
    make_backup,
    restore,
)
from project_store.db import ProjectError
from project_store.project import Project

NOW = datetime(2026, 12, 2, 18, 0, 0, tzinfo=UTC)


def project_with_markers(path: Path, count: int, *, name_len: int = 10) -> Path:
    with Project.create(path) as p, p.batch():
        for i in range(count):
            p.execute({"op": "add_marker", "at": i, "name": f"{i:04d}" + "x" * name_len})
    return path


def markers_in(path: Path) -> int:
    with Project.open(path) as p:
        return len(p.sequence.markers)


def quick_check(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1",
                                            uri=True)) as c:
        try:
            return str(c.execute("PRAGMA quick_check").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            return str(exc)


def test_backup_is_a_consistent_copy_while_another_connection_writes(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 50, name_len=2000)
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with Project.open(path) as p:
                i = 0
                while not stop.is_set() and i < 2000:
                    # One marker and one history row per committed transaction.
                    p.execute({"op": "add_marker", "at": 100 + i, "name": "w" * 3000})
                    i += 1
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    made = []
    try:
        for _ in range(15):
            info = make_backup(path, keep_unchanged=True)
            assert info is not None
            made.append(info.path)
    finally:
        stop.set()
        writer.join()
    assert not failures
    counts = set()
    for copy in made:
        if not copy.exists():  # pruned? all are from the last hour, so none may be
            pytest.fail(f"{copy} was pruned")
        assert quick_check(copy) == "ok"
        with contextlib.closing(sqlite3.connect(copy)) as c:
            marks = c.execute("SELECT count(*) FROM markers").fetchone()[0]
            done = c.execute("SELECT count(*) FROM history WHERE state='done'").fetchone()[0]
            journal = c.execute("PRAGMA journal_mode").fetchone()[0]
        assert marks == done  # never half an edit
        assert journal == "delete"  # a self-contained file, no -wal of its own
        counts.add(marks)
    assert min(counts) >= 50
    # What the copy holds is a project that opens.
    with Project.open(made[-1]) as copy:
        assert len(copy.sequence.markers) in counts


def test_an_unchanged_project_is_not_backed_up_again(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 3)
    first = make_backup(path, now=NOW)
    assert first is not None and first.number == 1
    assert first.path.parent == backups_dir(path) == tmp_path / "p.takeline.media" / "backups"
    assert make_backup(path, now=NOW + timedelta(minutes=5)) is None
    with Project.open(path) as p:
        p.execute({"op": "add_marker", "at": 50, "name": "new"})
    second = make_backup(path, now=NOW + timedelta(minutes=10))
    assert second is not None
    listed = list_backups(path)
    assert [b.path for b in listed] == [second.path, first.path]
    assert [b.number for b in listed] == [1, 2]
    assert (listed[0].edits, listed[0].last_edit) == (4, "Add Marker")
    assert listed[1].edits == 3
    assert all(b.size > 0 for b in listed)
    assert not [n for n in os.listdir(backups_dir(path)) if n.startswith(".partial")]


def test_tiers_keep_the_last_hour_hourly_today_daily_this_week() -> None:
    times = [
        NOW - timedelta(minutes=m) for m in (0, 5, 10, 55)  # last hour: all kept
    ] + [
        NOW - timedelta(hours=2, minutes=10), NOW - timedelta(hours=2, minutes=40),  # 15:50,15:20
        NOW - timedelta(hours=5, minutes=1), NOW - timedelta(hours=5, minutes=30),  # 12:59,12:30
    ] + [
        NOW - timedelta(days=2, hours=1), NOW - timedelta(days=2, hours=3),  # same day
        NOW - timedelta(days=6),
    ] + [NOW - timedelta(days=8), NOW - timedelta(days=30)]  # older than a week
    keep = backups_to_keep(times, NOW)
    assert keep == {
        *times[:4],
        NOW - timedelta(hours=2, minutes=10), NOW - timedelta(hours=5, minutes=1),
        NOW - timedelta(days=2, hours=1), NOW - timedelta(days=6),
    }
    # The newest of all is kept however old.
    old = [NOW - timedelta(days=40), NOW - timedelta(days=45)]
    assert backups_to_keep(old, NOW) == {NOW - timedelta(days=40)}
    assert backups_to_keep([], NOW) == set()


def test_pruning_deletes_the_files_the_tiers_drop(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 2)
    start = NOW - timedelta(days=10)
    # A backup every 30 minutes for ten days, each pruned as it is made (injected clock).
    t = start
    while t <= NOW:
        assert make_backup(path, now=t, keep_unchanged=True) is not None
        t += timedelta(minutes=30)
    kept = [b.made_at for b in list_backups(path, details=False)]
    assert kept == sorted(kept, reverse=True)
    assert set(kept) == backups_to_keep(kept, NOW)
    assert kept[0] == NOW
    last_hour = [k for k in kept if NOW - k < timedelta(hours=1)]
    assert len(last_hour) == 2  # 17:30 and 18:00
    assert NOW - min(kept) < timedelta(days=7)
    # One per hour over the day before the last hour, one per day before that.
    assert len(kept) <= 2 + 24 + 7


def test_restore_replaces_the_file_and_keeps_the_one_it_replaced(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 3)
    assert make_backup(path, now=NOW) is not None
    with Project.open(path) as p:
        p.execute({"op": "add_marker", "at": 90, "name": "later"})
        p.execute({"op": "add_marker", "at": 91, "name": "later"})
    result = restore(path, 1, now=NOW + timedelta(minutes=1))
    assert markers_in(path) == 3
    assert result.restored.edits == 3
    # The replaced file (5 markers) is now the newest backup; the restored one is still there.
    listed = list_backups(path)
    assert [b.edits for b in listed] == [3, 5][::-1] or [b.edits for b in listed] == [5, 3]
    assert result.kept == listed[0].path and listed[0].edits == 5
    assert markers_in(listed[0].path) == 5
    assert not path.with_name(path.name + "-wal").exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".partial")]
    # The restore can itself be undone: restore the kept file.
    restore(path, 1, now=NOW + timedelta(minutes=2))
    assert markers_in(path) == 5


def test_restore_is_refused_while_the_project_is_open(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 3)
    make_backup(path, now=NOW)
    with Project.open(path) as p:
        p.execute({"op": "add_marker", "at": 90, "name": "later"})
        with pytest.raises(ProjectError, match="is open in Takeline") as err:
            restore(path, 1)
        assert "\n" not in str(err.value) and "then restore the backup" in str(err.value)
        p.execute({"op": "add_marker", "at": 91, "name": "still fine"})
    assert markers_in(path) == 5
    assert len(list_backups(path)) == 1


def test_restore_is_refused_while_a_reader_has_the_project_open(tmp_path: Path) -> None:
    # A read-only open takes no writer lock; SQLite's exclusive lock still sees it.
    path = project_with_markers(tmp_path / "p.takeline", 3)
    make_backup(path, now=NOW)
    with Project.open(path) as p:
        p.execute({"op": "add_marker", "at": 90, "name": "later"})
    with Project.open(path, read_only=True) as reader:
        with pytest.raises(ProjectError, match="is open"):
            restore(path, 1)
        assert len(reader.sequence.markers) == 4
    assert markers_in(path) == 4


def test_restore_names_what_it_cannot_find(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 1)
    with pytest.raises(ProjectError, match="has no backups"):
        restore(path, 1)
    make_backup(path, now=NOW)
    with pytest.raises(ProjectError, match="backups 1 to 1"):
        restore(path, 7)


def damage(path: Path) -> bytes:
    """Overwrite two pages in the middle of the file with garbage; returns the new bytes."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    middle = (len(data) // page // 2) * page
    data[middle:middle + 2 * page] = bytes((i * 37 + 11) % 256 for i in range(2 * page))
    path.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_file_is_refused_untouched_naming_the_newest_good_backup(
        tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 300, name_len=400)
    older = make_backup(path, now=NOW - timedelta(minutes=20))
    with Project.open(path) as p:
        p.execute({"op": "add_marker", "at": 900, "name": "the last good edit"})
    newest = make_backup(path, now=NOW - timedelta(minutes=10))
    assert older is not None and newest is not None
    # A backup that is itself damaged is passed over.
    with Project.open(path) as p:
        p.execute({"op": "add_marker", "at": 901, "name": "after the backup"})
    bad = make_backup(path, now=NOW)
    assert bad is not None
    damage(bad.path)
    damaged = damage(path)
    assert quick_check(path) != "ok"
    with pytest.raises(DamagedProjectError) as err:
        Project.open(path)
    message = str(err.value)
    assert "is damaged" in message and "\n" not in message
    assert "backup 2 from" in message
    assert f"takeline backups {path} --restore 2" in message
    assert "at edit 301 (Add Marker)" in message
    assert err.value.backup is not None and err.value.backup.path == newest.path
    assert path.read_bytes() == damaged
    # Restoring it keeps the damaged file byte for byte.
    result = restore(path, 2, now=NOW + timedelta(minutes=1))
    assert result.kept.name.startswith("damaged-")
    assert result.kept.read_bytes() == damaged
    with Project.open(path) as p:
        assert len(p.sequence.markers) == 301
    # The damaged copy is no backup: it is not listed, numbered or pruned.
    assert all(not b.name.startswith("damaged-") for b in list_backups(path))


def test_damaged_without_backups_says_so(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 300, name_len=400)
    damaged = damage(path)
    with pytest.raises(DamagedProjectError, match="none was found") as err:
        Project.open(path)
    assert err.value.backup is None
    assert path.read_bytes() == damaged


def test_a_damaged_backup_is_not_restored(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 300, name_len=400)
    info = make_backup(path, now=NOW)
    assert info is not None
    damage(info.path)
    before = path.read_bytes()
    with pytest.raises(ProjectError, match="damaged too"):
        restore(path, 1)
    assert path.read_bytes() == before
    assert backups.newest_good_backup(path) is None
