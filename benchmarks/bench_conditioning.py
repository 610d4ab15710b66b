"""Conditioning: previz scene speed and how well camera paths survive the round trip
through their previz and the estimator.

    .venv/bin/python benchmarks/bench_conditioning.py [--repeat 3] [--size 640x360]

Prints: the median time per frame of the plain previz background (a fitted still, the
reference in the same process) vs the camera-plate re-projection with skeletons at 640x360
and 1920x1080; the estimator's time per frame; and for each preset and the issue's
multi-stage move, the round-trip error of the previz frames (slate drawn on top, as the
previz backend does) estimated back against the path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.scene import scene_frames  # noqa: E402
from timeline.conditioning.camera import build_path, parse_stages  # noqa: E402
from timeline.conditioning.estimate import estimate_camera_path, path_error  # noqa: E402
from timeline.conditioning.pose import Person, PoseKey, PoseTrack, Skeleton  # noqa: E402
from timeline.conditioning.scene import default_plate, fit_plate  # noqa: E402

CASES = [
    ("static", "free"), ("pan:20", "free"), ("tilt:10", "free"), ("truck:0.2", "free"),
    ("dolly-in:0.3", "free"), ("dolly-out:0.3", "free"), ("pedestal:0.2", "free"),
    ("crane:0.2", "free"), ("orbit:30", "free"), ("tracking:0.3", "free"),
    ("zoom:1.5", "tripod"), ("static,handheld:0.6", "free"),
    ("static,dolly-in:0.5,orbit:60", "free"), ("static,dolly-in:0.5,orbit:90", "free"),
]


def skeleton_track() -> PoseTrack:
    pts = [(0.5, 0.22), (0.5, 0.33), (0.45, 0.33), (0.44, 0.47), (0.43, 0.58), (0.55, 0.33),
           (0.56, 0.47), (0.57, 0.58), (0.47, 0.58), (0.47, 0.75), (0.47, 0.92), (0.53, 0.58),
           (0.53, 0.75), (0.53, 0.92), (0.49, 0.2), (0.51, 0.2), (0.48, 0.21), (0.52, 0.21)]
    return PoseTrack(people=(Person(id=1, keys=(PoseKey(0, Skeleton(tuple(pts))),)),))


def slate(frame: np.ndarray) -> np.ndarray:
    out = frame.copy()
    h = out.shape[0]
    out[h - h // 7:] = (out[h - h // 7:] * 0.35).astype(np.uint8)  # the previz slate bar
    return out


def timed_frames(**kw: object) -> float:
    t0 = time.perf_counter()
    n = 0
    for _ in scene_frames(**kw):  # type: ignore[arg-type]
        n += 1
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--frames", type=int, default=48)
    args = ap.parse_args()
    fps = 24.0
    poses = skeleton_track()
    print("previz scene, median ms per frame (plain still = reference):")
    for w, h in ((640, 360), (1920, 1080)):
        plate = default_plate(w, h)
        path = build_path(parse_stages("dolly-in:0.4,orbit:30"), 24)
        times = [float(i) for i in range(24)]
        still = statistics.median(timed_frames(camera=None, poses=None, plate=plate,
                                               times=times, fps=fps, width=w, height=h)
                                  for _ in range(args.repeat))
        moved = statistics.median(timed_frames(camera=path, poses=poses, plate=plate,
                                               times=times, fps=fps, width=w, height=h)
                                  for _ in range(args.repeat))
        print(f"  {w}x{h}: still {still * 1e3:7.2f}  camera+skeletons {moved * 1e3:7.2f}  "
              f"({moved / still:.1f}x, {1 / moved:.1f} frames/s)")

    w, h, n = 320, 180, args.frames
    plate = fit_plate(default_plate(640, 360), w, h)
    print(f"\nround trip at {w}x{h}, {n} frames, slate on every frame:")
    print(f"  {'path':<34} {'mode':<6} {'rot max°':>8} {'pos max%':>8} {'focal mm':>8} "
          f"{'reproj px':>9} {'est ms/f':>8}")
    for stages, mode in CASES:
        path = build_path(parse_stages(stages), n, seed=1)
        times = [float(i) for i in range(n)]
        frames = [slate(f) for f in scene_frames(camera=path, poses=None, plate=plate,
                                                  times=times, fps=fps, width=w, height=h)]
        t0 = time.perf_counter()
        est = estimate_camera_path(frames, fps, distance=path.distance,
                                   reference_focal=path.reference_focal, mode=mode,
                                   start=path.at(0, fps))
        per_frame = (time.perf_counter() - t0) / n
        err = path_error(path, est.cameras, times, fps, width=w, height=h)
        print(f"  {stages:<34} {mode:<6} {err['rotation_deg_max']:8.3f} "
              f"{err['position_frac_max'] * 100:8.2f} {err['focal_mm_max']:8.3f} "
              f"{err['reprojection_px_max']:9.2f} {per_frame * 1e3:8.1f}")


if __name__ == "__main__":
    main()
