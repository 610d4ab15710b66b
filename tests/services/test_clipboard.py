"""The editor clipboard (``services.clipboard``): what a copy keeps and what a paste at the
playhead becomes, as edit operations run on a real timeline model.

V1: A [0,40) source 0-40 and B [40,70) source 50-80 of asset 1; V2 and A1 empty."""

from __future__ import annotations

from fractions import Fraction

import pytest

from services.clipboard import Clipboard
from timeline.editor import Timeline
from timeline.model import EditError, MediaInfo, Sequence, SequenceSettings, Track, TrackInfo

MEDIA = {1: MediaInfo(1, "video", 100, True, True, "shot.mov"),
         2: MediaInfo(2, "audio", 60, False, True, "music.wav")}


@pytest.fixture
def tl() -> Timeline:
    seq = Sequence(SequenceSettings(fps=Fraction(25)))
    for name, kind, index in (("V1", "video", 1), ("V2", "video", 2), ("A1", "audio", 1)):
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))  # type: ignore[arg-type]
    tl = Timeline(seq, media=dict(MEDIA))
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40})
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 50, "source_out": 80})
    return tl


def on(tl: Timeline, track: str) -> list[tuple[int, int, int]]:
    return [(i.start, i.end, i.source_in) for i in tl.sequence.track(track)]


def test_paste_overwrites_at_the_playhead_on_the_selections_track(tl: Timeline) -> None:
    board = Clipboard()
    a, _b = tl.sequence.track("V1")
    board.copy([a])
    tl.execute(board.paste_edit(tl.sequence, 60, "V1"))
    assert on(tl, "V1") == [(0, 40, 0), (40, 60, 50), (60, 100, 0)]
    assert tl.undo_label == "Paste"
    tl.undo()
    assert on(tl, "V1") == [(0, 40, 0), (40, 70, 50)]
    # No selection (or one on a track of the other kind): the first track of the kind.
    tl.execute(board.paste_edit(tl.sequence, 100, None))
    assert on(tl, "V1")[-1] == (100, 140, 0)
    tl.execute(board.paste_edit(tl.sequence, 0, "A1"))
    assert on(tl, "V1")[0] == (0, 40, 0) and on(tl, "A1") == []


def test_insert_paste_pushes_what_follows(tl: Timeline) -> None:
    board = Clipboard()
    _a, b = tl.sequence.track("V1")
    board.copy([b])
    tl.execute(board.paste_edit(tl.sequence, 20, "V1", "insert"))
    assert on(tl, "V1") == [(0, 20, 0), (20, 50, 50), (50, 70, 20), (70, 100, 50)]
    assert tl.undo_label == "Insert Paste"


def test_several_items_keep_their_distances_and_track_offsets(tl: Timeline) -> None:
    tl.execute({"op": "overwrite", "track": "A1", "asset": 2, "source_in": 0,
                "source_out": 10, "at": 5})
    board = Clipboard()
    a, b = tl.sequence.track("V1")
    [music] = tl.sequence.track("A1")
    assert board.copy([b, music, a]) == 3
    depth = len(tl.undo_stack)
    tl.execute(board.paste_edit(tl.sequence, 100, "V2"))  # V1's items go one track up
    assert len(tl.undo_stack) == depth + 1 and tl.undo_label == "Paste 3 items"
    assert on(tl, "V2") == [(100, 140, 0), (140, 170, 50)]
    assert on(tl, "A1")[-1] == (105, 115, 0)  # the other kind stays on its own track
    with pytest.raises(EditError, match="Not enough video tracks"):
        board.copy([a, tl.sequence.track("V2").items[0]])  # V1 and V2
        tl.execute(board.paste_edit(tl.sequence, 0, "V2"))


def test_cut_lifts_in_one_step_and_pastes_back(tl: Timeline) -> None:
    board = Clipboard()
    a, b = tl.sequence.track("V1")
    tl.execute(board.cut_edit([a, b]))
    assert on(tl, "V1") == [] and tl.undo_label == "Cut 2 items"
    tl.execute(board.paste_edit(tl.sequence, 10, None))
    assert on(tl, "V1") == [(10, 50, 0), (50, 80, 50)]


def test_generated_segments_paste_as_new_segments_but_not_insert(tl: Timeline) -> None:
    tl.execute({"op": "add_generated", "track": "V2", "at": 0, "duration": 12,
                "prompt": "fog", "seed": 7})
    [seg] = tl.sequence.track("V2")
    board = Clipboard()
    board.copy([seg])
    tl.execute(board.paste_edit(tl.sequence, 50, "V2"))
    pasted = tl.sequence.track("V2").items[-1]
    assert (pasted.start, pasted.duration, pasted.prompt, pasted.seed) == (50, 12, "fog", 7)
    assert pasted.id != seg.id
    with pytest.raises(EditError, match="cannot be insert-pasted"):
        board.paste_edit(tl.sequence, 0, "V2", "insert")


def test_nothing_copied_or_before_frame_zero_is_refused(tl: Timeline) -> None:
    with pytest.raises(EditError, match="Nothing to paste"):
        Clipboard().paste_edit(tl.sequence, 0, None)
    with pytest.raises(EditError, match="Select a clip"):
        Clipboard().copy([])


def test_a_pasted_clip_keeps_its_gain_fades_opacity_and_transform(tl: Timeline) -> None:
    a, _b = tl.sequence.track("V1")
    tl.execute({"op": "set", "item": a.id, "gain_db": -9.5, "fade_in": 5, "fade_out": 3,
                "opacity": 0.5, "enabled": False,
                "transform": [{"frame": 0, "scale": 2.0}, {"frame": 10, "x": 12.0}]})
    board = Clipboard()
    board.copy([tl.sequence.item(a.id)])
    for mode in ("overwrite", "insert"):
        tl.execute(board.paste_edit(tl.sequence, 100, "V1", mode))  # type: ignore[arg-type]
        pasted = tl.sequence.track("V1").items[-1]
        source = tl.sequence.item(a.id)
        keep = ("gain_db", "fade_in", "fade_out", "opacity", "enabled", "transform")
        assert pasted.id != a.id
        assert {k: getattr(pasted, k) for k in keep} == {k: getattr(source, k) for k in keep}
        tl.undo()
    # A plain clip's paste carries nothing extra.
    board.copy([tl.sequence.track("V1").items[1]])
    [step] = board.paste_edit(tl.sequence, 100, "V1")["steps"]
    assert "props" not in step
    with pytest.raises(EditError, match="gain_db must be"):
        tl.execute({"op": "overwrite", "track": "V1", "asset": 1, "source_in": 0,
                    "source_out": 5, "at": 200, "props": {"gain_db": 99}})
    with pytest.raises(EditError, match="cannot set"):
        tl.execute({"op": "overwrite", "track": "V1", "asset": 1, "source_in": 0,
                    "source_out": 5, "at": 200, "props": {"link": 4}})


def test_a_copied_picture_and_its_linked_sound_paste_linked(tl: Timeline) -> None:
    tl.execute({"op": "overwrite", "track": "V2", "asset": 1, "source_in": 0, "source_out": 20,
                "at": 0, "audio": "A1"})
    v, a = tl.sequence.track("V2").items[0], tl.sequence.track("A1").items[0]
    tl.execute({"op": "set", "item": a.id, "gain_db": -3.0})
    tl.execute({"op": "set", "item": v.id, "opacity": 0.5})
    v, a = tl.sequence.item(v.id), tl.sequence.item(a.id)
    board = Clipboard()
    board.copy([v, a])
    tl.execute(board.paste_edit(tl.sequence, 100, "V2"))
    pv, pa = tl.sequence.track("V2").items[-1], tl.sequence.track("A1").items[-1]
    assert (pv.start, pa.start) == (100, 100) and pv.id != v.id
    assert tl.sequence.linked(pv) == [pa] and pa.link != a.link
    assert (pv.opacity, pv.gain_db, pa.opacity, pa.gain_db) == (0.5, 0.0, 1.0, -3.0)
    # The picture alone pastes alone.
    board.copy([v])
    tl.execute(board.paste_edit(tl.sequence, 200, "V2"))
    assert tl.sequence.linked(tl.sequence.track("V2").items[-1]) == []
