"""The Brief dock edits a real project: each change is one committed, undoable edit, and
refusals show as a message in the panel."""

from __future__ import annotations

import asyncio
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

from app.brief_panel import BriefPanel  # noqa: E402
from app.main import MainWindow  # noqa: E402
from project_store.generation_records import GenerationRecords  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_tone_and_clicks_wav  # noqa: E402
from services.generation_queue import GenerationRunner  # noqa: E402
from timeline.conditioning.camera import build_path, describe  # noqa: E402
from timeline.media.images import write_png  # noqa: E402

POSE = {"version": 1.3, "canvas_width": 320, "canvas_height": 180, "people": [{
    "pose_keypoints_2d": [
        160, 40, 1, 160, 60, 1, 145, 60, 1, 140, 85, 1, 137, 105, 1, 175, 60, 1, 180, 85, 1,
        182, 105, 1, 150, 105, 1, 150, 135, 1, 150, 165, 1, 170, 105, 1, 170, 135, 1, 170,
        165, 1, 156, 36, 1, 164, 36, 1, 152, 38, 1, 168, 38, 1]}]}


@pytest.fixture
def project(segment_project) -> Project:  # type: ignore[no-untyped-def]
    return segment_project("brief")


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    return write_png(tmp_path / "mara.png", rng.integers(0, 255, (48, 32, 3), dtype=np.uint8))


def _panel(qtbot, project: Project) -> BriefPanel:  # type: ignore[no-untyped-def]
    panel = BriefPanel(lambda: project)
    qtbot.addWidget(panel)
    panel.show_segment(project.sequence.item(1))
    return panel


def test_prompt_and_negative_are_one_undo_step(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, project)
    assert panel.prompt.text() == "a lighthouse at dusk" and panel.prompt.isEnabled()
    undo_before = len(project.timeline.undo_stack)
    panel.prompt.setText("a lighthouse at night")
    panel.negative.setText("blurry")
    panel.negative.editingFinished.emit()
    seg = project.sequence.item(1)
    assert (seg.prompt, seg.negative_prompt) == ("a lighthouse at night", "blurry")
    assert len(project.timeline.undo_stack) == undo_before + 1
    panel.prompt.editingFinished.emit()  # nothing changed since: no second edit
    assert len(project.timeline.undo_stack) == undo_before + 1
    # Committed at once: another connection sees it.
    with Project.open(project.path, read_only=True) as other:
        assert other.sequence.item(1).prompt == "a lighthouse at night"
    project.undo()
    panel.refresh()
    assert panel.prompt.text() == "a lighthouse at dusk" and panel.negative.text() == ""


def test_references_drop_role_change_and_remove(qtbot, project: Project, picture: Path,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    panel = _panel(qtbot, project)
    wav = write_tone_and_clicks_wav(tmp_path / "beat.wav", seconds=1, fps=Fraction(24))
    # The drop handler's own function: image -> character, audio -> audio.
    assert panel.add_reference_files([picture, wav])
    refs = project.sequence.item(1).references
    assert [(r.name, r.kind, r.role) for r in refs] == [("mara.png", "image", "character"),
                                                        ("beat.wav", "audio", "audio")]
    assert panel.references.count() == 2
    # A real drop event on the list goes through the same path.
    other = write_png(tmp_path / "coat.png", np.full((16, 16, 3), 200, np.uint8))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    panel.references.dropEvent(drop)
    assert [r.name for r in project.sequence.item(1).references][-1] == "coat.png"

    # The role combo changes the role as one edit.
    undo_before = len(project.timeline.undo_stack)
    combo = panel.reference_role_combo(0)
    combo.setCurrentIndex(combo.findData("style"))
    assert project.sequence.item(1).references[0].role == "style"
    assert len(project.timeline.undo_stack) == undo_before + 1
    assert panel.reference_role_combo(0).currentData() == "style"

    # A refused role shows in the panel; nothing changes.
    assert panel.set_reference_role(0, "first_frame")
    assert not panel.set_reference_role(2, "first_frame")  # one first frame per segment
    assert panel.error.isVisibleTo(panel) and "first frame" in panel.error.text()
    assert project.sequence.item(1).references[2].role == "character"

    from PySide6.QtWidgets import QPushButton

    row = panel.references.itemWidget(panel.references.item(1))
    row.findChild(QPushButton).click()  # its own Remove button
    assert [r.name for r in project.sequence.item(1).references] == ["mara.png", "coat.png"]
    # A file that cannot be a reference is named in the error, not raised.
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert not panel.add_reference_files([bad])
    assert "notes.txt" in panel.error.text()


def test_big_reference_files_are_copied_off_the_ui_thread(qtbot, project: Project,  # type: ignore[no-untyped-def]
                                                          picture: Path, tmp_path: Path) -> None:
    panel = _panel(qtbot, project)
    reports: list[str] = []
    panel.report = reports.append
    panel.big_copy_bytes = 0  # every copy counts as big here
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    undo_before = len(project.timeline.undo_stack)
    assert panel.add_reference_files([picture, bad])  # started, not done
    assert reports[-1].startswith("Copying 1 reference file(s)")
    qtbot.waitUntil(lambda: panel.copies_running == 0, timeout=10000)
    assert [r.name for r in project.sequence.item(1).references] == ["mara.png"]
    assert len(project.timeline.undo_stack) == undo_before + 1
    assert "notes.txt" in panel.error.text()  # the refused one is named
    assert reports[-1] == "Added 1 reference(s)"
    # The segment deleted while a copy runs: nothing is added, and the panel says so.
    assert panel.add_reference(picture, "style")
    project.execute({"op": "lift", "item": 1})
    qtbot.waitUntil(lambda: panel.copies_running == 0, timeout=10000)
    assert "is gone" in panel.error.text()


def test_a_copy_finishing_after_another_project_was_opened_adds_nothing(  # type: ignore[no-untyped-def]
        qtbot, segment_project, picture: Path) -> None:
    first, second = segment_project("first"), segment_project("second")
    current = [first]
    panel = BriefPanel(lambda: current[0])
    qtbot.addWidget(panel)
    panel.show_segment(first.sequence.item(1))
    panel.big_copy_bytes = 0
    assert panel.add_reference(picture, "style")
    current[0] = second  # File > Open while the file is copied (both have a segment 1)
    qtbot.waitUntil(lambda: panel.copies_running == 0, timeout=10000)
    assert second.sequence.item(1).references == () == first.sequence.item(1).references
    assert "Another project was opened" in panel.error.text()


def test_camera_preset_stages_and_description(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, project)
    panel.camera_picker.preset.setCurrentIndex(panel.camera_picker.preset.findData("dolly-in"))
    assert panel.camera_picker.amount.value() == pytest.approx(0.4)
    panel.camera_picker.apply_button.click()
    seg = project.sequence.item(1)
    assert seg.camera is not None and seg.camera.stages == ("dolly-in 0.4",)
    expected = describe(build_path([("dolly-in", 0.4)], 24), 24.0)
    assert "dolly in" in expected and expected in panel.camera_text.text()

    panel.camera_picker.stages.setText("static,dolly-in:0.5,orbit:90")
    panel.camera_picker.apply_button.click()
    seg = project.sequence.item(1)
    assert seg.camera.stages == ("static", "dolly-in 0.5", "orbit 90")
    assert "orbit left 90 degrees" in panel.camera_text.text()

    assert not panel.apply_camera_stages("static,warp:3")
    assert "unknown camera preset 'warp'" in panel.error.text()
    assert panel.clear_camera()
    assert project.sequence.item(1).camera is None
    assert panel.camera_text.text() == "No camera move"


def test_poses_import_and_clear(qtbot, project: Project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, project)
    pose = tmp_path / "pose.json"
    pose.write_text(json.dumps(POSE))
    assert panel.import_poses(pose)
    assert project.sequence.item(1).poses is not None
    assert panel.pose_text.text() == "1 person, 1 key"
    broken = tmp_path / "broken.json"
    broken.write_text("{\"people\": 3}")
    assert not panel.import_poses(broken)
    assert "broken.json" in panel.error.text() and "Traceback" not in panel.error.text()
    assert panel.clear_poses()
    assert project.sequence.item(1).poses is None


def test_cast_member_added_and_linked(qtbot, project: Project, picture: Path) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, project)
    member = panel.add_cast_member("Mara", picture)
    assert member is not None and project.sequence.cast[member].name == "Mara"
    assert len(project.sequence.cast[member].references) == 1
    assert panel.cast.count() == 1
    item = panel.cast.item(0)
    assert item.checkState() == Qt.CheckState.Unchecked
    item.setCheckState(Qt.CheckState.Checked)  # what a click on the box does
    assert project.sequence.item(1).cast == (member,)
    assert panel.cast.item(0).checkState() == Qt.CheckState.Checked
    panel.cast.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert project.sequence.item(1).cast == ()
    assert panel.add_cast_member("mara") is None
    assert "already has a member called" in panel.error.text()


def _previz_take(project: Project, segment_id: int) -> None:
    runner = GenerationRunner(project)
    try:
        runner.queue(segment_id, runner.request_for(segment_id, backend="previz", takes=1))
        asyncio.run(runner.run_queue())
    finally:
        runner.client.terminate()


def test_window_shows_stale_after_a_prompt_change_following_a_take(qtbot, project: Project  # type: ignore[no-untyped-def]
                                                                   ) -> None:
    _previz_take(project, 1)
    window = MainWindow(project, use_audio_device=False)
    qtbot.addWidget(window)
    window.timeline.selected = 1
    window.timeline.selection_changed.emit(1)
    brief = window.brief
    assert brief.segment_id == 1
    assert not brief.stale_badge.isVisibleTo(brief)
    assert window.timeline.stale == frozenset()
    version = brief.version.text()
    brief.prompt.setText("a lighthouse in a storm")
    brief.prompt.editingFinished.emit()
    assert brief.stale_badge.isVisibleTo(brief)
    assert brief.version.text() != version
    assert window.timeline.stale == {1}
    assert GenerationRecords(project).staleness(1)["stale"]
    # The Generate panel follows, so its Generate does not put the old prompt back.
    assert window.generation.prompt.text() == "a lighthouse in a storm"
    # Undo through the window: the brief is current again and the badge goes.
    window.undo_action.trigger()
    assert brief.prompt.text() == "a lighthouse at dusk"
    assert not brief.stale_badge.isVisibleTo(brief)
    assert window.timeline.stale == frozenset()
    window.show()
    qtbot.waitExposed(window)
    window.timeline.grab()  # paints the badges without error
    window.close()
