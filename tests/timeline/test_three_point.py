"""Three-point editing: every combination of three marks, the four-point refusals, and the
source-to-record edits (insert, overwrite, replace, place on top, append) and the range
edits (lift, extract) across targeted tracks, each undone exactly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.editor import Timeline
from timeline.model import (
    EditError,
    MediaInfo,
    Sequence,
    SequenceSettings,
    Track,
    TrackInfo,
)
from timeline.three_point import EditPoints, resolve_points

MEDIA = {
    1: MediaInfo(1, "video", 100, True, True, "shot.mov"),
    2: MediaInfo(2, "video", 200, True, False, "b-roll.mov"),
    3: MediaInfo(3, "audio", 300, False, True, "music.wav"),
    4: MediaInfo(4, "image", None, True, False, "still.png"),
}


def timeline() -> Timeline:
    seq = Sequence(SequenceSettings())
    for name, kind, index in [("V1", "video", 1), ("V2", "video", 2), ("A1", "audio", 1),
                              ("A2", "audio", 2)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    return Timeline(seq, media=dict(MEDIA))


def with_cut() -> Timeline:
    """V1: b-roll 0-40 (source 0) then 40-80 (source 100); A1: music 0-80."""
    tl = timeline()
    for at, source_in in ((0, 0), (40, 100)):
        tl.execute({"op": "overwrite", "track": "V1", "asset": 2, "source_in": source_in,
                    "source_out": source_in + 40, "at": at})
    tl.execute({"op": "overwrite", "track": "A1", "asset": 3, "source_in": 0,
                "source_out": 80, "at": 0})
    tl.undo_stack.clear()
    return tl


def lay(tl: Timeline, track: str) -> list[tuple[int, int, int, int]]:
    """(asset, start, duration, source_in) per item."""
    return [(getattr(i, "asset", 0), i.start, i.duration, i.source_in)
            for i in tl.sequence.track(track)]


def marks(tl: Timeline, in_point: int | None, out_point: int | None) -> None:
    tl.sequence.in_point, tl.sequence.out_point = in_point, out_point


def undone_exactly(tl: Timeline, params: dict[str, Any]) -> Any:
    """Run ``params`` as one undo step; undo restores the sequence exactly, redo re-does it."""
    before = tl.sequence.snapshot()
    depth = len(tl.undo_stack)
    change = tl.execute(params)
    after = tl.sequence.snapshot()
    assert len(tl.undo_stack) == depth + 1
    tl.undo()
    assert tl.sequence.snapshot() == before
    tl.redo()
    assert tl.sequence.snapshot() == after
    return change


def refused(tl: Timeline, params: dict[str, Any], match: str) -> None:
    before = tl.sequence.snapshot()
    depth = len(tl.undo_stack)
    with pytest.raises(EditError, match=match):
        tl.execute(params)
    assert tl.sequence.snapshot() == before and len(tl.undo_stack) == depth


# --- the arithmetic: any three points, the fourth computed ---------------------------------

@pytest.mark.parametrize(("marks_given", "expected"), [
    # source In + Out, record In: the source gives the duration.
    ({"source_in": 10, "source_out": 30, "record_in": 50}, EditPoints(10, 30, 50)),
    # source In + Out, record Out: back-timed to end at the record Out.
    ({"source_in": 10, "source_out": 30, "record_out": 50}, EditPoints(10, 30, 30)),
    # source In + Out, no record mark: at the playhead.
    ({"source_in": 10, "source_out": 30}, EditPoints(10, 30, 7)),
    # record In + Out, source In: the source Out is computed.
    ({"record_in": 50, "record_out": 74, "source_in": 10}, EditPoints(10, 34, 50)),
    # record In + Out, source Out: the source In is computed.
    ({"record_in": 50, "record_out": 74, "source_out": 60}, EditPoints(36, 60, 50)),
    # record In + Out and no source mark: from the media's start.
    ({"record_in": 50, "record_out": 74}, EditPoints(0, 24, 50)),
    # one source mark: to / from the media's end / start.
    ({"source_in": 90, "record_in": 5}, EditPoints(90, 100, 5)),
    ({"source_out": 20, "record_out": 50}, EditPoints(0, 20, 30)),
    # four points that agree are fine.
    ({"source_in": 0, "source_out": 24, "record_in": 50, "record_out": 74},
     EditPoints(0, 24, 50)),
])
def test_any_three_points_give_the_fourth(marks_given: dict[str, int],
                                          expected: EditPoints) -> None:
    given = {"source_in": None, "source_out": None, "record_in": None, "record_out": None,
             **marks_given}
    assert resolve_points(**given, playhead=7, media_frames=100) == expected


@pytest.mark.parametrize(("source", "record", "message"), [
    ((0, 30), (50, 74), "6 frames longer than the timeline In/Out \\(30 vs 24"),
    ((0, 20), (50, 74), "4 frames shorter than the timeline In/Out \\(20 vs 24"),
    ((5, 6), (0, 2), "1 frame shorter"),
])
def test_four_points_that_disagree_are_refused_by_how_many_frames(
        source: tuple[int, int], record: tuple[int, int], message: str) -> None:
    with pytest.raises(EditError, match=message):
        resolve_points(source_in=source[0], source_out=source[1], record_in=record[0],
                       record_out=record[1], playhead=0, media_frames=100)


def test_refusals_say_why() -> None:
    with pytest.raises(EditError, match="still has no length"):
        resolve_points(source_in=None, source_out=None, record_in=3, record_out=None,
                       playhead=0, media_frames=None)
    with pytest.raises(EditError, match="5 frames before frame 0"):
        resolve_points(source_in=0, source_out=25, record_in=None, record_out=20,
                       playhead=0, media_frames=100)
    with pytest.raises(EditError, match="10 frames short of media"):
        resolve_points(source_in=None, source_out=14, record_in=0, record_out=24,
                       playhead=0, media_frames=100)
    with pytest.raises(EditError, match="source Out \\(3\\) must be after"):
        resolve_points(source_in=5, source_out=3, record_in=None, record_out=None,
                       playhead=0, media_frames=100)


# --- insert ---------------------------------------------------------------------------------

def test_insert_at_the_playhead_ripples_patched_and_targeted_tracks() -> None:
    tl = with_cut()
    change = undone_exactly(tl, {"op": "insert_edit", "asset": 1, "at": 20, "video": "V1",
                                 "tracks": ["A1"], "source_in": 10, "source_out": 22})
    assert lay(tl, "V1") == [(2, 0, 20, 0), (1, 20, 12, 10), (2, 32, 20, 20), (2, 52, 40, 100)]
    # A1 is targeted, not patched: it opens up by the same 12 frames and stays in sync.
    assert lay(tl, "A1") == [(3, 0, 20, 0), (3, 32, 60, 20)]
    assert change.label == "Insert shot.mov on V1: 12 frames at 00:00:00:20"


def test_insert_leaves_untargeted_tracks_alone() -> None:
    tl = with_cut()
    undone_exactly(tl, {"op": "insert_edit", "asset": 1, "at": 40, "video": "V1",
                        "source_in": 0, "source_out": 10})
    assert lay(tl, "A1") == [(3, 0, 80, 0)]
    assert lay(tl, "V1")[1:] == [(1, 40, 10, 0), (2, 50, 40, 100)]


def test_insert_between_timeline_marks_computes_the_source_out_and_clears_the_marks() -> None:
    tl = with_cut()
    marks(tl, 40, 56)
    undone_exactly(tl, {"op": "insert_edit", "asset": 1, "at": 0, "video": "V1",
                        "source_in": 30})
    assert lay(tl, "V1")[1] == (1, 40, 16, 30)
    assert (tl.sequence.in_point, tl.sequence.out_point) == (None, None)
    tl.undo()
    assert (tl.sequence.in_point, tl.sequence.out_point) == (40, 56)


def test_insert_back_timed_from_the_timeline_out() -> None:
    tl = with_cut()
    marks(tl, None, 40)
    undone_exactly(tl, {"op": "insert_edit", "asset": 1, "at": 70, "video": "V1",
                        "source_in": 0, "source_out": 15})
    assert lay(tl, "V1")[:2] == [(2, 0, 25, 0), (1, 25, 15, 0)]


def test_insert_audio_only_source_on_the_patched_audio_track() -> None:
    tl = with_cut()
    undone_exactly(tl, {"op": "insert_edit", "asset": 3, "at": 80, "audio": "A2",
                        "source_in": 100, "source_out": 148})
    assert lay(tl, "A2") == [(3, 80, 48, 100)]


# --- overwrite ------------------------------------------------------------------------------

@pytest.mark.parametrize(("record", "source", "expected"), [
    ((None, None), (5, 15), (1, 30, 10, 5)),  # source In/Out + playhead
    ((30, None), (5, 15), (1, 30, 10, 5)),  # source In/Out + timeline In
    ((None, 40), (5, 15), (1, 30, 10, 5)),  # source In/Out + timeline Out (back-timed)
    ((30, 40), (5, None), (1, 30, 10, 5)),  # timeline In/Out + source In
    ((30, 40), (None, 15), (1, 30, 10, 5)),  # timeline In/Out + source Out
])
def test_overwrite_with_each_combination_of_three_points(
        record: tuple[int | None, int | None], source: tuple[int | None, int | None],
        expected: tuple[int, int, int, int]) -> None:
    tl = with_cut()
    marks(tl, *record)
    undone_exactly(tl, {"op": "overwrite_edit", "asset": 1, "at": 30, "video": "V1",
                        "source_in": source[0], "source_out": source[1]})
    assert lay(tl, "V1") == [(2, 0, 30, 0), expected, (2, 40, 40, 100)]
    assert lay(tl, "A1") == [(3, 0, 80, 0)]  # not patched: untouched


def test_overwrite_four_points_too_long_or_short_is_refused() -> None:
    tl = with_cut()
    marks(tl, 30, 40)
    refused(tl, {"op": "overwrite_edit", "asset": 1, "at": 0, "video": "V1",
                 "source_in": 0, "source_out": 13}, "3 frames longer")
    refused(tl, {"op": "overwrite_edit", "asset": 1, "at": 0, "video": "V1",
                 "source_in": 0, "source_out": 8}, "2 frames shorter")


def test_media_length_limits_say_by_how_many_frames() -> None:
    tl = with_cut()
    marks(tl, 0, 30)
    # 30 frames from source frame 80 of a 100-frame clip: 10 short.
    refused(tl, {"op": "overwrite_edit", "asset": 1, "at": 0, "video": "V1",
                 "source_in": 80}, "10 frames more of shot.mov than it has")
    refused(tl, {"op": "overwrite_edit", "asset": 1, "at": 0, "video": "A1",
                 "source_in": 0}, "must be patched to a video track, not A1")
    refused(tl, {"op": "overwrite_edit", "asset": 3, "at": 0, "video": "V1"},
            "has no picture")
    refused(tl, {"op": "overwrite_edit", "asset": 1, "at": 0}, "No track patched")


def test_a_still_takes_its_length_from_the_marks() -> None:
    tl = with_cut()
    refused(tl, {"op": "overwrite_edit", "asset": 4, "at": 0, "video": "V2"},
            "still has no length")
    marks(tl, 10, 58)
    undone_exactly(tl, {"op": "overwrite_edit", "asset": 4, "at": 0, "video": "V2"})
    assert lay(tl, "V2") == [(4, 10, 48, 0)]


# --- replace --------------------------------------------------------------------------------

def test_replace_the_clip_under_the_playhead_matching_the_source_frame() -> None:
    tl = with_cut()
    tl.execute({"op": "set", "item": tl.sequence.track("V1").item_at(50).id, "opacity": 0.5})
    # The source monitor shows frame 60 of shot.mov; the playhead is at 50, 10 frames into
    # the second b-roll clip (40-80): shot.mov frames 50-90 replace it.
    change = undone_exactly(tl, {"op": "replace_edit", "asset": 1, "at": 50, "video": "V1",
                                 "source_position": 60})
    second = tl.sequence.track("V1").item_at(50)
    assert lay(tl, "V1") == [(2, 0, 40, 0), (1, 40, 40, 50)]
    assert second.opacity == 0.5  # type: ignore[union-attr]  # the clip keeps its properties
    assert change.label.startswith("Replace shot.mov on V1: 40 frames")


def test_replace_from_the_source_in_and_its_refusals() -> None:
    tl = with_cut()
    undone_exactly(tl, {"op": "replace_edit", "asset": 1, "at": 5, "video": "V1",
                        "source_in": 20})
    assert lay(tl, "V1")[0] == (1, 0, 40, 20)
    tl.undo()
    refused(tl, {"op": "replace_edit", "asset": 1, "at": 5, "video": "V1",
                 "source_in": 70}, "10 frames more of shot.mov")
    refused(tl, {"op": "replace_edit", "asset": 1, "at": 5, "video": "V1",
                 "source_position": 2}, "3 frames of shot.mov before its first frame")
    refused(tl, {"op": "replace_edit", "asset": 1, "at": 95, "video": "V1",
                 "source_in": 0}, "Nothing under the playhead")


def test_replace_between_timeline_marks() -> None:
    tl = with_cut()
    marks(tl, 30, 50)
    undone_exactly(tl, {"op": "replace_edit", "asset": 1, "at": 0, "video": "V1",
                        "source_in": 0})
    assert lay(tl, "V1") == [(2, 0, 30, 0), (1, 30, 20, 0), (2, 50, 30, 110)]


# --- place on top, append -------------------------------------------------------------------

def test_place_on_top_takes_the_first_free_track_above_and_adds_one_when_needed() -> None:
    tl = with_cut()
    change = undone_exactly(tl, {"op": "place_on_top", "asset": 1, "at": 10, "video": "V1",
                                 "source_in": 0, "source_out": 20})
    assert lay(tl, "V2") == [(1, 10, 20, 0)] and len(lay(tl, "V1")) == 2
    assert change.label.startswith("Place on Top shot.mov on V2")
    # V1 and V2 both taken over 15-25: a V3 is made, in the same undo step.
    before = tl.sequence.snapshot()
    tl.execute({"op": "place_on_top", "asset": 1, "at": 15, "video": "V1", "source_in": 0,
                "source_out": 10})
    assert lay(tl, "V3") == [(1, 15, 10, 0)]
    tl.undo()
    assert tl.sequence.snapshot() == before and "V3" not in tl.sequence.tracks
    # Where nothing is above V1, V2 is used again.
    undone_exactly(tl, {"op": "place_on_top", "asset": 1, "at": 40, "video": "V1",
                        "source_in": 0, "source_out": 5})
    assert lay(tl, "V2")[-1] == (1, 40, 5, 0)


def test_append_goes_after_the_end_of_the_sequence() -> None:
    tl = with_cut()
    marks(tl, 10, 20)  # the timeline marks play no part, and stay
    change = undone_exactly(tl, {"op": "append_edit", "asset": 1, "video": "V1",
                                 "source_in": 90})
    assert lay(tl, "V1")[-1] == (1, 80, 10, 90)
    assert (tl.sequence.in_point, tl.sequence.out_point) == (10, 20)
    assert change.label == "Append shot.mov on V1: 10 frames at 00:00:03:08"


# --- lift and extract between the timeline In/Out ------------------------------------------

def test_lift_between_marks_across_targeted_tracks_leaves_a_gap() -> None:
    tl = with_cut()
    marks(tl, 30, 50)
    change = undone_exactly(tl, {"op": "lift_range", "tracks": ["V1", "A1"]})
    assert lay(tl, "V1") == [(2, 0, 30, 0), (2, 50, 30, 110)]
    assert lay(tl, "A1") == [(3, 0, 30, 0), (3, 50, 30, 50)]
    assert change.label == "Lift 20 frames at 00:00:01:06 from V1, A1"
    assert tl.sequence.in_point is None


def test_extract_closes_the_gap_on_targeted_tracks_only() -> None:
    tl = with_cut()
    marks(tl, 30, 50)
    change = undone_exactly(tl, {"op": "extract_range", "tracks": ["V1"]})
    assert lay(tl, "V1") == [(2, 0, 30, 0), (2, 30, 30, 110)]
    assert lay(tl, "A1") == [(3, 0, 80, 0)]
    assert change.label.startswith("Extract 20 frames")
    marks(tl, 0, 10)
    undone_exactly(tl, {"op": "extract_range", "tracks": ["V1", "A1"]})
    assert lay(tl, "V1") == [(2, 0, 20, 10), (2, 20, 30, 110)]
    assert lay(tl, "A1") == [(3, 0, 70, 10)]


def test_lift_and_extract_refusals() -> None:
    tl = with_cut()
    refused(tl, {"op": "lift_range", "tracks": ["V1"]}, "needs a timeline In and Out")
    marks(tl, 100, 120)
    refused(tl, {"op": "extract_range", "tracks": ["V1", "A1"]}, "nothing between")
    marks(tl, 0, 10)
    refused(tl, {"op": "extract_range", "tracks": []}, "no track targeted")


def test_locked_targets_refuse_the_whole_edit() -> None:
    tl = with_cut()
    tl.execute({"op": "set_track", "track": "A1", "locked": True})
    refused(tl, {"op": "insert_edit", "asset": 1, "at": 20, "video": "V1", "tracks": ["A1"],
                 "source_in": 0, "source_out": 5}, "A1 is locked")


# --- every edit, every combination of three points ------------------------------------------

COMBINATIONS = [  # (timeline In, Out), (source In, Out): the new clip at 30-40 from source 5
    ((None, None), (5, 15)),
    ((30, None), (5, 15)),
    ((None, 40), (5, 15)),
    ((30, 40), (5, None)),
    ((30, 40), (None, 15)),
]


@pytest.mark.parametrize("op", ["insert_edit", "overwrite_edit", "place_on_top"])
@pytest.mark.parametrize(("record", "source"), COMBINATIONS)
def test_each_edit_with_each_combination_of_three_points(
        op: str, record: tuple[int | None, int | None],
        source: tuple[int | None, int | None]) -> None:
    tl = with_cut()
    marks(tl, *record)
    undone_exactly(tl, {"op": op, "asset": 1, "at": 30, "video": "V1",
                        "source_in": source[0], "source_out": source[1]})
    track = "V2" if op == "place_on_top" else "V1"
    assert (1, 30, 10, 5) in lay(tl, track)


@pytest.mark.parametrize("op", ["insert_edit", "overwrite_edit", "place_on_top",
                                "replace_edit"])
def test_four_points_that_disagree_refuse_every_edit(op: str) -> None:
    tl = with_cut()
    marks(tl, 30, 40)
    refused(tl, {"op": op, "asset": 1, "at": 30, "video": "V1", "source_in": 5,
                 "source_out": 20}, "5 frames longer")


@settings(max_examples=150, deadline=None)
@given(op=st.sampled_from(["insert_edit", "overwrite_edit", "place_on_top", "replace_edit",
                           "append_edit"]),
       record=st.tuples(st.none() | st.integers(0, 120), st.none() | st.integers(0, 120)),
       source=st.tuples(st.none() | st.integers(-5, 110), st.none() | st.integers(-5, 110)),
       at=st.integers(0, 120), patch_audio=st.booleans())
def test_random_marks_either_refuse_untouched_or_edit_and_undo_exactly(
        op: str, record: tuple[int | None, int | None], source: tuple[int | None, int | None],
        at: int, patch_audio: bool) -> None:
    tl = with_cut()
    marks(tl, *record)
    params: dict[str, Any] = {"op": op, "asset": 1, "video": "V1",
                              "audio": "A2" if patch_audio else None,
                              "source_in": source[0], "source_out": source[1]}
    if op != "append_edit":
        params["at"] = at
    before = tl.sequence.snapshot()
    try:
        change = tl.execute(params)
    except EditError:
        assert tl.sequence.snapshot() == before
        return
    added = [o.after for o in change.ops if getattr(o, "before", 0) is None
             and getattr(o.after, "asset", None) == 1]
    assert added or op == "replace_edit"
    for clip in added:
        assert 0 <= clip.source_in and clip.source_out <= 100
    tl.undo()
    assert tl.sequence.snapshot() == before
