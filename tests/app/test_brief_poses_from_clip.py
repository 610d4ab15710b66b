"""The Brief dock's "Poses from Clip…": a reference clip read on a thread by a pose model
(tiny random ONNX models, in the detector's child process) into one undoable edit; a
missing pose model shown at once, nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.brief_panel import BriefPanel  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.generation.tiny_pose_onnx import pose_model_folder, write_clip  # noqa: E402
from timeline.conditioning.pose import validate_pose_track  # noqa: E402


@pytest.fixture
def no_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from huggingface_hub import constants

    monkeypatch.setenv("TAKELINE_POSE_MODELS", str(tmp_path / "own-pose-models"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path / "own-pose-models"


def test_poses_from_clip_in_the_brief(qtbot, segment_project, tmp_path: Path,  # type: ignore[no-untyped-def]
                                      no_installed: Path) -> None:
    project: Project = segment_project("poses", duration=12)
    panel = BriefPanel(lambda: project)
    qtbot.addWidget(panel)
    panel.show_segment(project.sequence.item(1))
    assert panel.pose_from_clip.isEnabled()
    clip = write_clip(tmp_path / "walk.mp4", frames=12)

    # No pose model: said at once, in the panel; nothing started, nothing changed.
    undo_before = len(project.timeline.undo_stack)
    assert not panel.poses_from_clip(clip)
    assert "no pose model installed: pull yzd-v/DWPose" in panel.error.text()
    assert panel.pose_reads_running == 0 and project.sequence.item(1).poses is None
    assert len(project.timeline.undo_stack) == undo_before

    panel.pose_model_dir = pose_model_folder(tmp_path / "pose-model")
    assert panel.poses_from_clip(clip, tolerance=3.0)
    assert not panel.pose_from_clip.isEnabled()
    qtbot.waitUntil(lambda: panel.pose_reads_running == 0, timeout=120_000)
    seg = project.sequence.item(1)
    assert panel.error.text() == "", panel.error.text()
    assert seg.poses is not None and seg.poses.people
    validate_pose_track(seg.poses, seg.duration)
    assert len(project.timeline.undo_stack) == undo_before + 1
    assert "person" in panel.pose_text.text() or "people" in panel.pose_text.text()
    assert panel.pose_from_clip.isEnabled()
    project.undo()
    assert project.sequence.item(1).poses is None
