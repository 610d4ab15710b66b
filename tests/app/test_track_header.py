"""Clicking the M / S / L / H boxes in a track header toggles the switch: one undo step."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from app.timeline_view import HEADER_W  # noqa: E402


@pytest.fixture
def window(one_clip_window):  # type: ignore[no-untyped-def]
    return one_clip_window


def _click_switch(qtbot, window, track: str, switch: str) -> None:  # type: ignore[no-untyped-def]
    view = window.timeline
    row = dict(view.track_rows())[track]
    box = next(b for s, _letter, b in view.switch_rects(row) if s == switch)
    assert box.right() < HEADER_W
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=box.center().toPoint())


def test_mute_and_lock_toggle_with_one_undo_step_each(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    seq = window.project.sequence
    info = lambda: seq.track("V1").info  # noqa: E731
    _click_switch(qtbot, window, "V1", "muted")
    assert info().muted and not info().locked
    _click_switch(qtbot, window, "V1", "locked")
    assert info().muted and info().locked
    assert window.project.timeline.undo_label == "Track Switch"

    # A locked track refuses edits, from a command and from a mouse drag.
    [clip] = list(seq.track("V1"))
    before = seq.snapshot()
    assert not window.run({"op": "trim", "item": clip.id, "side": "out", "delta": -5,
                           "ripple": False})
    view = window.timeline
    view.fit()
    row = dict(view.track_rows())["V1"]
    y = int(row.center().y())
    start = QPoint(int(view.x_of(clip.start + 10)), y)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, pos=start + QPoint(20, 0))
    qtbot.mouseMove(view, pos=start + QPoint(60, 0))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 0))
    assert seq.snapshot() == before

    window.undo()
    assert info().muted and not info().locked
    window.undo()
    assert not info().muted

    # Clicking a lit box turns it off again.
    _click_switch(qtbot, window, "V1", "solo")
    assert info().solo
    _click_switch(qtbot, window, "V1", "solo")
    assert not info().solo
