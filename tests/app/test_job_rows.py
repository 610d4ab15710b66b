"""The Generate dock's job rows: progress with an ETA, the error of a failed job, Retry."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.generation_panel import GenerationPanel  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.generation_queue import JobUpdate  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


def panel_with_a_segment(qtbot, path: Path) -> tuple[Project, GenerationPanel]:  # type: ignore[no-untyped-def]
    """A project with one 6-frame generated segment (id 1, prompt "fog") on V1, and a
    Generate dock on it."""
    project = Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36))
    project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 6,
                     "prompt": "fog"})
    panel = GenerationPanel(project)
    qtbot.addWidget(panel)
    return project, panel


def test_cancelled_job_is_retried_with_its_seed_and_runs(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, run_queue) -> None:
    project, panel = panel_with_a_segment(qtbot, tmp_path / "j.takeline")
    runner = panel.runner
    [job] = runner.queue(1, runner.request_for(1, seed=11))
    runner.cancel(job.id)
    label, _bar, cancel, retry = panel._rows[job.id]
    assert "cancelled" in label.text() and not cancel.isEnabled()
    assert not retry.isHidden()

    retried: list[int | None] = []

    def retry() -> bool:  # the row's Retry button
        retried.append(panel.retry(job.id))
        return retried[-1] is not None

    run_queue(panel, retry, 60)
    [again] = retried
    assert again is not None and again != job.id
    done = runner.records.job(again)
    assert done.state == "done" and done.spec["seed"] == 11
    assert "done" in panel._rows[again][0].text() and panel._rows[again][3].isHidden()
    # A failed job shows its error on the row, not only in a tooltip.
    panel._show_row(JobUpdate(99, "failed", 3, 10, "the GPU ran out of memory"))
    assert "out of memory" in panel._rows[99][0].text()
    panel.shutdown()  # as the window does when it closes: the worker is stopped
    project.close()


def test_eta_follows_the_job_pace(qtbot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import app.generation_panel as gp

    project = Project.create(tmp_path / "e.takeline",
                             SequenceSettings(fps=Fraction(24), width=64, height=36))
    panel = GenerationPanel(project)
    qtbot.addWidget(panel)
    clock = iter([100.0, 102.0])
    monkeypatch.setattr(gp.time, "monotonic", lambda: next(clock))
    panel._show_row(JobUpdate(5, "running", 1, 21))  # the first step: pace unknown
    assert panel._rows[5][0].text() == "Job 5: running"
    panel._show_row(JobUpdate(5, "running", 5, 21))  # 4 steps in 2 s, 16 to go
    assert panel._rows[5][0].text() == "Job 5: running, about 8 s left"
    project.close()


def test_shutting_down_during_a_run_puts_the_job_back_in_the_queue(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path) -> None:
    """What the window does when it closes while a job runs (in the worker process): the
    job is queued again at once, not left 'running' in the project, and the worker is
    gone."""
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    path = tmp_path / "close.takeline"
    project = Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36))
    project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 96,
                     "prompt": "fog"})
    panel = GenerationPanel(project)
    qtbot.addWidget(panel)
    runner = panel.runner
    [job] = runner.queue(1, runner.request_for(1, seed=5))
    hook = runner.on_update
    assert hook is not None

    def on_update(u: JobUpdate) -> None:
        hook(u)
        if u.state == "running" and u.steps_done >= 1 and runner.running_jobs:
            panel.shutdown()

    runner.on_update = on_update
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    try:
        with loop:
            task = panel.start_queue()
            assert task is not None
            try:
                loop.run_until_complete(asyncio.wait_for(task, 120))
            except asyncio.CancelledError:
                pass
    finally:
        asyncio.set_event_loop(None)
    assert not runner.client.alive
    row = runner.records.job(job.id)
    assert row.state == "queued" and row.claim_token is None and row.owner is None
    assert runner.records.takes() == []
    assert "queued" in panel._rows[job.id][0].text()
    project.close()


def test_the_queue_runs_on_local_workers_and_the_dock_lists_them(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, run_queue, monkeypatch) -> None:
    """Run on "local:2": two worker processes, listed with their device, the model each
    has loaded and the job it runs; two jobs done on them. A bad address is refused."""
    import generation.workers

    monkeypatch.setattr(generation.workers, "local_gpus", list)  # as on a CPU-only machine
    project = Project.create(tmp_path / "w.takeline",
                             SequenceSettings(fps=Fraction(24), width=64, height=36))
    project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 6,
                     "prompt": "fog"})
    reports: list[str] = []
    panel = GenerationPanel(project, report=reports.append)
    qtbot.addWidget(panel)
    assert panel.workers_label.text() == "Workers: one, on this machine"
    assert not panel.set_farm_address("ray://nowhere")
    assert "not a farm address" in reports[-1] and panel.farm_address.text() == ""
    panel.farm_address.setText("local:2")
    assert panel.set_farm_address("local:2")
    shown = panel.workers_label.text()
    assert "cpu0 · cpu · no model loaded · idle" in shown and "cpu1" in shown
    runner = panel.runner
    runner.queue(1, runner.request_for(1, seed=3, takes=2))
    run_queue(panel, panel.start_queue, 120)
    jobs = runner.records.jobs()
    assert [j.state for j in jobs] == ["done", "done"]
    shown = panel.workers_label.text()
    assert shown.count("· previz · idle") == 2, shown  # both ran one and keep it "loaded"
    panel.shutdown()
    project.close()


def test_a_take_landing_is_shown_on_a_later_turn_and_keeps_a_prompt_being_typed(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, run_queue) -> None:
    project, panel = panel_with_a_segment(qtbot, tmp_path / "l.takeline")
    panel.show()
    panel.activateWindow()
    panel.show_segment(project.sequence.item(1))
    runner = panel.runner
    seen_when_done: list[int] = []
    hook = runner.on_update

    def on_update(u: JobUpdate) -> None:
        if u.state == "running" and not panel.prompt.isModified():
            # The user starts typing a new prompt while the take is being made.
            panel.prompt.setFocus()
            panel.prompt.setText("fog at dawn")
            panel.prompt.setModified(True)
        hook(u)
        if u.state == "done":
            seen_when_done.append(panel.takes.count())  # in the turn that stored it

    runner.on_update = on_update
    qtbot.waitUntil(panel.isActiveWindow, timeout=5000)
    run_queue(panel, panel.generate, 60)  # waits until the dock shows what landed
    assert seen_when_done == [0] and not panel.landing
    assert panel.takes.count() == 1
    assert panel.prompt.hasFocus(), "the prompt field lost focus: nothing was being typed"
    assert panel.prompt.text() == "fog at dawn"  # not put back to the stored "fog"
    panel.prompt.clearFocus()  # editing finished: the typed prompt is committed
    assert project.sequence.item(1).prompt == "fog at dawn"
    panel.shutdown()
    project.close()
