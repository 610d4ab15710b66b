"""The window fits a 1280x720 screen: it can be made that small, and every dock keeps some
room (docks scroll rather than clip, app.window_layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtWidgets import QDockWidget  # noqa: E402

from app.main import MainWindow  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


def test_the_window_shrinks_to_1280_by_720(qtbot: Any, tmp_path: Path) -> None:
    project = Project.create(tmp_path / "small.takeline", SequenceSettings())
    w = shown(qtbot, MainWindow(project, use_audio_device=False))
    try:
        hint = w.minimumSizeHint()
        assert hint.width() <= 1280 and hint.height() <= 720, hint
        w.resize(1280, 720)
        qtbot.waitUntil(lambda: (w.width(), w.height()) == (1280, 720), timeout=2000)
        for dock in w.findChildren(QDockWidget):
            if dock.isVisible() and not dock.isFloating():
                assert dock.width() > 0 and dock.height() > 0, dock.objectName()
        assert w.timeline.width() > 400 and w.timeline.height() > 100
    finally:
        w.close()
