"""The previz scene: the reference picture as a plate on the plane z = ``distance``, seen
through each frame's camera.

Pixel coordinates are continuous with pixel ``i``'s centre at ``i + 0.5`` (the image spans
[0, width] x [0, height]), the convention ``plate_homography`` uses. The plate is the
reference image cover-fitted to the output size, i.e. exactly what a camera at the origin
with the path's first focal length sees; beyond its edges it continues mirrored, so a pan
or a dolly-out still shows a continuous textured plane (a flat grey outside would hide the
move and leave nothing for the estimator to lock onto).
"""

from __future__ import annotations

import math

import numpy as np

from timeline.conditioning.camera import CameraState, plate_homography


def fit_plate(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Cover-fit an (H, W, 3) uint8 picture to ``width`` x ``height`` (centre crop)."""
    from PIL import Image, ImageOps

    im = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    fitted = ImageOps.fit(im, (width, height), Image.Resampling.BICUBIC)
    return np.asarray(fitted, dtype=np.uint8).copy()


def default_plate(width: int, height: int) -> np.ndarray:
    """A studio backdrop for segments without a reference picture: a soft blue-grey wash,
    a metre-like grid and smooth blobs, so camera moves read clearly (and can be measured
    back) without suggesting any content."""
    rng = np.random.default_rng(7)
    small = rng.normal(0.0, 1.0, size=(max(4, height // 24), max(4, width // 24), 3))
    from PIL import Image

    blobs = np.stack([
        np.asarray(Image.fromarray(small[..., c].astype(np.float32)).resize(
            (width, height), Image.Resampling.BICUBIC)) for c in range(3)], axis=-1)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.array([70.0, 78.0, 92.0]) + 18.0 * blobs
    base += (20.0 * (yy / height))[..., None]
    step = max(8, width // 16)
    grid = ((xx % step) < max(1, step // 12)) | ((yy % step) < max(1, step // 12))
    base[grid] += 45.0
    return np.clip(base, 0, 255).astype(np.uint8)


def _reflect(i: np.ndarray, n: int) -> np.ndarray:
    m = np.mod(i, 2 * n)
    return np.where(m >= n, 2 * n - 1 - m, m)


def sample_bilinear(image: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
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


def render_plate_view(plate: np.ndarray, cam: CameraState, *, reference_focal: float,
                      distance: float) -> np.ndarray:
    """What ``cam`` sees of the plate (same size as the plate), (H, W, 3) uint8. Rays that
    never meet the plate (looking away from it) are black.

    When every pixel's ray meets the plate (the usual case) this is one bilinear
    perspective warp in C (OpenCV) of the plate, mirrored out as far as the view reaches;
    a view that is partly or wholly away from the plate takes the per-pixel path,
    ``_render_plate_view_exact``, which the fast one is tested against."""
    height, width = plate.shape[:2]
    hom = plate_homography(cam, reference_focal=reference_focal, distance=distance,
                           width=width, height=height)
    inv = np.linalg.inv(hom)
    corners = np.array([[0.0, 0.0, 1.0], [width, 0.0, 1.0], [0.0, height, 1.0],
                        [width, height, 1.0]]).T
    uvw = inv @ corners
    k_inv = np.linalg.inv(cam.intrinsics(width, height))
    dz = (cam.rotation()[2] @ k_inv) @ corners
    ahead = (distance - cam.z) * dz > 0
    if not ahead.any() and (np.abs(dz) > 1e-9).all():
        # All four corners look away from the plate, and so (a half-plane) does every ray.
        return np.zeros((height, width, 3), np.uint8)
    w = uvw[2]
    if not (ahead.all() and ((w > 1e-9).all() or (w < -1e-9).all())
            and abs(inv[2, 2]) > 1e-12):
        return _render_plate_view_exact(plate, cam, reference_focal=reference_focal,
                                        distance=distance)
    # Both tests are half-planes in pixel space, so corners that pass mean every pixel
    # does, and the view's footprint on the plate is the hull of the corners' images.
    u, v = uvw[0] / w, uvw[1] / w
    pad_l = max(0, int(math.ceil(-u.min())) + 2)
    pad_r = max(0, int(math.ceil(u.max() - width)) + 2)
    pad_t = max(0, int(math.ceil(-v.min())) + 2)
    pad_b = max(0, int(math.ceil(v.max() - height)) + 2)
    if ((width + pad_l + pad_r) * (height + pad_t + pad_b) > 16 * width * height
            or max(pad_l, pad_r, pad_t, pad_b) + max(width, height) > 30000):
        # A grazing view reaches far over the plane (OpenCV's sampler keeps coordinates
        # in 16 bits, and the mirrored plate repeats many times).
        return _render_plate_view_exact(plate, cam, reference_focal=reference_focal,
                                        distance=distance)
    from timeline.priority import opencv

    cv2 = opencv()

    # The homography maps output (x, y) (pixel centres at i + .5) to (a x + b y + c) /
    # (g x + h y + 1) in the plate's continuous coordinates; OpenCV puts pixel centres on
    # integers, so the output shifts by +.5 and the plate by -.5. Its mirrored border
    # ("fedcba|abcdef", the edge pixel repeated) is what ``_reflect`` does: no padded copy.
    m = inv / inv[2, 2]
    m = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]]) @ m @ np.array(
        [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    # OpenCV, not Pillow: several times faster, its own threads, and no GIL held.
    return cv2.warpPerspective(np.ascontiguousarray(plate[..., :3]), m, (width, height),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)


def _render_plate_view_exact(plate: np.ndarray, cam: CameraState, *, reference_focal: float,
                             distance: float) -> np.ndarray:
    """``render_plate_view`` pixel by pixel (numpy): for views partly away from the plate."""
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
    out = sample_bilinear(plate, u / w - 0.5, v / w - 0.5)
    out[~valid] = 0.0
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


DEPTH_RELIEF = 0.5


def render_depth_view(plate: np.ndarray, depth: np.ndarray, cam: CameraState, *,
                      reference_focal: float, distance: float,
                      relief: float = DEPTH_RELIEF) -> np.ndarray:
    """What ``cam`` sees of the plate lifted off its plane by a depth map: ``depth`` (H, W)
    in 0..1, near = 1 (Depth Anything's relative depth, or a Z pass made elsewhere), puts
    plate pixel ``p`` at ``Z * K0^-1 p`` with ``Z = distance * (1 + relief * (1 - 2 d))``
    (near pixels ``relief`` closer than the plane, far ones as much further), so a move
    shows parallax where the plane shows none.

    Each pixel is carried to ``cam``'s frame, the nearest landing on an output pixel wins
    (a z-buffer), and what nothing lands on (disocclusions, stretched surfaces) shows the
    plane's view (``render_plate_view``). Seen from the reference camera itself, every pixel
    lands on its own place: the plate, unchanged."""
    height, width = plate.shape[:2]
    if depth.shape != (height, width):
        raise ValueError(f"a {depth.shape[1]}x{depth.shape[0]} depth map for a "
                         f"{width}x{height} plate")
    out = render_plate_view(plate, cam, reference_focal=reference_focal, distance=distance)
    k0_inv = np.linalg.inv(CameraState(focal=reference_focal).intrinsics(width, height))
    ext = cam.extrinsics()
    k = cam.intrinsics(width, height)
    xs = np.arange(width, dtype=np.float64) + 0.5
    ys = np.arange(height, dtype=np.float64) + 0.5
    gx, gy = np.meshgrid(xs, ys)
    rays = k0_inv @ np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])
    z = distance * (1.0 + relief * (1.0 - 2.0 * np.clip(depth.astype(np.float64), 0, 1)))
    points = rays * z.ravel()
    seen = k @ (ext[:, :3] @ points + ext[:, 3:4])
    front = seen[2] > 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        px = np.floor(seen[0] / seen[2])
        py = np.floor(seen[1] / seen[2])
    inside = front & (px >= 0) & (px < width) & (py >= 0) & (py < height)
    src = np.flatnonzero(inside)
    target = (py[src].astype(np.int64) * width + px[src].astype(np.int64))
    # Nearest first per target pixel: sort by (target, distance), keep each target's first.
    order = np.lexsort((seen[2][src], target))
    target, src = target[order], src[order]
    first = np.ones(len(target), bool)
    first[1:] = target[1:] != target[:-1]
    flat = out.reshape(-1, out.shape[2])
    flat[target[first]] = plate.reshape(-1, plate.shape[2])[src[first], :3]
    return out


def overlay(base: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """Paint the non-black pixels of ``layer`` (a pose map) over ``base``."""
    mask = layer.max(axis=-1, keepdims=True) > 0
    return np.where(mask, layer, base)


def field_of_view(focal: float) -> float:
    """Horizontal field of view in degrees for a focal length (36 mm wide sensor)."""
    return math.degrees(2 * math.atan(18.0 / focal))
