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


def test_fcp7_xml_keeps_marker_colours_and_notes(ntsc: Project, tmp_path: Path) -> None:
    if not _adapter("fcp_xml"):
        pytest.skip("the fcp_xml adapter is not installed")
    ntsc.apply([{"op": "add_marker", "at": 60, "name": "teal one", "color": "teal"},
                {"op": "add_marker", "at": 70, "name": "odd", "color": "#12ab34",
                 "note": "ask the client"}])
    out = tmp_path / "cut.xml"
    write_timeline(sequence_to_otio(ntsc.sequence, assets_of(ntsc)), out)
    root = ET.parse(out).getroot()
    [rate] = root.findall("./project/children/sequence/rate")
    assert (rate.findtext("timebase"), rate.findtext("ntsc")) == ("30", "TRUE")
    written = {m.findtext("name"): (m.findtext("comment"), m.findtext("color/red"),
                                    m.findtext("color/green"), m.findtext("color/blue"))
               for m in root.iter("marker")}
    assert written["music in"] == ("hit", "0", "255", "0")
    project, report = reimport(out, tmp_path / "back.takeline")
    with project:
        back = sorted((m.frame, m.name, m.color, m.note)
                      for m in project.sequence.markers.values())
    assert back == sorted((m.frame, m.name, m.color, m.note)
                          for m in ntsc.sequence.markers.values()), report.format()


def test_fcp7_xml_of_an_empty_sequence_states_its_rate(tmp_path: Path) -> None:
    if not _adapter("fcp_xml"):
        pytest.skip("the fcp_xml adapter is not installed")
    with Project.create(tmp_path / "e.takeline", SequenceSettings(fps=Fraction(25))) as p:
        p.apply([{"op": "add_marker", "at": 50, "name": "two seconds"}])
        write_timeline(sequence_to_otio(p.sequence, {}), tmp_path / "e.xml")
    rate = ET.parse(tmp_path / "e.xml").getroot().find("./project/children/sequence/rate")
    assert (rate.findtext("timebase"), rate.findtext("ntsc")) == ("25", "FALSE")  # not 1


_TIMEBASE_ONE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4"><sequence id="sequence-1"><name>Timebase one</name>
<duration>4</duration><rate><timebase>1</timebase><ntsc>FALSE</ntsc></rate>
<media><video><track/></video></media>
<marker><comment>a note</comment><name>three</name><in>3</in><out>-1</out></marker>
</sequence></xmeml>
"""


def test_fcp7_xml_with_timebase_one(tmp_path: Path) -> None:
    """What older exports of an empty sequence said: the marker stays at 3 seconds, the
    sequence gets a real rate, and the report says so."""
    if not _adapter("fcp_xml"):
        pytest.skip("the fcp_xml adapter is not installed")
    path = tmp_path / "tb1.xml"
    path.write_text(_TIMEBASE_ONE)
    project, report = reimport(path, tmp_path / "tb1.takeline")
    with project:
        assert project.sequence.fps == Fraction(24000, 1001), report.format()
        [m] = project.sequence.markers.values()
        assert (m.frame, m.name, m.note) == (72, "three", "a note")  # 3 s at 23.976


def test_a_one_fps_sequence_takes_its_media_rate() -> None:
    from timeline.interchange import default_media_resolver, otio_to_operations

    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    clip = otio.schema.Clip(name="shot", source_range=tr(rt(1, 1), rt(2, 1)),
                            media_reference=otio.schema.ExternalReference(
                                target_url="/nowhere/shot.mov",
                                available_range=tr(rt(0, 25), rt(250, 25))))
    timeline = otio.schema.Timeline(name="t")
    timeline.tracks.append(otio.schema.Track(children=[clip]))
    plan = otio_to_operations(timeline, resolve_media=default_media_resolver())
    assert plan.settings.fps == 25
    assert any("states 1 fps" in w and "rate of its clips" in w for w in plan.report.warnings)
    [place] = [op for op in plan.operations if op["op"] == "overwrite"]
    assert (place["at"], place["source_in"], place["source_out"]) == (0, 25, 75)  # seconds kept


def test_edl_dissolve_keeps_the_media_on_each_side(tmp_path: Path, testdata: Path) -> None:
    """CMX 3600 writes a dissolve as a zero-length cut of the outgoing clip and a ``D``
    event of the incoming one, whose comments name both files: the incoming clip must come
    back on its own media (it came back on the outgoing clip's)."""
    if not _adapter("cmx_3600"):
        pytest.skip("the cmx_3600 adapter is not installed")
    with Project.create(tmp_path / "d.takeline", SequenceSettings(fps=Fraction(24))) as src:
        bbb, friday = (a.id for a in src.import_media([testdata / BBB, testdata / FRIDAY]))
        src.apply([
            {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 10,
             "source_out": 58, "at": 0},
            {"op": "overwrite", "track": "V1", "asset": friday, "source_in": 30,
             "source_out": 90, "at": 48},
            {"op": "overwrite", "track": "V1", "asset": bbb, "source_in": 100,
             "source_out": 124, "at": 108},
            {"op": "add_transition", "track": "V1", "at": 48, "duration": 12},
        ])
        out = tmp_path / "d.edl"
        write_timeline(sequence_to_otio(src.sequence, assets_of(src)), out)
        text = out.read_text()
        assert " D 012 " in text and "TO CLIP NAME:  friday.mp4" in text
        project, report = reimport(out, tmp_path / "back.takeline", rate=Fraction(24))
        with project:
            assert clips(project) == clips(src), report.format()
            [tr] = project.sequence.track("V1").transitions.values()
            assert (tr.in_offset, tr.out_offset) == (6, 6)


def test_real_edl_dissolve_names_the_incoming_clip(testdata: Path, tmp_path: Path) -> None:
    """``dissolve_test.edl`` (OTIO's sample): clip_A dissolves for 10 frames into clip_B."""
    if not _adapter("cmx_3600"):
        pytest.skip("the cmx_3600 adapter is not installed")
    path = testdata / "timelines/edl/dissolve_test.edl"
    project, report = reimport(path, tmp_path / "dissolve.takeline")
    with project:
        v1 = [(i.start, i.duration, i.source_in, project.assets[i.asset].name, i.reel)
              for i in project.sequence.track("V1")]
        names = [v[3] for v in v1]
        assert names[0] == "clip_A" and set(names[1:]) == {"clip_B"}, report.format()
        assert all(v[4] == "TST" for v in v1)
        # The dissolve starts at the cut (record 01:00:00:09) and lasts 10 frames.
        assert sum(v[1] for v in v1) == 20
        [tr] = project.sequence.track("V1").transitions.values()
        assert tr.in_offset + tr.out_offset == 10, report.format()


_TAPE_EDL = """TITLE: tape relink
FCM: NON-DROP FRAME
001  LINEARSP V     C        01:00:00:12 01:00:01:12 00:00:00:00 00:00:01:00
* FROM CLIP NAME:  shot one
002  LINEARSP V     C        01:00:01:00 01:00:01:20 00:00:01:00 00:00:01:20
* FROM CLIP NAME:  shot one
"""


def test_offline_edl_clips_relink_by_reel_and_timecode(tmp_path: Path, testdata: Path) -> None:
    """An Avid-style EDL names tape LINEARSP and source timecode 01:00:00:12, no file;
    ``linear_speed_effects_aaf.mov`` (24 fps, tmcd 01:00:00:00) is that tape: relinking the
    folder finds it and the clips show the same source frames, counted from its start."""
    if not _adapter("cmx_3600"):
        pytest.skip("the cmx_3600 adapter is not installed")
    edl = tmp_path / "tape.edl"
    edl.write_text(_TAPE_EDL)
    project, report = reimport(edl, tmp_path / "tape.takeline", rate=Fraction(24))
    with project:
        [asset] = project.assets.values()
        assert asset.status == "offline", report.format()
        before = [(i.start, i.duration, i.source_in) for i in project.sequence.track("V1")]
        assert before == [(0, 24, 86412), (24, 20, 86424)]
        done = project.relink_folder(testdata / "video")
        assert [Path(p).name for p in done.values()] == ["linear_speed_effects_aaf.mov"]
        assert project.assets[asset.id].status == "ok"
        after = [(i.start, i.duration, i.source_in) for i in project.sequence.track("V1")]
        assert after == [(0, 24, 12), (24, 20, 24)]  # 01:00:00:12 is the file's frame 12


def test_a_tape_whose_timecode_is_not_in_the_file_stays_offline(tmp_path: Path,
                                                                 testdata: Path) -> None:
    if not _adapter("cmx_3600"):
        pytest.skip("the cmx_3600 adapter is not installed")
    edl = tmp_path / "later.edl"
    edl.write_text(_TAPE_EDL.replace("01:00:0", "02:00:0"))  # an hour later on the tape
    project, report = reimport(edl, tmp_path / "later.takeline", rate=Fraction(24))
    with project:
        assert project.relink_folder(testdata / "video") == {}
        [asset] = project.assets.values()
        assert asset.status == "offline"
        assert [i.source_in for i in project.sequence.track("V1")] == [172812, 172824]
