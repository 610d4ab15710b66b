"""The window's generation dock: the selected segment's prompt, backend/model, seed and take
count with a Generate button, its takes (switch the active one), and the job queue with
progress and cancel.

Jobs run on the window's asyncio loop (qasync: the Qt event loop *is* the asyncio loop), so
project writes stay on the UI thread while inference runs in the worker process and previz
in a thread: the window never waits for a job.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QMetaMethod, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from generation.backends.base import GenerationError
from generation.farm import make_pool
from generation.planner import ResolvedModel, plan
from generation.spec import MEMORY_MODES
from generation.subrange import SubRange
from project_store.db import ProjectError
from project_store.generation_records import TakeError
from project_store.project import Project
from services.generation_queue import GenerationRunner, JobState, JobUpdate
from timeline.model import NEW_SEED_TEXT, GeneratedSegment, seed_text


def _message(exc: GenerationError) -> str:
    return f"{exc}. {exc.suggestion}" if exc.suggestion else str(exc)


# A new take is measured a second after it lands: the window shows it first.
MEASURE_AFTER_S = 1.0


class GenerationPanel(QWidget):
    takes_changed = Signal()  # a take was added or made active: re-render
    edited = Signal()  # the segment's prompt changed (an undoable edit)
    metrics_ready = Signal(int)  # a take's metrics were stored (measured in the background)

    def __init__(self, project: Project, *, report: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.report = report or (lambda _m: None)
        self._farm_address = ""
        self.runner = self._runner_for(project)
        self.segment_id: int | None = None
        self._task: asyncio.Future[Any] | None = None
        self._rows: dict[int, tuple[QLabel, QProgressBar, QPushButton, QPushButton]] = {}
        self._started: dict[int, tuple[float, int]] = {}  # job -> (when, steps) for the ETA
        # A take that lands is shown on a later turn of the loop than the one that stored
        # it, so input and paint get in between (bench_ui_stall.py's generate phase); takes
        # landing close together are shown once. A timer, not a posted call: posted calls
        # all run before the next input or timer event.
        self._landing = QTimer(self)
        self._landing.setSingleShot(True)
        self._landing.setInterval(0)
        self._landing.timeout.connect(self._show_landed_takes)

        self.title = QLabel("Select a generated segment")
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("Describe the shot…")
        self.prompt.editingFinished.connect(self._commit_prompt)
        self.model = QComboBox()
        self.model.addItem("Previz (no model)", None)
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText(NEW_SEED_TEXT)
        self.seed.setValue(-1)
        self.count = QSpinBox()
        self.count.setRange(1, 16)
        # Model settings; the special values mean "the backend's default".
        self.steps = QSpinBox()
        self.steps.setRange(0, 500)
        self.steps.setSpecialValueText("model default")
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(-0.1, 50.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setSpecialValueText("model default")
        self.guidance.setValue(-0.1)
        self.size = QLineEdit()
        self.size.setPlaceholderText("model default, or WxH (e.g. 480x272 for drafts)")
        self.memory = QComboBox()
        self.memory.addItems(list(MEMORY_MODES))
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.count.valueChanged.connect(lambda n: self.generate_button.setText(
            "Generate" if n == 1 else f"Generate {n} takes"))
        self.range_button = QPushButton("Regenerate range")
        self.range_button.clicked.connect(self.regenerate_range)
        self.takes = QComboBox()
        self.takes.activated.connect(self._activate_take)
        form = QFormLayout()
        form.addRow(self.title)
        form.addRow("Prompt", self.prompt)
        form.addRow("Model", self.model)
        # Without the `generate` extra only previz runs: say so, and how to add models.
        self.models_hint = QLabel()
        self.models_hint.setWordWrap(True)
        self.models_hint.setVisible(False)
        form.addRow(self.models_hint)
        form.addRow("Seed", self.seed)
        form.addRow("Takes", self.count)
        form.addRow("Steps", self.steps)
        form.addRow("Guidance", self.guidance)
        form.addRow("Size", self.size)
        form.addRow("Memory", self.memory)
        form.addRow(self.generate_button)
        form.addRow(self.range_button)
        form.addRow("Active take", self.takes)
        # The job rows live in their own widget: the window shows it in the Jobs dock,
        # beside the exports, so every long job is in one place.
        self.jobs_view = QWidget()
        outer = QVBoxLayout(self.jobs_view)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(QLabel("<b>Generation</b>"))
        # Where the queue runs: this window's one worker, every GPU here, or a farm.
        self.farm_address = QLineEdit()
        self.farm_address.setPlaceholderText(
            "this machine, one worker — or local, local:N, auto, ray://HOST:10001")
        self.farm_address.setToolTip(
            "local: one worker per GPU of this machine (local:N: N workers); auto: the Ray "
            "cluster this machine joined (ray start); ray://HOST:PORT: a Ray cluster's head")
        self.farm_address.editingFinished.connect(
            lambda: self.set_farm_address(self.farm_address.text()))
        run_on = QHBoxLayout()
        run_on.addWidget(QLabel("Run on"))
        run_on.addWidget(self.farm_address, 1)
        outer.addLayout(run_on)
        self.workers_label = QLabel()
        self.workers_label.setWordWrap(True)
        outer.addWidget(self.workers_label)
        self.queue_box = QVBoxLayout()
        outer.addLayout(self.queue_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self.load_models()
        self._show_workers()
        self.show_segment(None)
        self.show_recent_jobs()

    def _runner_for(self, project: Project, address: str = "") -> GenerationRunner:
        # Previz in the worker too: its numpy/PIL work would hold the GIL on the UI thread.
        pool = make_pool(address) if address.strip() else None
        return GenerationRunner(project, on_update=self._on_update, previz_in_worker=True,
                                on_metrics=self._on_metrics, measure_after_s=MEASURE_AFTER_S,
                                pool=pool)

    def set_farm_address(self, text: str) -> bool:
        """Run the queue on ``text`` (``local``, ``local:N``, ``auto``, ``ray://HOST:PORT``;
        empty: this window's one worker). Refused while a job runs, or when the address is
        not one (the field goes back to the address in use)."""
        text = text.strip()
        if text == self._farm_address:
            return True
        if self._task is not None and not self._task.done():
            self.report("The queue is running: change where it runs once it is done.")
            self.farm_address.setText(self._farm_address)
            return False
        try:
            runner = self._runner_for(self.project, text)
        except GenerationError as exc:
            self.report(_message(exc))
            self.farm_address.setText(self._farm_address)
            return False
        self.runner.stop()  # nothing runs: this only ends the old workers
        self.runner, self._farm_address = runner, text
        self._show_workers()
        return True

    def _show_workers(self) -> None:
        """The workers: their device, the model each has loaded and the job it runs."""
        workers = self.runner.workers if self.runner.pool is not None else []
        if self.runner.pool is None:
            self.workers_label.setText("Workers: one, on this machine")
            return
        if not workers:
            self.workers_label.setText(f"Workers: on {self._farm_address}, started when "
                                       "the queue runs")
            return
        lines = []
        for w in workers:
            state = ("gone" if not w.alive else
                     f"job {w.job_id}" if w.job_id is not None else "idle")
            lines.append(f"{w.name} · {w.device} · {w.model or 'no model loaded'} · {state}")
        self.workers_label.setText("Workers:\n" + "\n".join(lines))

    def _on_metrics(self, take_id: int, error: str | None) -> None:
        if error is not None:
            self.report(f"Take {take_id} was stored, but {error}")
        else:
            self.metrics_ready.emit(take_id)

    def load_models(self) -> None:
        """Installed models (HF cache); listing touches only the disk. Without torch and
        diffusers none can run: the dock offers previz and says what to install."""
        from generation.installed_models import (
            ENABLE_MODELS_HINT,
            list_installed,
            missing_generation_packages,
        )

        missing = missing_generation_packages()
        self.models_hint.setText(ENABLE_MODELS_HINT + (f" (missing: {', '.join(missing)})"
                                                       if missing else ""))
        self.models_hint.setVisible(bool(missing))
        if missing:
            return

        try:
            models = list_installed()
        except Exception as exc:  # a broken cache must not stop the window opening
            self.report(f"Could not list installed models: {exc}")
            return
        for m in models:
            if m.backends and m.safetensors_only:
                self.model.addItem(f"{m.id} ({m.pipeline_class})", m)

    # ------------------------------------------------------------------ segment
    def show_segment(self, item: Any) -> None:
        seg = item if isinstance(item, GeneratedSegment) else None
        # Never under the user's typing: a prompt being edited for this segment is kept
        # (a take landing or an edit elsewhere shows the segment again).
        typing = (seg is not None and seg.id == self.segment_id and self.prompt.hasFocus()
                  and self.prompt.isModified())
        self.segment_id = seg.id if seg else None
        for w in (self.prompt, self.model, self.seed, self.count, self.steps, self.guidance,
                  self.size, self.memory, self.generate_button, self.takes):
            w.setEnabled(seg is not None)
        self.takes.clear()
        self._update_range_button(seg)
        if seg is None:
            self.title.setText("Select a generated segment")
            self.prompt.setText("")
            return
        sound = self.is_audio(seg)
        seconds = float(seg.duration / self.project.sequence.fps)
        self.title.setText(f"Segment {seg.id} on {seg.track}: {seg.duration} frames"
                           + (f" ({seconds:.2f} s of sound)" if sound else ""))
        if not typing:
            self.prompt.setText(seg.prompt)
        self.prompt.setPlaceholderText("Describe the sound…" if sound else
                                       "Describe the shot…")
        # Sound has no picture size; its length is the segment's (audio_end_in_s).
        self.size.setEnabled(not sound)
        # The segment's own seed, as the Details panel and the takes show it; a seed past
        # the box's range shows as new but the run still uses it (``_request``).
        self.seed.setValue(seg.seed if seg.seed is not None and seg.seed <= self.seed.maximum()
                           else -1)
        for take in self.runner.records.takes(seg.id):
            self.takes.addItem(f"{take.name} — {take.backend}, {seed_text(take.seed)}",
                               take.id)
            if take.id == seg.active_take:
                self.takes.setCurrentIndex(self.takes.count() - 1)

    def is_audio(self, seg: GeneratedSegment) -> bool:
        """A segment on an audio track makes sound."""
        return self.project.sequence.on_audio_track(seg)

    def range_for(self, seg: GeneratedSegment) -> tuple[SubRange | None, str]:
        """The sequence's in/out range within ``seg`` in segment frames, or None and why
        it cannot be regenerated."""
        seq = self.project.sequence
        if seq.in_point is None and seq.out_point is None:
            return None, "Set an in and out point (I / O) inside the segment first"
        a = max(seg.start, seq.in_point or 0)
        b = min(seg.end, seq.out_point if seq.out_point is not None else seq.duration_frames)
        if b <= a:
            return None, "The in/out range does not overlap this segment"
        if (a, b) == (seg.start, seg.end):
            return None, "The in/out range covers the whole segment: use Generate"
        if seg.active_take is None:
            return None, "The segment has no take yet: Generate it first"
        return SubRange(a - seg.start, b - seg.start), ""

    def _update_range_button(self, seg: GeneratedSegment | None) -> None:
        if seg is None:
            sub, why = None, "Select a generated segment"
        else:
            sub, why = self.range_for(seg)
        self.range_button.setEnabled(sub is not None)
        self.range_button.setToolTip(
            why if sub is None else
            f"Regenerate segment frames {sub.start}–{sub.end} over the active take, "
            + ("crossfaded into the rest of the sound at its seams (the rest is kept sample "
               "for sample)" if seg is not None and self.is_audio(seg) else
               "keeping the rest as context"))

    def refresh(self) -> None:
        """Show the current state of the segment on display (after any edit)."""
        self.show_segment(self._segment())

    def _segment(self) -> GeneratedSegment | None:
        if self.segment_id is None:
            return None
        item = self.project.sequence.find_item(self.segment_id)
        return item if isinstance(item, GeneratedSegment) else None

    def _commit_prompt(self) -> None:
        seg = self._segment()
        if seg is None or self.prompt.text() == seg.prompt:
            return
        self.project.execute({"op": "set", "item": seg.id, "prompt": self.prompt.text()})
        self.edited.emit()

    def _activate_take(self, index: int) -> None:
        take_id = self.takes.itemData(index)
        if take_id is None:
            return
        try:
            self.runner.records.set_active(int(take_id))
        except ProjectError as exc:
            self.report(str(exc))
            return
        self.takes_changed.emit()

    # ------------------------------------------------------------------ jobs
    def generate(self) -> bool:
        """Queue takes for the selected segment and run the queue. The request is checked
        here (a refusal is reported at once); planning and the files the jobs need are
        made off the UI thread (``panel._task`` finishes when the queue has run)."""
        seg = self._segment_with_prompt()
        if seg is None:
            return False
        try:
            request = self._request(seg)
            # Refusals (wrong model, bad size, too long) before anything; an extension's
            # context frames are added when it is queued.
            plan(request, inputs_pending=seg.extends is not None)
        except GenerationError as exc:
            self.report(_message(exc))
            return False
        return self._queue_and_run(self.runner.queue_async(seg.id, request), "")

    def _segment_with_prompt(self) -> GeneratedSegment | None:
        """The selected segment after the prompt field's text is committed to it."""
        if self._segment() is None:
            return None
        self._commit_prompt()
        return self._segment()

    def _seed_choice(self, seg: GeneratedSegment) -> dict[str, Any]:
        """The seed box as a request choice; nothing (the segment's seed) when the box
        cannot hold the segment's seed."""
        if self.seed.value() < 0 and seg.seed is not None and seg.seed > self.seed.maximum():
            return {}
        return {"seed": None if self.seed.value() < 0 else self.seed.value()}

    def _request(self, seg: GeneratedSegment) -> Any:
        """A request for ``seg`` with the dock's model and settings."""
        chosen = self.model.currentData()
        model = None if chosen is None else ResolvedModel(
            id=chosen.id, path=str(chosen.path), revision=chosen.revision,
            pipeline_class=chosen.pipeline_class)
        return self.runner.request_for(
            seg.id, backend=chosen.backends[0] if chosen is not None else "previz",
            model=model, **self._seed_choice(seg),
            takes=self.count.value(), steps=self.steps.value() or None,
            guidance=None if self.guidance.value() < 0 else self.guidance.value(),
            size=None if self.is_audio(seg) else self._size(),
            memory_mode=self.memory.currentText())

    def regenerate_range(self) -> bool:
        """Queue regenerating the in/out range of the selected segment over its active
        take (a new take; the rest of the active take is the context) and run the queue."""
        seg = self._segment_with_prompt()
        if seg is None:
            return False
        sub, why = self.range_for(seg)
        if sub is None:
            self.report(f"Cannot regenerate a range: {why}")
            return False
        what = f"Cannot regenerate frames {sub.start}–{sub.end}: "
        try:
            request = self._request(seg)
            self.runner.range_base(seg.id, request)
        except GenerationError as exc:
            self.report(what + _message(exc))
            return False
        return self._queue_and_run(self.runner.queue_range_async(seg.id, request, sub), what)

    def _queue_and_run(self, queuing: Coroutine[Any, Any, Any], what: str) -> bool:
        """Await ``queuing`` (it writes the job rows), then run the queue (or let the
        running one pick the new jobs up)."""
        running = self._task

        async def queue_then_run() -> None:
            try:
                await queuing
            except GenerationError as exc:
                self.report(what + _message(exc))
                return
            if running is not None and not running.done():
                await running  # it picks the new jobs up, unless it was just ending
            await self.runner.run_queue()  # whatever is still queued (nothing, usually)

        try:
            self._task = asyncio.ensure_future(queue_then_run())
        except RuntimeError:
            queuing.close()
            self.report("Generation needs the editor's event loop (start it with "
                        "`takeline PROJECT`).")
            return False
        return True

    def _size(self) -> tuple[int, int] | None:
        text = self.size.text().strip().lower()
        if not text:
            return None
        w, sep, h = text.partition("x")
        if not (sep and w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0):
            raise GenerationError(f"size {self.size.text()!r} is not WxH",
                                  "write it like 480x272, or leave it empty")
        return int(w), int(h)

    def start_queue(self) -> asyncio.Future[Any] | None:
        if self._task is not None and not self._task.done():
            return self._task  # the running loop picks the new jobs up
        try:
            self._task = asyncio.ensure_future(self.runner.run_queue())
        except RuntimeError:
            self.report("Generation needs the editor's event loop (start it with "
                        "`takeline PROJECT`).")
            return None
        return self._task

    def show_recent_jobs(self, count: int = 10) -> None:
        """Rows for the project's latest jobs (failed ones keep their error as a tooltip),
        so a queue or a failure from an earlier session is visible."""
        for job in self.runner.records.jobs()[-count:]:
            self._show_row(JobUpdate(job.id, JobState(job.state), job.steps_done, job.steps_total,
                                     job.error, job.take_ids))

    def _on_update(self, u: JobUpdate) -> None:
        self._show_row(u)
        self._show_workers()
        if u.error:
            self.report(f"Job {u.job_id} failed: {u.error}")
        if u.state == JobState.DONE:
            self._landing.start()

    @property
    def landing(self) -> bool:
        """A take has landed and the panel and window do not show it yet."""
        return self._landing.isActive()

    def _show_landed_takes(self) -> None:
        # In the window, takes_changed re-renders everything, this dock included (its
        # refresh); refreshing here as well would do the dock twice in the landing's turn.
        if self.isSignalConnected(QMetaMethod.fromSignal(self.takes_changed)):
            self.takes_changed.emit()
        else:
            self.refresh()

    def _show_row(self, u: JobUpdate) -> None:
        row = self._rows.get(u.job_id)
        if row is None:
            label, bar, cancel = QLabel(), QProgressBar(), QPushButton("Cancel")
            retry = QPushButton("Retry")
            cancel.clicked.connect(lambda _=False, j=u.job_id: self.runner.cancel(j))
            retry.clicked.connect(lambda _=False, j=u.job_id: self.retry(j))
            line = QHBoxLayout()
            line.addWidget(label, 1)
            line.addWidget(bar, 2)
            line.addWidget(cancel)
            line.addWidget(retry)
            self.queue_box.addLayout(line)
            row = self._rows[u.job_id] = (label, bar, cancel, retry)
        label, bar, cancel, retry = row
        text = f"Job {u.job_id}: {u.state}"
        if u.state == JobState.RUNNING:
            eta = self._eta(u)
            if eta is not None:
                text += f", about {eta:.0f} s left"
        elif u.state == JobState.FAILED and u.error:
            text += f" — {u.error[:80]}"
        label.setText(text)
        bar.setMaximum(max(1, u.steps_total))
        bar.setValue(u.steps_done)
        finished = u.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
        cancel.setEnabled(not finished)
        retry.setVisible(u.state in (JobState.FAILED, JobState.CANCELLED))
        if u.error:
            label.setToolTip(u.error)

    def _eta(self, u: JobUpdate) -> float | None:
        """Seconds left from the job's own pace so far (steps are even in a diffusion
        loop; the first step also pays for loading, so it is left out)."""
        now = time.monotonic()
        first = self._started.setdefault(u.job_id, (now, u.steps_done))
        t0, done0 = first
        if u.steps_done <= done0 or u.steps_total <= 0:
            return None
        rate = (u.steps_done - done0) / max(now - t0, 1e-6)
        return (u.steps_total - u.steps_done) / rate

    def retry(self, job_id: int) -> int | None:
        """Queue a failed or cancelled job again (same spec, same seed) and run it."""
        try:
            job = self.runner.records.retry_job(job_id)
        except (ProjectError, TakeError) as exc:
            self.report(str(exc))
            return None
        self._show_row(JobUpdate(job.id, JobState.QUEUED, 0, job.steps_total))
        self.start_queue()
        return job.id

    def resume_queue(self) -> None:
        """At open: jobs a previous session left running go back in the queue, and queued
        jobs start (the user asked for them; the queue survives restarts). Not in a
        read-only window: the process writing the project runs its queue."""
        if self.project.read_only:
            return
        requeued = self.runner.records.requeue_interrupted()
        queued = self.runner.records.jobs(["queued"])
        if queued:
            self.report(f"Resuming {len(queued)} queued generation job(s)"
                        + (f" ({len(requeued)} interrupted last time)" if requeued else ""))
            self.start_queue()

    def switch_project(self, project: Project) -> None:
        """File > Open, before the old project closes: its queue stops as when the window
        closes (a running job goes back in the queue at once) and its worker
        with it; the panel then shows the new project's jobs and starts its queue."""
        self.shutdown()
        for label, bar, cancel, retry in self._rows.values():
            for widget in (label, bar, cancel, retry):
                widget.deleteLater()
        while self.queue_box.count() > 0:
            item = self.queue_box.takeAt(0)
            if item is not None and item.layout() is not None:
                item.layout().deleteLater()
        self._rows.clear()
        self._started.clear()
        self._task = None
        self.project = project
        try:
            self.runner = self._runner_for(project, self._farm_address)
        except GenerationError as exc:
            self.report(_message(exc))
            self._farm_address = ""
            self.farm_address.setText("")
            self.runner = self._runner_for(project)
        self._show_workers()
        self.show_segment(None)
        self.show_recent_jobs()
        self.resume_queue()

    def shutdown(self) -> None:
        """Window closing: stop at once. A running job goes back in the queue now (nothing
        of it was stored; `takeline jobs --run` or the next opening runs it again), never
        left 'running' in the project; queued jobs stay queued."""
        self.runner.stop()  # synchronous: the loop may not run the job's coroutine again
        self._landing.stop()  # the project closes next: nothing left to show it in
        if self._task is not None and not self._task.done():
            self._task.cancel()
