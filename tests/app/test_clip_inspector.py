"""The Clip dock edits the selected clip through the model: one undo step per change."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")


@pytest.fixture
def window(one_clip_window):  # type: ignore[no-untyped-def]
    return one_clip_window


def _select(window, item_id: int) -> None:  # type: ignore[no-untyped-def]
    window.timeline.selected = item_id
    window.timeline.selection_changed.emit(item_id)


def test_gain_and_opacity_are_one_undo_step_each(window) -> None:  # type: ignore[no-untyped-def]
    seq = window.project.sequence
    [clip] = list(seq.track("V1"))
    _select(window, clip.id)
    inspector = window.clip_inspector
    assert inspector.item_id == clip.id and inspector.gain.isEnabled()

    inspector.gain.setValue(-6.0)
    inspector.gain.editingFinished.emit()
    assert seq.item(clip.id).gain_db == -6.0
    inspector.gain.editingFinished.emit()  # nothing changed: no second undo step
    inspector.opacity.setValue(0.5)
    inspector.opacity.editingFinished.emit()
    assert seq.item(clip.id).opacity == 0.5

    window.undo()
    assert seq.item(clip.id).opacity == 1.0 and seq.item(clip.id).gain_db == -6.0
    assert inspector.opacity.value() == 1.0  # the dock follows undo
    window.undo()
    assert seq.item(clip.id).gain_db == 0.0
    assert inspector.gain.value() == 0.0

    # A refusal from the model shows in the dock and changes nothing.
    inspector.fade_in.setRange(0, 1000)
    inspector.fade_in.setValue(500)
    inspector.fade_in.editingFinished.emit()
    assert seq.item(clip.id).fade_in == 0
    assert "fade_in" in inspector.error.text()


def test_key_at_playhead_then_delete(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    seq = window.project.sequence
    [clip] = list(seq.track("V1"))
    _select(window, clip.id)
    inspector = window.clip_inspector

    window.timeline.set_playhead(clip.start + 10)
    assert inspector.key_at_playhead()
    assert [k.frame for k in seq.item(clip.id).transform] == [10]
    assert inspector.keys.rowCount() == 1

    # Edit the key's scale in the table: one set edit.
    inspector.keys.item(0, 3).setText("1.5")
    qtbot.waitUntil(lambda: seq.item(clip.id).transform[0].scale == 1.5)
    window.timeline.set_playhead(clip.start + 30)
    assert inspector.key_at_playhead()  # holds the evaluated values (scale 1.5)
    keys = seq.item(clip.id).transform
    assert [(k.frame, k.scale) for k in keys] == [(10, 1.5), (30, 1.5)]

    inspector.keys.selectRow(0)
    assert inspector.delete_key()
    assert [k.frame for k in seq.item(clip.id).transform] == [30]
    window.undo()
    assert [k.frame for k in seq.item(clip.id).transform] == [10, 30]
    assert inspector.keys.rowCount() == 2

    window.timeline.set_playhead(clip.end + 5)
    assert not inspector.key_at_playhead()
    assert "playhead" in inspector.error.text()
