"""The pose editor edits a real project: adding people, dragging joints and copying poses
are each one committed, undoable ``set poses`` edit; the viewer draws the poses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from app.pose_editor import PoseEditor, t_pose  # noqa: E402
from app.viewer import ViewerWidget  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown, undo_depth  # noqa: E402
from timeline.conditioning.camera import build_path  # noqa: E402
from timeline.conditioning.pose import JOINT_COLORS, JOINTS, PoseKey, Skeleton  # noqa: E402

R_WRIST = JOINTS.index("r_wrist")


@pytest.fixture
def project(segment_project) -> Project:  # type: ignore[no-untyped-def]
    return segment_project("poses", at=10, prompt="a dancer on a pier")


def _editor(qtbot, project: Project) -> PoseEditor:  # type: ignore[no-untyped-def]
    return shown(qtbot, PoseEditor(lambda: project, 1))


def test_add_person_creates_a_key(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    editor.slider.setValue(5)
    before = undo_depth(project)
    qtbot.mouseClick(editor.add_person_button, Qt.MouseButton.LeftButton)
    poses = project.sequence.item(1).poses
    assert poses is not None and [p.id for p in poses.people] == [1]
    (key,) = poses.people[0].keys
    assert key.frame == 5 and key.visible
    assert key.skeleton == t_pose(0.5, 320 / 180)
    assert undo_depth(project) == before + 1
    assert editor.people.count() == 1 and editor.selected == 1
    assert len(editor.canvas.people) == 1
    editor.add_person()
    assert [p.id for p in project.sequence.item(1).poses.people] == [1, 2]


def test_dragging_a_joint_moves_it_and_undo_restores_it(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    editor.add_person()
    old = project.sequence.item(1).poses.people[0].keys[0].skeleton.joints[R_WRIST]
    canvas = editor.canvas
    rect = canvas.picture_rect()
    start = canvas.joint_position(1, R_WRIST)
    press = QPoint(round(start.x()), round(start.y()))
    before = undo_depth(project)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=press)
    qtbot.mouseMove(canvas, press + QPoint(10, -10))
    qtbot.mouseMove(canvas, press + QPoint(20, -25))
    assert undo_depth(project) == before  # live while dragging, nothing committed
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=press + QPoint(30, -40))
    assert undo_depth(project) == before + 1
    new = project.sequence.item(1).poses.people[0].keys[0].skeleton.joints[R_WRIST]
    assert new[0] == pytest.approx(old[0] + 30 / rect.width(), abs=1e-4)
    assert new[1] == pytest.approx(old[1] - 40 / rect.height(), abs=1e-4)
    project.undo()
    editor.refresh()
    assert project.sequence.item(1).poses.people[0].keys[0].skeleton.joints[R_WRIST] == old
    assert editor.canvas.people[0][1].joints[R_WRIST] == old


def test_dragging_between_keys_creates_a_key(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    editor.add_person()
    editor.slider.setValue(12)
    start = editor.canvas.joint_position(1, 0)
    press = QPoint(round(start.x()), round(start.y()))
    qtbot.mousePress(editor.canvas, Qt.MouseButton.LeftButton, pos=press)
    qtbot.mouseRelease(editor.canvas, Qt.MouseButton.LeftButton, pos=press + QPoint(0, 12))
    person = project.sequence.item(1).poses.people[0]
    assert [k.frame for k in person.keys] == [0, 12]


def test_copy_pose_between_keys(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    editor.add_person()
    editor.slider.setValue(20)
    assert editor.set_key()
    # Pose frame 20 differently, then copy frame 0's pose back onto it.
    poses = project.sequence.item(1).poses
    bent = list(poses.people[0].keys[1].skeleton.joints)
    bent[R_WRIST] = (0.2, 0.2)
    editor.commit(poses.with_key(1, PoseKey(20, Skeleton(tuple(bent)))))
    assert project.sequence.item(1).poses.people[0].keys[1].skeleton.joints[R_WRIST] == (
        0.2, 0.2)
    before = undo_depth(project)
    assert editor.copy_from_previous()
    keys = project.sequence.item(1).poses.people[0].keys
    assert keys[1].frame == 20 and keys[1].skeleton == keys[0].skeleton
    assert undo_depth(project) == before + 1


def test_visibility_delete_key_and_import(qtbot, project: Project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    editor.add_person()
    editor.slider.setValue(8)
    editor.visible.setChecked(False)
    person = project.sequence.item(1).poses.people[0]
    assert [(k.frame, k.visible) for k in person.keys] == [(0, True), (8, False)]
    assert project.sequence.item(1).poses.at(10) == []
    assert editor.delete_key()
    assert [k.frame for k in project.sequence.item(1).poses.people[0].keys] == [0]
    pose = {"canvas_width": 320, "canvas_height": 180, "people": [
        {"pose_keypoints_2d": [v for i in range(18) for v in (100 + i, 50 + i, 1)]}]}
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(pose))
    assert editor.import_poses(path)
    track = project.sequence.item(1).poses
    assert track.people[0].keys[0].skeleton.joints[0] == pytest.approx((100 / 320, 50 / 180))


def test_viewer_overlay_draws_skeleton_pixels(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    editor = _editor(qtbot, project)
    editor.add_person()
    project.execute({"op": "set", "item": 1,
                     "camera": build_path([("orbit", 45.0)], 24).to_json()})
    seg = project.sequence.item(1)
    viewer = ViewerWidget()
    qtbot.addWidget(viewer)
    viewer.resize(640, 360)
    viewer.show()
    viewer.show_picture(0, np.zeros((180, 320, 3), np.uint8))

    def grab() -> np.ndarray:
        img = viewer.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        rows = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(),
                                                                img.bytesPerLine())
        return rows[:, :img.width() * 3].reshape(img.height(), img.width(), 3).astype(int)

    def skeleton_pixels() -> int:
        # Left of the inset (bottom right): pixels in the right wrist's OpenPose colour.
        arr = grab()[:, :450]
        wrist = np.array(JOINT_COLORS[R_WRIST])
        return int((np.abs(arr - wrist).max(axis=-1) < 30).sum())

    viewer.show_conditioning(seg, 15, fps=24.0, aspect=16 / 9)
    assert viewer.overlay_skeletons == []  # off until the View menu turns it on
    assert skeleton_pixels() == 0
    viewer.set_overlay_enabled(True)
    viewer.show_conditioning(seg, 15, fps=24.0, aspect=16 / 9)
    assert len(viewer.overlay_skeletons) == 1 and viewer.overlay_inset is not None
    assert skeleton_pixels() > 20
    inset = grab()[-120:, -160:]
    assert (inset.max(axis=-1) > 100).sum() > 50  # the camera path inset
    viewer.show_conditioning(seg, 40, fps=24.0, aspect=16 / 9)  # past the segment's end
    assert viewer.overlay_skeletons == [] and viewer.overlay_inset is None
    assert skeleton_pixels() == 0 and grab().max() == 0


def test_window_view_menu_toggles_the_overlay(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    from app.main import MainWindow

    editor = _editor(qtbot, project)
    editor.add_person()
    window = MainWindow(project, use_audio_device=False)
    qtbot.addWidget(window)
    window.timeline.selected = 1
    window.timeline.selection_changed.emit(1)
    window.timeline.set_playhead(15)
    assert window.viewer.overlay_skeletons == []
    window.overlay_action.trigger()
    assert window.overlay_action.isChecked()
    assert len(window.viewer.overlay_skeletons) == 1
    window.timeline.set_playhead(2)  # before the segment (it starts at 10)
    assert window.viewer.overlay_skeletons == []
    window.overlay_action.trigger()
    window.timeline.set_playhead(15)
    assert window.viewer.overlay_skeletons == []
    # The Brief dock opens the pose editor on the selected segment.
    assert window.brief.open_pose_editor().segment_id == 1
