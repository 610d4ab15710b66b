"""What the Brief dock and the camera-path and pose editors share: one generated segment
of the window's project (read through a getter: File > Open swaps the project), refusals
shown in a red label and reported, and every change committed as one ``set`` edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel

from app.theme import ERROR_STYLE
from project_store.db import ProjectError
from project_store.project import Project
from timeline.conditioning.camera import CameraError
from timeline.conditioning.pose import PoseError, load_pose_file
from timeline.model import EditError, GeneratedSegment

EDIT_ERRORS: tuple[type[Exception], ...] = (CameraError, PoseError, EditError, ProjectError)


def find_segment(project: Project, segment_id: int | None) -> GeneratedSegment | None:
    if segment_id is None:
        return None
    item = project.sequence.find_item(segment_id)
    return item if isinstance(item, GeneratedSegment) else None


def error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class SegmentEditing:
    """Mixed into a QWidget or QDialog that declares ``edited = Signal()`` and ``refresh``;
    call ``_init_segment_editing`` first thing after the Qt base's ``__init__``."""

    edit_errors: tuple[type[Exception], ...] = EDIT_ERRORS
    edited: Any
    error: QLabel

    def _init_segment_editing(self, project: Callable[[], Project], segment_id: int | None,
                              report: Callable[[str], None] | None) -> None:
        self._project = project
        self.segment_id = segment_id
        self.report = report or (lambda _m: None)
        self.error = error_label()

    @property
    def project(self) -> Project:
        return self._project()

    def segment(self) -> GeneratedSegment | None:
        return find_segment(self.project, self.segment_id)

    def refresh(self) -> None:
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        if message:
            self.report(message)

    def _set(self, **props: Any) -> bool:
        """One ``set`` edit on the segment; refusals are shown, never raised."""
        seg = self.segment()
        if seg is None:
            self.show_error("Select a generated segment first")
            return False
        return self._set_on(seg.id, **props)

    def _set_on(self, seg_id: int, **props: Any) -> bool:
        try:
            self.project.execute({"op": "set", "item": seg_id, **props})
        except self.edit_errors as exc:
            self.show_error(str(exc))
            self.refresh()  # put back what the model has (a combo, a field)
            return False
        self.show_error("")
        self.refresh()
        self.edited.emit()
        return True

    # --- poses: the Brief's and the pose editor's Import button
    def _choose_poses(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import poses", "",  # type: ignore[call-overload]
                                              "Pose files (*.json);;All files (*)")
        if path:
            self.import_poses(path)

    def import_poses(self, path: str | Path) -> bool:
        """Replace the segment's poses with an OpenPose JSON / Takeline pose file (pixel
        coordinates are read against the sequence's frame size); a bad file is shown."""
        seg = self.segment()
        if seg is None:
            self.show_error("Select a generated segment first")
            return False
        st = self.project.sequence.settings
        try:
            track = load_pose_file(path, st.width, st.height, seg.duration)
        except self.edit_errors as exc:
            self.show_error(str(exc))
            return False
        self._poses_replaced()
        return self._set(poses=track.to_json())

    def _poses_replaced(self) -> None:
        """Called before imported poses are committed (the pose editor drops its selection)."""
