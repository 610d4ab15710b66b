"""Previz scene rendering: a reference plate seen through a camera path, with pose
skeletons on top (or the pose maps alone, as a VACE control video). Used by the previz
backend, the control-video compiler in ``generation.brief_compiler`` and the camera editor's
preview; it imports no backend, so the backends can use it without an import cycle."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from timeline.conditioning.camera import CameraPath
from timeline.conditioning.pose import PoseTrack, render_pose_map
from timeline.conditioning.scene import (
    default_plate,
    fit_plate,
    overlay,
    render_depth_view,
    render_plate_view,
)


def take_frame_times(n: int, take_fps: Fraction, sequence_fps: Fraction) -> list[float]:
    """Take frame i happens at sequence frame i * sequence_fps / take_fps (fractional)."""
    return [float(Fraction(i) * sequence_fps / take_fps) for i in range(n)]


def load_plate(plate: Mapping[str, Any] | None, width: int, height: int) -> np.ndarray:
    if plate is None:
        return default_plate(width, height)
    from PIL import Image

    with Image.open(plate["path"]) as im:
        return fit_plate(np.asarray(im.convert("RGB")), width, height)


def load_depth_map(depth: Mapping[str, Any], width: int, height: int) -> np.ndarray:
    """A depth map picture (grey, near bright; 8 or 16 bits) cover-fitted as the plate is,
    as (height, width) float32 in 0..1."""
    from PIL import Image, ImageOps

    with Image.open(depth["path"]) as im:
        grey = im.convert("I;16") if im.mode in ("I;16", "I;16B", "I") else im.convert("L")
        top = 65535.0 if grey.mode == "I;16" else 255.0
        fitted = ImageOps.fit(grey.convert("F"), (width, height), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(fitted, dtype=np.float32) / top, 0.0, 1.0)


def scene_frames(*, camera: CameraPath | None, poses: PoseTrack | None,
                 plate: np.ndarray | None, times: list[float], fps: float, width: int,
                 height: int, pose_only: bool = False, max_width: int = 960,
                 depth: np.ndarray | None = None):
    """Yield (H, W, 3) uint8 frames: the plate through each time's camera with the
    skeletons on top, or the pose maps alone (``pose_only``: a VACE control video). The
    plate is re-projected at most ``max_width`` wide and scaled up: the previz is a sketch,
    and re-projection is the expensive part. With a ``depth`` map of the plate ((H, W) in
    0..1, near = 1) the plate is lifted off its plane by it (``render_depth_view``)."""
    from PIL import Image

    from timeline.priority import opencv

    cv2 = opencv()

    rw, rh = width, height
    if width > max_width:
        rw, rh = max_width, max(2, round(height * max_width / width))
    small = None if pose_only else (
        fit_plate(plate, rw, rh) if plate is not None else default_plate(rw, rh))
    small_depth = None
    if depth is not None and not pose_only:
        small_depth = depth if depth.shape == (rh, rw) else np.asarray(
            Image.fromarray(depth.astype(np.float32), mode="F").resize(
                (rw, rh), Image.Resampling.BILINEAR), dtype=np.float32)
    for t in times:
        if pose_only:
            frame = np.zeros((height, width, 3), np.uint8)
        else:
            assert small is not None
            if camera is None:
                view = small
            elif small_depth is not None:
                view = render_depth_view(small, small_depth, camera.at(t, fps),
                                         reference_focal=camera.reference_focal,
                                         distance=camera.distance)
            else:
                view = render_plate_view(small, camera.at(t, fps),
                                         reference_focal=camera.reference_focal,
                                         distance=camera.distance)
            # Bilinear up (OpenCV: a sixth of Pillow's time at 1080p, and no GIL held).
            frame = view if (rw, rh) == (width, height) else cv2.resize(
                view, (width, height), interpolation=cv2.INTER_LINEAR)
        if poses is not None and poses.people:
            skeletons = poses.at(t)
            if skeletons:
                frame = overlay(frame, render_pose_map(skeletons, width, height))
        yield frame
