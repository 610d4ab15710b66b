"""``takeline backups``: list, make now, restore; failures are one line and exit 1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli.main import main
from project_store.backups import list_backups
from project_store.project import Project
from tests.cli.test_cli import Result, assert_clean_failure
from tests.project_store.test_backups import damage, project_with_markers


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*args: str | os.PathLike[str]) -> Result:
        capsys.readouterr()
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(rc, out, err)

    return run


def markers_in(path: Path) -> int:
    with Project.open(path) as p:
        return len(p.sequence.markers)


def test_list_now_and_restore(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = project_with_markers(tmp_path / "cut.takeline", 2)
    r = cli("backups", path)
    assert r.rc == 0 and "No backups" in r.out
    assert cli("backups", path, "--json").out.strip() == "[]"

    r = cli("backups", path, "--now")
    assert r.rc == 0, r.err
    assert r.out.startswith("Made backup 1 from ") and "at edit 2 (Add Marker)" in r.out
    r = cli("backups", path, "--now")
    assert r.rc == 0 and "Nothing changed" in r.out
    assert len(list_backups(path)) == 1

    with Project.open(path) as p:
        p.execute({"op": "add_marker", "at": 40, "name": "third"})
    r = cli("backups", path, "--now", "--json")
    made = json.loads(r.out)
    assert made["number"] == 1 and made["edits"] == 3

    listed = json.loads(cli("backups", path, "--json").out)
    assert [b["edits"] for b in listed] == [3, 2]
    assert [b["number"] for b in listed] == [1, 2]
    lines = cli("backups", path).out.splitlines()
    assert len(lines) == 2 and lines[0].split()[0] == "1" and "edit 3 (Add Marker)" in lines[0]

    r = cli("backups", path, "--restore", "2")
    assert r.rc == 0, r.err
    assert r.out.startswith("Restored backup 2 from ")
    assert markers_in(path) == 2
    # Restoring a file name works too, and the file replaced is among the backups.
    # The replaced file equals backup 1, so it is kept as that backup, not copied again.
    assert [b.edits for b in list_backups(path)] == [3, 2]
    r = cli("backups", path, "--restore", listed[0]["name"])
    assert r.rc == 0, r.err
    assert markers_in(path) == 3


def test_failures_are_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_clean_failure(cli("backups", tmp_path / "none.takeline"), "No project at")
    assert_clean_failure(cli("backups", tmp_path), "is a folder")
    path = project_with_markers(tmp_path / "cut.takeline", 2)
    assert_clean_failure(cli("backups", path, "--restore", "1"), "has no backups")
    cli("backups", path, "--now")
    assert_clean_failure(cli("backups", path, "--restore", "5"), "No backup 5", "1 to 1")
    assert_clean_failure(cli("backups", path, "--restore", "nonsense"), "No backup named")
    with Project.open(path):
        r = cli("backups", path, "--restore", "1")
    assert_clean_failure(r, "is open")
    assert r.err.count("\n") == 1
    r = cli("backups", path, "--now", "--restore", "1")
    assert r.rc == 2  # bad usage: argparse's exit


def test_a_damaged_project_names_the_restore_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = project_with_markers(tmp_path / "cut.takeline", 300, name_len=400)
    assert cli("backups", path, "--now").rc == 0
    damaged = damage(path)
    r = cli("info", path)
    assert_clean_failure(r, "is damaged", f"takeline backups {path} --restore 1")
    assert r.err.count("\n") == 1
    assert path.read_bytes() == damaged
    r = cli("backups", path, "--restore", "1")
    assert r.rc == 0, r.err
    assert "damaged-" in r.out
    assert cli("info", path).rc == 0


def test_commands_that_write_back_up_first_as_the_editor_does(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writing command backs the project up before its first write when the newest
    backup is older than the editor's interval; within the interval it costs no copy;
    read-only commands make none."""
    from datetime import timedelta

    from project_store import backups

    path = project_with_markers(tmp_path / "cut.takeline", 2)
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([{"op": "add_marker", "at": 50, "name": "cli"}]))
    assert cli("info", path).rc == 0 and list_backups(path) == []  # read-only: none

    assert cli("apply", path, edits).rc == 0
    [first] = list_backups(path)
    assert first.edits == 2  # the project as it was before the command
    assert cli("apply", path, edits).rc == 0
    assert len(list_backups(path)) == 1  # within the interval: no second copy
    assert markers_in(path) == 4

    # The interval has passed (the backup's clock moved back): the next write backs up the
    # project with the two CLI markers, before the third.
    real = backups.backup_if_due
    monkeypatch.setattr(
        backups, "backup_if_due",
        lambda p, interval, now=None: real(p, interval, now=backups._now() + timedelta(hours=1)))
    assert cli("apply", path, edits).rc == 0
    newest = list_backups(path)[0]
    assert newest.edits == 4 and len(list_backups(path)) == 2


def test_a_failed_backup_warns_and_the_command_still_writes(  # type: ignore[no-untyped-def]
        cli, tmp_path: Path) -> None:
    path = project_with_markers(tmp_path / "cut.takeline", 1)
    media = tmp_path / "cut.takeline.media"
    media.mkdir(exist_ok=True)
    (media / "backups").write_text("a file where the backups folder goes")
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([{"op": "add_marker", "at": 50, "name": "cli"}]))
    r = cli("apply", path, edits)
    assert r.rc == 0 and "warning: no backup was made before this change" in r.err
    assert "Traceback" not in r.err and markers_in(path) == 2
