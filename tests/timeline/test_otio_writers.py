"""Every writer Takeline offers (``takeline otio export`` by extension): the file written
is re-read by the same adapter and gives back the same clips at the same places, the same
markers (where the format holds them) and the exact rate, 29.97 included."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest

otio = pytest.importorskip("opentimelineio")

from project_store.project import Project  # noqa: E402
from tests.timeline.test_otio import BBB, FRIDAY, assets_of, reimport  # noqa: E402
from timeline.interchange import InterchangeError, sequence_to_otio, write_timeline  # noqa: E402
from timeline.interchange.otio_io import WRITERS  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402

NTSC = Fraction(30000, 1001)


def _adapter(name: str) -> bool:
    return name in {a.name for a in otio.plugins.ActiveManifest().adapters}


@pytest.fixture
def ntsc(tmp_path: Path, testdata: Path) -> Project:
    """29.97 fps, 1280x720: two picture tracks (a gap on V1, a clip over it on V2), a sound
    clip, and sequence markers over a clip and over the gap."""
    project = Project.create(tmp_path / "ntsc.takeline", SequenceSettings(
        name="NTSC cut", fps=NTSC, width=1280, height=720))
    bbb, friday = (a.id for a in project.import_media([testdata / BBB, testdata / FRIDAY]))
    project.apply([
        {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 10, "source_out": 58,
         "at": 0},
        {"op": "overwrite", "track": "V1", "asset": friday, "source_in": 30,
         "source_out": 90, "at": 48},
        {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 100, "source_out": 140,
         "at": 150},  # a gap from 108 to 150
        {"op": "overwrite", "track": "V2", "asset": friday, "source_in": 5, "source_out": 35,
         "at": 115},  # over the gap
        {"op": "overwrite", "track": "A1", "asset": bbb, "source_in": 0, "source_out": 100,
         "at": 12},
        {"op": "add_marker", "at": 30, "name": "music in", "color": "green", "note": "hit"},
        {"op": "add_marker", "at": 120, "name": "over the gap"},
    ])
    yield project
    project.close()


def clips(project: Project) -> dict[str, list[tuple[int, int, int, str]]]:
    assets = project.assets
    return {t.name: [(i.start, i.duration, i.source_in, Path(assets[i.asset].path).name)
                     for i in t] for t in project.sequence.tracks.values() if len(t)}


def markers(project: Project) -> list[tuple[int, str]]:
    return sorted((m.frame, m.name) for m in project.sequence.markers.values())


@pytest.mark.parametrize("suffix,adapter,keeps_markers", [
    (".fcpxml", "fcpx_xml", True), (".kdenlive", "kdenlive", True),
    (".aaf", "AAF", False), (".otioz", "otioz", True)])
def test_writer_round_trip(ntsc: Project, tmp_path: Path, suffix: str, adapter: str,
                           keeps_markers: bool) -> None:
    if not _adapter(adapter):
        pytest.skip(f"the {adapter} adapter is not installed")
    out = tmp_path / f"cut{suffix}"
    notes = write_timeline(sequence_to_otio(ntsc.sequence, assets_of(ntsc)), out)
    assert out.is_file() and not list(tmp_path.glob(".*part*"))
    project, report = reimport(out, tmp_path / f"back{suffix}.takeline")
    with project:
        assert project.sequence.fps == NTSC, report.format()  # exactly, not 29 or 29.97
        assert clips(project) == clips(ntsc), report.format()
        assert report.offline == {}, report.format()  # every clip found its media again
        if keeps_markers:
            assert markers(project) == markers(ntsc), report.format()
        else:
            assert any("marker" in n for n in notes), notes
    if suffix == ".fcpxml":
        root = ET.parse(out).getroot()
        [fmt] = root.iter("format")
        assert (fmt.get("frameDuration"), fmt.get("width"), fmt.get("height")) == (
            "1001/30000s", "1280", "720")
        [seq] = root.iter("sequence")
        assert seq.get("duration") == "19019/3000s"  # 190 frames, exactly
        notes_by_name = {m.get("value"): m.get("note") for m in root.iter("marker")}
        assert notes_by_name == {"music in": "hit", "over the gap": None}
    if suffix == ".kdenlive":
        profile = ET.parse(out).getroot().find("profile")
        assert (profile.get("frame_rate_num"), profile.get("frame_rate_den"),
                profile.get("width")) == ("30000", "1001", "1280")
    if suffix == ".otioz":
        with zipfile.ZipFile(out) as bundle:  # the media travel inside the file
            assert {Path(n).name for n in bundle.namelist() if n.startswith("media/")} == {
                "bbb_prog_10s.mp4", "friday.mp4"}
        assert (tmp_path / "cut.media" / "media" / "friday.mp4").is_file()


def test_formats_that_cannot_be_written_are_refused(ntsc: Project, tmp_path: Path) -> None:
    timeline = sequence_to_otio(ntsc.sequence, assets_of(ntsc))
    with pytest.raises(InterchangeError, match="list of media, not a timeline") as exc:
        write_timeline(timeline, tmp_path / "x.ale")
    for suffix in WRITERS:  # the refusal names every format that can be written
        assert suffix in str(exc.value)
    with pytest.raises(InterchangeError, match=r"\.mov is not a timeline format"):
        write_timeline(timeline, tmp_path / "x.mov")
    with pytest.raises(InterchangeError, match="does not exist"):
        write_timeline(timeline, tmp_path / "nowhere" / "x.fcpxml")
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("ntsc.takeline")]


def test_a_failed_write_keeps_the_file_that_was_there(ntsc: Project, tmp_path: Path,
                                                      testdata: Path) -> None:
    out = tmp_path / "cut.edl"
    out.write_text("the user's EDL\n")
    with pytest.raises(InterchangeError, match="one video track"):
        write_timeline(sequence_to_otio(ntsc.sequence, assets_of(ntsc)), out)
    assert out.read_text() == "the user's EDL\n"
