"""The source monitor and three-point editing driven as a user does: a double-click in the
bin loads a clip, keys pressed in the monitor mark its In/Out, , and . insert and overwrite,
Ctrl+Z undoes one step at a time; the track headers patch and target."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.shortcuts_dialog import shortcut_rows  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import read_frame_index, write_tone_and_clicks_wav  # noqa: E402
from tests.app.shown import shown, undo_depth  # noqa: E402

K = Qt.Key


@pytest.fixture
def window(qtbot: Any, clip_project: Any) -> Iterator[MainWindow]:
    """A 640x360 @ 25 fps project: a 4 s colour-bars clip (100 frames, each showing its
    index) in the bin, its first 40 frames on V1; the window active, so keys reach its
    shortcuts as they do for a user."""
    path = clip_project("three-point", seconds=4, frames=40)
    win = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
    yield win
    win.close()


def v1(win: MainWindow, track: str = "V1") -> list[tuple[int, int, int]]:
    """(start, duration, source_in) per item."""
    return [(i.start, i.duration, i.source_in) for i in win.project.sequence.track(track)]


def press(qtbot: Any, widget: Any, key: Any, times: int = 1,
          mods: Any = Qt.KeyboardModifier.NoModifier) -> None:
    for _ in range(times):
        qtbot.keyClick(widget, key, mods)


def load_from_bin(qtbot: Any, win: MainWindow) -> None:
    entry = win.bin.item(0)
    rect = win.bin.visualItemRect(entry)
    # Press, release, press again: a user's double-click (the first press selects).
    qtbot.mouseClick(win.bin.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(win.bin.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.source_state.asset == 1
    assert win.source_monitor.hasFocus()


def test_bin_double_click_mark_in_out_insert_overwrite_and_undo_each_step(
        qtbot: Any, window: MainWindow) -> None:
    win, monitor = window, window.source_monitor
    load_from_bin(qtbot, win)
    # The picture is decoded off the UI thread: the clip's own frame 0 arrives.
    qtbot.waitUntil(lambda: monitor.viewer.shown_frame == 0, timeout=5000)
    assert monitor.timecode.text() == "00:00:00:00"

    # Frame-step with the arrows, mark In, step on, mark Out: keys the monitor takes while
    # it has focus (the program's In/Out are untouched).
    press(qtbot, monitor, K.Key_Right, 10)
    press(qtbot, monitor, K.Key_I)
    press(qtbot, monitor, K.Key_Right, 20)
    press(qtbot, monitor, K.Key_O)
    state = win.source_state
    assert (state.in_point, state.out_point, state.position) == (10, 30, 30)
    assert monitor.timecode.text() == "00:00:01:05"  # source time: frame 30 at 25 fps
    assert "Dur 00:00:00:20" in monitor.marks.text()
    assert win.project.sequence.in_point is None and undo_depth(win.project) == 1
    qtbot.waitUntil(lambda: monitor.viewer.shown_frame == 30, timeout=5000)
    shown_frames: list[int] = []
    monitor.mailbox.arrived.connect(
        lambda _n, picture: shown_frames.append(read_frame_index(picture[..., :3])))
    press(qtbot, monitor, K.Key_Left)
    qtbot.waitUntil(lambda: shown_frames == [29], timeout=5000)  # the media's frame 29

    # , inserts source 10-30 at the playhead (20) on V1; the playhead goes to the edit's end.
    win.timeline.set_playhead(20)
    press(qtbot, monitor, K.Key_Comma)
    assert v1(win) == [(0, 20, 0), (20, 20, 10), (40, 20, 20)]
    assert win.timeline.playhead == 40
    assert win.undo_action.text() == ("Undo Insert three-point-clip.mp4 on V1, A1: 20 frames"
                                      " at 00:00:00:20")
    # . overwrites the same marks at the new playhead, over the clip's second half.
    press(qtbot, monitor, K.Key_Period)
    assert v1(win) == [(0, 20, 0), (20, 20, 10), (40, 20, 10)]
    assert win.undo_action.text().startswith("Undo Overwrite three-point-clip.mp4 on V1")

    # Ctrl+Z, one step at a time, from wherever the focus is.
    press(qtbot, monitor, K.Key_Z, mods=Qt.KeyboardModifier.ControlModifier)
    assert v1(win) == [(0, 20, 0), (20, 20, 10), (40, 20, 20)]
    press(qtbot, win.timeline, K.Key_Z, mods=Qt.KeyboardModifier.ControlModifier)
    assert v1(win) == [(0, 40, 0)]
    assert undo_depth(win.project) == 1  # back to the fixture's own append


def test_keys_mark_the_program_when_the_timeline_has_focus(qtbot: Any,
                                                           window: MainWindow) -> None:
    win = window
    load_from_bin(qtbot, win)
    win.timeline.setFocus()
    win.timeline.set_playhead(5)
    press(qtbot, win.timeline, K.Key_I)
    win.timeline.set_playhead(15)
    press(qtbot, win.timeline, K.Key_O)
    seq = win.project.sequence
    assert (seq.in_point, seq.out_point) == (5, 15)
    assert (win.source_state.in_point, win.source_state.out_point) == (None, None)
    # Timeline In/Out + source In (frame 50): three points, the source Out computed.
    win.source_monitor.setFocus()
    win.source_monitor.seek(50)
    press(qtbot, win.source_monitor, K.Key_I)
    press(qtbot, win.timeline, K.Key_Period)
    assert v1(win) == [(0, 5, 0), (5, 10, 50), (15, 25, 15)]
    assert (seq.in_point, seq.out_point) == (None, None)  # used by the edit
    win.undo()
    assert (seq.in_point, seq.out_point) == (5, 15) and v1(win) == [(0, 40, 0)]


def test_four_points_that_disagree_are_refused_with_the_difference(
        qtbot: Any, window: MainWindow) -> None:
    win = window
    load_from_bin(qtbot, win)
    win.run({"op": "set_in_out", "in_point": 0, "out_point": 10})
    win.source_state.in_point, win.source_state.out_point = 0, 13
    before = win.project.sequence.snapshot()
    press(qtbot, win.timeline, K.Key_Comma)
    assert "3 frames longer" in win.statusBar().currentMessage()
    assert win.project.sequence.snapshot() == before


def test_lift_and_extract_between_the_timeline_marks_on_targeted_tracks(
        qtbot: Any, window: MainWindow) -> None:
    win = window
    win.run({"op": "set_in_out", "in_point": 10, "out_point": 20})
    press(qtbot, win.timeline, K.Key_Semicolon)
    assert v1(win) == [(0, 10, 0), (20, 20, 20)]
    assert win.undo_action.text() == "Undo Lift 10 frames at 00:00:00:10 from V1, A1"
    win.undo()
    press(qtbot, win.timeline, K.Key_Apostrophe)
    assert v1(win) == [(0, 10, 0), (10, 20, 20)]
    win.undo()
    assert v1(win) == [(0, 40, 0)]


def test_track_headers_patch_and_target(qtbot: Any, window: MainWindow) -> None:
    win, view = window, window.timeline
    targets = view.targets
    rows = dict(view.track_rows())
    # Patch the source's picture to V2 with its box, then insert: V2 gets the clip, V1 (not
    # targeted any more after a click on its name) does not open up.
    win.run({"op": "add_track", "kind": "video"})
    rows = dict(view.track_rows())
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton,
                     pos=targets.patch_rect(rows["V2"]).center().toPoint())
    assert win.targets.video == "V2"
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton,
                     pos=targets.plate_rect(rows["V1"]).center().toPoint())
    assert "V1" not in win.targets.targeted
    load_from_bin(qtbot, win)
    win.source_state.in_point, win.source_state.out_point = 0, 10
    win.timeline.set_playhead(30)
    assert win.source_edit("insert_edit")
    assert v1(win, "V2") == [(30, 10, 0)] and v1(win) == [(0, 40, 0)]
    win.undo()
    # Targeted again, V1 opens up too so the tracks stay in sync.
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton,
                     pos=targets.plate_rect(rows["V1"]).center().toPoint())
    assert win.targets.targeted == {"V1", "A1"}
    win.timeline.set_playhead(30)  # the first insert left it at its end
    assert win.source_edit("insert_edit")
    assert v1(win) == [(0, 30, 0), (40, 10, 30)]
    # Unpatched, the picture has nowhere to go: refused with the reason.
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton,
                     pos=targets.patch_rect(rows["V2"]).center().toPoint())
    assert win.targets.video is None
    # Picture unpatched: the file's sound alone goes to the patched audio track.
    assert win.source_edit("overwrite_edit")
    # The insert put the sound on A1 at 30, linked to its picture; the overwrite adds the
    # sound alone at the playhead, left at the insert's end.
    assert v1(win, "A1") == [(30, 10, 0), (40, 10, 0)]
    # Nothing patched: refused with the reason.
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton,
                     pos=targets.patch_rect(rows["A1"]).center().toPoint())
    assert win.targets.audio is None
    assert not win.source_edit("overwrite_edit")
    assert "No track patched" in win.statusBar().currentMessage()


def test_match_frame_and_source_playback(qtbot: Any, window: MainWindow) -> None:
    win, monitor = window, window.source_monitor
    win.run({"op": "slip", "item": 1, "delta": 25})  # V1 shows media frames 25-65
    win.timeline.set_playhead(12)
    press(qtbot, win.timeline, K.Key_F)
    assert win.source_state.asset == 1 and win.source_state.position == 37
    qtbot.waitUntil(lambda: monitor.viewer.shown_frame == 37, timeout=5000)
    # Space plays the source (its own engine; the program's playhead stays), Space pauses.
    press(qtbot, monitor, K.Key_Space)
    qtbot.waitUntil(lambda: win.source_state.position >= 42, timeout=10000)
    press(qtbot, monitor, K.Key_Space)
    qtbot.waitUntil(lambda: not win.source_state.playing, timeout=5000)
    assert win.timeline.playhead == 12
    # L shuttles forward, K stops.
    press(qtbot, monitor, K.Key_L)
    qtbot.waitUntil(lambda: win.source_state.playing, timeout=5000)
    press(qtbot, monitor, K.Key_K)
    assert not win.source_state.playing
    # One monitor plays at a time: the program's Space pauses the source, and back.
    press(qtbot, monitor, K.Key_Space)
    assert win.source_state.playing
    press(qtbot, win.timeline, K.Key_Space)
    assert not win.source_state.playing and win.playback is not None
    qtbot.waitUntil(lambda: win.playback.playing, timeout=5000)
    press(qtbot, monitor, K.Key_Space)
    assert not win.playback.playing and win.source_state.playing
    press(qtbot, monitor, K.Key_Space)


def test_audio_only_media_shows_its_waveform(qtbot: Any, window: MainWindow,
                                             tmp_path: Path) -> None:
    win = window
    wav = write_tone_and_clicks_wav(tmp_path / "tone.wav", seconds=2, fps=Fraction(25))
    request = win.import_files([wav])
    qtbot.waitUntil(lambda: len(win.project.assets) == 2, timeout=10000)
    assert request is not None
    assert win.load_source(2)
    monitor = win.source_monitor
    assert monitor.pictures.currentWidget() is monitor.wave
    qtbot.waitUntil(lambda: monitor.waveform() is not None, timeout=10000)
    monitor.wave.repaint()
    assert monitor.wave._columns is not None  # noqa: SLF001 - drawn from the peaks
    # Its sound goes to the patched audio track.
    press(qtbot, monitor, K.Key_Right, 5)
    press(qtbot, monitor, K.Key_I)
    win.timeline.set_playhead(0)
    press(qtbot, monitor, K.Key_Period)
    assert v1(win, "A1") == [(0, 45, 5)]


def test_help_lists_the_whole_key_map_searchably(qtbot: Any, window: MainWindow) -> None:
    rows = shortcut_rows(window.menuBar())
    keys = {command: k for _where, command, k in rows}
    assert keys["Insert"] == ",  ·  F9" and keys["Overwrite"] == ".  ·  F10"
    assert keys["Lift In/Out"] == ";" and keys["Extract In/Out"] == "'"
    assert keys["Match Frame"] == "F" and keys["Mark Source In"] == "I"
    dialog = window.show_shortcuts()
    qtbot.addWidget(dialog)
    QTest.keyClicks(dialog.search, "extract")
    assert dialog.visible_commands() == ["Extract In/Out"]
    dialog.search.clear()
    assert len(dialog.visible_commands()) == len(rows)


def test_readme_lists_the_editing_key_map(window: MainWindow) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [command for where, command, keys in shortcut_rows(window.menuBar())
               if keys and where in ("Clip", "Source Monitor (focused)")
               and f"| {command} |" not in readme]
    assert not missing, f"README's key map lacks {missing}"


def test_dragging_the_source_onto_the_timeline_drops_its_in_out(
        qtbot: Any, window: MainWindow, monkeypatch: Any) -> None:
    """A mouse drag on the source picture starts a drag of the marked range (the QDrag's
    own event loop is stood in for: it would wait for a real mouse); its data dropped on
    the timeline places just those frames, with the file's sound linked, one undo step."""
    from PySide6.QtCore import QPoint, QPointF

    from tests.app.test_timeline_drop import drop

    win, monitor = window, window.source_monitor
    load_from_bin(qtbot, win)
    press(qtbot, monitor, K.Key_Right, 5)
    press(qtbot, monitor, K.Key_I)
    press(qtbot, monitor, K.Key_Right, 10)
    press(qtbot, monitor, K.Key_O)
    started: list[Any] = []
    monkeypatch.setattr(monitor, "start_drag", lambda: started.append(monitor.drag_source()))
    viewer = monitor.viewer
    centre = viewer.rect().center()
    QTest.mousePress(viewer, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(viewer, centre + QPoint(30, 30))
    QTest.mouseRelease(viewer, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       centre + QPoint(30, 30))
    [source] = started
    assert (source.asset, source.source_in, source.source_out) == (1, 5, 15)
    from app.timeline_drop import asset_mime

    view = win.timeline
    rect = view._row_rect("V1")
    assert rect is not None
    depth = undo_depth(win.project)
    drop(view, asset_mime([source]), QPointF(view.x_of(60) + 1, rect.center().y()))
    assert v1(win)[-1] == (60, 10, 5)
    assert undo_depth(win.project) == depth + 1
