"""The Takes dock on a real project with two real previz takes: thumbnails, set active (one
undo step), star, delete with confirmation, and the synced compare view with its recipe diff."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtGui import QAction  # noqa: E402
from PySide6.QtWidgets import QDockWidget, QToolButton  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.models_dialog import ModelManagerDialog  # noqa: E402
from app.takes_browser import (  # noqa: E402
    THUMB_SIZE,  # noqa: E402
    TakesBrowser,
    flatten_recipe,
    recipe_diff,
)
from cli.main import main  # noqa: E402
from project_store.generation_records import GenerationRecords, Take  # noqa: E402
from project_store.project import Project  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    path = tmp_path / "takes.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12,
                   "prompt": "a red fox"})
    assert main(["generate", str(path), "--segment", "1", "--takes", "2", "--seed", "5"]) == 0
    return path


@pytest.fixture
def project(project_path: Path):  # type: ignore[no-untyped-def]
    p = Project.open(project_path)
    yield p
    p.close()


def _browser(qtbot, project: Project, **kwargs) -> TakesBrowser:  # type: ignore[no-untyped-def]
    browser = TakesBrowser(lambda: project, **kwargs)
    qtbot.addWidget(browser)
    browser.resize(900, 600)
    browser.show_segment(project.sequence.find_item(1))
    return browser


def test_flatten_and_diff() -> None:
    a = {"seed": 1, "backend": "wan", "call": {"num_inference_steps": 4},
         "scheduler": {"config": {"shift": 3.0}}, "empty": {}}
    b = {"seed": 2, "backend": "wan", "call": {"num_inference_steps": 8},
         "scheduler": {"config": {"shift": 3.0, "flow": True}}, "empty": {}}
    assert flatten_recipe(a) == {"seed": 1, "backend": "wan", "call.num_inference_steps": 4,
                                 "scheduler.config.shift": 3.0, "empty": {}}
    rows = {key: (va, vb, differs) for key, va, vb, differs in recipe_diff(a, b)}
    assert rows["seed"] == ("1", "2", True)
    assert rows["backend"] == ("wan", "wan", False)
    assert rows["call.num_inference_steps"][2] and not rows["scheduler.config.shift"][2]
    assert rows["scheduler.config.flow"] == ("(absent)", "true", True)


def test_lists_takes_with_thumbnails(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(qtbot, project)
    assert [t.seed for t in browser.takes()] == [5, 6]
    assert browser.table.rowCount() == 2
    qtbot.waitUntil(lambda: all(thumb for _t, thumb, _a in browser.iter_rows()), timeout=10000)
    assert [active for _t, _th, active in browser.iter_rows()] == [False, True]
    assert browser.table.item(1, 1).text().startswith("▶")  # the active take is marked
    assert browser.table.item(0, 2).text() == "5"
    assert browser.table.item(0, 4).text() == "12 × 64x36 @ 24 fps"
    assert not browser.table.item(0, 0).icon().isNull()
    pix = browser.thumbnails[browser.takes()[0].id]
    assert 0 < pix.width() <= 96 and 0 < pix.height() <= 54
    # Cached per take id: a refresh decodes nothing again.
    browser.refresh()
    assert not browser._pending


def _icon_bytes(cell) -> bytes:  # type: ignore[no-untyped-def]
    image = cell.icon().pixmap(THUMB_SIZE).toImage()
    return bytes(image.constBits())


def test_thumbnail_plays_while_hovered(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Big enough for previz to draw its frame counter, so the frames differ.
    path = tmp_path / "hover.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=320, height=180)) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12,
                   "prompt": "a red fox"})
    assert main(["generate", str(path), "--segment", "1", "--seed", "5"]) == 0
    project = Project.open(path)
    browser = _browser(qtbot, project)
    browser.show()
    qtbot.waitExposed(browser)
    qtbot.waitUntil(lambda: all(thumb for _t, thumb, _a in browser.iter_rows()), timeout=10000)
    cell = browser.table.item(0, 0)
    still = _icon_bytes(cell)
    viewport = browser.table.viewport()
    qtbot.mouseMove(viewport, browser.table.visualItemRect(cell).center())
    take = browser.takes()[0]
    qtbot.waitUntil(lambda: browser.hovered == take.id, timeout=5000)
    qtbot.waitUntil(lambda: take.id in browser.hover_strips, timeout=10000)
    assert len(browser.hover_strips[take.id]) == take.frame_count
    seen = set()
    # The previz frames differ (frame counter): the cell shows several of them in turn.
    qtbot.waitUntil(lambda: seen.add(_icon_bytes(cell)) or len(seen) >= 3, timeout=5000)
    # Off the thumbnail column, the still comes back.
    qtbot.mouseMove(viewport, browser.table.visualItemRect(browser.table.item(0, 2)).center())
    qtbot.waitUntil(lambda: browser.hovered is None, timeout=5000)
    assert _icon_bytes(cell) == still
    project.close()


def test_set_active_is_one_undo_step(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(qtbot, project)
    first, second = browser.takes()
    assert project.sequence.find_item(1).active_take == second.id
    undo_depth = len(project.timeline.undo_stack)
    changed: list[bool] = []
    browser.takes_changed.connect(lambda: changed.append(True))
    browser.select(first.id)
    assert browser.active_button.isEnabled()
    browser.active_button.click()
    assert project.sequence.find_item(1).active_take == first.id
    assert len(project.timeline.undo_stack) == undo_depth + 1
    assert changed == [True] and browser.active_take == first.id
    assert browser.table.item(0, 1).text().startswith("▶")
    project.undo()
    browser.refresh()
    assert project.sequence.find_item(1).active_take == second.id
    assert browser.active_take == second.id


def test_star_persists(qtbot, project: Project, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(qtbot, project)
    first = browser.takes()[0]
    star = browser.table.cellWidget(0, 5)
    assert isinstance(star, QToolButton) and star.text() == "☆"
    star.click()
    qtbot.waitUntil(lambda: browser.takes()[0].starred)
    assert browser.table.cellWidget(0, 5).text() == "★"
    with Project.open(project_path, read_only=True) as again:
        assert GenerationRecords(again).take(first.id).starred
    browser.select(first.id)
    assert browser.star_button.text() == "Unstar"
    browser.star_button.click()
    qtbot.waitUntil(lambda: not browser.takes()[0].starred)
    assert not GenerationRecords(project).take(first.id).starred


def test_delete_asks_first(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    answer = [False]

    def confirm(_parent, take: Take) -> bool:  # type: ignore[no-untyped-def]
        asked.append(take.name)
        return answer[0]

    browser = _browser(qtbot, project, confirm_delete=confirm)
    first, second = browser.takes()
    assert first.media_path is not None and first.media_path.is_file()
    browser.select(first.id)
    browser.delete_button.click()
    assert asked == ["Take 1"] and len(browser.takes()) == 2  # declined: nothing changed
    answer[0] = True
    browser.select(first.id)
    browser.delete_button.click()
    assert asked == ["Take 1", "Take 1"]
    assert [t.id for t in browser.takes()] == [second.id]
    assert list(project.sequence.find_item(1).takes) == [second.id]
    assert not first.media_path.exists()
    assert GenerationRecords(project).take(first.id).deleted


def test_compare_plays_in_sync_and_diffs_recipes(qtbot, project: Project) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(qtbot, project)
    first, second = browser.takes()
    assert browser.compare()
    view = browser.compare_view
    assert browser.tabs.currentWidget() is view
    assert (view.player_a.take.id, view.player_b.take.id) == (first.id, second.id)
    assert view.length == 12
    # Decoded in a worker: wait for both takes to be in the frame cache.
    qtbot.waitUntil(lambda: {first.id, second.id} <= view.cache.complete, timeout=10000)
    seen: list[tuple[int, int, int]] = []
    view.timer.timeout.connect(lambda: seen.append(
        (view.position, view.player_a.frame_index, view.player_b.frame_index)))
    view.play_button.click()
    assert view.playing
    qtbot.waitUntil(lambda: view.position >= 5, timeout=5000)
    view.play_button.click()
    assert not view.playing
    assert len(seen) >= 5
    assert all(pos == a == b for pos, a, b in seen)  # the two counters advance together
    assert view.player_a.counter.text().endswith(f"frame {view.position + 1} / 12")
    assert view.player_b.counter.text().endswith(f"frame {view.position + 1} / 12")
    assert view.counter.text() == f"Frame {view.position + 1} / 12"
    assert view.player_a.picture.pixmap() is not None
    # The shared scrub slider moves both.
    view.slider.setValue(9)
    assert view.player_a.frame_index == view.player_b.frame_index == 9
    # Recipe diff: the seed differs, the backend does not; differing rows are highlighted.
    rows = {key: (va, vb, differs) for key, va, vb, differs in view.diff_rows()}
    assert rows["seed"] == ("5", "6", True)
    assert rows["backend"] == ("previz", "previz", False)
    assert "call.num_frames" in rows and not rows["call.num_frames"][2]
    keys = [view.diff.item(r, 0).text() for r in range(view.diff.rowCount())]
    seed_row, backend_row = keys.index("seed"), keys.index("backend")
    assert view.diff.item(seed_row, 1).background().color().alpha() > 0
    assert view.diff.item(backend_row, 1).background().style().name == "NoBrush"
    view.only_diff.setChecked(True)
    keys = [view.diff.item(r, 0).text() for r in range(view.diff.rowCount())]
    assert "seed" in keys and "backend" not in keys
    # Swapping the sides by picking in the combos.
    view.choose(second.id, first.id)
    assert view.player_a.take.id == second.id and view.position == 0
    browser.shutdown()


def test_window_has_takes_dock_following_selection(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    dock = window.findChild(QDockWidget, "takes")
    assert dock is window.takes_dock
    assert dock in window.tabifiedDockWidgets(window.generation_dock)
    assert window.takes_browser.takes() == []
    window.timeline.selected = 1
    window.timeline.selection_changed.emit(1)
    assert [t.seed for t in window.takes_browser.takes()] == [5, 6]
    # Switching the active take from the dock reaches the project and the Generate dock.
    first = window.takes_browser.takes()[0]
    assert window.takes_browser.set_active(first.id)
    assert window.project.sequence.find_item(1).active_take == first.id
    assert window.generation.takes.currentData() == first.id
    # Undo in the window refreshes the dock.
    window.undo()
    assert window.takes_browser.active_take != first.id
    # Generation > Models… opens the model manager.
    models = next(a for a in window.findChildren(QAction) if a.text() == "&Models…")
    models.trigger()
    dialog = window.findChild(ModelManagerDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.listing, timeout=10000)
    dialog.close()
    window.close()
