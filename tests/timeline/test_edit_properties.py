"""Property tests over random edit sequences: the invariants every edit must keep."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timeline.changes import Change
from timeline.editor import Timeline
from timeline.model import EditError, MediaInfo, Sequence, SequenceSettings, Track, TrackInfo

MEDIA = {
    1: MediaInfo(1, "video", 120, True, True),
    2: MediaInfo(2, "video", 40, True, False),
    3: MediaInfo(3, "audio", 300, False, True),
    4: MediaInfo(4, "image", None, True, False),
}


def fresh_timeline() -> Timeline:
    seq = Sequence(SequenceSettings())
    for name, kind, index in [("V1", "video", 1), ("V2", "video", 2), ("A1", "audio", 1)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    return Timeline(seq, media=dict(MEDIA))


def draw_op(data: st.DataObject, tl: Timeline) -> dict[str, Any]:
    seq = tl.sequence
    items = [i.id for i in seq.all_items()]
    frames = st.integers(0, 400)
    deltas = st.integers(-30, 30).filter(lambda d: d != 0)
    track = st.sampled_from(list(seq.tracks))
    name = data.draw(
        st.sampled_from(
            ["append", "insert", "overwrite", "split", "add_generated", "add_marker",
             "set_in_out", "add_transition"]
            + (["lift", "ripple_delete", "trim", "roll", "slip", "slide", "move", "set"]
               if items else [])
        )
    )
    if name in ("append", "insert", "overwrite"):
        asset = data.draw(st.sampled_from(list(MEDIA)))
        length = MEDIA[asset].duration_frames or 500
        source_in = data.draw(st.integers(0, length - 1))
        source_out = data.draw(st.integers(source_in + 1, length))
        op = {"op": name, "track": data.draw(track), "asset": asset,
              "source_in": source_in, "source_out": source_out}
        if name != "append":
            op["at"] = data.draw(frames)
        return op
    if name == "split":
        if items and data.draw(st.booleans()):
            it = seq.item(data.draw(st.sampled_from(items)))
            return {"op": name, "track": it.track, "at": it.start + it.duration // 2}
        return {"op": name, "track": data.draw(track), "at": data.draw(frames)}
    if name == "add_generated":
        return {"op": name, "track": data.draw(track), "at": data.draw(frames),
                "duration": data.draw(st.integers(1, 80)), "prompt": "a shot"}
    if name == "add_marker":
        return {"op": name, "at": data.draw(frames), "name": "m"}
    if name == "set_in_out":
        a = data.draw(frames)
        return {"op": name, "in_point": a, "out_point": a + data.draw(st.integers(1, 100))}
    if name == "add_transition":
        if items:
            # Aim at real cuts: an item's end, where its neighbour may start.
            it = seq.item(data.draw(st.sampled_from(items)))
            return {"op": name, "track": it.track, "at": it.end,
                    "duration": data.draw(st.integers(1, 12))}
        return {"op": name, "track": data.draw(track), "at": data.draw(frames),
                "duration": data.draw(st.integers(1, 12))}
    item = data.draw(st.sampled_from(items))
    if name in ("lift", "ripple_delete"):
        return {"op": name, "item": item}
    if name == "trim":
        return {"op": name, "item": item, "side": data.draw(st.sampled_from(["in", "out"])),
                "delta": data.draw(deltas), "ripple": data.draw(st.booleans())}
    if name == "roll":
        it = seq.item(item)
        return {"op": name, "track": it.track, "at": it.end, "delta": data.draw(deltas)}
    if name in ("slip", "slide"):
        return {"op": name, "item": item, "delta": data.draw(deltas)}
    if name == "set":
        kind = seq.item(item).kind
        return {"op": name, "item": item, "opacity": 0.5} if kind == "clip" else {
            "op": name, "item": item, "prompt": "another shot"}
    return {"op": "move", "item": item, "track": data.draw(track), "at": data.draw(frames)}


def check_invariants(tl: Timeline) -> None:
    seq = tl.sequence
    for track in seq.tracks.values():
        items = track.items
        for a, b in zip(items, items[1:], strict=False):
            assert a.end <= b.start, f"overlap on {track.name}: {a} / {b}"
        for item in items:
            assert item.duration >= 1 and item.start >= 0 and item.source_in >= 0
            length = MEDIA[item.asset].duration_frames if item.kind == "clip" else None
            if length is not None:
                assert item.source_out <= length
        # Durations add up: items plus gaps fill the track exactly to its end.
        assert sum(i.duration for i in items) + sum(g.duration for g in track.gaps()) == (
            track.end_frame
        )
        for tr in track.transitions.values():
            a, b = seq.item(tr.from_item), seq.item(tr.to_item)
            assert a.track == b.track == track.name and a.end == b.start
    assert seq.item_count() == sum(len(t) for t in seq.tracks.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_edits_keep_invariants_and_undo_redo_exactly(data: st.DataObject) -> None:
    tl = fresh_timeline()
    snapshots = [tl.sequence.snapshot()]
    for _ in range(data.draw(st.integers(1, 25))):
        op = draw_op(data, tl)
        before = tl.sequence.snapshot()
        next_id = tl.ids.next_id
        undo_depth = len(tl.undo_stack)
        try:
            change = tl.execute(op)
        except EditError:
            # A refused edit changes nothing at all.
            assert tl.sequence.snapshot() == before
            assert tl.ids.next_id == next_id
            continue
        if not change.ops:
            # A no-op edit (a zero-frame trim, say) is not an undo step.
            assert tl.sequence.snapshot() == before
            assert len(tl.undo_stack) == undo_depth
            continue
        check_invariants(tl)
        snapshots.append(tl.sequence.snapshot())

    # Undo every step: each restores the exact prior state.
    for expected in reversed(snapshots[:-1]):
        assert tl.undo() is not None
        check_invariants(tl)
        assert tl.sequence.snapshot() == expected
    assert tl.undo() is None
    # Redo re-applies each step exactly.
    for expected in snapshots[1:]:
        assert tl.redo() is not None
        assert tl.sequence.snapshot() == expected
    assert tl.redo() is None


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_changes_survive_json_round_trip(data: st.DataObject) -> None:
    """History is stored as JSON; a decoded change must undo exactly like the original."""
    tl = fresh_timeline()
    for _ in range(10):
        try:
            tl.execute(draw_op(data, tl))
        except EditError:
            pass
    for change in tl.undo_stack:
        decoded = Change.from_json(json.loads(json.dumps(change.to_json())))
        assert decoded == change
