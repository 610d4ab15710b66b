"""The Jobs dock: every long job of the window in one list — generation jobs (from the
Generate dock's runner) and exports (the render queue) — each with its progress bar, ETA,
Cancel, Retry and, when it failed, the error."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget


class JobsPanel(QScrollArea):
    def __init__(self, generation_jobs: QWidget, exports: QWidget,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(generation_jobs)
        layout.addWidget(exports)
        layout.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
