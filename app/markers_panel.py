"""The Markers dock: every marker of the sequence in time order (timecode, name, colour,
duration, note). A double-click goes to the marker; Edit opens the marker dialog (as a
double-click on its flag in the ruler does), Delete removes it — each one undo step."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.theme import marker_colour
from timeline.model import Marker, Sequence
from timeline.time import timecode

COLUMNS = ("Timecode", "Name", "Colour", "Duration", "Note")


class MarkersPanel(QWidget):
    def __init__(self, sequence: Callable[[], Sequence], *, go_to: Callable[[int], None],
                 edit: Callable[[int], object], delete: Callable[[int], object],
                 add: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sequence = sequence
        self._go_to, self._edit, self._delete = go_to, edit, delete
        self.markers: list[Marker] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.go_to(row))
        add_button = QPushButton("Add at playhead")
        add_button.setToolTip("Add a marker at the playhead (M)")
        add_button.clicked.connect(add)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(lambda: self._on_selected(self._edit))
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(lambda: self._on_selected(self._delete))
        buttons = QHBoxLayout()
        for b in (add_button, self.edit_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        seq = self._sequence()
        selected = self.selected_marker()
        self.markers = sorted(seq.markers.values(), key=lambda m: (m.frame, m.id))
        self.table.setRowCount(len(self.markers))
        for row, m in enumerate(self.markers):
            colour = QTableWidgetItem(m.color)
            colour.setBackground(QBrush(marker_colour(m.color)))
            cells = (QTableWidgetItem(timecode(m.frame, seq.fps)), QTableWidgetItem(m.name),
                     colour, QTableWidgetItem(str(m.duration) if m.duration else ""),
                     QTableWidgetItem(m.note.replace("\n", " ")))
            for col, cell in enumerate(cells):
                self.table.setItem(row, col, cell)
            if m.id == selected:
                self.table.selectRow(row)
        has = bool(self.markers)
        self.edit_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def selected_marker(self) -> int | None:
        row = self.table.currentRow()
        return self.markers[row].id if 0 <= row < len(self.markers) else None

    def go_to(self, row: int) -> None:
        if 0 <= row < len(self.markers):
            self._go_to(self.markers[row].frame)

    def _on_selected(self, action: Callable[[int], object]) -> None:
        marker = self.selected_marker()
        if marker is not None:
            action(marker)
