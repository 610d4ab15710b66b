"""Snapping: target collection, nearest-with-priority lookups, range snaps, pixel tolerance."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.changes import ItemOp, apply_op
from timeline.editor import Timeline
from timeline.model import Clip, MediaInfo, Sequence, SequenceSettings, Track, TrackInfo
from timeline.snapping import (
    SnapResult,
    SnapTarget,
    SnapTargets,
    snap_targets,
    tolerance_frames,
)

MEDIA = {1: MediaInfo(1, "video", 1000, True, True), 2: MediaInfo(2, "audio", 1000, False, True)}


def make_timeline() -> Timeline:
    seq = Sequence(SequenceSettings())
    for name, kind, index in [("V1", "video", 1), ("V2", "video", 2), ("A1", "audio", 1)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    return Timeline(seq, media=dict(MEDIA))


def clip(tl: Timeline, track: str, at: int, length: int) -> int:
    asset = 2 if track.startswith("A") else 1
    tl.execute({"op": "overwrite", "track": track, "asset": asset, "source_in": 0,
                "source_out": length, "at": at})
    return max(i.id for i in tl.sequence.all_items())


@pytest.fixture
def tl() -> Timeline:
    """V1: [0,10) [10,30) [50,60); V2: [35,45); A1: [5,25); markers at 70 and 80 (+5);
    in 90, out 120."""
    tl = make_timeline()
    clip(tl, "V1", 0, 10)
    clip(tl, "V1", 10, 20)
    clip(tl, "V1", 50, 10)
    clip(tl, "V2", 35, 10)
    clip(tl, "A1", 5, 20)
    tl.execute({"op": "add_marker", "at": 70, "name": "a"})
    tl.execute({"op": "add_marker", "at": 80, "name": "b", "duration": 5})
    tl.execute({"op": "set_in_out", "in_point": 90, "out_point": 120})
    return tl


def ids_on(tl: Timeline, track: str) -> list[int]:
    return [i.id for i in tl.sequence.track(track)]


# --- collection -------------------------------------------------------------------------


def test_collects_edges_playhead_markers_and_in_out(tl: Timeline) -> None:
    v1a, v1b, v1c = ids_on(tl, "V1")
    (v2,) = ids_on(tl, "V2")
    (a1,) = ids_on(tl, "A1")
    m1, m2 = sorted(tl.sequence.markers)
    targets = snap_targets(tl.sequence, playhead=42)
    assert targets.frames == [0, 5, 10, 25, 30, 35, 42, 45, 50, 60, 70, 80, 85, 90, 120]
    assert len(targets) == 2 * 5 + 1 + 3 + 2
    assert targets.targets_at(10) == (
        SnapTarget(10, ("edge", v1a, "end")),
        SnapTarget(10, ("edge", v1b, "start")),
    )
    assert targets.targets_at(35) == (SnapTarget(35, ("edge", v2, "start")),)
    assert targets.targets_at(25) == (SnapTarget(25, ("edge", a1, "end")),)
    assert targets.targets_at(60) == (SnapTarget(60, ("edge", v1c, "end")),)
    assert targets.targets_at(42) == (SnapTarget(42, ("playhead",)),)
    assert targets.targets_at(70) == (SnapTarget(70, ("marker", m1)),)
    assert targets.targets_at(80) == (SnapTarget(80, ("marker", m2)),)
    assert targets.targets_at(85) == (SnapTarget(85, ("marker_end", m2)),)
    assert targets.targets_at(90) == (SnapTarget(90, ("in",)),)
    assert targets.targets_at(120) == (SnapTarget(120, ("out",)),)
    assert targets.targets_at(11) == ()
    assert list(targets)[:3] == [
        SnapTarget(0, ("edge", v1a, "start")),
        SnapTarget(5, ("edge", a1, "start")),
        SnapTarget(10, ("edge", v1a, "end")),
    ]


def test_excluded_items_and_switches(tl: Timeline) -> None:
    v1a, v1b, _ = ids_on(tl, "V1")
    targets = snap_targets(tl.sequence, exclude_items=[v1b], include_markers=False,
                           include_in_out=False)
    assert targets.frames == [0, 5, 10, 25, 35, 45, 50, 60]
    # 10 is still the end of the first clip, but no longer the dragged clip's start.
    assert targets.targets_at(10) == (SnapTarget(10, ("edge", v1a, "end")),)
    assert snap_targets(Sequence(SequenceSettings())).frames == []
    assert len(snap_targets(Sequence(SequenceSettings()))) == 0


def test_target_properties() -> None:
    edge = SnapTarget(5, ("edge", 7, "end"))
    assert (edge.kind, edge.priority, edge.item_id) == ("edge", 3, 7)
    assert SnapTarget(1, ("playhead",)).priority == 0
    assert SnapTarget(1, ("marker_end", 3)).item_id is None
    with pytest.raises(ValueError, match="Unknown snap target source"):
        SnapTarget(1, ("cursor",))


# --- snap ------------------------------------------------------------------------------


def test_snap_nearest_within_inclusive_tolerance(tl: Timeline) -> None:
    targets = snap_targets(tl.sequence, playhead=42)
    v1b = ids_on(tl, "V1")[1]
    assert targets.snap(28, 3) == SnapResult(30, 2, SnapTarget(30, ("edge", v1b, "end")))
    assert targets.snap(33, 2) == SnapResult(35, 2, targets.targets_at(35)[0])  # inclusive
    assert targets.snap(33, 1) == SnapResult(33, 0, None)
    assert targets.snap(40, 2) == SnapResult(42, 2, SnapTarget(42, ("playhead",)))
    assert targets.snap(44, 5).frame == 45  # nearest, not the stronger playhead
    assert targets.snap(1000, 100) == SnapResult(1000, 0, None)
    assert targets.snap(-3, 3).frame == 0
    first_marker = min(tl.sequence.markers)
    assert targets.snap(70, 0) == SnapResult(70, 0, SnapTarget(70, ("marker", first_marker)))
    assert not targets.snap(71, 0).snapped
    assert targets.snap(71, 1).snapped


def test_snap_ties_prefer_playhead_then_marker_then_edge_then_earlier() -> None:
    edges = [SnapTarget(10, ("edge", 1, "end")), SnapTarget(20, ("edge", 2, "start"))]
    targets = SnapTargets(edges)
    assert targets.snap(15, 5).frame == 10  # two edges: the earlier frame
    with_marker = SnapTargets([*edges, SnapTarget(20, ("marker", 9))])
    assert with_marker.snap(15, 5).target == SnapTarget(20, ("marker", 9))
    with_playhead = SnapTargets([*edges, SnapTarget(20, ("marker", 9)),
                                 SnapTarget(10, ("playhead",))])
    assert with_playhead.snap(15, 5).target == SnapTarget(10, ("playhead",))
    # On one frame the strongest target is reported.
    stacked = SnapTargets([SnapTarget(7, ("edge", 1, "start")), SnapTarget(7, ("out",)),
                           SnapTarget(7, ("marker_end", 2)), SnapTarget(7, ("playhead",))])
    assert stacked.snap(6, 1).target == SnapTarget(7, ("playhead",))
    assert [t.kind for t in stacked.targets_at(7)] == ["playhead", "marker_end", "out", "edge"]
    # In/out points rank between markers and edges.
    assert SnapTargets([SnapTarget(0, ("edge", 1, "end")), SnapTarget(4, ("in",))]).snap(
        2, 2).frame == 4
    assert SnapTargets([SnapTarget(0, ("marker", 1)), SnapTarget(4, ("in",))]).snap(
        2, 2).frame == 0


def test_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        SnapTargets([]).snap(0, -1)


# --- snap_range -----------------------------------------------------------------------


def test_snap_range_snaps_the_nearer_edge(tl: Timeline) -> None:
    (v2,) = ids_on(tl, "V2")
    v1a, v1b, v1c = ids_on(tl, "V1")
    # Dragging the V2 clip (10 frames): exclude it from the targets.
    targets = snap_targets(tl.sequence, exclude_items=[v2])
    # start 47 is 3 from 50, end 57 is 3 from 60 -> tie in distance and kind: start wins.
    r = targets.snap_range(47, 10, 5)
    assert (r.start, r.delta, r.edge, r.target) == (
        50, 3, "start", SnapTarget(50, ("edge", v1c, "start")))
    # start 21 (4 from 25), end 31 (1 from 30): the end snaps.
    r = targets.snap_range(21, 10, 5)
    assert (r.start, r.delta, r.edge, r.target) == (
        20, -1, "end", SnapTarget(30, ("edge", v1b, "end")))
    # Equal distance, better kind wins: start 58 is 2 from edge 60, end 68 2 from marker 70.
    r = targets.snap_range(58, 10, 2)
    assert (r.start, r.edge, r.target.kind if r.target else None) == (60, "end", "marker")
    r = targets.snap_range(62, 10, 2)  # start 62: 2 from 60; end 72: 2 from marker 70
    assert (r.start, r.edge, r.target.kind if r.target else None) == (60, "end", "marker")
    # Nothing in reach.
    r = targets.snap_range(200, 10, 3)
    assert (r.start, r.delta, r.edge, r.target, r.snapped) == (200, 0, None, None, False)


def test_snap_range_never_proposes_a_start_before_zero() -> None:
    targets = SnapTargets([SnapTarget(17, ("playhead",)), SnapTarget(28, ("edge", 1, "start"))])
    # Clip [2, 22): its end is 5 from the playhead at 17, but that would start it at -3;
    # the target on the other side (28, 6 away) is used instead.
    r = targets.snap_range(2, 20, 6)
    assert (r.start, r.delta, r.edge) == (8, 6, "end")
    assert targets.snap(22, 6).frame == 17  # a plain snap has no such limit
    neg = SnapTargets([SnapTarget(-2, ("playhead",))])
    assert not neg.snap_range(1, 5, 5).snapped
    with pytest.raises(ValueError, match="negative duration"):
        targets.snap_range(0, -1, 2)


# --- pixels -> frames ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pixels", "ppf", "expected"),
    [
        (8, 4, 2),  # exact
        (8, 3, 3),  # 2.67 -> 3
        (8, 16, 1),  # half a frame still snaps to the neighbour frame
        (6, 0.1, 60),  # zoomed out; exact division, not 61
        (0.7, 0.1, 7),
        (0, 2, 0),
        (-5, 2, 0),
        (10, Fraction(1, 3), 30),
    ],
)
def test_tolerance_frames_rounds_up_and_never_negative(
    pixels: float, ppf: float, expected: int
) -> None:
    assert tolerance_frames(pixels, ppf) == expected


@pytest.mark.parametrize("ppf", [0, -1, float("inf"), float("nan")])
def test_tolerance_frames_refuses_bad_zoom(ppf: float) -> None:
    with pytest.raises(ValueError, match="pixels_per_frame"):
        tolerance_frames(8, ppf)


# --- brute force ------------------------------------------------------------------------


def brute_force(all_targets: list[SnapTarget], frame: int, tolerance: int) -> SnapResult:
    best = None
    for t in all_targets:
        d = abs(t.frame - frame)
        if d <= tolerance:
            key = (d, t.priority, t.frame, t.source)
            if best is None or key < best[0]:
                best = (key, t)
    if best is None:
        return SnapResult(frame, 0, None)
    return SnapResult(best[1].frame, best[1].frame - frame, best[1])


def expected_targets(seq: Sequence, playhead: int | None, exclude: set[int]) -> set[SnapTarget]:
    out = set()
    for track in seq.tracks.values():
        for item in track:
            if item.id not in exclude:
                out.add(SnapTarget(item.start, ("edge", item.id, "start")))
                out.add(SnapTarget(item.end, ("edge", item.id, "end")))
    if playhead is not None:
        out.add(SnapTarget(playhead, ("playhead",)))
    for m in seq.markers.values():
        out.add(SnapTarget(m.frame, ("marker", m.id)))
        if m.duration:
            out.add(SnapTarget(m.frame + m.duration, ("marker_end", m.id)))
    if seq.in_point is not None:
        out.add(SnapTarget(seq.in_point, ("in",)))
    if seq.out_point is not None:
        out.add(SnapTarget(seq.out_point, ("out",)))
    return out


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_snap_matches_a_linear_scan(data: st.DataObject) -> None:
    tl = make_timeline()
    for _ in range(data.draw(st.integers(0, 12))):
        track = data.draw(st.sampled_from(["V1", "V2", "A1"]))
        clip(tl, track, data.draw(st.integers(0, 150)), data.draw(st.integers(1, 30)))
    for _ in range(data.draw(st.integers(0, 3))):
        tl.execute({"op": "add_marker", "at": data.draw(st.integers(0, 150)),
                    "duration": data.draw(st.integers(0, 10))})
    if data.draw(st.booleans()):
        a = data.draw(st.integers(0, 150))
        tl.execute({"op": "set_in_out", "in_point": a,
                    "out_point": a + data.draw(st.integers(1, 40))})
    playhead = data.draw(st.none() | st.integers(0, 180))
    item_ids = [i.id for i in tl.sequence.all_items()]
    exclude = set(data.draw(st.lists(st.sampled_from(item_ids), max_size=3))) if item_ids else set()

    targets = snap_targets(tl.sequence, playhead=playhead, exclude_items=exclude)
    listed = list(targets)
    assert set(listed) == expected_targets(tl.sequence, playhead, exclude)
    assert len(listed) == len(targets)
    assert targets.frames == sorted({t.frame for t in listed})

    for _ in range(20):
        frame = data.draw(st.integers(-20, 200))
        tolerance = data.draw(st.integers(0, 25))
        assert targets.snap(frame, tolerance) == brute_force(listed, frame, tolerance)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.builds(
            SnapTarget,
            st.integers(-5, 60),
            st.one_of(
                st.just(("playhead",)), st.just(("in",)), st.just(("out",)),
                st.tuples(st.sampled_from(["marker", "marker_end"]), st.integers(1, 4)),
                st.tuples(st.just("edge"), st.integers(1, 4), st.sampled_from(["start", "end"])),
            ),
        ),
        max_size=15,
    ),
    st.lists(st.tuples(st.integers(-10, 70), st.integers(0, 12)), min_size=1, max_size=10),
)
def test_snap_on_arbitrary_targets_matches_a_linear_scan(
    raw: list[SnapTarget], queries: list[tuple[int, int]]
) -> None:
    targets = SnapTargets(raw)
    for frame, tolerance in queries:
        assert targets.snap(frame, tolerance) == brute_force(raw, frame, tolerance)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 80), max_size=10),
    st.integers(-5, 80),
    st.integers(0, 20),
    st.integers(0, 8),
)
def test_snap_range_matches_a_linear_scan(
    frames: list[int], start: int, duration: int, tolerance: int
) -> None:
    raw = [SnapTarget(f, ("edge", i, "start")) for i, f in enumerate(frames)]
    r = SnapTargets(raw).snap_range(start, duration, tolerance)
    options = []
    for t in raw:
        for rank, edge, at in ((0, "start", start), (1, "end", start + duration)):
            d = t.frame - at
            if abs(d) <= tolerance and start + d >= 0:
                options.append(((abs(d), t.priority, rank, t.frame), d, edge))
    if not options:
        assert (r.start, r.delta, r.edge, r.target) == (start, 0, None, None)
        return
    _, delta, edge = min(options)
    assert (r.start, r.delta, r.edge) == (start + delta, delta, edge)
    assert r.target is not None and r.target.frame == r.start + (duration if edge == "end" else 0)


# --- scale ---------------------------------------------------------------------------------


def test_ten_thousand_clips_build_and_query_fast() -> None:
    seq = Sequence(SequenceSettings())
    seq.tracks["V1"] = Track(TrackInfo(name="V1", kind="video", index=1))
    for i in range(10_000):
        apply_op(seq, ItemOp(None, Clip(id=i + 1, track="V1", start=i * 7, duration=5, asset=1)))
    t0 = time.perf_counter()
    targets = snap_targets(seq, playhead=12_344)
    build = time.perf_counter() - t0
    assert len(targets) == 20_001
    t0 = time.perf_counter()
    for frame in range(0, 70_000, 7):
        targets.snap(frame + 4, 1)
    query = (time.perf_counter() - t0) / 10_000
    # 12345 is 1 from the playhead and 1 from the end edge at 12346: the playhead wins.
    assert targets.snap(12_345, 2).target == SnapTarget(12_344, ("playhead",))
    # 3506 is 1 from the end at 3505 and 1 from the next start at 3507: the earlier wins.
    assert targets.snap(7 * 500 + 6, 1).frame == 7 * 500 + 5
    # Generous bounds (CI machines vary); typical: ~40 ms build, a few us per query.
    assert build < 1.0, build
    assert query < 1e-4, query
