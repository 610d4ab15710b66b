"""Segment -> job specs: valid model parameters for the backend, and how the take is conformed
back to the segment. Pure (no torch, no model loaded): every "the model cannot do that"
error is found here, before a worker starts.

Frame count: the segment's duration in seconds at the model's native rate, rounded *up* to
the model's rule (Wan 4k+1, LTX 8k+1), so the take covers the whole segment when played at
its own rate (conform ``native``). Size: the backend's trained pixel count at the sequence's
aspect ratio, rounded to its size multiple (or the size asked for); the take is fitted to the
sequence frame by cover-crop.
"""

from __future__ import annotations

import math
import os
import random
import re
import sys
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from generation.backends import get_backend
from generation.backends.base import UnsupportedRequest
from generation.inputs import JobInputs, ShotRun
from generation.spec import MEMORY_MODES, JobSpec
from timeline.conform import Conform
from timeline.limits import LimitError, check_frame_size, check_render_size
from timeline.time import format_rate


@dataclass(frozen=True)
class ResolvedModel:
    """What the planner needs to know about an installed model (see generation.installed_models)."""

    id: str
    path: str
    revision: str
    pipeline_class: str


@dataclass(frozen=True)
class GenerationRequest:
    segment_frames: int
    sequence_fps: Fraction
    sequence_size: tuple[int, int]
    prompt: str
    backend: str = "previz"
    negative_prompt: str = ""
    model: ResolvedModel | None = None
    seed: int | None = None  # None: a new random seed per take
    takes: int = 1
    steps: int | None = None
    guidance: float | None = None
    size: tuple[int, int] | None = None  # generation size; None: from the backend
    max_sequence_length: int | None = None
    memory_mode: str = "auto"
    device: str = "auto"
    dtype: str = "auto"
    inputs: dict[str, Any] = field(default_factory=dict)  # JobInputs JSON (what a CLI flag or
    # the compiler gives); the specs hold it as a JobInputs
    conditioning_version: str | None = None
    # Wan Animate's mode (generation.backends.wan_animate.MODES); None: animate.
    animate_mode: str | None = None
    # A multi-shot segment: one request per shot (its frames, prompt and inputs; the choices
    # are this request's), planned into one job that runs them in order.
    shots: tuple[GenerationRequest, ...] = ()
    # What the segment's track plays: "video" (pictures) or "audio" (sound: a segment on
    # an audio track).
    media: str = "video"


def new_seed() -> int:
    return random.SystemRandom().randrange(0, 2**31 - 1)


def seeds_for(request: GenerationRequest) -> list[int]:
    """N takes = N seeds: consecutive from a fixed seed, else fresh random ones."""
    if request.takes < 1:
        raise UnsupportedRequest("ask for at least one take")
    if request.seed is None:
        return [new_seed() for _ in range(request.takes)]
    if not 0 <= request.seed < 2**63:
        raise UnsupportedRequest(f"a seed is a whole number from 0 to 2^63-1, not "
                                 f"{request.seed}")
    return [request.seed + i for i in range(request.takes)]


DTYPES = ("auto", "bfloat16", "float16", "float32")
MAX_TAKES = 64
MAX_STEPS = 1000
MAX_GUIDANCE = 100.0
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d{1,2})?")


def gpu_present() -> bool | None:
    """Whether this machine shows a CUDA/ROCm device, asked of the OS (torch is imported
    only in the worker); None where the OS gives no such sign to read (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        if os.listdir("/proc/driver/nvidia/gpus"):
            return True
    except OSError:
        pass
    return any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/dxg", "/dev/kfd"))


def check_choices(request: GenerationRequest, needs_model: bool = True) -> None:
    """The caller's choices (takes, steps, guidance, size, device, dtype) are known values
    in range, refused here rather than ignored, or failing deep in a pipeline."""
    def whole(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if not whole(request.takes) or not 1 <= request.takes <= MAX_TAKES:
        raise UnsupportedRequest(f"takes must be a whole number from 1 to {MAX_TAKES}, not "
                                 f"{request.takes}")
    if request.steps is not None and (not whole(request.steps) or not
                                      1 <= request.steps <= MAX_STEPS):
        raise UnsupportedRequest(f"steps must be a whole number from 1 to {MAX_STEPS}, not "
                                 f"{request.steps}")
    if request.guidance is not None:
        g = request.guidance
        if isinstance(g, bool) or not isinstance(g, int | float) or not math.isfinite(g) or (
                not 0 <= g <= MAX_GUIDANCE):
            raise UnsupportedRequest(f"guidance must be a finite number from 0 to "
                                     f"{MAX_GUIDANCE:g}, not {g}")
    if request.max_sequence_length is not None and (
            not whole(request.max_sequence_length) or
            not 1 <= request.max_sequence_length <= 4096):
        raise UnsupportedRequest("max sequence length must be a whole number from 1 to 4096, "
                                 f"not {request.max_sequence_length}")
    if request.dtype not in DTYPES:
        raise UnsupportedRequest(f"dtype must be one of {', '.join(DTYPES)}, not "
                                 f"{request.dtype!r}")
    if not isinstance(request.device, str) or not _DEVICE.fullmatch(request.device):
        raise UnsupportedRequest(f"device must be auto, cpu, cuda, cuda:N or mps, not "
                                 f"{request.device!r}")
    if not needs_model:
        for name, value in (("steps", request.steps), ("guidance", request.guidance)):
            if value is not None:
                raise UnsupportedRequest(f"the previz backend runs no model; {name} does not "
                                         "apply", "Leave it out, or choose a model backend")
        if request.device not in ("auto", "cpu") or request.dtype != "auto":
            raise UnsupportedRequest("the previz backend draws on the CPU in 8 bits; device "
                                     "and dtype do not apply", "Leave them at auto")
    elif request.device.startswith("cuda") and gpu_present() is False:
        raise UnsupportedRequest(f"device {request.device}: this machine shows no GPU",
                                 "Use --device cpu or auto")
    size = request.size
    if size is not None:
        try:
            if needs_model:
                check_frame_size(*size, what="generation size")
            else:  # previz renders every frame here, in this process's memory
                check_render_size(*size, what="generation size")
        except LimitError as exc:
            raise UnsupportedRequest(str(exc)) from None


def steps_total(spec: JobSpec) -> int:
    """How many progress steps the job reports (a multi-shot job: every shot's)."""
    backend = get_backend(spec.backend)
    if spec.inputs.shots:
        return sum(backend.steps_total(s.call) for s in spec.inputs.shots)
    return backend.steps_total(spec.call)


def _plan_shots(request: GenerationRequest) -> list[JobSpec]:
    """One job per take; each runs every shot in order. A shot after the first continues
    from the previous shot's last frame where the model keeps a given first frame."""
    backend = get_backend(request.backend)
    seeds = seeds_for(request)
    continuity = backend.needs_model and backend.takes_frames(
        request.model.pipeline_class if request.model else None)
    # A shot after the first gets its first frame when the job runs.
    planned = [plan(replace(shot, seed=seeds[0], takes=1, shots=()),
                    inputs_pending=continuity and i > 0)[0]
               for i, shot in enumerate(request.shots)]
    runs = tuple(
        ShotRun(call=s.call, inputs=s.inputs, segment_frames=shot.segment_frames,
                continuity=continuity and i > 0,
                conditioning_version=shot.conditioning_version)
        for i, (s, shot) in enumerate(zip(planned, request.shots, strict=True)))
    first = planned[0]
    frames = sum(s.call["num_frames"] for s in planned)
    # The job's own call names the whole: every shot's prompt, all the frames made.
    call = {**first.call, "num_frames": frames,
            "prompt": " | ".join(s.call["prompt"] for s in planned)}
    conform = Conform(frame_map="native", take_frames=frames, take_fps=first.frame_rate,
                      segment_frames=request.segment_frames,
                      sequence_fps=request.sequence_fps)
    return [replace(first, seed=seed, call=call,
                    inputs=JobInputs(shots=runs), conform=conform.to_json(),
                    conditioning_version=request.conditioning_version)
            for seed in seeds]


def check_media(request: GenerationRequest, backend: Any) -> None:
    """A segment on an audio track needs a backend that makes sound, one on a video track a
    backend that makes pictures."""
    if request.media not in ("video", "audio"):
        raise UnsupportedRequest(f"a segment makes video or audio, not {request.media!r}")
    if request.media in backend.makes:
        return
    sound = [b.name for b in _backends() if "audio" in b.makes]
    pictures = [b.name for b in _backends() if "video" in b.makes]
    if request.media == "audio" and getattr(backend, "sound_with_picture", False):
        raise UnsupportedRequest(
            f"this segment is on an audio track; the {backend.name} backend makes pictures "
            "with their sound, from a video segment (the sound lands on an audio segment "
            "linked to it)", "generate the video segment above it instead")
    if request.media == "audio":
        raise UnsupportedRequest(
            f"this segment is on an audio track; the {backend.name} backend makes pictures "
            "only", f"use --backend {' or '.join(sound)} with a sound model")
    raise UnsupportedRequest(
        f"this segment is on a video track; the {backend.name} backend makes sound only",
        f"put the segment on an audio track, or use --backend {', '.join(pictures)}")


def _check_model(request: GenerationRequest, backend: Any, *, inputs_pending: bool,
                 previz_hint: str) -> None:
    """A model backend needs a model of one of its pipeline classes that takes the
    request's inputs (checked later when they are still to come)."""
    if request.model is None:
        raise UnsupportedRequest(
            f"the {backend.name} backend needs a model",
            "pass --model with a Hugging Face repo id or a local pipeline folder "
            f"(`takeline models list` shows installed ones){previz_hint}")
    if request.model.pipeline_class not in backend.pipeline_classes:
        raise UnsupportedRequest(
            f"{request.model.id} is a {request.model.pipeline_class} model; the "
            f"{backend.name} backend needs one of {', '.join(backend.pipeline_classes)}")
    if not inputs_pending:
        backend.check_model(request.model.pipeline_class, request.inputs)


def _backends() -> list[Any]:
    from generation.backends import BACKENDS

    return list(BACKENDS.values())


def _plan_audio(request: GenerationRequest, backend: Any, *, inputs_pending: bool
                ) -> list[JobSpec]:
    """An audio segment: one take of sound as long as the segment (``audio_end_in_s``, or
    the backend's own argument for it),
    placed from the segment's first sample; the model's own rate is conformed to the
    sequence rate by PyAV's resampler when it plays (``timeline.media.audio``)."""
    if request.size is not None:
        raise UnsupportedRequest("an audio segment has no picture size", "leave --size out")
    _check_model(request, backend, inputs_pending=inputs_pending, previz_hint="")
    assert request.model is not None
    seconds = Fraction(request.segment_frames) / request.sequence_fps
    limit = backend.max_seconds(request.model.path)
    if limit is not None and seconds > limit:
        raise UnsupportedRequest(
            f"the segment is {float(seconds):.2f} s; {request.model.id} makes at most "
            f"{float(limit):.2f} s of sound per take (its transformer's sample_size x the "
            "VAE's hop length / its sampling rate)",
            "shorten the segment, or split it into several segments")
    call: dict[str, Any] = backend.audio_call(
        prompt=request.prompt, negative_prompt=request.negative_prompt,
        seconds=float(seconds), steps=request.steps or backend.default_steps,
        guidance=(backend.default_guidance if request.guidance is None
                  else request.guidance))
    backend.check_call(call)
    conform = Conform(frame_map="native", take_frames=request.segment_frames,
                      take_fps=request.sequence_fps, segment_frames=request.segment_frames,
                      sequence_fps=request.sequence_fps)
    model = request.model
    inputs = JobInputs.from_json(request.inputs)
    return [
        JobSpec(
            backend=backend.name, seed=seed, call=call,
            fps=format_rate(request.sequence_fps), model=model.id, model_path=model.path,
            model_revision=model.revision, pipeline_class=model.pipeline_class,
            inputs=inputs, memory_mode=request.memory_mode, device=request.device,
            dtype=request.dtype, conform=conform.to_json(),
            conditioning_version=request.conditioning_version,
        )
        for seed in seeds_for(request)
    ]


def plan(request: GenerationRequest, *, inputs_pending: bool = False) -> list[JobSpec]:
    """``inputs_pending``: context inputs are added after planning (sub-range
    regeneration), so the model-specific input check is left to the caller."""
    if request.shots:
        return _plan_shots(request)
    backend = get_backend(request.backend)
    if request.segment_frames < 1:
        raise UnsupportedRequest("the segment has no frames")
    if request.memory_mode not in MEMORY_MODES:
        raise UnsupportedRequest(f"memory mode must be one of {', '.join(MEMORY_MODES)}")
    check_choices(request, backend.needs_model)
    check_media(request, backend)
    backend.check_inputs(request.inputs)
    if request.media == "audio":
        return _plan_audio(request, backend, inputs_pending=inputs_pending)
    c = backend.constraints
    seq_w, seq_h = request.sequence_size
    if backend.needs_model:
        _check_model(request, backend, inputs_pending=inputs_pending,
                     previz_hint=", or use --backend previz")
        assert request.model is not None
        fps = c.native_fps
        seconds = Fraction(request.segment_frames) / request.sequence_fps
        frames = c.frames_for(max(1, math.ceil(seconds * fps)))
        if frames > c.max_frames:
            raise UnsupportedRequest(
                f"the segment is {float(seconds):.2f} s; {backend.name} makes at most "
                f"{c.max_frames} frames ({float(c.max_frames / fps):.2f} s at {fps} fps) "
                "per take", "split the segment, or regenerate it in sub-ranges")
        width, height = request.size or c.size_for(Fraction(seq_w, seq_h))
        frame_map = "native"
    else:
        # Previz renders the segment itself: sequence size, sequence rate, frame for frame.
        fps = request.sequence_fps
        frames = request.segment_frames
        width, height = request.size or (seq_w - seq_w % 2, seq_h - seq_h % 2)
        frame_map = "retime"
    call: dict[str, Any] = {
        "prompt": request.prompt,
        "height": height,
        "width": width,
        "num_frames": frames,
    }
    if backend.needs_model:
        call["num_inference_steps"] = request.steps or backend.default_steps
        call["negative_prompt"] = request.negative_prompt
        call["guidance_scale"] = (backend.default_guidance if request.guidance is None
                                  else request.guidance)
        if request.max_sequence_length:
            call["max_sequence_length"] = request.max_sequence_length
        if backend.name == "ltx":
            call["frame_rate"] = int(fps)
        if backend.name == "ltx2":
            # The positional embedding's rate and the sound's length (num_frames / rate s).
            call["frame_rate"] = float(fps)
        if backend.name == "wan-animate":
            call["mode"] = request.animate_mode or "animate"
    if request.animate_mode is not None and backend.name != "wan-animate":
        raise UnsupportedRequest(f"the {backend.name} backend has no animate mode",
                                 "choose --backend wan-animate, or leave the mode out")
    backend.check_call(call)
    conform = Conform(frame_map=frame_map, take_frames=frames, take_fps=fps,
                      segment_frames=request.segment_frames,
                      sequence_fps=request.sequence_fps)
    model = request.model
    inputs = JobInputs.from_json(request.inputs)
    return [
        JobSpec(
            backend=backend.name, seed=seed, call=call, fps=format_rate(fps),
            model=model.id if model else None, model_path=model.path if model else None,
            model_revision=model.revision if model else None,
            pipeline_class=model.pipeline_class if model else None,
            inputs=inputs, memory_mode=request.memory_mode, device=request.device,
            dtype=request.dtype, conform=conform.to_json(),
            conditioning_version=request.conditioning_version,
        )
        for seed in seeds_for(request)
    ]
