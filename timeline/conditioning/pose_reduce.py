"""Pose keyframes from per-frame detections: COCO-17 -> COCO-18, people tracked across
frames, and the fewest keys that stay within a tolerance.

A pose detector (RTMPose, DWPose: ``generation.pose_extract``) gives, per frame, each
person's 17 COCO keypoints in pixels with a confidence. ``coco17_to_coco18`` reorders them
into OpenPose's COCO-18 (``pose.JOINTS``) with the neck as the mid-shoulder point, as
OpenPose-style annotators do; ``track_people`` links the people of consecutive frames by
their nearest pose; ``reduce_keys`` keeps, per person, only the keys needed for the track's
own linear interpolation (``pose._person_at`` with easing "linear") to stay within
``tolerance`` pixels of every detected joint (Ramer-Douglas-Peucker over time: split where
the error is largest until every span is within tolerance). The first and last detected
frames of every run are always keys, exactly as detected. A person who leaves the picture
gets a hidden key where they vanish and a visible one where they come back.

Pure numpy: this runs anywhere, and is tested on synthetic tracks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from timeline.conditioning.pose import Person, PoseKey, PoseTrack, Skeleton

__all__ = [
    "COCO17",
    "COCO17_TO_COCO18",
    "coco17_to_coco18",
    "reduce_keys",
    "track_people",
    "track_from_detections",
]

COCO17: tuple[str, ...] = (
    "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow",
    "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle",
    "r_ankle",
)

# COCO-18 (OpenPose) joint -> COCO-17 keypoint; the neck (1) has none and is the midpoint
# of the two shoulders.
COCO17_TO_COCO18: dict[int, int] = {
    0: 0, 2: 6, 3: 8, 4: 10, 5: 5, 6: 7, 7: 9, 8: 12, 9: 14, 10: 16, 11: 11, 12: 13,
    13: 15, 14: 2, 15: 1, 16: 4, 17: 3,
}
_NECK = 1
_L_SHOULDER17, _R_SHOULDER17 = 5, 6

# Two poses farther apart than this (mean joint distance, as a fraction of the frame's
# diagonal) are not the same person from one frame to the next.
_MAX_LINK = 0.15
# A person unseen for more frames than this is taken as gone; a new detection starts a new
# person.
_MAX_GAP = 12


def coco17_to_coco18(points: np.ndarray, scores: np.ndarray, *,
                     threshold: float = 0.3) -> np.ndarray:
    """``(18, 2)`` float pixel joints in COCO-18 order, NaN where absent, from COCO-17
    ``points`` ``(>=17, 2)`` and ``scores`` ``(>=17,)`` (whole-body models put the 17 body
    points first; the rest are ignored). A keypoint under ``threshold`` is absent; the neck
    is present when both shoulders are."""
    points = np.asarray(points, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] < 17 or points.shape[1] != 2:
        raise ValueError(f"expected COCO keypoints of shape (17, 2), got {points.shape}")
    out = np.full((18, 2), np.nan)
    for coco18, coco17 in COCO17_TO_COCO18.items():
        if scores[coco17] >= threshold and np.all(np.isfinite(points[coco17])):
            out[coco18] = points[coco17]
    if scores[_L_SHOULDER17] >= threshold and scores[_R_SHOULDER17] >= threshold:
        out[_NECK] = (points[_L_SHOULDER17] + points[_R_SHOULDER17]) / 2
    return out


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance of the joints both poses have; inf when they share none."""
    both = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1)
    if not both.any():
        return math.inf
    return float(np.mean(np.hypot(*(a[both] - b[both]).T)))


def track_people(frames: Sequence[Sequence[np.ndarray]], *, width: int, height: int
                 ) -> list[dict[int, np.ndarray]]:
    """Link each frame's poses (``(18, 2)`` pixel arrays) into people: a list of
    ``{frame index: pose}``, in order of first appearance. Each pose joins the person whose
    latest pose is nearest (greedy, nearest pair first), when near enough; the rest start
    new people."""
    limit = _MAX_LINK * math.hypot(width, height)
    people: list[dict[int, np.ndarray]] = []
    last_seen: list[int] = []
    for f, poses in enumerate(frames):
        live = [i for i, seen in enumerate(last_seen) if f - seen <= _MAX_GAP]
        pairs = sorted(
            (_distance(people[i][last_seen[i]], pose), i, j)
            for i in live for j, pose in enumerate(poses))
        taken_people: set[int] = set()
        taken_poses: set[int] = set()
        for d, i, j in pairs:
            if d > limit or i in taken_people or j in taken_poses:
                continue
            people[i][f] = poses[j]
            last_seen[i] = f
            taken_people.add(i)
            taken_poses.add(j)
        for j, pose in enumerate(poses):
            if j not in taken_poses and np.isfinite(pose).any():
                people.append({f: pose})
                last_seen.append(f)
    return people


def _span_error(poses: np.ndarray, a: int, b: int, scale: np.ndarray) -> tuple[float, int]:
    """Largest pixel error over frames a+1..b-1 of the linear move from pose a to pose b,
    and the frame where it is; a joint detected in between but absent at either end
    cannot be drawn there, so it counts as infinitely wrong."""
    if b - a < 2:
        return 0.0, a
    t = (np.arange(a + 1, b) - a) / (b - a)
    start, end = poses[a], poses[b]
    guess = start[None] + (end - start)[None] * t[:, None, None]
    actual = poses[a + 1:b]
    seen = np.all(np.isfinite(actual), axis=2)
    err = np.hypot(*((guess - actual) * scale).transpose(2, 0, 1))
    err = np.where(seen, np.where(np.isfinite(err), err, np.inf), 0.0)
    per_frame = err.max(axis=1)
    k = int(np.argmax(per_frame))
    return float(per_frame[k]), a + 1 + k


def reduce_keys(poses: np.ndarray, tolerance: float, *, width: int, height: int
                ) -> list[int]:
    """Indices of the fewest frames (in the RDP sense) of ``poses`` ``(F, 18, 2)``
    (normalised, NaN where absent) whose linear interpolation stays within ``tolerance``
    pixels (on a ``width`` x ``height`` frame) of every present joint; always the first and
    last frame."""
    count = len(poses)
    if count == 0:
        return []
    if count == 1:
        return [0]
    scale = np.array([width, height], dtype=np.float64)
    keys = {0, count - 1}
    stack = [(0, count - 1)]
    while stack:
        a, b = stack.pop()
        err, at = _span_error(poses, a, b, scale)
        if err > tolerance:
            keys.add(at)
            stack += [(a, at), (at, b)]
    return sorted(keys)


def _skeleton(pose: np.ndarray) -> Skeleton:
    return Skeleton(tuple(None if not np.all(np.isfinite(j)) else (float(j[0]), float(j[1]))
                          for j in pose))


def _person_keys(frames: dict[int, np.ndarray], tolerance: float, width: int,
                 height: int, total: int) -> list[PoseKey]:
    """Keys for one tracked person: each run of consecutive frames reduced on its own, a
    hidden key (holding the last pose) at the first frame of every gap, and at frame 0 when
    the person comes in later (the track holds its first key before it otherwise)."""
    order = sorted(frames)
    runs: list[list[int]] = [[order[0]]]
    for f in order[1:]:
        if f == runs[-1][-1] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    scale = np.array([width, height], dtype=np.float64)
    keys: list[PoseKey] = []
    if order[0] > 0:
        keys.append(PoseKey(0, _skeleton(frames[order[0]] / scale), visible=False))
    for n, run in enumerate(runs):
        poses = np.stack([frames[f] for f in run]) / scale
        for i in reduce_keys(poses, tolerance, width=width, height=height):
            keys.append(PoseKey(run[i], _skeleton(poses[i])))
        if n + 1 < len(runs) or run[-1] + 1 < total:
            keys.append(PoseKey(run[-1] + 1, _skeleton(poses[-1]), visible=False))
    return keys


def track_from_detections(frames: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]], *,
                          width: int, height: int, tolerance: float = 4.0,
                          threshold: float = 0.3, min_frames: int = 2) -> PoseTrack:
    """A pose track from per-frame detections: ``frames[i]`` is frame i's list of
    ``(COCO-17 points (17, 2) in pixels, scores (17,))``. People seen in fewer than
    ``min_frames`` frames (a stray detection) are dropped; people are numbered 1..n in order
    of first appearance."""
    if tolerance <= 0 or not math.isfinite(tolerance):
        raise ValueError(f"the tolerance must be a positive number of pixels, not {tolerance}")
    poses = [[coco17_to_coco18(p, s, threshold=threshold) for p, s in detections]
             for detections in frames]
    poses = [[p for p in frame if np.isfinite(p).any()] for frame in poses]
    people = [p for p in track_people(poses, width=width, height=height)
              if len(p) >= min(min_frames, len(frames))]
    return PoseTrack(tuple(Person(n + 1, "", tuple(_person_keys(p, tolerance, width, height,
                                                                  len(frames))))
                           for n, p in enumerate(people)))
