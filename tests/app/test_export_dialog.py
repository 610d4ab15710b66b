"""The export dialog asks before replacing an existing target, and refuses a folder of
the user's own for a PNG sequence (the rules are timeline.engine.export's)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from project_store.project import Project
from timeline.model import SequenceSettings

pytest.importorskip("PySide6")


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = Project.create(tmp_path / "d.takeline", SequenceSettings(fps=Fraction(24), width=64,
                                                                 height=36))
    p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 4})
    yield p
    p.close()


def _dialog(qtbot, project: Project, out: Path, preset: str):  # type: ignore[no-untyped-def]
    from app.export_panel import ExportDialog

    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentIndex(dialog.preset.findData(preset))
    dialog.path.setText(str(out))
    return dialog


def test_replacing_a_file_is_asked_first(qtbot, project: Project,  # type: ignore[no-untyped-def]
                                         tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "film.mp4"
    out.write_bytes(b"mine")
    asked: list[Path] = []
    answer = [False]

    dialog = _dialog(qtbot, project, out, "h264")
    monkeypatch.setattr(dialog, "confirm_replace",
                        lambda path: bool(asked.append(path)) or answer[0])
    dialog.accept()
    assert asked == [out] and dialog.result() != dialog.DialogCode.Accepted
    assert not dialog.overwrite
    answer[0] = True
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.overwrite
    assert out.read_bytes() == b"mine"  # nothing is written until the export runs


def test_a_new_file_is_not_asked_about(qtbot, project: Project,  # type: ignore[no-untyped-def]
                                       tmp_path: Path, monkeypatch) -> None:
    dialog = _dialog(qtbot, project, tmp_path / "new.mp4", "h264")
    monkeypatch.setattr(dialog, "confirm_replace", lambda path: pytest.fail("asked"))
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted and not dialog.overwrite


def test_a_folder_of_user_files_is_refused(qtbot, project: Project,  # type: ignore[no-untyped-def]
                                           tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    folder = tmp_path / "shots"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(a[2]))
    dialog = _dialog(qtbot, project, folder, "png-sequence")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert warned and "already holds other files" in warned[0]
    assert (folder / "notes.txt").read_text() == "mine"


def test_an_out_point_past_the_end_is_offered_up_to_the_end(
        qtbot, project: Project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project.execute({"op": "set_in_out", "in_point": 1, "out_point": 10**12})
    dialog = _dialog(qtbot, project, tmp_path / "x.mp4", "h264")
    assert dialog.choice()[1] == (1, project.sequence.duration_frames)
