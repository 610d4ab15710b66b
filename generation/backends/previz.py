"""Previz: no model. Renders the segment's brief at the sequence size and rate: the plate
(the first frame, else a style or character picture, else a studio backdrop) seen through
the segment's camera path, its pose keyframes drawn as skeletons on top (a ``scene`` input,
see ``generation.brief_compiler``); without a scene, the reference still or a neutral grey
gradient; a slate with the prompt, the seed and a frame counter; a "PREVIZ" tag so nobody
mistakes it for a generated shot. Instant, deterministic, and always available.

Frames are produced one at a time (a 1080p segment is never held in memory whole).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

from generation.backends.base import (
    Backend,
    CancelFn,
    Capabilities,
    Constraints,
    JobCancelled,
    ProgressFn,
    RunOutput,
    library_versions,
)
from generation.spec import JobSpec


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _background(spec: JobSpec, w: int, h: int) -> np.ndarray:
    from PIL import Image, ImageOps

    still = spec.inputs.image or next(iter(spec.inputs.reference_images or ()), None)
    if still is not None:
        with Image.open(still.path) as im:
            fitted = ImageOps.fit(im.convert("RGB"), (w, h), Image.Resampling.BICUBIC)
        return np.asarray(fitted, dtype=np.uint8).copy()
    # A vertical grey gradient reads as "nothing here yet" without looking broken.
    ramp = np.linspace(72, 40, h, dtype=np.float32)[:, None, None]
    return np.broadcast_to(ramp, (h, w, 3)).astype(np.uint8).copy()


def _backgrounds(spec: JobSpec, n: int, w: int, h: int) -> Iterator[np.ndarray]:
    scene = spec.inputs.scene
    if scene is None:
        base = _background(spec, w, h)
        while True:
            yield base
    from generation.scene import load_depth_map, load_plate, scene_frames
    from timeline.conditioning.camera import CameraPath
    from timeline.conditioning.pose import PoseTrack

    camera = None if scene.camera is None else CameraPath.from_json(scene.camera)
    poses = None if scene.poses is None else PoseTrack.from_json(scene.poses)
    seq_fps = Fraction(scene.sequence_fps or spec.fps)
    # Previz frame i is sequence frame i when it runs at the sequence rate (it does).
    times = [float(Fraction(i) * seq_fps / spec.frame_rate) for i in range(n)]
    yield from scene_frames(camera=camera, poses=poses,
                            plate=load_plate(scene.plate.to_json(), w, h) if scene.plate
                            else None, times=times, fps=float(seq_fps), width=w, height=h,
                            depth=None if scene.depth is None else load_depth_map(
                                scene.depth.to_json(), w, h))


class PrevizBackend(Backend):
    name = "previz"
    label = "Previz (no model)"
    pipeline_classes = ()
    capabilities = Capabilities(text=True, first_frame=True, last_frame=True,
                                reference_images=True, scene=True)
    constraints = Constraints(frame_multiple=1, frame_remainder=0, size_multiple=2,
                              native_fps=Fraction(24))
    default_steps = 1
    default_guidance = 0.0
    needs_model = False

    def steps_total(self, call: dict[str, Any]) -> int:
        return int(call["num_frames"])  # one step per rendered frame

    def frames(self, spec: JobSpec, progress: ProgressFn, cancelled: CancelFn
               ) -> Iterator[np.ndarray]:
        from PIL import Image, ImageDraw

        call = spec.call
        n, w, h = call["num_frames"], call["width"], call["height"]
        backgrounds = _backgrounds(spec, n, w, h)
        scale = max(0.5, h / 540)
        big, small = _font(round(26 * scale)), _font(round(18 * scale))
        lines = textwrap.wrap(call.get("prompt", "") or "(no prompt)", width=60)[:3]
        slate_h = round((30 + 30 * len(lines)) * scale)
        fps = spec.frame_rate
        for i in range(n):
            if cancelled():
                raise JobCancelled()
            im = Image.fromarray(next(backgrounds))
            d = ImageDraw.Draw(im, "RGBA")
            d.rectangle((0, h - slate_h, w, h), fill=(0, 0, 0, 170))
            y = h - slate_h + round(8 * scale)
            for line in lines:
                d.text((round(12 * scale), y), line, font=big, fill=(240, 240, 240, 255))
                y += round(30 * scale)
            seconds = Fraction(i) / fps
            d.text((round(12 * scale), h - round(26 * scale)),
                   f"seed {spec.seed}   frame {i + 1}/{n}   {float(seconds):6.2f} s",
                   font=small, fill=(200, 200, 200, 255))
            tag = "PREVIZ"
            tw = d.textlength(tag, font=big)
            d.rectangle((w - tw - 24 * scale, 8 * scale, w - 8 * scale, 44 * scale),
                        fill=(200, 40, 140, 220))
            d.text((w - tw - 16 * scale, 12 * scale), tag, font=big, fill=(255, 255, 255, 255))
            progress(i + 1, n)
            yield np.asarray(im, dtype=np.uint8)

    def run(self, spec: JobSpec, progress: ProgressFn, cancelled: CancelFn,
            cache: dict[str, Any]) -> RunOutput:
        self.check_inputs(spec.inputs)
        return RunOutput(
            frames=self.frames(spec, progress, cancelled),
            facts={"pipeline_class": None, "device": "cpu", "dtype": "uint8",
                   "memory_mode": "none", "libraries": library_versions()},
        )
