"""The previz plate lifted off its plane by a depth map (``render_depth_view``): unchanged
from the reference camera, parallax under a sideways move (near moves more than far), and
the plane wherever nothing lands."""

from __future__ import annotations

import numpy as np
import pytest

from timeline.conditioning.camera import CameraState
from timeline.conditioning.scene import render_depth_view, render_plate_view

W, H, FOCAL, DISTANCE = 96, 64, 35.0, 4.0


def plate() -> np.ndarray:
    """Vertical stripes, 8 px wide, a different grey each: where a column went is readable."""
    stripes = (np.arange(W) // 8 * 20 + 10).astype(np.uint8)
    return np.repeat(np.tile(stripes[None, :, None], (H, 1, 1)), 3, axis=2)


def column_shift(before: np.ndarray, after: np.ndarray, rows: slice, x: int) -> int:
    """How far (px) the stripe at column ``x`` of ``before`` moved in ``after`` (same rows)."""
    value = before[rows, x, 0][0]
    found = np.flatnonzero(after[rows.start, :, 0] == value)
    return int(found.mean() - np.flatnonzero(before[rows.start, :, 0] == value).mean())


def test_from_the_reference_camera_the_plate_is_unchanged() -> None:
    depth = np.random.default_rng(0).random((H, W)).astype(np.float32)
    view = render_depth_view(plate(), depth, CameraState(focal=FOCAL), reference_focal=FOCAL,
                             distance=DISTANCE)
    np.testing.assert_array_equal(view, plate())


def test_a_sideways_move_shows_parallax_the_plane_does_not() -> None:
    depth = np.zeros((H, W), np.float32)
    depth[: H // 2] = 1.0  # the top half near (2 m), the bottom half far (6 m)
    cam = CameraState(x=0.2, focal=FOCAL)
    view = render_depth_view(plate(), depth, cam, reference_focal=FOCAL, distance=DISTANCE)
    flat = render_plate_view(plate(), cam, reference_focal=FOCAL, distance=DISTANCE)
    top, bottom = slice(4, 8), slice(H - 8, H - 4)
    near = column_shift(plate(), view, top, 44)
    far = column_shift(plate(), view, bottom, 44)
    plane = column_shift(plate(), flat, top, 44)
    # Moving right, the world moves left in the picture, by focal_px * dx / Z.
    focal_px = FOCAL / 36.0 * W
    assert near == pytest.approx(-focal_px * 0.2 / 2.0, abs=1.5)
    assert far == pytest.approx(-focal_px * 0.2 / 6.0, abs=1.5)
    assert plane == pytest.approx(-focal_px * 0.2 / DISTANCE, abs=1.5)
    # Uncovered at the near half's trailing edge: the plane's view shows through.
    assert (view[top, -2] == flat[top, -2]).all()


def test_a_depth_map_of_another_size_is_refused() -> None:
    with pytest.raises(ValueError, match="depth map for a 96x64 plate"):
        render_depth_view(plate(), np.zeros((10, 10), np.float32), CameraState(focal=FOCAL),
                          reference_focal=FOCAL, distance=DISTANCE)
