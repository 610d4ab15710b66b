"""Gesture limits and snapping (``timeline.gestures``): what a drag becomes before it is an
edit. No display: these are the rules the timeline view asks while it paints a drag.

The layout of most tests, on V1 of a 100-frame asset (1) and a 20-frame one (2):
A [0,40) source 10-50 | B [40,70) source 60-90 | gap | G [90,110) generated segment.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline import edits, gestures
from timeline.editor import Timeline
from timeline.gestures import (
    DragResult,
    clamp_roll,
    clamp_slide,
    clamp_slip,
    clamp_trim,
    cut_at,
    drag_marker,
    drag_move,
    drag_range,
    drag_roll,
    drag_slide,
    drag_slip,
    drag_trim,
    group_move_steps,
    group_offset,
    group_track,
    kind_tracks,
    move_track,
    razor_frame,
    snap_frame,
)
from timeline.model import (
    EditError,
    Item,
    MediaInfo,
    Sequence,
    SequenceSettings,
    Track,
    TrackInfo,
    TrackKind,
)
from timeline.snapping import SnapTargets, snap_targets

MEDIA = {
    1: MediaInfo(1, "video", 100, True, True, "shot.mov"),
    2: MediaInfo(2, "video", 20, True, True, "short.mov"),
}
NO_TARGETS = SnapTargets(())


def empty_timeline() -> Timeline:
    seq = Sequence(SequenceSettings())
    tracks: list[tuple[str, TrackKind, int]] = [("V1", "video", 1), ("V2", "video", 2),
                                                ("V3", "video", 3), ("A1", "audio", 1)]
    for name, kind, index in tracks:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    return Timeline(seq, media=dict(MEDIA))


def put(tl: Timeline, track: str, asset: int, source_in: int, source_out: int,
        at: int) -> Item:
    tl.execute({"op": "overwrite", "track": track, "asset": asset, "source_in": source_in,
                "source_out": source_out, "at": at})
    item = tl.sequence.track(track).item_at(at)
    assert item is not None
    return item


def generated(tl: Timeline, track: str, at: int, duration: int) -> Item:
    tl.execute({"op": "add_generated", "track": track, "at": at, "duration": duration})
    item = tl.sequence.track(track).item_at(at)
    assert item is not None
    return item


@pytest.fixture
def tl() -> Timeline:
    tl = empty_timeline()
    put(tl, "V1", 1, 10, 50, 0)
    put(tl, "V1", 1, 60, 90, 40)
    generated(tl, "V1", 90, 20)
    return tl


def items(tl: Timeline) -> tuple[Item, Item, Item]:
    a, b, g = tl.sequence.track("V1")
    return a, b, g


# --- the media-length rule lives in one place -------------------------------------------------


def test_gestures_ask_the_edits_media_length_rule(tl: Timeline) -> None:
    assert gestures.media_length is edits.media_length
    a, _, g = items(tl)
    assert edits.media_length(a, tl.media) == 100
    assert edits.media_length(g, tl.media) is None  # a generated segment has no end
    assert edits.media_length(a, {}) is None  # an asset nobody knows: unbounded


# --- trim -------------------------------------------------------------------------------------


def test_a_trim_out_stops_at_the_end_of_the_media(tl: Timeline) -> None:
    _, b, _ = items(tl)
    # B plays source 60-90 of 100: its out edge can grow by 10 (the gap after it is 20).
    assert clamp_trim(tl.sequence, b, "out", 50, tl.media) == 10
    assert clamp_trim(tl.sequence, b, "out", 50, tl.media, ripple=True) == 10
    assert clamp_trim(tl.sequence, b, "out", 7, tl.media) == 7
    # With a shorter asset behind the clip, the limit follows that asset's length.
    short = {**tl.media, 1: MediaInfo(1, "video", 92, True, True)}
    assert clamp_trim(tl.sequence, b, "out", 50, short) == 2


def test_a_trim_out_stops_at_the_next_item_unless_it_ripples(tl: Timeline) -> None:
    a, _, _ = items(tl)
    # A's out edge touches B: only a ripple can grow it (up to its media, source 50 of 100).
    assert clamp_trim(tl.sequence, a, "out", 5, tl.media) == 0
    assert clamp_trim(tl.sequence, a, "out", 5, tl.media, ripple=True) == 5
    assert clamp_trim(tl.sequence, a, "out", 80, tl.media, ripple=True) == 50
    # Shrinking keeps a frame.
    assert clamp_trim(tl.sequence, a, "out", -100, tl.media) == -39


def test_a_trim_in_stops_at_frame_0_the_previous_item_and_the_media_start(
        tl: Timeline) -> None:
    a, b, g = items(tl)
    assert clamp_trim(tl.sequence, a, "in", -5, tl.media) == 0  # A starts at frame 0
    # A ripple trim keeps the start and reaches back into the media (source 10 -> 0).
    assert clamp_trim(tl.sequence, a, "in", -50, tl.media, ripple=True) == -10
    assert clamp_trim(tl.sequence, b, "in", -5, tl.media) == 0  # A ends where B starts
    assert clamp_trim(tl.sequence, a, "in", 100, tl.media) == 39  # a frame is left
    # G sits after a 20-frame gap, but a segment's source starts at 0: nothing before it.
    assert clamp_trim(tl.sequence, g, "in", -30, tl.media) == 0


def test_a_generated_segment_trims_out_without_a_media_limit(tl: Timeline) -> None:
    _, _, g = items(tl)
    assert clamp_trim(tl.sequence, g, "out", 500, tl.media) == 500


def test_drag_trim_snaps_the_edge_then_clamps_and_drops_a_snap_it_cannot_reach(
        tl: Timeline) -> None:
    _, b, _ = items(tl)
    targets = snap_targets(tl.sequence, playhead=76, exclude_items=(b.id,))
    # B's out edge (70) dragged +5 to 75: the playhead at 76 is within 2 frames.
    assert drag_trim(tl.sequence, b, "out", 5, targets, 2, tl.media) == DragResult(6, 76)
    assert drag_trim(tl.sequence, b, "out", 5, targets, 0, tl.media) == DragResult(5, None)
    assert drag_trim(tl.sequence, b, "out", 5, targets, None, tl.media) == DragResult(5, None)
    # Playhead at 85 is past B's media (at most +10, to 80): clamped, so no snap line.
    targets = snap_targets(tl.sequence, playhead=85, exclude_items=(b.id,))
    assert drag_trim(tl.sequence, b, "out", 14, targets, 2, tl.media) == DragResult(10, None)


# --- roll -------------------------------------------------------------------------------------


def test_a_roll_stops_where_either_side_runs_out(tl: Timeline) -> None:
    a, b, _ = items(tl)
    assert cut_at(tl.sequence.track("V1"), 40) == (a, b)
    assert cut_at(tl.sequence.track("V1"), 70) is None  # B is followed by a gap
    assert clamp_roll(a, b, 100, tl.media) == 29  # B keeps a frame
    assert clamp_roll(a, b, -100, tl.media) == -39  # A keeps a frame
    # A (source 10-50) on a 55-frame asset can only grow by 5.
    assert clamp_roll(a, b, 100, {1: MediaInfo(1, "video", 55, True, True)}) == 5
    targets = snap_targets(tl.sequence, playhead=46, exclude_items=(a.id, b.id))
    assert drag_roll(a, b, 5, targets, 1, tl.media) == DragResult(6, 46)


def test_a_roll_into_a_clip_at_its_media_start_cannot_go_left() -> None:
    tl = empty_timeline()
    a = put(tl, "V1", 1, 10, 50, 0)
    b = put(tl, "V1", 1, 0, 30, 40)  # B starts at source frame 0
    assert clamp_roll(a, b, -5, tl.media) == 0


# --- slip -------------------------------------------------------------------------------------


def test_a_slip_is_clamped_by_the_source_range(tl: Timeline) -> None:
    _, b, _ = items(tl)
    # B plays 60-90 of 100: the source can move from -60 to +10.
    assert clamp_slip(b, 50, tl.media) == 10
    assert clamp_slip(b, -80, tl.media) == -60
    # The media follows the mouse: dragging left (raw < 0) shows later frames.
    assert drag_slip(b, -50, tl.media) == DragResult(10)
    assert drag_slip(b, 100, tl.media) == DragResult(-60)
    assert drag_slip(b, 3, tl.media) == DragResult(-3)


def test_a_clip_that_uses_all_its_media_cannot_slip() -> None:
    tl = empty_timeline()
    whole = put(tl, "V1", 2, 0, 20, 0)
    assert clamp_slip(whole, 5, tl.media) == 0
    assert clamp_slip(whole, -5, tl.media) == 0


# --- slide ------------------------------------------------------------------------------------


def test_a_slide_stops_at_the_gap_and_the_neighbour_it_shortens(tl: Timeline) -> None:
    _, b, _ = items(tl)
    # Right: into the 20-frame gap and no further (A grows over its media, 50 frames left).
    assert clamp_slide(tl.sequence, b, 50, tl.media) == 20
    # Left: A keeps one frame.
    assert clamp_slide(tl.sequence, b, -50, tl.media) == -39


def test_a_slide_is_held_by_the_media_of_the_neighbours() -> None:
    tl = empty_timeline()
    put(tl, "V1", 2, 5, 15, 0)  # A [0,10) plays source 5-15 of the 20-frame asset
    b = put(tl, "V1", 1, 0, 10, 10)
    c = put(tl, "V1", 1, 3, 30, 20)  # C starts at source 3
    assert clamp_slide(tl.sequence, b, 50, tl.media) == 5  # A can only grow by 5
    assert clamp_slide(tl.sequence, b, -50, tl.media) == -3  # C can only reach back 3
    assert clamp_slide(tl.sequence, c, 50, tl.media) == 50  # nothing after C
    targets = snap_targets(tl.sequence, playhead=13, exclude_items=(b.id,))
    # B [10,20) dragged +2: its start snaps to the playhead at 13 (+3, within A's media).
    assert drag_slide(tl.sequence, b, 2, targets, 1, tl.media) == DragResult(3, 13)
    # Dragged +6 and snapped: more than A's media allows, so clamped, without a snap line.
    targets = snap_targets(tl.sequence, playhead=17, exclude_items=(b.id,))
    assert drag_slide(tl.sequence, b, 6, targets, 1, tl.media) == DragResult(5, None)


# --- move -------------------------------------------------------------------------------------


def test_a_move_stops_at_frame_0_not_at_neighbours(tl: Timeline) -> None:
    a, b, g = items(tl)
    assert drag_move(b, -100, NO_TARGETS, None) == DragResult(-40)
    # Moving over another clip overwrites it (as op_move does): the neighbour does not stop it.
    assert drag_move(a, 20, NO_TARGETS, None) == DragResult(20)
    # A selection stops when its earliest item reaches frame 0.
    assert drag_move(g, -100, NO_TARGETS, None, group=(b, g)) == DragResult(-40)
    assert drag_move(b, -10, NO_TARGETS, None, group=(a, b)) == DragResult(0)


def test_a_move_snaps_the_nearer_edge_within_tolerance(tl: Timeline) -> None:
    _, _, g = items(tl)
    targets = snap_targets(tl.sequence, playhead=125, exclude_items=(g.id,))
    # G [90,110) dragged +13: its end (123) is 2 from the playhead at 125.
    assert drag_move(g, 13, targets, 2) == DragResult(15, 125)
    assert drag_move(g, 13, targets, 1) == DragResult(13, None)  # outside the tolerance
    assert drag_move(g, 15, targets, None) == DragResult(15, None)  # snapping off
    # Dragged -18: its start (72) is 2 after B's end at 70.
    assert drag_move(g, -18, targets, 2) == DragResult(-20, 70)


def test_a_move_stays_on_tracks_of_its_kind(tl: Timeline) -> None:
    a, _, _ = items(tl)
    assert move_track(tl.sequence, a, "V2", "V1") == "V2"
    assert move_track(tl.sequence, a, "A1", "V2") == "V2"  # not onto sound: stays
    assert move_track(tl.sequence, a, None, "V1") == "V1"  # below the tracks


def test_a_selection_shifts_across_tracks_as_far_as_all_of_it_can(tl: Timeline) -> None:
    a, b, _ = items(tl)
    c = put(tl, "V2", 1, 0, 10, 0)
    names = kind_tracks(tl.sequence, "video")
    assert names == ["V1", "V2", "V3"]
    group = (a, c)
    assert group_offset(names, a, group, "V2") == 1
    assert group_offset(names, a, group, "V3") == 1  # C on V2 can only go up one
    assert group_offset(names, c, group, "V1") == 0  # A on V1 cannot go lower
    assert group_offset(names, c, (c,), "V1") == -1
    assert group_track(names, 1, a) == "V2" and group_track(names, 1, c) == "V3"
    assert group_track(names, 0, c) == "V2"
    # Moving up one track and right: C (ahead, on V2) moves first, then A; in time, the
    # later item first.
    steps = group_move_steps(group, names, 1, 5)
    assert [(s["item"], s["track"], s["at"]) for s in steps] == [(c.id, "V3", 5),
                                                                 (a.id, "V2", 5)]
    steps = group_move_steps((a, b), names, 0, 5)
    assert [s["item"] for s in steps] == [b.id, a.id]
    steps = group_move_steps((a, b), names, 0, -5)
    assert [s["item"] for s in steps] == [a.id, b.id]
    # The steps are edits the model accepts, as one group.
    tl.execute({"op": "group", "label": "Move", "steps": group_move_steps(group, names, 1, 5)})
    where = {i.id: (i.track, i.start) for i in tl.sequence.all_items()}
    assert where[a.id] == ("V2", 5) and where[c.id] == ("V3", 5)


# --- markers, in/out, razor -------------------------------------------------------------------


def test_markers_ranges_and_razor_snap_and_stay_after_frame_0(tl: Timeline) -> None:
    targets = snap_targets(tl.sequence, playhead=33)
    assert drag_marker(10, -50, targets, 2) == DragResult(-10, 0)  # snaps to A's start at 0
    assert drag_marker(10, -50, NO_TARGETS, 2) == DragResult(-10, None)
    assert drag_marker(10, 22, targets, 2) == DragResult(23, 33)
    assert drag_range(50, 31, targets, 2) == ((33, 50), 33)
    assert drag_range(50, 60, targets, None) == ((50, 60), None)
    a, _, _ = items(tl)
    assert razor_frame(a, 31, snap_targets(tl.sequence, playhead=33, exclude_items=(a.id,)),
                       2) == 33
    assert snap_frame(targets, 33, None) == (33, None)  # off: not even an exact hit
    assert snap_frame(targets, 33, 0) == (33, 33)


# --- the limits are exactly what the model accepts -------------------------------------------

ASSET_LENGTH = 20


@st.composite
def layouts(draw: Any) -> list[tuple[int, int, bool, int]]:
    """Items on V1: (gap before it, duration, generated?, source_in) for 1-4 items."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        duration = draw(st.integers(1, 12))
        is_generated = draw(st.booleans())
        source_in = 0 if is_generated else draw(st.integers(0, ASSET_LENGTH - duration))
        out.append((draw(st.sampled_from([0, 0, 1, 3])), duration, is_generated, source_in))
    return out


def build(layout: list[tuple[int, int, bool, int]]) -> Timeline:
    tl = empty_timeline()
    cursor = 0
    for gap, duration, is_generated, source_in in layout:
        at = cursor + gap
        if is_generated:
            generated(tl, "V1", at, duration)
        else:
            put(tl, "V1", 2, source_in, source_in + duration, at)
        cursor = at + duration
    return tl


def accepted(tl: Timeline, params: dict[str, Any]) -> bool:
    """Whether the model makes this edit (it is undone again if it does)."""
    try:
        change = tl.execute(params)
    except EditError:
        return False
    if change.ops:
        tl.undo()
    return True


@settings(max_examples=300, deadline=None)
@given(layout=layouts(), pick=st.integers(0, 3), gesture=st.sampled_from(
    ["trim in", "trim out", "roll", "slip", "slide"]), delta=st.integers(-30, 30),
    ripple=st.booleans())
def test_a_clamped_delta_is_accepted_and_an_accepted_one_is_not_clamped(
        layout: list[tuple[int, int, bool, int]], pick: int, gesture: str, delta: int,
        ripple: bool) -> None:
    tl = build(layout)
    seq = tl.sequence
    track = seq.track("V1")
    item = track.items[pick % len(track.items)]
    params: dict[str, Any]
    if gesture.startswith("trim"):
        side = gesture.split()[1]
        clamped = clamp_trim(seq, item, side, delta, tl.media, ripple=ripple)
        params = {"op": "trim", "item": item.id, "side": side, "ripple": ripple}
    elif gesture == "roll":
        cut = cut_at(track, item.end)
        if cut is None:
            return
        clamped = clamp_roll(cut[0], cut[1], delta, tl.media)
        params = {"op": "roll", "track": "V1", "at": item.end}
    elif gesture == "slip":
        clamped = clamp_slip(item, delta, tl.media)
        params = {"op": "slip", "item": item.id}
    else:
        clamped = clamp_slide(seq, item, delta, tl.media)
        params = {"op": "slide", "item": item.id}
    before = seq.snapshot()
    assert accepted(tl, {**params, "delta": clamped}), (gesture, delta, clamped)
    if accepted(tl, {**params, "delta": delta}):
        assert clamped == delta
    assert seq.snapshot() == before


def test_a_slide_across_a_gap_stops_at_the_next_item() -> None:
    # Found by the property above: a clip with a gap after it slid by 4 jumped over the two
    # items beyond the gap and landed after them; the model now refuses what the clamp stops.
    tl = build([(0, 1, False, 0), (1, 1, True, 0), (0, 1, True, 0)])
    clip = tl.sequence.track("V1").items[0]
    assert clamp_slide(tl.sequence, clip, 4, tl.media) == 1
    assert not accepted(tl, {"op": "slide", "item": clip.id, "delta": 4})
    assert accepted(tl, {"op": "slide", "item": clip.id, "delta": 1})
