"""The source monitor's state (marks, the clamp at its end) and the edit it makes of the
marks and the track targets; no display, no media files (nothing is rendered here)."""

from __future__ import annotations

from fractions import Fraction

from services.source_monitor import SourceMonitor, TrackTargets
from timeline.model import MediaInfo, Sequence, SequenceSettings, Track, TrackInfo

SETTINGS = SequenceSettings(fps=Fraction(25))
WITH_SOUND = MediaInfo(1, "video", 100, True, True, "shot.mov")
SOUND = MediaInfo(2, "audio", 50, False, True, "music.wav")
STILL = MediaInfo(3, "image", None, True, False, "still.png")


def sequence() -> Sequence:
    seq = Sequence(SETTINGS)
    for name, kind, index in [("V1", "video", 1), ("V2", "video", 2), ("A1", "audio", 1)]:
        seq.tracks[name] = Track(TrackInfo(name=name, kind=kind, index=index))
    return seq


def monitor(info: MediaInfo) -> SourceMonitor:
    state = SourceMonitor(lambda: (None, None), lambda _n, _p: None, use_audio_device=False)
    state.load(info, SETTINGS, picture_size=(1920, 1080))
    return state


def test_marks_are_at_the_playhead_with_an_exclusive_out_as_the_programs() -> None:
    state = monitor(WITH_SOUND)
    assert state.size == (960, 540) and state.sequence is not None
    state.seek(10)
    state.mark_in()
    state.seek(30)
    state.mark_out()
    assert (state.in_point, state.out_point, state.marked_duration) == (10, 30, 20)
    state.seek(5)
    state.mark_out()  # before the In: the In goes
    assert (state.in_point, state.out_point) == (None, 5)
    assert state.seek(500) == 100  # one past the last frame, where an Out keeps it
    state.clear_marks()
    assert state.marked_duration == 100


def test_a_video_files_sound_goes_to_the_patched_audio_track_beside_its_picture() -> None:
    seq, targets = sequence(), TrackTargets()
    state = monitor(WITH_SOUND)
    state.in_point, state.out_point = 0, 10
    params = state.edit_params("insert_edit", targets, seq, 7)
    assert params == {"op": "insert_edit", "asset": 1, "video": "V1", "audio": "A1",
                      "source_in": 0, "source_out": 10, "at": 7, "tracks": ["V1", "A1"]}
    targets.patch(seq, "V1")  # again: unpatched
    assert state.edit_params("overwrite_edit", targets, seq, 7)["audio"] == "A1"
    assert monitor(SOUND).edit_params("append_edit", targets, seq, 7) == {
        "op": "append_edit", "asset": 2, "video": None, "audio": "A1", "source_in": None,
        "source_out": None}


def test_replace_sends_the_source_position_and_a_still_lasts_five_seconds() -> None:
    seq, targets = sequence(), TrackTargets()
    state = monitor(WITH_SOUND)
    state.seek(42)
    assert state.edit_params("replace_edit", targets, seq, 3)["source_position"] == 42
    still = monitor(STILL)
    assert still.length == 125
    assert still.edit_params("overwrite_edit", targets, seq, 0)["source_out"] == 125
    seq.in_point, seq.out_point = 0, 10  # the timeline's marks give its length instead
    assert still.edit_params("overwrite_edit", targets, seq, 0)["source_out"] is None


def test_targets_follow_the_sequence_and_list_in_track_order() -> None:
    seq, targets = sequence(), TrackTargets()
    targets.patch(seq, "V2")
    assert targets.video == "V2"
    assert targets.toggle_target("V2") and targets.tracks(seq) == ["V1", "V2", "A1"]
    del seq.tracks["V2"]
    targets.follow(seq)
    assert targets.video is None and targets.tracks(seq) == ["V1", "A1"]
