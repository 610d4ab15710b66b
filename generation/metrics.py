"""Take metrics: how temporally stable a take is, whether it holds a hard cut or a visible
seam, and whether its camera did what the brief asked. Measured from decoded frames, with
no model weights.

Every metric is a ``Metric`` (name, value, unit, direction, detail). The measures:

- ``flicker`` (grey levels per frame, lower is better): for each consecutive frame pair the
  median luminance change after the later frame is warped onto the earlier by dense
  optical flow (which compensates the global and local motion); flicker is the mean
  departure of that change from its local trend (the median over the five pairs around
  it). A steady shot, a fade or a slow exposure drift scores near 0; per-frame brightness
  jitter scores about the jitter's size.
- ``warping_error`` (grey levels, lower is better): consecutive frames warped onto each
  other by dense optical flow (OpenCV DIS) and compared, mean |difference| over the pixels
  the forward and backward flows agree on (occlusions masked); pixels that fail the check
  count at the frame pair's own unwarped difference, so a take whose frames do not follow
  from each other cannot hide behind its mask (Lai et al. 2018, "Learning Blind Video
  Temporal Consistency"; the consistency check of Sundaram et al. 2010). The pair's
  overall brightness change is taken out first (that is ``flicker``).
- ``occluded_share`` (fraction 0-1, lower is better): the share of pixels masked as
  occluded by the forward-backward check, averaged over frame pairs.
- ``hard_cuts`` (count, lower is better; 0 unless the brief asked for a cut): frame pairs
  whose colour-histogram distance spikes far above the take's own median; ``detail`` lists
  the first frame after each cut.
- ``seam_jump`` (ratio to the take's typical frame-to-frame change, lower is better; about
  1 is invisible): the largest jump at a known seam (a regenerated range's joins, a
  continuity shot's first / last frame against its neighbour).
- ``camera_error`` (pixels per frame, lower is better): the camera motion estimated back
  from the take (``timeline.conditioning.estimate``) against the brief's camera path:
  the mean over consecutive frame pairs of how far the measured and the brief's motion put
  points on a grid over the frame.
- ``reference_similarity``: needs a local image-embedding model; not computed here (see
  ``not_computed``).

OpenCV (``cv2``) is imported lazily, inside the functions that need it: nothing that the
editor loads at start-up pulls it in. It bundles its own FFmpeg; PyAV and OpenCV were
checked to load and decode side by side in one process (tests/generation/test_metrics.py
runs both import orders), and the take metrics only hand OpenCV decoded arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

# Bump when a measure changes: stored figures from another version are recomputed, never
# mixed with these.
METRICS_VERSION = "2"

# Flow and histograms are measured at most this wide: 81 frames of 832x480 then take a
# few seconds on two cores, and the measures barely change at full size.
WORK_WIDTH = 416

# A hard cut: a histogram distance this many times that of the pairs around it, and above
# the floor.
_CUT_RATIO = 4.0
_CUT_FLOOR = 0.25
_CUT_WINDOW = 4

# Above this the brief's camera was not followed / the take flickers (shown on thumbnails).
CAMERA_ERROR_WARN_PX = 2.0
FLICKER_WARN = 2.0
SEAM_WARN = 3.0

# The camera motion is estimated this wide: measured on an 81-frame pan, 240 gives the same
# error as 320 within 0.02 px/frame in about half the time.
CAMERA_WORK_WIDTH = 240


@dataclass(frozen=True)
class Metric:
    """One measure of a take. ``value`` is None when not computed (``detail['reason']``
    says why). ``direction``: "lower" or "higher" is better."""

    name: str
    value: float | None
    unit: str
    direction: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit,
                "direction": self.direction, "detail": dict(self.detail)}


def not_computed(name: str, unit: str, direction: str, reason: str) -> Metric:
    return Metric(name, None, unit, direction, {"reason": f"not computed: {reason}"})


# --- frames -------------------------------------------------------------------------------


def _work_frames(frames: Sequence[np.ndarray], work_width: int) -> list[np.ndarray]:
    """(h, w, 3) uint8 frames at most ``work_width`` wide (area resampling)."""
    import cv2

    out = []
    for f in frames:
        a = np.asarray(f)
        if a.ndim == 2:
            a = np.repeat(a[..., None], 3, axis=2)
        a = np.ascontiguousarray(a[..., :3], dtype=np.uint8)
        h, w = a.shape[:2]
        if w > work_width:
            a = cv2.resize(a, (work_width, max(2, round(h * work_width / w))),
                           interpolation=cv2.INTER_AREA)
        out.append(a)
    return out


def _luma(rgb: np.ndarray) -> np.ndarray:
    a = rgb.astype(np.float32)
    return a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114


def _normalised(gray: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-contrast 8-bit picture: the flow then follows the structure, not a
    brightness change (which is what ``flicker`` measures)."""
    g = gray - float(gray.mean())
    s = float(g.std())
    g = g * (48.0 / s) if s > 1e-3 else g
    return np.clip(g + 128.0, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class _Pair:
    """One consecutive frame pair, measured: the later frame's luma warped onto the
    earlier, which pixels the flows agree on, and the unwarped difference."""

    signed_change: float  # median of warped(later) - earlier over consistent pixels
    warp_error: float  # mean |difference|, occluded pixels at their unwarped difference
    occluded: float  # share of pixels failing the forward-backward check
    plain_diff: float  # mean |difference| without warping (RGB, grey levels)


def _flow_engine() -> Any:
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    return dis


def _warp(image: np.ndarray, flow: np.ndarray, grid: tuple[np.ndarray, np.ndarray]
          ) -> np.ndarray:
    import cv2

    mx = grid[0] + flow[..., 0]
    my = grid[1] + flow[..., 1]
    return cv2.remap(image, mx, my, interpolation=cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def _measure_pairs(work: Sequence[np.ndarray]) -> list[_Pair]:
    dis = _flow_engine()
    h, w = work[0].shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = (xs, ys)
    lumas = [_luma(f) for f in work]
    norm = [_normalised(g) for g in lumas]
    out = []
    for i in range(len(work) - 1):
        a, b = norm[i], norm[i + 1]
        fwd = dis.calc(a, b, None)  # a -> b: a's pixel x is at x + fwd(x) in b
        bwd = dis.calc(b, a, None)
        bwd_at = _warp(bwd, fwd, grid)
        # Sundaram et al.: the backward flow at the forward target must undo the forward.
        round_trip = np.sum(np.square(fwd + bwd_at), axis=2)
        bound = 0.01 * (np.sum(np.square(fwd), axis=2) + np.sum(np.square(bwd_at), axis=2)) \
            + 0.5
        # Pixels whose forward target falls outside the frame have nothing to compare with.
        inside = ((xs + fwd[..., 0] >= 0) & (xs + fwd[..., 0] <= w - 1)
                  & (ys + fwd[..., 1] >= 0) & (ys + fwd[..., 1] <= h - 1))
        ok = (round_trip <= bound) & inside
        la, lb = lumas[i], lumas[i + 1]
        lb_warped = _warp(lb, fwd, grid)
        share_ok = float(np.count_nonzero(ok)) / ok.size
        signed = float(np.median((lb_warped - la)[ok])) if share_ok > 0.01 else \
            float(lb.mean() - la.mean())
        # The pair's overall brightness change is flicker's to measure, not the warp's: a
        # fade must not read as frames that do not follow from each other.
        plain = np.abs(lb - la - signed)
        diff = np.where(ok, np.abs(lb_warped - la - signed), plain)
        rgb_plain = float(np.mean(np.abs(work[i + 1].astype(np.int16)
                                         - work[i].astype(np.int16))))
        out.append(_Pair(signed, float(diff.mean()), 1.0 - share_ok, rgb_plain))
    return out


# --- the measures -------------------------------------------------------------------------


def _flicker_changes(signed: Sequence[float], radius: int = 2) -> list[float]:
    """Each pair's motion-compensated brightness change less the local trend (the median
    of the changes within ``radius`` pairs): a fade or a slow exposure drift changes every
    pair alike and is not flicker; a brightness that jumps about from frame to frame is."""
    d = np.asarray(signed, dtype=np.float64)
    out = []
    for i, v in enumerate(d):
        trend = float(np.median(d[max(0, i - radius):i + radius + 1]))
        out.append(abs(float(v) - trend))
    return out


def _histogram(rgb: np.ndarray) -> np.ndarray:
    import cv2

    hist = cv2.calcHist([rgb], [0, 1, 2], None, [8, 8, 8], [0, 256, 0, 256, 0, 256])
    return cv2.normalize(hist, hist).flatten()


def cut_distances(work: Sequence[np.ndarray]) -> list[float]:
    """Bhattacharyya distance (0 same, 1 disjoint) between the colour histograms of
    consecutive frames."""
    import cv2

    hists = [_histogram(f) for f in work]
    return [float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))
            for a, b in pairwise(hists)]


def hard_cuts(distances: Sequence[float]) -> list[int]:
    """Frames (the first after each cut) whose histogram distance to the frame before
    spikes: above ``_CUT_FLOOR`` and at least ``_CUT_RATIO`` times the median distance of
    the pairs around it (``_CUT_WINDOW`` each side, itself excluded). A spike relative to
    the take's own change, so a fade or a busy shot, whose every pair changes alike, does
    not read as a run of cuts."""
    d = np.asarray(distances, dtype=np.float64)
    out = []
    for i, v in enumerate(d):
        if v < _CUT_FLOOR:
            continue
        around = np.concatenate([d[max(0, i - _CUT_WINDOW):i], d[i + 1:i + 1 + _CUT_WINDOW]])
        local = float(np.median(around)) if around.size else 0.0
        if v >= _CUT_RATIO * max(local, 1e-3):
            out.append(i + 1)
    return out


def seam_jumps(work: Sequence[np.ndarray], seams: Sequence[int],
               neighbours: Mapping[str, np.ndarray] | None, typical: float
               ) -> dict[str, float]:
    """The jump (mean |difference|, grey levels) at each seam as a ratio to ``typical``
    (the take's median frame-to-frame change). ``seams``: take frames that begin a spliced
    part (the jump is between frame s-1 and s). ``neighbours``: the sequence frame before
    (``before``) or after (``after``) a continuity take, against its first / last frame."""
    import cv2

    def diff(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))

    floor = max(typical, 0.5)  # a still take: any jump over half a grey level shows
    out: dict[str, float] = {}
    for s in seams:
        if 0 < s < len(work):
            out[f"frame {s}"] = diff(work[s - 1], work[s]) / floor
    h, w = work[0].shape[:2]
    for key, index in (("before", 0), ("after", len(work) - 1)):
        pic = (neighbours or {}).get(key)
        if pic is None:
            continue
        pic = np.ascontiguousarray(np.asarray(pic)[..., :3], dtype=np.uint8)
        if pic.shape[:2] != (h, w):
            pic = cv2.resize(pic, (w, h), interpolation=cv2.INTER_AREA)
        out[key] = diff(pic, work[index]) / floor
    return out


def _motion_error(measured: Sequence[np.ndarray], expected: Sequence[np.ndarray], *,
                  width: int, height: int) -> list[float]:
    """Per consecutive pair, pixels between where the measured and the expected
    frame-to-frame motion put a grid of points."""
    from timeline.conditioning.estimate import homography_error

    out = []
    for (m0, m1), (e0, e1) in zip(pairwise(measured), pairwise(expected), strict=True):
        dm = m1 @ np.linalg.inv(m0)
        de = e1 @ np.linalg.inv(e0)
        out.append(homography_error(dm / dm[2, 2], de / de[2, 2], width=width,
                                    height=height))
    return out


def camera_error(frames: Sequence[np.ndarray], path: Any, times: Sequence[float], fps: float,
                 *, work_width: int = CAMERA_WORK_WIDTH) -> Metric:
    """``camera_error``: px/frame, lower is better. ``path`` is the brief's
    ``CameraPath``; ``times`` the (fractional) sequence frame each take frame shows;
    ``fps`` the sequence rate (for a handheld shake). Compares frame-to-frame motion, so a
    take that starts from a slightly different view but moves as asked still scores low."""
    from timeline.conditioning.camera import plate_homography
    from timeline.conditioning.estimate import estimate_homographies

    if len(frames) < 2:
        return not_computed("camera_error", "px/frame", "lower", "fewer than two frames")
    height, width = np.asarray(frames[0]).shape[:2]
    measured = estimate_homographies(frames, work_width=work_width)
    expected = [plate_homography(path.at(t, fps), reference_focal=path.reference_focal,
                                 distance=path.distance, width=width, height=height)
                for t in times]
    errors = _motion_error(measured, expected, width=width, height=height)
    finite = [e for e in errors if math.isfinite(e)]
    if not finite:
        return not_computed("camera_error", "px/frame", "lower",
                            "the camera motion could not be measured")
    # How far the last frame ends up from where the brief puts it (drift, pixels).
    from timeline.conditioning.estimate import homography_error

    end = expected[-1] @ np.linalg.inv(expected[0])
    drift = homography_error(measured[-1], end / end[2, 2], width=width, height=height)
    return Metric("camera_error", float(np.mean(finite)), "px/frame", "lower",
                  {"max": float(np.max(finite)), "pairs": len(finite),
                   "end_px": drift if math.isfinite(drift) else None})


def measure(frames: Sequence[np.ndarray], *, camera: Any = None,
            camera_times: Sequence[float] | None = None, camera_fps: float = 24.0,
            seams: Sequence[int] = (), neighbours: Mapping[str, np.ndarray] | None = None,
            work_width: int = WORK_WIDTH) -> list[Metric]:
    """All metrics of a take's (H, W, 3) uint8 frames, in a fixed order. ``camera``: the
    brief's ``CameraPath`` (None: the brief has none, camera_error is not computed) with
    ``camera_times`` (default: one sequence frame per take frame) and ``camera_fps``.
    ``seams`` / ``neighbours``: see ``seam_jumps``."""
    frames = list(frames)
    if len(frames) < 2:
        raise ValueError(f"a take needs at least two frames to be measured, it has "
                         f"{len(frames)}")
    work = _work_frames(frames, work_width)
    if any(f.shape != work[0].shape for f in work):
        raise ValueError("all frames of a take must have the same size")
    pairs = _measure_pairs(work)
    distances = cut_distances(work)
    cuts = hard_cuts(distances)
    changes = _flicker_changes([p.signed_change for p in pairs])
    typical = float(np.median([p.plain_diff for p in pairs]))
    out = [
        Metric("flicker", float(np.mean(changes)), "grey levels/frame", "lower",
               {"max": float(np.max(changes))}),
        Metric("warping_error", float(np.mean([p.warp_error for p in pairs])), "grey levels",
               "lower", {"max": float(np.max([p.warp_error for p in pairs]))}),
        Metric("occluded_share", float(np.mean([p.occluded for p in pairs])), "fraction",
               "lower"),
        Metric("hard_cuts", float(len(cuts)), "cuts", "lower",
               {"frames": cuts, "max_distance": float(max(distances)),
                "median_distance": float(np.median(distances))}),
    ]
    jumps = seam_jumps(work, seams, neighbours, typical)
    if jumps:
        out.append(Metric("seam_jump", float(max(jumps.values())), "x typical change",
                          "lower", {"seams": jumps, "typical": typical}))
    else:
        out.append(not_computed("seam_jump", "x typical change", "lower",
                                "the take has no known seam"))
    if camera is None:
        out.append(not_computed("camera_error", "px/frame", "lower",
                                "the brief has no camera path"))
    else:
        times = list(camera_times) if camera_times is not None else \
            [float(i) for i in range(len(frames))]
        if len(times) != len(frames):
            raise ValueError(f"{len(times)} camera times for {len(frames)} frames")
        out.append(camera_error(frames, camera, times, camera_fps))
    out.append(not_computed("reference_similarity", "cosine", "higher",
                            "no model (no local CLIP/DINOv2 image-embedding model)"))
    return out


def warnings_for(metrics: Mapping[str, float | None]) -> list[str]:
    """What a thumbnail says about a take: it ignored its camera brief, it flickers, it
    holds a cut or a visible seam."""
    out = []
    cam = metrics.get("camera_error")
    if cam is not None and cam > CAMERA_ERROR_WARN_PX:
        out.append(f"ignored its camera brief ({cam:.1f} px/frame off)")
    flick = metrics.get("flicker")
    if flick is not None and flick > FLICKER_WARN:
        out.append(f"flickers ({flick:.1f} grey levels/frame)")
    cuts = metrics.get("hard_cuts")
    if cuts:
        out.append(f"{int(cuts)} hard cut{'s' if cuts != 1 else ''}")
    seam = metrics.get("seam_jump")
    if seam is not None and seam > SEAM_WARN:
        out.append(f"visible seam ({seam:.1f}x the typical change)")
    return out


def measure_request(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Measure a take file from a plain-data request (what crosses to a measuring process):
    ``media`` (the take file), optional ``camera`` (a CameraPath's JSON), ``camera_times``,
    ``camera_fps``, ``seams`` (take frames), ``neighbours`` ({"before"/"after": picture
    path}) and ``frames`` ([start, end): the part of the file the take is, e.g. one shot of
    a multi-shot file). Returns the metrics as JSON."""
    from pathlib import Path

    from generation.take_media import read_take
    from timeline.conditioning.camera import CameraPath

    media = Path(request["media"])
    if not media.is_file():
        raise ValueError(f"the take's media file is missing: {media}")
    try:
        frames = list(read_take(media))
    except Exception as exc:  # a damaged file: a clear reason, not a decoder traceback
        raise ValueError(f"the take's media does not decode ({type(exc).__name__}: "
                         f"{exc})") from None
    span = request.get("frames")
    if span is not None:
        frames = frames[int(span[0]):int(span[1])]
        if not frames:
            raise ValueError(f"the take's frames {span} are not in its media file")
    camera = None if request.get("camera") is None else \
        CameraPath.from_json(request["camera"])
    neighbours = {}
    for key, path in (request.get("neighbours") or {}).items():
        from PIL import Image

        try:
            with Image.open(path) as im:
                neighbours[key] = np.asarray(im.convert("RGB"))
        except OSError:
            continue  # the continuity frame is gone: that seam is simply not measured
    metrics = measure(frames, camera=camera, camera_times=request.get("camera_times"),
                      camera_fps=float(request.get("camera_fps", 24.0)),
                      seams=request.get("seams") or (), neighbours=neighbours)
    return [m.to_json() for m in metrics]
