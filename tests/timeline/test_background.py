"""BackgroundJobs: states, progress, failures, cancellation, dedupe by key, closing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from timeline.engine.background import (
    BackgroundJobs,
    JobCancelled,
    JobContext,
    JobHandle,
    JobState,
)

WAIT = 10.0


@pytest.fixture
def jobs() -> Iterator[BackgroundJobs]:
    runner = BackgroundJobs()
    yield runner
    assert runner.close(timeout=WAIT)


def blocker() -> tuple[threading.Event, threading.Event, Callable[[JobContext], str]]:
    """A job that says it started, then waits to be released (or cancelled)."""
    started, release = threading.Event(), threading.Event()

    def job(context: JobContext) -> str:
        started.set()
        while not release.wait(0.005):
            context.check()
        return "released"

    return started, release, job


def test_a_job_runs_and_reports_running_progress_and_done() -> None:
    seen: list[tuple[JobState, tuple[int, int], str]] = []

    def record(handle: JobHandle) -> None:
        seen.append((handle.state, handle.progress, threading.current_thread().name))

    def job(context: JobContext) -> int:
        for n in range(1, 4):
            context.progress(n, 3)
        return 42

    with BackgroundJobs(on_update=record, name="bg-test") as jobs:
        handle = jobs.submit("answer", job)
        assert handle.wait(WAIT)
    assert handle.state is JobState.DONE and handle.result == 42 and handle.error is None
    assert handle.progress == (3, 3) and handle.fraction == 1.0
    states = [s for s, _, _ in seen]
    assert states == [JobState.RUNNING] * 4 + [JobState.DONE]
    assert [p for _, p, _ in seen[1:4]] == [(1, 3), (2, 3), (3, 3)]
    # Every update comes from the worker thread, never the submitter's.
    assert {name for _, _, name in seen} == {"bg-test-0"}


def test_a_failing_job_is_failed_with_a_message_naming_it_and_the_worker_goes_on(
    jobs: BackgroundJobs,
) -> None:
    def broken(context: JobContext) -> None:
        raise ValueError("no such codec")

    bad = jobs.submit("Thumbnails of x.mp4", broken)
    good = jobs.submit("next", lambda context: "fine")
    assert good.wait(WAIT) and bad.finished
    assert bad.state is JobState.FAILED
    assert bad.error == "Thumbnails of x.mp4: no such codec"
    assert bad.result is None
    assert good.state is JobState.DONE and good.result == "fine"


def test_jobs_run_in_submission_order_on_one_worker(jobs: BackgroundJobs) -> None:
    order: list[int] = []
    def job(n: int) -> Callable[[JobContext], None]:
        return lambda context: order.append(n)

    handles = [jobs.submit(f"job {n}", job(n)) for n in range(8)]
    assert jobs.wait_idle(WAIT)
    assert order == list(range(8))
    assert all(h.state is JobState.DONE for h in handles)


def test_cancelling_a_queued_job_is_immediate_and_it_never_runs(jobs: BackgroundJobs) -> None:
    started, release, job = blocker()
    first = jobs.submit("blocker", job)
    assert started.wait(WAIT)
    ran = threading.Event()
    updates: list[JobState] = []
    queued = jobs.submit("queued", lambda context: ran.set(),
                         on_update=lambda h: updates.append(h.state))
    assert queued.state is JobState.QUEUED
    assert jobs.cancel(queued)
    assert queued.state is JobState.CANCELLED and queued.finished and queued.wait(0)
    assert updates == [JobState.CANCELLED]
    release.set()
    assert jobs.wait_idle(WAIT)
    assert not ran.is_set()
    assert first.result == "released"
    assert not jobs.cancel(first)  # already finished


def test_cancelling_a_running_job_stops_it_at_its_next_progress_report(
    jobs: BackgroundJobs,
) -> None:
    started = threading.Event()
    reports = []

    def endless(context: JobContext) -> None:
        n = 0
        while True:
            n += 1
            context.progress(n, 0)
            reports.append(n)
            started.set()

    handle = jobs.submit("endless", endless)
    assert started.wait(WAIT)
    assert jobs.cancel(handle)
    assert handle.cancel_requested
    assert handle.wait(WAIT)
    assert handle.state is JobState.CANCELLED and handle.error is None


def test_a_job_that_ignores_cancel_and_finishes_is_still_cancelled(
    jobs: BackgroundJobs,
) -> None:
    started, release, _ = blocker()

    def stubborn(context: JobContext) -> str:
        started.set()
        release.wait(WAIT)
        assert context.cancelled
        return "too late"

    handle = jobs.submit("stubborn", stubborn)
    assert started.wait(WAIT)
    jobs.cancel(handle)
    release.set()
    assert handle.wait(WAIT)
    assert handle.state is JobState.CANCELLED and handle.result is None


def test_same_key_while_queued_or_running_returns_the_same_handle(
    jobs: BackgroundJobs,
) -> None:
    started, release, job = blocker()
    running = jobs.submit("a", job, key=("filmstrip", 1))
    assert started.wait(WAIT)
    assert jobs.submit("a again", job, key=("filmstrip", 1)) is running
    queued = jobs.submit("b", lambda context: "b", key=("filmstrip", 2))
    assert jobs.submit("b again", lambda context: "other", key=("filmstrip", 2)) is queued
    unkeyed = jobs.submit("c", lambda context: "c")
    assert jobs.submit("c", lambda context: "c") is not unkeyed  # no key: never deduped
    release.set()
    assert jobs.wait_idle(WAIT)
    assert queued.result == "b"
    # Once finished, the key is free: the same key runs again.
    again = jobs.submit("a later", lambda context: "again", key=("filmstrip", 1))
    assert again is not running
    assert again.wait(WAIT) and again.result == "again"


def test_a_cancelled_queued_job_frees_its_key(jobs: BackgroundJobs) -> None:
    started, release, job = blocker()
    jobs.submit("blocker", job)
    assert started.wait(WAIT)
    first = jobs.submit("x", lambda context: 1, key="k")
    jobs.cancel(first)
    second = jobs.submit("x", lambda context: 2, key="k")
    assert second is not first
    release.set()
    assert second.wait(WAIT) and second.result == 2


def test_a_broken_update_callback_does_not_kill_the_worker(
    jobs: BackgroundJobs, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(handle: JobHandle) -> None:
        raise RuntimeError("listener bug")

    first = jobs.submit("first", lambda context: 1, on_update=explode)
    second = jobs.submit("second", lambda context: 2)
    assert second.wait(WAIT)
    assert first.state is JobState.DONE and first.result == 1
    assert second.result == 2
    assert "listener bug" in caplog.text


def test_close_cancels_queued_jobs_stops_running_ones_and_refuses_new_ones() -> None:
    jobs = BackgroundJobs()
    started, _release, job = blocker()
    running = jobs.submit("running", job)
    assert started.wait(WAIT)
    queued = jobs.submit("queued", lambda context: 1)
    assert jobs.close(timeout=WAIT)
    assert running.state is JobState.CANCELLED
    assert queued.state is JobState.CANCELLED
    assert jobs.pending() == []
    with pytest.raises(RuntimeError, match="closed"):
        jobs.submit("late", lambda context: 1)
    assert jobs.close(timeout=WAIT)  # twice is harmless


def test_several_workers_run_jobs_at_the_same_time() -> None:
    barrier = threading.Barrier(3, timeout=WAIT)

    def meet(context: JobContext) -> int:
        return barrier.wait()

    with BackgroundJobs(workers=3) as jobs:
        handles = [jobs.submit(f"meet {n}", meet) for n in range(3)]
        assert jobs.wait_idle(WAIT)
    assert sorted(h.result for h in handles) == [0, 1, 2]


def test_pending_lists_running_then_queued_jobs(jobs: BackgroundJobs) -> None:
    started, release, job = blocker()
    running = jobs.submit("running", job)
    assert started.wait(WAIT)
    queued = jobs.submit("queued", lambda context: 1)
    assert jobs.pending() == [running, queued]
    assert not jobs.wait_idle(0.01)
    release.set()
    assert jobs.wait_idle(WAIT)
    assert jobs.pending() == []


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="workers"):
        BackgroundJobs(workers=0)


def test_job_cancelled_is_an_exception_jobs_may_raise_themselves(jobs: BackgroundJobs) -> None:
    def gives_up(context: JobContext) -> None:
        raise JobCancelled("gives up")

    handle = jobs.submit("gives up", gives_up)
    assert handle.wait(WAIT)
    assert handle.state is JobState.CANCELLED
