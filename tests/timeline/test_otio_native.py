"""What the adapters lose, read from the file itself (issue 16): FCPXML NTSC rates and clip
lengths exact, a Kdenlive project's profile rate and size whatever its first track holds;
a reader's failure named in words (file, format, element), an import that keeps nothing
refused with what was found, an adapter's chatter kept off stdout."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

otio = pytest.importorskip("opentimelineio")

from timeline.interchange import (  # noqa: E402
    default_media_resolver,
    otio_to_operations,
    read_timeline,
)
from timeline.interchange.otio_io import InterchangeError, _adapter_available  # noqa: E402

needs_fcpx = pytest.mark.skipif(not _adapter_available("fcpx_xml"),
                                reason="needs otio-fcpx-xml-adapter")
needs_kdenlive = pytest.mark.skipif(not _adapter_available("kdenlive"),
                                    reason="needs otio-kdenlive-adapter")


def fcpxml(frame_duration: str, unit: int) -> str:
    """A Final Cut Pro X 1.8 project at one frame = ``frame_duration``, every time a whole
    number of frames written over ``unit`` (as FCP writes them): clip A (90 frames), a
    30-frame gap, clip B (60 frames from its frame 30), and a marker on B at its frame 45."""
    num, den = (int(x) for x in frame_duration.removesuffix("s").split("/"))

    def t(frames: int) -> str:
        return f"{frames * num * unit // den}/{unit}s" if frames else "0s"

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.8">
  <resources>
    <format id="r1" name="FFVideoFormat1080p" frameDuration="{frame_duration}" width="1920"
            height="1080"/>
    <asset id="r2" name="A" uid="A1" src="file:///nowhere/A.mov" start="0s"
           duration="{t(900)}" hasVideo="1" format="r1" hasAudio="0"/>
    <asset id="r3" name="B" uid="B1" src="file:///nowhere/B.mov" start="0s"
           duration="{t(900)}" hasVideo="1" format="r1" hasAudio="0"/>
  </resources>
  <library>
    <event name="E">
      <project name="P">
        <sequence duration="{t(180)}" format="r1" tcStart="0s" tcFormat="NDF">
          <spine>
            <asset-clip name="A" offset="0s" ref="r2" duration="{t(90)}" start="0s"
                        format="r1"/>
            <gap name="Gap" offset="{t(90)}" duration="{t(30)}" start="0s"/>
            <asset-clip name="B" offset="{t(120)}" ref="r3" duration="{t(60)}"
                        start="{t(30)}" format="r1">
              <marker start="{t(75)}" duration="{t(1)}" value="beat"/>
            </asset-clip>
          </spine>
        </sequence>
      </project>
    </event>
  </library>
</fcpxml>
"""


def plan_of(path: Path):  # type: ignore[no-untyped-def]
    timeline, warnings = read_timeline(path)
    plan = otio_to_operations(timeline, resolve_media=default_media_resolver(path.parent),
                              source=str(path))
    plan.report.warnings[:0] = warnings
    return plan


def placed(plan) -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    """(start, duration, source_in) of every clip the plan places, in order."""
    ops = [op for op in plan.operations if op["op"] in ("overwrite", "place", "append")]
    out = []
    for op in ops:
        start = op.get("at", op.get("start"))
        out.append((start, op["source_out"] - op["source_in"], op["source_in"]))
    return out


@needs_fcpx
@pytest.mark.parametrize(("frame_duration", "unit", "rate"), [
    ("1001/30000s", 30000, Fraction(30000, 1001)),  # 29.97: the adapter said 29
    ("1001/24000s", 24000, Fraction(24000, 1001)),  # 23.976: the adapter said 23
    ("1001/60000s", 60000, Fraction(60000, 1001)),  # 59.94: the adapter said 59
    ("100/2500s", 2500, Fraction(25)),
])
def test_fcpxml_rates_and_clip_lengths_are_exact(tmp_path: Path, frame_duration: str,
                                                 unit: int, rate: Fraction) -> None:
    path = tmp_path / "ntsc.fcpxml"
    path.write_text(fcpxml(frame_duration, unit))
    plan = plan_of(path)
    assert plan.settings.fps == rate
    assert (plan.settings.width, plan.settings.height) == (1920, 1080)
    assert not [w for w in plan.report.warnings if "frame size" in w or "frame rate" in w]
    assert placed(plan) == [(0, 90, 0), (120, 60, 30)]
    [marker] = [op for op in plan.operations if op["op"] == "add_marker"]
    assert marker["at"] == 120 + 45 and marker["name"] == "beat"
    # The adapter's own module is left as it was after the read.
    module = otio.adapters.from_name("fcpx_xml").module()
    assert module.FcpxXml._format_frame_rate.__module__ == module.__name__


@needs_fcpx
def test_real_fcpxml_keeps_its_rate_and_size(testdata: Path) -> None:
    plan = plan_of(testdata / "timelines/fcpxml/fcpx_example.fcpxml")
    assert plan.settings.fps == 30 and (plan.settings.width, plan.settings.height) == (1920,
                                                                                          1080)
    assert not [w for w in plan.report.warnings if "frame size" in w]


KDENLIVE_EMPTY_FIRST_TRACK = """<?xml version='1.0' encoding='utf-8'?>
<mlt LC_NUMERIC="C" producer="main_bin" version="7.9.0">
 <profile frame_rate_num="30000" frame_rate_den="1001" width="1280" height="720"/>
 <producer id="producer0" in="0" out="299">
  <property name="resource">/nowhere/shot.mp4</property>
  <property name="mlt_service">avformat</property>
  <property name="kdenlive:id">2</property>
  <property name="kdenlive:clipname">shot</property>
 </producer>
 <playlist id="main_bin">
  <property name="kdenlive:docproperties.version">1</property>
  <entry producer="producer0" in="0" out="299"/>
 </playlist>
 <producer id="black_track" in="0" out="500"><property name="mlt_service">color</property>
 </producer>
 <playlist id="playlist0"/>
 <playlist id="playlist1"/>
 <tractor id="tractor0" in="0" out="299">
  <property name="kdenlive:track_name">V1</property>
  <track producer="playlist0"/>
  <track producer="playlist1"/>
 </tractor>
 <playlist id="playlist2">
  <blank length="30"/>
  <entry producer="producer0" in="10" out="99"/>
 </playlist>
 <playlist id="playlist3"/>
 <tractor id="tractor1" in="0" out="299">
  <property name="kdenlive:track_name">V2</property>
  <track producer="playlist2"/>
  <track producer="playlist3"/>
 </tractor>
 <tractor id="maintractor" global_feed="1" in="0" out="299">
  <track producer="black_track"/>
  <track producer="tractor0"/>
  <track producer="tractor1"/>
 </tractor>
</mlt>
"""


@needs_kdenlive
def test_kdenlive_rate_and_size_come_from_the_profile(tmp_path: Path) -> None:
    path = tmp_path / "empty_first.kdenlive"
    path.write_text(KDENLIVE_EMPTY_FIRST_TRACK)
    plan = plan_of(path)
    # The first track is empty: its "rate" was 1/1.
    assert plan.settings.fps == Fraction(30000, 1001)
    assert (plan.settings.width, plan.settings.height) == (1280, 720)
    assert placed(plan) == [(30, 90, 10)]
    # The adapter's deprecation banner is a warning of the report, not stdout.
    assert any("kdenlive adapter said" in w and "deprecated" in w
               for w in plan.report.warnings)


@needs_kdenlive
def test_real_kdenlive_project_keeps_its_pal_profile(testdata: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    capsys.readouterr()
    plan = plan_of(testdata / "timelines/other/kdenlive_example_v221170.kdenlive")
    assert capsys.readouterr().out == ""
    assert plan.settings.fps == 25 and (plan.settings.width, plan.settings.height) == (720,
                                                                                        576)


@needs_fcpx
@pytest.mark.parametrize(("body", "phrase"), [
    ('<library><event name="e"><project name="p"/></event></library>',
     "<project name='p'> holds no <sequence>"),
    ('<library><event name="e"><project name="p"><sequence format="r1"><spine>'
     '<asset-clip name="A" ref="r9" offset="0s" duration="10s"/></spine></sequence>'
     '</project></event></library>',
     "<asset-clip name='A' ref='r9'> refers to 'r9', which is not in <resources>"),
    ('<library><event name="e"><project name="p"><sequence format="r1"><spine>'
     '<asset-clip name="A" ref="r2" offset="0s" duration="3.5.1s"/></spine></sequence>'
     '</project></event></library>',
     "<asset-clip name='A' duration='3.5.1s'>: '3.5.1s' is not a time"),
])
def test_a_reader_failure_names_the_file_the_format_and_the_element(
        tmp_path: Path, body: str, phrase: str) -> None:
    path = tmp_path / "broken.fcpxml"
    path.write_text('<?xml version="1.0"?><fcpxml version="1.8"><resources>'
                    '<format id="r1" frameDuration="1001/30000s"/>'
                    '<asset id="r2" name="A" src="file:///nowhere/A.mov" start="0s" '
                    'duration="10s" hasVideo="1" format="r1"/></resources>'
                    f'{body}</fcpxml>')
    with pytest.raises(InterchangeError) as caught:
        read_timeline(path)
    message = str(caught.value)
    assert message.startswith("cannot read broken.fcpxml as Final Cut Pro X XML (FCPXML): ")
    assert phrase in message and "export the timeline again" in message
    for raw in ("AttributeError", "NoneType", "ValueError", "Traceback"):
        assert raw not in message


@needs_fcpx
def test_xml_that_is_not_well_formed_says_where(tmp_path: Path) -> None:
    path = tmp_path / "cut.fcpxml"
    path.write_text("<fcpxml><library>")
    with pytest.raises(InterchangeError, match=r"cut.fcpxml: it is not well-formed XML "
                                               r"\(line 1, column \d+\)"):
        read_timeline(path)


def test_an_import_that_keeps_nothing_is_refused_with_what_was_found(tmp_path: Path) -> None:
    path = tmp_path / "blank.otio"
    path.write_text(json.dumps({
        "OTIO_SCHEMA": "Timeline.1", "name": "blank", "tracks": {
            "OTIO_SCHEMA": "Stack.1", "children": [
                {"OTIO_SCHEMA": "Track.1", "name": "V", "kind": "Video", "children": []},
                {"OTIO_SCHEMA": "Track.1", "name": "A", "kind": "Audio", "children": [
                    {"OTIO_SCHEMA": "Gap.1", "source_range": {
                        "OTIO_SCHEMA": "TimeRange.1",
                        "start_time": {"OTIO_SCHEMA": "RationalTime.1", "value": 0, "rate": 24},
                        "duration": {"OTIO_SCHEMA": "RationalTime.1", "value": 24,
                                     "rate": 24}}}]}]}}))
    with pytest.raises(InterchangeError) as caught:
        plan_of(path)
    message = str(caught.value)
    assert message.startswith("nothing to import from blank.otio: its 2 track(s) hold only "
                              "gaps (1)")
    assert "frame rate" not in message
