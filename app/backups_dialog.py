"""File > Restore Backup…: the project's backups, newest first, one to restore.

The dialog only chooses; ``project_store.backups.restore`` (called by the window, which
closes and reopens the project around it) does the work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from project_store.backups import BackupInfo, backups_dir, list_backups
from project_store.db import ProjectError


def describe_row(b: BackupInfo) -> str:
    when = b.made_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    size = f"{b.size / 1024:.0f} KB" if b.size < 1 << 20 else f"{b.size / (1 << 20):.1f} MB"
    edit = "" if b.edits is None else f"  —  edit {b.edits}" + (
        f" ({b.last_edit})" if b.last_edit else "")
    return f"{b.number}.  {when}   {size}{edit}"


class RestoreBackupDialog(QDialog):
    """Lists the backups of ``project_path``; ``chosen()`` is the number picked (1 = newest)."""

    def __init__(self, project_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore Backup")
        self.resize(520, 360)
        lay = QVBoxLayout(self)
        try:
            self.backups = list_backups(project_path)
            problem = ""
        except ProjectError as exc:
            self.backups, problem = [], str(exc)
        note = (problem or (
            f"Backups of {project_path.name}, newest first (in {backups_dir(project_path)}). "
            "Restoring replaces the project with the backup; the project as it is now is "
            "kept as a backup first." if self.backups else
            f"No backups of {project_path.name} yet: one is made when the project opens and "
            "every few minutes while it changes."))
        label = QLabel(note)
        label.setWordWrap(True)
        lay.addWidget(label)
        self.list = QListWidget()
        for b in self.backups:
            item = QListWidgetItem(describe_row(b))
            item.setToolTip(str(b.path))
            item.setData(Qt.ItemDataRole.UserRole, b.number)
            self.list.addItem(item)
        if self.backups:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        lay.addWidget(self.list, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = buttons.addButton("Restore",
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(bool(self.backups))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def chosen(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))
