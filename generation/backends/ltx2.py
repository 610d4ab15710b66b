"""LTX-2 through diffusers' ``LTX2Pipeline`` / ``LTX2ConditionPipeline``: one denoising pass
makes the picture and its sound together. The picture is the video segment's take (lossless,
as every video take); the sound is an audio take (a float WAV of the vocoder's exact samples)
of a generated audio segment linked to the video segment (``services.generation_queue``).

Rules read from the pipeline: height and width multiples of 32, frames 8k+1 (the video VAE's
8x temporal compression; ``(num_frames - 1) // 8 + 1`` latent frames), ``frame_rate`` feeds
the positional embedding and sets the sound's length (``num_frames / frame_rate`` seconds).
The sound comes at the vocoder's ``output_sampling_rate`` (24 kHz for the published model).
It takes no pictures, control video, masks or audio references here, and regenerates whole
segments only (a range would remake the sound unlike its picture); it says so before loading.
"""

from __future__ import annotations

from collections.abc import Collection
from fractions import Fraction
from typing import Any

import numpy as np

from generation.backends.base import (
    Capabilities,
    Constraints,
    DiffusersBackend,
    RunOutput,
    UnsupportedRequest,
)


class Ltx2Backend(DiffusersBackend):
    name = "ltx2"
    label = "LTX-2 (picture and sound in one pass)"
    pipeline_classes = ("LTX2Pipeline", "LTX2ConditionPipeline")
    capabilities = Capabilities(text=True, audio_out=True)
    constraints = Constraints(frame_multiple=8, frame_remainder=1, max_frames=257,
                              size_multiple=32, native_fps=Fraction(24),
                              default_pixels=768 * 512)
    default_steps = 40
    default_guidance = 4.0
    makes = ("video",)  # on video tracks; its sound lands on a linked audio segment
    sound_with_picture = True

    def check_inputs(self, inputs: Collection[str]) -> None:
        if "splice" in inputs or "audio_splice" in inputs:
            raise UnsupportedRequest(
                "the ltx2 backend regenerates whole segments only (a range of its picture "
                "would need its sound remade with it)",
                "regenerate the whole segment, or use wan-vace for a picture range")
        if "shots" in inputs:
            raise UnsupportedRequest("the ltx2 backend makes one shot per segment",
                                     "remove the segment's shots, or use wan or ltx")
        super().check_inputs(inputs)

    def finish(self, pipe: Any, out: Any, output: RunOutput) -> RunOutput:
        audio = out.audio
        if hasattr(audio, "detach"):
            audio = audio.detach().float().cpu().numpy()
        audio = np.ascontiguousarray(np.asarray(audio)[0], dtype=np.float32)
        vocoder = getattr(pipe, "vocoder", None)
        rate = getattr(getattr(vocoder, "config", None), "output_sampling_rate", None)
        if rate is None:
            rate = pipe.audio_vae.config.sample_rate
        output.audio, output.sample_rate = audio, int(rate)
        output.facts["audio"] = {"sample_rate": int(rate), "vocoder": type(vocoder).__name__}
        return output
