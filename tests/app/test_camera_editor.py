"""The camera path editor edits a real project: presets, key drags in the top view and
easing changes are each one committed, undoable ``set camera`` edit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from app.brief_panel import BriefPanel  # noqa: E402
from app.camera_editor import CameraEditor  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown, undo_depth  # noqa: E402
from timeline.conditioning.camera import build_path, parse_stages  # noqa: E402


@pytest.fixture
def project(segment_project) -> Project:  # type: ignore[no-untyped-def]
    return segment_project("camera", duration=48)


def _editor(qtbot, project: Project) -> CameraEditor:  # type: ignore[no-untyped-def]
    return shown(qtbot, CameraEditor(lambda: project, 1))


def test_preset_is_one_undo_step(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    assert project.sequence.item(1).camera is None
    before = undo_depth(project)
    editor.presets.preset.setCurrentIndex(editor.presets.preset.findData("dolly-in"))
    editor.presets.amount.setValue(0.5)
    qtbot.mouseClick(editor.presets.apply_button, Qt.MouseButton.LeftButton)
    cam = project.sequence.item(1).camera
    assert cam is not None and cam.stages == ("dolly-in 0.5",)
    assert cam.keys[-1].z == pytest.approx(2.0)
    assert undo_depth(project) == before + 1
    assert editor.keys.rowCount() == len(cam.keys)
    assert "dolly in" in editor.description.text()
    project.undo()
    editor.refresh()
    assert project.sequence.item(1).camera is None
    assert editor.keys.rowCount() == 1  # the static stand-in


def test_stages_field_builds_a_multi_stage_move(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    editor.presets.stages.setText("static,dolly-in:0.5,orbit:45")
    editor.presets.apply_button.click()
    cam = project.sequence.item(1).camera
    assert cam == build_path(parse_stages("static,dolly-in:0.5,orbit:45"), 48)
    editor.presets.stages.setText("wobble:3")
    editor.presets.apply_button.click()
    assert "unknown camera preset" in editor.error.text()
    assert project.sequence.item(1).camera == cam


def test_dragging_a_key_moves_it_in_x_and_z_as_one_edit(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.execute({"op": "set", "item": 1,
                     "camera": build_path([("dolly-in", 0.5)], 48).to_json()})
    editor = _editor(qtbot, project)
    top = editor.top
    key = project.sequence.item(1).camera.keys[-1]
    start = top.key_position(len(editor.path.keys) - 1)
    scale = top._compute_view()[0]
    before = undo_depth(project)
    press = QPoint(round(start.x()), round(start.y()))
    qtbot.mousePress(top, Qt.MouseButton.LeftButton, pos=press)
    for step in range(1, 5):  # several moves: still only one edit
        qtbot.mouseMove(top, press + QPoint(10 * step, 5 * step))
    assert undo_depth(project) == before  # nothing committed while dragging
    assert editor.path.keys[-1].x != key.x  # but the path follows the mouse
    qtbot.mouseRelease(top, Qt.MouseButton.LeftButton, pos=press + QPoint(40, 20))
    assert undo_depth(project) == before + 1
    moved = project.sequence.item(1).camera.keys[-1]
    assert moved.frame == key.frame
    assert moved.x == pytest.approx(key.x + 40 / scale, abs=2e-3)
    assert moved.z == pytest.approx(key.z - 20 / scale, abs=2e-3)  # down on screen = back
    assert (moved.y, moved.pan, moved.focal) == (key.y, key.pan, key.focal)
    project.undo()
    editor.refresh()
    assert project.sequence.item(1).camera.keys[-1] == key


def test_easing_change_commits(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.execute({"op": "set", "item": 1,
                     "camera": build_path([("pan", 30.0)], 48).to_json()})
    editor = _editor(qtbot, project)
    before = undo_depth(project)
    combo = editor.easing_combo(0)
    combo.setCurrentIndex(combo.findData("linear"))
    assert project.sequence.item(1).camera.keys[0].easing == "linear"
    assert undo_depth(project) == before + 1


def test_add_and_delete_key_and_field_edit(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.execute({"op": "set", "item": 1,
                     "camera": build_path([("pan", 30.0)], 48).to_json()})
    editor = _editor(qtbot, project)
    editor.slider.setValue(20)
    assert editor.add_key()
    cam = project.sequence.item(1).camera
    assert [k.frame for k in cam.keys] == [0, 20, 47]
    assert cam.keys[1].pan == pytest.approx(cam.at(20).pan)
    index = editor.top.selected
    assert index == 1
    editor.fields["tilt"].setValue(5.0)
    assert project.sequence.item(1).camera.keys[1].tilt == pytest.approx(5.0)
    assert editor.delete_key()
    assert [k.frame for k in project.sequence.item(1).camera.keys] == [0, 47]


def test_camera_view_renders_the_previz(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.execute({"op": "set", "item": 1, "camera": build_path(
        parse_stages("static,dolly-in:0.5,orbit:45"), 48).to_json()})
    editor = _editor(qtbot, project)
    editor.slider.setValue(40)
    editor.render_now()
    image = editor.view.image
    assert isinstance(image, QImage) and not image.isNull()
    assert (image.width(), image.height()) == (320, 180)
    pixels = np.asarray(image.constBits(), dtype=np.uint8)
    assert pixels.max() > 40 and pixels.std() > 5  # a picture, not a black frame


def test_preview_plays_to_the_end(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.execute({"op": "set", "item": 1,
                     "camera": build_path([("truck", 0.3)], 48).to_json()})
    editor = _editor(qtbot, project)
    editor.slider.setValue(40)
    editor.preview_button.click()
    qtbot.waitUntil(lambda: not editor.preview_button.isChecked(), timeout=5000)
    assert editor.frame == 47


def test_brief_panel_opens_the_editor_and_it_follows_undo(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    panel = BriefPanel(lambda: project)
    qtbot.addWidget(panel)
    panel.show_segment(project.sequence.item(1))
    edits = []
    panel.edited.connect(lambda: edits.append(1))
    editor = panel.open_camera_editor()
    assert editor.isVisible() and editor.segment_id == 1
    assert editor.apply_preset("orbit", 30.0)
    assert edits == [1]
    assert "orbit" in panel.camera_text.text()
    project.undo()
    panel.refresh()  # the window refreshes the Brief after undo; the editor follows
    assert editor.keys.rowCount() == 1
    panel.show_segment(None)
    assert editor.segment_id is None and not editor.presets.apply_button.isEnabled()
