"""The per-pixel numpy versions of the keyframed-transform warp and the previz plate view,
as they were before the fast paths (issue 23), kept verbatim as test oracles: the compositor
and ``timeline.conditioning.scene`` must match them within a level or two. Never used
outside the tests (they cost 0.3-1 s per 1080p frame)."""

from __future__ import annotations

import numpy as np

from timeline.conditioning.camera import CameraState, plate_homography


def warp_reference(pic: np.ndarray, centre: tuple[float, float], rotation: float,
                   size: tuple[int, int], opacity: float) -> tuple[np.ndarray, np.ndarray]:
    """Place ``pic`` with its centre at ``centre``, turned ``rotation`` degrees clockwise,
    on a transparent (H, W) canvas. Bilinear sampling by inverse mapping, only over the
    turned picture's bounding box; edges are anti-aliased through the alpha channel."""
    out_w, out_h = size
    rgb = np.zeros((out_h, out_w, 3), np.float32)
    alpha = np.zeros((out_h, out_w), np.float32)
    ph, pw = pic.shape[:2]
    # Source with a 1-pixel transparent border, so bilinear sampling fades the edges.
    src = np.zeros((ph + 2, pw + 2, 4), np.float32)
    src[1:-1, 1:-1, :3] = pic[..., :3]
    src[1:-1, 1:-1, 3] = pic[..., 3] / 255.0 if pic.shape[2] == 4 else 1.0
    theta = np.deg2rad(rotation)
    cos, sin = float(np.cos(theta)), float(np.sin(theta))
    half_w, half_h = pw / 2, ph / 2
    ext_x = abs(half_w * cos) + abs(half_h * sin) + 1
    ext_y = abs(half_w * sin) + abs(half_h * cos) + 1
    x0 = max(0, int(np.floor(centre[0] - ext_x)))
    x1 = min(out_w, int(np.ceil(centre[0] + ext_x)))
    y0 = max(0, int(np.floor(centre[1] - ext_y)))
    y1 = min(out_h, int(np.ceil(centre[1] + ext_y)))
    if x1 <= x0 or y1 <= y0:
        return rgb, alpha
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx = xs + 0.5 - centre[0]
    dy = ys + 0.5 - centre[1]
    # Inverse of a clockwise turn (y down) maps output offsets back into the picture.
    u = cos * dx + sin * dy + half_w - 0.5 + 1
    v = -sin * dx + cos * dy + half_h - 0.5 + 1
    inside = (u >= 0) & (v >= 0) & (u <= pw + 1) & (v <= ph + 1)
    u = np.clip(u, 0, pw + 1 - 1e-4)
    v = np.clip(v, 0, ph + 1 - 1e-4)
    ui = u.astype(np.int32)
    vi = v.astype(np.int32)
    fu = (u - ui)[..., None]
    fv = (v - vi)[..., None]
    ui1 = np.minimum(ui + 1, pw + 1)
    vi1 = np.minimum(vi + 1, ph + 1)
    top = src[vi, ui] * (1 - fu) + src[vi, ui1] * fu
    bottom = src[vi1, ui] * (1 - fu) + src[vi1, ui1] * fu
    sample = top * (1 - fv) + bottom * fv
    a = np.where(inside, sample[..., 3], 0.0) * opacity
    # Colours were averaged with transparent black at the edges: un-premultiply.
    covered = np.maximum(sample[..., 3:4], 1e-6)
    rgb[y0:y1, x0:x1] = np.where(sample[..., 3:4] > 0, sample[..., :3] / covered, 0.0)
    alpha[y0:y1, x0:x1] = a
    return rgb, alpha


def _reflect(i: np.ndarray, n: int) -> np.ndarray:
    m = np.mod(i, 2 * n)
    return np.where(m >= n, 2 * n - 1 - m, m)


def _sample_bilinear(image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Sample ``image`` (H, W[, C]) at continuous index coordinates (``xs``, ``ys``) with
    mirrored borders; returns float32 of shape xs.shape (+ (C,))."""
    h, w = image.shape[:2]
    x0 = np.floor(xs)
    y0 = np.floor(ys)
    fx = (xs - x0).astype(np.float32)
    fy = (ys - y0).astype(np.float32)
    x0 = x0.astype(np.int64)
    y0 = y0.astype(np.int64)
    xa, xb = _reflect(x0, w), _reflect(x0 + 1, w)
    ya, yb = _reflect(y0, h), _reflect(y0 + 1, h)
    img = image.astype(np.float32, copy=False)
    if img.ndim == 3:
        fx, fy = fx[..., None], fy[..., None]
    top = img[ya, xa] * (1 - fx) + img[ya, xb] * fx
    bottom = img[yb, xa] * (1 - fx) + img[yb, xb] * fx
    return top * (1 - fy) + bottom * fy


def plate_view_reference(plate: np.ndarray, cam: CameraState, *, reference_focal: float,
                      distance: float) -> np.ndarray:
    """What ``cam`` sees of the plate (same size as the plate), (H, W, 3) uint8. Rays that
    never meet the plate (looking away from it) are black."""
    height, width = plate.shape[:2]
    hom = plate_homography(cam, reference_focal=reference_focal, distance=distance,
                           width=width, height=height)
    inv = np.linalg.inv(hom)
    xs = np.arange(width, dtype=np.float64) + 0.5
    ys = np.arange(height, dtype=np.float64) + 0.5
    gx, gy = np.meshgrid(xs, ys)
    u = inv[0, 0] * gx + inv[0, 1] * gy + inv[0, 2]
    v = inv[1, 0] * gx + inv[1, 1] * gy + inv[1, 2]
    w = inv[2, 0] * gx + inv[2, 1] * gy + inv[2, 2]
    # A pixel sees the plate when its ray meets z = distance in front of the camera.
    k_inv = np.linalg.inv(cam.intrinsics(width, height))
    r = cam.rotation()
    dz = (r[2] @ k_inv) @ np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])
    ahead = ((distance - cam.z) / np.where(np.abs(dz) < 1e-12, 1e-12, dz)).reshape(gx.shape)
    valid = (ahead > 0) & (np.abs(w) > 1e-12)
    w = np.where(valid, w, 1.0)
    out = _sample_bilinear(plate, u / w - 0.5, v / w - 0.5)
    out[~valid] = 0.0
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def old_pipeline_warp(pic: np.ndarray, scaled: tuple[int, int], centre: tuple[float, float],
                      rotation: float, size: tuple[int, int], opacity: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """What the compositor did before: the picture arrived at the scaled size (the source
    resized it, bilinear) and ``warp_reference`` placed it. A drop-in for the compositor's
    ``_warp``."""
    from PIL import Image

    if (pic.shape[1], pic.shape[0]) != scaled:
        pic = np.asarray(Image.fromarray(np.ascontiguousarray(pic)).resize(
            scaled, Image.Resampling.BILINEAR))
    return warp_reference(pic, centre, rotation, size, opacity)
