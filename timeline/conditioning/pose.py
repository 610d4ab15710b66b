"""Pose keyframes for a generated segment: people as COCO-18 skeletons, keyed over time.

A ``PoseTrack`` holds ``Person``s; each person is a list of ``PoseKey``s at sequence frames
relative to the segment start (frame 0 = the segment's first frame). A key holds a
``Skeleton``: 18 joints in OpenPose COCO order, each ``(x, y)`` *normalised* to the frame
((0, 0) top-left, (1, 1) bottom-right; slightly outside is allowed) or ``None`` when absent.
Normalised coordinates keep a pose valid when the sequence is resized.

Between keys a joint moves with the earlier key's easing (see ``easing.py``); a joint absent
in either bounding key is absent in between, "hold" keeps the earlier pose until the next
key, and a person's visibility always holds from the earlier key.

``render_pose_map`` draws the skeletons the way OpenPose / ControlNet's annotator does
(coloured limb ellipses at 60 % over black, opaque joint dots), the picture pose-conditioned
video models were trained on. ``to_openpose`` / ``from_openpose`` read and write OpenPose's
JSON keypoints (COCO-18 and BODY_25), and ``load_pose_file`` / ``save_pose_file`` read and
write whole tracks.

Constructors trust their arguments, as the editor's own code builds them (they only turn
lists into tuples and sort keys, so every object is hashable and ordered). Data from outside
goes through ``from_json`` / ``from_openpose`` / ``load_pose_file``, which validate, and
``validate_pose_track`` checks a whole track against its segment before generation.
"""

from __future__ import annotations

import bisect
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from timeline.conditioning.easing import EASINGS, catmull_rom, ease

__all__ = [
    "BODY25_TO_COCO",
    "JOINTS",
    "JOINT_COLORS",
    "LIMBS",
    "POSE_FILE_FORMAT",
    "POSE_FILE_VERSION",
    "Person",
    "PoseError",
    "PoseKey",
    "PoseTrack",
    "Skeleton",
    "export_openpose_frames",
    "from_openpose",
    "load_pose_file",
    "render_pose_frames",
    "render_pose_map",
    "save_pose_file",
    "stick_width",
    "to_openpose",
    "validate_pose_track",
]

JOINTS: tuple[str, ...] = (
    "nose", "neck",
    "r_shoulder", "r_elbow", "r_wrist",
    "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle",
    "l_hip", "l_knee", "l_ankle",
    "r_eye", "l_eye", "r_ear", "l_ear",
)

# The 17 limbs OpenPose draws (its 1-based limbSeq minus the two ear-shoulder links it
# never draws), in drawing order; limb i is drawn in JOINT_COLORS[i].
LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7),
    (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
    (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)

JOINT_COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)

# BODY_25 keypoint -> COCO-18 joint. BODY_25 adds MidHip (8) and six foot points (19-24),
# which COCO has no place for, and shifts the hips, legs, eyes and ears up by one.
BODY25_TO_COCO: dict[int, int] = {
    0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7,
    9: 8, 10: 9, 11: 10, 12: 11, 13: 12, 14: 13, 15: 14, 16: 15, 17: 16, 18: 17,
}

POSE_FILE_FORMAT = "takeline-poses"
POSE_FILE_VERSION = 1

# OpenPose's own JSON writer version; readers only look at the keys.
_OPENPOSE_VERSION = 1.3
# Part of every OpenPose person entry; Takeline only has body keypoints, so these stay empty.
_OPENPOSE_EMPTY_PARTS = (
    "face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
    "pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d",
    "hand_right_keypoints_3d",
)
_COCO_COUNT = len(JOINTS)
_BODY25_COUNT = 25

Joint = tuple[float, float] | None


class PoseError(ValueError):
    """Pose data that cannot be used; the message says what is wrong and how to fix it."""


# --- data types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Skeleton:
    """One person's pose: 18 joints in ``JOINTS`` order, normalised ``(x, y)`` or ``None``."""

    joints: tuple[Joint, ...]

    def __post_init__(self) -> None:
        # Lists from callers become tuples so skeletons hash and compare by value.
        object.__setattr__(self, "joints", tuple(
            None if joint is None else (float(joint[0]), float(joint[1]))
            for joint in self.joints
        ))

    @classmethod
    def empty(cls) -> Skeleton:
        """A skeleton with every joint absent."""
        return cls((None,) * _COCO_COUNT)

    def to_json(self) -> list[list[float] | None]:
        return [None if joint is None else [joint[0], joint[1]] for joint in self.joints]

    @classmethod
    def from_json(cls, d: Any) -> Skeleton:
        return _skeleton_from_json(d, "skeleton")


@dataclass(frozen=True)
class PoseKey:
    """A pose at ``frame``; ``easing`` says how the joints move on *to the next* key."""

    frame: int
    skeleton: Skeleton
    visible: bool = True
    easing: str = "linear"

    def to_json(self) -> dict[str, Any]:
        return {
            "frame": self.frame, "skeleton": self.skeleton.to_json(),
            "visible": self.visible, "easing": self.easing,
        }

    @classmethod
    def from_json(cls, d: Any) -> PoseKey:
        return _key_from_json(d, "pose key")


@dataclass(frozen=True)
class Person:
    """One person's keys, kept sorted by frame (one key per frame)."""

    id: int
    name: str = ""
    keys: tuple[PoseKey, ...] = ()

    def __post_init__(self) -> None:
        # Sorted keys let interpolation find the bounding pair by bisection.
        object.__setattr__(self, "keys", tuple(sorted(self.keys, key=lambda k: k.frame)))

    def key_at(self, frame: int) -> PoseKey | None:
        """The key exactly at ``frame``, if there is one."""
        for key in self.keys:
            if key.frame == frame:
                return key
        return None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "keys": [k.to_json() for k in self.keys]}

    @classmethod
    def from_json(cls, d: Any) -> Person:
        return _person_from_json(d, "person")


@dataclass(frozen=True)
class PoseTrack:
    """The people posed in one segment; ``at`` gives their skeletons at any frame."""

    people: tuple[Person, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "people", tuple(self.people))

    def person(self, person_id: int) -> Person:
        for person in self.people:
            if person.id == person_id:
                return person
        known = ", ".join(str(p.id) for p in self.people) or "none"
        raise PoseError(f"no person with id {person_id} in the pose track (ids: {known}); "
                        "add the person first with with_person()")

    def at(self, frame: float) -> list[tuple[int, Skeleton]]:
        """``(person id, skeleton)`` of every person visible at ``frame`` (may be fractional),
        in track order. Before the first key a person holds the first key, after the last
        key the last one."""
        if not math.isfinite(frame):
            raise PoseError(f"cannot pose frame {frame!r}: the frame must be a finite number")
        posed = []
        for person in self.people:
            skeleton = _person_at(person, frame)
            if skeleton is not None:
                posed.append((person.id, skeleton))
        return posed

    def with_person(self, person: Person) -> PoseTrack:
        """The track with ``person`` added, or replacing the person with the same id."""
        if any(p.id == person.id for p in self.people):
            return replace(self, people=tuple(person if p.id == person.id else p
                                              for p in self.people))
        return replace(self, people=(*self.people, person))

    def without_person(self, person_id: int) -> PoseTrack:
        self.person(person_id)  # raises with the known ids when there is no such person
        return replace(self, people=tuple(p for p in self.people if p.id != person_id))

    def with_key(self, person_id: int, key: PoseKey) -> PoseTrack:
        """The track with ``key`` added to the person, replacing any key at its frame."""
        person = self.person(person_id)
        keys = tuple(k for k in person.keys if k.frame != key.frame) + (key,)
        return self.with_person(replace(person, keys=keys))

    def without_key(self, person_id: int, frame: int) -> PoseTrack:
        person = self.person(person_id)
        if person.key_at(frame) is None:
            frames = ", ".join(str(k.frame) for k in person.keys) or "none"
            raise PoseError(f"person {person_id} has no pose key at frame {frame} "
                            f"(keys at: {frames})")
        return self.with_person(replace(person, keys=tuple(k for k in person.keys
                                                           if k.frame != frame)))

    def copy_key(self, person_id: int, from_frame: int, to_frame: int) -> PoseTrack:
        """Copy the pose of the key at ``from_frame`` to ``to_frame``. A key already at
        ``to_frame`` keeps its visibility and easing (only the pose is copied); a new key
        takes them from the source key."""
        person = self.person(person_id)
        source = person.key_at(from_frame)
        if source is None:
            frames = ", ".join(str(k.frame) for k in person.keys) or "none"
            raise PoseError(f"person {person_id} has no pose key at frame {from_frame} to "
                            f"copy from (keys at: {frames})")
        target = person.key_at(to_frame)
        if target is None:
            copied = replace(source, frame=to_frame)
        else:
            copied = replace(target, skeleton=source.skeleton)
        return self.with_key(person_id, copied)

    def shifted(self, delta: int) -> PoseTrack:
        """Every key moved by ``delta`` frames (when the segment's start is trimmed)."""
        return replace(self, people=tuple(
            replace(p, keys=tuple(replace(k, frame=k.frame + delta) for k in p.keys))
            for p in self.people
        ))

    def to_json(self) -> dict[str, Any]:
        return {"people": [p.to_json() for p in self.people]}

    @classmethod
    def from_json(cls, d: Any) -> PoseTrack:
        return _track_from_json(d, "pose track")


# --- interpolation ----------------------------------------------------------------------


def _person_at(person: Person, frame: float) -> Skeleton | None:
    """The person's skeleton at ``frame``, or None when hidden or without keys."""
    keys = person.keys
    if not keys:
        return None
    if frame <= keys[0].frame:
        first = keys[0]
        return first.skeleton if first.visible else None
    if frame >= keys[-1].frame:
        last = keys[-1]
        return last.skeleton if last.visible else None
    # keys[i].frame <= frame < keys[i + 1].frame
    i = bisect.bisect_right(keys, frame, key=lambda k: k.frame) - 1
    start, end = keys[i], keys[i + 1]
    if not start.visible:
        return None
    if frame == start.frame or start.easing == "hold":
        return start.skeleton
    t = (frame - start.frame) / (end.frame - start.frame)
    if start.easing == "smooth":
        before = keys[i - 1].skeleton if i > 0 else None
        after = keys[i + 2].skeleton if i + 2 < len(keys) else None
        return _spline_skeleton(before, start.skeleton, end.skeleton, after, t)
    return _lerp_skeleton(start.skeleton, end.skeleton, ease(t, start.easing))


def _lerp_skeleton(a: Skeleton, b: Skeleton, t: float) -> Skeleton:
    joints: list[Joint] = []
    for ja, jb in zip(a.joints, b.joints, strict=True):
        if ja is None or jb is None:
            joints.append(None)
        else:
            joints.append((ja[0] + (jb[0] - ja[0]) * t, ja[1] + (jb[1] - ja[1]) * t))
    return Skeleton(tuple(joints))


def _spline_skeleton(before: Skeleton | None, a: Skeleton, b: Skeleton,
                     after: Skeleton | None, t: float) -> Skeleton:
    joints: list[Joint] = []
    for n, (ja, jb) in enumerate(zip(a.joints, b.joints, strict=True)):
        if ja is None or jb is None:
            joints.append(None)
            continue
        # A missing neighbour (first/last key, or the joint absent there) repeats the
        # bounding key, which flattens the spline's tangent at that end.
        j0 = before.joints[n] if before is not None else None
        j3 = after.joints[n] if after is not None else None
        p0 = j0 if j0 is not None else ja
        p3 = j3 if j3 is not None else jb
        joints.append((catmull_rom(p0[0], ja[0], jb[0], p3[0], t),
                       catmull_rom(p0[1], ja[1], jb[1], p3[1], t)))
    return Skeleton(tuple(joints))


# --- JSON parsing with validation -------------------------------------------------------


def _number(value: Any, where: str) -> float:
    # bool is an int in Python, but true/false in a pose file is a mistake, not a coordinate.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PoseError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise PoseError(f"{where}: {value!r} is not a finite number; use a real coordinate "
                        "or mark the joint absent")
    return number


def _whole_number(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # some tools write frames as 12.0
    if isinstance(value, bool) or not isinstance(value, int):
        raise PoseError(f"{where}: expected a whole number, got {type(value).__name__} "
                        f"{value!r}")
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PoseError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise PoseError(f"{where}: expected a JSON list, got {type(value).__name__}")
    return list(value)


def _joint_count_message(count: int, where: str) -> str:
    return (f"{where}: has {count} joints, expected {_COCO_COUNT} in OpenPose COCO-18 order "
            f"({', '.join(JOINTS)}); use null for a missing joint")


def _skeleton_from_json(d: Any, where: str) -> Skeleton:
    entries = _list(d, where)
    if len(entries) != _COCO_COUNT:
        raise PoseError(_joint_count_message(len(entries), where))
    joints: list[Joint] = []
    for n, entry in enumerate(entries):
        joint_where = f"{where}, joint {n} ({JOINTS[n]})"
        if entry is None:
            joints.append(None)
            continue
        pair = _list(entry, joint_where)
        if len(pair) != 2:
            raise PoseError(f"{joint_where}: expected [x, y] or null, got {len(pair)} values")
        joints.append((_number(pair[0], joint_where), _number(pair[1], joint_where)))
    return Skeleton(tuple(joints))


def _check_easing(easing: Any, where: str) -> str:
    if easing not in EASINGS:
        raise PoseError(f"{where}: unknown easing {easing!r}; use one of {', '.join(EASINGS)}")
    return easing


def _key_from_json(d: Any, where: str) -> PoseKey:
    d = _mapping(d, where)
    for name in ("frame", "skeleton"):
        if name not in d:
            raise PoseError(f"{where}: missing {name!r}")
    frame = _whole_number(d["frame"], f"{where}, frame")
    visible = d.get("visible", True)
    if not isinstance(visible, bool):
        raise PoseError(f"{where}: 'visible' must be true or false, got {visible!r}")
    easing = _check_easing(d.get("easing", "linear"), where)
    skeleton = _skeleton_from_json(d["skeleton"], f"{where} (frame {frame}), skeleton")
    return PoseKey(frame, skeleton, visible, easing)


def _person_from_json(d: Any, where: str) -> Person:
    d = _mapping(d, where)
    if "id" not in d:
        raise PoseError(f"{where}: missing 'id' (a whole number naming the person)")
    person_id = _whole_number(d["id"], f"{where}, id")
    name = d.get("name", "")
    if not isinstance(name, str):
        raise PoseError(f"{where} {person_id}: 'name' must be text, got {name!r}")
    keys = tuple(_key_from_json(k, f"person {person_id}, key {n}")
                 for n, k in enumerate(_list(d.get("keys", []), f"person {person_id}, keys")))
    _check_unique_frames(person_id, keys)
    return Person(person_id, name, keys)


def _track_from_json(d: Any, where: str) -> PoseTrack:
    d = _mapping(d, where)
    if "people" not in d:
        raise PoseError(f"{where}: missing 'people' (a list of people with their keys)")
    people = tuple(_person_from_json(p, f"person {n}")
                   for n, p in enumerate(_list(d["people"], f"{where}, people")))
    _check_unique_people(people)
    return PoseTrack(people)


def _check_unique_frames(person_id: int, keys: Iterable[PoseKey]) -> None:
    seen: set[int] = set()
    for key in keys:
        if key.frame in seen:
            raise PoseError(f"person {person_id} has two pose keys at frame {key.frame}; "
                            "keep one key per frame")
        seen.add(key.frame)


def _check_unique_people(people: Iterable[Person]) -> None:
    seen: set[int] = set()
    for person in people:
        if person.id in seen:
            raise PoseError(f"two people share id {person.id}; give every person its own id")
        seen.add(person.id)


def validate_pose_track(track: PoseTrack, segment_frames: int) -> None:
    """Raise ``PoseError`` unless the track fits a segment of ``segment_frames`` frames: keys
    in [0, segment_frames), one key per frame, unique person ids, known easings and 18
    finite joints per skeleton."""
    if isinstance(segment_frames, bool) or not isinstance(segment_frames, int) \
            or segment_frames < 1:
        raise PoseError(f"segment_frames must be a whole number of at least 1, "
                        f"not {segment_frames!r}")
    _check_unique_people(track.people)
    for person in track.people:
        if isinstance(person.id, bool) or not isinstance(person.id, int):
            raise PoseError(f"person id {person.id!r} must be a whole number")
        _check_unique_frames(person.id, person.keys)
        for key in person.keys:
            where = f"person {person.id}, key at frame {key.frame}"
            if isinstance(key.frame, bool) or not isinstance(key.frame, int):
                raise PoseError(f"{where}: the frame must be a whole number")
            if not 0 <= key.frame < segment_frames:
                raise PoseError(f"{where}: outside the segment's frames 0..{segment_frames - 1}"
                                "; move the key into the segment or lengthen the segment")
            _check_easing(key.easing, where)
            joints = key.skeleton.joints
            if len(joints) != _COCO_COUNT:
                raise PoseError(_joint_count_message(len(joints), where))
            for n, joint in enumerate(joints):
                if joint is not None and not (math.isfinite(joint[0])
                                              and math.isfinite(joint[1])):
                    raise PoseError(f"{where}, joint {n} ({JOINTS[n]}): {joint} is not a "
                                    "finite position; move the joint or mark it absent")


# --- rendering --------------------------------------------------------------------------


def stick_width(width: int, height: int) -> int:
    """Limb half-width and joint radius in pixels: OpenPose's 4 px at 512, scaled."""
    return max(1, round(4 * min(width, height) / 512))


def _check_size(width: Any, height: Any) -> None:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise PoseError(f"the frame {name} must be a whole number of pixels of at least 1, "
                            f"not {value!r}")


def _skeletons_only(skeletons: Iterable[Skeleton | tuple[int, Skeleton]]) -> list[Skeleton]:
    # Accept PoseTrack.at()'s (id, skeleton) pairs directly as well as bare skeletons.
    return [s if isinstance(s, Skeleton) else s[1] for s in skeletons]


def _pixel_joints(skeleton: Skeleton, width: int, height: int) -> list[Joint]:
    if len(skeleton.joints) != _COCO_COUNT:
        raise PoseError(_joint_count_message(len(skeleton.joints), "cannot draw a skeleton"))
    pixels: list[Joint] = []
    for n, joint in enumerate(skeleton.joints):
        if joint is None:
            pixels.append(None)
            continue
        if not (math.isfinite(joint[0]) and math.isfinite(joint[1])):
            raise PoseError(f"cannot draw joint {n} ({JOINTS[n]}) at {joint}: not a finite "
                            "position")
        pixels.append((joint[0] * width, joint[1] * height))
    return pixels


def _ellipse_region(canvas: np.ndarray, cx: float, cy: float, half_length: float,
                    half_width: float, angle: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(view of the canvas around the ellipse, mask of the pixels inside it), or None when
    the ellipse misses the canvas. Pixel (row r, column c) is the unit square centred on
    (c, r), the convention OpenPose's integer keypoints use."""
    height, width = canvas.shape[:2]
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    # Half extents of the rotated ellipse's bounding box.
    extent_x = math.hypot(half_length * cos_a, half_width * sin_a)
    extent_y = math.hypot(half_length * sin_a, half_width * cos_a)
    # Clip to the canvas before building any grid, so far-off joints cost nothing.
    c0, c1 = max(0, math.floor(cx - extent_x)), min(width - 1, math.ceil(cx + extent_x))
    r0, r1 = max(0, math.floor(cy - extent_y)), min(height - 1, math.ceil(cy + extent_y))
    if c0 > c1 or r0 > r1:
        return None
    dx = np.arange(c0, c1 + 1, dtype=np.float64)[None, :] - cx
    dy = np.arange(r0, r1 + 1, dtype=np.float64)[:, None] - cy
    along = dx * cos_a + dy * sin_a
    across = dy * cos_a - dx * sin_a
    inside = (along / half_length) ** 2 + (across / half_width) ** 2 <= 1.0
    return canvas[r0:r1 + 1, c0:c1 + 1], inside


def render_pose_map(skeletons: Iterable[Skeleton | tuple[int, Skeleton]], width: int,
                    height: int) -> np.ndarray:
    """An OpenPose-style pose map, ``(height, width, 3)`` uint8 RGB on black.

    Each limb is a filled ellipse along its segment, half-width ``stick_width``, blended in
    its limb colour at 60 % over what is drawn already (as OpenPose's and ControlNet's
    annotators do); then every present joint is an opaque dot of radius ``stick_width`` in
    its joint colour. Accepts skeletons or ``PoseTrack.at``'s ``(id, skeleton)`` pairs.
    Integer arithmetic throughout the blend keeps the picture bit-for-bit deterministic.
    """
    _check_size(width, height)
    stick = stick_width(width, height)
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    people = [_pixel_joints(s, width, height) for s in _skeletons_only(skeletons)]
    # Limb-major order, people inside, as OpenPose draws: overlaps blend the same way.
    for limb, (a, b) in enumerate(LIMBS):
        colour = np.array(JOINT_COLORS[limb], dtype=np.uint16)
        for joints in people:
            ja, jb = joints[a], joints[b]
            if ja is None or jb is None:
                continue
            # A zero-length limb still gets a sliver rather than a division by zero.
            half_length = max(math.hypot(jb[0] - ja[0], jb[1] - ja[1]) / 2, 0.5)
            angle = math.atan2(jb[1] - ja[1], jb[0] - ja[0])
            region = _ellipse_region(canvas, (ja[0] + jb[0]) / 2, (ja[1] + jb[1]) / 2,
                                     half_length, stick, angle)
            if region is None:
                continue
            view, inside = region
            under = view[inside].astype(np.uint16)
            # 0.4 * under + 0.6 * colour, rounded half up, in integers.
            view[inside] = ((2 * under + 3 * colour + 2) // 5).astype(np.uint8)
    for n, colour_rgb in enumerate(JOINT_COLORS):
        for joints in people:
            joint = joints[n]
            if joint is None:
                continue
            x, y = joint
            region = _ellipse_region(canvas, x, y, stick, stick, 0.0)
            if region is not None:
                view, inside = region
                view[inside] = colour_rgb
    return canvas


def render_pose_frames(track: PoseTrack, frames: Sequence[float], width: int,
                       height: int) -> Iterator[np.ndarray]:
    """Pose maps of the track at each of ``frames``, one at a time (a segment's worth of
    full-size maps would not fit in memory at once)."""
    _check_size(width, height)  # fail now, not at the first next()
    return (render_pose_map(track.at(frame), width, height) for frame in frames)


# --- OpenPose JSON ----------------------------------------------------------------------


def to_openpose(skeletons_with_ids: Iterable[tuple[int, Skeleton]], width: int,
                height: int) -> dict[str, Any]:
    """OpenPose's JSON for one frame: pixel coordinates on a ``width`` x ``height`` canvas,
    COCO-18 keypoints, absent joints as 0, 0, 0 and present ones with confidence 1."""
    _check_size(width, height)
    people = []
    for person_id, skeleton in skeletons_with_ids:
        keypoints: list[float] = []
        for joint in skeleton.joints:
            if joint is None:
                keypoints += [0.0, 0.0, 0.0]
            else:
                keypoints += [joint[0] * width, joint[1] * height, 1.0]
        entry: dict[str, Any] = {"person_id": [person_id], "pose_keypoints_2d": keypoints}
        entry.update({part: [] for part in _OPENPOSE_EMPTY_PARTS})
        people.append(entry)
    return {"version": _OPENPOSE_VERSION, "people": people,
            "canvas_width": width, "canvas_height": height}


def _openpose_points(person: Any, where: str) -> list[tuple[float, float] | None]:
    """A person entry's COCO-18 joints, in the file's own units."""
    person = _mapping(person, where)
    # OpenPose before 1.2 called the list "pose_keypoints"; ControlNet may write null.
    numbers = person.get("pose_keypoints_2d", person.get("pose_keypoints"))
    if numbers is None:
        numbers = []
    numbers = _list(numbers, f"{where}, pose_keypoints_2d")
    if not numbers:
        return [None] * _COCO_COUNT
    count, leftover = divmod(len(numbers), 3)
    if leftover or count not in (_COCO_COUNT, _BODY25_COUNT):
        raise PoseError(
            f"{where}: pose_keypoints_2d has {len(numbers)} numbers; expected x, y, confidence "
            f"for {_COCO_COUNT} COCO keypoints ({_COCO_COUNT * 3} numbers) or "
            f"{_BODY25_COUNT} BODY_25 keypoints ({_BODY25_COUNT * 3} numbers). Export with "
            "OpenPose's --model_pose COCO or BODY_25")
    values = [_number(v, f"{where}, pose_keypoints_2d[{i}]") for i, v in enumerate(numbers)]
    points: list[tuple[float, float] | None] = [None] * _COCO_COUNT
    for source in range(count):
        target = source if count == _COCO_COUNT else BODY25_TO_COCO.get(source)
        if target is None:
            continue  # BODY_25's MidHip and feet
        x, y, confidence = values[3 * source:3 * source + 3]
        if confidence > 0:
            points[target] = (x, y)
    return points


def _canvas_size(d: Mapping[str, Any]) -> tuple[float, float] | None:
    if "canvas_width" not in d and "canvas_height" not in d:
        return None
    size = []
    for name, other in (("canvas_width", "canvas_height"), ("canvas_height", "canvas_width")):
        value = d.get(name)
        if value is None:
            raise PoseError(f"the OpenPose file has {other} but no {name}; give both or "
                            "neither")
        number = _number(value, name)
        if number <= 0:
            raise PoseError(f"{name} must be positive, not {value!r}")
        size.append(number)
    return size[0], size[1]


def from_openpose(d: Any, width: int | None = None,
                  height: int | None = None) -> list[Skeleton]:
    """The skeletons of an OpenPose JSON frame, one per person, in file order.

    Reads COCO-18 and BODY_25 ``pose_keypoints_2d`` (BODY_25's MidHip and feet are dropped);
    a confidence of 0 marks a joint absent. Pixel coordinates are normalised by the file's
    ``canvas_width`` / ``canvas_height``, else by ``width`` / ``height``. Files whose present
    coordinates are all <= 1.0 are taken as already normalised, whether or not they carry a
    canvas size: that is what ControlNet's annotator and DWPose write (ControlNet includes
    the canvas size with normalised points), and a pixel pose that small would fit in one
    pixel.
    """
    d = _mapping(d, "OpenPose JSON")
    if "people" not in d:
        raise PoseError("OpenPose JSON: missing 'people'; this does not look like OpenPose "
                        "output (expected {\"people\": [{\"pose_keypoints_2d\": [...]}]})")
    people = [_openpose_points(p, f"OpenPose person {n}")
              for n, p in enumerate(_list(d["people"], "OpenPose JSON, people"))]
    present = [c for points in people for point in points if point is not None for c in point]
    canvas = _canvas_size(d)
    if all(c <= 1.0 for c in present):
        scale_x = scale_y = 1.0
    elif canvas is not None:
        scale_x, scale_y = canvas
    elif width is not None and height is not None:
        _check_size(width, height)
        scale_x, scale_y = float(width), float(height)
    else:
        raise PoseError("the OpenPose file has no canvas size (canvas_width/canvas_height) "
                        "and its coordinates are in pixels; pass the width and height of the "
                        "frames it was made from")
    return [Skeleton(tuple(None if p is None else (p[0] / scale_x, p[1] / scale_y)
                           for p in points))
            for points in people]


# --- pose files -------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PoseError(f"cannot read pose file {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise PoseError(f"pose file {path} is not UTF-8 text: {error}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PoseError(f"pose file {path} is not valid JSON ({error.msg} at line "
                        f"{error.lineno}, column {error.colno})") from error


def _track_from_openpose_keyframes(keyframes: Any, width: int, height: int) -> PoseTrack:
    entries = _list(keyframes, "keyframes")
    if not entries:
        raise PoseError("the pose file's 'keyframes' list is empty; add at least one "
                        "{\"frame\": N, \"openpose\": {...}}")
    by_frame: dict[int, list[Skeleton]] = {}
    for n, entry in enumerate(entries):
        entry = _mapping(entry, f"keyframe {n}")
        if "frame" not in entry or "openpose" not in entry:
            raise PoseError(f"keyframe {n}: needs 'frame' and 'openpose' "
                            "({\"frame\": N, \"openpose\": {...OpenPose JSON...}})")
        frame = _whole_number(entry["frame"], f"keyframe {n}, frame")
        if frame in by_frame:
            raise PoseError(f"two keyframes at frame {frame}; keep one per frame")
        by_frame[frame] = from_openpose(entry["openpose"], width, height)
    frames = sorted(by_frame)
    people = []
    # People are matched by their index in each frame's list.
    for index in range(max(len(s) for s in by_frame.values())):
        poses = [by_frame[f][index] if index < len(by_frame[f]) else None for f in frames]
        keys = []
        for position, (frame, skeleton) in enumerate(zip(frames, poses, strict=True)):
            if skeleton is not None:
                keys.append(PoseKey(frame, skeleton))
                continue
            # Not in this keyframe: hidden from here, holding the nearest known pose so the
            # neighbouring moves do not collapse into an empty skeleton.
            earlier = [s for s in poses[:position] if s is not None]
            later = [s for s in poses[position + 1:] if s is not None]
            keys.append(PoseKey(frame, earlier[-1] if earlier else later[0], visible=False))
        people.append(Person(index + 1, "", tuple(keys)))
    return PoseTrack(tuple(people))


def load_pose_file(path: str | os.PathLike[str], width: int, height: int,
                   segment_frames: int) -> PoseTrack:
    """A pose track from a JSON file, validated against the segment. Accepts

    - a Takeline track file: ``{"format": "takeline-poses", "version": 1, "people": [...]}``;
    - one OpenPose frame (``{"people": [{"pose_keypoints_2d": [...]}, ...]}``): one key at
      frame 0, people numbered 1..n in file order;
    - OpenPose keyframes: ``{"keyframes": [{"frame": N, "openpose": {...}}, ...]}``, people
      matched by their index in each frame (a person missing from a keyframe is hidden
      there).

    ``width`` and ``height`` normalise OpenPose pixel coordinates when the file has no canvas
    size.
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, Mapping):
        raise PoseError(f"pose file {path}: expected a JSON object, got "
                        f"{type(data).__name__}")
    try:
        if "format" in data:
            if data["format"] != POSE_FILE_FORMAT:
                raise PoseError(f"unknown format {data['format']!r}; expected "
                                f"{POSE_FILE_FORMAT!r}")
            if data.get("version") != POSE_FILE_VERSION:
                raise PoseError(f"{POSE_FILE_FORMAT} version {data.get('version')!r} is not "
                                f"supported (this Takeline reads version {POSE_FILE_VERSION}); "
                                "save it again with a matching Takeline")
            track = PoseTrack.from_json(data)
        elif "keyframes" in data:
            track = _track_from_openpose_keyframes(data["keyframes"], width, height)
        elif "people" in data:
            skeletons = from_openpose(data, width, height)
            track = PoseTrack(tuple(Person(n + 1, "", (PoseKey(0, s),))
                                    for n, s in enumerate(skeletons)))
        else:
            raise PoseError(f"not a pose file: expected a {POSE_FILE_FORMAT!r} track, an "
                            "OpenPose JSON ({\"people\": [...]}) or OpenPose keyframes "
                            "({\"keyframes\": [...]})")
        validate_pose_track(track, segment_frames)
    except PoseError as error:
        raise PoseError(f"pose file {path}: {error}") from error
    return track


def save_pose_file(track: PoseTrack, path: str | os.PathLike[str]) -> Path:
    """Write the track as a Takeline pose file; returns the path written."""
    path = Path(path)
    data = {"format": POSE_FILE_FORMAT, "version": POSE_FILE_VERSION, **track.to_json()}
    # Write beside the target and rename, so a crash never leaves half a file.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def export_openpose_frames(track: PoseTrack, folder: str | os.PathLike[str],
                           frames: Iterable[int], width: int, height: int,
                           prefix: str = "pose") -> list[Path]:
    """One OpenPose JSON per frame in ``folder``, named as OpenPose names its output
    (``<prefix>_<12-digit frame>_keypoints.json``); returns the paths in ``frames`` order."""
    _check_size(width, height)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for frame in frames:
        frame = _whole_number(frame, "export frame")
        if frame < 0:
            raise PoseError(f"cannot export frame {frame}: frames start at 0")
        path = folder / f"{prefix}_{frame:012d}_keypoints.json"
        path.write_text(json.dumps(to_openpose(track.at(frame), width, height)) + "\n",
                        encoding="utf-8")
        paths.append(path)
    return paths
