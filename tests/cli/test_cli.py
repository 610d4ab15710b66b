"""The ``takeline`` command line, end to end.

A few key cases run the installed console script in a real subprocess (exit codes, stderr,
no traceback); the rest call ``cli.main.main`` in-process, which is the same code path minus
interpreter start-up. Every CLI call opens the project afresh and closes it, so state that
survives from one call to the next has been through the file.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli.main import main

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TESTDATA = REPO_ROOT.parent / "shared" / "testdata"
# The console script installed next to the interpreter running the tests (.venv/bin/takeline).
TAKELINE = Path(sys.executable).with_name("takeline")
BBB = "video/bbb_prog_10s.mp4"  # 9.917 s, 24/1, 320x240, AAC 44.1 kHz stereo


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``takeline ARGS...`` in-process; returns exit code and captured stdout/stderr."""

    def run(*args: str | os.PathLike[str]) -> Result:
        capsys.readouterr()  # drop anything printed before
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(rc, out, err)

    return run


def run_script(*args: str | os.PathLike[str], stdin: str | None = None,
               cwd: Path | None = None) -> Result:
    """Run the real console script in a new process."""
    if not TAKELINE.exists():
        pytest.skip(f"console script {TAKELINE} is not installed (pip install -e .)")
    proc = subprocess.run(
        [str(TAKELINE), *(str(a) for a in args)], input=stdin, capture_output=True,
        text=True, timeout=120, cwd=cwd,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def media_root(request: pytest.FixtureRequest) -> Path:
    """The shared real-media folder: the conftest ``testdata`` fixture when there is one,
    else ``<repo>/../shared/testdata``. Skips when the media are not there."""
    root = DEFAULT_TESTDATA
    try:
        provided = request.getfixturevalue("testdata")
    except pytest.FixtureLookupError:
        provided = None
    if isinstance(provided, str | os.PathLike):
        root = Path(provided)
    if not (root / "media.json").is_file():
        pytest.skip(f"real test media not found ({root / 'media.json'} is missing); "
                    "the shared testdata folder is expected next to the repository")
    return root


@pytest.fixture
def media_facts(media_root: Path) -> list[dict[str, Any]]:
    return json.loads((media_root / "media.json").read_text(encoding="utf-8"))["files"]


def info(cli, project: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = cli("info", project, "--json")
    assert r.rc == 0, r.err
    return r.json()


def track(info_json: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in info_json["tracks"] if t["name"] == name)


def history_rows(project: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(project) as raw:
        return raw.execute("SELECT id, label, state FROM history ORDER BY id").fetchall()


def assert_clean_failure(r: Result, *phrases: str) -> None:
    assert r.rc == 1, (r.out, r.err)
    assert r.err.startswith("takeline: error: "), r.err
    assert "Traceback" not in r.err
    for phrase in phrases:
        assert phrase in r.err, (phrase, r.err)


# ---------------------------------------------------------------------- new


def test_new_with_explicit_settings(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "cut.takeline"
    r = cli("new", p, "--fps", "30000/1001", "--size", "1280x720", "--sample-rate", "44100")
    assert r.rc == 0, r.err
    assert r.out == f"Created {p} (30000/1001 fps, 1280x720, 44100 Hz)\n"
    i = info(cli, p)
    assert i["sequence"] == {"name": "Sequence 1", "fps": "30000/1001", "width": 1280,
                             "height": 720, "sample_rate": 44100, "duration_frames": 0,
                             "in_point": None, "out_point": None}
    assert [(t["name"], t["kind"], t["items"]) for t in i["tracks"]] == [
        ("V1", "video", []), ("V2", "video", []), ("A1", "audio", []), ("A2", "audio", [])]
    assert i["markers"] == [] and i["assets"] == []
    assert i["project"]["name"] == "cut"


@pytest.mark.parametrize(("fps", "expected"), [
    ("23.976", "24000/1001"), ("29.97", "30000/1001"), ("25", "25/1"), (None, "24000/1001"),
])
def test_new_accepts_ntsc_decimals_and_defaults(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, fps: str | None, expected: str
) -> None:
    p = tmp_path / "p.takeline"
    r = cli("new", p, *(["--fps", fps] if fps else []))
    assert r.rc == 0, r.err
    seq = info(cli, p)["sequence"]
    assert seq["fps"] == expected
    if fps is None:
        assert (seq["width"], seq["height"], seq["sample_rate"]) == (1920, 1080, 48000)


@pytest.mark.parametrize("args", [
    ["--size", "12x"], ["--size", "1921x1080"], ["--size", "0x720"], ["--fps", "abc"],
    ["--fps", "0/1"], ["--sample-rate", "-48000"],
])
def test_new_bad_usage_exits_2_and_creates_nothing(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, args: list[str]
) -> None:
    p = tmp_path / "p.takeline"
    r = cli("new", p, *args)
    assert r.rc == 2
    assert f"argument {args[0]}" in r.err
    assert not p.exists()


def test_new_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    p = tmp_path / "p.takeline"
    assert run_script("new", p, "--fps", "25").rc == 0
    before = p.read_bytes()
    r = run_script("new", p, "--fps", "30")
    assert_clean_failure(r, f"{p} already exists")
    assert r.out == ""
    assert p.read_bytes() == before


def test_new_in_a_missing_folder(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("new", tmp_path / "nope" / "p.takeline")
    assert_clean_failure(r, "does not exist")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    r = run_script("import", tmp_path / "p.takeline")  # no FILE
    assert r.rc == 2
    assert "usage: takeline import" in r.err and "Traceback" not in r.err
    assert run_script("--help").rc == 0


# ---------------------------------------------------------------------- import


def test_import_every_real_media_file_in_one_call(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, media_root: Path, media_facts: list[dict[str, Any]]
) -> None:
    p = tmp_path / "p.takeline"
    assert cli("new", p).rc == 0
    files = [media_root / f["path"] for f in media_facts]
    assert len(files) >= 30
    r = cli("import", p, *files)
    assert r.rc == 0, r.err
    ids = [int(line) for line in r.out.split()]
    assert len(ids) == len(files) and len(set(ids)) == len(files)

    assets = {a["id"]: a for a in info(cli, p)["assets"]}
    assert len(assets) == len(files)
    for asset_id, path, facts in zip(ids, files, media_facts, strict=True):
        a = assets[asset_id]  # the printed ids follow the order of the files
        name = facts["path"]
        assert a["path"] == str(path.absolute()), name
        assert a["status"] == "ok", name
        assert a["kind"] == facts["kind"], name
        # media.json has null fps/vfr/rotation for audio-only files, where we report no
        # rate, not VFR and no rotation.
        assert a["fps"] == facts["fps"], name  # exact "num/den" string equality
        assert a["vfr"] == (False if facts["vfr"] is None else facts["vfr"]), name
        assert a["rotation"] == (0 if facts["rotation"] is None else facts["rotation"]), name
        assert (a["width"], a["height"]) == (facts.get("width"), facts.get("height")), name
        assert a["sample_rate"] == facts.get("audio_sample_rate"), name
        assert a["channels"] == facts.get("audio_channels"), name
        expected = facts["duration_s"]
        if expected is None:  # no container duration (PNG stills, a WebM without one)
            assert a["duration"] is None, name
        else:
            # Within one frame, or 50 ms for files without a frame rate. That also covers
            # music.mp3, whose 30.0408 s is ffprobe's bitrate-based estimate while we read
            # 30.0 s: 41 ms apart, inside the 50 ms for every file.
            frame = 0.0 if a["fps"] is None else 1 / eval_fraction(a["fps"])
            assert abs(a["duration"] - expected) <= max(0.05, frame), (name, a["duration"])

    # Importing them all again adds nothing and answers with the same ids; --json form.
    r = cli("import", p, *files, "--json")
    assert r.rc == 0, r.err
    again = r.json()
    assert [a["id"] for a in again] == ids
    assert [a["path"] for a in again] == [str(f.absolute()) for f in files]
    assert len(info(cli, p)["assets"]) == len(files)

    # The human-readable form copes with every kind too.
    r = cli("info", p)
    assert r.rc == 0 and f"Assets ({len(files)})" in r.out
    assert "1280x720, rotation -180" in r.out  # fire2.mp4


def eval_fraction(text: str) -> float:
    num, den = text.split("/")
    return int(num) / int(den)


def test_import_is_all_or_nothing(cli, tmp_path: Path, media_root: Path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "p.takeline"
    assert cli("new", p).rc == 0
    good = media_root / BBB
    missing = tmp_path / "gone.mov"
    fake = tmp_path / "x.mp4"
    fake.write_text("not a video at all\n" * 50)
    r = cli("import", p, good, missing, fake)
    assert_clean_failure(r, "Could not import 2 files; nothing was added", str(missing),
                         "no such file", str(fake))
    assert str(good) not in r.err
    assert r.out == ""
    assert info(cli, p)["assets"] == []

    # The same file imported twice (two calls, or twice in one call) is one asset.
    first = cli("import", p, good)
    assert (first.rc, first.out) == (0, "1\n")
    second = cli("import", p, good, media_root / "audio/bear.flac", good)
    assert (second.rc, second.out.split()) == (0, ["1", "2", "1"])
    assert [a["id"] for a in info(cli, p)["assets"]] == [1, 2]


def test_import_into_a_missing_project(cli, tmp_path: Path, media_root: Path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "nowhere.takeline"
    r = cli("import", p, media_root / BBB)
    assert_clean_failure(r, f"No project at {p}", "takeline new")
    assert not p.exists()


# ---------------------------------------------------------------------- apply

EDITS = [
    {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 96},     # id 1
    {"op": "append", "track": "V1", "asset": 1, "source_in": 120, "source_out": 216},  # id 2
    {"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 192},    # id 3
    {"op": "split", "track": "V1", "at": 48},                                          # id 4
    {"op": "trim", "item": 4, "side": "out", "delta": -12, "ripple": True},
    {"op": "add_marker", "at": 84, "name": "cut to the bunny"},                        # id 5
    {"op": "add_generated", "track": "V2", "at": 24, "duration": 48,                   # id 6
     "prompt": "storm clouds over the meadow", "seed": 7},
    {"op": "undo"},
    {"op": "redo"},
]


@pytest.fixture
def edited(cli, tmp_path: Path, media_root: Path) -> Path:  # type: ignore[no-untyped-def]
    """bbb_prog_10s.mp4 (237 frames at 24000/1001) cut by EDITS."""
    p = tmp_path / "cut.takeline"
    assert cli("new", p).rc == 0
    assert cli("import", p, media_root / BBB).out == "1\n"
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps(EDITS))
    r = cli("apply", p, edits)
    assert r.rc == 0, r.err
    assert r.out == "Applied 9 operations; sequence is 192 frames\n"
    return p


def spec_keys(item: dict) -> dict:  # type: ignore[type-arg]
    """The item keys `takeline info --json` documents for clips."""
    keys = ("id", "kind", "start", "duration", "asset", "source_in")
    return {k: item[k] for k in keys if k in item}


def test_apply_a_realistic_edit_list(cli, edited: Path) -> None:  # type: ignore[no-untyped-def]
    i = info(cli, edited)
    assert i["sequence"]["duration_frames"] == 192
    assert [spec_keys(x) for x in track(i, "V1")["items"]] == [
        {"id": 1, "kind": "clip", "start": 0, "duration": 48, "asset": 1, "source_in": 0},
        # the split's right half, ripple-trimmed by 12 at its tail...
        {"id": 4, "kind": "clip", "start": 48, "duration": 36, "asset": 1, "source_in": 48},
        # ...which pulled the second clip 12 frames earlier
        {"id": 2, "kind": "clip", "start": 84, "duration": 96, "asset": 1, "source_in": 120},
    ]
    assert track(i, "V2")["items"] == [
        {"id": 6, "kind": "generated", "start": 24, "duration": 48,
         "prompt": "storm clouds over the meadow", "seed": 7, "model": "previz",
         "active_take": None, "takes": []},
    ]
    assert [spec_keys(x) for x in track(i, "A1")["items"]] == [
        {"id": 3, "kind": "clip", "start": 0, "duration": 192, "asset": 1, "source_in": 0}]
    # Clip properties beyond the documented keys come along with their defaults.
    assert track(i, "A1")["items"][0]["use_proxy"] is False
    assert track(i, "A2")["items"] == []
    assert [(m["id"], m["frame"], m["name"]) for m in i["markers"]] == [
        (5, 84, "cut to the bunny")]
    assert i["history"] == {"undo": "Add Generated Segment", "redo": None}
    # Seven edits, each its own undo step; the undo + redo left them all done.
    assert [(label, state) for _, label, state in history_rows(edited)] == [
        ("Append", "done"), ("Append", "done"), ("Append", "done"), ("Split", "done"),
        ("Trim", "done"), ("Add Marker", "done"), ("Add Generated Segment", "done")]


@pytest.mark.parametrize(("bad", "phrase"), [
    ({"op": "split", "track": "V1", "at": 1000}, "operation 2 (split): No item on V1 spans"),
    ({"op": "split", "track": "V1", "at": "12"}, "operation 2 (split): at must be a whole number"),
    ({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 10.5},
     "operation 2 (append): source_out must be a whole number, not 10.5"),
    ({"op": "append", "track": ["V1"], "asset": 1, "source_in": 0, "source_out": 10},
     "operation 2 (append): track must be a string"),
    ({"op": "append", "track": "V1", "asset": 9, "source_in": 0, "source_out": 10},
     "operation 2 (append): No asset with id 9"),
    ({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 1000},
     "operation 2 (append): Item 8 would run past the end of its media"),
    ({"op": "trim", "item": 4, "side": "middle", "delta": 3}, "operation 2 (trim): Trim side"),
    ({"op": "move", "item": 3, "track": "V2", "at": 0}, "operation 2 (move): Cannot move"),
    ({"op": "add_marker", "at": 10**20}, "operation 2 (add_marker): at must be a whole number"),
    ({"op": "frobnicate"}, "operation 2 (frobnicate): Unknown operation 'frobnicate'"),
    ({"op": ["split"]}, '"op" must be an operation name'),
    ({"op": "redo"}, "operation 2 (redo): nothing to redo"),
    ({"op": "undo", "steps": 2}, "operation 2 (undo): undo takes no parameters"),
    ({"track": "V1"}, 'operation 2 (None): each operation must be an object with an "op"'),
    ("split", "operation 2 (split): each operation must be an object"),
])
def test_an_invalid_operation_changes_nothing(  # type: ignore[no-untyped-def]
    cli, edited: Path, tmp_path: Path, bad: Any, phrase: str
) -> None:
    before, rows_before = info(cli, edited), history_rows(edited)
    edits = tmp_path / "bad.json"
    edits.write_text(json.dumps([
        {"op": "add_marker", "at": 10, "name": "first"},
        {"op": "ripple_delete", "item": 1},
        bad,
        {"op": "add_marker", "at": 20, "name": "never reached"},
    ]))
    r = cli("apply", edited, edits)
    assert_clean_failure(r, phrase)
    assert r.out == ""
    assert info(cli, edited) == before
    assert history_rows(edited) == rows_before


def test_apply_reads_stdin_and_reports_failures_without_traceback(  # type: ignore[no-untyped-def]
    cli, edited: Path
) -> None:
    before = info(cli, edited)
    ops = [{"op": "add_marker", "at": 10}, {"op": "lift", "item": 2},
           {"op": "lift", "item": 2}]  # already lifted
    r = run_script("apply", edited, "-", stdin=json.dumps(ops))
    assert_clean_failure(r, "operation 2 (lift): No item with id 2")
    assert info(cli, edited) == before

    r = run_script("apply", edited, "-", stdin=json.dumps(ops[:2]))
    assert (r.rc, r.err) == (0, "")
    assert r.out == "Applied 2 operations; sequence is 192 frames\n"
    after = info(cli, edited)
    assert [m["frame"] for m in after["markers"]] == [10, 84]
    assert [it["id"] for it in track(after, "V1")["items"]] == [1, 4]
    # a single operation object is refused, not guessed to be a one-element list
    r = cli("apply", edited, write(edited.with_name("one.json"), {"op": "undo"}))
    assert r.rc == 1 and "holds one object; it must hold a JSON list" in r.err
    assert info(cli, edited) == after


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.mark.parametrize(("content", "phrase"), [
    ('[{"op": "split", "track": "V1", "at": 48},', "is not valid JSON"),
    ("", "is not valid JSON"),
    ('{"track": "V1"}', "must hold a JSON list of operations"),
    ("42", "must hold a JSON list of operations"),
])
def test_apply_malformed_edit_files(  # type: ignore[no-untyped-def]
    cli, edited: Path, tmp_path: Path, content: str, phrase: str
) -> None:
    before, rows = info(cli, edited), history_rows(edited)
    r = cli("apply", edited, write(tmp_path / "edits.json", content))
    assert_clean_failure(r, phrase)
    assert info(cli, edited) == before and history_rows(edited) == rows


def test_apply_missing_edit_file(cli, edited: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("apply", edited, tmp_path / "nope.json")
    assert_clean_failure(r, "cannot read", "nope.json")


# ---------------------------------------------------------------------- undo / redo


def test_undo_redo_history_survives_restarts(cli, edited: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A fresh process: the history came from the file, not from memory.
    r = run_script("undo", edited)
    assert (r.rc, r.out, r.err) == (0, "Undo: Add Generated Segment\n", "")
    r = cli("undo", edited)
    assert (r.rc, r.out) == (0, "Undo: Add Marker\n")
    i = info(cli, edited)
    assert track(i, "V2")["items"] == [] and i["markers"] == []
    assert i["history"] == {"undo": "Trim", "redo": "Add Marker"}
    # the redo order is the order the edits were made
    assert cli("redo", edited).out == "Redo: Add Marker\n"
    assert info(cli, edited)["history"] == {"undo": "Add Marker", "redo": "Add Generated Segment"}

    # A new edit drops what was undone.
    assert cli("apply", edited, write(tmp_path / "e.json", [
        {"op": "slip", "item": 2, "delta": -20}])).rc == 0
    assert_clean_failure(cli("redo", edited), "nothing to redo")
    i = info(cli, edited)
    assert track(i, "V1")["items"][2]["source_in"] == 100
    assert track(i, "V2")["items"] == []
    assert [label for _, label, _ in history_rows(edited)][-2:] == ["Add Marker", "Slip"]

    # Undo everything, one process after another, back to the empty sequence.
    labels = [cli("undo", edited).out.strip() for _ in range(7)]
    assert labels == ["Undo: Slip", "Undo: Add Marker", "Undo: Trim", "Undo: Split",
                      "Undo: Append", "Undo: Append", "Undo: Append"]
    assert_clean_failure(cli("undo", edited), "nothing to undo")
    i = info(cli, edited)
    assert i["sequence"]["duration_frames"] == 0
    assert all(t["items"] == [] for t in i["tracks"])
    assert len(i["assets"]) == 1  # importing is not an edit


# ---------------------------------------------------------------------- missing media


def test_missing_media_is_flagged_not_fatal(cli, tmp_path: Path, media_root: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "copy of bbb.mp4"
    shutil.copyfile(media_root / BBB, copy)
    p = tmp_path / "p.takeline"
    assert cli("new", p).rc == 0
    assert cli("import", p, copy).out == "1\n"
    assert cli("apply", p, write(tmp_path / "e.json", [
        {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 48}])).rc == 0
    copy.unlink()

    i = info(cli, p)
    (asset,) = i["assets"]
    assert (asset["status"], asset["path"], asset["fps"]) == ("missing", str(copy), "24/1")
    assert track(i, "V1")["items"][0]["duration"] == 48
    r = cli("info", p)
    assert r.rc == 0 and "[MISSING: relink needed]" in r.out
    # Editing still works with the media offline.
    r = cli("apply", p, write(tmp_path / "e2.json", [{"op": "split", "track": "V1", "at": 24}]))
    assert (r.rc, r.err) == (0, "")


# ---------------------------------------------------------------------- bad project files


def test_random_bytes_are_not_a_project(tmp_path: Path) -> None:
    p = tmp_path / "x.takeline"
    content = os.urandom(8192)
    p.write_bytes(content)
    r = run_script("info", p, "--json")
    assert_clean_failure(r, f"{p} is not a Takeline project (not an SQLite database)")
    assert r.out == ""
    assert p.read_bytes() == content


@pytest.mark.parametrize("command", [["info", "--json"], ["undo"], ["apply", "EDITS"]])
def test_other_sqlite_database_is_left_untouched(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, command: list[str]
) -> None:
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    p = db_dir / "contacts.db"
    edits = write(tmp_path / "edits.json", [{"op": "add_marker", "at": 1}])
    command = [str(edits) if arg == "EDITS" else arg for arg in command]
    with sqlite3.connect(p) as raw:
        raw.execute("CREATE TABLE people (name TEXT)")
        raw.execute("INSERT INTO people VALUES ('Ada')")
    raw.close()
    before = p.read_bytes()
    r = cli(command[0], p, *command[1:])
    assert_clean_failure(r, "is an SQLite database but not a Takeline project")
    # Not even the journal mode in its header may change.
    assert p.read_bytes() == before
    assert sorted(x.name for x in db_dir.iterdir()) == ["contacts.db"]


def test_damaged_sqlite_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.takeline"
    p.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    assert_clean_failure(cli("info", p), "is damaged and cannot be read", "backup")


def test_project_from_a_newer_takeline_is_refused_byte_for_byte(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, media_root: Path
) -> None:
    p = tmp_path / "future.takeline"
    assert cli("new", p).rc == 0
    with sqlite3.connect(p) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_future'")
    raw.close()
    before = p.read_bytes()
    r = run_script("info", p, "--json")
    assert_clean_failure(r, "newer Takeline", "9999_future", "Update Takeline")
    for args in (["import", p, media_root / BBB], ["undo", p], ["info", p]):
        assert_clean_failure(cli(*args), "newer")
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["future.takeline"]


# ---------------------------------------------------------------------- demo


def test_demo_builds_a_project(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "demo.takeline"
    r = cli("demo", p)
    assert (r.rc, r.err) == (0, "")
    # V1: 4 clips and a generated segment, their sound linked on A2 (4), A1, V2.
    assert r.out == f"Built demo project {p}: 11 items, 4 assets\n"
    i = info(cli, p)
    assert (i["sequence"]["fps"], i["sequence"]["width"], i["sequence"]["height"]) == (
        "24000/1001", 1280, 720)
    assert len(i["assets"]) == 4 and {a["status"] for a in i["assets"]} == {"ok"}
    assert sorted(a["kind"] for a in i["assets"]) == ["audio", "image", "video", "video"]
    items = [it for t in i["tracks"] for it in t["items"]]
    generated = [it for it in items if it["kind"] == "generated"]
    assert len(generated) >= 1 and all(g["prompt"] for g in generated)
    assert len(i["markers"]) >= 1
    v1 = track(i, "V1")
    assert len(v1["transitions"]) >= 1
    by_id = {it["id"]: it for it in v1["items"]}
    for tr in v1["transitions"]:  # each dissolve sits on a cut between adjacent clips
        a, b = by_id[tr["from_item"]], by_id[tr["to_item"]]
        assert a["start"] + a["duration"] == b["start"] and tr["duration"] >= 1
    assert i["history"]["undo"] is not None


def test_demo_does_not_overwrite(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "demo.takeline"
    assert cli("new", p).rc == 0
    before = p.read_bytes()
    assert_clean_failure(cli("demo", p), "already exists")
    assert p.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["demo.takeline"]
