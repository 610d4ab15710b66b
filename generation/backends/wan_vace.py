"""Wan VACE (``WanVACEPipeline``): control video (pose, depth, previz), a per-frame mask
(white regenerates, black keeps) and reference images. The mask is what regenerates a
sub-range with the frames around it kept as context."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from generation.backends.base import (
    Capabilities,
    Constraints,
    DiffusersBackend,
    UnsupportedRequest,
    load_image,
    load_video_frames,
)
from generation.spec import JobSpec


def depth_video(pictures: list[Any], depth_model: str | None) -> list[Any]:
    """The depth maps of the control video's pictures (a reference clip or the previz
    plate), as VACE's depth control frames."""
    import numpy as np
    from PIL import Image

    from generation.backends.depth import depth_control_frames, estimate_depth
    from generation.depth_models import resolve_depth_model

    model = resolve_depth_model(depth_model)
    depth = estimate_depth([np.asarray(p.convert("RGB")) for p in pictures], model.path)
    return [Image.fromarray(f) for f in depth_control_frames(depth)]


class WanVaceBackend(DiffusersBackend):
    name = "wan-vace"
    label = "Wan VACE (control video, masks, references)"
    pipeline_classes = ("WanVACEPipeline",)
    capabilities = Capabilities(text=True, first_frame=True, last_frame=True,
                                reference_images=True, control_video=True, temporal_mask=True)
    constraints = Constraints(frame_multiple=4, frame_remainder=1, max_frames=121,
                              size_multiple=16, native_fps=Fraction(16),
                              default_pixels=832 * 480)
    default_steps = 30
    default_guidance = 5.0

    def pipeline_inputs(self, spec: JobSpec) -> dict[str, Any]:
        from PIL import Image

        call = spec.call
        n, w, h = call["num_frames"], call["width"], call["height"]
        gray = Image.new("RGB", (w, h), (127, 127, 127))
        # Without a control video every frame is neutral grey (VACE's "nothing here").
        inputs = spec.inputs
        if inputs.video is not None:
            if inputs.video.path is None:
                raise UnsupportedRequest(f"the {inputs.video.control} control video of this "
                                         "job was never rendered")
            video = [f.resize((w, h)) for f in load_video_frames(inputs.video.path)]
            if inputs.video.control == "depth" and inputs.video.depth_model is not None:
                # (No depth model: the pictures are a depth map made elsewhere already.)
                video = depth_video(video, inputs.video.depth_model)
            if len(video) != n:
                raise UnsupportedRequest(
                    f"the control video has {len(video)} frames; this job makes {n}")
        else:
            video = [gray] * n
        # First/last frame conditioning = those frames given and kept (mask black).
        regenerate = [True] * n
        if inputs.image is not None:
            video[0] = load_image(inputs.image.path).resize((w, h))
            regenerate[0] = False
        if inputs.last_image is not None:
            video[-1] = load_image(inputs.last_image.path).resize((w, h))
            regenerate[-1] = False
        if inputs.mask is not None:
            # [start, end) ranges of take frames: context frames kept as they are.
            for start, end in inputs.mask.keep:
                for i in range(max(0, start), min(n, end)):
                    regenerate[i] = False
        white = Image.new("L", (w, h), 255)
        black = Image.new("L", (w, h), 0)
        out: dict[str, Any] = {
            "video": video,
            "mask": [white if r else black for r in regenerate],
        }
        refs = inputs.reference_images or ()
        if refs:
            out["reference_images"] = [load_image(r.path) for r in refs]
        return out
