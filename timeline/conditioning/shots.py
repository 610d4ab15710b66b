"""Shots of a multi-shot segment: one segment divided into consecutive shots, each with its
own prompt, camera path and pose keyframes (in the shot's own frames, from 0), sharing the
segment's cast and style references. Generated as one job shot after shot (each shot's first
frame continues from the previous shot's last), then laid out on the timeline as one segment
per shot with real cuts between them.

Qt- and torch-free, like the rest of ``timeline``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from timeline.conditioning.camera import CameraError, CameraPath
from timeline.conditioning.pose import PoseError, PoseTrack, validate_pose_track

MAX_SHOTS = 64


class ShotError(ValueError):
    """Shots that do not fit their segment; the message says what to change."""


@dataclass(frozen=True)
class Shot:
    duration: int  # sequence frames
    prompt: str = ""
    camera: CameraPath | None = None
    poses: PoseTrack | None = None

    def to_json(self) -> dict[str, Any]:
        return {"duration": self.duration, "prompt": self.prompt,
                "camera": None if self.camera is None else self.camera.to_json(),
                "poses": None if self.poses is None else self.poses.to_json()}

    @classmethod
    def from_json(cls, d: Any) -> Shot:
        if isinstance(d, Shot):
            return d
        if not isinstance(d, dict):
            raise ShotError(f"a shot is an object with duration and prompt, not {d!r}")
        unknown = set(d) - {"duration", "prompt", "camera", "poses"}
        if unknown:
            raise ShotError(f"a shot has unknown fields {sorted(unknown)}")
        duration = d.get("duration")
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 1:
            raise ShotError(f"a shot's duration is whole frames >= 1, not {duration!r}")
        prompt = d.get("prompt", "")
        if not isinstance(prompt, str) or len(prompt) > 10_000:
            raise ShotError("a shot's prompt must be text of at most 10,000 characters")
        try:
            camera = None if d.get("camera") is None else CameraPath.from_json(d["camera"])
            poses = None if d.get("poses") is None else PoseTrack.from_json(d["poses"])
            if poses is not None:
                validate_pose_track(poses, duration)
        except (CameraError, PoseError) as exc:
            raise ShotError(f"shot: {exc}") from None
        return cls(duration=duration, prompt=prompt, camera=camera, poses=poses)


def check_shots(shots: Sequence[Shot], segment_frames: int) -> None:
    """Shots must cover the segment exactly: at least two, durations adding up to it."""
    if not shots:
        return
    if len(shots) < 2:
        raise ShotError("a multi-shot segment has at least two shots (clear the shots for "
                        "one)")
    if len(shots) > MAX_SHOTS:
        raise ShotError(f"at most {MAX_SHOTS} shots per segment, not {len(shots)}")
    total = sum(s.duration for s in shots)
    if total != segment_frames:
        raise ShotError(f"the shots last {total} frames; the segment has {segment_frames}. "
                        "Make their durations add up to the segment's length")


def shots_from_cuts(cuts: Sequence[int], segment_frames: int,
                    prompts: Sequence[str] = ()) -> tuple[Shot, ...]:
    """Shots cut at segment frames ``cuts`` (each strictly inside the segment, increasing);
    ``prompts``: one per shot, or none (every shot keeps an empty prompt)."""
    edges = [0, *cuts, segment_frames]
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ShotError(f"cuts must be increasing frames strictly inside the segment "
                        f"(1..{segment_frames - 1}), not {list(cuts)}")
    count = len(edges) - 1
    if prompts and len(prompts) != count:
        raise ShotError(f"{count} shots but {len(prompts)} prompts: give one prompt per shot")
    return tuple(Shot(duration=b - a, prompt=prompts[i] if prompts else "")
                 for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)))


def shot_starts(shots: Sequence[Shot]) -> list[int]:
    """The segment frame each shot begins at."""
    out, at = [], 0
    for s in shots:
        out.append(at)
        at += s.duration
    return out
