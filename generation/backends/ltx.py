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
        if "image" in spec.inputs:
            conditions.append(LTXVideoCondition(
                image=load_image(spec.inputs["image"]["path"]), frame_index=0,
                strength=spec.inputs["image"].get("strength", 1.0)))
        if "last_image" in spec.inputs:
            # Condition frame indices must sit on latent frame boundaries (multiples of 8).
            conditions.append(LTXVideoCondition(
                image=load_image(spec.inputs["last_image"]["path"]), frame_index=n - 1,
                strength=spec.inputs["last_image"].get("strength", 1.0)))
        for c in spec.inputs.get("conditions", []):
            conditions.append(LTXVideoCondition(
                image=load_image(c["path"]), frame_index=c["frame_index"],
                strength=c.get("strength", 1.0)))
        return {"conditions": conditions} if conditions else {}
