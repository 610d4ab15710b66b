"""A job stopped from outside (the window closing, Ctrl-C in `takeline jobs --run`) goes back
in the queue at once, with its claim released: it is never left 'running' for nobody."""

from __future__ import annotations

import asyncio
from pathlib import Path

from generation.planner import GenerationRequest
from project_store.project import Project
from services.generation_queue import GenerationRunner, JobState, JobUpdate
from tests.generation.conftest import make_project


def _start(tmp_path: Path) -> tuple[Project, GenerationRunner, int]:
    project, seg = make_project(tmp_path / "stop.takeline", duration=96)
    runner = GenerationRunner(project)  # previz on a thread, as the CLI runs it
    [job] = runner.queue(seg, runner.request_for(seg, seed=3))
    return project, runner, job.id


def _run_until_running(runner: GenerationRunner, act: str) -> list[JobUpdate]:
    """Run the queue; at the job's first progress step, ``act``: ``stop`` (what the window
    does on close) or ``cancel-task`` (what asyncio.run does on Ctrl-C)."""
    seen: list[JobUpdate] = []

    async def main() -> None:
        task = asyncio.ensure_future(runner.run_queue())

        def on_update(u: JobUpdate) -> None:
            seen.append(u)
            if u.state == JobState.RUNNING and u.steps_done >= 1 and not any(
                    s.state == JobState.QUEUED for s in seen[1:]):
                if act == "stop":
                    runner.stop()
                task.cancel()

        runner.on_update = on_update
        try:
            await task
        except asyncio.CancelledError:
            pass

    asyncio.run(main())
    return seen


def test_stop_puts_the_running_job_back_in_the_queue_at_once(tmp_path: Path) -> None:
    project, runner, job_id = _start(tmp_path)
    seen = _run_until_running(runner, "stop")
    assert any(u.state == JobState.RUNNING and u.steps_done >= 1 for u in seen)
    job = runner.records.job(job_id)
    assert job.state == "queued", job
    assert (job.owner, job.claim_token, job.steps_done) == (None, None, 0)
    assert not project.job_claims
    assert runner.records.takes() == []  # nothing half-made was stored
    assert seen[-1].state == JobState.QUEUED
    project.close()

    # Another process (here: a fresh opening) runs it to the end without waiting for a
    # heartbeat to time out.
    again = Project.open(tmp_path / "stop.takeline")
    other = GenerationRunner(again)
    [done] = asyncio.run(other.run_queue())
    assert done.id == job_id and done.state == "done" and len(done.take_ids) == 1
    again.close()


def test_a_cancelled_run_task_requeues_its_job(tmp_path: Path) -> None:
    project, runner, job_id = _start(tmp_path)
    _run_until_running(runner, "cancel-task")
    job = runner.records.job(job_id)
    assert job.state == "queued" and job.claim_token is None
    assert not project.job_claims
    project.close()


def test_stop_with_nothing_running_changes_nothing(tmp_path: Path) -> None:
    project, runner, job_id = _start(tmp_path)
    assert runner.stop() is None
    assert runner.records.job(job_id).state == "queued"
    project.close()


def test_a_request_still_plans_after_stop(tmp_path: Path) -> None:
    # stop() is for the end of a runner's life, but a stale flag must not swallow the
    # failure of a later run: the next run_job clears it.
    project, runner, job_id = _start(tmp_path)
    runner.stop()
    runner.on_update = None
    [done] = asyncio.run(runner.run_queue())
    assert done.id == job_id and done.state == "done"
    assert isinstance(runner.request_for(1), GenerationRequest)
    project.close()
