"""A camera path measured back from video: homographies between frames, then the camera
that explains each one.

Used two ways: as the camera path's own test (the previz of a path must round-trip to that
path) and to copy the move of a reference video. Frame 0 defines the reference camera: at
the origin, looking down +z with ``reference_focal``, the scene a plane ``distance`` metres
ahead (the previz plate). Conventions are those of ``camera.py``: pixel coordinates are
continuous with pixel ``i``'s centre at ``i + 0.5``.

numpy and Pillow only (``timeline`` never imports OpenCV, Qt or torch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from timeline.conditioning.camera import (
    CameraKey,
    CameraPath,
    CameraState,
    angles_from_rotation,
    plate_homography,
)

MODES = ("free", "fixed_focal", "tripod")
DEFAULT_KEY_EVERY = 4

# A refinement against frame 0 needs this share of frame 0 still in view.
_MIN_OVERLAP = 0.5
# Robust scale floor in grey levels (0-255): noise-free previz would otherwise give a zero
# MAD and weights that reject every pixel.
_MIN_SIGMA = 0.5
# Below this mean gradient (grey levels per pixel) a picture is too flat to align: a black
# lead-in, a fade, a blank wall.
_MIN_TEXTURE = 0.5


# --- image pyramid ------------------------------------------------------------------------


def _gray(frame: np.ndarray) -> np.ndarray:
    a = np.asarray(frame)
    if a.ndim == 2:
        return a.astype(np.float32)
    a = a[..., :3].astype(np.float32)
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area (box) resampling over the exact image extent, so continuous coordinates scale
    by plain ratios between sizes."""
    from PIL import Image

    if image.shape == (height, width):
        return image
    im = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32))  # mode "F"
    return np.asarray(im.resize((width, height), Image.Resampling.BOX), dtype=np.float32)


def _blur(image: np.ndarray) -> np.ndarray:
    """Separable 5-tap binomial blur (sigma about 1 pixel), mirrored edges."""
    k = (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)
    p = np.pad(image, ((0, 0), (2, 2)), mode="reflect")
    w = image.shape[1]
    rows = sum(c * p[:, i:i + w] for i, c in enumerate(k))
    p = np.pad(rows, ((2, 2), (0, 0)), mode="reflect")
    h = image.shape[0]
    return np.asarray(sum(c * p[i:i + h] for i, c in enumerate(k)), dtype=np.float32)


def _pyramid(gray: np.ndarray, levels: int) -> list[np.ndarray]:
    """Finest first: the (work-size) grey frame lightly blurred, then halvings."""
    img = _blur(gray)
    out = [img]
    h, w = gray.shape
    for _ in range(levels - 1):
        w, h = max(1, round(w / 2)), max(1, round(h / 2))
        img = _blur(_resize(img, w, h))
        out.append(img)
    return out


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow a mask by ``radius`` pixels (4-neighbour steps)."""
    out = mask.copy()
    for _ in range(radius):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def _still_edges(grays: Sequence[np.ndarray]) -> np.ndarray:
    """Sharp edges that never change over the clip: a slate, a "PREVIZ" tag, a burned-in
    logo, or simply the scene when the camera holds still. Soft texture that barely drifts
    is not among them; a sharp edge that stays within 3 grey levels has moved less than
    half a pixel."""
    lo = np.array(grays[0], dtype=np.float32)
    hi = lo.copy()
    for g in grays[1:]:
        np.minimum(lo, g, out=lo)
        np.maximum(hi, g, out=hi)
    gy, gx = np.gradient(_blur(grays[0]))
    return (np.hypot(gx, gy) > 8.0) & ((hi - lo) < 3.0)


def _moved(hom: Sequence[np.ndarray], mask: np.ndarray) -> np.ndarray:
    """Which pixels of ``mask`` the (normalised) homographies move by more than a pixel at
    some frame."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    pts = np.stack([2 * (xs + 0.5) / w - 1, 2 * (ys + 0.5) / h - 1, np.ones(xs.size)])
    most = np.zeros(xs.size)
    for m in hom:
        q = m @ pts
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.hypot((q[0] / q[2] - pts[0]) * w / 2, (q[1] / q[2] - pts[1]) * h / 2)
        most = np.maximum(most, np.nan_to_num(d, nan=np.inf))
    out = np.zeros_like(mask)
    out[ys[most > 1.0], xs[most > 1.0]] = True
    return out


@dataclass
class _Grid:
    """Normalised coordinates (-1..1 over the image extent) of every pixel centre of one
    pyramid level: a homography in these coordinates is the same at every level."""

    u: np.ndarray
    v: np.ndarray
    interior: np.ndarray  # pixels an alignment may use

    @classmethod
    def of(cls, width: int, height: int, excluded: np.ndarray | None = None) -> _Grid:
        xs = (2 * (np.arange(width, dtype=np.float32) + 0.5) / width - 1).astype(np.float32)
        ys = (2 * (np.arange(height, dtype=np.float32) + 0.5) / height - 1).astype(np.float32)
        u, v = np.meshgrid(xs, ys)
        inner = np.zeros((height, width), dtype=bool)
        inner[2:-2, 2:-2] = True  # gradients and the blur are unreliable at the border
        if excluded is not None:
            # Any excluded work pixel under a coarser pixel excludes it.
            inner &= _resize(excluded.astype(np.float32), width, height) <= 0.0
        return cls(u.ravel(), v.ravel(), inner.ravel())


# Above this many pixels a level keeps only its better-textured half: flat pixels add
# cost but next to nothing to the fit.
_DENSE_PIXELS = 20000


@dataclass
class _Template:
    """One pyramid level of the reference image of an alignment: the pixels it uses, their
    normalised coordinates, values and steepest-descent images for the inverse-
    compositional Lucas-Kanade (computed once, reused by every iteration)."""

    u: np.ndarray
    v: np.ndarray
    values: np.ndarray  # (N,)
    sd: np.ndarray  # (N, 9): 8 homography parameters and a brightness offset
    flat: bool

    @classmethod
    def of(cls, image: np.ndarray, grid: _Grid) -> _Template:
        h, w = image.shape
        gy, gx = np.gradient(image)
        # d/du in normalised units: one unit of u is w/2 pixels.
        tu = (gx.ravel() * (w / 2)).astype(np.float32)
        tv = (gy.ravel() * (h / 2)).astype(np.float32)
        keep = grid.interior.copy()
        if np.count_nonzero(keep) > _DENSE_PIXELS:
            mag = np.hypot(gx.ravel(), gy.ravel())
            keep &= mag >= np.median(mag[keep])
        sel = np.flatnonzero(keep)
        flat = sel.size < 64 or float(np.mean(np.hypot(gx.ravel()[sel], gy.ravel()[sel]))) \
            < _MIN_TEXTURE
        u, v, tu, tv = grid.u[sel], grid.v[sel], tu[sel], tv[sel]
        radial = tu * u + tv * v
        sd = np.stack([tu * u, tu * v, tu, tv * u, tv * v, tv, -u * radial, -v * radial,
                       np.ones_like(u)], axis=1)
        return cls(u, v, image.ravel()[sel], np.ascontiguousarray(sd, dtype=np.float32), flat)


def _warp(image: np.ndarray, hom: np.ndarray, u: np.ndarray,
          v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear samples of ``image`` at ``hom`` (normalised) of the points (u, v), and which
    of them landed inside the image."""
    height, width = image.shape
    (a, b, c), (d, e, f), (g, hh, i) = (tuple(float(x) for x in row) for row in hom)
    den = g * u + hh * v + i
    ok = den > 1e-6
    den = np.where(ok, den, np.float32(1.0))
    x = ((a * u + b * v + c) / den + 1) * (width / 2) - 0.5
    y = ((d * u + e * v + f) / den + 1) * (height / 2) - 0.5
    ok &= (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    x = np.clip(x, 0, width - 1.001)
    y = np.clip(y, 0, height - 1.001)
    x0 = x.astype(np.int32)
    y0 = y.astype(np.int32)
    fx = (x - x0).astype(np.float32)
    fy = (y - y0).astype(np.float32)
    idx = y0 * width + x0
    flat = image.ravel()
    top = flat[idx] + (flat[idx + 1] - flat[idx]) * fx
    bottom = flat[idx + width] + (flat[idx + width + 1] - flat[idx + width]) * fx
    return top + (bottom - top) * fy, ok


def _corner_shift(hom: np.ndarray, width: int, height: int) -> float:
    """Largest displacement, in pixels of a ``width`` x ``height`` image, of the image
    corners under a normalised homography."""
    c = np.array([[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], dtype=np.float64).T
    m = hom @ c
    with np.errstate(divide="ignore", invalid="ignore"):
        d = m[:2] / m[2] - c[:2]
    d = d * np.array([[width / 2], [height / 2]])
    return float(np.max(np.hypot(d[0], d[1]))) if np.all(np.isfinite(d)) else math.inf


def _basis(dof: int) -> np.ndarray:
    """(9, m) map from a reduced motion model to the 8 homography parameters plus the
    brightness offset: 4 = similarity (shift, zoom, roll), 6 = affine, 8 = full."""
    b = np.zeros((9, dof + 1))
    if dof == 4:
        b[2, 0] = b[5, 1] = 1.0  # shift
        b[0, 2] = b[4, 2] = 1.0  # zoom
        b[1, 3], b[3, 3] = -1.0, 1.0  # roll
    else:
        b[np.arange(dof), np.arange(dof)] = 1.0
    b[8, dof] = 1.0
    return b


_BASES = {dof: _basis(dof) for dof in (4, 6, 8)}


def _cost(tmpl: _Template, image: np.ndarray, hom: np.ndarray) -> float:
    """How badly ``hom`` aligns ``image`` to the template: the median absolute residual
    (offset-free), infinite when less than a third of the template lands in the image.
    Robust, so comparable across candidates whatever moves in front of the camera."""
    if not _plausible(hom):
        return math.inf
    warped, ok = _warp(image, hom, tmpl.u, tmpl.v)
    if np.count_nonzero(ok) < max(64, ok.size // 3):
        return math.inf
    r = warped[ok] - tmpl.values[ok]
    return float(np.median(np.abs(r - np.median(r))))


def _align(templates: Sequence[_Template], images: Sequence[np.ndarray], start: np.ndarray,
           levels: Sequence[int], dofs: Sequence[int] | None = None) -> np.ndarray | None:
    """Inverse-compositional Lucas-Kanade for the homography taking template coordinates to
    image coordinates (normalised), coarse to fine over ``levels`` with the motion model of
    ``dofs`` at each (default: full homographies). Fitting keystone on a tiny coarse level
    lets whatever moves in front of the camera bend it; a similarity there, an affine next
    and the full homography only on the finer levels stay on the picture as a whole.

    Iteratively reweighted least squares, Huber weights while the warp is still rough and
    then Tukey, both on residuals scaled by their MAD, so whatever does not move with the
    picture (a drawn skeleton, a passer-by) stops pulling the fit; a brightness offset is
    fitted alongside. None when the alignment breaks down (a flat picture, too little
    overlap, a runaway step)."""
    if any(templates[level].flat for level in levels) or not _plausible(start):
        return None
    hom = start / start[2, 2]
    bias = 0.0
    first = True
    for n, level in enumerate(levels):
        tmpl, image = templates[level], images[level]
        height, width = image.shape
        basis = _BASES[8 if dofs is None else dofs[n]]
        sd = tmpl.sd @ basis.astype(np.float32)
        for it in range(30 if first else 12):
            warped, ok = _warp(image, hom, tmpl.u, tmpl.v)
            if np.count_nonzero(ok) < 64:
                return None
            err = warped - tmpl.values - np.float32(bias)
            # The fitted offset keeps residuals centred on zero: the MAD is their median.
            a = np.abs(err)
            sigma = max(1.4826 * float(np.median(a[ok])), _MIN_SIGMA)
            if first and it < 3:
                k = 1.345 * sigma
                w = np.minimum(np.float32(1.0), np.float32(k) / np.maximum(a, np.float32(1e-6)))
            else:
                c = 4.685 * sigma
                w = np.square(np.maximum(np.float32(0.0), 1 - np.square(a / np.float32(c))))
            w = np.where(ok, w, np.float32(0.0)).astype(np.float32)
            sdw = sd * w[:, None]
            lhs = (sdw.T @ sd).astype(np.float64)
            rhs = (sdw.T @ np.where(ok, err, np.float32(0.0))).astype(np.float64)
            # A little damping keeps directions the texture barely constrains in check.
            lhs += np.eye(lhs.shape[0]) * (1e-6 * np.trace(lhs) + 1e-9)
            try:
                dp = basis @ np.linalg.solve(lhs, rhs)
            except np.linalg.LinAlgError:
                return None
            if not np.all(np.isfinite(dp)):
                return None
            step = np.array([[1 + dp[0], dp[1], dp[2]], [dp[3], 1 + dp[4], dp[5]],
                             [dp[6], dp[7], 1.0]])
            if not _plausible(step):
                return None
            hom = hom @ np.linalg.inv(step)
            if not _plausible(hom):
                return None
            hom /= hom[2, 2]
            bias += float(dp[8])
            # Coarse levels only need to hand the next level a good start.
            if _corner_shift(step, width, height) < (0.02 if level == 0 else 0.05):
                break
        first = False
    return hom


def _plausible(hom: np.ndarray) -> bool:
    """Whether a normalised homography could be a camera move between two frames of one
    shot: finite, the frame's corners in front of the camera and in their original order,
    its area scaled by no more than 16 either way."""
    if not np.all(np.isfinite(hom)) or abs(hom[2, 2]) < 1e-9:
        return False
    c = np.array([[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], dtype=np.float64).T
    m = hom @ c
    if np.any(m[2] * np.sign(hom[2, 2]) <= 1e-6):
        return False
    q = m[:2] / m[2]
    # Shoelace area (the corners keep their winding when the map does not fold).
    area = 0.5 * float(np.sum(q[0] * np.roll(q[1], -1) - np.roll(q[0], -1) * q[1]))
    return 4.0 / 16 <= area <= 4.0 * 16


def _overlap(hom: np.ndarray) -> float:
    """Share of a grid over frame 0 that ``hom`` (normalised) maps inside frame k."""
    s = np.linspace(-0.95, 0.95, 9)
    u, v = np.meshgrid(s, s)
    p = hom @ np.stack([u.ravel(), v.ravel(), np.ones(u.size)])
    with np.errstate(divide="ignore", invalid="ignore"):
        q = p[:2] / p[2]
    inside = (p[2] > 0) & np.all(np.abs(q) <= 1, axis=0)
    return float(np.mean(inside))


def _track(pyramids: Sequence[Sequence[np.ndarray]],
           grids: Sequence[_Grid]) -> list[np.ndarray]:
    """Normalised homographies from frame 0 to every frame (see ``estimate_homographies``)."""
    n_levels = len(grids)

    def templates(k: int) -> list[_Template]:
        return [_Template.of(img, g) for img, g in zip(pyramids[k], grids, strict=True)]

    coarse_to_fine = list(range(n_levels - 1, -1, -1))
    # Similarity on the coarsest level, affine on the next, full homographies below.
    dofs = [4 if i == 0 and n_levels > 2 else 6 if i <= 1 and n_levels > 2 else 8
            for i in range(n_levels)]
    refine_levels = coarse_to_fine[-2:]  # a chained estimate is already close
    ref = templates(0)
    eye = np.eye(3)
    chained = [eye]
    motion = eye
    prev = ref
    for k in range(1, len(pyramids)):
        # Start the pair from the last pair's motion or from a camera at rest, whichever
        # fits better: a start carried over from a fooled pair would fool the next one.
        coarse = coarse_to_fine[0]
        start = min((motion, eye), key=lambda h: _cost(prev[coarse], pyramids[k][coarse], h))
        predicted = start @ chained[-1]
        # When frame 0 will have the final word, the pair need not be fitted at full size.
        direct_ok = len(coarse_to_fine) > 1 and _overlap(predicted) >= _MIN_OVERLAP
        pair_levels = coarse_to_fine[:-1] if direct_ok else coarse_to_fine
        pair = _align(prev, pyramids[k], start, pair_levels, dofs[:len(pair_levels)])
        if pair is None:  # a black frame, a cut: nothing to measure, so the camera holds
            pair = eye
        h = pair @ chained[-1]
        h /= h[2, 2]
        if _overlap(h) >= _MIN_OVERLAP:
            # Against frame 0, from the chain or from the last frame's place (should the
            # pair have been fooled); frame 0 decides which explains frame k best.
            fine = refine_levels[0]
            starts = [h, chained[-1]]
            start = min(starts, key=lambda c: _cost(ref[fine], pyramids[k][fine], c))
            direct = _align(ref, pyramids[k], start, refine_levels)
            # Drift-free, so it wins unless clearly worse (it locked onto something else).
            if direct is not None and _cost(ref[0], pyramids[k][0], direct) <= \
                    1.25 * _cost(ref[0], pyramids[k][0], h) + 0.1:
                h = direct
        motion = h @ np.linalg.inv(chained[-1])
        motion /= motion[2, 2]
        chained.append(h)
        if k + 1 < len(pyramids):
            prev = templates(k)
    return chained


def estimate_homographies(frames: Sequence[np.ndarray] | np.ndarray, *, work_width: int = 320,
                          levels: int = 4) -> list[np.ndarray]:
    """Homographies ``H_k`` taking frame-0 pixels to frame-k pixels (continuous pixel
    coordinates of the original resolution, like ``plate_homography``); ``H_0`` is the
    identity.

    Frames are compared in grey at about ``work_width`` pixels wide over a ``levels``-deep
    pyramid. Consecutive frames are aligned (each pair starting from the previous pair's
    motion) and chained to frame 0; whenever enough of frame 0 is still in view, the chained
    ``H_k`` is then refined directly against frame 0, which stops small pairwise errors from
    accumulating into drift."""
    frames = list(frames)
    if not frames:
        return []
    height, width = np.asarray(frames[0]).shape[:2]
    ww = max(8, min(width, int(work_width)))
    wh = max(8, round(height * ww / width))
    # Stop halving before the coarsest level gets too small to hold any structure.
    n_levels = 1
    while n_levels < max(1, levels) and min(ww, wh) / 2 ** n_levels >= 16:
        n_levels += 1
    grays = [_resize(_gray(f), ww, wh) for f in frames]
    still = _still_edges(grays)
    pyramids = [_pyramid(g, n_levels) for g in grays]
    del grays
    grids = [_Grid.of(img.shape[1], img.shape[0]) for img in pyramids[0]]
    chained = _track(pyramids, grids)
    # A slate, a tag, a logo: sharp edges that stay put while the camera, by the first
    # pass, moved under them. Between two nearby frames their strong edges agree exactly
    # with "no motion" and outvote the real, still small motion before the robust weights
    # can tell them apart, so a second pass leaves them (grown past the blur's footprint)
    # out. Frame 0 judges which pass explains the clip better, in case the first pass was
    # the one fooled and the still edges were the truth.
    overlay = _moved(chained, still)
    if np.count_nonzero(overlay) >= 16:
        excluded = _dilate(overlay, 3)
        second = _track(pyramids, [_Grid.of(img.shape[1], img.shape[0], excluded)
                                   for img in pyramids[0]])
        judge = _Template.of(pyramids[0][0], grids[0])
        costs = np.array([[_cost(judge, pyr[0], h) for h in (a, b)]
                          for pyr, a, b in zip(pyramids[1:], chained[1:], second[1:],
                                               strict=True)])
        both = np.all(np.isfinite(costs), axis=1)
        if not np.any(both) or costs[both, 1].mean() <= costs[both, 0].mean():
            chained = second
    # Normalised (-1..1 over the extent) to the original frame's pixels.
    n = np.array([[2 / width, 0, -1], [0, 2 / height, -1], [0, 0, 1]], dtype=np.float64)
    n_inv = np.linalg.inv(n)
    out = []
    for h in chained:
        p = n_inv @ h @ n
        out.append(p / p[2, 2])
    return out


# --- cameras from homographies ------------------------------------------------------------


def _frame_grid(width: int, height: int, nx: int = 7, ny: int = 5) -> np.ndarray:
    """(3, nx*ny) homogeneous pixel points spread over a frame."""
    xs = np.linspace(0.05, 0.95, nx) * width
    ys = np.linspace(0.05, 0.95, ny) * height
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = h @ pts
    with np.errstate(divide="ignore", invalid="ignore"):
        return p[:2] / p[2]


def homography_error(measured: np.ndarray, fitted: np.ndarray, *, width: int,
                     height: int) -> float:
    """Mean distance in pixels between where two plate-to-frame homographies put the plate
    points that ``measured`` shows on a grid over the frame."""
    grid = _frame_grid(width, height)
    try:
        plate = np.linalg.inv(measured) @ grid
    except np.linalg.LinAlgError:
        return math.inf
    d = _apply(fitted, plate) - grid[:2]
    err = np.hypot(d[0], d[1])
    return float(np.mean(err)) if np.all(np.isfinite(err)) else math.inf


def _levenberg_marquardt(fun: Callable[[np.ndarray], np.ndarray], p0: np.ndarray,
                         steps: np.ndarray, iterations: int = 50) -> tuple[np.ndarray, float]:
    """Minimise |fun(p)|^2 from ``p0`` with a central-difference Jacobian."""
    p = np.asarray(p0, dtype=np.float64).copy()
    r = fun(p)
    cost = float(r @ r)
    lam = 1e-3
    for _ in range(iterations):
        jac = np.empty((r.size, p.size))
        for i in range(p.size):
            d = np.zeros_like(p)
            d[i] = steps[i]
            jac[:, i] = (fun(p + d) - fun(p - d)) / (2 * steps[i])
        a = jac.T @ jac
        g = jac.T @ r
        gain = 0.0
        while lam < 1e12:
            try:
                dp = np.linalg.solve(a + lam * np.diag(np.diag(a) + 1e-12), -g)
            except np.linalg.LinAlgError:
                lam *= 10
                continue
            rn = fun(p + dp)
            cn = float(rn @ rn)
            if cn < cost:
                p, r, gain, cost = p + dp, rn, cost - cn, cn
                lam = max(lam / 4, 1e-12)
                break
            lam *= 4
        if gain <= 1e-9 * cost or cost < 1e-16:
            break
    return p, cost


def _unwrap(angle: float, near: float) -> float:
    return angle + 360.0 * round((near - angle) / 360.0)


def _closed_form(h: np.ndarray, *, reference_focal: float, distance: float, width: int,
                 height: int, tripod: bool) -> CameraState | None:
    """The exact camera for a noise-free homography (LM then polishes it). Free mode:
    ``K^-1 H K0 ~ d R + t e3^T``, whose first two columns are the rotation's. Tripod mode:
    ``H ~ K R K0^-1`` about the principal point; the rows of ``H K0`` have norms f, f, 1."""
    k0 = CameraState(focal=reference_focal).intrinsics(width, height)
    try:
        if tripod:
            c = np.array([[1, 0, -width / 2], [0, 1, -height / 2], [0, 0, 1]], dtype=float)
            g = c @ h @ np.linalg.inv(c) @ np.diag([k0[0, 0], k0[0, 0], 1.0])
            n = np.linalg.norm(g, axis=1)
            lam = n[2]
            fx = 0.5 * (n[0] + n[1]) / lam
            r = np.diag([1 / fx, 1 / fx, 1.0]) @ g / lam
            if np.linalg.det(r) < 0:
                r = -r
            x = y = z = 0.0
            focal = fx / width * 36.0
        else:
            m = np.linalg.inv(k0) @ h @ k0
            lam = math.sqrt(np.linalg.norm(m[:, 0]) * np.linalg.norm(m[:, 1])) / distance
            lam = math.copysign(lam, m[2, 2])  # the plate lies in front of the camera
            r1, r2 = m[:, 0] / (lam * distance), m[:, 1] / (lam * distance)
            r = np.stack([r1, r2, np.cross(r1, r2)], axis=1)
            t = m[:, 2] / lam - distance * r[:, 2]
            x, y, z = (float(v) for v in -np.linalg.inv(r) @ t)
            focal = reference_focal
        # Nearest true rotation (the columns of a measured one are never quite orthonormal).
        u, _, vt = np.linalg.svd(r)
        r = u @ np.diag([1.0, 1.0, np.linalg.det(u @ vt)]) @ vt
    except (np.linalg.LinAlgError, ZeroDivisionError, ValueError):
        return None
    pan, tilt, roll = angles_from_rotation(r.T)  # r is world-to-camera
    values = (x, y, z, pan, tilt, roll, focal)
    if not all(math.isfinite(v) for v in values) or not 1.0 <= focal <= 5000.0:
        return None
    return CameraState(*values)


def camera_from_homography(h: np.ndarray, *, reference_focal: float, distance: float,
                           width: int, height: int, mode: str = "free",
                           init: CameraState | None = None) -> CameraState:
    """The camera whose ``plate_homography`` reproduces ``h`` (plate pixels to frame
    pixels), fitted by Levenberg-Marquardt on where a grid of plate points lands.

    One plane cannot tell a zoom from a dolly: moving towards a plane and lengthening the
    lens both scale its picture, exactly so for a head-on plane, so focal length and
    position cannot both be measured. ``mode`` fixes that gauge:

    - ``"free"`` (alias ``"fixed_focal"``): the lens stays at ``reference_focal`` and the
      full pose (x, y, z, pan, tilt, roll) is fitted. Most moves are shot with a fixed lens;
      a zoom then reads as a dolly.
    - ``"tripod"``: the camera stays at the origin and pan, tilt, roll and focal are
      fitted (zooms and tripod pans); a dolly then reads as a zoom.

    ``init`` (usually the previous frame's camera) keeps pan and roll continuous across
    +-180 degrees and is a second starting point for the fit."""
    if mode not in MODES:
        raise ValueError(f"unknown camera estimate mode {mode!r}; use one of "
                         f"{', '.join(MODES)}")
    tripod = mode == "tripod"
    h = np.asarray(h, dtype=np.float64)
    h = h / h[2, 2]
    grid = _frame_grid(width, height)
    try:
        plate = np.linalg.inv(h) @ grid
    except np.linalg.LinAlgError:
        raise ValueError("a singular homography has no camera") from None
    target = grid[:2].ravel()
    big = np.full(target.size, 1e6)

    def to_camera(p: np.ndarray) -> CameraState:
        if tripod:
            return CameraState(0.0, 0.0, 0.0, p[0], p[1], p[2], math.exp(p[3]))
        x, y, z, pan, tilt, roll = (float(v) for v in p)
        return CameraState(x, y, z, pan, tilt, roll, reference_focal)

    def residual(p: np.ndarray) -> np.ndarray:
        if not np.all(np.isfinite(p)) or (tripod and abs(p[3]) > 20):
            return big
        fit = plate_homography(to_camera(p), reference_focal=reference_focal,
                               distance=distance, width=width, height=height)
        q = fit @ plate
        if np.any(q[2] <= 1e-9):  # behind the camera
            return big
        res = (q[:2] / q[2]).ravel() - target
        return res if np.all(np.isfinite(res)) else big

    def params(cam: CameraState) -> np.ndarray:
        if tripod:
            return np.array([cam.pan, cam.tilt, cam.roll, math.log(cam.focal)])
        return np.array([cam.x, cam.y, cam.z, cam.pan, cam.tilt, cam.roll])

    steps = (np.array([1e-4, 1e-4, 1e-4, 1e-6]) if tripod
             else np.array([1e-6 * distance] * 3 + [1e-4] * 3))
    starts = []
    exact = _closed_form(h, reference_focal=reference_focal, distance=distance, width=width,
                         height=height, tripod=tripod)
    if exact is not None:
        if init is not None:
            exact = CameraState(exact.x, exact.y, exact.z, _unwrap(exact.pan, init.pan),
                                exact.tilt, _unwrap(exact.roll, init.roll), exact.focal)
        starts.append(params(exact))
    if init is not None:
        start = init if tripod else CameraState(init.x, init.y, init.z, init.pan, init.tilt,
                                                init.roll, reference_focal)
        starts.append(params(start))
    if not starts:
        starts.append(params(CameraState(focal=reference_focal)))
    best, best_cost = starts[0], math.inf
    for s in starts:
        p, cost = _levenberg_marquardt(residual, s, steps)
        if cost < best_cost:
            best, best_cost = p, cost
        # The exact start nearly always lands; the second start is for the rest.
        if best_cost < 0.25 * target.size:
            break
    cam = to_camera(best)
    if tripod:
        cam = CameraState(0.0, 0.0, 0.0, cam.pan, cam.tilt, cam.roll,
                          min(1200.0, max(4.0, cam.focal)))
    return cam


# --- whole clips --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CameraEstimate:
    """A camera move measured from a clip: one camera per frame; the plate-to-frame
    homographies they were fitted to (frame 0 to frame k when frame 0 is the reference
    camera); a path keyed through the cameras; and how well the cameras explain the
    homographies (median over frames of the mean grid error, pixels: near zero when the
    picture moves like a camera looking at one plane, larger for a scene with depth or
    moving subjects)."""

    cameras: tuple[CameraState, ...]
    homographies: tuple[np.ndarray, ...]
    path: CameraPath
    residual_px: float
    mode: str = "free"


def estimate_camera_path(frames: Sequence[np.ndarray] | np.ndarray, fps: float, *,
                         distance: float, reference_focal: float, mode: str = "free",
                         key_every: int | None = None, start: CameraState | None = None,
                         work_width: int = 320, levels: int = 4) -> CameraEstimate:
    """The camera move of a clip (see ``camera_from_homography`` for ``mode`` and the
    zoom/dolly ambiguity). Frame 0 is seen from ``start`` when that is known (a previz
    whose path begins off the reference, a handheld shake at frame 0), else from the
    reference camera at the origin with ``reference_focal``. The path keys every
    ``key_every`` frames (default 4) and the last frame, linearly."""
    if mode not in MODES:
        raise ValueError(f"unknown camera estimate mode {mode!r}; use one of "
                         f"{', '.join(MODES)}")
    frames = list(frames)
    if not frames:
        raise ValueError("no frames to estimate a camera path from")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    height, width = np.asarray(frames[0]).shape[:2]
    homs = estimate_homographies(frames, work_width=work_width, levels=levels)
    if start is not None:
        # Frame-0-to-k homographies become plate-to-k through frame 0's own view.
        h0 = plate_homography(start, reference_focal=reference_focal, distance=distance,
                              width=width, height=height)
        homs = [h @ h0 / (h @ h0)[2, 2] for h in homs]
    cameras: list[CameraState] = []
    errors: list[float] = []
    prev = start
    for h in homs:
        cam = camera_from_homography(h, reference_focal=reference_focal, distance=distance,
                                     width=width, height=height, mode=mode, init=prev)
        fit = plate_homography(cam, reference_focal=reference_focal, distance=distance,
                               width=width, height=height)
        errors.append(homography_error(h, fit, width=width, height=height))
        cameras.append(cam)
        prev = cam
    step = max(1, int(key_every or DEFAULT_KEY_EVERY))
    key_frames = sorted(set(range(0, len(cameras), step)) | {len(cameras) - 1})
    keys = tuple(CameraKey.at(f, cameras[f], "linear") for f in key_frames)
    path = CameraPath(keys=keys, distance=distance)
    return CameraEstimate(cameras=tuple(cameras), homographies=tuple(homs), path=path,
                          residual_px=float(np.median(errors)), mode=mode)


def _rotation_angle(a: CameraState, b: CameraState) -> float:
    r = a.rotation().T @ b.rotation()
    c = (float(np.trace(r)) - 1.0) / 2.0
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def path_error(reference: CameraPath, cameras: Sequence[CameraState], frames: Sequence[float],
               fps: float, *, width: int, height: int) -> dict[str, float]:
    """How far ``cameras`` (at sequence ``frames``) are from ``reference``: the max and mean
    over frames of the rotation error (degrees, the angle of R_ref^T R_est), the position
    error (metres, and as a fraction of the subject distance), the focal error (mm) and the
    reprojection error (pixels: where the two cameras put the plate points the reference
    camera sees on a grid over its frame). Keys ``<measure>_max`` / ``<measure>_mean`` for
    ``rotation_deg``, ``position_m``, ``position_frac``, ``focal_mm``, ``reprojection_px``,
    plus ``frames``."""
    if len(cameras) != len(frames):
        raise ValueError(f"{len(cameras)} cameras for {len(frames)} frames")
    if not cameras:
        raise ValueError("no cameras to compare")
    ref_focal, dist = reference.reference_focal, reference.distance
    rows: dict[str, list[float]] = {k: [] for k in (
        "rotation_deg", "position_m", "position_frac", "focal_mm", "reprojection_px")}
    for cam, f in zip(cameras, frames, strict=True):
        ref = reference.at(f, fps)
        pos = float(np.linalg.norm(ref.position - cam.position))
        rows["rotation_deg"].append(_rotation_angle(ref, cam))
        rows["position_m"].append(pos)
        rows["position_frac"].append(pos / dist)
        rows["focal_mm"].append(abs(ref.focal - cam.focal))
        h_ref, h_est = (plate_homography(c, reference_focal=ref_focal, distance=dist,
                                         width=width, height=height) for c in (ref, cam))
        rows["reprojection_px"].append(homography_error(h_ref, h_est, width=width,
                                                        height=height))
    out: dict[str, float] = {}
    for name, values in rows.items():
        out[f"{name}_max"] = float(np.max(values))
        out[f"{name}_mean"] = float(np.mean(values))
    out["frames"] = float(len(cameras))
    return out
