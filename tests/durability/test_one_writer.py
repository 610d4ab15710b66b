"""One writer per project (issue 14): the writer's lock survives anything else its process
does with the file, a second writer is refused with who holds it, readers never disturb the
writer's WAL, and a lock left by a dead process is taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from project_store.db import ProjectError
from project_store.project import Project
from project_store.writer_lock import ProjectLockedError, current_holder, lock_path
from tests.durability.conftest import ROOT, WAIT_S, env, takeline
from timeline.model import SequenceSettings


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "cut.takeline"
    Project.create(path, SequenceSettings(fps=Fraction(25), width=64, height=36)).close()
    return path


def _markers(path: Path) -> list[str]:
    with Project.open(path, read_only=True) as p:
        return sorted(m.name for m in p.sequence.markers.values())


def _refusal(path: Path, pid: int) -> str:
    return (f"takeline: error: {path.name} is open in Takeline (pid {pid} on "
            f"{socket.gethostname()}) — close it there, or open it read-only")


def test_lock_holds_after_the_same_process_opens_and_closes_the_file(project: Path,
                                                                      writers) -> None:
    w = writers(project)
    w.send("mark a")
    w.send("sniff")  # plain open()+close() of the .takeline: drops SQLite's POSIX locks
    w.send("lockpeek")  # and of the lock file itself: the flock is on another descriptor
    edits = project.with_name("e.json")
    edits.write_text(json.dumps([{"op": "add_marker", "at": 3, "name": "cli"}]))
    refused = takeline("apply", project, edits)
    assert refused.returncode == 1
    assert refused.stderr.strip() == _refusal(project, w.pid)
    assert "Traceback" not in refused.stderr
    assert current_holder(project) is not None and current_holder(project).pid == w.pid


def test_a_second_writer_is_refused_with_who_holds_it(project: Path, writers) -> None:
    w = writers(project)
    edits = project.with_name("e.json")
    edits.write_text(json.dumps([{"op": "add_marker", "at": 3, "name": "cli"}]))
    for argv in (["apply", project, edits], ["undo", project], ["import", project, edits]):
        proc = takeline(*argv)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.strip().splitlines() == [_refusal(project, w.pid)]
    # In the same process too: a second Project would trust its own in-memory copy.
    with pytest.raises(ProjectLockedError, match=r"is open in Takeline \(pid \d+ on "):
        Project.open(project)
    # Reading is never refused.
    assert takeline("info", project, "--json", check=True).returncode == 0
    w.send("mark after")
    assert _markers(project) == ["after"]


def test_read_only_refuses_changes(project: Path) -> None:
    with Project.open(project, read_only=True) as p:
        with pytest.raises(ProjectError, match="read-only"):
            p.execute({"op": "add_marker", "at": 1, "name": "x"})
        assert not p.sequence.markers
    with Project.open(project) as p:  # and holds no lock: a writer opens meanwhile
        with Project.open(project, read_only=True) as r:
            assert r.read_only and not p.read_only


def test_a_reader_while_the_writer_is_live_loses_nothing_across_kill_9(project: Path,
                                                                        writers) -> None:
    w = writers(project)
    w.send("mark before")
    w.send("sniff")  # the writer's POSIX locks are gone, as after a file dialog
    for argv in (["info", project, "--json"], ["jobs", project], ["otio", "export", project,
                                                                  project.with_name("o.otio")]):
        proc = takeline(*argv)
        assert proc.returncode == 0, proc.stderr
    info = json.loads(takeline("info", project, "--json", check=True).stdout)
    assert [m["name"] for m in info["markers"]] == ["before"]
    # The readers left the writer's WAL and index in place...
    assert project.with_name(project.name + "-wal").exists()
    assert project.with_name(project.name + "-shm").exists()
    w.send("mark after reader")
    w.kill9()
    # ...so the edit made after them survives the writer's death.
    assert _markers(project) == ["after reader", "before"]


def test_control_a_plain_reader_deletes_the_wal_of_a_writer_without_its_locks(
        project: Path, writers) -> None:
    """What the read-only open protects against, shown with a plain sqlite3 connection:
    after the writer's POSIX locks are dropped, a normal connection's close checkpoints and
    deletes the -wal, and the writer's next edit goes into the deleted file and is lost.
    (If SQLite ever stops doing this, this test says so; the design does not rely on it.)"""
    w = writers(project)
    w.send("mark before")
    w.send("sniff")
    reader = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
              "c.execute('select count(*) from markers').fetchone(); c.close()")
    subprocess.run([sys.executable, "-c", reader, str(project)], check=True, timeout=WAIT_S)
    assert not project.with_name(project.name + "-wal").exists()
    w.send("mark lost")
    w.kill9()
    assert _markers(project) == ["before"]


def test_a_stale_lock_is_taken_over_with_a_notice(project: Path, writers) -> None:
    w = writers(project)
    w.send("mark kept")
    dead = w.pid
    w.kill9()
    assert lock_path(project).exists()  # left behind: the process never released it
    assert current_holder(project) is None  # but nobody holds it
    edits = project.with_name("e.json")
    edits.write_text(json.dumps([{"op": "add_marker", "at": 9, "name": "next"}]))
    proc = takeline("apply", project, edits)
    assert proc.returncode == 0, proc.stderr
    assert f"left locked by pid {dead}" in proc.stderr and "process is gone" in proc.stderr
    assert proc.stderr.startswith("takeline: note: ")
    assert _markers(project) == ["kept", "next"]
    assert not lock_path(project).exists()  # a clean close removes it
    # One noted as another machine's, no longer held (e.g. a crashed laptop on a share).
    lock_path(project).write_text(json.dumps({"pid": 4242, "host": "edit-bay-2"}))
    with Project.open(project) as p:
        assert p.lock_notice is not None
        assert "pid 4242" in p.lock_notice and "another machine" in p.lock_notice


def test_create_holds_the_lock_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "new.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=64, height=36)):
        holder = current_holder(path)
        assert holder is not None and holder.pid == os.getpid()
        with pytest.raises(ProjectLockedError):
            Project.open(path)
    assert current_holder(path) is None


def test_the_editor_process_enables_faulthandler(tmp_path: Path) -> None:
    # What `takeline open` does first: the editor's log, which faulthandler writes into.
    code = ("import faulthandler, sys; from cli import main as m; "
            "m._start_editor_log(); print(faulthandler.is_enabled())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                         env={**env(), "TAKELINE_LOG_DIR": str(tmp_path)},
                         capture_output=True, text=True, timeout=WAIT_S, check=True)
    assert out.stdout.strip() == "True"
    assert "editor started" in (tmp_path / "editor.log").read_text()
