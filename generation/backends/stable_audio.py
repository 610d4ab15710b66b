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

Stable Audio 3 (``stable-audio-3``: ``StableAudio3Pipeline``, ``duration`` instead of
``audio_end_in_s``) where the installed diffusers has it: its range regeneration runs
``StableAudio3InpaintPipeline`` (same weights, ``from_pipe``) over the whole take with the
range masked, so the audio outside the range is the model's context
(``audio_range_mode = "inpaint"``); the inpainted range is then spliced into the take the
same way, so the outside stays the take's own samples bit for bit.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import warnings
from collections.abc import Callable, Iterator
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
    reset_cuda_peak,
    run_facts,
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
    length_arg = "audio_end_in_s"  # the pipeline's argument for the take's length
    range_pipeline_class: str | None = None  # the pipeline a range runs, when another

    def audio_call(self, *, prompt: str, negative_prompt: str, seconds: float, steps: int,
                   guidance: float) -> dict[str, Any]:
        """The pipeline's own keyword arguments for a take ``seconds`` long."""
        return {"prompt": prompt, "negative_prompt": negative_prompt,
                self.length_arg: seconds, "num_inference_steps": steps,
                "guidance_scale": guidance}

    def range_call(self, call: dict[str, Any], *, samples: tuple[int, int],
                   take_samples: int, rate: int) -> dict[str, Any]:
        """The call that makes a range of a take (``generation.subrange``): the range's
        samples anew (crossfade), exactly: int(length * rate) == the range's count (the half
        sample keeps float rounding from losing the last one)."""
        s0, s1 = samples
        return {**call, self.length_arg: (s1 - s0 + 0.5) / rate}

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
        length = call.get(self.length_arg)
        if length is None or not length > 0:
            raise UnsupportedRequest(f"an audio take needs a length ({self.length_arg} > 0)")

    def step_arguments(self, on_step: Callable[[int], None]) -> dict[str, Any]:
        # StableAudioPipeline reports steps through the older ``callback`` (no
        # callback_on_step_end); raising from it stops before the VAE decode all the same.
        return {"callback": lambda step, _t, _latents: on_step(step), "callback_steps": 1}

    def pipeline_inputs(self, spec: JobSpec) -> dict[str, Any]:
        return {}

    def run(self, spec: JobSpec, progress: ProgressFn, cancelled: CancelFn,
            cache: dict[str, Any]) -> RunOutput:
        import numpy as np
        import torch

        self.check_inputs(spec.inputs)
        self.check_call(spec.call)
        limit = self.max_seconds(spec.model_path)
        length = float(spec.call[self.length_arg])
        if limit is not None and length > limit:
            raise UnsupportedRequest(
                f"{spec.model} makes at most {float(limit):.2f} s per take; "
                f"{length:.2f} s asked",
                "shorten the segment, or split it into several segments")
        device, dtype = self.resolve_device_dtype(spec)
        reset_cuda_peak(device)
        key = spec.model_key
        if cache.get("key") != key:
            cache.clear()
            t0 = time.perf_counter()
            with _quiet():
                cache["pipe"], cache["mode"] = self.load(spec, device, dtype)
            cache["key"], cache["load_s"] = key, time.perf_counter() - t0
        pipe, mode = cache["pipe"], cache["mode"]
        total = int(spec.call.get("num_inference_steps", self.default_steps))

        def on_step(step: int) -> None:
            progress(step + 1, total)
            if cancelled():
                raise JobCancelled()

        generator = torch.Generator("cpu").manual_seed(spec.seed)
        t0 = time.perf_counter()
        try:
            with _quiet():
                out = pipe(**spec.call, **self.pipeline_inputs(spec), generator=generator,
                           output_type="np", **self.step_arguments(on_step))
        except torch.cuda.OutOfMemoryError:
            raise OutOfMemory(
                f"the GPU ran out of memory in {mode} mode",
                "choose a lower memory mode (model-offload or sequential-offload), or a "
                "shorter segment") from None
        audio = np.ascontiguousarray(np.asarray(out.audios)[0], dtype=np.float32)
        rate = int(pipe.vae.config.sampling_rate)
        facts = {**run_facts(pipe, dtype, device, mode, cache, t0),
                 "max_seconds": None if limit is None else float(limit)}
        return RunOutput(frames=[], facts=facts, audio=audio, sample_rate=rate)


class StableAudio3Backend(StableAudioBackend):
    """Stable Audio 3 (text to sound; ``duration``), and its inpainting for ranges."""

    TEXT_TO_AUDIO = "StableAudio3Pipeline"
    INPAINT = "StableAudio3InpaintPipeline"

    name = "stable-audio-3"
    label = "Stable Audio 3 (text to sound, inpainting)"
    pipeline_classes = (TEXT_TO_AUDIO, INPAINT)
    audio_range_mode = "inpaint"
    # A range runs the inpainting pipeline over the same components (``load``: from_pipe).
    range_pipeline_class = INPAINT
    default_steps = 100  # the base model's (the distilled one's scheduler says 8)
    default_guidance = 1.0  # the pipeline's own: the model bakes guidance in
    length_arg = "duration"

    def range_call(self, call: dict[str, Any], *, samples: tuple[int, int],
                   take_samples: int, rate: int) -> dict[str, Any]:
        # The whole take again, the range masked: the rest is the model's context. The
        # inpainting pipeline takes no guidance_scale or negative_prompt (it has none).
        s0, s1 = samples
        kept = {k: v for k, v in call.items() if k not in ("guidance_scale", "negative_prompt")}
        return {**kept, "duration": (take_samples + 0.5) / rate,
                "mask_start_seconds": s0 / rate, "mask_end_seconds": s1 / rate}

    def max_seconds(self, model_path: str | None) -> Fraction | None:
        if model_path is None:
            return None
        try:
            top = _config(Path(model_path), "duration_embedder")["max_val"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Fraction(str(top)) if isinstance(top, int | float) and top > 0 else None

    def step_arguments(self, on_step: Callable[[int], None]) -> dict[str, Any]:
        def callback(_pipe: Any, step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
            on_step(step)
            return kwargs

        return {"callback_on_step_end": callback}

    def pipeline_inputs(self, spec: JobSpec) -> dict[str, Any]:
        info = spec.inputs.audio_splice
        if info is None:
            return {}
        import torch

        from generation.take_media import read_audio_take

        base, _rate = read_audio_take(Path(info.base_path))
        return {"audio": torch.from_numpy(base)[None]}
