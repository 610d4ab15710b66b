"""Job claims (issue 14): a job is claimed atomically by one owner (pid@host + a token),
re-queued only when that owner is gone, and orphaned .part files are removed; schema 0004
migrates an existing project's jobs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from project_store import db
from project_store.generation_records import (
    HEARTBEAT_TIMEOUT_S,
    GenerationRecords,
    TakeError,
    owner_id,
)
from project_store.project import Project
from timeline.model import SequenceSettings

FIXTURES = Path(__file__).with_name("fixtures")


def _project(tmp_path: Path) -> tuple[Project, int]:
    p = Project.create(tmp_path / "p.takeline", SequenceSettings(fps=Fraction(24), width=64,
                                                                  height=36))
    p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12, "prompt": "x"})
    return p, next(i.id for i in p.sequence.all_items())


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _own(rec: GenerationRecords, job_id: int, owner: str, heartbeat: float | None,
         token: str = "t0ken") -> None:
    with rec.project.transaction() as c:
        c.execute(text("UPDATE jobs SET state='running', owner=:o, claim_token=:t, "
                       "heartbeat_at=:h WHERE id=:i"),
                  {"o": owner, "t": token, "h": heartbeat, "i": job_id})


def test_a_claim_is_atomic_and_owned(tmp_path: Path) -> None:
    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    job = rec.queue_job(seg, {"backend": "previz"}, model_key="A", steps_total=3)
    token = rec.claim_job(job.id)
    assert token is not None
    assert rec.claim_job(job.id) is None  # no second claim, by anyone
    with pytest.raises(TakeError, match="another run has it"):
        rec.start_job(job.id)
    row = rec.job(job.id)
    assert (row.state, row.owner, row.claim_token) == ("running", owner_id(), token)
    assert row.heartbeat_at is not None and abs(row.heartbeat_at - time.time()) < 3600
    assert not row.owner_gone(p.job_claims)
    assert rec.requeue_interrupted() == []  # its owner (this opening) is alive
    # A write under a stale token changes nothing.
    assert not rec.job_progress(job.id, 1, 3, "not-the-token")
    assert rec.job_progress(job.id, 1, 3, token) and rec.heartbeat(job.id, token)
    assert rec.finish_job(job.id, [], token)
    assert rec.job(job.id).state == "done" and token not in p.job_claims
    assert not rec.heartbeat(job.id, token)
    p.close()


def test_a_job_is_requeued_only_when_its_owner_is_gone(tmp_path: Path) -> None:
    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    host = socket.gethostname()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        now = time.time()
        cases = {
            "dead pid here": (f"{_dead_pid()}@{host}", now, True),
            "live pid here": (f"{live.pid}@{host}", now, False),
            "live pid, silent too long": (f"{live.pid}@{host}", now - HEARTBEAT_TIMEOUT_S - 1,
                                          True),
            "other machine, beating": (f"{live.pid}@edit-bay-2", now, False),
            "other machine, silent": ("77@edit-bay-2", now - HEARTBEAT_TIMEOUT_S - 1, True),
            "no owner (before 0004)": (None, None, True),
            "this pid, an earlier opening": (f"{os.getpid()}@{host}", now, True),
        }
        ids = {}
        for name, (owner, beat, _gone) in cases.items():
            job = rec.queue_job(seg, {"backend": "previz"}, model_key=name, steps_total=1)
            _own(rec, job.id, owner, beat)  # type: ignore[arg-type]
            ids[name] = job.id
        requeued = set(rec.requeue_interrupted())
        assert requeued == {ids[n] for n, (_o, _b, gone) in cases.items() if gone}
        for name, (_o, _b, gone) in cases.items():
            job = rec.job(ids[name])
            assert job.state == ("queued" if gone else "running"), name
            if gone:
                assert job.owner is None and job.claim_token is None
        # The live one's owner dies: noticed at once, no timeout to wait for.
        live.kill()
        live.wait()
        assert rec.requeue_interrupted() == [ids["live pid here"]]
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()
    p.close()


def test_orphan_part_files_are_removed_and_a_live_jobs_kept(tmp_path: Path) -> None:
    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    tmp = p.media_root / "tmp"
    live_job = rec.queue_job(seg, {"backend": "previz"}, model_key="A", steps_total=1)
    token = rec.claim_job(live_job.id)
    dead_job = rec.queue_job(seg, {"backend": "previz"}, model_key="A", steps_total=1)
    _own(rec, dead_job.id, f"{_dead_pid()}@{socket.gethostname()}", time.time(), "d3ad")
    files = {
        "live": tmp / f"job-{live_job.id}-{token}" / "take-1.mkv.part",
        "dead": tmp / f"job-{dead_job.id}-d3ad" / "take-2.mkv.part",
        "unknown job": tmp / "job-999-abc" / "take-3.mkv.part",
        "loose, old": tmp / "control-1-123.mkv.part",
        "loose, fresh": tmp / "input-456.png.part",
        "finished": tmp / "job-999-abc" / "take-4.mkv",
    }
    for f in files.values():
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    old = time.time() - HEARTBEAT_TIMEOUT_S - 60
    os.utime(files["loose, old"], (old, old))
    removed = set(rec.remove_orphan_parts(tmp))
    assert removed == {files["dead"], files["unknown job"], files["loose, old"]}
    assert files["live"].exists() and files["loose, fresh"].exists()
    assert files["finished"].exists()  # not a .part: never ours to delete
    assert not files["dead"].parent.exists()  # its emptied folder goes too
    p.close()


def test_schema_0003_project_with_a_running_job_migrates(tmp_path: Path) -> None:
    """A project at the previous schema (0003), with a job left 'running' by a version that
    had no claims: opening it adds the claim columns and the job counts as orphaned."""
    path = tmp_path / "old.takeline"
    path.write_bytes((FIXTURES / "schema_0001.takeline").read_bytes())
    engine = create_engine(f"sqlite+pysqlite:///{path}")
    with engine.begin() as conn:
        cfg = db.alembic_config()
        cfg.attributes["connection"] = conn
        from alembic import command

        command.upgrade(cfg, "0003_conditioning")
        seg = conn.execute(text("SELECT id FROM items WHERE kind='generated'")).scalar()
        conn.execute(text(
            "INSERT INTO jobs(segment_id, state, spec_json, model_key, created_at, "
            "started_at, steps_done, steps_total, take_ids_json) VALUES (:s, 'running', "
            "'{}', 'A', '2026-11-30T00:00:00', '2026-11-30T00:00:01', 3, 9, '[]')"),
            {"s": seg})
        columns = {r[1] for r in conn.execute(text("PRAGMA table_info(jobs)"))}
        assert "owner" not in columns
    engine.dispose()
    # A reader first: it may not migrate in place, so it has a writer do it once.
    with Project.open(path, read_only=True) as r:
        assert r.read_only
    with Project.open(path) as p:
        rev = p.query("SELECT version_num FROM alembic_version")[0][0]
        assert rev == db.head_revision() == db.REVISIONS[-1]  # 0004 and every later one
        rec = GenerationRecords(p)
        (job,) = rec.jobs()
        assert (job.state, job.steps_done, job.owner, job.claim_token) == ("running", 3,
                                                                            None, None)
        assert rec.requeue_interrupted() == [job.id]
        assert rec.claim_job(job.id) is not None


# A claimant in its own process: it opens the file with its own SQLite connection (no writer
# lock, as a second machine that took over a stale lock would). Round by round it tries to
# claim every job in order (both claimants try each one), and "runs" (progress, finish) those
# it wins; it prints the ids it won and how many claims it lost.
CLAIMANT = r"""
import json, sys, types
from pathlib import Path
from project_store import db
from project_store.project import Project
from project_store.generation_records import GenerationRecords
path = Path(sys.argv[1])
project = Project(path, db.connect(path), lock=types.SimpleNamespace(notice=None))
rec = GenerationRecords(project)
print("ready", flush=True)
sys.stdin.readline()
won, lost = [], 0
for job_id in json.loads(sys.argv[2]):
    token = rec.claim_job(job_id)
    if token is None:
        lost += 1
        continue
    won.append(job_id)
    assert rec.job_progress(job_id, 1, 1, token)
    assert rec.finish_job(job_id, [], token)
print(json.dumps({"won": won, "lost": lost}), flush=True)
"""


def test_two_processes_draining_one_queue_never_run_a_job_twice(tmp_path: Path) -> None:
    """100 rounds: two claimant processes both try to claim each of 100 jobs, from one start
    signal on: every job is claimed exactly once, and every other attempt is refused
    (claims are one UPDATE ... WHERE state = 'queued')."""
    import json

    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    ids = [rec.queue_job(seg, {"backend": "previz"}, model_key="A", steps_total=1).id
           for _ in range(100)]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMANT, str(p.path),
                               json.dumps(ids)], cwd=root,
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:  # both start together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outs = [proc.communicate(timeout=300) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (_out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
    won = [json.loads(out)["won"] for out, _err in outs]
    lost = [json.loads(out)["lost"] for out, _err in outs]
    assert not set(won[0]) & set(won[1])  # no job run twice
    assert sorted(won[0] + won[1]) == ids  # and none left behind
    assert sum(lost) == 100  # each round, the other claimant was refused
    jobs = rec.jobs()
    assert [j.state for j in jobs] == ["done"] * 100
    assert all(j.steps_done == 1 for j in jobs)
    p.close()
