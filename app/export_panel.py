"""Export from the window: a dialog (preset, range, file) and a queue panel where every
export shows its progress, ETA, a cancel button, and the error and Retry when it fails.
Each export runs in a child process (``timeline.engine.export_process``), watched from
the render queue's thread; the window never waits for them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.layouts import confirm
from app.theme import error_html
from project_store.project import Project
from services.render_sources import plan_sources
from timeline.engine.background import JobHandle, JobState
from timeline.engine.export import (
    PRESETS,
    ExportError,
    ExportTargetExists,
    available_presets,
    export_range,
    export_target,
)
from timeline.engine.export_process import ExportRequest, export_in_subprocess
from timeline.engine.render_queue import RenderQueue


class ExportDialog(QDialog):
    """Choose a preset, a range and a file name."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        seq = project.sequence
        self.preset = QComboBox()
        for preset in available_presets():
            self.preset.addItem(f"{preset.name} — {preset.description}", preset.name)
        self.range = QComboBox()
        self.range.addItem(f"Whole sequence (0–{seq.duration_frames})",
                           (0, seq.duration_frames))
        if seq.in_point is not None or seq.out_point is not None:
            try:  # an out point past the end stops at the end (export_range's rule)
                a, b = export_range(seq)
            except ExportError:
                pass  # in point at or past the end: nothing to offer
            else:
                self.range.addItem(f"In to out ({a}–{b})", (a, b))
                self.range.setCurrentIndex(1)
        self.path = QLineEdit(str(project.path.with_name(project.path.stem + "_export")))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Preset", self.preset)
        form.addRow("Range", self.range)
        form.addRow("File", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    overwrite = False  # set when the user agreed to replace what is at the target

    def accept(self) -> None:
        """Refuse a target the export may not write, and ask before replacing one (the
        rules are export_target's; this only asks the question)."""
        preset_name, _range, out = self.choice()
        self.overwrite = False
        try:
            export_target(out, PRESETS[preset_name])
        except ExportTargetExists as exc:
            if not self.confirm_replace(exc.path):
                return
            self.overwrite = True
        except ExportError as exc:
            QMessageBox.warning(self, "Export", str(exc))
            return
        super().accept()

    def confirm_replace(self, path: Path) -> bool:
        return confirm(self, "Replace existing export?",
                       f"{path} already exists.\n\nReplace it? The old one is kept until the "
                       "new export has finished.")

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if path:
            self.path.setText(path)

    def choice(self) -> tuple[str, tuple[int, int], Path]:
        return self.preset.currentData(), self.range.currentData(), Path(self.path.text())


class ExportQueuePanel(QWidget):
    """One row per export: name, progress bar with ETA, cancel; errors stay visible."""

    _changed = Signal(object)  # JobHandle, from the render thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = RenderQueue(on_update=self._changed.emit)
        self._rows: dict[int, tuple[QProgressBar, QLabel, QPushButton, QPushButton]] = {}
        self._requests: dict[int, tuple[Project, str, tuple[int, int], Path, bool]] = {}
        self._started: dict[int, float] = {}
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(QLabel("<b>Exports</b>"))
        self._layout.addStretch(1)
        self._changed.connect(self._on_changed)

    def add(self, project: Project, preset_name: str, frame_range: tuple[int, int],
            out: Path, overwrite: bool = False) -> JobHandle:
        # The sequence is copied into the job through a snapshot of what it needs now:
        # later edits do not change an export that is already queued.
        from timeline.changes import ItemOp, apply_op
        from timeline.model import Sequence, Track

        seq = Sequence(project.sequence.settings)
        for name, track in project.sequence.tracks.items():
            copy = Track(track.info)
            copy.transitions = dict(track.transitions)
            seq.tracks[name] = copy
        for item in project.sequence.all_items():
            apply_op(seq, ItemOp(None, item))
        seq.in_point, seq.out_point = project.sequence.in_point, project.sequence.out_point
        info = {"path": str(project.path), "name": project.name}
        plan = plan_sources(project, use_proxies=False)  # export renders the originals
        request = ExportRequest(seq, out, PRESETS[preset_name], probes=plan.probes,
                                takes=plan.takes, sample_rate=plan.sample_rate,
                                first=frame_range[0], end=frame_range[1],
                                overwrite=overwrite, project=info, offline=plan.offline,
                                audio_takes={t: str(p) for t, p in plan.audio_takes.items()})

        def run(progress: Any, cancelled: Any) -> Any:
            # In a child process: rendering and encoding on a thread of this one would
            # hold the GIL for tens of milliseconds at a time and stall the UI thread.
            return export_in_subprocess(request, progress=progress, cancelled=cancelled)

        handle = self.queue.add(f"{out.name} ({preset_name})", run)
        bar = QProgressBar()
        bar.setRange(0, 1000)
        label = QLabel(handle.name)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(lambda: self.queue.cancel(handle))
        retry = QPushButton("Retry")
        retry.hide()
        retry.clicked.connect(lambda: self.retry(handle))
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(label, 2)
        lay.addWidget(bar, 3)
        lay.addWidget(cancel)
        lay.addWidget(retry)
        self._layout.insertWidget(self._layout.count() - 1, row)
        self._rows[id(handle)] = (bar, label, cancel, retry)
        self._requests[id(handle)] = (project, preset_name, frame_range, out, overwrite)
        return handle

    def retry(self, handle: JobHandle) -> JobHandle | None:
        """Export a failed or cancelled job again, from the project as it is now."""
        request = self._requests.get(id(handle))
        if request is None or handle.state not in (JobState.FAILED, JobState.CANCELLED):
            return None
        self._rows[id(handle)][3].setEnabled(False)
        return self.add(*request)

    def _on_changed(self, handle: JobHandle) -> None:
        row = self._rows.get(id(handle))
        if row is None:
            return
        bar, label, cancel, retry = row
        bar.setValue(int(handle.fraction * 1000))
        done, total = handle.progress
        if handle.state is JobState.RUNNING:
            started = self._started.setdefault(id(handle), time.monotonic())
        if handle.state is JobState.RUNNING and done:
            eta = (time.monotonic() - started) / done * (total - done)
            bar.setFormat(f"{done}/{total} · ETA {eta:.0f} s")
        elif handle.state is JobState.DONE:
            bar.setValue(1000)
            bar.setFormat("Done")
            cancel.setEnabled(False)
        elif handle.state in (JobState.FAILED, JobState.CANCELLED):
            bar.setFormat(handle.state.value.capitalize())
            cancel.setEnabled(False)
            retry.show()
            if handle.error:
                label.setText(error_html(str(handle.error)))
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def close_queue(self) -> None:
        self.queue.close()
