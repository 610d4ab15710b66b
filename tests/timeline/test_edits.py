"""Each edit operation on concrete layouts, its refusals, and exact undo/redo/batch.

Layouts are written as ``(id, start, duration, source_in)`` per item, in track order.
"""

from __future__ import annotations

from typing import Any

import pytest

from timeline.editor import Timeline
from timeline.edits import OPERATIONS
from timeline.model import (
    Clip,
    EditError,
    GeneratedSegment,
    Marker,
    MediaInfo,
    Sequence,
    SequenceSettings,
    Track,
    TrackInfo,
    Transition,
)
from timeline.time import FrameRange

MEDIA = {
    1: MediaInfo(1, "video", 100, True, True, "shot.mov"),
    2: MediaInfo(2, "video", 40, True, False, "silent.mov"),
    3: MediaInfo(3, "audio", 300, False, True, "music.wav"),
    4: MediaInfo(4, "image", None, True, False, "still.png"),
}

Layout = list[tuple[int, int, int, int]]


def empty_timeline() -> Timeline:
    seq = Sequence(SequenceSettings())
    for name, kind, index in [("V1", "video", 1), ("V2", "video", 2), ("A1", "audio", 1)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    return Timeline(seq, media=dict(MEDIA))


def put(tl: Timeline, track: str, asset: int, source_in: int, source_out: int, at: int) -> int:
    tl.execute({"op": "overwrite", "track": track, "asset": asset, "source_in": source_in,
                "source_out": source_out, "at": at})
    return tl.sequence.track(track).item_at(at).id  # type: ignore[union-attr]


def lay(tl: Timeline, track: str = "V1") -> Layout:
    return [(i.id, i.start, i.duration, i.source_in) for i in tl.sequence.track(track)]


def refused(tl: Timeline, params: dict[str, Any], match: str) -> None:
    """The edit raises EditError saying ``match`` and changes nothing at all."""
    before = tl.sequence.snapshot()
    next_id = tl.ids.next_id
    undo = list(tl.undo_stack)
    redo = list(tl.redo_stack)
    with pytest.raises(EditError, match=match):
        tl.execute(params)
    assert tl.sequence.snapshot() == before
    assert tl.ids.next_id == next_id
    assert tl.undo_stack == undo
    assert tl.redo_stack == redo


def undoes_exactly(tl: Timeline, params: dict[str, Any]) -> None:
    """Run an edit, then check undo and redo restore the exact snapshots."""
    before = tl.sequence.snapshot()
    tl.execute(params)
    after = tl.sequence.snapshot()
    tl.undo()
    assert tl.sequence.snapshot() == before
    tl.redo()
    assert tl.sequence.snapshot() == after


A, B, C, M = 1, 2, 3, 4  # ids in the ``tl`` fixture


@pytest.fixture
def tl() -> Timeline:
    """V1: A [0,10) src 0 | B [10,30) src 20 | gap [30,40) | C [40,50) src 50 (all asset 1,
    100 frames); V2 empty; A1: M [0,50) src 0 (asset 3)."""
    tl = empty_timeline()
    assert put(tl, "V1", 1, 0, 10, 0) == A
    assert put(tl, "V1", 1, 20, 40, 10) == B
    assert put(tl, "V1", 1, 50, 60, 40) == C
    assert put(tl, "A1", 3, 0, 50, 0) == M
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 20, 20), (C, 40, 10, 50)]
    assert tl.ids.next_id == 5
    return tl


def test_every_operation_is_covered_here() -> None:
    covered = {
        "append", "insert", "overwrite", "lift", "ripple_delete", "split", "trim", "roll",
        "slip", "slide", "move", "add_marker", "remove_marker", "move_marker", "set_marker",
        "set_in_out",
        "add_generated", "set", "add_transition", "remove_transition", "add_track",
        "set_track",
        "add_cast", "set_cast", "remove_cast",  # tests/timeline/test_conditioning.py
        "group",
        # tests/timeline/test_three_point.py
        "insert_edit", "overwrite_edit", "replace_edit", "place_on_top", "append_edit",
        "lift_range", "extract_range",
        "link", "unlink",  # tests/timeline/test_linked_audio.py
        "rename_track", "delete_track",  # tests/timeline/test_linked_audio.py
        "extend", "split_shots",  # tests/timeline/test_shot_edits.py
        "set_beats", "cut_to_beats",  # tests/timeline/test_beats.py
    }
    assert set(OPERATIONS) == covered


# --- append ------------------------------------------------------------------------------


def test_append_places_clips_end_to_end() -> None:
    tl = empty_timeline()
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 10})
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 5, "source_out": 15})
    assert lay(tl) == [(1, 0, 10, 0), (2, 10, 10, 5)]
    clip = tl.sequence.item(2)
    assert isinstance(clip, Clip) and clip.asset == 1 and clip.track == "V1"
    assert tl.undo_label == "Append"


def test_append_at_goes_no_earlier_than_the_track_end(tl: Timeline) -> None:
    tl.execute({"op": "append", "track": "V1", "asset": 4, "source_in": 0, "source_out": 500,
                "at": 70})
    tl.execute({"op": "append", "track": "V1", "asset": 2, "source_in": 0, "source_out": 5,
                "at": 3})
    assert lay(tl)[3:] == [(5, 70, 500, 0), (6, 570, 5, 0)]


def test_append_refusals(tl: Timeline) -> None:
    base = {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 10}
    refused(tl, {**base, "asset": 9}, "No asset with id 9")
    refused(tl, {**base, "source_out": 0}, r"source_out \(0\) must be after source_in \(0\)")
    refused(tl, {**base, "source_out": 101}, "run past the end of its media")
    refused(tl, {**base, "source_in": -1}, "before the beginning of its media")
    refused(tl, {**base, "asset": 3}, "no picture")
    refused(tl, {**base, "track": "A1", "asset": 2}, "no sound")
    refused(tl, {**base, "track": "V9"}, "No track named 'V9'")
    refused(tl, {**base, "color": "red"}, "Bad parameters for 'append'")
    refused(tl, {"op": "explode"}, "Unknown operation 'explode'")


# --- insert ------------------------------------------------------------------------------


def test_insert_inside_a_clip_splits_it_and_ripples_that_track(tl: Timeline) -> None:
    tl.execute({"op": "insert", "track": "V1", "asset": 2, "source_in": 0, "source_out": 5,
                "at": 20})
    # New clip id 5, right half of B id 6.
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 10, 20), (5, 20, 5, 0), (6, 25, 10, 30),
                       (C, 45, 10, 50)]
    assert lay(tl, "A1") == [(M, 0, 50, 0)]  # other tracks do not ripple
    undoes_exactly(tl, {"op": "insert", "track": "V1", "asset": 2, "source_in": 0,
                        "source_out": 5, "at": 20})


def test_insert_at_a_cut_and_in_a_gap(tl: Timeline) -> None:
    tl.execute({"op": "insert", "track": "V1", "asset": 1, "source_in": 0, "source_out": 3,
                "at": 10})
    assert lay(tl) == [(A, 0, 10, 0), (5, 10, 3, 0), (B, 13, 20, 20), (C, 43, 10, 50)]
    tl.execute({"op": "insert", "track": "V1", "asset": 1, "source_in": 0, "source_out": 2,
                "at": 35})
    assert lay(tl) == [(A, 0, 10, 0), (5, 10, 3, 0), (B, 13, 20, 20), (6, 35, 2, 0),
                       (C, 45, 10, 50)]


def test_insert_refusals(tl: Timeline) -> None:
    base = {"op": "insert", "track": "V1", "asset": 1, "source_in": 0, "source_out": 5}
    refused(tl, {**base, "at": -1}, "before frame 0")
    refused(tl, {**base, "at": 5, "source_out": 200}, "run past the end of its media")
    refused(tl, base, "Bad parameters for 'insert'")  # 'at' is required


# --- overwrite ---------------------------------------------------------------------------


def test_overwrite_trims_clips_on_both_sides(tl: Timeline) -> None:
    tl.execute({"op": "overwrite", "track": "V1", "asset": 2, "source_in": 10,
                "source_out": 20, "at": 5})
    assert lay(tl) == [(A, 0, 5, 0), (5, 5, 10, 10), (B, 15, 15, 25), (C, 40, 10, 50)]
    assert tl.sequence.duration_frames == 50  # nothing rippled


def test_overwrite_inside_one_clip_splits_it(tl: Timeline) -> None:
    tl.execute({"op": "overwrite", "track": "V1", "asset": 2, "source_in": 0,
                "source_out": 5, "at": 15})
    # Clip 5 is the new one, 6 the right remainder of B.
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 5, 20), (5, 15, 5, 0), (6, 20, 10, 30),
                       (C, 40, 10, 50)]


def test_overwrite_replaces_whole_clips_and_gaps(tl: Timeline) -> None:
    tl.execute({"op": "overwrite", "track": "V1", "asset": 1, "source_in": 0,
                "source_out": 30, "at": 25})
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 15, 20), (5, 25, 30, 0)]
    assert tl.sequence.find_item(C) is None


# --- lift / ripple delete -------------------------------------------------------------------


def test_lift_leaves_a_gap(tl: Timeline) -> None:
    tl.execute({"op": "lift", "item": B})
    assert lay(tl) == [(A, 0, 10, 0), (C, 40, 10, 50)]
    assert tl.sequence.track("V1").gaps() == [FrameRange(10, 30)]
    refused(tl, {"op": "lift", "item": B}, f"No item with id {B}")


def test_ripple_delete_closes_the_gap(tl: Timeline) -> None:
    tl.execute({"op": "ripple_delete", "item": B})
    assert lay(tl) == [(A, 0, 10, 0), (C, 20, 10, 50)]
    assert lay(tl, "A1") == [(M, 0, 50, 0)]
    tl.execute({"op": "ripple_delete", "item": A})
    assert lay(tl) == [(C, 10, 10, 50)]  # the gap before C stays: only the item's length
    undoes_exactly(tl, {"op": "ripple_delete", "item": C})


# --- split ---------------------------------------------------------------------------------


def test_split_cuts_a_clip_in_two(tl: Timeline) -> None:
    tl.execute({"op": "split", "track": "V1", "at": 15})
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 5, 20), (5, 15, 15, 25), (C, 40, 10, 50)]
    right = tl.sequence.item(5)
    assert isinstance(right, Clip) and right.asset == 1


def test_split_refuses_cuts_gaps_and_empty_tracks(tl: Timeline) -> None:
    refused(tl, {"op": "split", "track": "V1", "at": 10}, "No item on V1 spans frame 10")
    refused(tl, {"op": "split", "track": "V1", "at": 35}, "No item on V1 spans frame 35")
    refused(tl, {"op": "split", "track": "V2", "at": 5}, "No item on V2 spans frame 5")


# --- trim ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "side", "delta", "expected"),
    [
        (B, "out", 5, [(A, 0, 10, 0), (B, 10, 25, 20), (C, 40, 10, 50)]),
        (B, "out", -5, [(A, 0, 10, 0), (B, 10, 15, 20), (C, 40, 10, 50)]),
        (B, "in", 5, [(A, 0, 10, 0), (B, 15, 15, 25), (C, 40, 10, 50)]),
        (C, "in", -5, [(A, 0, 10, 0), (B, 10, 20, 20), (C, 35, 15, 45)]),
        (C, "in", -10, [(A, 0, 10, 0), (B, 10, 20, 20), (C, 30, 20, 40)]),  # flush with B
    ],
)
def test_plain_trim_moves_one_edge_only(
    tl: Timeline, item: int, side: str, delta: int, expected: Layout
) -> None:
    tl.execute({"op": "trim", "item": item, "side": side, "delta": delta})
    assert lay(tl) == expected


@pytest.mark.parametrize(
    ("item", "side", "delta", "expected"),
    [
        (A, "out", 5, [(A, 0, 15, 0), (B, 15, 20, 20), (C, 45, 10, 50)]),
        (B, "out", -5, [(A, 0, 10, 0), (B, 10, 15, 20), (C, 35, 10, 50)]),
        # A ripple trim of the head keeps the clip's start and moves what follows.
        (B, "in", 5, [(A, 0, 10, 0), (B, 10, 15, 25), (C, 35, 10, 50)]),
        (B, "in", -5, [(A, 0, 10, 0), (B, 10, 25, 15), (C, 45, 10, 50)]),
        (C, "out", 40, [(A, 0, 10, 0), (B, 10, 20, 20), (C, 40, 50, 50)]),  # to media end
    ],
)
def test_ripple_trim_moves_later_items(
    tl: Timeline, item: int, side: str, delta: int, expected: Layout
) -> None:
    tl.execute({"op": "trim", "item": item, "side": side, "delta": delta, "ripple": True})
    assert lay(tl) == expected
    assert lay(tl, "A1") == [(M, 0, 50, 0)]
    tl.undo()
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 20, 20), (C, 40, 10, 50)]


@pytest.mark.parametrize("ripple", [False, True])
def test_trim_refuses_media_bounds_and_zero_length(tl: Timeline, ripple: bool) -> None:
    # Regression: a ripple trim to zero length used to shift the next item onto the empty
    # one's start; the rollback's inverse shift then moved both, raising RuntimeError
    # ("history out of step") and leaving the sequence corrupted.
    def trim(item: int, side: str, delta: int) -> dict[str, Any]:
        return {"op": "trim", "item": item, "side": side, "delta": delta, "ripple": ripple}

    refused(tl, trim(C, "out", 41), "run past the end of its media")
    tl.execute({"op": "slip", "item": C, "delta": -45})  # C: [40,50) from source 5
    refused(tl, trim(C, "in", -6), "before the beginning of its media")
    refused(tl, trim(A, "in", 10), "shorter than one frame")
    refused(tl, trim(A, "in", 25), "shorter than one frame")
    refused(tl, trim(A, "out", -10), "shorter than one frame")
    refused(tl, trim(B, "out", -25), "shorter than one frame")
    refused(tl, trim(C, "out", -10), "shorter than one frame")  # nothing after it
    refused(tl, trim(B, "side", 1), "Trim side must be 'in' or 'out'")


def test_plain_trim_refuses_to_overlap_a_neighbour(tl: Timeline) -> None:
    refused(tl, {"op": "trim", "item": B, "side": "out", "delta": 11}, "would overlap")
    refused(tl, {"op": "trim", "item": C, "side": "in", "delta": -11}, "would overlap")
    refused(tl, {"op": "trim", "item": B, "side": "in", "delta": -1}, "would overlap")
    refused(tl, {"op": "trim", "item": A, "side": "in", "delta": -1}, "before frame 0")


# --- roll ----------------------------------------------------------------------------------


def test_roll_moves_a_cut(tl: Timeline) -> None:
    tl.execute({"op": "roll", "track": "V1", "at": 10, "delta": 3})
    assert lay(tl) == [(A, 0, 13, 0), (B, 13, 17, 23), (C, 40, 10, 50)]
    tl.execute({"op": "roll", "track": "V1", "at": 13, "delta": -8})
    assert lay(tl) == [(A, 0, 5, 0), (B, 5, 25, 15), (C, 40, 10, 50)]


def test_roll_refusals(tl: Timeline) -> None:
    refused(tl, {"op": "roll", "track": "V1", "at": 30, "delta": 2},
            "No cut between two adjacent items on V1 at frame 30")
    refused(tl, {"op": "roll", "track": "V1", "at": 10, "delta": 20}, "shorter than one frame")
    refused(tl, {"op": "roll", "track": "V1", "at": 10, "delta": -10}, "shorter than one frame")
    # B's head can only go back 20 source frames.
    tl.execute({"op": "trim", "item": A, "side": "out", "delta": 20, "ripple": True})
    assert lay(tl) == [(A, 0, 30, 0), (B, 30, 20, 20), (C, 60, 10, 50)]
    refused(tl, {"op": "roll", "track": "V1", "at": 30, "delta": -21},
            "before the beginning of its media")
    # A's tail can only go on to the end of its 100-frame media.
    tl.execute({"op": "slip", "item": A, "delta": 70})
    assert lay(tl)[0] == (A, 0, 30, 70)
    refused(tl, {"op": "roll", "track": "V1", "at": 30, "delta": 1},
            r"run past the end of its media \(needs source frame 101")
    tl.execute({"op": "roll", "track": "V1", "at": 30, "delta": -1})
    assert lay(tl)[:2] == [(A, 0, 29, 70), (B, 29, 21, 19)]


# --- slip ----------------------------------------------------------------------------------


def test_slip_changes_the_source_not_the_position(tl: Timeline) -> None:
    tl.execute({"op": "slip", "item": B, "delta": 10})
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 20, 30), (C, 40, 10, 50)]
    tl.execute({"op": "slip", "item": B, "delta": -30})
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 20, 0), (C, 40, 10, 50)]
    tl.execute({"op": "slip", "item": B, "delta": 80})  # source 80..100: the media's end
    assert lay(tl)[1] == (B, 10, 20, 80)


def test_slip_refuses_media_bounds(tl: Timeline) -> None:
    refused(tl, {"op": "slip", "item": B, "delta": -21}, "before the beginning of its media")
    refused(tl, {"op": "slip", "item": B, "delta": 61},
            r"run past the end of its media \(needs source frame 101, media has 100\)")


# --- slide ---------------------------------------------------------------------------------


@pytest.fixture
def abd() -> Timeline:
    """V1: A [0,10) src 0 | B [10,30) src 20 | D [30,40) src 2, all adjacent."""
    tl = empty_timeline()
    put(tl, "V1", 1, 0, 10, 0)
    put(tl, "V1", 1, 20, 40, 10)
    put(tl, "V1", 1, 2, 12, 30)
    return tl


def test_slide_moves_a_clip_between_its_neighbours(abd: Timeline) -> None:
    abd.execute({"op": "slide", "item": 2, "delta": 3})
    assert lay(abd) == [(1, 0, 13, 0), (2, 13, 20, 20), (3, 33, 7, 5)]
    abd.execute({"op": "slide", "item": 2, "delta": -5})
    assert lay(abd) == [(1, 0, 8, 0), (2, 8, 20, 20), (3, 28, 12, 0)]


def test_slide_refusals(abd: Timeline) -> None:
    refused(abd, {"op": "slide", "item": 2, "delta": 10}, "shorter than one frame")
    # D starts 2 frames into its media, so B can slide left by 2 at most.
    refused(abd, {"op": "slide", "item": 2, "delta": -3}, "before the beginning of its media")


def test_slide_without_neighbours_moves_into_the_gap(tl: Timeline) -> None:
    tl.execute({"op": "slide", "item": C, "delta": -5})
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 20, 20), (C, 35, 10, 50)]
    refused(tl, {"op": "slide", "item": C, "delta": -6}, "would overlap")


# --- move ----------------------------------------------------------------------------------


def test_move_to_another_time(tl: Timeline) -> None:
    tl.execute({"op": "move", "item": C, "track": "V1", "at": 60})
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 20, 20), (C, 60, 10, 50)]


def test_move_to_another_track_keeps_the_id(tl: Timeline) -> None:
    tl.execute({"op": "move", "item": B, "track": "V2", "at": 5})
    assert lay(tl) == [(A, 0, 10, 0), (C, 40, 10, 50)]
    assert lay(tl, "V2") == [(B, 5, 20, 20)]
    assert tl.sequence.item(B).track == "V2"


def test_move_overwrites_at_the_target(tl: Timeline) -> None:
    tl.execute({"op": "move", "item": C, "track": "V1", "at": 5})
    assert lay(tl) == [(A, 0, 5, 0), (C, 5, 10, 50), (B, 15, 15, 25)]
    undoes_exactly(tl, {"op": "move", "item": C, "track": "V1", "at": 15})


def test_move_refusals(tl: Timeline) -> None:
    refused(tl, {"op": "move", "item": B, "track": "A1", "at": 0},
            "Cannot move item 2 from a video track to the audio track A1")
    refused(tl, {"op": "move", "item": B, "track": "V1", "at": -1}, "before frame 0")
    refused(tl, {"op": "move", "item": 99, "track": "V1", "at": 0}, "No item with id 99")


# --- markers / in-out ---------------------------------------------------------------------


def test_markers_add_move_remove(tl: Timeline) -> None:
    tl.execute({"op": "add_marker", "at": 12, "name": "beat", "color": "red", "duration": 4,
                "note": "hit"})
    assert tl.sequence.markers == {
        5: Marker(id=5, frame=12, name="beat", color="red", duration=4, note="hit")
    }
    tl.execute({"op": "move_marker", "marker": 5, "at": 30})
    assert tl.sequence.markers[5].frame == 30
    assert tl.sequence.markers[5].name == "beat"
    tl.execute({"op": "remove_marker", "marker": 5})
    assert tl.sequence.markers == {}
    tl.undo()
    tl.undo()
    assert tl.sequence.markers[5].frame == 12


def test_set_marker_changes_its_fields_as_one_step(tl: Timeline) -> None:
    tl.execute({"op": "add_marker", "at": 12, "name": "beat"})
    undoes_exactly(tl, {"op": "set_marker", "marker": 5, "name": "drop", "color": "green",
                        "duration": 6, "note": "bass in"})
    assert tl.sequence.markers[5] == Marker(id=5, frame=12, name="drop", color="green",
                                            duration=6, note="bass in")
    depth = len(tl.undo_stack)
    tl.execute({"op": "set_marker", "marker": 5, "name": "drop"})  # no change: no step
    assert len(tl.undo_stack) == depth
    refused(tl, {"op": "set_marker", "marker": 5, "duration": -1}, "duration >= 0")
    refused(tl, {"op": "set_marker", "marker": 9, "name": "x"}, "No marker with id 9")


def test_marker_refusals(tl: Timeline) -> None:
    refused(tl, {"op": "add_marker", "at": -1}, "frame >= 0")
    refused(tl, {"op": "add_marker", "at": 0, "duration": -1}, "duration >= 0")
    refused(tl, {"op": "remove_marker", "marker": 7}, "No marker with id 7")
    refused(tl, {"op": "move_marker", "marker": 7, "at": 3}, "No marker with id 7")
    tl.execute({"op": "add_marker", "at": 5})
    refused(tl, {"op": "move_marker", "marker": 5, "at": -2}, "frame >= 0")


def test_set_in_out(tl: Timeline) -> None:
    seq = tl.sequence
    tl.execute({"op": "set_in_out", "in_point": 10, "out_point": 50})
    assert (seq.in_point, seq.out_point) == (10, 50)
    tl.execute({"op": "set_in_out", "out_point": 60})  # the in point stays
    assert (seq.in_point, seq.out_point) == (10, 60)
    tl.execute({"op": "set_in_out", "in_point": 20})
    assert (seq.in_point, seq.out_point) == (20, 60)
    refused(tl, {"op": "set_in_out", "in_point": 60}, r"out point \(60\) must be after")
    refused(tl, {"op": "set_in_out", "out_point": 5}, r"out point \(5\) must be after")
    refused(tl, {"op": "set_in_out", "in_point": -1}, "in point cannot be before frame 0")
    tl.execute({"op": "set_in_out", "clear": True})
    assert (seq.in_point, seq.out_point) == (None, None)
    tl.undo()
    assert (seq.in_point, seq.out_point) == (20, 60)
    tl.redo()
    refused(tl, {"op": "set_in_out", "out_point": -5}, "out point cannot be before frame 0")
    tl.execute({"op": "set_in_out", "out_point": 40})  # an out point alone is fine
    assert (seq.in_point, seq.out_point) == (None, 40)


# --- generated segments / set --------------------------------------------------------------


def test_add_generated_overwrites_like_a_clip(tl: Timeline) -> None:
    tl.execute({"op": "add_generated", "track": "V1", "at": 5, "duration": 10,
                "prompt": "a red door", "seed": 7})
    assert lay(tl) == [(A, 0, 5, 0), (5, 5, 10, 0), (B, 15, 15, 25), (C, 40, 10, 50)]
    seg = tl.sequence.item(5)
    assert isinstance(seg, GeneratedSegment)
    assert (seg.prompt, seg.seed, seg.model, seg.takes, seg.active_take) == (
        "a red door", 7, "previz", (), None)
    tl.execute({"op": "set", "item": 5, "prompt": "a blue door"})
    seg = tl.sequence.item(5)
    assert isinstance(seg, GeneratedSegment)
    assert (seg.prompt, seg.active_take) == ("a blue door", None)
    # Only one of the segment's own takes can be made active (takes come with generation).
    with pytest.raises(EditError, match="not one of this segment's takes"):
        tl.execute({"op": "set", "item": 5, "active_take": 3})
    with pytest.raises(EditError, match="opacity must be a number from 0 to 1"):
        tl.execute({"op": "set", "item": 5, "opacity": 1.5})
    # No media bounds: a generated segment can be slipped and trimmed freely (source >= 0).
    tl.execute({"op": "slip", "item": 5, "delta": 500})
    assert lay(tl)[1] == (5, 5, 10, 500)


def test_add_generated_and_set_refusals(tl: Timeline) -> None:
    refused(tl, {"op": "add_generated", "track": "V1", "at": 0, "duration": 0},
            "duration of at least 1 frame")
    refused(tl, {"op": "add_generated", "track": "V1", "at": -3, "duration": 4}, "at >= 0")
    refused(tl, {"op": "set", "item": A, "prompt": "x"}, r"Cannot set \['prompt'\] on a clip")


def test_a_generated_segment_on_an_audio_track_mixes_like_a_clip(tl: Timeline) -> None:
    """Issue 17: on an audio track a generated segment makes sound; it takes the audio
    clip's gain and fades (checked like a clip's), and undoes as one step."""
    tl.execute({"op": "add_generated", "track": "A1", "at": 100, "duration": 24,
                "prompt": "rain on a tin roof"})
    seg = tl.sequence.track("A1").item_at(100)
    assert isinstance(seg, GeneratedSegment) and seg.prompt == "rain on a tin roof"
    assert (seg.gain_db, seg.fade_in, seg.fade_out) == (0.0, 0, 0)
    tl.execute({"op": "set", "item": seg.id, "gain_db": -6.0, "fade_in": 4, "fade_out": 6})
    seg = tl.sequence.item(seg.id)
    assert isinstance(seg, GeneratedSegment)
    assert (seg.gain_db, seg.fade_in, seg.fade_out) == (-6.0, 4, 6)
    refused(tl, {"op": "set", "item": seg.id, "gain_db": 99.0}, "gain_db must be")
    tl.undo()
    assert tl.sequence.item(seg.id).gain_db == 0.0  # type: ignore[attr-defined]


def test_set_clip_properties(tl: Timeline) -> None:
    tl.execute({"op": "set", "item": A, "opacity": 0.5, "gain_db": -6.0})
    clip = tl.sequence.item(A)
    assert isinstance(clip, Clip) and (clip.opacity, clip.gain_db) == (0.5, -6.0)
    assert lay(tl)[0] == (A, 0, 10, 0)


# --- transitions ---------------------------------------------------------------------------


def test_add_and_remove_transition(tl: Timeline) -> None:
    tl.execute({"op": "add_transition", "track": "V1", "at": 10, "duration": 6})
    assert tl.sequence.track("V1").transitions == {
        5: Transition(id=5, track="V1", from_item=A, to_item=B, duration=6)
    }
    tl.execute({"op": "remove_transition", "transition": 5})
    assert tl.sequence.track("V1").transitions == {}
    tl.undo()
    assert 5 in tl.sequence.track("V1").transitions


def test_transition_refusals(tl: Timeline) -> None:
    refused(tl, {"op": "add_transition", "track": "V1", "at": 30, "duration": 4},
            "A dissolve needs a cut between two adjacent clips; V1 has none at frame 30")
    refused(tl, {"op": "add_transition", "track": "V1", "at": 10, "duration": 0},
            "at least 1 frame")
    refused(tl, {"op": "add_transition", "track": "V1", "at": 10, "duration": 24},
            "longer than its clips")
    refused(tl, {"op": "remove_transition", "transition": 42}, "No transition with id 42")
    tl.execute({"op": "add_transition", "track": "V1", "at": 10, "duration": 4})
    refused(tl, {"op": "add_transition", "track": "V1", "at": 10, "duration": 2},
            "already has a transition")
    # The dissolve needs 2 frames before B's in point: B may slip to 2, not to 1.
    refused(tl, {"op": "slip", "item": B, "delta": -19}, "needs 2 frames of media before")
    tl.execute({"op": "slip", "item": B, "delta": -18})


def test_transition_handles_are_checked() -> None:
    tl = empty_timeline()
    put(tl, "V1", 1, 90, 100, 0)  # ends at the end of its media: no handle after
    put(tl, "V1", 1, 50, 60, 10)
    put(tl, "V1", 1, 0, 10, 20)  # starts at the start of its media: no handle before
    refused(tl, {"op": "add_transition", "track": "V1", "at": 10, "duration": 2},
            "needs 1 frames of media after item 1's out point")
    refused(tl, {"op": "add_transition", "track": "V1", "at": 20, "duration": 2},
            "needs 1 frames of media before item 3's in point")


def test_transitions_follow_edits_and_go_with_their_cut(tl: Timeline) -> None:
    tl.execute({"op": "add_transition", "track": "V1", "at": 10, "duration": 4})
    tl.execute({"op": "ripple_delete", "item": C})
    assert list(tl.sequence.track("V1").transitions) == [5]
    # Splitting the outgoing clip hands the dissolve to the right half.
    tl.execute({"op": "split", "track": "V1", "at": 4})
    assert lay(tl) == [(A, 0, 4, 0), (6, 4, 6, 4), (B, 10, 20, 20)]
    assert tl.sequence.track("V1").transitions[5].from_item == 6
    # Inserting at the cut breaks it apart: the dissolve is dropped.
    tl.execute({"op": "insert", "track": "V1", "asset": 1, "source_in": 0, "source_out": 5,
                "at": 10})
    assert tl.sequence.track("V1").transitions == {}
    tl.undo()
    assert tl.sequence.track("V1").transitions[5] == Transition(
        id=5, track="V1", from_item=6, to_item=B, duration=4)


# --- tracks and locking ----------------------------------------------------------------------


def test_add_track_and_switches(tl: Timeline) -> None:
    tl.execute({"op": "add_track", "kind": "video"})
    tl.execute({"op": "add_track", "kind": "audio"})
    assert list(tl.sequence.tracks) == ["V1", "V2", "V3", "A1", "A2"]
    tl.execute({"op": "set_track", "track": "A2", "muted": True, "solo": True})
    info = tl.sequence.track("A2").info
    assert (info.muted, info.solo, info.locked, info.hidden) == (True, True, False, False)
    refused(tl, {"op": "set_track", "track": "A2", "loud": True}, "Track switches are")
    tl.undo()
    tl.undo()
    assert list(tl.sequence.tracks) == ["V1", "V2", "V3", "A1"]


def test_locked_tracks_refuse_edits(tl: Timeline) -> None:
    tl.execute({"op": "set_track", "track": "V1", "locked": True})
    ins = {"op": "insert", "track": "V1", "asset": 1, "source_in": 0, "source_out": 5,
           "at": 0}
    refused(tl, ins, "Track V1 is locked; unlock it first")
    refused(tl, {"op": "lift", "item": A}, "Track V1 is locked")
    refused(tl, {"op": "trim", "item": B, "side": "out", "delta": 1}, "Track V1 is locked")
    refused(tl, {"op": "add_transition", "track": "V1", "at": 10, "duration": 2},
            "Track V1 is locked")
    # Moving onto a locked track, and off it, are both refused.
    tl.execute({"op": "overwrite", "track": "V2", "asset": 1, "source_in": 0,
                "source_out": 5, "at": 60})
    refused(tl, {"op": "move", "item": 5, "track": "V1", "at": 60}, "Track V1 is locked")
    refused(tl, {"op": "move", "item": A, "track": "V2", "at": 80}, "Track V1 is locked")
    # Edits elsewhere, markers and unlocking still work.
    tl.execute({"op": "add_marker", "at": 3})
    tl.execute({"op": "set_track", "track": "V1", "locked": False})
    tl.execute(ins)
    assert lay(tl)[0] == (7, 0, 5, 0)


# --- history -------------------------------------------------------------------------------


def test_undo_redo_restore_exact_snapshots(tl: Timeline) -> None:
    steps: list[dict[str, Any]] = [
        {"op": "insert", "track": "V1", "asset": 1, "source_in": 0, "source_out": 5, "at": 20},
        {"op": "add_transition", "track": "V1", "at": 10, "duration": 4},
        {"op": "trim", "item": C, "side": "in", "delta": 3, "ripple": True},
        {"op": "slide", "item": B, "delta": 2},
        {"op": "move", "item": M, "track": "A1", "at": 7},
        {"op": "add_marker", "at": 9},
        {"op": "set_in_out", "in_point": 1, "out_point": 9},
        {"op": "ripple_delete", "item": A},
    ]
    snapshots = [tl.sequence.snapshot()]
    undo_depth = len(tl.undo_stack)
    for params in steps:
        tl.execute(params)
        snapshots.append(tl.sequence.snapshot())
    assert tl.undo_label == "Ripple Delete"
    for expected in reversed(snapshots[:-1]):
        tl.undo()
        assert tl.sequence.snapshot() == expected
    assert len(tl.undo_stack) == undo_depth
    assert tl.redo_label == "Insert"
    for expected in snapshots[1:]:
        tl.redo()
        assert tl.sequence.snapshot() == expected
    assert tl.redo() is None and not tl.can_redo
    # A new edit after an undo drops the redo branch.
    tl.undo()
    tl.execute({"op": "lift", "item": B})
    assert not tl.can_redo
    assert tl.undo_label == "Lift"


def test_undo_and_redo_on_empty_history() -> None:
    tl = empty_timeline()
    assert tl.undo() is None and tl.redo() is None
    assert (tl.can_undo, tl.undo_label, tl.redo_label) == (False, None, None)


def test_batch_is_all_or_nothing(tl: Timeline) -> None:
    before = tl.sequence.snapshot()
    undo = list(tl.undo_stack)
    next_id = tl.ids.next_id
    with pytest.raises(EditError, match="No item on V1 spans frame 35"), tl.batch():
        tl.execute({"op": "split", "track": "V1", "at": 15})
        tl.execute({"op": "ripple_delete", "item": A})
        tl.undo()  # undos inside the batch are taken back too
        tl.execute({"op": "lift", "item": C})
        tl.execute({"op": "split", "track": "V1", "at": 35})
    assert tl.sequence.snapshot() == before
    assert tl.undo_stack == undo and tl.redo_stack == []
    assert tl.ids.next_id == next_id

    with tl.batch():
        tl.execute({"op": "split", "track": "V1", "at": 15})
        with tl.batch():  # nested: part of the outer batch
            tl.execute({"op": "lift", "item": C})
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 5, 20), (5, 15, 15, 25)]
    assert len(tl.undo_stack) == len(undo) + 2


def test_batch_rolls_back_on_any_exception(tl: Timeline) -> None:
    before = tl.sequence.snapshot()
    with pytest.raises(RuntimeError, match="boom"), tl.batch():
        tl.execute({"op": "lift", "item": B})
        raise RuntimeError("boom")
    assert tl.sequence.snapshot() == before


# --- group -------------------------------------------------------------------------------


def test_group_ripple_deletes_several_items_as_one_undo_step(tl: Timeline) -> None:
    depth = len(tl.undo_stack)
    # Later item first: each step sees what the one before left.
    change = tl.execute({"op": "group", "label": "Ripple Delete 2 items",
                         "steps": [{"op": "ripple_delete", "item": C},
                                   {"op": "ripple_delete", "item": A}]})
    assert change.label == "Ripple Delete 2 items"
    assert lay(tl) == [(B, 0, 20, 20)]
    assert len(tl.undo_stack) == depth + 1
    tl.undo()
    assert lay(tl) == [(A, 0, 10, 0), (B, 10, 20, 20), (C, 40, 10, 50)]
    undoes_exactly(tl, {"op": "group", "steps": [{"op": "lift", "item": A},
                                                 {"op": "lift", "item": B}]})


def test_group_moves_adjacent_items_together(tl: Timeline) -> None:
    tl.execute({"op": "group", "steps": [{"op": "move", "item": B, "track": "V1", "at": 15},
                                         {"op": "move", "item": A, "track": "V1", "at": 5}]})
    assert lay(tl) == [(A, 5, 10, 0), (B, 15, 20, 20), (C, 40, 10, 50)]
    assert tl.undo_stack[-1].label == "Edit"


def test_a_failing_step_takes_the_whole_group_back(tl: Timeline) -> None:
    refused(tl, {"op": "group", "steps": [{"op": "lift", "item": A},
                                          {"op": "lift", "item": 99}]}, r"step 1 \(lift\)")
    refused(tl, {"op": "group", "steps": [{"op": "lift", "item": 1.5}]}, "step 0")
    refused(tl, {"op": "group", "steps": []}, "at least one step")
    refused(tl, {"op": "group", "steps": [{"op": "group", "steps": []}]}, "nested")
    refused(tl, {"op": "group", "steps": "lift"}, "steps must be")
