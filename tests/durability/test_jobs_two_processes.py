"""`takeline jobs --run` in two processes at once never runs one job twice (issue 14), and
a job another live process runs is left to it; one whose owner died is run again."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cli.main import main
from tests.cli_projects import segment_project
from tests.durability.conftest import ROOT, WAIT_S, env, takeline


def _project(tmp_path: Path, takes: int) -> Path:
    p = segment_project(tmp_path)
    assert main(["generate", str(p), "--segment", "1", "--queue-only",
                 "--takes", str(takes)]) == 0
    return p


def _jobs(p: Path) -> list[dict]:
    return json.loads(takeline("jobs", p, "--json", check=True).stdout)


def _takes_by_job(p: Path) -> dict[int, int]:
    con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT job_id, count(*) FROM takes GROUP BY job_id").fetchall()
    finally:
        con.close()
    return dict(rows)


def test_two_jobs_run_processes_never_run_one_job_twice(tmp_path: Path) -> None:
    p = _project(tmp_path, takes=3)
    argv = [sys.executable, "-m", "cli", "jobs", str(p), "--run", "--json"]
    procs = [subprocess.Popen(argv, cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(proc.wait(timeout=WAIT_S * 3), *proc.communicate()) for proc in procs]
    for rc, _out, err in results:
        # Either it ran the queue, or it was refused as a second writer, in one line.
        assert rc == 0 or (rc == 1 and "is open in Takeline (pid" in err
                           and len(err.strip().splitlines()) == 1), err
        assert "Traceback" not in err
    assert any(rc == 0 for rc, _o, _e in results)
    jobs = _jobs(p)
    assert [j["state"] for j in jobs] == ["done"] * 3
    assert all(len(j["takes"]) == 1 for j in jobs)
    assert _takes_by_job(p) == {j["id"]: 1 for j in jobs}  # no orphan take, no second run
    # Running the queue again finds nothing to do.
    assert takeline("jobs", p, "--run", check=True).returncode == 0
    assert _takes_by_job(p) == {j["id"]: 1 for j in jobs}


def test_a_job_run_by_a_live_process_is_left_to_it(tmp_path: Path) -> None:
    """As after a stale lock was taken over from another machine that is still running a
    job: `jobs --run` runs the rest and leaves that one; once its owner is gone, it runs."""
    p = _project(tmp_path, takes=2)
    first, second = (j["id"] for j in _jobs(p))
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        con = sqlite3.connect(p)
        con.execute("UPDATE jobs SET state='running', owner=?, claim_token='elsewhere', "
                    "heartbeat_at=? WHERE id=?",
                    (f"{other.pid}@{socket.gethostname()}", time.time(), first))
        con.commit()
        con.close()
        takeline("jobs", p, "--run", check=True)
        states = {j["id"]: j["state"] for j in _jobs(p)}
        assert states == {first: "running", second: "done"}
        assert first not in _takes_by_job(p)
        other.kill()
        other.wait()
        proc = takeline("jobs", p, "--run", check=True)
        assert f"Re-queued interrupted job(s) {first}" in proc.stderr
        assert {j["id"]: j["state"] for j in _jobs(p)} == {first: "done", second: "done"}
        assert _takes_by_job(p) == {first: 1, second: 1}
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()
