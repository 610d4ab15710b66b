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
from timeline.conditioning.scene import default_plate, fit_plate, overlay, render_plate_view


def take_frame_times(n: int, take_fps: Fraction, sequence_fps: Fraction) -> list[float]:
    """Take frame i happens at sequence frame i * sequence_fps / take_fps (fractional)."""
    return [float(Fraction(i) * sequence_fps / take_fps) for i in range(n)]


def load_plate(plate: Mapping[str, Any] | None, width: int, height: int) -> np.ndarray:
    if plate is None:
        return default_plate(width, height)
    from PIL import Image

    with Image.open(plate["path"]) as im:
        return fit_plate(np.asarray(im.convert("RGB")), width, height)


def scene_frames(*, camera: CameraPath | None, poses: PoseTrack | None,
                 plate: np.ndarray | None, times: list[float], fps: float, width: int,
                 height: int, pose_only: bool = False, max_width: int = 960):
    """Yield (H, W, 3) uint8 frames: the plate through each time's camera with the
    skeletons on top, or the pose maps alone (``pose_only``: a VACE control video). The
    plate is re-projected at most ``max_width`` wide and scaled up: the previz is a sketch,
    and re-projection is the expensive part."""
    from timeline.priority import opencv

    cv2 = opencv()

    rw, rh = width, height
    if width > max_width:
        rw, rh = max_width, max(2, round(height * max_width / width))
    small = None if pose_only else (
        fit_plate(plate, rw, rh) if plate is not None else default_plate(rw, rh))
    for t in times:
        if pose_only:
            frame = np.zeros((height, width, 3), np.uint8)
        else:
            assert small is not None
            if camera is None:
                view = small
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
