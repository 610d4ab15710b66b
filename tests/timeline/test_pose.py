"""Pose keyframes: JSON, interpolation, edits, OpenPose-style rendering, OpenPose JSON, files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.conditioning.easing import EASINGS
from timeline.conditioning.pose import (
    JOINT_COLORS,
    JOINTS,
    LIMBS,
    Person,
    PoseError,
    PoseKey,
    PoseTrack,
    Skeleton,
    export_openpose_frames,
    from_openpose,
    load_pose_file,
    render_pose_frames,
    render_pose_map,
    save_pose_file,
    stick_width,
    to_openpose,
    validate_pose_track,
)

# A standing figure, facing the camera, in normalised coordinates.
STANDING = (
    (0.50, 0.20), (0.50, 0.30),
    (0.40, 0.30), (0.37, 0.42), (0.35, 0.54),
    (0.60, 0.30), (0.63, 0.42), (0.65, 0.54),
    (0.45, 0.55), (0.45, 0.70), (0.45, 0.85),
    (0.55, 0.55), (0.55, 0.70), (0.55, 0.85),
    (0.48, 0.18), (0.52, 0.18), (0.46, 0.19), (0.54, 0.19),
)


def skeleton(dx: float = 0.0, dy: float = 0.0, absent: tuple[int, ...] = ()) -> Skeleton:
    return Skeleton(tuple(None if n in absent else (x + dx, y + dy)
                          for n, (x, y) in enumerate(STANDING)))


def only(joints: dict[int, tuple[float, float]]) -> Skeleton:
    return Skeleton(tuple(joints.get(n) for n in range(len(JOINTS))))


def two_key_track(easing: str, absent_at_end: tuple[int, ...] = ()) -> PoseTrack:
    return PoseTrack((Person(1, "Ana", (
        PoseKey(0, skeleton(), easing=easing),
        PoseKey(10, skeleton(0.2, 0.1, absent_at_end)),
    )),))


def joint_at(track: PoseTrack, frame: float, joint: int) -> tuple[float, float] | None:
    [(_, posed)] = track.at(frame)
    return posed.joints[joint]


# --- constants and JSON -----------------------------------------------------------------


def test_constants_follow_openpose_coco():
    assert len(JOINTS) == 18 and JOINTS[1] == "neck" and JOINTS[8] == "r_hip"
    assert len(LIMBS) == 17 and LIMBS[0] == (1, 2) and LIMBS[-1] == (15, 17)
    assert len(JOINT_COLORS) == 18 and JOINT_COLORS[0] == (255, 0, 0)
    assert JOINT_COLORS[17] == (255, 0, 85)


def test_json_round_trip_is_exact_and_hashable():
    track = PoseTrack((
        Person(1, "Ana", (
            PoseKey(0, skeleton(absent=(3, 16))),
            PoseKey(12, skeleton(0.1 / 3, -0.02), visible=False, easing="hold"),
            PoseKey(30, skeleton(), easing="smooth"),
        )),
        Person(7, "", (PoseKey(5, skeleton(0.25, 0.0), easing="ease_in_out"),)),
    ))
    through_text = json.loads(json.dumps(track.to_json()))
    assert PoseTrack.from_json(through_text) == track
    assert PoseTrack.from_json(through_text).to_json() == track.to_json()
    assert hash(PoseTrack.from_json(through_text)) == hash(track)
    key = track.people[0].keys[1]
    assert PoseKey.from_json(key.to_json()) == key
    assert Skeleton.from_json(key.skeleton.to_json()) == key.skeleton
    assert Person.from_json(track.people[1].to_json()) == track.people[1]


def test_constructors_normalise_lists_and_sort_keys():
    person = Person(1, keys=(PoseKey(9, skeleton()), PoseKey(2, skeleton())))
    assert [k.frame for k in person.keys] == [2, 9]
    listed = Skeleton([[0.5, 0.5]] + [None] * 17)  # type: ignore[list-item]
    assert listed == only({0: (0.5, 0.5)})
    hash(listed)


# --- interpolation ----------------------------------------------------------------------


def test_linear_midpoint_and_quarter():
    track = two_key_track("linear")
    x0, y0 = STANDING[4]
    assert joint_at(track, 5, 4) == pytest.approx((x0 + 0.1, y0 + 0.05))
    assert joint_at(track, 2.5, 4) == pytest.approx((x0 + 0.05, y0 + 0.025))


def test_ease_in_out_halfway_is_halfway_but_quarter_is_not_linear():
    track = two_key_track("ease_in_out")
    x0, y0 = STANDING[0]
    assert joint_at(track, 5, 0) == pytest.approx((x0 + 0.1, y0 + 0.05))
    eased_x = joint_at(track, 2.5, 0)[0]
    linear_x = joint_at(two_key_track("linear"), 2.5, 0)[0]
    # smoothstep(0.25) = 0.15625 of the way
    assert eased_x == pytest.approx(x0 + 0.2 * 0.15625)
    assert abs(eased_x - linear_x) > 0.01


def test_ease_in_and_out_lean_opposite_ways():
    x0 = STANDING[0][0]
    ease_in = joint_at(two_key_track("ease_in"), 5, 0)[0] - x0
    ease_out = joint_at(two_key_track("ease_out"), 5, 0)[0] - x0
    assert ease_in == pytest.approx(0.05) and ease_out == pytest.approx(0.15)


def test_hold_keeps_the_earlier_pose_until_the_next_key():
    track = two_key_track("hold", absent_at_end=(4,))
    assert track.at(9.99) == [(1, skeleton())]
    # Hold keeps even a joint the next key lacks.
    assert joint_at(track, 9.99, 4) == STANDING[4]
    assert track.at(10) == [(1, skeleton(0.2, 0.1, (4,)))]


def test_joint_absent_in_either_key_is_absent_between():
    track = PoseTrack((Person(1, keys=(
        PoseKey(0, skeleton(absent=(3,))),
        PoseKey(10, skeleton(0.2, 0.1, (4,))),
    )),))
    assert joint_at(track, 0, 3) is None and joint_at(track, 0, 4) is not None
    assert joint_at(track, 5, 3) is None and joint_at(track, 5, 4) is None
    assert joint_at(track, 5, 5) is not None
    assert joint_at(track, 10, 3) is not None and joint_at(track, 10, 4) is None


def test_clamps_before_first_and_after_last_key():
    track = PoseTrack((Person(2, keys=(
        PoseKey(4, skeleton()), PoseKey(8, skeleton(0.1, 0.0)),
    )),))
    assert track.at(-3) == [(2, skeleton())]
    assert track.at(0) == [(2, skeleton())]
    assert track.at(8.5) == [(2, skeleton(0.1, 0.0))]
    assert track.at(1000) == [(2, skeleton(0.1, 0.0))]


def test_visibility_holds_from_the_earlier_key():
    track = PoseTrack((
        Person(1, keys=(PoseKey(0, skeleton(), visible=False), PoseKey(10, skeleton()))),
        Person(2, keys=(PoseKey(0, skeleton()), PoseKey(6, skeleton(), visible=False))),
    ))
    assert [pid for pid, _ in track.at(0)] == [2]
    assert [pid for pid, _ in track.at(5.5)] == [2]
    assert [pid for pid, _ in track.at(7)] == []
    assert [pid for pid, _ in track.at(10)] == [1]


def test_smooth_passes_through_keys_and_curves_between():
    def point(x: float) -> Skeleton:
        return only({0: (x, 0.5)})

    track = PoseTrack((Person(1, keys=(
        PoseKey(0, point(0.0), easing="smooth"),
        PoseKey(10, point(0.2), easing="smooth"),
        PoseKey(20, point(0.6), easing="smooth"),
        PoseKey(30, point(0.6), easing="smooth"),
    )),))
    assert joint_at(track, 10, 0) == (0.2, 0.5)
    assert joint_at(track, 20, 0) == (0.6, 0.5)
    # Catmull-Rom through 0, 0.2, 0.6, 0.6 at t = 0.5: the curve runs past the straight
    # line's 0.4, carried by the faster move before it.
    assert joint_at(track, 15, 0)[0] == pytest.approx(0.4125)
    # The first segment has no key before it: its start tangent is flat, so it lags linear.
    assert joint_at(track, 5, 0)[0] == pytest.approx(0.5 * (0.2 * 0.5 + (4 * 0.2 - 0.6) * 0.25
                                                            + (-3 * 0.2 + 0.6) * 0.125))


def test_non_finite_frame_is_refused():
    with pytest.raises(PoseError, match="finite"):
        two_key_track("linear").at(float("nan"))


@settings(max_examples=60, deadline=None)
@given(
    frames=st.lists(st.integers(0, 500), min_size=1, max_size=6, unique=True),
    easings=st.lists(st.sampled_from(EASINGS), min_size=6, max_size=6),
    visible=st.lists(st.booleans(), min_size=6, max_size=6),
    coords=st.lists(
        st.one_of(st.none(), st.tuples(st.floats(-0.2, 1.2), st.floats(-0.2, 1.2))),
        min_size=18, max_size=18,
    ),
    pick=st.integers(0, 5),
)
def test_at_a_key_frame_gives_that_key_exactly(frames, easings, visible, coords, pick):
    keys = tuple(
        PoseKey(frame, Skeleton(tuple(None if c is None else (c[0] + n / 7, c[1] - n / 11)
                                      for c in coords)),
                visible[n], easings[n])
        for n, frame in enumerate(frames)
    )
    track = PoseTrack((Person(3, keys=keys),))
    key = keys[pick % len(keys)]
    expected = [(3, key.skeleton)] if key.visible else []
    assert track.at(key.frame) == expected
    assert track.at(float(key.frame)) == expected


# --- edits ------------------------------------------------------------------------------


def test_edits_return_new_tracks():
    track = two_key_track("linear")
    moved = track.with_key(1, PoseKey(10, skeleton(0.3, 0.0)))
    assert [k.frame for k in moved.people[0].keys] == [0, 10]
    assert moved.people[0].keys[1].skeleton == skeleton(0.3, 0.0)
    assert track.people[0].keys[1].skeleton == skeleton(0.2, 0.1)  # unchanged original

    added = track.with_key(1, PoseKey(5, skeleton()))
    assert [k.frame for k in added.people[0].keys] == [0, 5, 10]
    assert [k.frame for k in added.without_key(1, 5).people[0].keys] == [0, 10]

    copied = track.copy_key(1, 0, 10)
    assert copied.people[0].keys[1].skeleton == skeleton()
    new_copy = two_key_track("ease_in").copy_key(1, 0, 4)
    assert new_copy.people[0].keys[1] == PoseKey(4, skeleton(), easing="ease_in")

    shifted = track.shifted(3)
    assert [k.frame for k in shifted.people[0].keys] == [3, 13]

    with_bob = track.with_person(Person(2, "Bob", (PoseKey(0, skeleton()),)))
    assert [p.id for p in with_bob.people] == [1, 2]
    renamed = with_bob.with_person(Person(2, "Robert"))
    assert [p.name for p in renamed.people] == ["Ana", "Robert"]
    assert [p.id for p in renamed.without_person(1).people] == [2]


def test_edit_errors_name_the_problem():
    track = two_key_track("linear")
    with pytest.raises(PoseError, match="no person with id 9"):
        track.with_key(9, PoseKey(0, skeleton()))
    with pytest.raises(PoseError, match=r"no pose key at frame 4 \(keys at: 0, 10\)"):
        track.without_key(1, 4)
    with pytest.raises(PoseError, match="no pose key at frame 3 to copy from"):
        track.copy_key(1, 3, 5)


# --- rendering --------------------------------------------------------------------------


def test_stick_width_scales_with_the_short_side():
    assert stick_width(512, 512) == 4
    assert stick_width(1920, 1080) == 8
    assert stick_width(64, 64) == 1


def test_empty_map_is_black_with_the_right_shape():
    pose_map = render_pose_map([], 320, 200)
    assert pose_map.shape == (200, 320, 3) and pose_map.dtype == np.uint8
    assert not pose_map.any()


def test_single_limb_in_its_colour_with_opaque_joint_dots():
    # neck (1) -> r_shoulder (2) is limb 0, drawn in colour 0 at 60 % over black.
    pose_map = render_pose_map([only({1: (0.25, 0.5), 2: (0.75, 0.5)})], 512, 512)
    limb = (153, 0, 0)  # 0.6 * (255, 0, 0)
    assert tuple(pose_map[256, 256]) == limb
    assert tuple(pose_map[256 + 3, 300]) == limb  # inside the 4 px half-width
    assert tuple(pose_map[256 + 6, 300]) == (0, 0, 0)  # beyond it
    assert tuple(pose_map[256, 128]) == JOINT_COLORS[1]  # neck centre, exact colour
    assert tuple(pose_map[256, 384]) == JOINT_COLORS[2]  # r_shoulder centre
    assert tuple(pose_map[0, 0]) == (0, 0, 0) and tuple(pose_map[511, 511]) == (0, 0, 0)
    # Nothing but the limb and the two joints is drawn.
    colours = {tuple(c) for c in pose_map.reshape(-1, 3)}
    assert colours == {(0, 0, 0), limb, JOINT_COLORS[1], JOINT_COLORS[2]}
    lit_rows = np.nonzero(pose_map.any(axis=(1, 2)))[0]
    assert lit_rows.min() >= 256 - 4 and lit_rows.max() <= 256 + 4


def test_limbs_blend_over_what_is_drawn_and_render_is_deterministic():
    first = only({1: (0.25, 0.5), 2: (0.75, 0.5)})
    crossing = only({1: (0.5, 0.25), 2: (0.5, 0.75)})
    pose_map = render_pose_map([first, crossing], 512, 512)
    # 0.4 * 153 + 0.6 * 255 = 214.2 where the two limbs overlap
    assert tuple(pose_map[256, 256]) == (214, 0, 0)
    again = render_pose_map([(1, first), (2, crossing)], 512, 512)
    assert np.array_equal(pose_map, again)


def test_whole_figure_draws_every_colour_and_off_frame_joints_clip():
    pose_map = render_pose_map([skeleton()], 256, 256)
    for n, (x, y) in enumerate(STANDING):
        assert tuple(pose_map[round(y * 256), round(x * 256)]) == JOINT_COLORS[n], JOINTS[n]
    far = render_pose_map([only({1: (-3.0, 0.5), 2: (50.0, 0.5), 0: (1.2, -0.4)})], 64, 48)
    assert far.shape == (48, 64, 3)
    assert tuple(far[24, 32]) == (153, 0, 0)  # the limb crosses the frame


def test_render_pose_frames_follows_the_track():
    track = two_key_track("linear")
    maps = list(render_pose_frames(track, [0, 5, 10], 96, 64))
    assert len(maps) == 3
    assert np.array_equal(maps[0], render_pose_map(track.at(0), 96, 64))
    assert np.array_equal(maps[1], render_pose_map(track.at(5), 96, 64))
    assert not np.array_equal(maps[0], maps[2])
    with pytest.raises(PoseError, match="width"):
        render_pose_frames(track, [0], 0, 64)


def test_render_refuses_a_broken_skeleton():
    with pytest.raises(PoseError, match="17 joints"):
        render_pose_map([Skeleton((None,) * 17)], 64, 64)


# --- OpenPose JSON ----------------------------------------------------------------------


def test_openpose_export_import_round_trip_in_pixels():
    people = [(1, skeleton(absent=(14, 16))), (4, skeleton(0.13, 0.021))]
    exported = json.loads(json.dumps(to_openpose(people, 1280, 720)))
    assert exported["version"] == 1.3
    assert exported["canvas_width"] == 1280 and exported["canvas_height"] == 720
    first = exported["people"][0]
    assert first["person_id"] == [1] and len(first["pose_keypoints_2d"]) == 54
    assert first["face_keypoints_2d"] == [] and first["hand_left_keypoints_2d"] == []
    assert first["pose_keypoints_2d"][14 * 3:14 * 3 + 3] == [0.0, 0.0, 0.0]
    assert first["pose_keypoints_2d"][3:6] == pytest.approx([640.0, 216.0, 1.0])

    imported = from_openpose(exported)
    assert imported[0].joints[14] is None
    assert imported[1].joints[14] == pytest.approx((0.48 + 0.13, 0.18 + 0.021))
    again = to_openpose(list(zip([1, 4], imported, strict=True)), 1280, 720)
    for before, after in zip(exported["people"], again["people"], strict=True):
        assert after["pose_keypoints_2d"] == pytest.approx(before["pose_keypoints_2d"],
                                                           abs=1e-6)


def test_body25_maps_hips_legs_and_face_and_drops_midhip_and_feet():
    numbers = [0.0] * 75
    body25 = {0: (100, 50), 1: (100, 80), 8: (100, 160), 9: (90, 160), 10: (90, 220),
              12: (110, 160), 13: (110, 220), 15: (95, 45), 18: (112, 48), 19: (80, 300)}
    for index, (x, y) in body25.items():
        numbers[3 * index:3 * index + 3] = [x, y, 0.8]
    [posed] = from_openpose({"people": [{"pose_keypoints_2d": numbers}]}, 200, 400)
    assert posed.joints[8] == (90 / 200, 160 / 400)  # BODY_25 9 RHip -> COCO 8
    assert posed.joints[9] == (90 / 200, 220 / 400)
    assert posed.joints[11] == (110 / 200, 160 / 400)  # BODY_25 12 LHip -> COCO 11
    assert posed.joints[12] == (110 / 200, 220 / 400)
    assert posed.joints[14] == (95 / 200, 45 / 400)  # REye
    assert posed.joints[17] == (112 / 200, 48 / 400)  # LEar
    assert posed.joints[0] == (0.5, 0.125) and posed.joints[1] == (0.5, 0.2)
    present = [n for n, j in enumerate(posed.joints) if j is not None]
    assert present == [0, 1, 8, 9, 11, 12, 14, 17]  # MidHip and the foot went nowhere


def test_openpose_scale_sources():
    pixels = {"people": [{"pose_keypoints_2d": [64.0, 32.0, 0.9] + [0.0] * 51}]}
    with pytest.raises(PoseError, match="no canvas size.*pass the width and height"):
        from_openpose(pixels)
    assert from_openpose(pixels, 128, 64)[0].joints[0] == (0.5, 0.5)
    with_canvas = {**pixels, "canvas_width": 256, "canvas_height": 128}
    assert from_openpose(with_canvas, 128, 64)[0].joints[0] == (0.25, 0.25)
    # ControlNet / DWPose: already normalised, with or without a canvas size.
    normalised = {"people": [{"pose_keypoints_2d": [0.25, 0.75, 1.0] + [0.0] * 51,
                              "face_keypoints_2d": None}]}
    assert from_openpose(normalised)[0].joints[0] == (0.25, 0.75)
    assert from_openpose({**normalised, "canvas_width": 512, "canvas_height": 768})[0] \
        .joints[0] == (0.25, 0.75)
    # Confidence 0 means absent, whatever the coordinates say.
    ghost = {"people": [{"pose_keypoints_2d": [40.0, 40.0, 0.0] + [0.0] * 51}]}
    assert from_openpose(ghost) == [Skeleton.empty()]


@pytest.mark.parametrize(("data", "message"), [
    ([1, 2, 3], "expected a JSON object"),
    ({"frames": []}, "missing 'people'"),
    ({"people": [{"pose_keypoints_2d": [1.0] * 51}]}, "51 numbers.*54.*75"),
    ({"people": [{"pose_keypoints_2d": [1.0] * 55}]}, "55 numbers"),
    ({"people": [{"pose_keypoints_2d": ["x"] + [0.0] * 53}]}, "expected a number.*'x'"),
    ({"people": [{"pose_keypoints_2d": [True] + [0.0] * 53}]}, "expected a number"),
    ({"people": "nobody"}, "expected a JSON list"),
    ({"people": [], "canvas_width": 512}, "canvas_width but no canvas_height"),
    ({"people": [], "canvas_width": 0, "canvas_height": 5}, "must be positive"),
])
def test_broken_openpose_raises_pose_error(data, message):
    with pytest.raises(PoseError, match=message):
        from_openpose(data, 512, 512)


@pytest.mark.parametrize(("data", "message"), [
    ({"people": [{"id": 1, "keys": [{"frame": 0, "skeleton": [None] * 17}]}]},
     "17 joints, expected 18.*nose, neck"),
    ({"people": [{"id": 1, "keys": [{"frame": 0, "skeleton": [None] * 18,
                                     "easing": "bounce"}]}]}, "unknown easing 'bounce'"),
    ({"people": [{"id": 1, "keys": [{"frame": 0.5, "skeleton": [None] * 18}]}]},
     "whole number"),
    ({"people": [{"id": 1, "keys": [{"frame": 0, "skeleton": [[0.1, "a"]] + [None] * 17}]}]},
     r"joint 0 \(nose\).*expected a number"),
    ({"people": [{"id": 1, "keys": [{"frame": 0, "skeleton": [[0.1]] + [None] * 17}]}]},
     r"expected \[x, y\] or null"),
    ({"people": [{"id": 1, "keys": [{"frame": 2, "skeleton": [None] * 18},
                                    {"frame": 2, "skeleton": [None] * 18}]}]},
     "two pose keys at frame 2"),
    ({"people": [{"id": 1}, {"id": 1}]}, "two people share id 1"),
    ({"people": [{"name": "Ana"}]}, "missing 'id'"),
    ({"people": [{"id": 1, "keys": [{"frame": 0, "skeleton": [None] * 18,
                                     "visible": "yes"}]}]}, "'visible' must be true or false"),
    ("people", "expected a JSON object"),
])
def test_broken_track_json_raises_pose_error(data, message):
    with pytest.raises(PoseError, match=message):
        PoseTrack.from_json(data)


# --- validation and files ---------------------------------------------------------------


def test_validate_pose_track():
    track = two_key_track("linear")
    validate_pose_track(track, 11)
    with pytest.raises(PoseError, match="outside the segment's frames 0..9"):
        validate_pose_track(track, 10)
    with pytest.raises(PoseError, match="outside"):
        validate_pose_track(track.shifted(-1), 20)
    with pytest.raises(PoseError, match="two people share id 1"):
        validate_pose_track(PoseTrack((track.people[0], track.people[0])), 20)
    short = PoseTrack((Person(1, keys=(PoseKey(0, Skeleton((None,) * 17)),)),))
    with pytest.raises(PoseError, match="17 joints, expected 18"):
        validate_pose_track(short, 20)
    with pytest.raises(PoseError, match="segment_frames"):
        validate_pose_track(track, 0)


def test_pose_file_round_trip(tmp_path):
    track = two_key_track("ease_out").with_person(Person(5, "Cy", (PoseKey(3, skeleton()),)))
    path = save_pose_file(track, tmp_path / "poses.json")
    data = json.loads(path.read_text())
    assert data["format"] == "takeline-poses" and data["version"] == 1
    assert load_pose_file(path, 640, 360, 24) == track
    assert not list(tmp_path.glob("*.partial"))


def test_load_single_openpose_file(tmp_path):
    path = tmp_path / "frame_keypoints.json"
    path.write_text(json.dumps(to_openpose([(9, skeleton()), (3, skeleton(0.1, 0.0))],
                                           640, 360)))
    track = load_pose_file(path, 640, 360, 24)
    assert [p.id for p in track.people] == [1, 2]
    assert [k.frame for p in track.people for k in p.keys] == [0, 0]
    [(_, first), (_, second)] = track.at(0)
    assert first.joints[1] == pytest.approx(STANDING[1])
    assert second.joints[1] == pytest.approx((STANDING[1][0] + 0.1, STANDING[1][1]))


def neck_of(track: PoseTrack, frame: float, person_id: int) -> tuple[float, float]:
    posed = dict(track.at(frame))[person_id]
    return posed.joints[1]


def test_load_openpose_keyframes_matches_people_by_index(tmp_path):
    def frame(*skeletons: Skeleton) -> dict:
        # No canvas size: the loader's width and height normalise these pixels.
        data = to_openpose(list(enumerate(skeletons)), 640, 360)
        del data["canvas_width"], data["canvas_height"]
        return data

    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keyframes": [
        {"frame": 20, "openpose": frame(skeleton(0.2, 0.0))},
        {"frame": 0, "openpose": frame(skeleton(), skeleton(0.3, 0.0))},
    ]}))
    track = load_pose_file(path, 640, 360, 24)
    assert [p.id for p in track.people] == [1, 2]
    assert [k.frame for k in track.people[0].keys] == [0, 20]
    assert neck_of(track, 10, 1)[0] == pytest.approx(STANDING[1][0] + 0.1)
    # Person 2 is not in the frame-20 keyframe: hidden there, holding its last pose.
    assert [pid for pid, _ in track.at(19)] == [1, 2]
    assert [pid for pid, _ in track.at(20)] == [1]
    assert track.people[1].keys[1] == PoseKey(20, track.people[1].keys[0].skeleton,
                                              visible=False)


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"format": "other"}', "unknown format 'other'"),
    ('{"format": "takeline-poses", "version": 7, "people": []}', "version 7"),
    ('{"keyframes": []}', "keyframes' list is empty"),
    ('{"keyframes": [{"frame": 0}]}', "needs 'frame' and 'openpose'"),
    ('{"keyframes": [{"frame": 99, "openpose": {"people": [{"pose_keypoints_2d": []}]}}]}',
     "frame 99: outside the segment"),
    ('{"layers": []}', "not a pose file"),
    ('{"people": [{"pose_keypoints_2d": [64, 32, 1]}]}', "3 numbers"),
])
def test_broken_pose_files_raise_pose_error(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(PoseError, match=f"broken.json.*{message}"):
        load_pose_file(path, 640, 360, 24)


def test_pose_file_keys_outside_the_segment_are_refused(tmp_path):
    path = save_pose_file(two_key_track("linear"), tmp_path / "poses.json")
    with pytest.raises(PoseError, match="outside the segment"):
        load_pose_file(path, 640, 360, 8)
    with pytest.raises(PoseError, match="cannot read pose file"):
        load_pose_file(tmp_path / "missing.json", 640, 360, 8)


def test_export_openpose_frames_names_like_openpose(tmp_path):
    track = two_key_track("linear")
    paths = export_openpose_frames(track, tmp_path / "out", [0, 5, 12], 640, 360,
                                   prefix="shot3")
    assert [p.name for p in paths] == [
        "shot3_000000000000_keypoints.json",
        "shot3_000000000005_keypoints.json",
        "shot3_000000000012_keypoints.json",
    ]
    middle = json.loads(paths[1].read_text())
    assert middle["canvas_width"] == 640 and middle["people"][0]["person_id"] == [1]
    [(_, expected)] = track.at(5)
    [imported] = from_openpose(middle)
    for got, want in zip(imported.joints, expected.joints, strict=True):
        assert got == pytest.approx(want, abs=1e-12)
    default = export_openpose_frames(track, tmp_path, [1], 64, 64)
    assert default[0].name == "pose_000000000001_keypoints.json"


def test_module_imports_no_qt_torch_or_diffusers():
    code = ("import sys, timeline.conditioning.pose; "
            "print(sorted(m for m in ('torch', 'PySide6', 'diffusers', 'qasync') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
