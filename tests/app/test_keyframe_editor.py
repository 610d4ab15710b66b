"""What the camera and pose editors share (app/keyframe_editor.py): the easing a new key
inherits, one frame slider and frame label, one ``set`` edit per commit, and shutting the
background work down when the window closes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.camera_editor import CameraEditor  # noqa: E402
from app.keyframe_editor import KeyframeEditor, easing_after, previous_key  # noqa: E402
from app.pose_editor import PoseEditor, t_pose  # noqa: E402
from tests.app.shown import shown, undo_depth  # noqa: E402
from timeline.conditioning.camera import build_path  # noqa: E402
from timeline.conditioning.pose import Person, PoseKey, PoseTrack  # noqa: E402


@dataclass
class Key:
    frame: int
    easing: str


def test_a_new_key_takes_the_previous_keys_easing() -> None:
    keys = [Key(0, "linear"), Key(10, "ease_in"), Key(20, "hold")]
    assert previous_key(keys, 0) is None
    assert previous_key(keys, 10) == keys[0]
    assert previous_key(keys, 15) == keys[1]
    assert easing_after(keys, 25, "linear") == "hold"
    assert easing_after(keys, 0, "ease_in_out") == "ease_in_out"


@pytest.mark.parametrize(("make", "value"), [
    (lambda project: CameraEditor(lambda: project, 1), lambda: build_path([("orbit", 30)], 30)),
    (lambda project: PoseEditor(lambda: project, 1),
     lambda: PoseTrack((Person(1, "Ann", (PoseKey(0, t_pose(0.5, 16 / 9)),)),))),
], ids=["camera", "pose"])
def test_both_editors_share_the_frame_slider_and_commit(qtbot, segment_project, make,  # type: ignore[no-untyped-def]
                                                         value) -> None:
    project = segment_project("keys", duration=30)
    editor = shown(qtbot, make(project))
    assert isinstance(editor, KeyframeEditor)
    assert editor.slider.maximum() == 29
    editor.slider.setValue(12)
    assert editor.frame == 12 and editor.frame_label.text().startswith("12 / 29")
    editor.set_segment(None)  # no segment: controls off, the frame back to 0
    assert editor.frame == 0 and not editor.slider.isEnabled()
    assert editor.title.text() == "Select a generated segment"
    editor.set_segment(1)
    before = undo_depth(project)
    assert editor.commit(value())
    assert getattr(project.sequence.item(1), editor.prop) == value()
    assert editor.commit(None)  # clearing is one edit too
    assert getattr(project.sequence.item(1), editor.prop) is None
    assert undo_depth(project) == before + 2
    editor.close()  # shuts the background work down
    assert not editor._render_timer.isActive()
