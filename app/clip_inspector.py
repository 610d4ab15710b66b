"""The window's Clip dock: the selected clip's gain, opacity, audio fades, proxy switch and
keyframed transform.

Each field commits one ``set`` edit when its editing finishes (one undo step each); the
model's refusals (``EditError``) show in the dock. The dock follows the timeline selection
and is refreshed after every edit, undo and redo (``refresh``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.theme import ERROR_TEXT_STYLE
from project_store.db import ProjectError
from project_store.project import Project
from timeline.engine.compositor import evaluate_transform
from timeline.model import EASINGS, Clip, EditError, TransformKey

# Table columns after the frame: the keyframe's numeric fields, then its easing.
KEY_FIELDS = ("x", "y", "scale", "rotation", "opacity")
COLUMNS = ("frame", *KEY_FIELDS, "easing")


def _key_json(key: TransformKey) -> dict[str, Any]:
    return dict(key._asdict())


class ClipInspector(QWidget):
    edited = Signal()  # a property changed (an undoable edit): refresh the window

    def __init__(self, project: Callable[[], Project], playhead: Callable[[], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self._playhead = playhead
        self.item_id: int | None = None
        self._filling = False

        self.title = QLabel("Select a clip")
        self.gain = QDoubleSpinBox()
        self.gain.setRange(-96.0, 24.0)
        self.gain.setDecimals(1)
        self.gain.setSingleStep(0.5)
        self.gain.setSuffix(" dB")
        self.gain.editingFinished.connect(
            lambda: self._commit_value("gain_db", round(self.gain.value(), 1)))
        self.opacity = QDoubleSpinBox()
        self.opacity.setRange(0.0, 1.0)
        self.opacity.setDecimals(2)
        self.opacity.setSingleStep(0.05)
        self.opacity.editingFinished.connect(
            lambda: self._commit_value("opacity", round(self.opacity.value(), 2)))
        self.fade_in = QSpinBox()
        self.fade_in.setSuffix(" frames")
        self.fade_in.editingFinished.connect(
            lambda: self._commit_value("fade_in", self.fade_in.value()))
        self.fade_out = QSpinBox()
        self.fade_out.setSuffix(" frames")
        self.fade_out.editingFinished.connect(
            lambda: self._commit_value("fade_out", self.fade_out.value()))
        self.use_proxy = QCheckBox("Play from proxy")
        self.use_proxy.toggled.connect(
            lambda on: None if self._filling else self._commit_value("use_proxy", bool(on)))

        self.keys = QTableWidget(0, len(COLUMNS))
        self.keys.setHorizontalHeaderLabels(list(COLUMNS))
        self.keys.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.keys.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.keys.verticalHeader().setVisible(False)
        # Committed after the signal returns: the commit rebuilds the table's cells.
        self.keys.itemChanged.connect(self._on_item_changed)
        self.key_button = QPushButton("Key at playhead")
        self.key_button.setToolTip("Add (or replace) a transform keyframe at the playhead "
                                   "with the values the clip has there now")
        self.key_button.clicked.connect(self.key_at_playhead)
        self.delete_button = QPushButton("Delete key")
        self.delete_button.clicked.connect(self.delete_key)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_TEXT_STYLE)

        form = QFormLayout()
        form.addRow(self.title)
        form.addRow("Gain", self.gain)
        form.addRow("Opacity", self.opacity)
        form.addRow("Fade in", self.fade_in)
        form.addRow("Fade out", self.fade_out)
        form.addRow(self.use_proxy)
        buttons = QHBoxLayout()
        buttons.addWidget(self.key_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Transform keyframes (frames from the clip's start)"))
        layout.addWidget(self.keys, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        self.show_item(None)

    # ------------------------------------------------------------------ display
    def clip(self) -> Clip | None:
        if self.item_id is None:
            return None
        item = self._project().sequence.find_item(self.item_id)
        return item if isinstance(item, Clip) else None

    def show_item(self, item: Any) -> None:
        """Inspect ``item`` when it is a clip (anything else empties the dock)."""
        clip = item if isinstance(item, Clip) else None
        self.item_id = clip.id if clip else None
        self.error.clear()
        self._fill(clip)

    def refresh(self) -> None:
        """Re-read the clip (after an edit, undo or redo); it may be gone."""
        clip = self.clip()
        if clip is None:
            self.item_id = None
        self._fill(clip)

    def _fill(self, clip: Clip | None) -> None:
        self._filling = True
        try:
            for w in (self.gain, self.opacity, self.fade_in, self.fade_out, self.use_proxy,
                      self.keys, self.key_button, self.delete_button):
                w.setEnabled(clip is not None)
            if clip is None:
                self.title.setText("Select a clip")
                self.keys.setRowCount(0)
                return
            self.title.setText(f"Clip {clip.id} on {clip.track}: {clip.duration} frames")
            self.gain.setValue(clip.gain_db)
            self.opacity.setValue(clip.opacity)
            for box, value in ((self.fade_in, clip.fade_in), (self.fade_out, clip.fade_out)):
                box.setRange(0, clip.duration)
                box.setValue(value)
            self.use_proxy.setChecked(clip.use_proxy)
            selected = self.selected_key_frame()
            self.keys.setRowCount(len(clip.transform))
            for row, key in enumerate(clip.transform):
                frame = QTableWidgetItem(str(key.frame))
                frame.setFlags(frame.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.keys.setItem(row, 0, frame)
                for col, name in enumerate(KEY_FIELDS, start=1):
                    self.keys.setItem(row, col, QTableWidgetItem(f"{getattr(key, name):g}"))
                easing = QComboBox()
                easing.addItems(list(EASINGS))
                easing.setCurrentText(key.easing)
                # Committed after the signal returns: the commit rebuilds this table.
                easing.currentTextChanged.connect(
                    lambda text, f=key.frame: None if self._filling else QTimer.singleShot(
                        0, lambda: self._set_key(f, easing=text)))
                self.keys.setCellWidget(row, len(COLUMNS) - 1, easing)
                if key.frame == selected:
                    self.keys.selectRow(row)
        finally:
            self._filling = False

    def selected_key_frame(self) -> int | None:
        rows = self.keys.selectionModel().selectedRows() if self.keys.selectionModel() else []
        row = rows[0].row() if rows else self.keys.currentRow()
        cell = self.keys.item(row, 0) if row >= 0 else None
        return int(cell.text()) if cell is not None else None

    # ------------------------------------------------------------------ edits
    def _execute(self, params: dict[str, Any]) -> bool:
        try:
            self._project().execute(params)
        except (EditError, ProjectError) as exc:
            self.error.setText(f"Cannot change the clip: {exc}")
            self.refresh()  # put the fields back to what the model holds
            return False
        self.error.clear()
        self.edited.emit()
        self.refresh()
        return True

    def _commit_value(self, name: str, value: Any) -> bool:
        clip = self.clip()
        if clip is None or getattr(clip, name) == value:
            return False  # nothing changed: no empty undo step
        return self._execute({"op": "set", "item": clip.id, name: value})

    def _commit_keys(self, keys: list[TransformKey]) -> bool:
        clip = self.clip()
        if clip is None:
            return False
        return self._execute({"op": "set", "item": clip.id,
                              "transform": [_key_json(k) for k in keys]})

    def _set_key(self, frame: int, **changes: Any) -> bool:
        if self._filling:
            return False
        clip = self.clip()
        if clip is None:
            return False
        keys = list(clip.transform)
        for i, key in enumerate(keys):
            if key.frame == frame:
                new = key._replace(**changes)
                if new == key:
                    return False
                keys[i] = new
                return self._commit_keys(keys)
        return False

    def _on_item_changed(self, cell: QTableWidgetItem) -> None:
        if self._filling:
            return
        row, column, text = cell.row(), cell.column(), cell.text()
        QTimer.singleShot(0, lambda: self._cell_changed(row, column, text))

    def _cell_changed(self, row: int, column: int, text: str) -> None:
        if column == 0:
            return
        frame_cell = self.keys.item(row, 0)
        if frame_cell is None:
            return
        name = COLUMNS[column]
        try:
            value = float(text)
        except ValueError:
            self.error.setText(f"{name} must be a number, not {text!r}")
            self.refresh()
            return
        self._set_key(int(frame_cell.text()), **{name: value})

    def key_at_playhead(self) -> bool:
        """Add a keyframe at the playhead (replacing one there) holding the values the clip
        has at that frame now."""
        clip = self.clip()
        if clip is None:
            return False
        k = self._playhead() - clip.start
        if not 0 <= k < clip.duration:
            self.error.setText("Put the playhead over the clip to key its transform")
            return False
        now = evaluate_transform(clip.transform, k) if clip.transform else TransformKey(k)
        keys = [key for key in clip.transform if key.frame != k]
        keys.append(now._replace(frame=k))
        keys.sort()
        return self._commit_keys(keys)

    def delete_key(self) -> bool:
        clip = self.clip()
        frame = self.selected_key_frame()
        if clip is None or frame is None:
            self.error.setText("Select a keyframe to delete")
            return False
        return self._commit_keys([key for key in clip.transform if key.frame != frame])
