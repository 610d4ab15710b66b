"""Pose keyframes for a generated segment from a reference clip, as ``takeline conditioning
--poses-from`` and the Brief dock's "Poses from Clip…" both do it.

``extract_clip_poses`` finds the pose model first (so a missing one fails before any work),
reads the clip's first ``segment.duration`` frames at the sequence's rate through the
detector in a child process (``generation.pose_extract``) and returns the track, reduced to
the fewest keys within ``tolerance`` sequence pixels. It changes nothing: the caller commits
the track as the segment's poses (one ``set`` edit, one new conditioning version).
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from project_store.project import Project
from timeline.conditioning.pose import PoseTrack
from timeline.model import GeneratedSegment

DEFAULT_TOLERANCE = 4.0


class ClipPosesError(ValueError):
    """The poses cannot be read; the message says what to do."""


def clip_path(project: Project, spec: str | os.PathLike[str]) -> Path:
    """The video a user named: a file, or ``asset:ID`` from the bin."""
    text = str(spec)
    if text.startswith("asset:"):
        try:
            return Path(project.assets[int(text.split(":", 1)[1])].path)
        except (ValueError, KeyError):
            raise ClipPosesError(f"{text}: no such asset in the bin (`takeline info` lists "
                                 "them)") from None
    path = Path(text).expanduser()
    if not path.is_file():
        raise ClipPosesError(f"{text}: no such file; give a video file or asset:ID")
    return path


def check_pose_model(model_dir: str | os.PathLike[str] | None = None) -> str:
    """The id of the pose model that would be used; ClipPosesError saying what to pull or
    where to put the files when there is none (quick: reads no weights)."""
    from generation.pose_models import PoseModelError, resolve_pose_model

    try:
        return resolve_pose_model(model_dir).id
    except PoseModelError as exc:
        raise ClipPosesError(str(exc)) from None


def extract_clip_poses(project: Project, segment: GeneratedSegment,
                       video: str | os.PathLike[str], *,
                       model_dir: str | os.PathLike[str] | None = None,
                       tolerance: float = DEFAULT_TOLERANCE, in_child: bool = True
                       ) -> tuple[PoseTrack, dict[str, Any]]:
    """The segment's poses read from ``video`` (a file or ``asset:ID``) and a report
    (frames read, people, keys, model)."""
    from generation.pose_extract import PoseExtractError, extract_pose_track
    from generation.pose_models import PoseModelError, resolve_pose_model
    from timeline.media.probe import MediaProbeError

    if not (tolerance > 0 and math.isfinite(tolerance)):
        raise ClipPosesError(f"--tolerance {tolerance:g}: give a positive number of pixels, "
                             f"e.g. {DEFAULT_TOLERANCE:g}")
    path = clip_path(project, video)
    seq = project.sequence
    try:
        model = resolve_pose_model(model_dir)
        track, report = extract_pose_track(
            path, model, frames=segment.duration, fps=Fraction(seq.fps),
            width=seq.settings.width, height=seq.settings.height, tolerance=tolerance,
            in_child=in_child)
    except (PoseModelError, PoseExtractError) as exc:
        raise ClipPosesError(str(exc)) from None
    except MediaProbeError as exc:
        raise ClipPosesError(f"cannot read {path.name}: {exc}") from None
    if not track.people:
        raise ClipPosesError(f"no people found in {path.name} ({report['frames_read']} "
                             "frames read); the segment's poses are unchanged")
    return track, {**report, "clip": str(path)}


def describe_report(report: dict[str, Any]) -> str:
    return (f"Poses from {Path(report['clip']).name}: {report['people']} "
            f"{'person' if report['people'] == 1 else 'people'}, {report['keys']} keys from "
            f"{report['frames_read']} frames (tolerance {report['tolerance_px']:g} px, model "
            f"{report['model']})")
