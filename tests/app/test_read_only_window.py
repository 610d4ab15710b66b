"""Opening a project another process is writing (issue 14): the window offers to open it
read-only instead of only refusing; read-only, it shows and plays and exports, every edit
says why it cannot be made, and nothing of the project (file, backups, crash record) is
touched."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.main import READ_ONLY_MESSAGE, MainWindow, open_or_offer_backup  # noqa: E402
from project_store.backups import backups_dir  # noqa: E402
from project_store.project import Project  # noqa: E402
from project_store.writer_lock import ProjectLockedError  # noqa: E402
from services.session_record import session_file  # noqa: E402


def test_a_locked_project_opens_read_only_when_the_user_says_so(  # type: ignore[no-untyped-def]
        qtbot, clip_project, tmp_path: Path) -> None:
    from timeline.engine.background import JobState

    path = clip_project("cut", seconds=2, frames=40)
    writer = Project.open(path)  # the other editor: it holds the writer lock
    try:
        asked: list[str] = []
        with pytest.raises(ProjectLockedError):  # "No": refused with the lock's message
            open_or_offer_backup(path, lambda _t, text: asked.append(text) or False)
        assert "is open in Takeline" in asked[0] and "read-only" in asked[0]

        project = open_or_offer_backup(path, lambda _t, _x: True)
        assert project.read_only
        window = MainWindow(project, use_audio_device=False)
        qtbot.addWidget(window)
        assert window.windowTitle() == "Takeline — cut (read-only)"
        assert window.read_only_label.isVisibleTo(window)
        assert not window.generation.isEnabled() and not window.brief.isEnabled()
        assert not window.undo_action.isEnabled() and not window.import_action.isEnabled()

        before = writer.sequence.snapshot()
        assert window.run({"op": "add_marker", "at": 5, "name": "x"}) is False
        assert window.statusBar().currentMessage() == READ_ONLY_MESSAGE
        assert window.import_files([tmp_path / "cut-clip.mp4"]).error == READ_ONLY_MESSAGE
        window.undo()
        assert window.statusBar().currentMessage() == READ_ONLY_MESSAGE

        # Viewing and export still work.
        assert window._render(10) is not None
        out = tmp_path / "ro.mp4"
        handle = window.start_export("h264", (0, 10), out)
        assert handle is not None
        qtbot.waitUntil(lambda: handle.state is JobState.DONE, timeout=30000)
        assert out.stat().st_size > 0

        # Nothing was changed; the writer was not disturbed: it still edits, and it alone
        # writes records.
        assert writer.sequence.snapshot() == before
        writer.execute({"op": "add_marker", "at": 7, "name": "writer"})
        window.close()
        assert not session_file(path).exists()  # no crash record of ours, none removed
        assert not backups_dir(path).exists() or not list(backups_dir(path).iterdir())
        writer.execute({"op": "add_marker", "at": 9, "name": "after"})
    finally:
        writer.close()
    with Project.open(path) as again:
        assert sorted(m.name for m in again.sequence.markers.values()) == ["after", "writer"]
