"""Stable Audio Open (1.0 / Small) through diffusers' ``StableAudioPipeline``: text to
sound (effects, ambience, music), 44.1 kHz stereo for the published models, at most
``transformer.sample_size * vae.hop_length / vae.sampling_rate`` seconds per run (47.55 s
for Open 1.0).

The pipeline's own arguments make the call: ``prompt``, ``negative_prompt``,
``audio_end_in_s`` (the take's length; ``audio_start_in_s`` stays 0), ``num_inference_steps``
and ``guidance_scale``. Its output is ``(batch, channels, samples)`` float32 whose peaks
may pass 1.0; the take keeps them (a float WAV).

Sub-range regeneration: ``StableAudioPipeline`` has no inpainting, so a range is made anew
and crossfaded into the take at its seams (``audio_range_mode = "crossfade"``); outside the
range the take's samples are kept bit for bit. Audio references (beat / speech) it cannot
take, and says so before anything is loaded.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import warnings
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from generation.backends.base import (
    CancelFn,
    Capabilities,
    DiffusersBackend,
    JobCancelled,
    OutOfMemory,
    ProgressFn,
    RunOutput,
    UnsupportedRequest,
    _jsonable,
    library_versions,
)
from generation.spec import JobSpec


def _config(folder: Path, name: str) -> dict[str, Any]:
    with (folder / name / "config.json").open(encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{name}/config.json is not an object")
    return data


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Library notes that say nothing to an editor, kept off the terminal: torchsde's
    Brownian tree (the scheduler's noise) reports float rounding at its interval's ends on
    every run, and the Oobleck VAE's weight_norm is deprecated in torch."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Should have", category=UserWarning)
        warnings.filterwarnings("ignore", message=r".*weight_norm", category=FutureWarning)
        yield


class StableAudioBackend(DiffusersBackend):
    name = "stable-audio"
    label = "Stable Audio Open (text to sound)"
    pipeline_classes = ("StableAudioPipeline",)
    capabilities = Capabilities(text=True, audio_out=True)
    makes = ("audio",)
    audio_range_mode = "crossfade"
    default_steps = 100  # the pipeline's own defaults
    default_guidance = 7.0

    def max_seconds(self, model_path: str | None) -> Fraction | None:
        if model_path is None:
            return None
        folder = Path(model_path)
        try:
            sample_size = int(_config(folder, "transformer")["sample_size"])
            vae = _config(folder, "vae")
            hop = math.prod(int(r) for r in vae["downsampling_ratios"])
            rate = int(vae["sampling_rate"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if rate <= 0:
            return None
        return Fraction(sample_size * hop, rate)

    def check_call(self, call: dict[str, Any]) -> None:
        end = call.get("audio_end_in_s")
        if end is None or not end > 0:
            raise UnsupportedRequest("an audio take needs a length (audio_end_in_s > 0)")

    def run(self, spec: JobSpec, progress: ProgressFn, cancelled: CancelFn,
            cache: dict[str, Any]) -> RunOutput:
        import numpy as np
        import torch

        self.check_inputs(spec.inputs)
        self.check_call(spec.call)
        limit = self.max_seconds(spec.model_path)
        if limit is not None and spec.call["audio_end_in_s"] > limit:
            raise UnsupportedRequest(
                f"{spec.model} makes at most {float(limit):.2f} s per take; "
                f"{spec.call['audio_end_in_s']:.2f} s asked",
                "shorten the segment, or split it into several segments")
        device, dtype = self.resolve_device_dtype(spec)
        key = spec.model_key
        if cache.get("key") != key:
            cache.clear()
            t0 = time.perf_counter()
            with _quiet():
                cache["pipe"], cache["mode"] = self.load(spec, device, dtype)
            cache["key"], cache["load_s"] = key, time.perf_counter() - t0
        pipe, mode = cache["pipe"], cache["mode"]
        total = int(spec.call.get("num_inference_steps", self.default_steps))

        # StableAudioPipeline reports steps through the older ``callback`` (no
        # callback_on_step_end); raising from it stops before the VAE decode all the same.
        def on_step(step: int, _t: Any, _latents: Any) -> None:
            progress(step + 1, total)
            if cancelled():
                raise JobCancelled()

        generator = torch.Generator("cpu").manual_seed(spec.seed)
        t0 = time.perf_counter()
        try:
            with _quiet():
                out = pipe(**spec.call, generator=generator, output_type="np",
                           callback=on_step, callback_steps=1)
        except torch.cuda.OutOfMemoryError:
            raise OutOfMemory(
                f"the GPU ran out of memory in {mode} mode",
                "choose a lower memory mode (model-offload or sequential-offload), or a "
                "shorter segment") from None
        audio = np.ascontiguousarray(np.asarray(out.audios)[0], dtype=np.float32)
        rate = int(pipe.vae.config.sampling_rate)
        peak = torch.cuda.max_memory_allocated() if device.startswith("cuda") else None
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
            "max_seconds": None if limit is None else float(limit),
        }
        cache["load_s"] = 0.0
        return RunOutput(frames=[], facts=facts, audio=audio, sample_rate=rate)
