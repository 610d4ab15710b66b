"""Beat markers: the tracker on a click track made here (known tempo, known click frames),
``set_beats`` replacing a clip's beats, Cut to Beats within the gesture limits, and beats as
snapping targets."""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.timeline.test_edits import MEDIA, empty_timeline, lay, put, refused, undoes_exactly
from timeline.editor import Timeline
from timeline.gestures import drag_trim
from timeline.media.beats import BeatTrackingError, clip_beats
from timeline.model import BEAT
from timeline.snapping import snap_targets

pytest.importorskip("librosa", reason="beat tracking needs librosa (a dependency)")


def write_click_track(path: Path, *, bpm: float, seconds: float, first: float,
                      sample_rate: int = 48000) -> list[float]:
    """A 16-bit mono WAV of 10 ms 1 kHz clicks every beat from ``first`` seconds; returns
    the click times."""
    y = np.zeros(int(seconds * sample_rate), np.float32)
    n = int(0.01 * sample_rate)
    burst = np.sin(2 * np.pi * 1000 * np.arange(n) / sample_rate) * np.hanning(n) * 0.8
    clicks: list[float] = []
    t = first
    while t < seconds - 0.05:
        i = round(t * sample_rate)
        y[i:i + n] += burst
        clicks.append(i / sample_rate)
        t += 60 / bpm
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes((y * 32767).astype("<i2").tobytes())
    return clicks


@pytest.fixture(scope="module")
def clicks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    """120 BPM at 24 fps: a click every 12 frames, the first at 0.25 s (frame 6), so each
    click starts exactly on a frame."""
    path = tmp_path_factory.mktemp("clicks") / "clicks.wav"
    return path, write_click_track(path, bpm=120, seconds=12, first=0.25)


def test_a_click_track_gives_its_tempo_and_a_marker_on_each_click(
        clicks: tuple[Path, list[float]]) -> None:
    path, times = clicks
    fps = Fraction(24)
    # The clip shows the media from source frame 24 (1 s) on, placed at sequence frame 100.
    found = clip_beats(path, start=100, source_in=24, duration=24 * 10, fps=fps)
    assert found.tempo_bpm == pytest.approx(120, rel=0.01)
    heard = [t for t in times if 1 <= t < 11]
    # Each click lands on its own frame: media time t is source frame t * 24.
    assert list(found.frames) == [100 + round(t * 24) - 24 for t in heard]
    for at, t in zip(found.seconds, heard, strict=True):
        assert abs(at - t) < 0.25 / 24  # within a quarter of a frame


def test_silence_and_a_clip_too_short_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * 3)
    with pytest.raises(BeatTrackingError, match="silent"):
        clip_beats(path, start=0, source_in=0, duration=48, fps=Fraction(24))
    with pytest.raises(BeatTrackingError, match="at least 1 s"):
        clip_beats(path, start=0, source_in=0, duration=12, fps=Fraction(24))


# --- set_beats -----------------------------------------------------------------------------

M = 4  # the music clip of the ``tl`` fixture: A1 [0,50) asset 3 (300 frames of sound)


@pytest.fixture(name="tl")
def layout() -> Timeline:
    """The edit tests' layout: V1: A [0,10) src 0 | B [10,30) src 20 | gap | C [40,50)
    src 50 (asset 1, 100 frames); A1: M [0,50) src 0 (asset 3)."""
    tl = empty_timeline()
    for track, asset, source_in, source_out, at in (("V1", 1, 0, 10, 0), ("V1", 1, 20, 40, 10),
                                                     ("V1", 1, 50, 60, 40), ("A1", 3, 0, 50, 0)):
        put(tl, track, asset, source_in, source_out, at)
    assert lay(tl) == [(1, 0, 10, 0), (2, 10, 20, 20), (3, 40, 10, 50)]
    return tl


def beats_of(tl: Timeline, item: int) -> list[int]:
    return sorted(m.frame for m in tl.sequence.markers.values()
                  if m.kind == BEAT and m.item == item)


def test_set_beats_replaces_the_clips_earlier_beats_and_leaves_other_markers(
        tl: Timeline) -> None:
    tl.execute({"op": "add_marker", "at": 12, "name": "mine"})
    tl.execute({"op": "set_beats", "item": M, "frames": [4, 16, 28], "tempo": 120.0})
    assert beats_of(tl, M) == [4, 16, 28]
    undoes_exactly(tl, {"op": "set_beats", "item": M, "frames": [5, 17, 29, 41], "tempo": 121})
    assert beats_of(tl, M) == [5, 17, 29, 41]
    assert [m.name for m in tl.sequence.markers.values() if m.kind != BEAT] == ["mine"]
    assert tl.undo_stack[-1].label == "Beat Markers: 4 beats on clip 4 (121.0 BPM)"
    tl.undo()
    assert beats_of(tl, M) == [4, 16, 28]


def test_set_beats_refusals(tl: Timeline) -> None:
    refused(tl, {"op": "set_beats", "item": M, "frames": [50]}, "outside clip 4")
    refused(tl, {"op": "set_beats", "item": M, "frames": [1.5]}, "whole sequence frames")
    refused(tl, {"op": "set_beats", "item": M, "frames": [1], "tempo": -3}, "tempo")
    tl.execute({"op": "add_generated", "track": "V2", "at": 0, "duration": 10})
    seg = max(i.id for i in tl.sequence.all_items())
    refused(tl, {"op": "set_beats", "item": seg, "frames": [1]}, "clips of music")
    silent = put(tl, "V2", 2, 0, 10, 20)
    refused(tl, {"op": "set_beats", "item": silent, "frames": [21]}, "no sound")


# --- snapping ------------------------------------------------------------------------------


def test_beats_are_snapping_targets(tl: Timeline) -> None:
    tl.execute({"op": "set_beats", "item": M, "frames": [13, 25, 37]})
    targets = snap_targets(tl.sequence)
    [beat] = targets.targets_at(25)
    assert beat.kind == "beat"
    assert targets.snap(23, 2).frame == 25
    # A trim of A's out edge (frame 10) dragged 2 frames right sticks to the beat at 13.
    a = tl.sequence.item(1)
    result = drag_trim(tl.sequence, a, "out", 2, targets, 3, MEDIA, ripple=True)
    assert (result.delta, result.snap) == (3, 13)
    assert 25 not in snap_targets(tl.sequence, include_beats=False).frames


# --- Cut to Beats --------------------------------------------------------------------------


def cut_to_beats(tl: Timeline, items: list[int]) -> str:
    undoes_exactly(tl, {"op": "cut_to_beats", "items": items})
    return tl.undo_stack[-1].label


def test_cut_to_beats_rolls_cuts_and_trims_edges_onto_the_nearest_beats(tl: Timeline) -> None:
    """V1: A [0,10) | B [10,30) | gap | C [40,50). Beats at 12, 27 and 41."""
    tl.execute({"op": "set_beats", "item": M, "frames": [12, 27, 41]})
    label = cut_to_beats(tl, [1, 2])
    # The A|B cut rolls 10 -> 12; B's out edge by the gap trims 30 -> 27.
    assert lay(tl) == [(1, 0, 12, 0), (2, 12, 15, 22), (3, 40, 10, 50)]
    assert label == "Cut to Beats: 2 cuts moved"


def test_cut_to_beats_reports_cuts_the_handles_stop(tl: Timeline) -> None:
    """B [10,30) shows source 20..40; A [0,10) source 0..10 of 100 frames. A roll of the
    A|B cut right needs A's media after frame 10 (there is: 90 frames) and B's head keeps a
    frame; a roll left to frame 2 needs B's media 8 frames before its in (20: fine). Give A
    and B no handles: a clip of the 40-frame asset 2 used whole cannot roll at all."""
    silent_a = put(tl, "V2", 2, 0, 40, 0)  # V2: [0,40) the whole of asset 2
    after = put(tl, "V2", 2, 0, 20, 40)  # V2: [40,60) source 0..20
    tl.execute({"op": "set_beats", "item": M, "frames": [43, 49]})
    label = cut_to_beats(tl, [silent_a, after])
    # The cut at 40: rolling right needs asset 2 past its end, left a source frame below 0
    # of ``after``: it stays. ``after``'s out edge (60) trims back to the beat at 49.
    assert lay(tl, "V2") == [(silent_a, 0, 40, 0), (after, 40, 9, 0)]
    assert label.startswith("Cut to Beats: 1 cut moved; 1 could not move: the cut at ")
    assert label.endswith("(frame 40) on V2: the nearest beat is +3 frames away and the "
                          "media handles let it move no frames")


def test_cut_to_beats_with_nothing_to_move_is_refused(tl: Timeline) -> None:
    refused(tl, {"op": "cut_to_beats", "items": [1]}, "no beat markers")
    tl.execute({"op": "set_beats", "item": M, "frames": [10, 30]})
    refused(tl, {"op": "cut_to_beats", "items": [2]}, "already on a beat")
    refused(tl, {"op": "cut_to_beats", "items": []}, "list of item ids")


def test_cut_to_beats_moves_a_linked_sound_with_its_picture() -> None:
    tl = empty_timeline()
    params: dict[str, Any] = {"op": "overwrite", "track": "V1", "asset": 1, "audio": "A1"}
    tl.execute({**params, "source_in": 0, "source_out": 20, "at": 0})
    tl.execute({**params, "source_in": 40, "source_out": 70, "at": 20})
    tl.execute({"op": "add_track", "kind": "audio"})
    tl.execute({"op": "overwrite", "track": "A2", "asset": 3, "source_in": 0,
                "source_out": 60, "at": 0})
    music = tl.sequence.track("A2").items[0].id
    tl.execute({"op": "set_beats", "item": music, "frames": [18, 44]})
    first = tl.sequence.track("V1").items[0].id
    cut_to_beats(tl, [first])
    # Picture and sound cuts both rolled 20 -> 18; the ends of the second pair are not
    # cuts of the selection.
    for track in ("V1", "A1"):
        assert [(i.start, i.duration) for i in tl.sequence.track(track)] == [(0, 18),
                                                                             (18, 32)]
