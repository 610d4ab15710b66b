"""Small layout builders the docks and editors share."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QVBoxLayout


def group_box(title: str, *rows: Any) -> QGroupBox:
    """A titled box of rows, top to bottom: a widget, or a list of widgets side by side
    (``(widget, stretch)`` for one that takes the spare width)."""
    box = QGroupBox(title)
    lay = QVBoxLayout(box)
    for row in rows:
        if not isinstance(row, list):
            lay.addWidget(row)
            continue
        line = QHBoxLayout()
        for part in row:
            widget, stretch = part if isinstance(part, tuple) else (part, 0)
            line.addWidget(widget, stretch)
        lay.addLayout(line)
    return box


def confirm(parent: Any, title: str, text: str) -> bool:
    """A yes/no question whose safe answer (No) is the default: True only for Yes."""
    from PySide6.QtWidgets import QMessageBox

    buttons = QMessageBox.StandardButton
    return QMessageBox.question(parent, title, text, buttons.Yes | buttons.No,
                                buttons.No) == buttons.Yes
