"""The one small protocol every backend implements, and the shared diffusers machinery.

A backend declares what it can take (``Capabilities``) and what its model needs
(``Constraints``); the planner uses both to turn a segment into valid model parameters before
anything is loaded. ``load`` and ``run`` happen in the worker process; torch and diffusers are
imported only inside them, never when this module is imported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from generation.messages import FailureKind
from generation.spec import JobSpec

ProgressFn = Callable[[int, int], None]  # (steps done, steps total)
CancelFn = Callable[[], bool]


class GenerationError(Exception):
    """A job cannot run; ``suggestion`` says what the user can do about it."""

    kind: FailureKind = FailureKind.ERROR

    def __init__(self, message: str, suggestion: str = "") -> None:
        super().__init__(message)
        self.suggestion = suggestion


class UnsupportedRequest(GenerationError):
    """The backend cannot take what was asked (found before any model is loaded)."""

    kind = FailureKind.UNSUPPORTED


class ModelLoadError(GenerationError):
    kind = FailureKind.MODEL


class OutOfMemory(GenerationError):
    kind = FailureKind.OOM


class JobCancelled(Exception):
    """Raised from the step callback: stops the denoising loop before the VAE decode."""


@dataclass(frozen=True)
class Capabilities:
    text: bool = True
    first_frame: bool = False
    last_frame: bool = False
    reference_images: bool = False
    control_video: bool = False
    temporal_mask: bool = False
    audio_out: bool = False
    scene: bool = False  # draws camera paths and poses itself (previz)

    def names(self) -> list[str]:
        return [k for k, v in self.__dict__.items() if v]


@dataclass(frozen=True)
class Constraints:
    frame_multiple: int = 1  # frame count = frame_multiple * k + frame_remainder
    frame_remainder: int = 0
    max_frames: int = 100_000
    size_multiple: int = 1
    native_fps: Fraction = Fraction(24)
    default_pixels: int = 832 * 480  # the area the model was trained around

    def frames_for(self, needed: int) -> int:
        """The smallest valid frame count that is at least ``needed``."""
        if needed <= self.frame_remainder:
            return max(self.frame_remainder, 1)
        k = math.ceil((needed - self.frame_remainder) / self.frame_multiple)
        return self.frame_multiple * k + self.frame_remainder

    def valid_frames(self, n: int) -> bool:
        return n >= 1 and (n - self.frame_remainder) % self.frame_multiple == 0

    def size_for(self, aspect: Fraction, pixels: int | None = None) -> tuple[int, int]:
        """A width x height near ``pixels`` at ``aspect``, both multiples of size_multiple."""
        pixels = pixels or self.default_pixels
        m = self.size_multiple
        h = math.sqrt(pixels / float(aspect))
        w = h * float(aspect)
        return max(m, round(w / m) * m), max(m, round(h / m) * m)


@dataclass
class RunOutput:
    frames: Iterable[np.ndarray]  # each (H, W, 3) uint8: what the model produced, in order
    facts: dict[str, Any] = field(default_factory=dict)  # recorded in the recipe


class Backend:
    """Base of all backends. Subclasses set the class attributes and implement ``run``."""

    name: str = ""
    label: str = ""
    pipeline_classes: tuple[str, ...] = ()
    capabilities: Capabilities = Capabilities()
    constraints: Constraints = Constraints()
    default_steps: int = 30
    default_guidance: float = 5.0
    needs_model: bool = True

    def drives_folder(self, pipeline_class: str) -> bool:
        """Whether a pipeline folder whose ``model_index.json`` names this class holds what
        this backend loads (``generation.installed_models`` lists installed models by it)."""
        return pipeline_class in self.pipeline_classes

    def steps_total(self, call: dict[str, Any]) -> int:
        """How many progress steps a run reports."""
        return int(call.get("num_inference_steps", self.default_steps))

    def check_model(self, pipeline_class: str, inputs: Collection[str]) -> None:
        """Refuse inputs the chosen model (not just the family) cannot take. ``inputs``:
        the names of those given (a ``JobInputs``, or a request's JSON dict)."""
        return None

    def frames_refusal(self, pipeline_class: str | None) -> tuple[str, str] | None:
        """Why the chosen model (its pipeline class; None: not chosen yet) cannot take
        first/last-frame pictures although its family can, as (why, what to do instead);
        None when it can. A family may have text-only and image-conditioned variants."""
        return None

    def takes_frames(self, pipeline_class: str | None) -> bool:
        """Whether this model keeps given first/last frames (regenerating a range without
        a temporal mask keeps its context that way)."""
        return self.capabilities.first_frame and self.frames_refusal(pipeline_class) is None

    def check_inputs(self, inputs: Collection[str]) -> None:
        """Refuse conditioning this backend cannot take, naming it (before any load).
        ``inputs``: the names of those given (a ``JobInputs``, or a request's JSON dict)."""
        wanted = {
            "image": "first_frame", "last_image": "last_frame",
            "reference_images": "reference_images", "video": "control_video",
            "mask": "temporal_mask", "conditions": "first_frame", "scene": "scene",
        }
        for key in inputs:
            if key in ("splice", "shots"):
                continue  # applied after the model ran / one run per shot (generation.execute)
            cap = wanted.get(key)
            if cap is None:
                raise UnsupportedRequest(f"unknown conditioning input {key!r}")
            if not getattr(self.capabilities, cap):
                raise UnsupportedRequest(
                    f"the {self.name} backend cannot take {cap.replace('_', ' ')} "
                    f"conditioning (it takes: {', '.join(self.capabilities.names())})",
                    "choose a backend that supports it (wan-vace takes control video, "
                    "masks and reference images; wan and ltx take first/last frames)",
                )

    def check_call(self, call: dict[str, Any]) -> None:
        n = call.get("num_frames")
        c = self.constraints
        if n is not None and not c.valid_frames(n):
            raise UnsupportedRequest(
                f"{self.name} makes {c.frame_multiple}k+{c.frame_remainder} frames; {n} is not "
                f"one (nearest valid: {c.frames_for(n)})")
        if n is not None and n > c.max_frames:
            raise UnsupportedRequest(
                f"{self.name} makes at most {c.max_frames} frames per run; {n} asked",
                "shorten the segment, or split it into several segments")
        for key in ("height", "width"):
            v = call.get(key)
            if v is not None and v % c.size_multiple:
                raise UnsupportedRequest(
                    f"{self.name} needs {key} to be a multiple of {c.size_multiple}; got {v}")

    def run(self, spec: JobSpec, progress: ProgressFn, cancelled: CancelFn,
            cache: dict[str, Any]) -> RunOutput:
        raise NotImplementedError


# ---------------------------------------------------------------------- diffusers


def library_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("torch", "diffusers", "transformers", "accelerate", "av", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def to_uint8_frames(video: Any) -> np.ndarray:
    """Pipeline ``output_type="np"`` frames (batch, F, H, W, C) floats in [0, 1] -> (F, H, W,
    3) uint8, rounded the way diffusers' own ``numpy_to_pil`` / ``export_to_video`` do."""
    arr = np.asarray(video)
    if arr.ndim == 5:
        arr = arr[0]
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.ascontiguousarray(arr[..., :3])


class DiffusersBackend(Backend):
    """Loads a diffusers pipeline folder safely and runs it with progress and cancel."""

    def resolve_device_dtype(self, spec: JobSpec) -> tuple[str, Any]:
        import torch

        device = spec.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelLoadError("this job asks for a CUDA GPU and none is available",
                                 "re-run with --device cpu (slow), or on a machine with a GPU")
        name = spec.dtype
        if name == "auto":
            name = "bfloat16" if device.startswith("cuda") else "float32"
        try:
            dtype = getattr(torch, name)
        except AttributeError:
            raise ModelLoadError(f"unknown dtype {name!r}") from None
        return device, dtype

    def load(self, spec: JobSpec, device: str, dtype: Any) -> tuple[Any, str]:
        import diffusers

        if spec.model_path is None or not (Path(spec.model_path) / "model_index.json").exists():
            raise ModelLoadError(
                f"model {spec.model!r} is not installed (no pipeline folder at "
                f"{spec.model_path})",
                f"run `takeline models pull {spec.model}` where a network exists, or pass "
                "--model with the folder of a diffusers pipeline")
        try:
            pipe = diffusers.DiffusionPipeline.from_pretrained(
                spec.model_path, dtype=dtype, use_safetensors=True,
                local_files_only=True, trust_remote_code=False,
            )
        except Exception as exc:  # diffusers raises many kinds; all mean "cannot load"
            raise ModelLoadError(
                f"could not load {spec.model}: {type(exc).__name__}: {exc}",
                "check that the folder is a complete diffusers pipeline with .safetensors "
                "weights (`takeline models list` shows what is installed)") from None
        cls = type(pipe).__name__
        if cls not in self.pipeline_classes:
            raise ModelLoadError(
                f"{spec.model} is a {cls} model; the {self.name} backend needs one of "
                f"{', '.join(self.pipeline_classes)}",
                "choose the backend that matches the model (see `takeline models list`)")
        # A backend may drive a sibling class with the same components (e.g. a plain LTX
        # repo through LTXConditionPipeline); from_pipe shares the weights, no copy.
        want = spec.pipeline_class or self.pipeline_classes[0]
        if cls != want:
            pipe = getattr(diffusers, want).from_pipe(pipe)
        mode = self.apply_memory_mode(pipe, spec, device)
        if spec.vae_tiling and hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
        pipe.set_progress_bar_config(disable=True)
        return pipe, mode

    def apply_memory_mode(self, pipe: Any, spec: JobSpec, device: str) -> str:
        """Place the pipeline; ``auto`` picks from free VRAM against the weights' size."""
        mode = spec.memory_mode
        if not device.startswith("cuda"):
            pipe.to(device)
            return "cpu"
        if mode == "auto":
            import torch

            free, _total = torch.cuda.mem_get_info()
            weights = sum(
                p.numel() * p.element_size()
                for name in getattr(pipe, "components", {})
                for p in getattr(getattr(pipe, name), "parameters", lambda: [])()
            )
            if free > weights * 1.5 + (4 << 30):
                mode = "gpu"
            elif free > weights * 0.6:
                mode = "model-offload"
            else:
                mode = "group-offload"
        if mode == "gpu":
            pipe.to(device)
        elif mode == "model-offload":
            pipe.enable_model_cpu_offload(device=device)
        elif mode == "sequential-offload":
            pipe.enable_sequential_cpu_offload(device=device)
        elif mode == "group-offload":
            import torch

            for name in ("transformer", "transformer_2"):
                model = getattr(pipe, name, None)
                if model is not None:
                    model.enable_group_offload(
                        onload_device=torch.device(device), offload_type="block_level",
                        num_blocks_per_group=1, use_stream=True)
            for name, comp in pipe.components.items():
                if name not in ("transformer", "transformer_2") and hasattr(comp, "to"):
                    comp.to(device)
        else:
            raise ModelLoadError(f"unknown memory mode {mode!r}")
        return mode

    def pipeline_inputs(self, spec: JobSpec) -> dict[str, Any]:
        """Conditioning files -> pipeline arguments (images, videos, masks)."""
        return {}

    def call_args(self, spec: JobSpec) -> dict[str, Any]:
        """The job's ``call`` as this pipeline names its arguments."""
        return dict(spec.call)

    def run(self, spec: JobSpec, progress: ProgressFn, cancelled: CancelFn,
            cache: dict[str, Any]) -> RunOutput:
        import torch

        self.check_inputs(spec.inputs)
        self.check_call(spec.call)
        device, dtype = self.resolve_device_dtype(spec)
        key = spec.model_key
        if cache.get("key") != key:
            cache.clear()  # drop the old pipeline before loading the next one
            t0 = time.perf_counter()
            cache["pipe"], cache["mode"] = self.load(spec, device, dtype)
            cache["key"], cache["load_s"] = key, time.perf_counter() - t0
        pipe, mode = cache["pipe"], cache["mode"]
        total = int(spec.call.get("num_inference_steps", self.default_steps))

        def on_step(_pipe: Any, step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
            progress(step + 1, total)
            if cancelled():
                raise JobCancelled()
            return kwargs

        args = {**self.call_args(spec), **self.pipeline_inputs(spec)}
        generator = torch.Generator("cpu").manual_seed(spec.seed)
        t0 = time.perf_counter()
        try:
            out = pipe(**args, generator=generator, output_type="np",
                       callback_on_step_end=on_step)
        except torch.cuda.OutOfMemoryError:
            raise OutOfMemory(
                f"the GPU ran out of memory in {mode} mode",
                "choose a lower memory mode (model-offload, group-offload or "
                "sequential-offload), fewer frames or a smaller size") from None
        frames = to_uint8_frames(out.frames)
        if device.startswith("cuda"):
            peak = torch.cuda.max_memory_allocated()
        else:
            peak = None
        facts = {
            "pipeline_class": type(pipe).__name__,
            "scheduler": {"class": type(pipe.scheduler).__name__,
                          "config": _jsonable(dict(pipe.scheduler.config))},
            "dtype": str(dtype).removeprefix("torch."),
            "device": device,
            "memory_mode": mode,
            "attention_backend": "default",
            "tf32": bool(torch.backends.cuda.matmul.allow_tf32),
            "libraries": library_versions(),
            "seconds": {"load": round(cache.get("load_s", 0.0), 3),
                        "generate": round(time.perf_counter() - t0, 3)},
            "cuda_peak_bytes": peak,
        }
        cache["load_s"] = 0.0
        return RunOutput(frames=frames, facts=facts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def load_image(path: str) -> Any:
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("RGB")


def load_video_frames(path: str) -> list[Any]:
    """A control/context video file -> PIL frames (every frame, in order)."""
    import av
    from PIL import Image

    out = []
    with av.open(path) as container:
        for frame in container.decode(video=0):
            out.append(Image.fromarray(frame.to_ndarray(format="rgb24")))
    return out
