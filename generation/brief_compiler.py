"""Compile a segment's conditioning (references, cast, camera path, poses) into what one
backend takes, or refuse before anything is loaded.

Per backend family:
- previz: everything is drawn: the plate (first frame, else a style / character picture,
  else a studio backdrop) through the camera path, skeletons on top (a ``scene`` input).
- Wan VACE (control video, masks, references): poses -> OpenPose-style pose maps as the
  control video (the camera move is then said in the prompt); otherwise a camera path ->
  the previz plate re-projected through each frame's camera as the control video;
  character / style pictures and the cast's pictures -> ``reference_images``; first / last
  frame -> kept frames.
- image-to-video (Wan I2V, LTX): first / last frame pictures; the camera move is said in
  the prompt; pictures of characters, poses and audio are refused.
- text-to-video: the camera move and the cast's descriptions are said in the prompt. Which
  models of a family take pictures is the backend's rule (``Backend.frames_refusal``).

Every refusal names what the model cannot take and what to do instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from generation.backends import get_backend
from generation.backends.base import UnsupportedRequest
from generation.scene import load_plate, scene_frames, take_frame_times
from generation.spec import JobSpec
from timeline.conditioning.camera import CameraPath, describe
from timeline.conditioning.pose import PoseTrack
from timeline.conditioning.references import CastMember, Reference
from timeline.time import format_rate

ResolveFn = Callable[[Reference], Path]


@dataclass
class Brief:
    """The conditioning as one backend will take it, before the job is planned."""

    prompt: str
    negative_prompt: str
    inputs: dict[str, Any] = field(default_factory=dict)
    control: str | None = None  # "pose" or "camera": a control video to render per plan
    notes: list[str] = field(default_factory=list)  # how each part is used, for the user


def _ref_input(ref: Reference, resolve: ResolveFn) -> dict[str, Any]:
    path = resolve(ref)
    if not path.is_file():
        raise UnsupportedRequest(
            f"reference {ref.name or ref.sha256[:12]} is missing from the media store "
            f"({path})", "add the file again with `takeline conditioning ... --add-ref`")
    return {"path": str(path), "sha256": ref.sha256, "source": ref.source, "role": ref.role}


def plate_reference(refs: tuple[Reference, ...]) -> Reference | None:
    """The picture the previz plate shows: the first frame, else a style, else a
    character picture."""
    for role in ("first_frame", "style", "character"):
        for r in refs:
            if r.role == role and r.kind == "image":
                return r
    return None


def _cast_text(members: list[CastMember]) -> str:
    parts = [f"{m.name}, {m.description}" if m.description else m.name for m in members]
    return "; ".join(parts)


def compile_brief(segment: Any, cast: Mapping[int, CastMember], *, backend: str,
                  pipeline_class: str | None, resolve: ResolveFn,
                  camera: CameraPath | None = None, sequence_fps: Fraction = Fraction(24)
                  ) -> Brief:
    """``segment`` is a ``GeneratedSegment``; ``camera`` overrides its camera path (a move
    copied from a motion reference). Raises ``UnsupportedRequest`` for what the chosen
    backend / model cannot take."""
    b = get_backend(backend)
    caps = b.capabilities
    model_name = pipeline_class or b.label
    members = [cast[c] for c in segment.cast if c in cast]
    refs = tuple(segment.references)
    camera = camera if camera is not None else segment.camera
    poses: PoseTrack | None = segment.poses
    brief = Brief(prompt=segment.prompt, negative_prompt=segment.negative_prompt)

    def refuse(what: str, instead: str) -> UnsupportedRequest:
        return UnsupportedRequest(f"the {b.name} backend ({model_name}) cannot take {what}",
                                  instead)

    audio = [r for r in refs if r.kind == "audio"]
    depth = next((r for r in refs if r.role == "depth"), None)
    videos = [r for r in refs if r.kind == "video" and r.role not in ("motion", "depth")]
    looks = [r for r in refs if r.kind == "image" and r.role in ("character", "style")]
    cast_pictures = [r for m in members for r in m.references]

    if backend == "previz":
        plate = plate_reference(refs) or next(iter(cast_pictures), None)
        brief.inputs["scene"] = {
            "plate": _ref_input(plate, resolve) if plate else None,
            "camera": None if camera is None else camera.to_json(),
            "poses": None if poses is None else poses.to_json(),
            "sequence_fps": format_rate(sequence_fps),
        }
        depth_map = next((r for r in refs if r.role == "depth" and r.use == "map"), None)
        if depth_map is not None:
            # The plate lifted off its plane by the map: a camera move shows parallax.
            brief.inputs["scene"]["depth"] = _ref_input(depth_map, resolve)
            brief.notes.append(f"depth: {depth_map.name or 'the depth map'} lifts the plate "
                               "off its plane")
        elif depth is not None:
            brief.notes.append("previz warps the plate by a depth map reference (use "
                               "\"map\"); the depth of a clip or picture is estimated "
                               "for VACE models only")
        if audio:
            brief.notes.append("previz does not play audio references; they are kept for "
                               "models that take audio")
        if members:
            brief.prompt = _join(brief.prompt, f"Cast: {_cast_text(members)}")
        return brief

    def audio_names() -> str:
        return ", ".join(f"{r.name or r.role}{f' ({r.use})' if r.use else ''}" for r in audio)

    if "video" not in b.makes:
        # A sound model (an audio segment): it hears the prompt; pictures, poses and a
        # camera mean nothing to it, and audio references only if it says it takes them.
        if audio and not caps.audio_reference:
            raise refuse(f"audio references ({audio_names()}): it makes sound from the "
                         "prompt alone", "remove the audio references from this segment")
        pictures = [r for r in refs if r.kind != "audio"]
        if pictures:
            names = ", ".join(r.name or r.role for r in pictures)
            raise refuse(f"picture or video references ({names}) on a sound segment",
                         "remove them from this audio segment")
        if poses is not None and poses.people:
            raise refuse("pose keyframes on a sound segment", "clear the poses")
        return brief
    if audio:
        raise refuse(f"audio references ({audio_names()})",
                     "remove them for this model; it makes pictures without sound")
    if backend == "wan-animate":
        return _animate_brief(brief, refs, members, cast_pictures, poses, camera, resolve,
                              sequence_fps)
    if videos:
        raise refuse(f"video clips as {videos[0].role} references",
                     "use a picture for a look; a clip can be a motion reference (its camera "
                     "move is copied)")
    for role, key in (("first_frame", "image"), ("last_frame", "last_image")):
        ref = next((r for r in refs if r.role == role), None)
        if ref is None:
            continue
        if not getattr(caps, role):
            raise refuse(f"a {role.replace('_', ' ')}", "remove it, or choose an "
                         "image-to-video or VACE model")
        variant = b.frames_refusal(pipeline_class)
        if variant is not None:
            why, instead = variant
            raise refuse(f"a {role.replace('_', ' ')} ({why})", instead)
        brief.inputs[key] = _ref_input(ref, resolve)
    if looks or cast_pictures:
        if not caps.reference_images:
            names = [r.name or r.role for r in looks] + [
                m.name for m in members if m.references]
            raise refuse(f"character / style reference pictures ({', '.join(names)})",
                         "use a Wan VACE model, or remove the pictures (a cast member's "
                         "description still goes into the prompt)")
        brief.inputs["reference_images"] = [_ref_input(r, resolve)
                                            for r in [*looks, *cast_pictures]]
    if poses is not None and poses.people:
        if not caps.control_video:
            raise refuse("pose keyframes", "use a Wan VACE model (pose maps as its control "
                         "video), or clear the poses")
        brief.control = "pose"
        brief.notes.append("poses: OpenPose maps as the control video")
    if depth is not None:
        if not caps.control_video:
            raise refuse("a depth reference", "use a Wan VACE model (its depth maps as the "
                         "control video), or remove it")
        if brief.control is None:
            brief.control = "depth"
            brief.notes.append(f"depth: the depth maps of {depth.name or 'the depth reference'}"
                               " as the control video")
        else:
            brief.notes.append("depth: not used (the poses are the control video)")
    if camera is not None and len(camera.keys) > 1 or (camera is not None and camera.handheld):
        if caps.control_video and brief.control is None:
            brief.control = "camera"
            brief.notes.append("camera: the previz plate through the path as the control "
                               "video")
        text = describe(camera, float(sequence_fps))
        if brief.control != "camera":
            brief.prompt = _join(brief.prompt, f"Camera: {text}.")
            brief.notes.append(f"camera: said in the prompt ({text})")
    if members:
        brief.prompt = _join(brief.prompt, f"Cast: {_cast_text(members)}.")
    if brief.control is not None:
        brief.inputs["video"] = {"control": brief.control}  # rendered once the job is planned
    return brief


def _animate_brief(brief: Brief, refs: tuple[Reference, ...], members: list[CastMember],
                   cast_pictures: list[Reference], poses: PoseTrack | None,
                   camera: CameraPath | None, resolve: ResolveFn,
                   sequence_fps: Fraction) -> Brief:
    """Wan Animate: the character picture (a character reference, else the first cast
    member's picture) as ``image``, driven by the pose keyframes (drawn as pose maps) or
    else by a motion clip taken as a pose video."""
    pictures = [r for r in refs if r.kind == "image" and r.role == "character"]
    character = next(iter(pictures + cast_pictures), None)
    if character is None:
        raise UnsupportedRequest(
            "the wan-animate backend animates a character picture and this segment has none",
            "add a character reference, or link a cast member with a picture")
    brief.inputs["image"] = _ref_input(character, resolve)
    brief.notes.append(f"character: {character.name or character.role} is animated")
    motion = next((r for r in refs if r.kind == "video" and r.role == "motion"), None)
    if poses is not None and poses.people:
        brief.control = "pose"
        brief.inputs["video"] = {"control": "pose"}
        brief.notes.append("poses: OpenPose maps drive the character")
    elif motion is not None:
        clip = _ref_input(motion, resolve)
        brief.inputs["video"] = {"path": clip["path"], "sha256": clip["sha256"],
                                 "control": "motion"}
        brief.notes.append("motion: the clip is taken as the pose video that drives the "
                           "character")
    else:
        raise UnsupportedRequest(
            "the wan-animate backend needs pose keyframes or a motion clip to drive the "
            "character", "draw poses in the pose editor, or add a pose video as a motion "
            "reference")
    if camera is not None and len(camera.keys) > 1:
        brief.prompt = _join(brief.prompt, f"Camera: {describe(camera, float(sequence_fps))}.")
    if members:
        brief.prompt = _join(brief.prompt, f"Cast: {_cast_text(members)}.")
    return brief


def _join(prompt: str, extra: str) -> str:
    prompt = prompt.strip()
    if not prompt:
        return extra
    return f"{prompt}{'' if prompt.endswith('.') else '.'} {extra}"


# --- rendering ------------------------------------------------------------------------------


def render_control_video(brief_control: str, segment: Any, spec: JobSpec, *,
                         sequence_fps: Fraction, resolve: ResolveFn, out: Path,
                         camera: CameraPath | None = None) -> Path:
    """The VACE control video for a planned job, at the job's size, rate and frame count,
    written losslessly (FFV1) so a re-run reads the same pixels."""
    from generation.take_media import write_take

    call = spec.call
    n, w, h = call["num_frames"], call["width"], call["height"]
    take_fps = spec.frame_rate
    times = take_frame_times(n, take_fps, sequence_fps)
    camera = camera if camera is not None else segment.camera
    if brief_control == "depth":
        frames = depth_source_frames(segment, camera, times=times, sequence_fps=sequence_fps,
                                     width=w, height=h, resolve=resolve)
        out.parent.mkdir(parents=True, exist_ok=True)
        return write_take(frames, take_fps, out).path
    plate_ref = plate_reference(tuple(segment.references))
    plate = None
    if brief_control == "camera" and plate_ref is not None:
        plate = load_plate(_ref_input(plate_ref, resolve), w, h)
    frames = scene_frames(camera=camera if brief_control == "camera" else None,
                          poses=segment.poses if brief_control == "pose" else None,
                          plate=plate, times=times, fps=float(sequence_fps), width=w, height=h,
                          pose_only=brief_control == "pose")
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_take(frames, take_fps, out).path


def depth_source_frames(segment: Any, camera: CameraPath | None, *, times: list[float],
                        sequence_fps: Fraction, width: int, height: int, resolve: ResolveFn
                        ) -> list[np.ndarray]:
    """The pictures whose depth becomes the control video (the worker estimates it): the
    depth reference clip's frames at the take's frame times (its last frame held past its
    end), or a depth reference picture as the previz plate through the camera path."""
    from timeline.conditioning.scene import fit_plate
    from timeline.media.decode import VideoDecoder

    ref = next(r for r in segment.references if r.role == "depth")
    path = resolve(ref)
    if not path.is_file():
        raise UnsupportedRequest(f"the depth reference {ref.name or ref.sha256[:12]} is "
                                 f"missing from the media store ({path})",
                                 "add the file again with `takeline conditioning ... --add-ref`")
    if ref.kind == "image":
        plate = load_plate({"path": str(path)}, width, height)
        return list(scene_frames(camera=camera, poses=None, plate=plate, times=times,
                                 fps=float(sequence_fps), width=width, height=height))
    out = []
    with VideoDecoder(str(path)) as dec:
        rate = dec.frame_count / dec.duration if dec.duration else Fraction(24)
        for t in times:
            index = min(dec.frame_count - 1, int(Fraction(t) / sequence_fps * rate))
            out.append(fit_plate(dec.frame(index)[..., :3], width, height))
    return out


# --- motion references ----------------------------------------------------------------------


def estimate_clip_camera(path: Path, *, seconds: float, work_width: int = 320,
                         max_frames: int = 96) -> CameraPath:
    """Copy the camera move of a reference clip: its first ``seconds`` (at most
    ``max_frames`` frames, evenly sampled) estimated frame to frame. Real footage is not a
    plane, so the move is read as a tripod move (pan, tilt, roll, zoom), the part that
    carries across from any scene; keys land on the clip's own frame times."""
    from PIL import Image

    from timeline.conditioning.estimate import estimate_camera_path
    from timeline.media.decode import VideoDecoder

    with VideoDecoder(str(path)) as dec:
        fps = float(dec.frame_count / dec.duration) if dec.duration else 24.0
        wanted = min(dec.frame_count, max(2, round(seconds * fps)))
        step = max(1, wanted // max_frames)
        frames = []
        for i in range(0, wanted, step):
            f = dec.frame(i)
            h, w = f.shape[:2]
            size = (work_width, max(2, round(h * work_width / w)))
            frames.append(np.asarray(Image.fromarray(f[..., :3]).resize(
                size, Image.Resampling.BOX)))
    if len(frames) < 2:
        raise UnsupportedRequest(f"{path.name} is too short to copy a camera move from")
    est = estimate_camera_path(frames, fps / step, distance=4.0, reference_focal=35.0,
                               mode="tripod")
    # Frame i of the samples is clip time i*step/fps; the caller rescales to its segment.
    return est.path
