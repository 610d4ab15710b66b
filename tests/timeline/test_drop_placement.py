"""What a drop onto the timeline becomes (``timeline.gestures.plan_drop``): the track, the
frame, the edit, or why not. No display: the timeline view asks this while it paints the
ghost of a drag from the bin (or of files from the desktop, once imported) and runs the
plan's edit on release.

Layout: V1 holds A [0,40) and B [40,70) of asset 1; V2 and A1 are empty."""

from __future__ import annotations

from fractions import Fraction

import pytest

from timeline.editor import Timeline
from timeline.gestures import (
    STILL_SECONDS,
    DropSource,
    drop_length,
    linked_audio_track,
    plan_drop,
)
from timeline.model import MediaInfo, Sequence, SequenceSettings, Track, TrackInfo, TrackKind
from timeline.snapping import SnapTargets, snap_targets

MEDIA = {
    1: MediaInfo(1, "video", 100, True, True, "shot.mov"),
    2: MediaInfo(2, "video", 20, True, False, "mute.mov"),
    3: MediaInfo(3, "audio", 30, False, True, "music.wav"),
    4: MediaInfo(4, "image", None, True, False, "still.png"),
}
NO_TARGETS = SnapTargets(())


@pytest.fixture
def tl() -> Timeline:
    seq = Sequence(SequenceSettings(fps=Fraction(25)))
    tracks: list[tuple[str, TrackKind, int]] = [("V1", "video", 1), ("V2", "video", 2),
                                                ("A1", "audio", 1)]
    for name, kind, index in tracks:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    tl = Timeline(seq, media=dict(MEDIA))
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40})
    tl.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 50, "source_out": 80})
    return tl


def v1(tl: Timeline) -> list[tuple[int, int, int, int]]:
    """(start, end, source_in, asset) on V1."""
    return [(i.start, i.end, i.source_in, i.asset) for i in tl.sequence.track("V1")]


def test_an_overwrite_drop_replaces_what_is_under_it_as_one_undo_step(tl: Timeline) -> None:
    plan = plan_drop(tl.sequence, tl.media, [2], "V1", 30, "overwrite", NO_TARGETS, None)
    assert plan.refusal is None and (plan.track, plan.start, plan.lengths) == ("V1", 30, (20,))
    assert plan.edit is not None
    tl.execute(plan.edit)
    assert v1(tl) == [(0, 30, 0, 1), (30, 50, 0, 2), (50, 70, 60, 1)]
    assert tl.undo_label == "Overwrite mute.mov"
    tl.undo()
    assert v1(tl) == [(0, 40, 0, 1), (40, 70, 50, 1)]


def test_an_insert_drop_splits_and_pushes_what_follows(tl: Timeline) -> None:
    plan = plan_drop(tl.sequence, tl.media, [2], "V1", 30, "insert", NO_TARGETS, None)
    assert plan.edit is not None
    tl.execute(plan.edit)
    assert v1(tl) == [(0, 30, 0, 1), (30, 50, 0, 2), (50, 60, 30, 1), (60, 90, 50, 1)]
    assert tl.undo_label == "Insert mute.mov"
    tl.undo()
    assert v1(tl) == [(0, 40, 0, 1), (40, 70, 50, 1)]


def test_several_assets_land_end_to_end_in_one_undo_step(tl: Timeline) -> None:
    plan = plan_drop(tl.sequence, tl.media, [2, 1], "V2", 10, "overwrite", NO_TARGETS, None)
    assert plan.spans == [(10, 30), (30, 130)] and plan.duration == 120
    assert plan.edit is not None
    depth = len(tl.undo_stack)
    tl.execute(plan.edit)
    assert [(i.start, i.end, i.asset) for i in tl.sequence.track("V2")] == [
        (10, 30, 2), (30, 130, 1)]
    assert len(tl.undo_stack) == depth + 1 and tl.undo_label == "Overwrite 2 clips"
    # Inserted in a row, each insert lands after the one before it.
    plan = plan_drop(tl.sequence, tl.media, [2, 2], "V1", 40, "insert", NO_TARGETS, None)
    assert plan.edit is not None
    tl.execute(plan.edit)
    assert v1(tl) == [(0, 40, 0, 1), (40, 60, 0, 2), (60, 80, 0, 2), (80, 110, 50, 1)]


def test_the_drop_snaps_by_either_edge_of_the_run(tl: Timeline) -> None:
    targets = snap_targets(tl.sequence, playhead=100)
    near_end = plan_drop(tl.sequence, tl.media, [2], "V2", 68, "overwrite", targets, 3)
    assert (near_end.start, near_end.snap) == (70, 70)  # its start onto B's end
    tail = plan_drop(tl.sequence, tl.media, [2], "V2", 82, "overwrite", targets, 3)
    assert (tail.start, tail.snap) == (80, 100)  # its end onto the playhead
    off = plan_drop(tl.sequence, tl.media, [2], "V2", 68, "overwrite", targets, None)
    assert (off.start, off.snap) == (68, None)


def test_a_clip_of_the_wrong_kind_is_refused_with_the_reason(tl: Timeline) -> None:
    music = plan_drop(tl.sequence, tl.media, [3], "V1", 0, "overwrite", NO_TARGETS, None)
    assert music.edit is None and "music.wav has no picture" in (music.refusal or "")
    assert "audio track" in (music.refusal or "")
    still = plan_drop(tl.sequence, tl.media, [4], "A1", 0, "overwrite", NO_TARGETS, None)
    assert still.edit is None and "still.png is a still" in (still.refusal or "")
    mute = plan_drop(tl.sequence, tl.media, [2], "A1", 0, "overwrite", NO_TARGETS, None)
    assert "without sound" in (mute.refusal or "")
    # One unfit asset refuses the whole drop: nothing half-placed.
    mixed = plan_drop(tl.sequence, tl.media, [1, 3], "V2", 0, "overwrite", NO_TARGETS, None)
    assert mixed.edit is None and mixed.refusal
    # Sound on an audio track, and a video's sound there too (the model plays it).
    assert plan_drop(tl.sequence, tl.media, [3], "A1", 0, "insert", NO_TARGETS, None).edit
    assert plan_drop(tl.sequence, tl.media, [1], "A1", 0, "insert", NO_TARGETS, None).edit


def test_no_track_an_unknown_asset_or_a_locked_track_is_refused(tl: Timeline) -> None:
    assert "Drop onto a track" in (plan_drop(tl.sequence, tl.media, [1], None, 0, "overwrite",
                                             NO_TARGETS, None).refusal or "")
    assert "import it first" in (plan_drop(tl.sequence, tl.media, [99], "V1", 0, "overwrite",
                                           NO_TARGETS, None).refusal or "")
    tl.execute({"op": "set_track", "track": "V2", "locked": True})
    locked = plan_drop(tl.sequence, tl.media, [1], "V2", 0, "overwrite", NO_TARGETS, None)
    assert locked.edit is None and "V2 is locked" in (locked.refusal or "")
    assert locked.track == "V2" and locked.lengths == (100,)  # the ghost still has a place


def test_a_still_lasts_five_seconds_and_a_drop_never_starts_before_zero(tl: Timeline) -> None:
    assert drop_length(MEDIA[4], Fraction(25)) == STILL_SECONDS * 25
    assert drop_length(MEDIA[4], Fraction(24000, 1001)) == 120
    plan = plan_drop(tl.sequence, tl.media, [4], "V2", -5, "overwrite", NO_TARGETS, None)
    assert plan.start == 0 and plan.edit is not None
    tl.execute(plan.edit)
    [still] = tl.sequence.track("V2")
    assert (still.start, still.duration) == (0, 125)


def test_a_video_with_sound_lands_as_a_video_clip_and_a_linked_audio_clip(
        tl: Timeline) -> None:
    """V2 has no A2: the sound goes to the first audio track free over the drop (A1),
    linked to the picture, in the drop's one undo step."""
    assert linked_audio_track(tl.sequence, "V2", 0, 100) == ("A1", [])
    plan = plan_drop(tl.sequence, tl.media, [1, 2], "V2", 10, "overwrite", NO_TARGETS, None)
    assert plan.edit is not None
    assert [s.get("audio") for s in plan.edit["steps"]] == ["A1", None]  # mute.mov: none
    tl.execute(plan.edit)
    [video, mute] = tl.sequence.track("V2")
    [sound] = tl.sequence.track("A1")
    assert (sound.start, sound.duration, sound.asset) == (10, 100, 1)
    assert video.link is not None and sound.link == video.link and mute.link is None
    assert tl.sequence.linked(video) == [sound]
    tl.undo()
    assert len(tl.sequence.track("A1")) == 0 and len(tl.sequence.track("V2")) == 0


def test_a_drop_with_no_usable_audio_track_adds_one(tl: Timeline) -> None:
    tl.execute({"op": "set_track", "track": "A1", "locked": True})
    name, steps = linked_audio_track(tl.sequence, "V1", 0, 100)
    assert (name, steps) == ("A2", [{"op": "add_track", "kind": "audio"}])
    plan = plan_drop(tl.sequence, tl.media, [1], "V1", 0, "insert", NO_TARGETS, None)
    assert plan.edit is not None
    tl.execute(plan.edit)
    [sound] = tl.sequence.track("A2")
    assert sound.link == tl.sequence.track("V1").items[0].link is not None


def test_a_source_range_drops_just_that_part(tl: Timeline) -> None:
    """A source monitor's In/Out, dragged: ``DropSource`` instead of a bare asset id."""
    plan = plan_drop(tl.sequence, tl.media, [DropSource(1, 10, 30)], "V2", 5, "overwrite",
                     NO_TARGETS, None)
    assert plan.edit is not None and plan.lengths == (20,)
    tl.execute(plan.edit)
    [clip] = tl.sequence.track("V2")
    assert (clip.start, clip.end, clip.source_in) == (5, 25, 10)
    past = plan_drop(tl.sequence, tl.media, [DropSource(1, 90, 120)], "V2", 0, "overwrite",
                     NO_TARGETS, None)
    assert past.edit is None and "not inside shot.mov (100 frames)" in (past.refusal or "")
    backwards = plan_drop(tl.sequence, tl.media, [DropSource(2, 15, 5)], "V2", 0,
                          "overwrite", NO_TARGETS, None)
    assert backwards.edit is None and backwards.refusal
