"""Wan 2.1 / 2.2 through diffusers: text-to-video (``WanPipeline``) and image-to-video with an
optional last frame (``WanImageToVideoPipeline``). Frames 4k+1, sizes a multiple of 16,
16 fps native (Wan 2.1; the 2.2 5B model runs at 24 fps, set by the model's folder)."""

from __future__ import annotations

from collections.abc import Collection
from fractions import Fraction
from typing import Any

from generation.backends.base import (
    Capabilities,
    Constraints,
    DiffusersBackend,
    UnsupportedRequest,
    load_image,
)
from generation.spec import JobSpec


class WanBackend(DiffusersBackend):
    """The text-to-video / image-to-video rule lives here: a ``WanPipeline`` model takes no
    pictures, a ``WanImageToVideoPipeline`` model needs a first frame (and may take a last
    one). The compiler and the range regenerator ask ``frames_refusal`` / ``takes_frames``."""

    TEXT_TO_VIDEO = "WanPipeline"
    IMAGE_TO_VIDEO = "WanImageToVideoPipeline"

    name = "wan"
    label = "Wan 2.x (text / image to video)"
    pipeline_classes = (TEXT_TO_VIDEO, IMAGE_TO_VIDEO)
    capabilities = Capabilities(text=True, first_frame=True, last_frame=True)
    constraints = Constraints(frame_multiple=4, frame_remainder=1, max_frames=121,
                              size_multiple=16, native_fps=Fraction(16),
                              default_pixels=832 * 480)
    default_steps = 30
    default_guidance = 5.0

    def frames_refusal(self, pipeline_class: str | None) -> tuple[str, str] | None:
        if pipeline_class == self.TEXT_TO_VIDEO:
            return ("it is text-to-video",
                    "use a Wan image-to-video or VACE model, or remove the reference")
        return None

    def check_model(self, pipeline_class: str, inputs: Collection[str]) -> None:
        if self.frames_refusal(pipeline_class) and ({"image", "last_image"} & set(inputs)):
            raise UnsupportedRequest(
                "this Wan model is text-to-video (WanPipeline) and cannot take first/last "
                "frames", "use an image-to-video Wan model (WanImageToVideoPipeline)")
        if pipeline_class == self.IMAGE_TO_VIDEO and "image" not in inputs:
            raise UnsupportedRequest(
                "this Wan model is image-to-video and needs a first frame",
                "add a first_frame reference, or use the clip before the segment as context")

    def pipeline_inputs(self, spec: JobSpec) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if spec.inputs.image is not None:
            out["image"] = load_image(spec.inputs.image.path)
        if spec.inputs.last_image is not None:
            out["last_image"] = load_image(spec.inputs.last_image.path)
        return out
