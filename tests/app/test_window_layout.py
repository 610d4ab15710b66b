"""The window's layout at 1280x720: docks scroll instead of clipping, the layout (geometry,
docks, splitters) comes back on the next start, Window > Reset Layout puts back the built
one. QSettings writes into the test's own folder (conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollArea, QSplitter  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.window_layout import content  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown  # noqa: E402


def open_window(qtbot: Any, path: Path) -> MainWindow:
    window = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    QApplication.processEvents()
    return window


@pytest.fixture
def segment_path(segment_project: Any) -> Path:
    project = segment_project("layout")
    path = project.path
    project.close()
    return path


def test_every_dock_scrolls_and_the_brief_is_reachable_at_1280x720(
        qtbot: Any, segment_path: Path) -> None:
    window = open_window(qtbot, segment_path)
    window.resize(1280, 720)
    window.timeline.selected = 1
    window.timeline.selection_changed.emit(1)
    window.brief_dock.raise_()
    QApplication.processEvents()
    for dock in (window.generation_dock, window.brief_dock, window.takes_dock,
                 window.clip_dock, window.markers_dock, window.jobs_dock):
        assert isinstance(dock.widget(), QScrollArea), dock.objectName()
    area = window.brief_dock.widget()
    assert isinstance(area, QScrollArea) and content(window.brief_dock) is window.brief
    # The Brief is taller than its dock here: a scroll bar reaches its last box.
    bar = area.verticalScrollBar()
    assert window.brief.height() > area.viewport().height() and bar.maximum() > 0
    bar.setValue(bar.maximum())
    QApplication.processEvents()
    cast = window.brief.new_cast_button
    bottom = cast.mapTo(area.viewport(), cast.rect().bottomLeft()).y()
    assert 0 <= bottom <= area.viewport().height()
    # Selecting the segment does not squeeze the Jobs dock below the Generate tabs.
    assert window.jobs_dock.height() >= 100
    window.close()


def test_selecting_a_segment_keeps_the_jobs_dock_its_size(qtbot: Any,
                                                          segment_path: Path) -> None:
    window = open_window(qtbot, segment_path)
    window.resize(1280, 720)
    QApplication.processEvents()
    window.resizeDocks([window.jobs_dock], [260], Qt.Orientation.Vertical)
    QApplication.processEvents()
    before = window.jobs_dock.height()
    # Before the docks scrolled, the Brief's minimum height (its whole form) left the Jobs
    # dock about 120 pixels at 720, whatever it was asked for.
    assert before > 200
    window.timeline.selected = 1
    window.timeline.selection_changed.emit(1)
    for dock in (window.brief_dock, window.generation_dock, window.takes_dock):
        dock.raise_()
        QApplication.processEvents()
        assert window.jobs_dock.height() == before
    window.close()


def test_the_layout_comes_back_after_closing_and_reopening(qtbot: Any,
                                                           segment_path: Path) -> None:
    window = open_window(qtbot, segment_path)
    window.resize(1280, 720)
    QApplication.processEvents()
    window.removeDockWidget(window.markers_dock)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.markers_dock)
    window.markers_dock.show()
    window.takes_dock.hide()
    main_split = window.centralWidget()
    assert isinstance(main_split, QSplitter)
    main_split.setSizes([250, 400])
    QApplication.processEvents()
    sizes = main_split.sizes()
    size = window.size()  # 1280x720, or wider if the central widgets need more
    window.close()

    again = open_window(qtbot, segment_path)
    if again.screen().availableGeometry().width() >= size.width():
        assert again.size() == size
    else:  # Qt keeps a restored window on its screen (offscreen's is 800 wide)
        assert again.height() == size.height() == 720
    assert again.dockWidgetArea(again.markers_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not again.takes_dock.isVisible()
    split = again.centralWidget()
    assert isinstance(split, QSplitter) and split.sizes() == sizes

    # Window > Reset Layout: the docks as the window was built, all of them shown.
    reset = next(a for a in again.menuBar().findChildren(type(again.undo_action))
                 if a.text() == "Reset Layout")
    reset.trigger()
    QApplication.processEvents()
    assert again.dockWidgetArea(again.markers_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert again.takes_dock in again.tabifiedDockWidgets(again.generation_dock)
    assert again.markers_dock in again.tabifiedDockWidgets(again.jobs_dock)
    again.close()


def test_a_window_with_no_saved_layout_opens_as_built(qtbot: Any, segment_path: Path,
                                                      _window_layout_in_a_temporary_folder:
                                                      Path) -> None:
    window = open_window(qtbot, segment_path)
    assert window.window_layout.restore() is False  # nothing saved yet
    assert window.takes_dock in window.tabifiedDockWidgets(window.generation_dock)
    window.close()
    assert list(_window_layout_in_a_temporary_folder.rglob("*.ini"))  # saved on close


def test_edit_and_generate_workspaces_remember_how_they_were_left(
        qtbot: Any, segment_path: Path) -> None:
    window = open_window(qtbot, segment_path)
    actions = window.window_layout.workspace_actions
    assert actions["edit"].shortcut().toString() == "Alt+Shift+1"
    actions["generate"].trigger()
    QApplication.processEvents()
    assert window.brief_dock.isVisibleTo(window) and window.takes_dock.isVisibleTo(window)
    assert not window.clip_dock.isVisibleTo(window)
    assert not window.markers_dock.isVisibleTo(window)
    window.jobs_dock.hide()  # the user's own change to the Generate workspace
    actions["edit"].trigger()
    QApplication.processEvents()
    assert window.clip_dock.isVisibleTo(window) and window.jobs_dock.isVisibleTo(window)
    assert not window.brief_dock.isVisibleTo(window)
    actions["generate"].trigger()
    QApplication.processEvents()
    assert not window.jobs_dock.isVisibleTo(window)  # kept as it was left
    window.close()
    # The next window opens in the Generate workspace, as it was left.
    again = open_window(qtbot, segment_path)
    assert again.window_layout.workspace == "generate"
    assert again.window_layout.workspace_actions["generate"].isChecked()
    assert not again.jobs_dock.isVisibleTo(again) and again.brief_dock.isVisibleTo(again)
    # Reset Layout puts the Generate workspace back as built: Jobs again.
    again.window_layout.reset_action.trigger()
    QApplication.processEvents()
    assert again.jobs_dock.isVisibleTo(again) and not again.clip_dock.isVisibleTo(again)
    again.close()
