"""Linked audio in the window: a video file with sound placed on the timeline is a picture
and a linked sound clip that click, drag, trim and delete together; Alt takes one alone,
which is how a J cut is made; the clip menu unlinks and links, Shift+E disables, and a
track header's menu renames and deletes a track. Real mouse and key events on the real
window."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.timeline_view import HEADER_W  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_sync_test_video  # noqa: E402
from tests.app.shown import shown  # noqa: E402
from tests.app.test_context_menus import on, pick, right_click  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Any:
    """Two shots of one 100-frame file with sound, each a picture on V1 linked to its sound
    on A1: [0,40) from source 0 and [40,80) from source 20."""
    clip = write_sync_test_video(tmp_path / "sync.mov", seconds=4, fps=Fraction(25),
                                 size=(320, 180))
    path = tmp_path / "linked.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320,
                                               height=180)) as p:
        [asset] = p.import_media([clip])
        assert asset.media_info(Fraction(25)).has_audio
        p.apply([
            {"op": "overwrite", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40,
             "at": 0, "audio": "A1"},
            {"op": "overwrite", "track": "V1", "asset": 1, "source_in": 20, "source_out": 60,
             "at": 40, "audio": "A1"},
        ])
    w = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    w.timeline.pixels_per_frame = 10.0
    w.timeline.scroll_frames = 0
    yield w
    w.close()


def lay(window: MainWindow, track: str) -> list[tuple[int, int, int]]:
    return [(i.start, i.end, i.source_in) for i in window.project.sequence.track(track)]


def drag(view: Any, start: QPoint, end: QPoint, mods: Qt.KeyboardModifier = NONE) -> None:
    QTest.mousePress(view, LEFT, mods, start)
    for k in range(1, 5):
        QTest.mouseMove(view, start + (end - start) * k / 4)
    view.grab()  # paints the gesture's ghosts (the linked clip's too)
    QTest.mouseRelease(view, LEFT, mods, end)


def edge(view: Any, frame: int, track: str, side: str) -> QPoint:
    p = on(view, frame, track)
    return QPoint(p.x() + (2 if side == "in" else -2), p.y())


def test_a_click_selects_the_pair_and_a_drag_moves_both(window: MainWindow) -> None:
    view = window.timeline
    seq = window.project.sequence
    v2, a2 = seq.track("V1").items[1], seq.track("A1").items[1]
    QTest.mouseClick(view, LEFT, NONE, on(view, 60))
    assert view.selection == {v2.id, a2.id}
    QTest.mouseClick(view, LEFT, ALT, on(view, 60))  # Alt: the picture alone
    assert view.selection == {v2.id}
    drag(view, on(view, 60), on(view, 70))
    assert lay(window, "V1")[1] == lay(window, "A1")[1] == (50, 90, 20)
    window.undo_action.trigger()
    assert lay(window, "V1")[1] == lay(window, "A1")[1] == (40, 80, 20)


def test_a_j_cut_by_alt_trimming_the_sound_and_undo_step_by_step(window: MainWindow) -> None:
    """The second shot's sound starts 10 frames before its picture: Alt-drag the first
    sound's out edge back, then the second sound's in edge back onto it."""
    view = window.timeline
    drag(view, edge(view, 40, "A1", "out"), edge(view, 30, "A1", "out"), ALT)
    assert lay(window, "A1") == [(0, 30, 0), (40, 80, 20)]
    assert lay(window, "V1") == [(0, 40, 0), (40, 80, 20)]  # the picture did not move
    drag(view, edge(view, 40, "A1", "in"), edge(view, 30, "A1", "in"), ALT)
    assert lay(window, "A1") == [(0, 30, 0), (30, 80, 10)]
    assert lay(window, "V1") == [(0, 40, 0), (40, 80, 20)]
    seq = window.project.sequence
    assert seq.linked(seq.track("A1").items[1]) == [seq.track("V1").items[1]]  # still linked
    window.undo_action.trigger()
    assert lay(window, "A1") == [(0, 30, 0), (40, 80, 20)]
    window.undo_action.trigger()
    assert lay(window, "A1") == [(0, 40, 0), (40, 80, 20)]
    # Without Alt a trim takes the linked edge along.
    drag(view, edge(view, 80, "V1", "out"), edge(view, 70, "V1", "out"))
    assert lay(window, "V1")[1] == lay(window, "A1")[1] == (40, 70, 20)


def test_delete_takes_the_pair_and_the_menu_unlinks_and_links(window: MainWindow) -> None:
    view = window.timeline
    seq = window.project.sequence
    QTest.mouseClick(view, LEFT, NONE, on(view, 10))
    window._on_selected("lift")
    assert lay(window, "V1") == [(40, 80, 20)] and lay(window, "A1") == [(40, 80, 20)]
    window.undo_action.trigger()
    menu = right_click(view, on(view, 60))
    pick(menu, "Unlink")
    v2 = seq.track("V1").items[1]
    assert seq.linked(v2) == [] and view.selection == {v2.id}
    drag(view, on(view, 60), on(view, 65))
    assert lay(window, "V1")[1] == (45, 85, 20) and lay(window, "A1")[1] == (40, 80, 20)
    # Select both again (Ctrl+click adds the sound) and link them from the menu.
    QTest.mouseClick(view, LEFT, Qt.KeyboardModifier.ControlModifier, on(view, 60, "A1"))
    pick(right_click(view, on(view, 60)), "Link")
    assert seq.linked(seq.track("V1").items[1]) == [seq.track("A1").items[1]]


def test_shift_e_disables_the_pair_dimmed_and_silent(window: MainWindow) -> None:
    view = window.timeline
    seq = window.project.sequence
    act = window.edit_actions.actions["enable"]
    assert act.shortcut().toString() == "Shift+E"
    QTest.mouseClick(view, LEFT, NONE, on(view, 10))
    act.trigger()
    assert [i.enabled for i in seq.all_items() if i.start == 0] == [False, False]
    assert window.project.timeline.undo_label == "Disable 2 items"
    view.grab()  # paints the dimmed clips
    pick(right_click(view, on(view, 10)), "Enable")
    assert all(i.enabled for i in seq.all_items())


def test_the_track_menu_renames_and_deletes_a_track(window: MainWindow) -> None:
    view = window.timeline
    rect = view._row_rect("A2")
    assert rect is not None
    header = QPoint(HEADER_W // 2, round(rect.center().y()))
    menu = right_click(view, header)
    assert "Rename A2…" in [a.text() for a in menu.actions()]
    assert window.edit_actions.rename_track("A2", ask=lambda current: ("Music", True))
    assert window.project.sequence.track("A2").info.shown == "Music"
    pick(right_click(view, header), "Delete Track Music")
    assert "A2" not in window.project.sequence.tracks
    window.undo_action.trigger()
    assert window.project.sequence.track("A2").info.label == "Music"


def test_bin_remove_unused_keeps_what_a_clip_or_an_undo_uses(window: MainWindow,
                                                             tmp_path: Path) -> None:
    project = window.project
    spare = write_sync_test_video(tmp_path / "spare.mov", seconds=1, fps=Fraction(25),
                                  size=(160, 90))
    gone = write_sync_test_video(tmp_path / "gone.mov", seconds=1, fps=Fraction(25),
                                 size=(160, 90))
    spare_id, gone_id = (a.id for a in project.import_media([spare, gone]))
    # gone.mov was on the timeline and deleted: an undo could bring it back, so it stays.
    window.run({"op": "append", "track": "V2", "asset": gone_id, "source_in": 0,
                "source_out": 10})
    window.run({"op": "lift", "item": project.sequence.track("V2").items[0].id})
    window.refresh()
    media_bin = window.bin
    media_bin.customContextMenuRequested.emit(
        media_bin.visualItemRect(media_bin.item(0)).center())
    menu = window.edit_actions.last_menu
    assert menu is not None
    pick(menu, "Remove Unused")
    assert "Removed 1 unused item" in window.statusBar().currentMessage()
    assert sorted(project.assets) == [1, gone_id] and media_bin.count() == 2
    assert spare.exists()  # the file is not touched
    with Project.open(tmp_path / "linked.takeline", read_only=True) as again:
        assert sorted(again.assets) == [1, gone_id]
