"""Timelines from other editors arrive whole (issue 16): clips whose media is not here are
kept in place as offline clips and relinked later, nested compositions are flattened,
positions are exact (rounded once per edit point), EDL locators land at record time."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

otio = pytest.importorskip("opentimelineio")

from project_store.project import Project  # noqa: E402
from timeline.interchange import (  # noqa: E402
    apply_plan,
    default_media_resolver,
    otio_to_operations,
    read_timeline,
)
from timeline.model import Clip  # noqa: E402

BBB = "video/bbb_prog_10s.mp4"  # 9.917 s at 24/1


def rt(value: float, rate: float) -> Any:
    return otio.opentime.RationalTime(value, rate)


def tr(start: float, duration: float, rate: float) -> Any:
    return otio.opentime.TimeRange(rt(start, rate), rt(duration, rate))


def build(timeline: Any, tmp_path: Path, name: str = "t.otio", **kw: Any
          ) -> tuple[Project, Any]:
    path = tmp_path / name
    otio.adapters.write_to_file(timeline, str(path))
    read, warnings = read_timeline(path, **kw)
    plan = otio_to_operations(read, resolve_media=default_media_resolver(path.parent),
                              source=str(path))
    project = Project.create(tmp_path / f"{name}.takeline", plan.settings, tracks=plan.tracks)
    report = apply_plan(plan, project)
    report.warnings[:0] = warnings
    return project, report


def clips(project: Project, track: str = "V1") -> list[Clip]:
    return [i for i in project.sequence.track(track) if isinstance(i, Clip)]


def test_missing_media_becomes_an_offline_clip_that_relinks_by_name(
        tmp_path: Path, testdata: Path) -> None:
    timeline = otio.schema.Timeline(name="cut")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    track.append(otio.schema.Gap(source_range=tr(0, 12, 24)))
    track.append(otio.schema.Clip(
        name="the bunny", source_range=tr(30, 48, 24),
        media_reference=otio.schema.ExternalReference(
            target_url="file:///nowhere/on/this/machine/bbb_prog_10s.mp4",
            available_range=tr(0, 238, 24)),
        metadata={"cmx_3600": {"reel": "A001"}}))
    project, report = build(timeline, tmp_path)
    with project:
        (clip,) = clips(project)
        assert (clip.start, clip.duration, clip.source_in) == (12, 48, 30)
        assert (clip.name, clip.reel) == ("the bunny", "A001")
        asset = project.assets[clip.asset]
        assert asset.status == "offline" and asset.name == "bbb_prog_10s.mp4"
        assert asset.path == "/nowhere/on/this/machine/bbb_prog_10s.mp4"
        assert report.offline["video clips"] and "media" not in report.dropped
        assert report.to_json()["offline"]["video clips"][0].startswith("V1 the bunny")
        # The bin's relink: a folder holding a file of that name brings it online.
        folder = tmp_path / "found"
        folder.mkdir()
        shutil.copy(testdata / BBB, folder / "bbb_prog_10s.mp4")
        assert project.relink_folder(tmp_path) == {asset.id: str(folder / "bbb_prog_10s.mp4")}
        assert project.assets[asset.id].status == "ok"
        assert clips(project)[0].source_in == 30
    with Project.open(tmp_path / "t.otio.takeline") as again:  # kept in the file
        (clip,) = clips(again)
        assert again.assets[clip.asset].status == "ok" and clip.reel == "A001"


def test_offline_clip_survives_reopening(tmp_path: Path) -> None:
    timeline = otio.schema.Timeline(name="cut")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Audio)
    timeline.tracks.append(track)
    track.append(otio.schema.Clip(name="VO take 3", source_range=tr(100, 50, 25),
                                  media_reference=otio.schema.MissingReference()))
    project, report = build(timeline, tmp_path)
    project.close()
    with Project.open(tmp_path / "t.otio.takeline") as again:
        (clip,) = clips(again, "A1")
        assert (clip.start, clip.duration, clip.source_in) == (0, 50, 100)
        asset = again.assets[clip.asset]
        assert asset.status == "offline" and asset.name == "VO take 3"
        assert again.info()["assets"][0]["status"] == "offline"
    assert report.offline["audio clips"] == ["A1 VO take 3 at frame 0: the file names no "
                                             "media for this clip"]


def test_positions_are_exact_not_summed_rounded_durations(tmp_path: Path) -> None:
    """Four 5-frame clips at 24 fps on a 30 fps sequence are 6.25 frames each: the cuts
    fall at 0, 6.25, 12.5, 18.75 -> 0, 6, 12, 19 and the track ends at exactly 25."""
    timeline = otio.schema.Timeline(name="drift")
    timeline.tracks.append(otio.schema.Track(kind=otio.schema.TrackKind.Video))
    # The sequence rate comes from the first clip, a 30 fps one on another track.
    first = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    first.append(otio.schema.Clip(name="ref", source_range=tr(0, 1, 30),
                                  media_reference=otio.schema.MissingReference()))
    timeline.tracks.insert(0, first)
    for k in range(4):
        timeline.tracks[1].append(otio.schema.Clip(
            name=f"c{k}", source_range=tr(10 * k, 5, 24),
            media_reference=otio.schema.MissingReference()))
    project, _report = build(timeline, tmp_path)
    with project:
        assert project.sequence.fps == 30
        placed = clips(project, "V2")
        assert [c.start for c in placed] == [0, 6, 12, 19]
        assert placed[-1].end == 25


def test_nested_stack_is_flattened_over_the_part_it_shows(tmp_path: Path) -> None:
    inner = otio.schema.Stack(name="compound", source_range=tr(10, 20, 24))
    inner_track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    inner.append(inner_track)
    inner_track.append(otio.schema.Clip(name="a", source_range=tr(100, 15, 24),
                                        media_reference=otio.schema.MissingReference()))
    inner_track.append(otio.schema.Clip(name="b", source_range=tr(200, 30, 24),
                                        media_reference=otio.schema.MissingReference()))
    timeline = otio.schema.Timeline(name="nest")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    track.append(otio.schema.Gap(source_range=tr(0, 4, 24)))
    track.append(inner)
    project, report = build(timeline, tmp_path)
    with project:
        # The compound shows its frames 10-30: a's last 5 frames, then b's first 15.
        assert [(c.start, c.duration, c.source_in, c.name) for c in clips(project)] == [
            (4, 5, 110, ""), (9, 15, 200, "")]
        assert project.assets[clips(project)[0].asset].name == "a"
    assert report.kept["nested clips flattened"] == 1 and "nested stacks" not in report.dropped


EDL_WITH_LOCATORS = """TITLE: LOCATORS
FCM: NON-DROP FRAME

001  A001     V     C        10:00:00:00 10:00:02:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME:  shot_a
* LOC: 01:00:01:12 GREEN   FOCUS
002  B002     V     C        20:00:05:00 20:00:06:00 01:00:02:00 01:00:03:00
* FROM CLIP NAME:  shot_b
* LOC: 01:00:02:06 YELLOW  CHECK SKY
"""


def test_edl_locators_land_at_their_record_time(tmp_path: Path) -> None:
    path = tmp_path / "loc.edl"
    path.write_text(EDL_WITH_LOCATORS)
    timeline, _ = read_timeline(path, rate=Fraction(24))
    plan = otio_to_operations(timeline, resolve_media=default_media_resolver(tmp_path))
    with Project.create(tmp_path / "loc.takeline", plan.settings,
                        tracks=plan.tracks) as project:
        report = apply_plan(plan, project)
        markers = sorted((m.frame, m.name, m.color) for m in project.sequence.markers.values())
        assert markers == [(36, "FOCUS", "green"), (54, "CHECK SKY", "yellow")]
        a, b = clips(project)
        assert (a.reel, b.reel, a.source_in, b.start) == ("A001", "B002", 864000, 48)
        assert not any("outside" in w for w in report.warnings)
