"""LTX-Video through ``LTXConditionPipeline``: images (or video) as conditions at frame
indices, so first frame, last frame and keyframes in between. Frames 8k+1, sizes a multiple
of 32, made at the sequence-friendly 24 fps (``frame_rate`` feeds the positional
embedding)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from generation.backends.base import Capabilities, Constraints, DiffusersBackend, load_image
from generation.spec import JobSpec


class LtxBackend(DiffusersBackend):
    name = "ltx"
    label = "LTX-Video (conditions at frame indices)"
    pipeline_classes = ("LTXConditionPipeline", "LTXPipeline", "LTXImageToVideoPipeline")
    capabilities = Capabilities(text=True, first_frame=True, last_frame=True)
    constraints = Constraints(frame_multiple=8, frame_remainder=1, max_frames=257,
                              size_multiple=32, native_fps=Fraction(24),
                              default_pixels=768 * 512)
    default_steps = 40
    default_guidance = 3.0

    def drives_folder(self, pipeline_class: str) -> bool:
        # Any LTX-Video pipeline folder (not LTX-2, not the latent upsampler) has the
        # components LTXConditionPipeline loads.
        return super().drives_folder(pipeline_class) or (
            pipeline_class.startswith("LTX") and not pipeline_class.startswith("LTX2")
            and "Upsample" not in pipeline_class)

    def pipeline_inputs(self, spec: JobSpec) -> dict[str, Any]:
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        conditions = []
        n = spec.call["num_frames"]
        first, last = spec.inputs.image, spec.inputs.last_image
        if first is not None:
            conditions.append(LTXVideoCondition(
                image=load_image(first.path), frame_index=0,
                strength=1.0 if first.strength is None else first.strength))
        if last is not None:
            # Condition frame indices must sit on latent frame boundaries (multiples of 8).
            conditions.append(LTXVideoCondition(
                image=load_image(last.path), frame_index=n - 1,
                strength=1.0 if last.strength is None else last.strength))
        for c in spec.inputs.conditions or ():
            conditions.append(LTXVideoCondition(
                image=load_image(c.path), frame_index=c.frame_index,
                strength=1.0 if c.strength is None else c.strength))
        return {"conditions": conditions} if conditions else {}
