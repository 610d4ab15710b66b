"""File > Restore Backup… and the damaged-project offer, in the real window (offscreen Qt)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.backups_dialog import RestoreBackupDialog  # noqa: E402
from app.main import MainWindow  # noqa: E402
from project_store.backups import list_backups, make_backup  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown  # noqa: E402
from tests.project_store.test_backups import damage, project_with_markers  # noqa: E402


def test_restore_backup_menu_entry_restores_and_reopens(qtbot, clip_project) -> None:  # type: ignore[no-untyped-def]
    path: Path = clip_project("cut", seconds=2, frames=40)
    window = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    # The backup made on open (on the backup thread).
    qtbot.waitUntil(lambda: window.backups is not None and window.backups.last is not None,
                    timeout=20_000)
    assert [b.edits for b in list_backups(path)] == [1]
    window.timeline.set_playhead(15)
    window.split_at_playhead()
    assert [i.duration for i in window.project.sequence.track("V1")] == [15, 25]

    entry = next(a for a in window.findChildren(QAction) if a.text() == "Restore &Backup…")
    seen: list[RestoreBackupDialog] = []

    def accept_newest() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, RestoreBackupDialog)
        seen.append(dialog)
        assert dialog.list.count() == 1 and dialog.chosen() == 1
        dialog.accept()

    QTimer.singleShot(0, accept_newest)
    entry.trigger()  # the dialog runs modally until accept_newest answers it
    assert seen
    # Reopened on the restored file: one 40-frame clip again; the split is kept as a backup.
    assert [i.duration for i in window.project.sequence.track("V1")] == [40]
    assert window.windowTitle() == "Takeline — cut"
    assert "Restored backup 1" in window.statusBar().currentMessage()
    assert [b.edits for b in list_backups(path)][:2] == [2, 1]
    # The window goes on editing the restored project, and backing it up.
    assert window.run({"op": "add_marker", "at": 5, "name": "after restore"})
    window.close()
    with Project.open(path) as p:
        assert [i.duration for i in p.sequence.track("V1")] == [40]
        assert len(p.sequence.markers) == 1


def test_cancelled_dialog_changes_nothing(qtbot, clip_project) -> None:  # type: ignore[no-untyped-def]
    path: Path = clip_project("cut", seconds=2, frames=40)
    window = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    qtbot.waitUntil(lambda: window.backups is not None and window.backups.last is not None,
                    timeout=20_000)
    project = window.project
    assert window.restore_backup_dialog(choose=lambda dialog: dialog.reject() or 0) is False
    assert window.project is project
    window.close()


def test_opening_a_damaged_project_offers_its_newest_good_backup(  # type: ignore[no-untyped-def]
        qtbot, clip_project, tmp_path: Path) -> None:
    window = shown(qtbot, MainWindow(Project.open(clip_project("cut", seconds=2, frames=40)),
                                     use_audio_device=False))
    other = project_with_markers(tmp_path / "damaged.takeline", 300, name_len=400)
    assert make_backup(other) is not None
    damaged = damage(other)
    asked: list[str] = []
    window.ask = lambda _title, text: asked.append(text) or True
    assert window.open_project_path(other)
    assert len(asked) == 1 and "is damaged" in asked[0] and "backup 1 from" in asked[0]
    assert window.project.path == other
    assert len(window.project.sequence.markers) == 300
    kept = [p for p in (other.parent / "damaged.takeline.media" / "backups").iterdir()
            if p.name.startswith("damaged-") and not p.name.endswith("-wal")]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    window.close()
