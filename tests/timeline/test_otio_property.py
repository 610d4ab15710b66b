"""Property: any sequence (tracks, clips, gaps, markers, any rate incl. NTSC) exported
through ``.otio`` and imported again is the same sequence."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

otio = pytest.importorskip("opentimelineio")

from project_store.project import Project  # noqa: E402
from tests.timeline.test_otio import BBB, FRIDAY, assets_of, layout, reimport  # noqa: E402
from timeline.interchange import sequence_to_otio, write_timeline  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402

RATES = [Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001), Fraction(24),
         Fraction(25), Fraction(30), Fraction(50)]

clip_st = st.tuples(st.integers(0, 30),  # gap before it
                    st.integers(1, 40),  # length
                    st.sampled_from([0, 1]),  # which media
                    st.integers(0, 60))  # source in
track_st = st.lists(clip_st, max_size=4)
# OpenTimelineIO's strings end at a NUL character (C++), so a note holding one comes back
# cut there: left out here, a known limit of the format's library.
text_st = st.text(st.characters(blacklist_characters="\x00"), max_size=20)
marker_st = st.tuples(st.integers(0, 300), text_st,
                      st.sampled_from(["red", "green", "blue", "yellow", "purple", "teal"]),
                      st.integers(0, 20), text_st)


def by_file(project: Project) -> dict[str, Any]:
    """``layout`` with asset ids as file names (a re-import numbers only the media used)."""
    snap = layout(project.sequence)
    for track in snap["tracks"]:
        for item in track["items"]:
            if "asset" in item:
                item["asset"] = Path(project.assets[item["asset"]].path).name
    return snap


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(fps=st.sampled_from(RATES), video=st.lists(track_st, min_size=1, max_size=3),
       audio=st.lists(track_st, min_size=1, max_size=2),
       markers=st.lists(marker_st, max_size=4))
def test_any_sequence_round_trips_through_otio(testdata: Path, fps: Fraction,
                                               video: list[Any], audio: list[Any],
                                               markers: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        with Project.create(tmp_path / "src.takeline", SequenceSettings(fps=fps)) as src:
            media = [a.id for a in src.import_media([testdata / BBB, testdata / FRIDAY])]
            ops: list[dict[str, Any]] = []
            for kind, tracks in (("video", video), ("audio", audio)):
                ops += [{"op": "add_track", "kind": kind}] * (len(tracks) - 1)
                for n, clips in enumerate(tracks, 1):
                    at = 0
                    for gap, length, which, source_in in clips:
                        at += gap
                        ops.append({"op": "overwrite", "track": f"{kind[0].upper()}{n}",
                                    "asset": media[which], "source_in": source_in,
                                    "source_out": source_in + length, "at": at})
                        at += length
            for frame, name, color, duration, note in markers:
                ops.append({"op": "add_marker", "at": frame, "name": name, "color": color,
                            "duration": duration, "note": note})
            if not ops:
                return
            src.apply(ops)
            if not src.sequence.item_count() and not src.sequence.markers:
                return
            out = tmp_path / "cut.otio"
            write_timeline(sequence_to_otio(src.sequence, assets_of(src)), out)
            back, report = reimport(out, tmp_path / "back.takeline")
            with back:
                assert back.sequence.fps == fps
                assert by_file(back) == by_file(src), report.format()
                assert report.dropped == {} and report.offline == {}, report.format()
