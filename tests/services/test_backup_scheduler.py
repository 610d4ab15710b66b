"""The backup schedule: one on open, then one per tick only when something was committed."""

from __future__ import annotations

from pathlib import Path

from project_store.backups import list_backups
from project_store.project import Project
from services.backup_scheduler import BackupScheduler, interval_minutes
from tests.project_store.test_backups import project_with_markers


def test_backs_up_on_start_and_on_ticks_after_changes(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 3)
    reports: list[str] = []
    made = []
    scheduler = BackupScheduler(path, report=reports.append, on_made=made.append)
    with Project.open(path) as project:
        first = scheduler.start()
        assert first is not None and first.result() is not None
        tick = scheduler.tick()
        assert tick is not None and tick.result() is None  # nothing committed since
        project.execute({"op": "add_marker", "at": 10, "name": "new"})
        tick = scheduler.tick()
        assert tick is not None
        second = tick.result()
        assert second is not None and second.edits == 4
    scheduler.stop()
    scheduler.stop()
    assert scheduler.tick() is None  # stopped
    assert reports == []
    assert [b.path for b in list_backups(path)] == [second.path, made[0].path]
    assert len(made) == 2


def test_a_second_start_of_unchanged_content_makes_no_backup(tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "p.takeline", 3)
    for _ in range(2):
        scheduler = BackupScheduler(path)
        future = scheduler.start()
        assert future is not None
        future.result()
        scheduler.stop()
    assert len(list_backups(path)) == 1


def test_failures_are_reported_not_raised(tmp_path: Path) -> None:
    reports: list[str] = []
    scheduler = BackupScheduler(tmp_path / "gone.takeline", report=reports.append)
    future = scheduler.start()
    assert future is not None and future.result() is None
    scheduler.stop()
    assert len(reports) == 1 and "No project at" in reports[0]


def test_interval_comes_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TAKELINE_BACKUP_MINUTES", raising=False)
    assert interval_minutes() == 5
    monkeypatch.setenv("TAKELINE_BACKUP_MINUTES", "0.5")
    assert interval_minutes() == 0.5
    monkeypatch.setenv("TAKELINE_BACKUP_MINUTES", "-3")
    assert interval_minutes() == 5
