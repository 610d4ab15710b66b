"""OpenTimelineIO interchange: lossless round trip of our own sequences, EDL / FCP 7 XML
export read back by their adapters, and every real timeline in the shared test data
imported without an exception, with the report naming what was dropped."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

otio = pytest.importorskip("opentimelineio")

from project_store.project import Project  # noqa: E402
from tests.conftest import locate_testdata  # noqa: E402
from timeline.changes import ItemOp, apply_op  # noqa: E402
from timeline.interchange import (  # noqa: E402
    InterchangeError,
    apply_plan,
    default_media_resolver,
    otio_to_operations,
    read_timeline,
    sequence_to_otio,
    write_timeline,
)
from timeline.interchange.otio_io import GENERATOR_KIND, exact_rate  # noqa: E402
from timeline.model import GeneratedSegment, Sequence, SequenceSettings  # noqa: E402

BBB = "video/bbb_prog_10s.mp4"  # 9.917 s, 24/1, 320x240, with AAC audio
FRIDAY = "video/friday.mp4"  # 6.166 s, 30/1, with audio


def _adapter(name: str) -> bool:
    return name in {a.name for a in otio.plugins.ActiveManifest().adapters}


def layout(seq: Sequence) -> dict[str, Any]:
    """The snapshot with item ids replaced by positions, so rebuilt sequences compare."""
    snap = seq.snapshot()
    where = {i.id: (i.track, i.start) for i in seq.all_items()}
    for track in snap["tracks"]:
        for item in track["items"]:
            item.pop("id")
        for tr in track["transitions"]:
            tr.pop("id")
            tr["from_item"], tr["to_item"] = where[tr["from_item"]], where[tr["to_item"]]
    for m in snap["markers"]:
        m.pop("id")
    snap["markers"].sort(key=lambda m: (m["frame"], m["name"]))
    return snap


@pytest.fixture
def edited(tmp_path: Path, testdata: Path) -> Project:
    """A 24000/1001 project with clips, gaps, a dissolve, markers, a generated segment,
    clip properties, in/out points and a locked track."""
    project = Project.create(tmp_path / "src.takeline", SequenceSettings(
        name="Cut 3", fps=Fraction(24000, 1001), width=1280, height=720, sample_rate=44100))
    bbb, friday = (a.id for a in project.import_media([testdata / BBB, testdata / FRIDAY]))
    project.apply([
        {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 10, "source_out": 58,
         "at": 0},
        {"op": "overwrite", "track": "V1", "asset": friday, "source_in": 30,
         "source_out": 90, "at": 48},
        {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 100, "source_out": 140,
         "at": 150},  # a gap from 108 to 150
        {"op": "add_transition", "track": "V1", "at": 48, "duration": 13},
        {"op": "add_generated", "track": "V2", "at": 24, "duration": 36,
         "prompt": "storm clouds over the meadow", "negative_prompt": "people",
         "seed": 2**40 + 7, "model": "previz"},
        {"op": "slip", "item": 5, "delta": 5},
        {"op": "set", "item": 5, "opacity": 0.5},
        {"op": "overwrite", "track": "A1", "asset": bbb, "source_in": 0, "source_out": 100,
         "at": 12},
        {"op": "set", "item": 6, "gain_db": -6.5, "fade_in": 10, "fade_out": 20},
        {"op": "set", "item": 1, "opacity": 0.75, "use_proxy": True, "transform": [
            {"frame": 0, "x": 10, "y": -4, "scale": 1.5, "rotation": 2, "opacity": 1,
             "easing": "ease_in"},
            {"frame": 40, "scale": 1.0}]},
        {"op": "add_marker", "at": 30, "name": "music in", "color": "green", "note": "hit"},
        {"op": "add_marker", "at": 100, "name": "range", "duration": 25, "color": "teal"},
        {"op": "set_in_out", "in_point": 6, "out_point": 180},
        {"op": "set_track", "track": "A2", "muted": True},
        {"op": "set_track", "track": "V2", "locked": True},
    ])
    yield project
    project.close()


def assets_of(project: Project) -> dict[int, tuple[str, Any]]:
    return {a.id: (a.path, a.probe) for a in project.assets.values()}


def reimport(path: Path, dest: Path, **kw: Any) -> tuple[Project, Any]:
    timeline, warnings = read_timeline(path, **kw)
    plan = otio_to_operations(timeline, resolve_media=default_media_resolver(path.parent),
                              source=str(path))
    project = Project.create(dest, plan.settings, tracks=plan.tracks)
    report = apply_plan(plan, project)
    report.warnings[:0] = warnings
    return project, report


def test_round_trip_through_otio_is_lossless(edited: Project, tmp_path: Path) -> None:
    timeline = sequence_to_otio(edited.sequence, assets_of(edited))
    out = tmp_path / "cut.otio"
    write_timeline(timeline, out)
    # What OTIO itself sees: tracks, gaps, the dissolve, markers, the generator reference.
    back = otio.adapters.read_from_file(str(out))
    assert [t.name for t in back.tracks] == ["V1", "V2", "A1", "A2"]
    v1 = back.tracks[0]
    assert [type(c).__name__ for c in v1] == ["Clip", "Transition", "Clip", "Gap", "Clip"]
    dissolve = v1[1]
    assert dissolve.transition_type == "SMPTE_Dissolve"
    assert (dissolve.in_offset.value, dissolve.out_offset.value) == (6, 7)
    assert v1[0].source_range.start_time == otio.opentime.RationalTime(10, 24000 / 1001)
    assert v1[0].media_reference.target_url.startswith("file:///")
    assert v1[0].media_reference.available_range.duration.value == 237  # 9.917 s at 23.976
    gen = back.tracks[1][1]
    assert gen.media_reference.generator_kind == GENERATOR_KIND
    assert gen.media_reference.parameters["prompt"] == "storm clouds over the meadow"
    assert gen.media_reference.parameters["seed"] == 2**40 + 7
    assert [(m.name, m.color, m.marked_range.start_time.value) for m in back.tracks.markers] == [
        ("music in", "GREEN", 30), ("range", "RED", 100)]
    assert back.metadata["takeline"]["fps"] == "24000/1001"

    project, report = reimport(out, tmp_path / "back.takeline")
    with project:
        assert project.sequence.fps == Fraction(24000, 1001)  # exactly, not 23.976
        assert layout(project.sequence) == layout(edited.sequence)
        assert report.dropped == {}, report.format()
        assert report.kept["video clips"] == 3 and report.kept["generated segments"] == 1
        assert report.kept["transitions"] == 1 and report.kept["markers"] == 2


def test_generated_takes_are_kept_in_the_file(tmp_path: Path) -> None:
    seq = Sequence(SequenceSettings(fps=Fraction(30000, 1001)))
    from timeline.model import Track, TrackInfo

    seq.tracks["V1"] = Track(TrackInfo(name="V1", kind="video", index=1))
    seq.tracks["A1"] = Track(TrackInfo(name="A1", kind="audio", index=1))
    seg = GeneratedSegment(id=1, track="V1", start=10, duration=20, prompt="a red door",
                           seed=3, takes=(4, 9), active_take=9, opacity=0.8)
    apply_op(seq, ItemOp(None, seg))
    timeline = sequence_to_otio(seq, {})
    out = tmp_path / "gen.otio"
    write_timeline(timeline, out)
    back, _ = read_timeline(out)
    meta = back.tracks[0][1].metadata["takeline"]["item"]
    assert (list(meta["takes"]), meta["active_take"], meta["prompt"]) == ([4, 9], 9, "a red door")
    plan = otio_to_operations(back, resolve_media=default_media_resolver())
    assert plan.settings.fps == Fraction(30000, 1001)
    sets = [op for op in plan.operations if op["op"] == "set"]
    assert [k for op in sets for k in op if not k.startswith("$") and k not in ("op", "item")] \
        == ["opacity", "takes", "active_take"]
    # Takes (ids into the source project's take records) and the active take come back.
    with Project.create(tmp_path / "g.takeline", plan.settings, tracks=plan.tracks) as project:
        report = apply_plan(plan, project)
        [item] = project.sequence.all_items()
        assert isinstance(item, GeneratedSegment)
        assert (item.prompt, item.seed, item.opacity, item.start) == ("a red door", 3, 0.8, 10)
        assert (item.takes, item.active_take) == ((4, 9), 9)
        assert not any("takes" in m for m in report.dropped.get("item fields", []))


@pytest.mark.parametrize("suffix,adapter", [(".edl", "cmx_3600"), (".xml", "fcp_xml")])
def test_export_is_readable_by_the_adapter(edited: Project, tmp_path: Path, testdata: Path,
                                           suffix: str, adapter: str) -> None:
    timeline = sequence_to_otio(edited.sequence, assets_of(edited))
    if not _adapter(adapter):
        with pytest.raises(InterchangeError, match="pip install"):
            write_timeline(timeline, tmp_path / f"x{suffix}")
        return
    source = edited
    if suffix == ".edl":
        # The fixture has a generated segment on V2; an EDL holds one picture track.
        with pytest.raises(InterchangeError, match="one video track"):
            write_timeline(timeline, tmp_path / "two.edl")
        assert not (tmp_path / "two.edl").exists()
        source = Project.create(tmp_path / "single.takeline")
        bbb = source.import_media([testdata / BBB])[0].id
        source.apply([
            {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 10, "source_out": 58,
             "at": 0},
            {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 100,
             "source_out": 160, "at": 48},
            {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 0, "source_out": 24,
             "at": 130},
            {"op": "add_transition", "track": "V1", "at": 48, "duration": 12},
        ])
        timeline = sequence_to_otio(source.sequence, assets_of(source))
    out = tmp_path / f"cut{suffix}"
    write_timeline(timeline, out)
    back = otio.adapters.read_from_file(str(out), adapter_name=adapter)
    assert len(list(back.find_clips())) >= 3
    # Re-importing finds the media again (their paths are in the file).
    project, report = reimport(out, tmp_path / f"from{suffix}.takeline",
                               **({"rate": source.sequence.fps} if suffix == ".edl" else {}))
    with project:
        v1 = [(i.start, i.duration, i.source_in) for i in project.sequence.track("V1")]
        assert v1 == [(i.start, i.duration, i.source_in) for i in source.sequence.track("V1")], \
            report.format()
        if suffix == ".edl":
            assert len(project.sequence.track("V1").transitions) == 1, report.format()
    if source is not edited:
        source.close()


def test_exact_rates() -> None:
    assert exact_rate(23.976) == Fraction(24000, 1001)
    assert exact_rate(24000 / 1001) == Fraction(24000, 1001)
    assert exact_rate(29.97) == Fraction(30000, 1001)
    assert exact_rate(59.94) == Fraction(60000, 1001)
    assert exact_rate(25.0) == 25
    assert exact_rate(12.5) == Fraction(25, 2)


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.otio"
    bad.write_text("{ not json")
    with pytest.raises(InterchangeError, match="cannot read bad.otio"):
        read_timeline(bad)
    with pytest.raises(InterchangeError, match="no such file"):
        read_timeline(tmp_path / "missing.otio")
    other = tmp_path / "x.docx"
    other.write_text("x")
    with pytest.raises(InterchangeError, match="unknown timeline format"):
        read_timeline(other)
    with pytest.raises(InterchangeError, match="use .otio"):
        write_timeline(otio.schema.Timeline(), tmp_path / "x.mov")


_DATA = locate_testdata()
# Every timeline file in the shared test data (one placeholder when it is absent: the
# ``testdata`` fixture then skips with the reason).
ALL_TIMELINES = sorted(
    p.relative_to(_DATA).as_posix() for p in (_DATA / "timelines").glob("*/*")
) if _DATA is not None else ["timelines/otio/simple_cut.otio"]


@pytest.mark.parametrize("name", ALL_TIMELINES)
def test_real_timeline_imports_without_an_exception(testdata: Path, tmp_path: Path,
                                                    name: str) -> None:
    path = testdata / name
    try:
        project, report = reimport(path, tmp_path / "imported.takeline")
    except InterchangeError as exc:
        # Only a missing adapter, or a file that holds no timeline at all (an ALE is a list
        # of media, not an edit), may stop an import, with a message that says so.
        assert "pip install" in str(exc) or (
            name.endswith(".ale") and "holds no timeline" in str(exc)), exc
        return
    with project:
        json.dumps(report.to_json())  # the report is JSON-safe
        text = report.format()
        assert report.kept["tracks"] >= 1, text
        # The media of these files are not in the test data: every clip is kept in its
        # place as an offline clip, none is dropped.
        assert "media" not in report.dropped, text
        timeline = read_timeline(path)[0]
        clips = [c for t in timeline.tracks if isinstance(t, otio.schema.Track)
                 for c in t if isinstance(c, otio.schema.Clip)]
        placed = project.sequence.item_count()
        assert placed >= len(clips), text
        assert placed == report.offline_count, text
        offline = [a for a in project.assets.values() if a.status == "offline"]
        assert offline and all(a.identity == "" for a in offline)
        if "speed_effects" in name:
            assert len(report.dropped["speed changes"]) == 2
        if "nested" in name:  # three nested compositions, one clip each, flattened
            assert report.kept["nested clips flattened"] == 3 and placed == 7, text
            assert "nested stacks" not in report.dropped, text
        if name.endswith(("premiere_example.xml", "premiere_example.otio")):
            assert report.kept["markers"] >= 1, text
