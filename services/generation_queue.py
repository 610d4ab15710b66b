"""Runs a project's generation queue: jobs from the project file, inference in the worker
process (previz in-process: it needs no torch), results stored as takes. Shared by the CLI
and the window (which drives it from its qasync loop).

Lives in ``app`` because it joins the two middle layers: ``generation`` (worker, backends)
and ``project_store`` (jobs, takes, media store), which do not know each other.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

from generation.backends import get_backend
from generation.backends.base import GenerationError, JobCancelled
from generation.brief_compiler import compile_brief, estimate_clip_camera, render_control_video
from generation.client import WorkerCancelled, WorkerClient, WorkerFailed
from generation.execute import RunResult, run_spec
from generation.inputs import AudioSplice, ControlVideo, JobInputs, Splice
from generation.planner import GenerationRequest, plan
from generation.spec import JobSpec
from generation.subrange import SubRange, conformed_frames, prepare, window_for
from project_store.generation_records import (
    HEARTBEAT_S,
    GenerationRecords,
    Job,
    NewTake,
    Take,
)
from project_store.project import Project
from project_store.references import reference_path
from services.take_metrics import BackgroundMetrics
from timeline.conditioning.camera import CameraPath
from timeline.conform import Conform
from timeline.model import GeneratedSegment
from timeline.time import format_rate


class JobState(StrEnum):
    """A job's state as the job rows spell it (a ``str``: compares and prints as its
    value)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobUpdate:
    """What the UI / progress bar hears about a job."""

    job_id: int
    state: JobState
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
        "inputs": spec.inputs.to_json(),
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
        **({"media_kind": "audio", "sample_rate": result.sample_rate,
            "channels": result.channels, "samples": result.samples,
            "samples_hash": result.frames_hash,
            # Played at the sequence rate through PyAV's resampler (libswresample), the
            # take's sample 0 at the segment's first sample (timeline.media.audio).
            "conform_audio": {"resampler": "pyav-swresample", "from_rate": result.sample_rate,
                              "first_sample": "segment start"}}
           if result.media_kind == "audio" else {}),
        "max_seconds": facts.get("max_seconds"),
        "seconds": facts.get("seconds"),
        "cuda_peak_bytes": facts.get("cuda_peak_bytes"),
        "seams": facts.get("seams"),
        "spec": as_run.to_json(),
    }


def sequence_picture(project: Project, n: int) -> Any:
    """Sequence frame ``n`` as the viewer shows it (clips and active takes), (H, W, 3)
    uint8 at the sequence size: continuity frames and grabbed reference frames."""
    from services.render_sources import plan_sources
    from timeline.engine.compositor import render_frame

    seq = project.sequence
    source = plan_sources(project, use_proxies=False).frame_source()
    try:
        picture = render_frame(seq, n, source, size=(seq.settings.width, seq.settings.height))
    finally:
        source.close()
    return picture[..., :3]


class GenerationRunner:
    def __init__(self, project: Project, *, client: WorkerClient | None = None,
                 on_update: Callable[[JobUpdate], None] | None = None,
                 previz_in_worker: bool = False,
                 on_metrics: Callable[[int, str | None], None] | None = None,
                 measure: bool = True) -> None:
        """``previz_in_worker``: run previz in the worker process too (the window: a
        previz frame is tens of ms of numpy and PIL that hold the GIL, which would stall
        the UI thread); otherwise on a thread here (the CLI: no process to start).
        ``measure``: every new take is measured in a measuring process once stored
        (``services.take_metrics``); ``on_metrics(take_id, error)`` hears when."""
        self.project = project
        self.previz_in_worker = previz_in_worker
        self.records = GenerationRecords(project)
        self.client = client or WorkerClient()
        self.on_update = on_update
        self.work_dir = project.media_root / "tmp"
        self._running: int | None = None
        self._token: str | None = None  # the running job's claim
        self._stopping = False  # stop() was called: the job is back in the queue
        self._local_cancel = threading.Event()
        self._last_model_key: str | None = None
        self.metrics = BackgroundMetrics(project, on_metrics) if measure else None

    # ------------------------------------------------------------------ queueing
    def queue(self, segment_id: int, request: GenerationRequest) -> list[Job]:
        """Plan and queue one job per take (N takes = N seeds). Planning errors surface
        here, before anything is queued or loaded."""
        segment = self.records.segment(segment_id)
        return self._queue_specs(segment_id, self._prepare(segment, request))

    async def queue_async(self, segment_id: int, request: GenerationRequest) -> list[Job]:
        """``queue`` for the window: the planning and the files the jobs need (a control
        video rendered from the camera path or poses, a camera estimated from a motion
        clip: seconds of work) are made on a thread; only the job rows are written here."""
        segment = self.records.segment(segment_id)
        specs = await asyncio.to_thread(self._prepare, segment, request)
        return self._queue_specs(segment_id, specs)

    def _prepare(self, segment: GeneratedSegment, request: GenerationRequest) -> list[JobSpec]:
        # Files only, no rows and no reads of the live sequence: runs on a thread.
        return self._render_controls(segment, plan(request))

    def _queue_specs(self, segment_id: int, specs: list[JobSpec]) -> list[Job]:
        jobs = [
            self.records.queue_job(segment_id, s.to_json(), model_key=s.model_key,
                                   steps_total=get_backend(s.backend).steps_total(s.call))
            for s in specs
        ]
        for job in jobs:
            self._emit(JobUpdate(job.id, JobState.QUEUED, 0, job.steps_total))
        return jobs

    def request_for(self, segment_id: int, **choices: Any) -> GenerationRequest:
        """A request for the segment as it stands (duration, sequence rate and size, its
        conditioning compiled for the chosen backend, its seed unless one is chosen) plus
        the caller's choices. Inputs the caller passes (``--first-frame``) win over the
        segment's references. Refuses what the backend cannot take, before any load."""
        segment = self.records.segment(segment_id)
        seq = self.project.sequence
        choices.setdefault("seed", segment.seed)
        media = "audio" if seq.tracks[segment.track].kind == "audio" else "video"
        model = choices.get("model")
        brief = compile_brief(
            segment, seq.cast, backend=choices.get("backend", "previz"),
            pipeline_class=model.pipeline_class if model is not None else None,
            resolve=lambda ref: reference_path(self.project, ref),
            camera=self.motion_camera(segment), sequence_fps=seq.fps)
        inputs = {**brief.inputs, **choices.pop("inputs", {})}
        return GenerationRequest(
            segment_frames=segment.duration, sequence_fps=seq.fps,
            sequence_size=(seq.settings.width, seq.settings.height), prompt=brief.prompt,
            negative_prompt=brief.negative_prompt, inputs=inputs, media=media,
            conditioning_version=self.project.conditioning_version(segment_id), **choices)

    def motion_camera(self, segment: GeneratedSegment) -> CameraPath | None:
        """The camera move copied from the segment's motion clip, when it has one and no
        camera path of its own (estimated once per clip and kept in the media store)."""
        if segment.camera is not None:
            return None
        ref = next((r for r in segment.references if r.role == "motion"), None)
        if ref is None:
            return None
        cache = self.project.media_root / "cache" / f"motion-{ref.sha256[:16]}.json"
        if cache.is_file():
            path = CameraPath.from_json(json.loads(cache.read_text()))
        else:
            path = estimate_clip_camera(reference_path(self.project, ref),
                                        seconds=float(segment.duration / self.project.sequence.fps))
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(path.to_json()))
        return path.scaled_to(segment.duration)

    def _render_controls(self, segment: GeneratedSegment, specs: list[JobSpec]
                         ) -> list[JobSpec]:
        """Render the control video a brief asked for (pose maps or the previz plate
        through the camera) at the planned size and rate, into the media store."""
        want = specs[0].inputs.video if specs else None
        kind = want.control if want is not None and want.pending else None
        if kind is None:
            return specs
        segment_id = segment.id
        self.work_dir.mkdir(parents=True, exist_ok=True)
        out = render_control_video(
            kind, segment, specs[0], sequence_fps=self.project.sequence.fps,
            resolve=lambda ref: reference_path(self.project, ref),
            out=self.work_dir / f"control-{segment_id}-{os.getpid()}.mkv",
            camera=self.motion_camera(segment))
        rel = self.records.store.put(out, kind="inputs")
        video = ControlVideo(path=str(self.records.store.path(rel)), sha256=Path(rel).stem,
                             control=kind)
        return [replace(s, inputs=replace(s.inputs, video=video)) for s in specs]

    def queue_range(self, segment_id: int, request: GenerationRequest, sub: SubRange
                    ) -> list[Job]:
        """Queue regenerating frames [sub.start, sub.end) of the segment over its active
        take, which stays untouched (the result is a new take)."""
        return self._queue_specs(segment_id, self._prepare_range(
            self.range_base(segment_id, request), request, sub))

    async def queue_range_async(self, segment_id: int, request: GenerationRequest,
                                sub: SubRange) -> list[Job]:
        """``queue_range`` for the window: decoding the active take and writing the
        context files happen on a thread; only the job rows are written here."""
        base = self.range_base(segment_id, request)
        specs = await asyncio.to_thread(self._prepare_range, base, request, sub)
        return self._queue_specs(segment_id, specs)

    def range_base(self, segment_id: int, request: GenerationRequest) -> Take:
        """The active take a range is regenerated over; refuses at once (GenerationError)
        what cannot be regenerated by range."""
        if not get_backend(request.backend).needs_model:
            raise GenerationError("previz renders whole segments; regenerating a range needs "
                                  "a model", "use --backend wan-vace, wan or ltx")
        segment = self.records.segment(segment_id)
        if segment.active_take is None:
            raise GenerationError("the segment has no take to keep as context",
                                  "generate the whole segment first")
        base = self.records.take(segment.active_take)
        if base.media_path is None or not base.media_path.is_file():
            raise GenerationError(f"the media of take {base.id} is missing",
                                  "regenerate the whole segment instead")
        return base

    def _prepare_range(self, base: Take, request: GenerationRequest, sub: SubRange
                       ) -> list[JobSpec]:
        # Files only, no rows: runs on a thread.
        assert base.media_path is not None
        backend = get_backend(request.backend)
        if base.is_audio or request.media == "audio":
            return self._prepare_audio_range(base, request, sub)
        # The kept context frames are the control video of a range; a pose/camera control
        # for the whole segment does not apply.
        if "path" not in request.inputs.get("video", {"path": ""}):
            request = replace(request, inputs={k: v for k, v in request.inputs.items()
                                               if k != "video"})
        frames = conformed_frames(base.media_path, base.conform)
        window = window_for(sub, len(frames))
        specs = plan(replace(request, segment_frames=window[1] - window[0]),
                     inputs_pending=True)
        first = specs[0]
        size = (first.call["width"], first.call["height"])
        n = first.call["num_frames"]  # the planner's frame rule, applied to the window
        inputs = prepare(
            sub, frames, n=n, model_fps=first.frame_rate, sequence_fps=request.sequence_fps,
            size=size,
            temporal_mask=backend.capabilities.temporal_mask,
            first_last=backend.takes_frames(first.pipeline_class), work_dir=self.work_dir)
        # Context files go into the media store, so a re-run finds them by content.
        for value in inputs.values():
            if isinstance(value, dict) and "path" in value:
                value["path"] = str(self.records.store.path(
                    self.records.store.put(Path(value["path"]), kind="inputs")))
        seq_fps = request.sequence_fps
        splice_info = Splice(
            base_take=base.id, base_path=str(base.media_path),
            base_frames_hash=base.frames_hash, base_conform=base.conform.to_json(),
            range=(sub.start, sub.end), window=window, crossfade=sub.crossfade,
            sequence_fps=format_rate(seq_fps))
        conform = Conform(frame_map="retime", take_frames=len(frames), take_fps=seq_fps,
                          segment_frames=len(frames), sequence_fps=seq_fps)
        range_inputs = replace(JobInputs.from_json({**request.inputs, **inputs}),
                               splice=splice_info)
        specs = [replace(s, inputs=range_inputs, conform=conform.to_json()) for s in specs]
        for s in specs:
            backend.check_inputs(s.inputs)
            backend.check_model(s.pipeline_class or "", s.inputs)
            backend.check_call(s.call)
        return specs

    def _prepare_audio_range(self, base: Take, request: GenerationRequest, sub: SubRange
                             ) -> list[JobSpec]:
        """Regenerate segment frames [sub.start, sub.end) of an audio take: the model makes
        the range's samples anew and they are crossfaded into the take at its seams
        (``sub.crossfade`` frames, as samples; 20 ms when none is asked: a hard cut in
        sound clicks). Samples outside the range stay the base take's, bit for bit."""
        backend = get_backend(request.backend)
        if not base.is_audio or request.media != "audio":
            raise GenerationError(f"take {base.id} is {base.media_kind}; the segment asks "
                                  f"for {request.media}", "regenerate the whole segment")
        if backend.audio_range_mode is None:
            raise GenerationError(f"the {backend.name} backend cannot regenerate a range of "
                                  "sound", "use --backend stable-audio, or regenerate the "
                                  "whole segment")
        assert base.media_path is not None and base.sample_rate and base.samples
        from generation.subrange import audio_range_samples
        from timeline.time import first_sample_of_frame

        rate = base.sample_rate
        s0, s1 = audio_range_samples(sub, request.segment_frames, request.sequence_fps,
                                     rate, base.samples)
        crossfade = (first_sample_of_frame(sub.crossfade, rate, request.sequence_fps)
                     if sub.crossfade > 0 else rate // 50)
        specs = plan(replace(request, segment_frames=sub.end - sub.start),
                     inputs_pending=True)
        splice_info = AudioSplice(
            base_take=base.id, base_path=str(base.media_path),
            base_samples_hash=base.frames_hash, range=(sub.start, sub.end),
            samples=(s0, s1), crossfade=crossfade, sample_rate=rate,
            mode=backend.audio_range_mode)
        inputs = replace(JobInputs.from_json(request.inputs), audio_splice=splice_info)
        # Crossfade: the model makes exactly the range's samples; inpaint: the whole take
        # again with the range masked (the backend's range_call).
        call = backend.range_call(specs[0].call, samples=(s0, s1), take_samples=base.samples,
                                  rate=rate)
        out = [replace(s, inputs=inputs, call=call, conform=base.conform.to_json(),
                       pipeline_class=backend.range_pipeline_class or s.pipeline_class)
               for s in specs]
        for s in out:
            backend.check_inputs(s.inputs)
            backend.check_model(s.pipeline_class or "", s.inputs)
            backend.check_call(s.call)
        return out

    def store_input(self, path: Path) -> dict[str, Any]:
        """A copy of a user's conditioning file in the media store (the original may move
        or change; a re-run must find the very same bytes)."""
        import shutil

        self.work_dir.mkdir(parents=True, exist_ok=True)
        copy = self.work_dir / f"input-{os.getpid()}{path.suffix}"
        shutil.copyfile(path, copy)
        rel = self.records.store.put(copy, kind="inputs")
        return {"path": str(self.records.store.path(rel)), "source": str(path),
                "sha256": Path(rel).stem}

    def continuity_inputs(self, segment_id: int, which: str) -> dict[str, Any]:
        """First/last-frame conditioning from the neighbours: the sequence frame just before
        the segment (``before``), just after it (``after``) or both, as the viewer shows
        them, stored as PNGs in the media store."""
        from timeline.media.images import write_png

        segment = self.records.segment(segment_id)
        seq = self.project.sequence
        wanted = {"before": ["image"], "after": ["last_image"],
                  "both": ["image", "last_image"]}[which]
        frames = {"image": segment.start - 1, "last_image": segment.end}
        out: dict[str, Any] = {}
        for key in wanted:
            n = frames[key]
            track = seq.tracks[segment.track]
            if n < 0 or track.item_at(n) is None:
                raise GenerationError(
                    f"there is no clip {'before' if key == 'image' else 'after'} "
                    f"segment {segment_id} on {segment.track} to continue from",
                    "drop --continuity, or place the segment next to a clip")
            self.work_dir.mkdir(parents=True, exist_ok=True)
            png = self.work_dir / f"continuity-{segment_id}-{key}.png"
            write_png(png, sequence_picture(self.project, n))
            rel = self.records.store.put(png, kind="inputs")
            out[key] = {"path": str(self.records.store.path(rel)), "sequence_frame": n}
        return out

    def cancel(self, job_id: int) -> None:
        """Cancel a queued job at once, a running one at its next step."""
        job = self.records.job(job_id)
        if job.state == "queued":
            self.records.cancel_job(job_id)
            self._emit(JobUpdate(job_id, JobState.CANCELLED))
        elif job.state == "running" and self._running == job_id:
            self._local_cancel.set()
            self.client.cancel(job_id)

    # ------------------------------------------------------------------ running
    async def run_queue(self, *, only: set[int] | None = None) -> list[Job]:
        """Run queued jobs (all, or those in ``only``) one at a time until none is left;
        jobs for the model already loaded go first. Jobs whose runner died are re-queued
        first, and ``.part`` files no live job owns are removed; a job another live
        process is running is left to it (``Job.owner_gone``)."""
        done: list[Job] = []
        self.records.requeue_interrupted()
        self.records.remove_orphan_parts(self.work_dir)
        while True:
            queued = [j for j in self.records.jobs(["queued"]) if only is None or j.id in only]
            if not queued:
                if self.metrics is not None:
                    await self.metrics.wait()  # the takes' figures are in the file too
                return done
            job = next((j for j in queued if j.model_key == self._last_model_key), queued[0])
            ran = await self.run_job(job)
            if ran is not None:
                done.append(ran)

    async def run_job(self, job: Job) -> Job | None:
        """Claim and run one job; None when it was no longer queued (someone else has
        it): claims are atomic, so a job never runs twice."""
        spec = JobSpec.from_json(job.spec)
        token = self.records.claim_job(job.id)
        if token is None:
            return None
        self._running, self._token = job.id, token
        self._stopping = False
        self._local_cancel.clear()
        self._emit(JobUpdate(job.id, JobState.RUNNING, 0, job.steps_total))
        # The run's own folder: its half-written files are its alone, and an orphan's are
        # found by name (GenerationRecords.remove_orphan_parts).
        work_dir = self.work_dir / f"job-{job.id}-{token}"
        beat = asyncio.ensure_future(self._heartbeat(job.id, token))

        last_write = [0.0]

        def progress(step: int, total: int) -> None:
            if self._stopping:
                # stop() has put the job back in the queue: a step the worker sent before
                # it was killed must not show it running again (nor touch its row).
                return
            # Listeners hear every step; the file (a synchronous commit) at most twice a
            # second and at the last step.
            now = time.monotonic()
            if step >= total or now - last_write[0] >= 0.5:
                self.records.job_progress(job.id, step, total, token)
                last_write[0] = now
            self._emit(JobUpdate(job.id, JobState.RUNNING, step, total))

        try:
            result = await self._execute(job.id, spec, progress, work_dir)
            takes = await self.store_result(job, spec, result)
        except asyncio.CancelledError:
            # The run was stopped from outside (Ctrl-C in `takeline jobs --run`, the window
            # closing): nothing of it was stored, so it goes back in the queue at once
            # instead of staying 'running' until someone notices its owner is gone.
            self._local_cancel.set()
            if not self._stopping:  # stop() has re-queued it already
                self.records.requeue_job(job.id, token)
                self._emit(JobUpdate(job.id, JobState.QUEUED, 0, job.steps_total))
            raise
        except (WorkerCancelled, JobCancelled, WorkerFailed) as exc:
            if self._stopping:
                return None  # stop() killed the worker and re-queued the job: not a failure
            if isinstance(exc, WorkerFailed):
                self.records.fail_job(job.id, str(exc), token)
                self._emit(JobUpdate(job.id, JobState.FAILED, error=str(exc)))
            else:
                self.records.cancel_job(job.id)
                self._emit(JobUpdate(job.id, JobState.CANCELLED))
        except GenerationError as exc:
            message = f"{exc}. {exc.suggestion}" if exc.suggestion else str(exc)
            self.records.fail_job(job.id, message, token)
            self._emit(JobUpdate(job.id, JobState.FAILED, error=message))
        except Exception as exc:
            # Anything else (a full disk while storing, a bug): the job is failed now, not
            # left 'running' for nobody.
            message = f"{type(exc).__name__}: {exc}"
            self.records.fail_job(job.id, message, token)
            self._emit(JobUpdate(job.id, JobState.FAILED, error=message))
            raise
        else:
            self.records.finish_job(job.id, [t.id for t in takes], token)
            if self.metrics is not None:
                # Measured off this loop while the next job runs.
                self.metrics.submit(t.id for t in takes if not t.is_audio)
            final = self.records.job(job.id)
            self._emit(JobUpdate(job.id, JobState.DONE, final.steps_done, final.steps_total,
                                 take_ids=tuple(t.id for t in takes)))
        finally:
            beat.cancel()
            self._running = self._token = None
            shutil.rmtree(work_dir, ignore_errors=True)  # the take is in the store by now
        self._last_model_key = spec.model_key
        return self.records.job(job.id)

    async def _heartbeat(self, job_id: int, token: str) -> None:
        """Say the owner is alive while the job runs (a model load or one long step can go
        minutes without a progress write)."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            if not self.records.heartbeat(job_id, token):
                return  # the claim was lost: the job was re-queued by someone else

    async def _execute(self, job_id: int, spec: JobSpec,
                       progress: Callable[[int, int], None],
                       work_dir: Path | None = None) -> RunResult:
        work_dir = self.work_dir if work_dir is None else work_dir
        if spec.backend == "previz" and not self.previz_in_worker:
            loop = asyncio.get_running_loop()

            def threadsafe(step: int, total: int) -> None:
                loop.call_soon_threadsafe(progress, step, total)

            return await asyncio.to_thread(run_spec, spec, work_dir, threadsafe,
                                           self._local_cancel.is_set, {})
        return await self.client.run(job_id, spec, work_dir, progress)

    async def store_result(self, job: Job, spec: JobSpec, result: RunResult) -> list[Take]:
        """The run as a take: its file hashed into the media store on a thread (a long
        take is hundreds of MB), then the rows and the undoable edit here."""
        conform = Conform.from_json(spec.conform)
        if result.media_kind == "audio":
            recipe = recipe_for(spec, result)
            recipe["conform_audio"]["to_rate"] = self.project.sequence.sample_rate
            new = [NewTake(
                media_file=Path(result.media_file), frames_hash=result.frames_hash,
                frame_count=0, fps=Fraction(result.fps), width=0, height=0,
                backend=spec.backend, model=spec.model or "", seed=spec.seed,
                recipe=recipe, conform=conform,
                conditioning_version=spec.conditioning_version, media_kind="audio",
                sample_rate=result.sample_rate, channels=result.channels,
                samples=result.samples)]
            stored = await asyncio.to_thread(self.records.store_files, new)
            return self.records.add_takes(job.segment_id, new, job_id=job.id, stored=stored)
        new = [NewTake(
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
        )]
        stored = await asyncio.to_thread(self.records.store_files, new)
        return self.records.add_takes(job.segment_id, new, job_id=job.id, stored=stored)

    async def rerun(self, take: Take) -> RunResult:
        """Make ``take`` again from its row alone (into the work folder, not stored)."""
        if take.recipe.get("imported") or "spec" not in take.recipe:
            raise GenerationError(f"take {take.id} was imported, not generated: it has no "
                                  "recipe to re-run")
        spec = JobSpec.from_json(take.recipe["spec"])
        return await self._execute(-take.id, spec, lambda _s, _t: None)

    def stop(self) -> int | None:
        """Stop at once, synchronously (the window closes or opens another project, so the
        event loop may never run the job's coroutine again): the running job goes back in
        the queue now, its claim released (nothing of it was stored; it runs again from the
        start, with the same seed, the next time anyone runs the queue), and the worker is
        killed. Returns the re-queued job's id, if one was running. The caller cancels its
        task; the run's coroutine then writes nothing more."""
        job_id, token = self._running, self._token
        self._stopping = True
        self._local_cancel.set()
        requeued = None
        if job_id is not None and token is not None and self.records.requeue_job(job_id, token):
            requeued = job_id
            self._emit(JobUpdate(job_id, JobState.QUEUED, 0, self.records.job(job_id).steps_total))
        self.client.terminate()
        if self.metrics is not None:
            self.metrics.stop()  # unmeasured takes are measured when next asked for
        return requeued

    async def close(self) -> None:
        if self.metrics is not None:
            await self.metrics.wait()
            self.metrics.stop()
        await self.client.close()

    def _emit(self, update: JobUpdate) -> None:
        if self.on_update is not None:
            self.on_update(update)
