"""Right-click menus on clips, tracks, the ruler and the bin, and the clipboard keys.

A right-click is a real QContextMenuEvent sent to the timeline (or the bin's
customContextMenuRequested, what its right-click emits); the menu it pops up is kept in
``window.edit_actions.last_menu`` and each entry is triggered as a click on it would. Every
entry that edits is one undo step."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QContextMenuEvent, QKeySequence  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.timeline_view import RULER_H, TimelineView  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video  # noqa: E402
from tests.app.shown import shown, undo_depth  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Any:
    """V1: A [0,40) and B [60,100) of one 100-frame clip (asset 1); a generated segment
    [0,24) on V2."""
    clip = write_color_bars_video(tmp_path / "clip.mp4", seconds=4, fps=Fraction(25),
                                  size=(320, 180))
    path = tmp_path / "menus.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320,
                                               height=180)) as p:
        p.import_media([clip])
        p.apply([
            {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40},
            {"op": "append", "track": "V1", "asset": 1, "source_in": 40, "source_out": 80,
             "at": 60},
            {"op": "add_generated", "track": "V2", "at": 0, "duration": 24,
             "prompt": "fog"},
        ])
    w = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    w.timeline.pixels_per_frame = 8.0
    w.timeline.scroll_frames = 0
    yield w
    w.close()


def right_click(view: TimelineView, pos: QPoint) -> QMenu:
    window = view.window()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.mapToGlobal(pos))
    QApplication.sendEvent(view, event)
    menu = window.edit_actions.last_menu
    assert menu is not None
    return menu


def on(view: TimelineView, frame: float, track: str = "V1") -> QPoint:
    rect = view._row_rect(track)
    assert rect is not None
    return QPoint(round(view.x_of(frame)), round(rect.center().y()))


def entry(menu: QMenu, text: str) -> Any:
    found = [a for a in menu.actions() if a.text() == text]
    assert found, f"no {text!r} in {[a.text() for a in menu.actions()]}"
    return found[0]


def pick(menu: QMenu, text: str) -> None:
    act = entry(menu, text)
    assert act.isEnabled(), f"{text!r} is disabled"
    act.trigger()
    menu.close()


def v1(window: MainWindow) -> list[tuple[int, int, int]]:
    return [(i.start, i.end, i.source_in) for i in window.project.sequence.track("V1")]


def test_a_right_click_on_a_clip_selects_it_and_offers_its_edits(window: MainWindow) -> None:
    view = window.timeline
    menu = right_click(view, on(view, 70.5))
    b = window.project.sequence.track("V1").items[1]
    assert view.selected == b.id and window.session.selected == b.id
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Cut", "Copy", "Paste", "Paste Insert", "Delete", "Ripple Delete",
        "Split at Playhead", "Disable", "Link", "Extend Head…", "Extend Tail…",
        "Find Beats", "Cut to Beats", "Reveal in Bin", "Properties"]
    assert not entry(menu, "Link").isEnabled()  # one clip selected: nothing to link to
    assert not entry(menu, "Paste").isEnabled()  # nothing copied yet
    assert not entry(menu, "Split at Playhead").isEnabled()  # the playhead is not on it
    menu.close()


def test_clip_menu_delete_ripple_delete_and_split_are_one_undo_step_each(
        window: MainWindow) -> None:
    view = window.timeline
    depth = undo_depth(window.project)
    pick(right_click(view, on(view, 20.5)), "Delete")
    assert v1(window) == [(60, 100, 40)] and undo_depth(window.project) == depth + 1
    window.undo_action.trigger()
    pick(right_click(view, on(view, 20.5)), "Ripple Delete")
    assert v1(window) == [(20, 60, 40)] and undo_depth(window.project) == depth + 1
    window.undo_action.trigger()
    view.set_playhead(70)
    pick(right_click(view, on(view, 80.5)), "Split at Playhead")
    assert v1(window) == [(0, 40, 0), (60, 70, 40), (70, 100, 50)]
    assert undo_depth(window.project) == depth + 1


def test_clip_menu_copy_cut_and_paste_at_the_playhead(window: MainWindow) -> None:
    view = window.timeline
    pick(right_click(view, on(view, 20.5)), "Copy")
    view.set_playhead(100)
    menu = right_click(view, on(view, 80.5))
    pick(menu, "Paste")  # onto the selection's track, at the playhead
    assert v1(window) == [(0, 40, 0), (60, 100, 40), (100, 140, 0)]
    assert view.playhead == 140  # ready for the next paste
    depth = undo_depth(window.project)
    pick(right_click(view, on(view, 80.5)), "Cut")
    assert v1(window) == [(0, 40, 0), (100, 140, 0)] and undo_depth(window.project) == depth + 1
    view.set_playhead(0)
    pick(right_click(view, on(view, 20.5)), "Paste Insert")
    assert v1(window) == [(0, 40, 40), (40, 80, 0), (140, 180, 0)]


def test_reveal_in_bin_and_properties_show_the_asset_and_the_clip_dock(
        window: MainWindow) -> None:
    view = window.timeline
    window.bin.setCurrentItem(None)
    pick(right_click(view, on(view, 20.5)), "Reveal in Bin")
    assert window.bin.current_asset() == 1
    window.generation_dock.raise_()
    pick(right_click(view, on(view, 20.5)), "Properties")
    assert not window.clip_dock.visibleRegion().isEmpty()
    assert window.clip_inspector.item_id == view.selected


def test_a_generated_segment_offers_regenerate_range_as_the_generate_dock_does(
        window: MainWindow) -> None:
    view = window.timeline
    menu = right_click(view, on(view, 10.5, "V2"))
    regenerate = entry(menu, "Regenerate Range")
    button = window.generation.range_button
    assert not regenerate.isEnabled() and not button.isEnabled()  # no in/out: both say so
    assert regenerate.toolTip() == button.toolTip() and "in and out" in button.toolTip()
    menu.close()
    window.run({"op": "set_in_out", "in_point": 4, "out_point": 12})
    menu = right_click(view, on(view, 10.5, "V2"))
    regenerate = entry(menu, "Regenerate Range")
    assert regenerate.isEnabled() == button.isEnabled()
    assert regenerate.toolTip() == button.toolTip() and "no take yet" in button.toolTip()
    assert "Reveal in Bin" not in [a.text() for a in menu.actions()]
    pick(menu, "Properties")
    assert not window.brief_dock.visibleRegion().isEmpty()


def test_track_menu_switches_and_adds_tracks(window: MainWindow) -> None:
    view = window.timeline
    seq = window.project.sequence
    depth = undo_depth(window.project)
    for text, switch in (("Lock Track V1", "locked"), ("Mute Track V1", "muted"),
                         ("Solo Track V1", "solo"), ("Hide Track V1", "hidden")):
        pick(right_click(view, on(view, 50.5)), text)  # the gap on V1
        assert getattr(seq.track("V1").info, switch) is True
    assert undo_depth(window.project) == depth + 4
    pick(right_click(view, QPoint(20, on(view, 0).y())), "Unlock Track V1")  # its header
    assert seq.track("V1").info.locked is False
    tracks = len(seq.tracks)
    pick(right_click(view, on(view, 50.5)), "Add Video Track")
    pick(right_click(view, on(view, 50.5)), "Add Audio Track")
    assert len(window.project.sequence.tracks) == tracks + 2
    assert "V3" in window.project.sequence.tracks


def test_ruler_menu_marks_in_out_and_markers_where_clicked(window: MainWindow) -> None:
    view = window.timeline
    seq = window.project.sequence

    def ruler(frame: float) -> QMenu:
        return right_click(view, QPoint(round(view.x_of(frame)), RULER_H // 2))

    assert not entry(ruler(10.5), "Clear In/Out").isEnabled()
    pick(ruler(10.5), "Set In Here")
    pick(ruler(30.5), "Set Out Here")
    assert (seq.in_point, seq.out_point) == (10, 30)
    pick(ruler(30.5), "Clear In/Out")
    assert (seq.in_point, seq.out_point) == (None, None)
    pick(ruler(42.5), "Add Marker Here")
    assert [m.frame for m in window.project.sequence.markers.values()] == [42]
    pick(ruler(55.5), "Move Playhead Here")
    assert view.playhead == 55


def test_bin_menu_imports_relinks_and_reveals_the_file(window: MainWindow,
                                                      monkeypatch: Any) -> None:
    media_bin = window.bin
    opened: list[QUrl] = []
    window.edit_actions.open_url = opened.append
    asked: list[str] = []
    monkeypatch.setattr(window, "import_media", lambda: asked.append("import"))
    monkeypatch.setattr(media_bin, "ask_relink", lambda asset: asked.append(f"relink {asset}"))
    rect = media_bin.visualItemRect(media_bin.item(0))
    media_bin.customContextMenuRequested.emit(rect.center())
    menu = window.edit_actions.last_menu
    assert menu is not None and media_bin.current_asset() == 1
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Import…", "Relink…", "Relink Missing from Folder…", "Reveal in File Manager",
        "Remove Unused"]
    assert not entry(menu, "Remove Unused").isEnabled()  # the clip is on the timeline
    assert not entry(menu, "Relink Missing from Folder…").isEnabled()  # nothing missing
    pick(menu, "Reveal in File Manager")
    assert [u.toLocalFile() for u in opened] == [
        str(Path(window.project.assets[1].path).parent)]
    pick(menu, "Relink…")
    pick(menu, "Import…")
    assert asked == ["relink 1", "import"]


def test_clipboard_and_select_all_are_edit_menu_shortcuts(window: MainWindow) -> None:
    keys = {a.text(): a.shortcut() for a in window.edit_actions.actions.values()}
    assert keys == {"Cut": QKeySequence("Ctrl+X"), "Copy": QKeySequence("Ctrl+C"),
                    "Paste": QKeySequence("Ctrl+V"),
                    "Paste Insert": QKeySequence("Ctrl+Shift+V"),
                    "Select All": QKeySequence("Ctrl+A"),
                    "Enable / Disable Clip": QKeySequence("Shift+E"),
                    "Link": QKeySequence(), "Unlink": QKeySequence(),
                    "Cut to Beats": QKeySequence()}
    view = window.timeline
    window.edit_actions.actions["select_all"].trigger()
    assert len(view.selected_items()) == 3
    window.edit_actions.actions["copy"].trigger()
    view.set_playhead(200)
    view.selected = None
    window.session.select(None)
    window.edit_actions.actions["paste"].trigger()  # each back on its own track, one step
    seq = window.project.sequence
    assert [(i.start, i.end) for i in seq.track("V1")][-2:] == [(200, 240), (260, 300)]
    assert [(i.start, i.end) for i in seq.track("V2")][-1] == (200, 224)
    assert window.project.timeline.undo_label == "Paste 3 items"
    window.edit_actions.actions["paste_insert"].trigger()  # a generated one cannot be
    assert "cannot be insert-pasted" in window.statusBar().currentMessage()


def test_ctrl_c_v_shift_v_and_a_keys(window: MainWindow) -> None:
    """The keys themselves, pressed in the timeline of the active window."""
    from PySide6.QtTest import QTest

    view = window.timeline
    window.activateWindow()
    view.setFocus()
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     on(view, 20.5))
    view.set_playhead(100)
    QTest.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert v1(window)[-1] == (100, 140, 0) and view.playhead == 140
    view.set_playhead(10)
    QTest.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert v1(window)[:3] == [(0, 10, 0), (10, 50, 0), (50, 80, 10)]
    assert window.project.timeline.undo_label == "Insert Paste"
    QTest.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(view.selected_items()) == len(list(window.project.sequence.all_items()))
