"""The Model manager dialog (Generation > Models…): installed diffusers pipelines and pulling
new ones from the Hugging Face Hub.

Listing walks the model folders (it stats every file for the size) and pulling downloads
gigabytes, so both run in background threads; results come back through queued signals.
A pull can be cancelled: the progress callback, called from the download threads, raises
once cancel was asked, which stops the download; what was fetched stays in the cache and a
later pull resumes it. Before the first byte (connecting, fetching model_index.json) the
pull cannot be interrupted, so the dialog ignores its result once cancelled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.theme import ERROR_TEXT_STYLE
from generation.installed_models import (
    InstalledModel,
    ModelError,
    format_size,
    list_installed,
    pull_model,
)

ListFn = Callable[..., list[InstalledModel]]
PullFn = Callable[..., InstalledModel]


class PullCancelled(Exception):
    """Raised inside the download threads once the user cancelled."""


class _Bridge(QObject):
    """Signals emitted from worker threads, delivered on the UI thread."""

    listed = Signal(int, list, str)  # generation, models, error ("" when none)
    progress = Signal(int, object, object)  # pull number, bytes done, bytes total
    pulled = Signal(int, object, str)  # pull number, InstalledModel or None, error


def _emit(signal: Any, *args: Any) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:  # the dialog was closed and deleted meanwhile
        pass


class ModelManagerDialog(QDialog):
    """Installed models (id, pipeline class, revision, size, path) and a Pull field."""

    models_changed = Signal()  # a pull finished: model pickers should reload

    COLUMNS = ("Model", "Pipeline", "Backends", "Revision", "Size", "Path")

    def __init__(self, parent: QWidget | None = None, *,
                 cache_dir: Path | None = None,
                 extra_folders: Sequence[Path] = (),
                 list_fn: ListFn = list_installed,
                 pull_fn: PullFn = pull_model) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 420)
        self.cache_dir = cache_dir
        self.extra_folders: list[Path] = [Path(f) for f in extra_folders]
        self.list_fn = list_fn
        self.pull_fn = pull_fn
        self.models: list[InstalledModel] = []
        self._bridge = _Bridge(self)
        self._bridge.listed.connect(self._on_listed)
        self._bridge.progress.connect(self._on_progress)
        self._bridge.pulled.connect(self._on_pulled)
        self._list_gen = 0
        self._pull_number = 0
        self._cancel: threading.Event | None = None
        self.listing = False
        self.pulling = False

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list_status = QLabel()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.folder_button = QPushButton("Show Folder…")
        self.folder_button.setToolTip("Also list the pipeline folders in a local folder "
                                      "(models copied from another machine)")
        self.folder_button.clicked.connect(self._choose_folder)
        list_row = QHBoxLayout()
        list_row.addWidget(self.list_status, 1)
        list_row.addWidget(self.folder_button)
        list_row.addWidget(self.refresh_button)

        self.repo = QLineEdit()
        self.repo.setPlaceholderText("Hugging Face repo id, e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
        self.repo.returnPressed.connect(self.pull)
        self.revision = QLineEdit()
        self.revision.setPlaceholderText("revision (main)")
        self.revision.setMaximumWidth(160)
        self.pull_button = QPushButton("Pull")
        self.pull_button.clicked.connect(self.pull)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_pull)
        pull_row = QHBoxLayout()
        pull_row.addWidget(QLabel("Pull…"))
        pull_row.addWidget(self.repo, 1)
        pull_row.addWidget(self.revision)
        pull_row.addWidget(self.pull_button)
        pull_row.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Installed models (Hugging Face cache"
                             + (f" at {cache_dir}" if cache_dir else "") + ")"))
        lay.addWidget(self.table, 1)
        lay.addLayout(list_row)
        lay.addLayout(pull_row)
        lay.addWidget(self.progress)
        lay.addWidget(self.message)
        lay.addWidget(close)
        self.refresh()

    # ------------------------------------------------------------------ listing
    def refresh(self) -> None:
        """List the installed models again, in a background thread."""
        self._list_gen += 1
        gen = self._list_gen
        self.listing = True
        self.list_status.setText("Listing models…")
        cache_dir, folders, list_fn = self.cache_dir, list(self.extra_folders), self.list_fn

        def work() -> None:
            try:
                models = list_fn(cache_dir=cache_dir, extra_folders=folders)
                _emit(self._bridge.listed, gen, list(models), "")
            except Exception as exc:  # a broken cache is a message, not a crash
                _emit(self._bridge.listed, gen, [], f"{type(exc).__name__}: {exc}")

        threading.Thread(target=work, name="models-list", daemon=True).start()

    def _on_listed(self, gen: int, models: list[InstalledModel], error: str) -> None:
        if gen != self._list_gen:
            return  # a newer listing is on its way
        self.listing = False
        self.models = models
        self.table.setRowCount(len(models))
        for row, m in enumerate(models):
            values = (m.id, m.pipeline_class, ", ".join(m.backends) or "—", m.revision[:12],
                      format_size(m.size_bytes), str(m.path))
            for col, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.table.setItem(row, col, cell)
            if not m.safetensors_only:
                self.table.item(row, 0).setToolTip(
                    f"{m.id} holds pickle-based weights; Takeline will not load it")
        total = sum(m.size_bytes for m in models)
        if error:
            self.list_status.setText(f"Cannot list models: {error}")
        elif models:
            self.list_status.setText(f"{len(models)} model(s), {format_size(total)}")
        else:
            self.list_status.setText("No models installed: pull one below, or show a folder "
                                     "that holds copied pipeline folders.")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with pipeline folders")
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        if folder not in self.extra_folders:
            self.extra_folders.append(folder)
        self.refresh()

    # ------------------------------------------------------------------ pulling
    def pull(self) -> bool:
        """Start pulling the repo id in the field; False when nothing was started."""
        repo_id = self.repo.text().strip()
        if self.pulling:
            return False
        if not repo_id:
            self._show_error("Type a Hugging Face repo id to pull, e.g. "
                             "Wan-AI/Wan2.1-T2V-1.3B-Diffusers.")
            return False
        revision = self.revision.text().strip() or None
        self._pull_number += 1
        number = self._pull_number
        cancel = self._cancel = threading.Event()
        self.pulling = True
        self.pull_button.setEnabled(False)
        self.repo.setEnabled(False)
        self.revision.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)  # busy until the size is known
        self.message.setStyleSheet("")
        self.message.setText(f"Pulling {repo_id}…")
        pull_fn, cache_dir = self.pull_fn, self.cache_dir

        def progress(done: int, total: int) -> None:
            if cancel.is_set():
                raise PullCancelled()
            _emit(self._bridge.progress, number, done, total)

        def work() -> None:
            try:
                model = pull_fn(repo_id, revision=revision, cache_dir=cache_dir,
                                progress=progress)
                _emit(self._bridge.pulled, number, model, "")
            except PullCancelled:
                _emit(self._bridge.pulled, number, None, "cancelled")
            except ModelError as exc:
                _emit(self._bridge.pulled, number, None, str(exc))
            except Exception as exc:  # anything else still ends as a message
                if cancel.is_set():
                    _emit(self._bridge.pulled, number, None, "cancelled")
                else:
                    _emit(self._bridge.pulled, number, None, f"{type(exc).__name__}: {exc}")

        threading.Thread(target=work, name="models-pull", daemon=True).start()
        return True

    def cancel_pull(self) -> None:
        if self._cancel is None or not self.pulling:
            return
        self._cancel.set()
        # The download stops at its next block; the UI is free at once, and a result that
        # still arrives for this pull is ignored.
        self._finish_pull()
        self.message.setText("Pull cancelled. What was fetched stays in the cache; pulling "
                             "again resumes it.")

    def _on_progress(self, number: int, done: int, total: int) -> None:
        if number != self._pull_number or not self.pulling:
            return
        if total > 0:
            # Progress bars are int32: show MiB.
            self.progress.setRange(0, max(1, total >> 20))
            self.progress.setValue(min(done, total) >> 20)
            self.progress.setFormat(f"{format_size(done)} / {format_size(total)}")
        self.message.setText(f"Pulling {self.repo.text().strip()}…")

    def _on_pulled(self, number: int, model: InstalledModel | None, error: str) -> None:
        if number != self._pull_number or not self.pulling:
            return  # cancelled: the user has moved on
        self._finish_pull()
        if model is None:
            if error == "cancelled":
                self.message.setText("Pull cancelled.")
            else:
                self._show_error(f"Cannot pull: {error}")
            return
        self.message.setStyleSheet("")
        self.message.setText(f"Pulled {model.id} ({model.pipeline_class}, "
                             f"{format_size(model.size_bytes)}) into {model.path}")
        self.repo.clear()
        self.refresh()
        self.models_changed.emit()

    def _finish_pull(self) -> None:
        self.pulling = False
        self._cancel = None
        self.pull_button.setEnabled(True)
        self.repo.setEnabled(True)
        self.revision.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)

    def _show_error(self, text: str) -> None:
        self.message.setStyleSheet(ERROR_TEXT_STYLE)
        self.message.setText(text)

    @property
    def error_text(self) -> str:
        return self.message.text()
