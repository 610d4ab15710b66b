"""Wan 2.2 Animate (``WanAnimatePipeline``): character animation. A character picture
(``image``: the segment's character reference or its cast member's picture) is driven by a
pose video: the segment's pose keyframes drawn as OpenPose maps, or a motion clip given as
the control video (a pose video made elsewhere). The face video the model also needs is
the character picture's centre held still (the character keeps its expression), or the
motion clip's own frames.

Modes (``call["mode"]``, chosen with ``GenerationRequest.animate_mode``): ``animate`` moves
the character in its own picture's world; ``replace`` would put it into footage (a
background video and a mask of where it goes), which Takeline does not make yet, so it is
refused before anything loads. Frames 4k+1 per segment of ``segment_frame_length``; the
planner's ``num_frames`` becomes the pose video's length and the segment length, so one
run is one segment."""

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
    load_video_frames,
)
from generation.spec import JobSpec

MODES = ("animate", "replace")


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise UnsupportedRequest(f"Wan Animate's mode is one of {', '.join(MODES)}, not "
                                 f"{mode!r}")
    if mode == "replace":
        raise UnsupportedRequest(
            "Wan Animate's replace mode needs the footage to put the character in and a mask "
            "of where it goes, which Takeline does not make yet", "use the animate mode")


class WanAnimateBackend(DiffusersBackend):
    name = "wan-animate"
    label = "Wan Animate (a character driven by poses)"
    pipeline_classes = ("WanAnimatePipeline",)
    # first_frame: the character picture is the pipeline's ``image``; control_video: the
    # pose video (or a motion clip).
    capabilities = Capabilities(text=True, first_frame=True, control_video=True,
                                reference_images=True)
    constraints = Constraints(frame_multiple=4, frame_remainder=1, max_frames=121,
                              size_multiple=16, native_fps=Fraction(16),
                              default_pixels=832 * 480)
    default_steps = 20
    default_guidance = 1.0

    def check_model(self, pipeline_class: str, inputs: Collection[str]) -> None:
        if "image" not in inputs and "reference_images" not in inputs:
            raise UnsupportedRequest(
                "Wan Animate needs the character's picture",
                "add a character reference, or link a cast member with a picture")
        if "video" not in inputs:
            raise UnsupportedRequest(
                "Wan Animate needs something to drive the character: pose keyframes or a "
                "motion clip", "draw poses in the pose editor, or add a pose video as a "
                "motion reference")

    def check_call(self, call: dict[str, Any]) -> None:
        super().check_call(call)
        check_mode(call.get("mode", "animate"))

    def call_args(self, spec: JobSpec) -> dict[str, Any]:
        call = dict(spec.call)
        call["segment_frame_length"] = call.pop("num_frames")
        return call

    def pipeline_inputs(self, spec: JobSpec) -> dict[str, Any]:
        from PIL import Image, ImageOps

        call, inputs = spec.call, spec.inputs
        n, w, h = call["num_frames"], call["width"], call["height"]
        picture = inputs.image or next(iter(inputs.reference_images or ()), None)
        if picture is None or inputs.video is None or inputs.video.path is None:
            self.check_model(spec.pipeline_class or "", inputs)
            raise UnsupportedRequest("the pose video of this job was never rendered")
        character = load_image(picture.path)
        pose = [f.resize((w, h)) for f in load_video_frames(inputs.video.path)]
        if not pose:
            raise UnsupportedRequest("the pose video has no frames")
        pose = [pose[min(len(pose) - 1, i * len(pose) // n)] for i in range(n)]
        if inputs.video.control == "motion":
            face = [ImageOps.fit(f, (w, w)) for f in pose]
        else:
            face = [ImageOps.fit(character, (w, w), Image.Resampling.BICUBIC)] * n
        return {"image": character, "pose_video": pose, "face_video": face}
