"""Mouse editing in the timeline: every drag is one committed, undoable command.

The gestures are driven with QTest's press/move/release on the real window, so they go
through the same path as a user's mouse: the view works out the edit, the window's ``run``
executes it on the project (or shows why not), and the timeline repaints.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.timeline_view import RULER_H, TimelineView  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    """V1: clip A at 0-40 (source 0-40), a gap, clip B at 60-100 (source 40-80) of one
    100-frame, 25 fps clip."""
    clip = write_color_bars_video(tmp_path / "clip.mp4", seconds=4, fps=Fraction(25),
                                  size=(320, 180))
    path = tmp_path / "drag.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320, height=180)) as p:
        p.import_media([clip])
        p.apply([
            {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40},
            {"op": "append", "track": "V1", "asset": 1, "source_in": 40, "source_out": 80,
             "at": 60},
        ])
    return path


@pytest.fixture
def window(qtbot, project_path: Path):  # type: ignore[no-untyped-def]
    w = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    view = w.timeline
    view.pixels_per_frame = 10.0  # snapping tolerance: ceil(8 px / 10) = 1 frame
    view.scroll_frames = 0
    yield w
    w.close()


def v1(window: MainWindow) -> list[tuple[int, int, int]]:
    """(start, end, source_in) of the items on V1."""
    return [(i.start, i.end, i.source_in) for i in window.project.sequence.track("V1")]


def point(view: TimelineView, frame: float, track: str = "V1") -> QPoint:
    rect = view._row_rect(track)
    assert rect is not None
    return QPoint(round(view.x_of(frame)), round(rect.center().y()))


def drag(view: TimelineView, start: QPoint, end: QPoint,
         modifiers: Qt.KeyboardModifier = NONE, steps: int = 4) -> None:
    QTest.mousePress(view, LEFT, modifiers, start)
    for k in range(1, steps + 1):
        QTest.mouseMove(view, start + (end - start) * k / steps)
    QTest.mouseRelease(view, LEFT, modifiers, end)


def test_dragging_a_clip_moves_it_as_one_undo_step(window: MainWindow) -> None:
    view = window.timeline
    undo_before = len(window.project.timeline.undo_stack)
    drag(view, point(view, 20.5), point(view, 25.5))  # 5 frames right, no target near
    assert v1(window) == [(5, 45, 0), (60, 100, 40)]
    assert len(window.project.timeline.undo_stack) == undo_before + 1
    assert window.project.timeline.undo_label == "Move"
    assert view.drag is None
    window.undo_action.trigger()
    assert v1(window) == [(0, 40, 0), (60, 100, 40)]


def test_a_clip_dragged_to_another_video_track_moves_there(window: MainWindow) -> None:
    view = window.timeline
    drag(view, point(view, 20.5), point(view, 30.5, "V2"))
    assert v1(window) == [(60, 100, 40)]
    assert [(i.start, i.end) for i in window.project.sequence.track("V2")] == [(10, 50)]
    # An audio track is not a place for a picture: the drag stays on the last video track
    # the mouse was over (one jump from V2 to A1: V2).
    drag(view, point(view, 20.5, "V2"), point(view, 20.5, "A1"), steps=1)
    assert [(i.start, i.end) for i in window.project.sequence.track("V2")] == [(10, 50)]
    assert len(window.project.sequence.track("A1")) == 0


def test_dragging_near_another_clips_edge_snaps_to_it(window: MainWindow) -> None:
    view = window.timeline
    view.pixels_per_frame = 4.0  # tolerance ceil(8 / 4) = 2 frames
    undo_before = len(window.project.timeline.undo_stack)
    QTest.mousePress(view, LEFT, NONE, point(view, 20.5))
    QTest.mouseMove(view, point(view, 30.5))
    QTest.mouseMove(view, point(view, 38.5))  # A's end would be 58; B starts at 60
    assert view.drag is not None and view.drag.snap == 60 and view.drag.delta == 20
    QTest.mouseRelease(view, LEFT, NONE, point(view, 38.5))
    assert v1(window) == [(20, 60, 0), (60, 100, 40)]
    assert len(window.project.timeline.undo_stack) == undo_before + 1


def test_snapping_off_leaves_the_drag_where_the_mouse_is(window: MainWindow) -> None:
    view = window.timeline
    view.pixels_per_frame = 4.0
    QTest.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    assert view.snapping is False
    drag(view, point(view, 20.5), point(view, 38.5))
    assert v1(window) == [(18, 58, 0), (60, 100, 40)]


def test_trimming_an_edge_changes_the_duration(window: MainWindow) -> None:
    view = window.timeline
    # Just inside A's out edge (frame 40): trim out by +5.
    drag(view, QPoint(round(view.x_of(40)) - 2, point(view, 0).y()),
         QPoint(round(view.x_of(45)) - 2, point(view, 0).y()))
    assert v1(window) == [(0, 45, 0), (60, 100, 40)]
    assert window.project.timeline.undo_label == "Trim"
    # Just inside B's in edge (frame 60): trim in by +10, the source follows.
    drag(view, QPoint(round(view.x_of(60)) + 2, point(view, 0).y()),
         QPoint(round(view.x_of(70)) + 2, point(view, 0).y()))
    assert v1(window) == [(0, 45, 0), (70, 100, 50)]


def test_a_trim_stops_at_the_end_of_the_media(window: MainWindow) -> None:
    view = window.timeline
    # B plays source 40-80 of a 100-frame clip: its out edge can grow by 20 at most.
    y = point(view, 0).y()
    drag(view, QPoint(round(view.x_of(100)) - 2, y), QPoint(round(view.x_of(130)) - 2, y))
    assert v1(window) == [(0, 40, 0), (60, 120, 40)]


def test_ripple_trim_with_ctrl_shifts_the_following_clip(window: MainWindow) -> None:
    view = window.timeline
    y = point(view, 0).y()
    drag(view, QPoint(round(view.x_of(40)) - 2, y), QPoint(round(view.x_of(30)) - 2, y),
         Qt.KeyboardModifier.ControlModifier)  # Premiere's Ctrl-drag of an edge
    assert v1(window) == [(0, 30, 0), (50, 90, 40)]
    window.undo_action.trigger()
    assert v1(window) == [(0, 40, 0), (60, 100, 40)]


def test_shift_drag_at_a_cut_rolls_it(window: MainWindow) -> None:
    window.run({"op": "split", "track": "V1", "at": 20})
    view = window.timeline
    y = point(view, 0).y()
    drag(view, QPoint(round(view.x_of(20)) + 2, y), QPoint(round(view.x_of(26)) + 2, y),
         Qt.KeyboardModifier.ShiftModifier)
    assert v1(window) == [(0, 26, 0), (26, 40, 26), (60, 100, 40)]
    assert window.project.timeline.undo_label == "Roll"


def test_ctrl_alt_drag_slips_the_source(window: MainWindow) -> None:
    view = window.timeline
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    # The media follows the mouse: dragging B left by 7 shows later source frames.
    drag(view, point(view, 80.5), point(view, 73.5), mods)
    assert v1(window) == [(0, 40, 0), (60, 100, 47)]
    assert window.project.timeline.undo_label == "Slip"


def test_razor_click_splits_the_track(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view = window.timeline
    QTest.keyClick(view, Qt.Key.Key_B)
    assert view.tool == "razor"
    undo_before = len(window.project.timeline.undo_stack)
    QTest.mouseClick(view, LEFT, NONE, point(view, 20.5))
    assert v1(window) == [(0, 20, 0), (20, 40, 20), (60, 100, 40)]
    assert len(window.project.timeline.undo_stack) == undo_before + 1
    QTest.keyClick(view, Qt.Key.Key_A)
    assert view.tool == "select"


def test_escape_cancels_a_drag_with_no_change(window: MainWindow) -> None:
    view = window.timeline
    before = window.project.sequence.snapshot()
    undo_before = len(window.project.timeline.undo_stack)
    QTest.mousePress(view, LEFT, NONE, point(view, 20.5))
    QTest.mouseMove(view, point(view, 25.5))
    QTest.mouseMove(view, point(view, 33.5))
    assert view.drag is not None and view.drag.delta == 13
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert view.drag is None
    QTest.mouseMove(view, point(view, 35.5))
    QTest.mouseRelease(view, LEFT, NONE, point(view, 35.5))
    assert window.project.sequence.snapshot() == before
    assert len(window.project.timeline.undo_stack) == undo_before


def test_a_drag_on_a_locked_track_changes_nothing(window: MainWindow) -> None:
    window.run({"op": "set_track", "track": "V1", "locked": True})
    view = window.timeline
    before = window.project.sequence.snapshot()
    undo_before = len(window.project.timeline.undo_stack)
    drag(view, point(view, 20.5), point(view, 25.5))
    y = point(view, 0).y()
    drag(view, QPoint(round(view.x_of(40)) - 2, y), QPoint(round(view.x_of(45)) - 2, y))
    assert window.project.sequence.snapshot() == before
    assert len(window.project.timeline.undo_stack) == undo_before
    assert "locked" in window.statusBar().currentMessage()


def test_a_click_selects_without_moving_the_playhead_or_editing(window: MainWindow) -> None:
    """As in Premiere and Resolve: a click on a clip selects it and the playhead stays;
    only a click in the ruler moves the playhead."""
    view = window.timeline
    view.set_playhead(12)
    undo_before = len(window.project.timeline.undo_stack)
    QTest.mouseClick(view, LEFT, NONE, point(view, 70.5))
    assert view.selected == window.project.sequence.track("V1").items[1].id
    assert view.playhead == 12
    QTest.mouseClick(view, LEFT, NONE, point(view, 50.5))  # the gap
    assert view.selected is None and view.playhead == 12
    QTest.mouseClick(view, LEFT, NONE, QPoint(round(view.x_of(50.5)), RULER_H // 2))
    assert view.playhead == 50
    assert len(window.project.timeline.undo_stack) == undo_before


def test_dragging_over_empty_track_space_marks_in_and_out(window: MainWindow) -> None:
    view = window.timeline
    drag(view, point(view, 10.5, "V2"), point(view, 30.5, "V2"))
    seq = window.project.sequence
    assert (seq.in_point, seq.out_point) == (10, 30)
    assert window.project.timeline.undo_label == "Set In/Out"
    # Shift + drag in the ruler does the same; a plain ruler drag only scrubs.
    QTest.mousePress(view, LEFT, Qt.KeyboardModifier.ShiftModifier,
                     QPoint(round(view.x_of(5.5)), RULER_H // 2))
    QTest.mouseMove(view, QPoint(round(view.x_of(50.5)), RULER_H // 2))
    QTest.mouseRelease(view, LEFT, Qt.KeyboardModifier.ShiftModifier,
                       QPoint(round(view.x_of(50.5)), RULER_H // 2))
    assert (seq.in_point, seq.out_point) == (5, 50)
    drag(view, QPoint(round(view.x_of(10.5)), 5), QPoint(round(view.x_of(22.5)), 5))
    assert view.playhead == 22 and (seq.in_point, seq.out_point) == (5, 50)


def test_the_drag_preview_paints(window: MainWindow) -> None:
    view = window.timeline
    QTest.mousePress(view, LEFT, NONE, point(view, 20.5))
    QTest.mouseMove(view, point(view, 30.5))
    image = view.grab()  # ghost, label and (if snapped) the snap line paint without error
    assert not image.isNull()
    QTest.keyClick(view, Qt.Key.Key_Escape)
    QTest.mouseRelease(view, LEFT, NONE, point(view, 30.5))


def test_ctrl_click_selects_several_and_a_drag_moves_them_together(window: MainWindow) -> None:
    view = window.timeline
    CTRL = Qt.KeyboardModifier.ControlModifier
    QTest.mouseClick(view, LEFT, NONE, point(view, 20))
    QTest.mouseClick(view, LEFT, CTRL, point(view, 80))
    [a, b] = window.project.sequence.track("V1")
    assert view.selection == {a.id, b.id} and view.selected == b.id
    depth = len(window.project.timeline.undo_stack)
    drag(view, point(view, 20), point(view, 30))  # A's body: both move +10
    assert v1(window) == [(10, 50, 0), (70, 110, 40)]
    assert len(window.project.timeline.undo_stack) == depth + 1
    assert window.project.timeline.undo_label == "Move 2 items"
    # A group cannot move past frame 0: dragged far left, A stops at 0 and B keeps its gap.
    drag(view, point(view, 80), point(view, 20))
    assert v1(window) == [(0, 40, 0), (60, 100, 40)]
    window.undo()
    assert v1(window) == [(10, 50, 0), (70, 110, 40)]
    # Ctrl+click again takes one out; a plain click selects just one.
    QTest.mouseClick(view, LEFT, CTRL, point(view, 80))
    assert view.selection == {a.id}
    QTest.mouseClick(view, LEFT, CTRL, point(view, 80))
    QTest.mouseClick(view, LEFT, NONE, point(view, 20))
    assert view.selection == {a.id}


def test_ripple_delete_of_a_selection_is_one_undo_step(window: MainWindow) -> None:
    view = window.timeline
    window.run({"op": "append", "track": "V1", "asset": 1, "source_in": 80, "source_out": 100})
    before = v1(window)
    assert before == [(0, 40, 0), (60, 100, 40), (100, 120, 80)]
    [a, _b, c] = window.project.sequence.track("V1")
    view.select_items([a.id, c.id])
    window._on_selected("ripple_delete")
    assert v1(window) == [(20, 60, 40)]  # the gap before B stays, A's 40 frames close up
    assert window.project.timeline.undo_label == "Ripple Delete 2 items"
    assert view.selection == set()
    window.undo()
    assert v1(window) == before


def test_slide_tool_moves_a_clip_between_its_neighbours(window: MainWindow) -> None:
    view = window.timeline
    assert window.run({"op": "append", "track": "V1", "asset": 1, "source_in": 80,
                       "source_out": 100})
    assert v1(window) == [(0, 40, 0), (60, 100, 40), (100, 120, 80)]
    QTest.keyClick(view, Qt.Key.Key_U)
    assert view.tool == "slide"
    # Right by 10: B keeps its media, C after it gives up 10 frames, the gap grows.
    drag(view, point(view, 80), point(view, 90))
    assert v1(window) == [(0, 40, 0), (70, 110, 40), (110, 120, 90)]
    assert window.project.timeline.undo_label == "Slide"
    # Far left: B stops at A's end (the gap closes); C grows back over its media.
    drag(view, point(view, 90), point(view, 20))
    assert v1(window) == [(0, 40, 0), (40, 80, 40), (80, 120, 60)]
    # Far right: C keeps one frame; A, now next to B, grows over its media to follow.
    drag(view, point(view, 60), point(view, 110))
    assert v1(window) == [(0, 79, 0), (79, 119, 40), (119, 120, 99)]
    window.undo()
    assert v1(window) == [(0, 40, 0), (40, 80, 40), (80, 120, 60)]
    QTest.keyClick(view, Qt.Key.Key_U)
    assert view.tool == "select"


def test_dragging_a_marker_flag_moves_the_marker(window: MainWindow) -> None:
    view = window.timeline
    assert window.run({"op": "add_marker", "at": 50, "name": "beat"})
    [marker] = window.project.sequence.markers.values()
    y = RULER_H - 6
    drag(view, QPoint(round(view.x_of(50)), y), QPoint(round(view.x_of(75)), y))
    assert window.project.sequence.markers[marker.id].frame == 75
    assert window.project.timeline.undo_label == "Move Marker"
    # Near a clip edge it snaps there (B starts at 60).
    drag(view, QPoint(round(view.x_of(75)), y), QPoint(round(view.x_of(60.6)), y))
    assert window.project.sequence.markers[marker.id].frame == 60
    # A click on the flag goes to the marker and changes nothing.
    depth = len(window.project.timeline.undo_stack)
    QTest.mouseClick(view, LEFT, NONE, QPoint(round(view.x_of(60)), y))
    assert view.playhead == 60 and len(window.project.timeline.undo_stack) == depth
    window.undo()
    assert window.project.sequence.markers[marker.id].frame == 75


def test_double_click_on_a_marker_flag_edits_it(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.marker_dialog import MarkerDialog

    view = window.timeline
    assert window.run({"op": "add_marker", "at": 50, "name": "beat"})
    [marker] = window.project.sequence.markers.values()
    # The view asks the window to edit the marker (the real dialog is modal: not here).
    view.marker_activated.disconnect(window.edit_marker)
    with qtbot.waitSignal(view.marker_activated) as signal:
        QTest.mouseDClick(view, LEFT, NONE, QPoint(round(view.x_of(50)), RULER_H - 6))
    assert signal.args == [marker.id]
    assert window.project.sequence.markers[marker.id].frame == 50  # not moved

    def answer(name: str, colour: str, note: str):  # type: ignore[no-untyped-def]
        def fill(box: MarkerDialog) -> int:
            assert box.name.text() == window.project.sequence.markers[marker.id].name
            box.name.setText(name)
            box.colour.setCurrentText(colour)
            box.note.setPlainText(note)
            return MarkerDialog.DialogCode.Accepted
        return fill

    assert window.edit_marker(marker.id, answer("drop", "red", "bass in"))
    m = window.project.sequence.markers[marker.id]
    assert (m.name, m.color, m.note) == ("drop", "red", "bass in")
    assert window.project.timeline.undo_label == "Change Marker"
    assert not window.edit_marker(marker.id, answer("drop", "red", "bass in"))  # no change

    def delete(box: MarkerDialog) -> int:
        box._delete()
        return MarkerDialog.DialogCode.Accepted

    assert window.edit_marker(marker.id, delete)
    assert window.project.sequence.markers == {}
    window.undo()
    assert window.project.sequence.markers[marker.id].name == "drop"


def test_a_selection_dragged_to_another_track_moves_there_together(window: MainWindow) -> None:
    view = window.timeline
    assert window.run({"op": "add_track", "kind": "video"})  # V3
    assert window.run({"op": "overwrite", "track": "V2", "asset": 1, "source_in": 0,
                       "source_out": 40, "at": 0})
    seq = window.project.sequence
    [a, b] = seq.track("V1")
    [c] = seq.track("V2")
    view.select_items([c.id, a.id])
    # A dragged up one track (and 10 frames right): A lands on V2 where C was, and C,
    # moved first, on V3 — nothing selected is overwritten.
    drag(view, point(view, 20, "V1"), point(view, 30, "V2"))
    where = {i.id: (i.track, i.start) for i in seq.all_items()}
    assert where[a.id] == ("V2", 10) and where[c.id] == ("V3", 10) and where[b.id] == ("V1", 60)
    assert window.project.timeline.undo_label == "Move 2 items"
    # V3 is the top: dragged up again, the selection cannot follow past it.
    drag(view, point(view, 30, "V2"), point(view, 30, "V3"))
    assert {i.id: i.track for i in seq.all_items()}[c.id] == "V3"
    window.undo()
    where = {i.id: (i.track, i.start) for i in seq.all_items()}
    assert where[a.id] == ("V1", 0) and where[c.id] == ("V2", 0)


def test_markers_dock_lists_goes_to_and_deletes(window: MainWindow) -> None:
    panel = window.markers_panel
    view = window.timeline
    view.set_playhead(70)
    window.add_marker()
    assert window.run({"op": "add_marker", "at": 10, "name": "intro", "color": "red"})
    assert [(m.frame, m.name) for m in panel.markers] == [(10, "intro"), (70, "Marker 1")]
    assert panel.table.item(0, 0).text() == "00:00:00:10"
    assert panel.table.item(0, 2).text() == "red"
    panel.go_to(1)
    assert view.playhead == 70
    panel.table.selectRow(0)
    panel.delete_button.click()
    assert [m.name for m in window.project.sequence.markers.values()] == ["Marker 1"]
    assert [m.name for m in panel.markers] == ["Marker 1"]
    window.undo()
    assert [m.name for m in panel.markers] == ["intro", "Marker 1"]
