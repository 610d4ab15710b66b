"""Double-click a marker's flag: its name, colour, duration and note, or Delete.

OK commits one ``set_marker`` edit (nothing when nothing changed), Delete one
``remove_marker``; both undo like every edit."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.theme import MARKER_COLOURS
from timeline.model import Marker

COLOURS = tuple(MARKER_COLOURS)  # the colours the timeline paints


class MarkerDialog(QDialog):
    def __init__(self, marker: Marker, timecode: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marker = marker
        self.delete_requested = False
        self.setWindowTitle(f"Marker at {timecode}")
        self.name = QLineEdit(marker.name)
        self.colour = QComboBox()
        self.colour.addItems(list(COLOURS) if marker.color in COLOURS
                             else [*COLOURS, marker.color])
        self.colour.setCurrentText(marker.color)
        self.duration = QSpinBox()
        self.duration.setRange(0, 10_000_000)
        self.duration.setSuffix(" frames")
        self.duration.setValue(marker.duration)
        self.note = QPlainTextEdit(marker.note)
        self.note.setFixedHeight(70)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        delete = buttons.addButton("Delete marker", QDialogButtonBox.ButtonRole.DestructiveRole)
        delete.clicked.connect(self._delete)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Colour", self.colour)
        form.addRow("Duration", self.duration)
        form.addRow("Note", self.note)
        form.addRow(buttons)

    def _delete(self) -> None:
        self.delete_requested = True
        self.accept()

    def edit(self) -> dict[str, Any] | None:
        """The edit the dialog asks for once accepted (None: nothing to do)."""
        if self.delete_requested:
            return {"op": "remove_marker", "marker": self.marker.id}
        new = {"name": self.name.text(), "color": self.colour.currentText(),
               "duration": self.duration.value(), "note": self.note.toPlainText()}
        changed = {k: v for k, v in new.items() if getattr(self.marker, k) != v}
        return {"op": "set_marker", "marker": self.marker.id, **changed} if changed else None
