"""Pose keys from per-frame detections: COCO-17 -> COCO-18, tracking, and the keyframe
reduction checked through the track's own interpolation (``PoseTrack.at``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.conditioning.pose import JOINTS
from timeline.conditioning.pose_reduce import (
    COCO17,
    COCO17_TO_COCO18,
    coco17_to_coco18,
    reduce_keys,
    track_from_detections,
    track_people,
)

W, H = 320, 180


def _body(cx: float, cy: float, arm: float = 0.0) -> np.ndarray:
    """COCO-17 pixel points of a standing figure centred at (cx, cy); ``arm`` lifts the
    right wrist."""
    offsets = {
        "nose": (0, -40), "l_eye": (4, -44), "r_eye": (-4, -44), "l_ear": (8, -42),
        "r_ear": (-8, -42), "l_shoulder": (15, -20), "r_shoulder": (-15, -20),
        "l_elbow": (20, 0), "r_elbow": (-20, 0), "l_wrist": (22, 20),
        "r_wrist": (-22, 20 - arm), "l_hip": (10, 25), "r_hip": (-10, 25),
        "l_knee": (10, 50), "r_knee": (-10, 50), "l_ankle": (10, 75), "r_ankle": (-10, 75),
    }
    return np.array([(cx + offsets[n][0], cy + offsets[n][1]) for n in COCO17], dtype=float)


def _max_error(track, person_id: int, truth: list[np.ndarray | None]) -> float:
    """Largest pixel distance between the track's interpolated joints and the true COCO-18
    joints over all frames where the person is there."""
    worst = 0.0
    for f, pose in enumerate(truth):
        if pose is None:
            continue
        posed = dict(track.at(f))
        skeleton = posed[person_id]
        for joint, want in zip(skeleton.joints, pose, strict=True):
            if not np.all(np.isfinite(want)):
                continue
            assert joint is not None
            worst = max(worst, math.hypot(joint[0] * W - want[0], joint[1] * H - want[1]))
    return worst


def test_coco17_maps_to_openpose_order_with_mid_shoulder_neck() -> None:
    points = _body(100, 90)
    scores = np.ones(17)
    mapped = coco17_to_coco18(points, scores)
    assert mapped.shape == (18, 2)
    for coco18, name in enumerate(JOINTS):
        if name == "neck":
            continue
        assert np.allclose(mapped[coco18], points[COCO17.index(name)]), name
    assert np.allclose(mapped[1], (points[5] + points[6]) / 2)
    # Every COCO-17 point is used exactly once.
    assert sorted(COCO17_TO_COCO18.values()) == list(range(17))
    # A low-confidence shoulder drops the shoulder and the neck, nothing else.
    scores[COCO17.index("l_shoulder")] = 0.1
    mapped = coco17_to_coco18(points, scores, threshold=0.3)
    missing = {JOINTS[i] for i in range(18) if not np.all(np.isfinite(mapped[i]))}
    assert missing == {"l_shoulder", "neck"}
    # Whole-body models (133 points) put the body first; the rest are ignored.
    whole = np.vstack([points, np.zeros((116, 2))])
    assert np.allclose(coco17_to_coco18(whole, np.ones(133)), coco17_to_coco18(
        points, np.ones(17)))
    with pytest.raises(ValueError, match="shape"):
        coco17_to_coco18(points[:10], scores[:10])


def test_reduction_stays_within_tolerance_with_fewer_keys_and_exact_ends() -> None:
    frames = 60
    # Walks right at constant speed for 30 frames, then waves an arm (a sine) while still.
    truth = []
    for f in range(frames):
        x = 60 + 4 * min(f, 30)
        arm = 0.0 if f < 30 else 30 * math.sin((f - 30) / 29 * math.pi * 2)
        truth.append(_body(x, 90, arm))
    detections = [[(p, np.ones(17))] for p in truth]
    for tolerance in (1.0, 4.0):
        track = track_from_detections(detections, width=W, height=H, tolerance=tolerance)
        [person] = track.people
        frames_keyed = [k.frame for k in person.keys]
        assert frames_keyed[0] == 0 and frames_keyed[-1] == frames - 1
        assert len(frames_keyed) < frames // 3
        truth18 = [coco17_to_coco18(p, np.ones(17)) for p in truth]
        assert _max_error(track, person.id, truth18) <= tolerance + 1e-6
        for end in (0, frames - 1):  # endpoints exactly as detected
            got = np.array(person.key_at(end).skeleton.joints) * (W, H)
            assert np.allclose(got, truth18[end])
    # The straight walk needs no key between its ends but the turn at frame 30.
    walk_only = track_from_detections(detections[:31], width=W, height=H, tolerance=0.5)
    assert [k.frame for k in walk_only.people[0].keys] == [0, 30]
    # A tighter tolerance never needs fewer keys.
    loose = track_from_detections(detections, width=W, height=H, tolerance=8.0)
    tight = track_from_detections(detections, width=W, height=H, tolerance=1.0)
    assert len(loose.people[0].keys) <= len(tight.people[0].keys)


def test_reduce_keys_splits_where_a_joint_would_go_missing() -> None:
    poses = np.zeros((5, 18, 2))
    poses[:, :, 0] = np.linspace(0, 0.1, 5)[:, None]
    poses[0, 3] = np.nan  # the elbow is absent at the first frame, present after
    keys = reduce_keys(poses, 1.0, width=W, height=H)
    assert keys[0] == 0 and keys[-1] == 4 and len(keys) > 2
    assert reduce_keys(poses[:1], 1.0, width=W, height=H) == [0]
    assert reduce_keys(poses[:0], 1.0, width=W, height=H) == []


def test_two_people_tracked_across_frames_and_a_gap() -> None:
    frames = 20
    detections = []
    truth_a, truth_b = [], []
    for f in range(frames):
        a, b = _body(60 + f, 90), _body(250 - f, 90)
        truth_a.append(a)
        here = [(a, np.ones(17))]
        if not 8 <= f < 12:  # b leaves for four frames
            here.append((b, np.ones(17)))
            truth_b.append(b)
        else:
            truth_b.append(None)
        if f % 2:  # the detector's order changes from frame to frame
            here.reverse()
        detections.append(here)
    track = track_from_detections(detections, width=W, height=H, tolerance=2.0)
    assert [p.id for p in track.people] == [1, 2]
    a, b = track.people
    assert all(k.visible for k in a.keys) and len(a.keys) == 2
    # b is hidden from frame 8 to 11 and back at 12.
    assert [(k.frame, k.visible) for k in b.keys] == [
        (0, True), (7, True), (8, False), (12, True), (19, True)]
    assert {pid for pid, _ in track.at(9)} == {1}
    assert {pid for pid, _ in track.at(12)} == {1, 2}
    t18a = [coco17_to_coco18(p, np.ones(17)) for p in truth_a]
    t18b = [None if p is None else coco17_to_coco18(p, np.ones(17)) for p in truth_b]
    assert _max_error(track, 1, t18a) <= 2.0 + 1e-6
    assert _max_error(track, 2, t18b) <= 2.0 + 1e-6


def test_late_arrival_hidden_before_and_after_and_tolerance_checked() -> None:
    detections = [[] for _ in range(3)] + [[(_body(100 + f, 90), np.ones(17))]
                                           for f in range(5)] + [[] for _ in range(2)]
    track = track_from_detections(detections, width=W, height=H, tolerance=2.0)
    [person] = track.people
    assert [(k.frame, k.visible) for k in person.keys] == [
        (0, False), (3, True), (7, True), (8, False)]
    assert track.at(1) == [] and track.at(9) == []
    assert track_people([[], []], width=W, height=H) == []
    with pytest.raises(ValueError, match="tolerance"):
        track_from_detections(detections, width=W, height=H, tolerance=0)


@settings(max_examples=40, deadline=None)
@given(frames=st.integers(2, 40), tolerance=st.floats(0.5, 10.0), seed=st.integers(0, 2**16))
def test_any_random_walk_reduces_within_tolerance(frames: int, tolerance: float,
                                                  seed: int) -> None:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 3, (frames, 17, 2))
    points = _body(160, 90)[None] + np.cumsum(steps, axis=0)
    detections = [[(p, np.ones(17))] for p in points]
    # One person however far the joints wander: the tracker links frame to frame.
    track = track_from_detections(detections, width=W, height=H, tolerance=tolerance)
    [person] = track.people
    assert person.keys[0].frame == 0 and person.keys[-1].frame == frames - 1
    truth = [coco17_to_coco18(p, np.ones(17)) for p in points]
    assert _max_error(track, person.id, truth) <= tolerance + 1e-6
