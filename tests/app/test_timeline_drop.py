"""Dropping media onto the timeline: bin items (the bin's own mime data, asset ids) and
files from the desktop, overwrite by default and insert with Ctrl, one undo step per drop.

The drag events are the ones Qt delivers to the timeline during a drag: QDragEnterEvent,
QDragMoveEvent and QDropEvent carrying the QMimeData that ``MediaBin.mimeData`` makes for
its items (what QListWidget's own drag would carry), sent with ``QApplication.sendEvent``
(offscreen Qt has no drag-and-drop session to run a real QDrag in)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.timeline_drop import ASSET_MIME, mime_assets  # noqa: E402
from app.timeline_view import TimelineView  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video, write_tone_and_clicks_wav  # noqa: E402
from tests.app.shown import shown, undo_depth  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402

NONE = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
COPY = Qt.DropAction.CopyAction
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    return {
        "bars": write_color_bars_video(tmp_path / "bars.mp4", seconds=1, fps=Fraction(25),
                                       size=(320, 180)),  # 25 frames, with sound
        "tone": write_tone_and_clicks_wav(tmp_path / "tone.wav", seconds=1),
        "long": write_color_bars_video(tmp_path / "long.mp4", seconds=2, fps=Fraction(25),
                                       size=(320, 180), with_audio=False),
    }


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, media: dict[str, Path]) -> Any:
    """V1: the 50-frame long.mp4 (asset 3) at 0-50; bars (1) and tone (2) in the bin."""
    path = tmp_path / "drop.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320,
                                               height=180)) as p:
        p.import_media([media["bars"], media["tone"], media["long"]])
        p.execute({"op": "append", "track": "V1", "asset": 3, "source_in": 0,
                   "source_out": 50})
    w = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    w.timeline.pixels_per_frame = 8.0  # snapping tolerance ceil(8 / 8) = 1 frame
    w.timeline.scroll_frames = 0
    yield w
    w.close()


def bin_mime(window: MainWindow, asset_id: int) -> QMimeData:
    """What the bin's drag of that item carries."""
    entry = next(window.bin.item(r) for r in range(window.bin.count())
                 if window.bin.item(r).data(Qt.ItemDataRole.UserRole) == asset_id)
    return window.bin.mimeData([entry])


def at(view: TimelineView, frame: float, track: str = "V1") -> QPointF:
    rect = view._row_rect(track)
    assert rect is not None
    return QPointF(view.x_of(frame), rect.center().y())


def hover(view: TimelineView, mime: QMimeData, pos: QPointF,
          mods: Qt.KeyboardModifier = NONE) -> QDragMoveEvent:
    enter = QDragEnterEvent(pos.toPoint(), COPY, mime, LEFT, mods)
    QApplication.sendEvent(view, enter)
    move = QDragMoveEvent(pos.toPoint(), COPY, mime, LEFT, mods)
    QApplication.sendEvent(view, move)
    return move


def drop(view: TimelineView, mime: QMimeData, pos: QPointF,
         mods: Qt.KeyboardModifier = NONE) -> QDropEvent:
    hover(view, mime, pos, mods)
    event = QDropEvent(pos, COPY, mime, LEFT, mods)
    QApplication.sendEvent(view, event)
    return event


def v1(window: MainWindow) -> list[tuple[int, int, int]]:
    """(start, end, asset) on V1."""
    return [(i.start, i.end, i.asset) for i in window.project.sequence.track("V1")]


def test_the_bins_drag_carries_asset_ids_and_files(window: MainWindow) -> None:
    mime = bin_mime(window, 1)
    assert mime.hasFormat(ASSET_MIME) and mime_assets(mime) == [1]
    assert [u.toLocalFile() for u in mime.urls()] == [window.project.assets[1].path]


def test_a_drop_from_the_bin_overwrites_in_one_undo_step(window: MainWindow) -> None:
    view = window.timeline
    depth = undo_depth(window.project)
    event = drop(view, bin_mime(window, 1), at(view, 10.2))
    assert event.isAccepted()
    assert v1(window) == [(0, 10, 3), (10, 35, 1), (35, 50, 3)]
    assert undo_depth(window.project) == depth + 1
    assert window.undo_action.text() == "Undo Overwrite bars.mp4"
    assert view.drops.hover is None  # the ghost is gone
    window.undo_action.trigger()
    assert v1(window) == [(0, 50, 3)]


def test_ctrl_drop_inserts_and_pushes_what_follows(window: MainWindow) -> None:
    view = window.timeline
    depth = undo_depth(window.project)
    drop(view, bin_mime(window, 1), at(view, 10.2), CTRL)
    assert v1(window) == [(0, 10, 3), (10, 35, 1), (35, 75, 3)]
    assert undo_depth(window.project) == depth + 1
    assert window.project.timeline.undo_label == "Insert bars.mp4"
    window.undo_action.trigger()
    assert v1(window) == [(0, 50, 3)]


def test_the_ghost_snaps_and_says_overwrite_or_insert(window: MainWindow) -> None:
    view = window.timeline
    mime = bin_mime(window, 1)
    hover(view, mime, at(view, 50.6, "V2"))  # within a frame of V1's end at 50
    plan = view.drops.hover.plan if view.drops.hover else None
    assert plan is not None and (plan.track, plan.start, plan.snap) == ("V2", 50, 50)
    assert view.drops.label(window.project.sequence).startswith("Overwrite bars.mp4 on V2")
    assert not view.grab().isNull()  # ghost, snap line and label paint
    hover(view, mime, at(view, 50.6, "V2"), CTRL)
    assert view.drops.label(window.project.sequence).startswith("Insert bars.mp4 on V2")
    QApplication.sendEvent(view, QDragLeaveEvent())
    assert view.drops.hover is None
    assert len(window.project.sequence.track("V2")) == 0  # hovering edits nothing


def test_a_clip_that_does_not_fit_the_track_is_refused_with_the_reason(
        window: MainWindow) -> None:
    view = window.timeline
    before = window.project.sequence.snapshot()
    depth = undo_depth(window.project)
    move = hover(view, bin_mime(window, 2), at(view, 60, "V1"))  # a WAV onto a video track
    assert not move.isAccepted()
    assert "tone.wav has no picture" in window.statusBar().currentMessage()
    event = drop(view, bin_mime(window, 2), at(view, 60, "V1"))
    assert not event.isAccepted()
    assert window.project.sequence.snapshot() == before
    assert undo_depth(window.project) == depth
    # Onto an audio track it lands there.
    drop(view, bin_mime(window, 2), at(view, 5, "A1"))
    assert [(i.start, i.asset) for i in window.project.sequence.track("A1")] == [(5, 2)]


def test_files_from_the_desktop_are_imported_then_placed(qtbot: Any, window: MainWindow,
                                                         tmp_path: Path) -> None:
    view = window.timeline
    extra = write_color_bars_video(tmp_path / "extra.mp4", seconds=1, fps=Fraction(25),
                                   size=(320, 180), with_audio=False)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(extra))])
    hover(view, mime, at(view, 20.2, "V2"), CTRL)
    assert view.drops.label(window.project.sequence).startswith(
        "Import 1 file(s), then insert on V2")
    depth = undo_depth(window.project)
    event = drop(view, mime, at(view, 20.2, "V2"), CTRL)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: len(window.project.sequence.track("V2")) == 1, timeout=30000)
    [clip] = window.project.sequence.track("V2")
    assert (clip.start, clip.duration) == (20, 25)
    assert window.project.assets[clip.asset].name == "extra.mp4"
    assert window.bin.count() == 4  # in the bin too
    assert undo_depth(window.project) == depth + 1  # the import is not an edit; the drop is


def test_the_bins_own_drag_carries_the_asset_mime(window: MainWindow) -> None:
    """QAbstractItemView.startDrag, what a mouse drag of a selected item calls, makes its
    QDrag's data with the model's mimeData of the selected indexes (which asks the bin's
    ``mimeData``); dropping that on the timeline places the asset."""
    window.bin.setCurrentRow(0)
    mime = window.bin.model().mimeData(window.bin.selectedIndexes())
    assert mime_assets(mime) == [1]
    assert ASSET_MIME in window.bin.mimeTypes()
    drop(window.timeline, mime, at(window.timeline, 60))
    assert v1(window)[-1] == (60, 85, 1)


def test_an_in_out_range_dragged_as_mime_drops_just_those_frames(window: MainWindow) -> None:
    """What a source monitor drags: ``asset_mime`` with a ``DropSource`` (its In/Out)."""
    from app.timeline_drop import asset_mime
    from timeline.gestures import DropSource

    view = window.timeline
    drop(view, asset_mime([DropSource(1, 5, 15)]), at(view, 30.2, "V2"), CTRL)
    [clip] = window.project.sequence.track("V2")
    assert (clip.start, clip.end, clip.source_in, clip.asset) == (30, 40, 5, 1)


def test_a_dropped_folder_places_the_files_under_it(qtbot: Any, window: MainWindow,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("a", "b"):
        write_color_bars_video(folder / f"{name}.mp4", seconds=1, fps=Fraction(25),
                               size=(320, 180), with_audio=False)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    drop(window.timeline, mime, at(window.timeline, 100, "V2"))
    qtbot.waitUntil(lambda: len(window.project.sequence.track("V2")) == 2, timeout=30000)
    placed = [(i.start, i.end, window.project.assets[i.asset].name)
              for i in window.project.sequence.track("V2")]
    assert placed == [(100, 125, "a.mp4"), (125, 150, "b.mp4")]
    assert window.project.timeline.undo_label == "Overwrite 2 clips"
