"""Runs a project's generation queue: jobs from the project file, inference in the worker
process (previz in-process: it needs no torch), results stored as takes. Shared by the CLI
and the window (which drives it from its qasync loop).

Lives in ``app`` because it joins the two middle layers: ``generation`` (worker, backends)
and ``project_store`` (jobs, takes, media store), which do not know each other.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from generation.backends import get_backend
from generation.backends.base import GenerationError, JobCancelled
from generation.client import WorkerCancelled, WorkerClient, WorkerFailed
from generation.execute import RunResult, run_spec
from generation.planner import GenerationRequest, plan
from generation.spec import JobSpec
from project_store.project import Project
from project_store.takes import GenerationRecords, Job, NewTake, Take
from timeline.takes import Conform


@dataclass(frozen=True)
class JobUpdate:
    """What the UI / progress bar hears about a job."""

    job_id: int
    state: str  # queued, running, done, failed, cancelled
    steps_done: int = 0
    steps_total: int = 0
    error: str | None = None
    take_ids: tuple[int, ...] = ()


def recipe_for(spec: JobSpec, result: RunResult) -> dict[str, Any]:
    """The take's full recipe. ``call`` holds the pipeline's own argument names, so
    ``pipe(**recipe["call"], generator=torch.Generator("cpu").manual_seed(recipe["seed"]))``
    re-runs it; ``spec`` is the whole job as run (what ``takeline rerun`` uses)."""
    facts = dict(result.facts)
    # Re-runs must use what was actually chosen, not "auto" again.
    as_run = JobSpec.from_json({
        **spec.to_json(),
        "device": facts.get("device", spec.device) if spec.device == "auto" else spec.device,
        "dtype": facts.get("dtype", spec.dtype) if spec.dtype == "auto" else spec.dtype,
        "memory_mode": (facts.get("memory_mode", spec.memory_mode)
                        if spec.memory_mode == "auto" else spec.memory_mode),
    })
    return {
        "backend": spec.backend,
        "pipeline_class": facts.get("pipeline_class"),
        "model": spec.model,
        "model_revision": spec.model_revision,
        "seed": spec.seed,
        "call": spec.call,
        "inputs": spec.inputs,
        "scheduler": facts.get("scheduler"),
        "dtype": facts.get("dtype"),
        "device": facts.get("device"),
        "memory_mode": facts.get("memory_mode"),
        "tf32": facts.get("tf32"),
        "attention_backend": facts.get("attention_backend"),
        "fps": result.fps,
        "frame_count": result.frame_count,
        "width": result.width,
        "height": result.height,
        "conditioning_version": spec.conditioning_version,
        "libraries": facts.get("libraries"),
        "frames_hash": result.frames_hash,
        "seconds": facts.get("seconds"),
        "cuda_peak_bytes": facts.get("cuda_peak_bytes"),
        "spec": as_run.to_json(),
    }


class GenerationRunner:
    def __init__(self, project: Project, *, client: WorkerClient | None = None,
                 on_update: Callable[[JobUpdate], None] | None = None) -> None:
        self.project = project
        self.records = GenerationRecords(project)
        self.client = client or WorkerClient()
        self.on_update = on_update
        self.work_dir = project.media_root / "tmp"
        self._running: int | None = None
        self._local_cancel = threading.Event()
        self._last_model_key: str | None = None

    # ------------------------------------------------------------------ queueing
    def queue(self, segment_id: int, request: GenerationRequest) -> list[Job]:
        """Plan and queue one job per take (N takes = N seeds). Planning errors surface
        here, before anything is queued or loaded."""
        specs = plan(request)
        jobs = [
            self.records.queue_job(segment_id, s.to_json(), model_key=s.model_key,
                                   steps_total=get_backend(s.backend).steps_total(s.call))
            for s in specs
        ]
        for job in jobs:
            self._emit(JobUpdate(job.id, "queued", 0, job.steps_total))
        return jobs

    def cancel(self, job_id: int) -> None:
        """Cancel a queued job at once, a running one at its next step."""
        job = self.records.job(job_id)
        if job.state == "queued":
            self.records.cancel_job(job_id)
            self._emit(JobUpdate(job_id, "cancelled"))
        elif job.state == "running" and self._running == job_id:
            self._local_cancel.set()
            self.client.cancel(job_id)

    # ------------------------------------------------------------------ running
    async def run_queue(self, *, only: set[int] | None = None) -> list[Job]:
        """Run queued jobs (all, or those in ``only``) one at a time until none is left;
        jobs for the model already loaded go first."""
        done: list[Job] = []
        while True:
            queued = [j for j in self.records.jobs(["queued"]) if only is None or j.id in only]
            if not queued:
                return done
            job = next((j for j in queued if j.model_key == self._last_model_key), queued[0])
            done.append(await self.run_job(job))

    async def run_job(self, job: Job) -> Job:
        spec = JobSpec.from_json(job.spec)
        self.records.start_job(job.id)
        self._running = job.id
        self._local_cancel.clear()
        self._emit(JobUpdate(job.id, "running", 0, job.steps_total))

        def progress(step: int, total: int) -> None:
            self.records.job_progress(job.id, step, total)
            self._emit(JobUpdate(job.id, "running", step, total))

        try:
            result = await self._execute(job.id, spec, progress)
            takes = self.store_result(job, spec, result)
        except (WorkerCancelled, JobCancelled):
            self.records.cancel_job(job.id)
            self._emit(JobUpdate(job.id, "cancelled"))
        except WorkerFailed as exc:
            self.records.fail_job(job.id, str(exc))
            self._emit(JobUpdate(job.id, "failed", error=str(exc)))
        except GenerationError as exc:
            message = f"{exc}. {exc.suggestion}" if exc.suggestion else str(exc)
            self.records.fail_job(job.id, message)
            self._emit(JobUpdate(job.id, "failed", error=message))
        else:
            self.records.finish_job(job.id, [t.id for t in takes])
            final = self.records.job(job.id)
            self._emit(JobUpdate(job.id, "done", final.steps_done, final.steps_total,
                                 take_ids=tuple(t.id for t in takes)))
        finally:
            self._running = None
        self._last_model_key = spec.model_key
        return self.records.job(job.id)

    async def _execute(self, job_id: int, spec: JobSpec,
                       progress: Callable[[int, int], None]) -> RunResult:
        if spec.backend == "previz":
            loop = asyncio.get_running_loop()

            def threadsafe(step: int, total: int) -> None:
                loop.call_soon_threadsafe(progress, step, total)

            return await asyncio.to_thread(run_spec, spec, self.work_dir, threadsafe,
                                           self._local_cancel.is_set, {})
        return await self.client.run(job_id, spec, self.work_dir, progress)

    def store_result(self, job: Job, spec: JobSpec, result: RunResult) -> list[Take]:
        conform = Conform.from_json(spec.conform)
        return self.records.add_takes(job.segment_id, [NewTake(
            media_file=Path(result.media_file), frames_hash=result.frames_hash,
            frame_count=result.frame_count, fps=Fraction(result.fps), width=result.width,
            height=result.height, backend=spec.backend, model=spec.model or "previz",
            seed=spec.seed, recipe=recipe_for(spec, result),
            conform=Conform(frame_map=conform.frame_map, fit=conform.fit,
                            take_frames=result.frame_count, take_fps=Fraction(result.fps),
                            segment_frames=conform.segment_frames,
                            sequence_fps=conform.sequence_fps,
                            take_offset=conform.take_offset),
            conditioning_version=spec.conditioning_version,
        )], job_id=job.id)

    async def rerun(self, take: Take) -> RunResult:
        """Make ``take`` again from its row alone (into the work folder, not stored)."""
        spec = JobSpec.from_json(take.recipe["spec"])
        return await self._execute(-take.id, spec, lambda _s, _t: None)

    async def close(self) -> None:
        await self.client.close()

    def _emit(self, update: JobUpdate) -> None:
        if self.on_update is not None:
            self.on_update(update)
