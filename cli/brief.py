"""The conditioning commands of ``takeline``:

    takeline conditioning PROJECT --segment ID [--prompt TEXT] [--negative TEXT]
        [--model NAME] [--add-ref FILE|asset:ID|frame:N --role ROLE [--use beat|speech|map]]...
        [--remove-ref N]... [--camera-preset NAME[:AMOUNT],... [--camera-amount X]
        [--camera-distance M] [--camera-focal MM] [--camera-seed N]] [--camera-json FILE]
        [--camera-from VIDEO] [--clear-camera] [--pose-json FILE] [--clear-poses]
        [--poses-from VIDEO|asset:ID [--pose-model DIR] [--tolerance PX]]
        [--cast NAME]... [--uncast NAME]... [--export-poses DIR] [--check-camera] [--json]
    takeline cast PROJECT [--add NAME [--kind K] [--description TEXT] [--ref FILE]...]
        [--update NAME [--description TEXT] [--ref FILE]...] [--remove NAME] [--json]

Each ``conditioning`` call that changes something is one undoable edit and one new
conditioning version; ``--json`` then prints the current version.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from cli.opening import Failure
from project_store.generation_records import GenerationRecords
from project_store.project import Project
from project_store.references import reference_path, store_reference
from timeline.conditioning.camera import (
    DEFAULT_DISTANCE,
    DEFAULT_FOCAL,
    PRESETS,
    CameraError,
    CameraPath,
    build_path,
    describe,
    parse_stages,
)
from timeline.conditioning.pose import (
    PoseError,
    PoseTrack,
    export_openpose_frames,
    load_pose_file,
)
from timeline.conditioning.references import (
    CAST_KINDS,
    ROLES,
    Reference,
    ReferenceAssetError,
)
from timeline.model import GeneratedSegment

COMMANDS = ("conditioning", "cast")


class ConditioningFailure(Failure):
    pass


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("conditioning", help="set up a generated segment's brief: prompt, "
                       "references, camera path, poses, cast")
    p.add_argument("project", type=Path)
    p.add_argument("--segment", type=int, required=True, help="the segment's item id")
    p.add_argument("--prompt")
    p.add_argument("--negative", help="negative prompt")
    p.add_argument("--model", help="the model this segment is meant for (part of the brief)")
    p.add_argument("--add-ref", action="append", default=[], metavar="FILE",
                   help="a picture, clip or audio file, asset:ID from the bin, or frame:N (the "
                   "sequence frame N as the viewer shows it); give a --role after each")
    p.add_argument("--role", action="append", default=[], choices=ROLES,
                   help="the role of the --add-ref before it")
    p.add_argument("--use", action="append", default=[], choices=["beat", "speech", "map"],
                   help="for audio references: follow its beat or its speech; for a depth "
                        "reference, map: the picture is a depth map (grey, near bright)")
    p.add_argument("--remove-ref", action="append", type=int, default=[], metavar="N",
                   help="remove reference number N (as --json lists them, from 1)")
    p.add_argument("--camera-preset", metavar="NAME[:AMOUNT],...",
                   help=f"one preset or stages, e.g. static,dolly-in:0.5,orbit:90; presets: "
                   f"{', '.join(PRESETS)}")
    p.add_argument("--camera-amount", type=float, help="amount of a single preset")
    p.add_argument("--camera-distance", type=float, default=DEFAULT_DISTANCE,
                   help=f"metres to the subject (default {DEFAULT_DISTANCE})")
    p.add_argument("--camera-focal", type=float, default=DEFAULT_FOCAL,
                   help=f"starting focal length in mm (default {DEFAULT_FOCAL})")
    p.add_argument("--camera-seed", type=int, default=0, help="seed of the handheld shake")
    p.add_argument("--camera-json", type=Path, help="a camera path file (keys)")
    p.add_argument("--camera-from", type=Path, metavar="VIDEO",
                   help="copy the camera move of a video (estimated frame to frame)")
    p.add_argument("--clear-camera", action="store_true")
    p.add_argument("--pose-json", type=Path, help="a Takeline pose file or OpenPose JSON")
    p.add_argument("--clear-poses", action="store_true")
    p.add_argument("--poses-from", metavar="VIDEO|asset:ID",
                   help="read the poses of the people in a reference clip (a pose model: "
                   "`takeline models list`), reduced to the fewest keys within --tolerance")
    p.add_argument("--pose-model", type=Path, metavar="DIR",
                   help="the folder of the pose model's .onnx files (default: the installed "
                   "one)")
    p.add_argument("--tolerance", type=float, default=4.0, metavar="PX",
                   help="how far (sequence pixels) the keyed poses may stray from the clip's "
                   "(default 4)")
    p.add_argument("--cast", action="append", default=[], metavar="NAME",
                   help="link a cast member")
    p.add_argument("--uncast", action="append", default=[], metavar="NAME")
    p.add_argument("--export-poses", type=Path, metavar="DIR",
                   help="write the poses as OpenPose JSON, one file per frame")
    p.add_argument("--check-camera", action="store_true",
                   help="estimate the camera back from the active take and report the error "
                   "against the path")
    p.add_argument("--json", action="store_true", help="print the current version")

    p = sub.add_parser("cast", help="the project's characters, props and locations")
    p.add_argument("project", type=Path)
    p.add_argument("--add", metavar="NAME")
    p.add_argument("--update", metavar="NAME")
    p.add_argument("--remove", metavar="NAME")
    p.add_argument("--kind", choices=CAST_KINDS)
    p.add_argument("--description")
    p.add_argument("--ref", action="append", default=[], metavar="FILE",
                   help="a reference picture (with --update: replaces the pictures)")
    p.add_argument("--json", action="store_true")


def dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command == "cast":
            return _cast(args)
        return _conditioning(args)
    except (ReferenceAssetError, CameraError, PoseError) as exc:
        raise ConditioningFailure(str(exc)) from None


# --- conditioning -------------------------------------------------------------------------


def _segment(project: Project, segment_id: int) -> GeneratedSegment:
    return GenerationRecords(project).segment(segment_id)


def _member_id(project: Project, name: str) -> int:
    for m in project.sequence.cast.values():
        if m.name.casefold() == name.strip().casefold():
            return m.id
    have = ", ".join(m.name for m in project.sequence.cast.values()) or "none yet"
    raise ConditioningFailure(f"no cast member called {name!r} (cast: {have}); add one with "
                              f"`takeline cast PROJECT --add NAME --ref PICTURE`")


def grab_frame(project: Project, n: int, out: Path) -> Path:
    """Sequence frame ``n`` as the viewer shows it, as a PNG."""
    from services.generation_queue import sequence_picture
    from timeline.media.images import write_png

    if not 0 <= n < max(1, project.sequence.duration_frames):
        raise ConditioningFailure(f"frame:{n}: the sequence has frames 0..."
                                  f"{project.sequence.duration_frames - 1}")
    return write_png(out, sequence_picture(project, n))


def _store(project: Project, spec: str, role: str, use: str = "") -> Reference:
    if spec.startswith("frame:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            raise ConditioningFailure(f"{spec}: give a sequence frame, e.g. frame:120"
                                      ) from None
        tmp = project.media_root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        png = grab_frame(project, n, tmp / f"frame-{n}.png")
        try:
            return store_reference(project, png, role, name=f"sequence frame {n}",
                                   source=f"sequence frame {n}")
        finally:
            png.unlink(missing_ok=True)
    if spec.startswith("asset:"):
        try:
            asset = project.assets[int(spec.split(":", 1)[1])]
        except (ValueError, KeyError):
            raise ConditioningFailure(f"{spec}: no such asset in the bin (`takeline info` "
                                      "lists them)") from None
        return store_reference(project, asset.path, role, use=use, source=f"asset {asset.id}")
    return store_reference(project, spec, role, use=use)


def _conditioning(args: argparse.Namespace) -> int:
    if len(args.role) != len(args.add_ref):
        raise ConditioningFailure("give one --role after each --add-ref (e.g. --add-ref "
                                  "mara.png --role character)")
    with Project.open(args.project) as project:
        segment = _segment(project, args.segment)
        seq = project.sequence
        if sum(x is not None for x in (args.pose_json, args.poses_from)) + \
                args.clear_poses > 1:
            raise ConditioningFailure("give one of --pose-json, --poses-from, --clear-poses")
        # First, before any reference is stored: a missing pose model must touch nothing.
        extracted = None if args.poses_from is None else poses_from_clip(
            project, segment, args.poses_from, model_dir=args.pose_model,
            tolerance=args.tolerance)
        props: dict[str, Any] = {}
        if args.prompt is not None:
            props["prompt"] = args.prompt
        if args.negative is not None:
            props["negative_prompt"] = args.negative
        if args.model is not None:
            props["model"] = args.model
        refs = list(segment.references)
        if args.remove_ref:
            for n in sorted(set(args.remove_ref), reverse=True):
                if not 1 <= n <= len(refs):
                    raise ConditioningFailure(f"--remove-ref {n}: the segment has "
                                              f"{len(refs)} references")
                del refs[n - 1]
        uses = iter(args.use)
        for spec, role in zip(args.add_ref, args.role, strict=True):
            use = next(uses, "") if role in ("audio", "depth") else ""
            refs.append(_store(project, spec, role, use))
        if args.add_ref or args.remove_ref:
            props["references"] = [r.to_json() for r in refs]
        camera = _camera(args, project, segment)
        if camera is not None:
            props["camera"] = camera.to_json() if isinstance(camera, CameraPath) else None
        if extracted is not None:
            props["poses"] = extracted.to_json()
        elif args.pose_json is not None:
            track = load_pose_file(args.pose_json, seq.settings.width, seq.settings.height,
                                   segment.duration)
            props["poses"] = track.to_json()
        elif args.clear_poses:
            props["poses"] = None
        if args.cast or args.uncast:
            cast = list(segment.cast)
            for name in args.cast:
                mid = _member_id(project, name)
                if mid not in cast:
                    cast.append(mid)
            for name in args.uncast:
                mid = _member_id(project, name)
                cast = [c for c in cast if c != mid]
            props["cast"] = cast
        if props:
            project.execute({"op": "set", "item": segment.id, **props})
            segment = _segment(project, segment.id)
        if args.export_poses is not None:
            if segment.poses is None:
                raise ConditioningFailure("the segment has no poses to export")
            paths = export_openpose_frames(segment.poses, args.export_poses,
                                           range(segment.duration), seq.settings.width,
                                           seq.settings.height)
            print(f"Wrote {len(paths)} OpenPose files to {args.export_poses}")
        report = current_version(project, segment.id)
        if args.check_camera:
            report["camera_check"] = check_camera(project, segment.id)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print(_format(report, changed=bool(props)))
    return 0


def poses_from_clip(project: Project, segment: GeneratedSegment, spec: str, *,
                    model_dir: Path | None = None, tolerance: float = 4.0) -> PoseTrack:
    """The pose track of a reference clip (a file or ``asset:ID``) for the segment; the
    pose model is found first, so a missing one fails before any work."""
    from services.clip_poses import ClipPosesError, describe_report, extract_clip_poses

    try:
        track, report = extract_clip_poses(project, segment, spec, model_dir=model_dir,
                                           tolerance=tolerance)
    except ClipPosesError as exc:
        raise ConditioningFailure(str(exc)) from None
    print(describe_report(report), file=sys.stderr)
    return track


def _camera(args: argparse.Namespace, project: Project, segment: GeneratedSegment
            ) -> CameraPath | bool | None:
    """The new camera path, False to clear it, None to leave it."""
    given = [a for a in (args.camera_preset, args.camera_json, args.camera_from) if a]
    if len(given) > 1:
        raise ConditioningFailure("give one of --camera-preset, --camera-json, --camera-from")
    if args.clear_camera:
        return False
    if args.camera_preset:
        stages = parse_stages(args.camera_preset)
        if args.camera_amount is not None:
            if len(stages) != 1:
                raise ConditioningFailure("--camera-amount goes with a single preset; give "
                                          "stages as NAME:AMOUNT instead")
            stages = [(stages[0][0], args.camera_amount)]
        return build_path(stages, segment.duration, distance=args.camera_distance,
                          focal=args.camera_focal, seed=args.camera_seed)
    if args.camera_json:
        try:
            data = json.loads(Path(args.camera_json).read_text())
        except (OSError, ValueError) as exc:
            raise ConditioningFailure(f"cannot read {args.camera_json}: {exc}") from None
        if isinstance(data, dict) and "stages" in data and "keys" not in data:
            stages = [(s["preset"], s.get("amount")) for s in data["stages"]]
            return build_path(stages, segment.duration,
                              distance=float(data.get("distance", args.camera_distance)),
                              focal=float(data.get("focal", args.camera_focal)),
                              seed=int(data.get("seed", args.camera_seed)))
        path = CameraPath.from_json(data)
        if path.end_frame >= segment.duration:
            raise ConditioningFailure(f"the camera path's last key is at frame "
                                      f"{path.end_frame}; the segment has {segment.duration} "
                                      f"frames (0..{segment.duration - 1})")
        return path
    if args.camera_from:
        from generation.brief_compiler import estimate_clip_camera

        fps = project.sequence.fps
        path = estimate_clip_camera(args.camera_from, seconds=float(segment.duration / fps))
        return path.scaled_to(segment.duration)
    return None


def current_version(project: Project, segment_id: int) -> dict[str, Any]:
    segment = _segment(project, segment_id)
    records = GenerationRecords(project)
    stale = records.staleness(segment_id)
    fps = float(project.sequence.fps)
    return {
        "segment": segment.id,
        "version": stale["current"],
        "stale": stale["stale"],
        "active_take": stale["active_take"],
        "take_version": stale["take_version"],
        "prompt": segment.prompt,
        "negative_prompt": segment.negative_prompt,
        "model": segment.model,
        "references": [
            {"n": i + 1, **r.to_json(), "path": str(reference_path(project, r))}
            for i, r in enumerate(segment.references)],
        "camera": None if segment.camera is None else {
            **segment.camera.to_json(), "description": describe(segment.camera, fps)},
        "poses": None if segment.poses is None else segment.poses.to_json(),
        "cast": [project.sequence.cast[c].to_dict() for c in segment.cast
                 if c in project.sequence.cast],
        "history": [{"version": v, "at": t} for v, t in
                    project.conditioning_history(segment_id)],
    }


def check_camera(project: Project, segment_id: int) -> dict[str, Any]:
    """Estimate the camera back from the segment's active take and compare with its path:
    the path's own test (the previz of a path must round-trip to it)."""
    from generation.take_media import read_take
    from timeline.conditioning.estimate import estimate_camera_path, path_error

    segment = _segment(project, segment_id)
    if segment.camera is None:
        raise ConditioningFailure("the segment has no camera path to check")
    if segment.active_take is None:
        raise ConditioningFailure("the segment has no take yet; generate one (e.g. "
                                  "`takeline generate PROJECT --segment ID`) first")
    take = GenerationRecords(project).take(segment.active_take)
    if take.media_path is None or not take.media_path.is_file():
        raise ConditioningFailure(f"the media of take {take.id} is missing")
    frames = list(read_take(take.media_path))
    seq_fps = project.sequence.fps
    # Take frame i happens at sequence frame i * sequence_fps / take_fps.
    times = [float(i * Fraction(seq_fps) / Fraction(take.fps)) for i in range(len(frames))]
    small = _downscale(frames, 320)
    cam = segment.camera
    h, w = small[0].shape[:2]
    est = estimate_camera_path(small, float(seq_fps), distance=cam.distance,
                               reference_focal=cam.reference_focal,
                               mode="tripod" if _zooms(cam) else "free",
                               start=cam.at(0, float(seq_fps)))
    err = path_error(cam, est.cameras, times, float(seq_fps), width=w, height=h)
    return {**err, "take": take.id, "frames": len(frames),
            "mode": "tripod" if _zooms(cam) else "free", "residual_px": est.residual_px}


def _zooms(path: CameraPath) -> bool:
    # A plane cannot tell a zoom from a dolly; a path that zooms is checked as a tripod move.
    return len({round(k.focal, 6) for k in path.keys}) > 1


def _downscale(frames: list[Any], width: int) -> list[Any]:
    import numpy as np
    from PIL import Image

    h, w = frames[0].shape[:2]
    if w <= width:
        return frames
    size = (width, max(2, round(h * width / w)))
    return [np.asarray(Image.fromarray(f).resize(size, Image.Resampling.BOX)) for f in frames]


def _format(report: dict[str, Any], *, changed: bool) -> str:
    lines = [f"Segment {report['segment']}: conditioning version {report['version'][:12]}"
             f"{' (new)' if changed else ''}"
             + ("  [STALE: the active take was made from another version]"
                if report["stale"] else "")]
    lines.append(f"  prompt   {report['prompt']!r}")
    if report["negative_prompt"]:
        lines.append(f"  negative {report['negative_prompt']!r}")
    lines.append(f"  model    {report['model']}")
    for r in report["references"]:
        lines.append(f"  ref {r['n']}: {r['role']:<11} {r['kind']:<5} {r['name']} "
                     f"({r['sha256'][:12]})")
    if report["camera"]:
        cam = report["camera"]
        lines.append(f"  camera   {cam['description']} ({len(cam['keys'])} keys, subject "
                     f"{cam['distance']} m)")
    if report["poses"]:
        people = report["poses"]["people"]
        lines.append(f"  poses    {len(people)} people, "
                     f"{sum(len(p['keys']) for p in people)} keys")
    for m in report["cast"]:
        lines.append(f"  cast     {m['name']} ({m['kind']}, {len(m['references'])} pictures)")
    lines.append(f"  versions {len(report['history'])}")
    check = report.get("camera_check")
    if check:
        lines.append(
            f"  camera check on take {check['take']} ({check['frames']} frames, "
            f"{check['mode']}): rotation max {check['rotation_deg_max']:.3f} deg, position "
            f"max {check['position_frac_max'] * 100:.2f}% of the distance, focal max "
            f"{check['focal_mm_max']:.3f} mm, reprojection max "
            f"{check['reprojection_px_max']:.2f} px")
    return "\n".join(lines)


# --- cast -------------------------------------------------------------------------------


def _cast(args: argparse.Namespace) -> int:
    with Project.open(args.project) as project:
        if args.add:
            refs = [store_reference(project, f, "character").to_json() for f in args.ref]
            project.execute({"op": "add_cast", "name": args.add,
                             "kind": args.kind or "character",
                             "description": args.description or "", "references": refs})
        elif args.update:
            params: dict[str, Any] = {"op": "set_cast", "member": _member_id(project,
                                                                              args.update)}
            if args.kind:
                params["kind"] = args.kind
            if args.description is not None:
                params["description"] = args.description
            if args.ref:
                params["references"] = [store_reference(project, f, "character").to_json()
                                        for f in args.ref]
            project.execute(params)
        elif args.remove:
            project.execute({"op": "remove_cast", "member": _member_id(project, args.remove)})
        members = [m.to_dict() for m in sorted(project.sequence.cast.values(),
                                                key=lambda m: m.name.casefold())]
        records = GenerationRecords(project)
        stale = set(records.stale_segments())
        for m in members:
            m["segments"] = [i.id for i in project.sequence.all_items()
                             if isinstance(i, GeneratedSegment) and m["id"] in i.cast]
            m["stale_segments"] = [s for s in m["segments"] if s in stale]
        if args.json:
            print(json.dumps(members, indent=2))
        else:
            for m in members:
                print(f"{m['id']:>4}  {m['name']} ({m['kind']}): {len(m['references'])} "
                      f"pictures, in segments {m['segments'] or '-'}"
                      + (f", stale: {m['stale_segments']}" if m["stale_segments"] else ""))
            if not members:
                print("No cast yet: takeline cast PROJECT --add NAME --ref PICTURE")
    return 0
