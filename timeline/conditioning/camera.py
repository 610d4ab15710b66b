"""Keyframed 3D camera paths for generated segments: keys, presets, multi-stage moves,
per-frame cameras and a plain-language description.

Conventions (OpenCV-style, so extrinsics drop into any vision code unchanged):
- World axes: x right, y *down*, z forward. Units are metres; the scene's subject (and the
  previz plate) sits ``distance`` metres in front of the camera's starting position.
- ``pan`` positive turns the camera right, ``tilt`` positive looks up, ``roll`` positive
  rolls the camera clockwise (the picture turns counter-clockwise); degrees.
- ``focal`` is the focal length in mm on a full-frame sensor 36 mm wide, so
  ``fx = fy = focal / 36 * width`` pixels, principal point at the frame centre.
- Keys sit at sequence frames counted from the segment's start; a path is evaluated at any
  (fractional) frame, so a model running at its own rate samples it at its own times.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from timeline.conditioning.easing import EASINGS, catmull_rom, ease

SENSOR_WIDTH_MM = 36.0
DEFAULT_FOCAL = 35.0
DEFAULT_DISTANCE = 4.0
CHANNELS = ("x", "y", "z", "pan", "tilt", "roll", "focal")


class CameraError(ValueError):
    """A camera path or preset that cannot be built; the message says what to change."""


# --- per-frame camera ---------------------------------------------------------------------


def rotation_matrix(pan: float, tilt: float, roll: float) -> np.ndarray:
    """Camera-to-world rotation for pan/tilt/roll in degrees (pan about y, then tilt about
    the camera's x, then roll about its z)."""
    a, b, c = (math.radians(v) for v in (pan, tilt, roll))
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return ry @ rx @ rz


def angles_from_rotation(r_wc: np.ndarray) -> tuple[float, float, float]:
    """Inverse of ``rotation_matrix``: (pan, tilt, roll) in degrees."""
    # r = Ry Rx Rz: r[1,2] = -sin(tilt), r[0,2] = sin(pan)cos(tilt), r[2,2] = cos(pan)cos(tilt)
    tilt = math.asin(max(-1.0, min(1.0, -float(r_wc[1, 2]))))
    pan = math.atan2(float(r_wc[0, 2]), float(r_wc[2, 2]))
    roll = math.atan2(float(r_wc[1, 0]), float(r_wc[1, 1]))
    return math.degrees(pan), math.degrees(tilt), math.degrees(roll)


@dataclass(frozen=True)
class CameraState:
    """The camera at one frame."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    pan: float = 0.0
    tilt: float = 0.0
    roll: float = 0.0
    focal: float = DEFAULT_FOCAL

    @property
    def position(self) -> np.ndarray:
        return np.array([self.x, self.y, self.z], dtype=np.float64)

    def rotation(self) -> np.ndarray:
        """Camera-to-world rotation."""
        return rotation_matrix(self.pan, self.tilt, self.roll)

    def extrinsics(self) -> np.ndarray:
        """World-to-camera [R | t] (3x4): ``x_cam = R @ x_world + t``."""
        r = self.rotation().T
        return np.hstack([r, (-r @ self.position)[:, None]])

    def intrinsics(self, width: int, height: int) -> np.ndarray:
        f = self.focal / SENSOR_WIDTH_MM * width
        return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], dtype=np.float64)

    def channels(self) -> tuple[float, ...]:
        return tuple(getattr(self, c) for c in CHANNELS)

    def to_json(self) -> dict[str, float]:
        return {c: float(getattr(self, c)) for c in CHANNELS}


def plate_homography(cam: CameraState, *, reference_focal: float, distance: float,
                     width: int, height: int) -> np.ndarray:
    """The 3x3 homography taking pixels of the *plate* (the picture a camera at the origin,
    looking down +z with ``reference_focal``, sees of the plane z = ``distance``) to pixels
    of ``cam``'s frame. Rotation and zoom give the classic ``K R K0^-1``; translation adds
    the plane-induced parallax ``t e3^T / distance``."""
    k0 = CameraState(focal=reference_focal).intrinsics(width, height)
    k = cam.intrinsics(width, height)
    ext = cam.extrinsics()
    r, t = ext[:, :3], ext[:, 3]
    m = distance * r @ np.linalg.inv(k0) + np.outer(t, [0.0, 0.0, 1.0])
    h = k @ m
    return h / h[2, 2] if abs(h[2, 2]) > 1e-12 else h


# --- keys and paths -----------------------------------------------------------------------


@dataclass(frozen=True)
class CameraKey:
    frame: int
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    pan: float = 0.0
    tilt: float = 0.0
    roll: float = 0.0
    focal: float = DEFAULT_FOCAL
    easing: str = "ease_in_out"  # how to move *to the next* key

    @property
    def state(self) -> CameraState:
        return CameraState(*(getattr(self, c) for c in CHANNELS))

    @classmethod
    def at(cls, frame: int, state: CameraState, easing: str = "ease_in_out") -> CameraKey:
        return cls(frame, *(float(v) for v in state.channels()), easing=easing)

    def channels(self) -> tuple[float, ...]:
        return (self.x, self.y, self.z, self.pan, self.tilt, self.roll, self.focal)

    def channels_for_eval(self) -> tuple[float, ...]:
        # Focal is interpolated in log space: a zoom from 35 to 70 mm then feels as even as
        # one from 70 to 140 mm (perceived magnification is multiplicative).
        return (self.x, self.y, self.z, self.pan, self.tilt, self.roll, math.log(self.focal))

    def to_json(self) -> dict[str, Any]:
        return {"frame": self.frame, **self.state.to_json(), "easing": self.easing}


@dataclass(frozen=True)
class Handheld:
    """A seeded, repeatable shake layered on the path: smooth noise on pan/tilt/roll (about
    ``amount`` degrees) and a little position drift. Same seed, same shake."""

    seed: int = 0
    amount: float = 0.6

    def offset(self, frame: float, fps: float) -> tuple[float, ...]:
        rng = np.random.default_rng(self.seed)
        # Four sinusoids per channel at 0.3-2.5 Hz with random phases: smooth, aperiodic
        # over a shot, and a pure function of time (any frame, any order, same result).
        freqs = rng.uniform(0.3, 2.5, size=(6, 4))
        phases = rng.uniform(0, 2 * math.pi, size=(6, 4))
        weights = rng.uniform(0.5, 1.0, size=(6, 4))
        t = frame / fps
        wave = (weights * np.sin(2 * math.pi * freqs * t + phases)).sum(axis=1) / 2.0
        pos = wave[:3] * self.amount * 0.01  # ~1 cm per degree of shake
        rot = wave[3:] * self.amount * np.array([1.0, 0.8, 0.4])
        return (*pos, *rot)


@dataclass(frozen=True)
class CameraPath:
    keys: tuple[CameraKey, ...]
    distance: float = DEFAULT_DISTANCE  # metres to the subject / previz plate at the start
    handheld: Handheld | None = None
    stages: tuple[str, ...] = field(default=())  # how it was built ("dolly-in 0.5", ...)

    def __post_init__(self) -> None:
        validate_path(self)

    # -- evaluation
    @property
    def reference_focal(self) -> float:
        return self.keys[0].focal

    def at(self, frame: float, fps: float = 24.0) -> CameraState:
        """The camera at a (fractional) sequence frame: held before the first key and
        after the last, eased or splined in between; shake added on top."""
        keys = self.keys
        exact = None
        if frame <= keys[0].frame or len(keys) == 1:
            exact = keys[0]
        elif frame >= keys[-1].frame:
            exact = keys[-1]
        else:
            exact = next((k for k in keys if k.frame == frame), None)
        if exact is not None:  # on a key: its values exactly (no log/exp round trip)
            base = (*exact.channels()[:6], math.log(exact.focal))
        else:
            i = max(j for j, k in enumerate(keys) if k.frame <= frame)
            a, b = keys[i], keys[i + 1]
            t = (frame - a.frame) / (b.frame - a.frame)
            pa, pb = a.channels_for_eval(), b.channels_for_eval()
            if a.easing == "smooth":
                # The spline runs through the neighbouring keys of the same smooth run; at
                # a run's ends it is mirrored, so a spline that starts after a dolly does
                # not swing back towards where the dolly began (a loop in the path).
                if i > 0 and keys[i - 1].easing == "smooth":
                    p0 = keys[i - 1].channels_for_eval()
                else:
                    p0 = tuple(2 * u - v for u, v in zip(pa, pb, strict=True))
                if i + 2 < len(keys) and b.easing == "smooth":
                    p3 = keys[i + 2].channels_for_eval()
                else:
                    p3 = tuple(2 * v - u for u, v in zip(pa, pb, strict=True))
                base = tuple(catmull_rom(*v, t) for v in zip(p0, pa, pb, p3, strict=True))
            else:
                s = ease(t, a.easing)
                base = tuple(u + (v - u) * s for u, v in zip(pa, pb, strict=True))
        x, y, z, pan, tilt, roll, log_focal = base
        focal = exact.focal if exact is not None else math.exp(log_focal)
        if exact is None and a.focal == b.focal and (a.easing != "smooth" or len(
                {k.focal for k in keys}) == 1):
            focal = a.focal  # an unchanged lens stays exactly the same
        if self.handheld is not None:
            dx, dy, dz, dpan, dtilt, droll = self.handheld.offset(frame, fps)
            x, y, z, pan, tilt, roll = x + dx, y + dy, z + dz, pan + dpan, tilt + dtilt, \
                roll + droll
        return CameraState(x, y, z, pan, tilt, roll, focal)

    def cameras(self, frames: Iterable[float], fps: float = 24.0) -> list[CameraState]:
        return [self.at(f, fps) for f in frames]

    @property
    def end_frame(self) -> int:
        return self.keys[-1].frame

    # -- editing (each returns a new path)
    def with_key(self, key: CameraKey) -> CameraPath:
        keys = [k for k in self.keys if k.frame != key.frame] + [key]
        return replace(self, keys=tuple(sorted(keys, key=lambda k: k.frame)), stages=())

    def without_key(self, frame: int) -> CameraPath:
        keys = tuple(k for k in self.keys if k.frame != frame)
        if not keys:
            raise CameraError("a camera path keeps at least one key; use the static preset "
                              "to reset it")
        return replace(self, keys=keys, stages=())

    def with_handheld(self, handheld: Handheld | None) -> CameraPath:
        return replace(self, handheld=handheld)

    def scaled_to(self, frames: int) -> CameraPath:
        """The same move retimed so its last key lands on ``frames - 1``."""
        if self.end_frame <= 0:
            return self
        k = (frames - 1) / self.end_frame
        keys, seen = [], set()
        for key in self.keys:
            f = round(key.frame * k)
            if f not in seen:
                seen.add(f)
                keys.append(replace(key, frame=f))
        return replace(self, keys=tuple(keys))

    # -- JSON
    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"distance": self.distance,
                             "keys": [k.to_json() for k in self.keys]}
        if self.handheld is not None:
            d["handheld"] = {"seed": self.handheld.seed, "amount": self.handheld.amount}
        if self.stages:
            d["stages"] = list(self.stages)
        return d

    @classmethod
    def from_json(cls, d: Any) -> CameraPath:
        if not isinstance(d, dict) or not isinstance(d.get("keys"), list):
            raise CameraError("a camera path is a JSON object with a \"keys\" list "
                              "(see `takeline conditioning --json` for an example)")
        try:
            keys = tuple(
                CameraKey(frame=int(k["frame"]),
                          **{c: float(k.get(c, CameraKey.__dataclass_fields__[c].default))
                             for c in CHANNELS},
                          easing=str(k.get("easing", "ease_in_out")))
                for k in d["keys"]
            )
            hh = d.get("handheld")
            handheld = (Handheld(int(hh.get("seed", 0)), float(hh.get("amount", 0.6)))
                        if hh else None)
            return cls(keys=tuple(sorted(keys, key=lambda k: k.frame)),
                       distance=float(d.get("distance", DEFAULT_DISTANCE)),
                       handheld=handheld, stages=tuple(d.get("stages", ())))
        except (KeyError, TypeError, AttributeError) as exc:
            raise CameraError(f"camera key is missing or has a wrong value: {exc}") from None


def validate_path(path: CameraPath) -> None:
    if not path.keys:
        raise CameraError("a camera path needs at least one key")
    frames = [k.frame for k in path.keys]
    if frames != sorted(frames) or len(set(frames)) != len(frames):
        raise CameraError(f"camera keys must sit on distinct frames in order, got {frames}")
    if frames[0] < 0:
        raise CameraError(f"camera key at frame {frames[0]}: keys start at frame 0 (the "
                          "segment's first frame)")
    for k in path.keys:
        if k.easing not in EASINGS:
            raise CameraError(f"unknown easing {k.easing!r}; use one of {', '.join(EASINGS)}")
        if not 4.0 <= k.focal <= 1200.0:
            raise CameraError(f"focal length {k.focal} mm is outside 4-1200 mm")
        for c in CHANNELS:
            if not math.isfinite(getattr(k, c)):
                raise CameraError(f"camera key at frame {k.frame}: {c} is not a number")
    if not 0.1 <= path.distance <= 1000:
        raise CameraError(f"subject distance {path.distance} m is outside 0.1-1000 m")


# --- presets ------------------------------------------------------------------------------

# name -> (default amount, unit, what the amount means)
PRESETS: dict[str, tuple[float, str, str]] = {
    "static": (0.0, "", "no move"),
    "pan": (30.0, "deg", "degrees, positive turns right"),
    "tilt": (15.0, "deg", "degrees, positive looks up"),
    "zoom": (2.0, "x", "focal length factor, >1 zooms in"),
    "dolly-in": (0.4, "dist", "fraction of the subject distance to move forward"),
    "dolly-out": (0.4, "dist", "fraction of the subject distance to move back"),
    "truck": (0.3, "dist", "fraction of the subject distance, positive moves right"),
    "pedestal": (0.2, "dist", "fraction of the subject distance, positive rises"),
    "crane": (0.3, "dist", "rise as a fraction of the subject distance, tilting down to "
                           "keep the subject framed"),
    "orbit": (30.0, "deg", "degrees around the subject, positive orbits left"),
    "tracking": (0.5, "dist", "fraction of the subject distance travelled sideways at an "
                              "even speed, positive moves right"),
    "handheld": (0.6, "deg", "shake in degrees, layered on the path so far"),
}


def _forward(state: CameraState) -> np.ndarray:
    return state.rotation() @ np.array([0.0, 0.0, 1.0])


def _target(state: CameraState, distance: float) -> np.ndarray:
    """Where the camera looks: its forward ray meeting the subject plane z = distance (the
    plate), or ``distance`` ahead when it looks away from it."""
    fwd = _forward(state)
    if fwd[2] > 0.2:
        s = (distance - state.z) / fwd[2]
        if s > 0.05:
            return state.position + s * fwd
    return state.position + distance * fwd


def _move(state: CameraState, local: Sequence[float]) -> CameraState:
    """Translate by (right, down, forward) metres in the camera's own axes."""
    d = state.rotation() @ np.asarray(local, dtype=np.float64)
    return replace(state, x=state.x + d[0], y=state.y + d[1], z=state.z + d[2])


def preset_stage(name: str, start: CameraState, first: int, last: int, amount: float | None,
                 distance: float, seed: int = 0) -> list[CameraKey]:
    """Keys for one preset stage from ``start`` at frame ``first`` to frame ``last``. The
    first key is the stage's start (it replaces the previous stage's last key)."""
    if name not in PRESETS:
        raise CameraError(f"unknown camera preset {name!r}; presets: {', '.join(PRESETS)}")
    a = PRESETS[name][0] if amount is None else float(amount)
    if last <= first and name not in ("static", "handheld"):
        raise CameraError(f"the {name} stage needs at least 2 frames")
    end = start
    easing = "ease_in_out"
    if name == "pan":
        end = replace(start, pan=start.pan + a)
    elif name == "tilt":
        end = replace(start, tilt=start.tilt + a)
    elif name == "zoom":
        if a <= 0:
            raise CameraError("the zoom amount is a focal length factor (2 doubles it)")
        end = replace(start, focal=start.focal * a)
    elif name in ("dolly-in", "dolly-out"):
        end = _move(start, (0, 0, (a if name == "dolly-in" else -a) * distance))
    elif name in ("truck", "tracking"):
        end = _move(start, (a * distance, 0, 0))
        easing = "linear" if name == "tracking" else easing
    elif name == "pedestal":
        end = replace(start, y=start.y - a * distance)
    elif name == "crane":
        target = _target(start, distance)
        end = replace(start, y=start.y - a * distance)
        horiz = math.hypot(target[0] - end.x, target[2] - end.z)
        # y points down: the target lies below the raised camera, so the tilt is negative.
        end = replace(end, tilt=-math.degrees(math.atan2(target[1] - end.y, horiz)))
    elif name == "orbit":
        return _orbit(start, first, last, a, distance)
    if name in ("static", "handheld"):
        return [CameraKey.at(first, start)] + ([CameraKey.at(last, start)] if last > first
                                                else [])
    return [CameraKey.at(first, start, easing), CameraKey.at(last, end, easing)]


def _orbit(start: CameraState, first: int, last: int, degrees: float, distance: float
           ) -> list[CameraKey]:
    """Around the target about the vertical axis, keeping it framed. Keys every <= 15
    degrees with spline easing, so the keyed path follows the arc (a straight line between
    two keys would cut the chord) and stays editable."""
    target = _target(start, distance)
    rel = start.position - target
    steps = max(2, math.ceil(abs(degrees) / 15))
    keys = []
    for i in range(steps + 1):
        # Orbit left (positive) = the camera travels to its left around the subject, so it
        # turns right to keep looking at it: seen from above, a rotation by -angle.
        ang = math.radians(degrees * i / steps)
        c, s = math.cos(ang), math.sin(ang)
        x = rel[0] * c + rel[2] * s
        z = -rel[0] * s + rel[2] * c
        state = replace(start, x=target[0] + x, z=target[2] + z,
                        pan=start.pan + degrees * i / steps)
        frame = first + round((last - first) * i / steps)
        keys.append(CameraKey.at(frame, state, "smooth"))
    # Even speed along the arc, easing only makes sense at the ends of the whole move.
    return keys


def parse_stages(text: str) -> list[tuple[str, float | None]]:
    """``"static,dolly-in:0.5,orbit:-90"`` -> [(name, amount), ...]."""
    out: list[tuple[str, float | None]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, amount = part.partition(":")
        name = name.strip().lower()
        if name not in PRESETS:
            raise CameraError(f"unknown camera preset {name!r}; presets: {', '.join(PRESETS)}")
        try:
            out.append((name, float(amount) if amount.strip() else None))
        except ValueError:
            raise CameraError(f"camera amount {amount!r} of {name} is not a number") from None
    if not out:
        raise CameraError("no camera preset given")
    return out


def build_path(stages: Sequence[tuple[str, float | None]], segment_frames: int, *,
               distance: float = DEFAULT_DISTANCE, focal: float = DEFAULT_FOCAL,
               seed: int = 0, start: CameraState | None = None) -> CameraPath:
    """A multi-stage move over the segment: stages share its frames equally (``handheld``
    is not a stage: it shakes the whole path). "wide, dolly in, then orbit 90 left" is
    ``[("static", None), ("dolly-in", 0.5), ("orbit", 90)]``."""
    if segment_frames < 1:
        raise CameraError("the segment has no frames")
    moves = [(n, a) for n, a in stages if n != "handheld"]
    shake = [a for n, a in stages if n == "handheld"]
    state = start or CameraState(focal=focal)
    keys: list[CameraKey] = [CameraKey.at(0, state)]
    last_frame = segment_frames - 1
    for i, (name, amount) in enumerate(moves):
        a = round(last_frame * i / len(moves))
        b = round(last_frame * (i + 1) / len(moves))
        stage = preset_stage(name, keys[-1].state, a, b, amount, distance)
        keys[-1:] = stage
    keys[-1] = replace(keys[-1], easing="ease_in_out" if keys[-1].easing != "smooth"
                       else "smooth")
    # Collapse repeated frames (a static one-frame stage) keeping the later key.
    by_frame: dict[int, CameraKey] = {}
    for k in keys:
        by_frame[k.frame] = k
    handheld = None
    if shake:
        handheld = Handheld(seed=seed, amount=PRESETS["handheld"][0] if shake[-1] is None
                            else float(shake[-1]))
    labels = tuple(n if a is None else f"{n} {a:g}" for n, a in stages)
    return CameraPath(keys=tuple(by_frame[f] for f in sorted(by_frame)), distance=distance,
                      handheld=handheld, stages=labels)


# --- plain language -----------------------------------------------------------------------


def _speed(rate: float, slow: float, fast: float) -> str:
    return "slow " if rate < slow else "fast " if rate > fast else ""


def _interval_moves(a: CameraState, b: CameraState, seconds: float, distance: float
                    ) -> list[tuple[str, float, str]]:
    """(kind, amount, phrase) for what changes from ``a`` to ``b``."""
    out: list[tuple[str, float, str]] = []
    local = a.rotation().T @ (b.position - a.position)  # right, down, forward
    right, down, fwd = (float(v) / distance for v in local)
    dpan, dtilt, droll = b.pan - a.pan, b.tilt - a.tilt, b.roll - a.roll
    seconds = max(seconds, 1e-6)
    if abs(dpan) > 3 and right * dpan < 0 and abs(right) > 0.3 * abs(math.radians(dpan)):
        side = "left" if dpan > 0 else "right"
        out.append((f"orbit {side}", abs(dpan),
                    f"{_speed(abs(dpan) / seconds, 10, 45)}orbit {side}"))
        right = 0.0
        dpan = 0.0
        fwd = 0.0  # the arc's chord moves it forward/back too; that is the orbit itself
    if abs(down) > 0.03 and dtilt * down > 0 and abs(dtilt) > 2:
        side = "up" if down < 0 else "down"
        out.append((f"crane {side}", abs(down), f"{_speed(abs(down) / seconds, .1, .5)}"
                    f"crane {side}"))
        down = dtilt = 0.0
    if abs(fwd) > 0.03:
        side = "in" if fwd > 0 else "out"
        out.append((f"dolly {side}", abs(fwd),
                    f"{_speed(abs(fwd) / seconds, .1, .5)}dolly {side}"))
    if abs(right) > 0.03:
        side = "right" if right > 0 else "left"
        out.append((f"truck {side}", abs(right),
                    f"{_speed(abs(right) / seconds, .1, .5)}truck {side}"))
    if abs(down) > 0.03:
        side = "up" if down < 0 else "down"
        out.append((f"pedestal {side}", abs(down),
                    f"{_speed(abs(down) / seconds, .1, .5)}pedestal {side}"))
    if abs(dpan) > 2:
        side = "right" if dpan > 0 else "left"
        out.append((f"pan {side}", abs(dpan), f"{_speed(abs(dpan) / seconds, 10, 45)}pan {side}"))
    if abs(dtilt) > 2:
        side = "up" if dtilt > 0 else "down"
        out.append((f"tilt {side}", abs(dtilt),
                    f"{_speed(abs(dtilt) / seconds, 8, 40)}tilt {side}"))
    if abs(droll) > 2:
        side = "clockwise" if droll > 0 else "counter-clockwise"
        out.append((f"roll {side}", abs(droll), f"roll {side}"))
    ratio = b.focal / a.focal
    if abs(math.log(ratio)) > 0.05:
        side = "in" if ratio > 1 else "out"
        out.append((f"zoom {side}", ratio, f"{_speed(abs(math.log(ratio)) / seconds, .15, .8)}"
                    f"zoom {side}"))
    return out


def describe(path: CameraPath, fps: float = 24.0) -> str:
    """A plain-language description of the move for text-only models, e.g. "slow dolly in,
    then orbit left 90 degrees, handheld"."""
    phrases: list[tuple[frozenset[str], str, dict[str, float]]] = []
    keys = path.keys
    for a, b in zip(keys, keys[1:], strict=False):
        moves = _interval_moves(a.state, b.state, (b.frame - a.frame) / fps, path.distance)
        kinds = frozenset(k for k, _, _ in moves)
        if not moves:
            kinds, text, amounts = frozenset({"hold"}), "hold", {}
        else:
            text = " and ".join(p for _, _, p in moves)
            amounts = {k: v for k, v, _ in moves}
        if phrases and phrases[-1][0] == kinds:  # one continuing move over several keys
            prev = phrases[-1][2]
            for k, v in amounts.items():
                prev[k] = prev.get(k, 0.0) + v if not k.startswith("zoom") else prev[k] * v
            continue
        phrases.append((kinds, text, dict(amounts)))
    parts = []
    for kinds, text, amounts in phrases:
        for k in ("orbit left", "orbit right", "pan left", "pan right"):
            if k in kinds and amounts.get(k, 0) >= 5:
                text = text.replace(k, f"{k} {round(amounts[k])} degrees", 1)
        parts.append(text)
    if not parts or parts == ["hold"]:
        text = "static camera"
    else:
        if parts[0] == "hold":
            parts[0] = "static wide shot"
        text = ", then ".join(parts)
    if path.handheld is not None:
        text += ", handheld"
    return text


def static_path(focal: float = DEFAULT_FOCAL) -> CameraPath:
    return CameraPath(keys=(CameraKey(0, focal=focal),))
