"""Help > Keyboard Shortcuts: the whole key map, searchable, read from the window's menu
actions (each command and its keys are defined once, where the action is made) and the keys
the source monitor takes while it has focus (``app.source_monitor.FOCUS_KEYS``)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLineEdit,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.source_monitor import FOCUS_KEYS

Row = tuple[str, str, str]  # (where, command, keys)


def _actions(menu: QMenu, path: str) -> list[Row]:
    rows: list[Row] = []
    for act in menu.actions():
        sub = act.menu()
        if isinstance(sub, QMenu):
            rows.extend(_actions(sub, f"{path} > {sub.title().replace('&', '')}"))
            continue
        if act.isSeparator() or not act.text():
            continue
        keys = "  ·  ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                         for k in act.shortcuts())
        rows.append((path, _plain(act), keys))
    return rows


def _plain(act: QAction) -> str:
    return act.text().replace("&", "").replace("…", "...").strip()


def shortcut_rows(menu_bar: QMenuBar) -> list[Row]:
    """Every command of the window's menus with its keys (blank: none), then the source
    monitor's focus keys."""
    rows: list[Row] = []
    for act in menu_bar.actions():
        menu = act.menu()
        if isinstance(menu, QMenu):
            rows.extend(_actions(menu, menu.title().replace("&", "")))
    rows.extend(("Source Monitor (focused)", text, QKeySequence(keys).toString(
        QKeySequence.SequenceFormat.NativeText)) for keys, (text, _m) in FOCUS_KEYS.items())
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 520)
        layout = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search commands or keys (e.g. insert, Shift+)")
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self.rows = shortcut_rows(menu_bar)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Command", "Keys", "Menu"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for r, (where, command, keys) in enumerate(self.rows):
            for c, text in enumerate((command, keys, where)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.search.textChanged.connect(self.filter)
        self.search.setFocus()

    def filter(self, text: str) -> None:
        """Show the rows whose command, keys or menu contain ``text`` (any case)."""
        needle = text.casefold().strip()
        for r, row in enumerate(self.rows):
            self.table.setRowHidden(r, bool(needle) and not any(
                needle in cell.casefold() for cell in row))

    def visible_commands(self) -> list[str]:
        return [self.rows[r][1] for r in range(len(self.rows)) if not self.table.isRowHidden(r)]
