"""``takeline otio export`` / ``takeline otio import`` end to end, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

pytest.importorskip("opentimelineio")


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_export_then_import(tmp_path: Path, testdata: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src.takeline"
    assert run(capsys, "new", src, "--fps", "30000/1001", "--size", "1280x720")[0] == 0
    assert run(capsys, "import", src, testdata / "video/bbb_prog_10s.mp4")[0] == 0
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps([
        {"op": "overwrite", "track": "V1", "asset": 1, "source_in": 0, "source_out": 60,
         "at": 10},
        {"op": "add_marker", "at": 20, "name": "here"},
    ]))
    assert run(capsys, "apply", src, edits)[0] == 0
    rc, out, err = run(capsys, "otio", "export", src, tmp_path / "cut.otio")
    assert rc == 0, err
    rc, out, err = run(capsys, "otio", "import", tmp_path / "cut.otio", tmp_path / "back.takeline")
    assert rc == 0, err
    assert "kept:" in out and "30000/1001 fps, 1280x720" in out
    rc, out, _ = run(capsys, "info", tmp_path / "back.takeline", "--json")
    info = json.loads(out)
    v1 = next(t for t in info["tracks"] if t["name"] == "V1")
    assert [(i["start"], i["duration"]) for i in v1["items"]] == [(10, 60)]
    assert [m["name"] for m in info["markers"]] == ["here"]
    # An existing project is never overwritten.
    rc, _, err = run(capsys, "otio", "import", tmp_path / "cut.otio", tmp_path / "back.takeline")
    assert rc == 1 and "already exists" in err
    rc, _, err = run(capsys, "otio", "export", src, tmp_path / "cut.mov")
    assert rc == 1 and "use .otio" in err


def test_import_refusals_never_traceback(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.otio"
    bad.write_text("{ nope")
    rc, out, err = run(capsys, "otio", "import", bad, tmp_path / "p.takeline")
    assert rc == 1 and "cannot read bad.otio" in err and "Traceback" not in err
    assert not (tmp_path / "p.takeline").exists()
    rc, _, err = run(capsys, "otio", "import", tmp_path / "none.edl", tmp_path / "p.takeline")
    assert rc == 1 and "no such file" in err
    fcpx = tmp_path / "x.fcpxml"
    fcpx.write_text("<fcpxml/>")
    rc, _, err = run(capsys, "otio", "import", fcpx, tmp_path / "p.takeline")
    assert rc == 1 and "Traceback" not in err and "x.fcpxml" in err
    assert ("pip install otio-fcpx-xml-adapter" in err or "cannot read" in err
            or "not a timeline" in err)


def test_import_real_edl_prints_the_report(tmp_path: Path, testdata: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "otio", "import", testdata / "timelines/edl/25fps.edl",
                       tmp_path / "e.takeline", "--json")
    assert rc == 0, err
    report = json.loads(out)
    # Its media are not here: the four clips are kept in place, offline, none dropped.
    assert len(report["offline"]["video clips"]) == 4 and "media" not in report["dropped"]
    rc, out, _ = run(capsys, "info", tmp_path / "e.takeline", "--json")
    info = json.loads(out)
    assert info["sequence"]["fps"] == "25/1"
    v1 = next(t for t in info["tracks"] if t["name"] == "V1")
    assert [(i["start"], i["duration"], i["reel"]) for i in v1["items"]][:2] == [
        (0, 161, "SC00.JPG"), (161, 200, "SC00.JPG")]
    assert [a["name"] for a in info["assets"]][:2] == ["sq001_s001", "sq001_s002"]
    assert {a["status"] for a in info["assets"]} == {"offline"}


def test_json_stays_json_when_an_adapter_prints(tmp_path: Path, testdata: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The Kdenlive adapter prints a deprecation banner on stdout: it becomes a warning of
    the report, and --json prints only JSON."""
    from timeline.interchange.otio_io import _adapter_available

    if not _adapter_available("kdenlive"):
        pytest.skip("needs otio-kdenlive-adapter")
    rc, out, err = run(capsys, "otio", "import",
                       testdata / "timelines/other/kdenlive_example_v221170.kdenlive",
                       tmp_path / "k.takeline", "--json")
    assert rc == 0, err
    report = json.loads(out)  # the whole of stdout
    assert any("kdenlive adapter said" in w for w in report["warnings"])
    assert "!!!" not in out + err


def test_an_import_that_keeps_nothing_exits_1_and_makes_no_project(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.otio"
    blank.write_text(json.dumps({"OTIO_SCHEMA": "Timeline.1", "name": "b", "tracks": {
        "OTIO_SCHEMA": "Stack.1", "children": [
            {"OTIO_SCHEMA": "Track.1", "name": "V", "kind": "Video", "children": []}]}}))
    rc, out, err = run(capsys, "otio", "import", blank, tmp_path / "p.takeline", "--json")
    assert rc == 1 and out == ""
    assert err == ("takeline: error: nothing to import from blank.otio: its 1 track(s) are "
                   "empty and it has no markers; check that this is the timeline you meant "
                   "(export it again from its editor with its clips)\n")
    assert "frame rate" not in err and not (tmp_path / "p.takeline").exists()
