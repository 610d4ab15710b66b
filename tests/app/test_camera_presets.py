"""The camera-preset picker the Brief dock and the camera editor share: the preset's
default amount, stages that win over the preset, refusals, and a path's stages put back."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.brief_panel import BriefPanel  # noqa: E402
from app.camera_editor import CameraEditor  # noqa: E402
from app.camera_presets import CameraPresetPicker  # noqa: E402
from timeline.conditioning.camera import PRESETS  # noqa: E402


def _picker(qtbot) -> CameraPresetPicker:  # type: ignore[no-untyped-def]
    picker = CameraPresetPicker()
    qtbot.addWidget(picker)
    return picker


def test_preset_or_stages_are_handed_to_the_owner(qtbot) -> None:  # type: ignore[no-untyped-def]
    picker = _picker(qtbot)
    applied: list[object] = []
    refused: list[str] = []
    picker.applied.connect(applied.append)
    picker.refused.connect(refused.append)
    picker.preset.setCurrentIndex(picker.preset.findData("orbit"))
    assert picker.amount.value() == pytest.approx(PRESETS["orbit"][0])  # its default
    assert picker.amount.suffix() == f" {PRESETS['orbit'][1]}"
    picker.apply_button.click()
    assert applied == [[("orbit", pytest.approx(PRESETS["orbit"][0]))]]
    picker.stages.setText("static,dolly-in:0.5")
    picker.apply_button.click()
    assert applied[-1] == [("static", None), ("dolly-in", 0.5)]
    picker.stages.setText("warp:3")
    picker.apply_button.click()
    assert len(applied) == 2 and refused and "unknown camera preset" in refused[0]


def test_a_paths_stages_come_back_into_the_fields(qtbot) -> None:  # type: ignore[no-untyped-def]
    picker = _picker(qtbot)
    picker.show_stages(["dolly-in 0.7"])
    assert picker.preset.currentData() == "dolly-in"
    assert picker.amount.value() == pytest.approx(0.7) and picker.stages.text() == ""
    picker.show_stages(["static", "orbit 45"])
    assert picker.stages.text() == "static,orbit:45"
    picker.show_stages(["from a file"])  # not made of presets: the fields stay
    assert picker.stages.text() == "static,orbit:45"


def test_the_brief_and_the_camera_editor_show_one_move_alike(qtbot, segment_project) -> None:  # type: ignore[no-untyped-def]
    project = segment_project("camera", duration=48)
    panel = BriefPanel(lambda: project)
    qtbot.addWidget(panel)
    panel.show_segment(project.sequence.item(1))
    panel.camera_picker.preset.setCurrentIndex(panel.camera_picker.preset.findData("pan"))
    panel.camera_picker.amount.setValue(20.0)
    panel.camera_picker.apply_button.click()
    assert project.sequence.item(1).camera.stages == ("pan 20",)
    editor = CameraEditor(lambda: project, 1)
    qtbot.addWidget(editor)
    for picker in (panel.camera_picker, editor.presets):
        assert isinstance(picker, CameraPresetPicker)
        assert picker.preset.currentData() == "pan"
        assert picker.amount.value() == pytest.approx(20.0)
