"""Linked audio: a video file's picture and sound as two clips that edit together, and J/L
cuts made by trimming one side alone."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from timeline.editor import Timeline
from timeline.engine.mixer import mix_audio
from timeline.model import Clip, EditError, MediaInfo, Sequence, SequenceSettings, Track, TrackInfo
from timeline.time import first_sample_of_frame

FPS = Fraction(25)
RATE = 48000
MEDIA = {1: MediaInfo(1, "video", 200, True, True, "shot.mov"),
         2: MediaInfo(2, "video", 200, True, True, "other.mov")}


@pytest.fixture
def tl() -> Timeline:
    seq = Sequence(SequenceSettings(fps=FPS, sample_rate=RATE))
    for name, kind, index in [("V1", "video", 1), ("A1", "audio", 1), ("A2", "audio", 2)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))  # type: ignore[arg-type]
    t = Timeline(seq, media=dict(MEDIA))
    t.execute({"op": "overwrite", "track": "V1", "asset": 1, "source_in": 20, "source_out": 70,
               "at": 0, "audio": "A1"})
    t.execute({"op": "overwrite", "track": "V1", "asset": 2, "source_in": 20, "source_out": 70,
               "at": 50, "audio": "A1"})
    return t


def pair(tl: Timeline, index: int) -> tuple[Clip, Clip]:
    v = tl.sequence.track("V1").items[index]
    a = tl.sequence.track("A1").items[index]
    assert isinstance(v, Clip) and isinstance(a, Clip) and v.link == a.link is not None
    return v, a


def spans_of(tl: Timeline, track: str) -> list[tuple[int, int, int]]:
    return [(i.start, i.end, i.source_in) for i in tl.sequence.track(track)]


def test_overwrite_with_audio_links_picture_and_sound(tl: Timeline) -> None:
    v, a = pair(tl, 0)
    assert (a.start, a.duration, a.source_in, a.asset) == (v.start, v.duration, 20, 1)
    assert tl.sequence.linked(v) == [a] and tl.sequence.linked(a) == [v]
    v2, a2 = pair(tl, 1)
    assert v2.link != v.link


def test_linked_clips_move_together_and_alone_moves_one(tl: Timeline) -> None:
    v, a = pair(tl, 1)
    tl.execute({"op": "move", "item": v.id, "track": "V1", "at": 120})
    assert spans_of(tl, "V1")[1][:2] == (120, 170) and spans_of(tl, "A1")[1][:2] == (120, 170)
    tl.undo()
    tl.execute({"op": "move", "item": a.id, "track": "A2", "at": 60})  # the sound's own move
    assert tl.sequence.item(v.id).start == 60 and tl.sequence.item(a.id).track == "A2"
    tl.undo()
    tl.execute({"op": "move", "item": a.id, "track": "A1", "at": 52, "alone": True})
    assert tl.sequence.item(v.id).start == 50 and tl.sequence.item(a.id).start == 52


def test_trim_moves_both_edges_and_alone_makes_a_j_cut(tl: Timeline) -> None:
    v1, a1 = pair(tl, 0)
    v2, a2 = pair(tl, 1)
    tl.execute({"op": "trim", "item": v1.id, "side": "out", "delta": -10})
    assert tl.sequence.item(a1.id).end == 40 == tl.sequence.item(v1.id).end
    tl.undo()
    # J cut: the second shot's sound starts 10 frames before its picture. Trim the first
    # sound's out back, then the second's in back, each alone.
    tl.execute({"op": "trim", "item": a1.id, "side": "out", "delta": -10, "alone": True})
    tl.execute({"op": "trim", "item": a2.id, "side": "in", "delta": -10, "alone": True})
    assert spans_of(tl, "V1") == [(0, 50, 20), (50, 100, 20)]
    assert spans_of(tl, "A1") == [(0, 40, 20), (40, 100, 10)]
    assert tl.sequence.item(a2.id).link == tl.sequence.item(v2.id).link  # still linked
    # ...and the mixer hears the second shot from frame 40, while its picture cuts at 50.

    class Named:
        def has_audio(self, asset: int) -> bool:
            return True

        def samples(self, asset: int, first: int, count: int) -> np.ndarray:
            return np.full((count, 1), float(asset), np.float32)

    at = first_sample_of_frame(45, RATE, FPS)
    assert mix_audio(tl.sequence, at, 1, Named())[0, 0] == 2.0
    # Undo goes back one step at a time.
    tl.undo()
    assert spans_of(tl, "A1") == [(0, 40, 20), (50, 100, 20)]


def test_a_trim_the_sound_cannot_follow_is_refused_whole(tl: Timeline) -> None:
    v1, a1 = pair(tl, 0)
    tl.execute({"op": "trim", "item": v1.id, "side": "out", "delta": -10, "alone": True})
    before = tl.sequence.snapshot()
    # The picture has room to grow; its sound would run over the next shot's sound.
    with pytest.raises(EditError, match="would overlap"):
        tl.execute({"op": "trim", "item": v1.id, "side": "out", "delta": 5})
    assert tl.sequence.snapshot() == before


def test_delete_ripple_delete_and_split_act_on_linked_clips(tl: Timeline) -> None:
    v1, a1 = pair(tl, 0)
    tl.execute({"op": "lift", "item": v1.id})
    assert tl.sequence.find_item(a1.id) is None
    tl.undo()
    tl.execute({"op": "lift", "item": v1.id, "alone": True})
    assert tl.sequence.find_item(a1.id) is not None
    tl.undo()
    tl.execute({"op": "ripple_delete", "item": a1.id})
    assert spans_of(tl, "V1") == [(0, 50, 20)] and spans_of(tl, "A1") == [(0, 50, 20)]
    tl.undo()
    tl.execute({"op": "split", "track": "V1", "at": 20})
    v_left, v_right = tl.sequence.track("V1").items[:2]
    a_left, a_right = tl.sequence.track("A1").items[:2]
    assert (a_left.end, a_right.start) == (20, 20)
    assert v_left.link == a_left.link and v_right.link == a_right.link != v_left.link


def undoes_exactly(tl: Timeline, params: dict) -> None:
    before = tl.sequence.snapshot()
    tl.execute(params)
    after = tl.sequence.snapshot()
    tl.undo()
    assert tl.sequence.snapshot() == before
    tl.redo()
    assert tl.sequence.snapshot() == after
    tl.undo()


def test_linked_edits_undo_and_redo_exactly(tl: Timeline) -> None:
    v1, a1 = pair(tl, 0)
    v2, a2 = pair(tl, 1)
    for params in [
        {"op": "move", "item": v2.id, "track": "V1", "at": 130},
        {"op": "trim", "item": a1.id, "side": "out", "delta": -5, "ripple": True},
        {"op": "trim", "item": v2.id, "side": "in", "delta": 5, "alone": True},
        {"op": "ripple_delete", "item": v1.id},
        {"op": "split", "track": "A1", "at": 75},
        {"op": "slip", "item": v2.id, "delta": 3},
        {"op": "unlink", "items": [a2.id]},
        {"op": "link", "items": [v1.id, a2.id]},
    ]:
        undoes_exactly(tl, params)


def test_unlink_and_link(tl: Timeline) -> None:
    v1, a1 = pair(tl, 0)
    tl.execute({"op": "unlink", "items": [v1.id]})
    assert tl.sequence.item(a1.id).link is None and tl.sequence.linked(v1) == []
    tl.execute({"op": "move", "item": v1.id, "track": "V1", "at": 150})
    assert tl.sequence.item(a1.id).start == 0
    tl.undo()
    with pytest.raises(EditError, match="not linked"):
        tl.execute({"op": "unlink", "items": [v1.id]})
    tl.execute({"op": "link", "items": [v1.id, a1.id]})
    assert tl.sequence.linked(tl.sequence.item(v1.id)) == [tl.sequence.item(a1.id)]
    with pytest.raises(EditError, match="list of clip ids"):
        tl.execute({"op": "link", "items": [[1]]})
    tl.execute({"op": "unlink", "items": [a1.id]})
    with pytest.raises(EditError, match="at least two"):
        tl.execute({"op": "link", "items": [v1.id]})


def test_video_tracks_are_silent_and_disabled_clips_too(tl: Timeline) -> None:
    class Ones:
        def has_audio(self, asset: int) -> bool:
            return True

        def samples(self, asset: int, first: int, count: int) -> np.ndarray:
            return np.ones((count, 1), np.float32)

    at = first_sample_of_frame(10, RATE, FPS)
    assert mix_audio(tl.sequence, at, 1, Ones())[0, 0] == 1.0  # the A1 clip alone
    v1, a1 = pair(tl, 0)
    tl.execute({"op": "set", "item": a1.id, "enabled": False})
    assert mix_audio(tl.sequence, at, 1, Ones())[0, 0] == 0.0
    with pytest.raises(EditError, match="enabled must be true or false"):
        tl.execute({"op": "set", "item": a1.id, "enabled": 1})


def test_rename_and_delete_a_track(tl: Timeline) -> None:
    tl.execute({"op": "rename_track", "track": "A1", "label": " Dialogue "})
    assert tl.sequence.track("A1").info.shown == "Dialogue"
    assert tl.undo_label == "Rename Track A1 to Dialogue"
    with pytest.raises(EditError, match="one line"):
        tl.execute({"op": "rename_track", "track": "A1", "label": "a\nb"})
    v1, a1 = pair(tl, 0)
    before = tl.sequence.snapshot()
    tl.execute({"op": "delete_track", "track": "A1"})
    assert "A1" not in tl.sequence.tracks
    assert tl.sequence.item(v1.id).link is None  # its sound went with the track
    tl.undo()
    assert tl.sequence.snapshot() == before
    with pytest.raises(EditError, match="only video track"):
        tl.execute({"op": "delete_track", "track": "V1"})
    tl.execute({"op": "set_track", "track": "A2", "locked": True})
    with pytest.raises(EditError, match="locked"):
        tl.execute({"op": "delete_track", "track": "A2"})
