"""Runs a project's generation queue: jobs from the project file, inference in the worker
process (previz in-process: it needs no torch), results stored as takes. Shared by the CLI
and the window (which drives it from its qasync loop).

Lives in ``app`` because it joins the two middle layers: ``generation`` (worker, backends)
and ``project_store`` (jobs, takes, media store), which do not know each other.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

from generation.backends import get_backend
from generation.backends.base import GenerationError, JobCancelled
from generation.brief_compiler import compile_brief, estimate_clip_camera, render_control_video
from generation.client import WorkerCancelled, WorkerClient, WorkerFailed
from generation.depth_models import DepthModelError, resolve_depth_model
from generation.execute import RunResult, run_spec
from generation.inputs import AudioSplice, ControlVideo, JobInputs, Splice
from generation.planner import GenerationRequest, plan, steps_total
from generation.spec import JobSpec
from generation.subrange import SubRange, conformed_frames, prepare, window_for
from generation.take_media import write_take
from generation.workers import (
    LocalSlot,
    QueuedJob,
    Slot,
    WorkerInfo,
    WorkerLost,
    WorkerPool,
    place,
)
from project_store.generation_records import (
    HEARTBEAT_S,
    GenerationRecords,
    Job,
    NewTake,
    Take,
)
from project_store.project import Project
from project_store.references import reference_path
from services.shot_tools import (
    DEFAULT_CONTEXT,
    ExtendSource,
    check_segment_shots,
    extend_source,
    extend_window,
    shot_segment,
)
from services.take_metrics import BackgroundMetrics
from timeline.conditioning.camera import CameraPath
from timeline.conditioning.version import conditioning_payload, version_id
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


def _remove_off_loop(folder: Path) -> None:
    """Delete a finished run's folder on the loop's executor (its leftovers are
    milliseconds of unlinking: a stall when the loop is a window's); at once without one.
    A folder left by a crash is found later by ``remove_orphan_parts``."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    loop.run_in_executor(None, functools.partial(shutil.rmtree, folder, ignore_errors=True))


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
        # Where it ran: this machine, or a farm node (its address and device as Ray saw
        # them); a re-run anywhere on the same device kind makes the same frames.
        "host": facts.get("host"),
        "farm": ({"node": facts["farm_node"], "device": facts.get("farm_device")}
                 if facts.get("farm_node") else None),
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
        "shots": facts.get("shots"),
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


@dataclass
class _Run:
    """A job this runner is running: its claim, its worker and its cancel flag."""

    token: str
    slot: Slot
    cancel: threading.Event = field(default_factory=threading.Event)


class GenerationRunner:
    def __init__(self, project: Project, *, client: WorkerClient | None = None,
                 on_update: Callable[[JobUpdate], None] | None = None,
                 previz_in_worker: bool = False,
                 on_metrics: Callable[[int, str | None], None] | None = None,
                 measure: bool = True, measure_after_s: float = 0.0,
                 pool: WorkerPool | None = None,
                 depth_model: str | None = None) -> None:
        """``depth_model``: the Depth Anything model (repo id or folder) whose depth maps
        of a segment's depth reference are VACE's control video (None: the default one,
        ``generation.depth_models.DEFAULT_DEPTH_MODEL``). ``previz_in_worker``: run previz
        in the worker process too (the window: a previz frame is tens of ms of numpy and
        PIL that hold the GIL, which would stall the UI thread); otherwise on a thread here
        (the CLI: no process to start).
        ``measure``: every new take is measured in a measuring process once stored
        (``services.take_metrics``); ``on_metrics(take_id, error)`` hears when. A window
        passes ``measure_after_s`` (a second): it shows the new take first (picture,
        filmstrip, thumbnail) without the measuring process's decode competing for the CPU.
        ``pool``: run the queue on several workers at once (one per GPU, ``local:N`` CPU
        workers, or a Ray farm: ``generation.workers`` / ``generation.farm``); without it,
        one worker process (``client``) runs one job at a time."""
        self.project = project
        self.depth_model = depth_model
        self.measure_after_s = measure_after_s
        self.previz_in_worker = previz_in_worker
        self.records = GenerationRecords(project)
        self.client = client or WorkerClient()
        self.pool = pool
        self._own_slot = LocalSlot("worker", self.client, "auto")
        self.on_update = on_update
        self.work_dir = project.media_root / "tmp"
        self._runs: dict[int, _Run] = {}  # job id -> the run this runner has going
        self._stopping = False  # stop() was called: the jobs are back in the queue
        self.metrics = BackgroundMetrics(project, on_metrics) if measure else None

    @property
    def slots(self) -> list[Slot]:
        return self.pool.slots if self.pool is not None else [self._own_slot]

    @property
    def running_jobs(self) -> list[int]:
        """Ids of the jobs this runner is running now."""
        return list(self._runs)

    @property
    def workers(self) -> list[WorkerInfo]:
        """The workers this runner drives, with their device, model and current job."""
        return [s.info for s in self.slots]

    # ------------------------------------------------------------------ queueing
    def queue(self, segment_id: int, request: GenerationRequest) -> list[Job]:
        """Plan and queue one job per take (N takes = N seeds). Planning errors surface
        here, before anything is queued or loaded. An extension segment keeps its clip's
        edge frames as context; a multi-shot segment makes one job of all its shots."""
        segment = self.records.segment(segment_id)
        source = extend_source(self.project, segment)
        return self._queue_specs(segment_id, self._prepare(segment, request, source))

    async def queue_async(self, segment_id: int, request: GenerationRequest) -> list[Job]:
        """``queue`` for the window: the planning and the files the jobs need (a control
        video rendered from the camera path or poses, a camera estimated from a motion
        clip, a clip's edge frames: seconds of work) are made on a thread; only the job
        rows are written here."""
        segment = self.records.segment(segment_id)
        source = extend_source(self.project, segment)
        specs = await asyncio.to_thread(self._prepare, segment, request, source)
        return self._queue_specs(segment_id, specs)

    def _prepare(self, segment: GeneratedSegment, request: GenerationRequest,
                 source: ExtendSource | None = None) -> list[JobSpec]:
        # Files only, no rows and no reads of the live sequence: runs on a thread.
        if source is not None:
            return self._prepare_extend(segment, request, source)
        if request.shots:
            return self._render_shot_controls(segment, plan(request))
        return self._render_controls(segment, plan(request))

    def _render_shot_controls(self, segment: GeneratedSegment, specs: list[JobSpec]
                              ) -> list[JobSpec]:
        """Each shot's control video (its poses or camera), rendered once for all takes."""
        shots = specs[0].inputs.shots or ()
        runs = []
        for index, run in enumerate(shots):
            one = replace(specs[0], call=run.call, inputs=run.inputs)
            [rendered] = self._render_controls(shot_segment(segment, index), [one])
            runs.append(replace(run, inputs=rendered.inputs))
        return [replace(s, inputs=replace(s.inputs, shots=tuple(runs))) for s in specs]

    def _prepare_extend(self, segment: GeneratedSegment, request: GenerationRequest,
                        source: ExtendSource) -> list[JobSpec]:
        """Jobs for an extension: the clip's edge frames are the kept context of a window
        the model fills, and only the new frames are spliced in (``services.shot_tools``)."""
        from timeline.media.images import write_png

        backend = get_backend(request.backend)
        pipeline_class = request.model.pipeline_class if request.model else None
        if backend.capabilities.temporal_mask:
            context = DEFAULT_CONTEXT
        elif not backend.needs_model or backend.takes_frames(pipeline_class):
            context = 1  # the edge frame as the first (tail) / last (head) frame
        else:
            raise GenerationError(
                "extending a clip needs a model that keeps its frames: a VACE model "
                "(temporal mask) or an image-to-video model (first/last frame)",
                "use --backend wan-vace, an image-to-video Wan / LTX model, or previz")
        seq_fps = request.sequence_fps
        frames = segment.duration
        base, sub = extend_window(source.edge_frames(context), frames, source.side)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        stem = f"extend-{segment.id}-{os.getpid()}"
        written = write_take(base, seq_fps, self.work_dir / f"{stem}.mkv")
        base_path = self.records.store.path(self.records.store.put(written.path,
                                                                   kind="inputs"))
        # A control video for the segment alone (poses, camera) does not fit the window.
        inputs = {k: v for k, v in request.inputs.items() if k != "video"}
        window = replace(request, segment_frames=len(base), inputs=inputs)
        specs = plan(window, inputs_pending=True)
        first = specs[0]
        if backend.needs_model:
            context_inputs = prepare(
                sub, base, n=first.call["num_frames"], model_fps=first.frame_rate,
                sequence_fps=seq_fps, size=(first.call["width"], first.call["height"]),
                temporal_mask=backend.capabilities.temporal_mask,
                first_last=backend.takes_frames(pipeline_class), work_dir=self.work_dir)
        else:
            # Previz draws the window over the clip's edge frame (its plate).
            edge = base[sub.start - 1] if source.side == "tail" else base[sub.end]
            png = write_png(self.work_dir / f"{stem}-edge.png", edge)
            scene = dict(inputs.get("scene") or {})
            scene["plate"] = {"path": str(png)}
            context_inputs = {"scene": scene}
        for value in [*context_inputs.values(), (context_inputs.get("scene") or {}).get(
                "plate")]:
            if isinstance(value, dict) and "path" in value and Path(value["path"]).parent \
                    == self.work_dir:
                value["path"] = str(self.records.store.path(
                    self.records.store.put(Path(value["path"]), kind="inputs")))
        splice_info = Splice(
            base_take=None, base_path=str(base_path), base_frames_hash=written.frames_hash,
            base_conform=Conform(frame_map="retime", take_frames=len(base), take_fps=seq_fps,
                                 segment_frames=len(base), sequence_fps=seq_fps).to_json(),
            range=(sub.start, sub.end), window=(0, len(base)), crossfade=0,
            sequence_fps=format_rate(seq_fps))
        # The take holds context and new frames at the sequence rate; the segment shows
        # the new ones, frame for frame.
        conform = Conform(frame_map="native", take_frames=len(base), take_fps=seq_fps,
                          segment_frames=frames, sequence_fps=seq_fps,
                          take_offset=sub.start)
        extend_inputs = replace(JobInputs.from_json({**inputs, **context_inputs}),
                                splice=splice_info)
        specs = [replace(s, inputs=extend_inputs, conform=conform.to_json()) for s in specs]
        for s in specs:
            backend.check_inputs(s.inputs)
            if backend.needs_model:
                try:
                    backend.check_model(s.pipeline_class or "", s.inputs)
                except GenerationError as exc:
                    raise GenerationError(
                        f"this model cannot extend the {source.side} of a clip: {exc}",
                        "use a Wan VACE or LTX model (they keep a last frame too), or "
                        "extend the tail instead") from None
            backend.check_call(s.call)
        return specs

    def _queue_specs(self, segment_id: int, specs: list[JobSpec]) -> list[Job]:
        jobs = [
            self.records.queue_job(segment_id, s.to_json(), model_key=s.model_key,
                                   steps_total=steps_total(s))
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
        if segment.shots:
            check_segment_shots(segment)
            whole = self._request_for(segment, dict(choices))
            given = dict(choices.get("inputs") or {})
            shots = []
            for index in range(len(segment.shots)):
                shot = shot_segment(segment, index)
                # Pictures the caller gives (--first-frame) start the first shot only.
                mine = given if index == 0 else {k: v for k, v in given.items()
                                                 if k not in ("image", "last_image")}
                request = self._request_for(shot, {**choices, "inputs": mine})
                shots.append(replace(request, conditioning_version=version_id(
                    conditioning_payload(shot, self.project.sequence.cast))))
            return replace(whole, shots=tuple(shots))
        request = self._request_for(segment, choices)
        if segment.shot_of is not None and segment.shot_of[1] > 0 \
                and "image" not in request.inputs:
            # One shot of a multi-shot take regenerated alone continues from the shot
            # before it, as it did in the multi-shot job.
            backend = get_backend(request.backend)
            model = request.model
            track = self.project.sequence.tracks[segment.track]
            before = track.item_at(segment.start - 1) if segment.start > 0 else None
            if backend.needs_model and backend.takes_frames(
                    model.pipeline_class if model else None) and before is not None:
                request = replace(request, inputs={
                    **request.inputs, **self.continuity_inputs(segment.id, "before")})
        return request

    def _request_for(self, segment: GeneratedSegment, choices: dict[str, Any]
                     ) -> GenerationRequest:
        seq = self.project.sequence
        choices.setdefault("seed", segment.seed)
        media = "audio" if seq.on_audio_track(segment) else "video"
        model = choices.get("model")
        brief = compile_brief(
            segment, seq.cast, backend=choices.get("backend", "previz"),
            pipeline_class=model.pipeline_class if model is not None else None,
            resolve=lambda ref: reference_path(self.project, ref),
            # Wan Animate takes a motion clip as its pose video, not as a camera move.
            camera=None if choices.get("backend") == "wan-animate" else
            self.motion_camera(segment), sequence_fps=seq.fps)
        inputs = {**brief.inputs, **choices.pop("inputs", {})}
        return GenerationRequest(
            segment_frames=segment.duration, sequence_fps=seq.fps,
            sequence_size=(seq.settings.width, seq.settings.height), prompt=brief.prompt,
            negative_prompt=brief.negative_prompt, inputs=inputs, media=media,
            conditioning_version=self.project.conditioning_version(segment.id), **choices)

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
        depth_model = None
        depth_ref = next((r for r in segment.references if r.role == "depth"), None)
        if kind == "depth" and depth_ref is not None and depth_ref.use != "map":
            # The model is resolved (or refused) here, before anything renders or loads;
            # a depth map reference needs none.
            try:
                depth_model = resolve_depth_model(self.depth_model).id
            except DepthModelError as exc:
                raise GenerationError(str(exc)) from None
        self.work_dir.mkdir(parents=True, exist_ok=True)
        out = render_control_video(
            kind, segment, specs[0], sequence_fps=self.project.sequence.fps,
            resolve=lambda ref: reference_path(self.project, ref),
            out=self.work_dir / f"control-{segment_id}-{os.getpid()}.mkv",
            camera=self.motion_camera(segment))
        rel = self.records.store.put(out, kind="inputs")
        video = ControlVideo(path=str(self.records.store.path(rel)), sha256=Path(rel).stem,
                             control=kind, depth_model=depth_model)
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
        run = self._runs.get(job_id)
        if job.state == "queued":
            self.records.cancel_job(job_id)
            self._emit(JobUpdate(job_id, JobState.CANCELLED))
        elif job.state == "running" and run is not None:
            run.cancel.set()
            run.slot.cancel(job_id)

    # ------------------------------------------------------------------ running
    async def run_queue(self, *, only: set[int] | None = None) -> list[Job]:
        """Run queued jobs (all, or those in ``only``) until none is left, each worker one
        job at a time, placed by ``generation.workers.place`` (a worker with the job's model
        loaded gets it). Jobs whose runner died are re-queued first, and ``.part`` files no
        live job owns are removed; a job another live process is running is left to it
        (``Job.owner_gone``). A job whose worker went away mid-job (a farm node died) goes
        back in the queue and runs on another worker."""
        done: list[Job] = []
        self.records.requeue_interrupted()
        self.records.remove_orphan_parts(self.work_dir)
        if self.pool is not None:
            await self.pool.start()
        tasks: dict[asyncio.Future[Job | None], Slot] = {}
        try:
            while True:
                queued = [j for j in self.records.jobs(["queued"])
                          if only is None or j.id in only]
                busy = set(tasks.values())
                idle = [s for s in self.slots if s.info.alive and s not in busy]
                if queued and idle:
                    if self.pool is not None:
                        self.pool.refresh()
                    by_name = {s.info.name: s for s in idle}
                    jobs = {j.id: j for j in queued}
                    for name, job_id in place(
                            [QueuedJob(j.id, j.model_key) for j in queued],
                            [s.info for s in idle], [s.info for s in busy]):
                        slot = by_name[name]
                        tasks[asyncio.ensure_future(self.run_job(jobs[job_id], slot))] = slot
                if not tasks:
                    if queued and not any(s.info.alive for s in self.slots):
                        raise GenerationError(
                            f"every worker is gone; {len(queued)} job"
                            f"{'s are' if len(queued) > 1 else ' is'} still queued",
                            "check the farm (`ray status` on its head node) and run the "
                            "queue again")
                    if self.metrics is not None:
                        await self.metrics.wait()  # the takes' figures are in the file too
                    return done
                finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    tasks.pop(task)
                    ran = task.result()
                    if ran is not None:
                        done.append(ran)
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def run_job(self, job: Job, slot: Slot | None = None) -> Job | None:
        """Claim and run one job (on ``slot``, or this runner's own worker); None when it
        was no longer queued (someone else has it: claims are atomic, so a job never runs
        twice) or its worker went away (it is queued again)."""
        slot = slot if slot is not None else self.slots[0]
        spec = JobSpec.from_json(job.spec)
        token = self.records.claim_job(job.id)
        if token is None:
            return None
        run = self._runs[job.id] = _Run(token, slot)
        if len(self._runs) == 1:
            self._stopping = False  # the first run since a stop()
        self._emit(JobUpdate(job.id, JobState.RUNNING, 0, job.steps_total))
        if self.metrics is not None and self._makes_pictures(job.segment_id):
            self.metrics.warm_up()  # its process starts beside the run, not as the take lands
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
            result = await self._execute(job.id, spec, progress, work_dir, run)
            takes = await self.store_result(job, spec, result)
        except asyncio.CancelledError:
            # The run was stopped from outside (Ctrl-C in `takeline jobs --run`, the window
            # closing): nothing of it was stored, so it goes back in the queue at once
            # instead of staying 'running' until someone notices its owner is gone.
            run.cancel.set()
            if not self._stopping:  # stop() has re-queued it already
                self.records.requeue_job(job.id, token)
                self._emit(JobUpdate(job.id, JobState.QUEUED, 0, job.steps_total))
            raise
        except WorkerLost:
            # Its worker (a farm node) went away mid-job: nothing came back, so the job
            # runs again on another worker, from the start with the same seed.
            if self._stopping:
                return None
            self.records.requeue_job(job.id, token)
            self._emit(JobUpdate(job.id, JobState.QUEUED, 0, job.steps_total))
            return None
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
                # Measured off this loop while the next job runs (``measure_after_s``).
                self.metrics.submit((t.id for t in takes if not t.is_audio),
                                    after_s=self.measure_after_s)
            final = self.records.job(job.id)
            self._emit(JobUpdate(job.id, JobState.DONE, final.steps_done, final.steps_total,
                                 take_ids=tuple(t.id for t in takes)))
        finally:
            beat.cancel()
            self._runs.pop(job.id, None)
            _remove_off_loop(work_dir)  # the take is in the store by now
        return self.records.job(job.id)

    def _makes_pictures(self, segment_id: int) -> bool:
        """The segment is on a video track (its takes are measured; sound's are not)."""
        seq = self.project.sequence
        item = seq.find_item(segment_id)
        return item is not None and not seq.on_audio_track(item)

    async def _heartbeat(self, job_id: int, token: str) -> None:
        """Say the owner is alive while the job runs (a model load or one long step can go
        minutes without a progress write)."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            if not self.records.heartbeat(job_id, token):
                return  # the claim was lost: the job was re-queued by someone else

    async def _execute(self, job_id: int, spec: JobSpec,
                       progress: Callable[[int, int], None],
                       work_dir: Path | None = None, run: _Run | None = None) -> RunResult:
        work_dir = self.work_dir if work_dir is None else work_dir
        slot = run.slot if run is not None else self.slots[0]
        in_thread = (spec.backend == "previz" and not self.previz_in_worker
                     and (self.pool is None or not self.pool.runs_previz))
        if in_thread:
            loop = asyncio.get_running_loop()
            cancel = run.cancel if run is not None else threading.Event()

            def threadsafe(step: int, total: int) -> None:
                loop.call_soon_threadsafe(progress, step, total)

            result = await asyncio.to_thread(run_spec, spec, work_dir, threadsafe,
                                             cancel.is_set, {})
            slot.info = replace(slot.info, model_key=spec.model_key)
            return result
        return await slot.run(job_id, spec, work_dir, progress)

    async def store_result(self, job: Job, spec: JobSpec, result: RunResult) -> list[Take]:
        """The run as a take: its file hashed into the media store on a thread (a long
        take is hundreds of MB), then the rows and the undoable edit here."""
        if spec.inputs.shots:
            return await self._store_shots(job, spec, result)
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
        sound = result.sound
        if sound is not None:
            return await self._store_joint(job, spec, new[0], sound)
        stored = await asyncio.to_thread(self.records.store_files, new)
        return self.records.add_takes(job.segment_id, new, job_id=job.id, stored=stored)

    async def _store_joint(self, job: Job, spec: JobSpec, picture: NewTake,
                           sound: RunResult) -> list[Take]:
        """A joint audio-video run (LTX-2): the picture as the segment's take, the sound
        as a take of the generated audio segment linked to it (made the first time), each
        naming the other; both share the job's spec, so ``rerun --verify`` checks both."""
        seq = self.project.sequence
        segment = self.records.segment(job.segment_id)
        recipe = recipe_for(spec, sound)
        recipe["conform_audio"]["to_rate"] = seq.sample_rate
        picture.recipe["audio"] = {"sample_rate": sound.sample_rate,
                                   "channels": sound.channels, "samples": sound.samples,
                                   "samples_hash": sound.frames_hash}
        # The sound plays from the segment's first sample at its own rate (resampled to the
        # sequence's), as long as the picture's frames run: num_frames / frame_rate s.
        conform = Conform(frame_map="native", take_frames=segment.duration,
                          take_fps=seq.fps, segment_frames=segment.duration,
                          sequence_fps=seq.fps)
        audio = NewTake(
            media_file=Path(sound.media_file), frames_hash=sound.frames_hash, frame_count=0,
            fps=Fraction(sound.fps), width=0, height=0, backend=spec.backend,
            model=spec.model or "", seed=spec.seed, recipe=recipe, conform=conform,
            conditioning_version=spec.conditioning_version, media_kind="audio",
            sample_rate=sound.sample_rate, channels=sound.channels, samples=sound.samples)
        stored = await asyncio.to_thread(self.records.store_files, [picture, audio])
        return self.records.add_joint_takes(job.segment_id, picture, audio, job_id=job.id,
                                            stored=stored)

    async def _store_shots(self, job: Job, spec: JobSpec, result: RunResult) -> list[Take]:
        """A multi-shot run: one file, one take per shot (each conformed to its shot's
        frames of it), laid out as one segment per shot (``add_shot_takes``)."""
        made = result.facts.get("shots") or []
        runs = spec.inputs.shots or ()
        if len(made) != len(runs):
            raise GenerationError(f"the run made {len(made)} shots of {len(runs)}")
        rel = await asyncio.to_thread(self.records.store.put, Path(result.media_file))
        recipe = recipe_for(spec, result)
        conform = Conform.from_json(spec.conform)
        fps = Fraction(result.fps)
        new = []
        for index, (run, shot) in enumerate(zip(runs, made, strict=True)):
            start, end = shot["frames"]
            new.append(NewTake(
                media_file=Path(result.media_file), frames_hash=result.frames_hash,
                frame_count=result.frame_count, fps=fps, width=result.width,
                height=result.height, backend=spec.backend, model=spec.model or "previz",
                seed=spec.seed,
                recipe={**recipe, "shot": {"index": index, "count": len(runs),
                                           "frames": [start, end],
                                           "continuity_from": shot["continuity_from"]}},
                conform=Conform(frame_map="native", fit=conform.fit, take_frames=end,
                                take_fps=fps, segment_frames=run.segment_frames,
                                sequence_fps=conform.sequence_fps, take_offset=start),
                conditioning_version=run.conditioning_version))
        return self.records.add_shot_takes(job.segment_id, new, rel, job_id=job.id)

    async def rerun(self, take: Take) -> RunResult:
        """Make ``take`` again from its row alone (into the work folder, not stored)."""
        if take.recipe.get("imported") or "spec" not in take.recipe:
            raise GenerationError(f"take {take.id} was imported, not generated: it has no "
                                  "recipe to re-run")
        spec = JobSpec.from_json(take.recipe["spec"])
        return await self._execute(-take.id, spec, lambda _s, _t: None)

    def stop(self) -> int | None:
        """Stop at once, synchronously (the window closes or opens another project, so the
        event loop may never run the jobs' coroutines again): the running jobs go back in
        the queue now, their claims released (nothing of them was stored; they run again
        from the start, with the same seeds, the next time anyone runs the queue), and the
        workers are killed. Returns a re-queued job's id (the first), if one was running.
        The caller cancels its task; the runs' coroutines then write nothing more."""
        self._stopping = True
        requeued: list[int] = []
        for job_id, run in list(self._runs.items()):
            run.cancel.set()
            if self.records.requeue_job(job_id, run.token):
                requeued.append(job_id)
                self._emit(JobUpdate(job_id, JobState.QUEUED, 0,
                                     self.records.job(job_id).steps_total))
        self.client.terminate()
        if self.pool is not None:
            self.pool.terminate()
        if self.metrics is not None:
            self.metrics.stop()  # unmeasured takes are measured when next asked for
        return requeued[0] if requeued else None

    async def close(self) -> None:
        if self.metrics is not None:
            await self.metrics.wait()
            self.metrics.stop()
        await self.client.close()
        if self.pool is not None:
            await self.pool.close()

    def _emit(self, update: JobUpdate) -> None:
        if self.on_update is not None:
            self.on_update(update)
