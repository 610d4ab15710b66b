"""The generation commands of ``takeline``:

    takeline generate PROJECT --segment ID [--backend previz|wan|wan-vace|ltx|wan-animate|
                      stable-audio|stable-audio-3] [--model ID] [--animate-mode animate|replace]
                      [--seed N] [--takes N] [--steps N] [--guidance X] [--size WxH]
                      [--memory-mode M] [--device D] [--dtype T] [--json]
    takeline takes PROJECT --segment ID [--json]   (also --activate / --star / --rename /
                                                    --delete TAKE, --import FILE)
    takeline rerun PROJECT --take ID [--verify]
    takeline metrics PROJECT --take ID [--json]   (measure a take again and print it)
    takeline jobs PROJECT [--run] [--cancel ID] [--retry ID] [--json]
    takeline models list [--json] / takeline models pull ID [--revision R]
    takeline extend PROJECT --item ID --tail N|--head N [--insert] [--prompt P]
                    [--backend B] [--model ID] [... as generate]
    takeline shots PROJECT --segment ID [--split F1,F2 | --durations D1,D2,D3]
                   [--prompt P ...] [--from-json FILE] [--clear] [--json]
    takeline models pull --depth [ID]   (a Depth Anything model, for depth references)
    takeline models pull --pose [ID]    (ONNX pose detector, for conditioning --poses-from)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from cli.opening import Failure, open_project
from cli.progress import Progress
from generation.backends import BACKENDS
from generation.backends.base import GenerationError
from generation.installed_models import (
    ModelError,
    format_size,
    list_installed,
    pull_model,
    resolve_model,
)
from generation.planner import ResolvedModel
from generation.spec import MEMORY_MODES
from generation.subrange import SubRange
from generation.take_media import frames_hash, read_take
from project_store.db import ProjectError
from project_store.generation_records import GenerationRecords, TakeError
from services import take_metrics
from services.generation_queue import GenerationRunner, JobUpdate
from timeline.model import GeneratedSegment

COMMANDS = ("generate", "takes", "rerun", "jobs", "farm", "models", "metrics", "extend", "shots")


class CliFailure(Failure):
    pass


def add_parsers(sub: Any, size_type: Any) -> None:
    p = sub.add_parser("generate", help="generate takes for a generated segment")
    p.add_argument("project", type=Path)
    p.add_argument("--segment", type=int, required=True, help="the segment's item id")
    p.add_argument("--backend", choices=list(BACKENDS), help="default: previz without "
                   "--model, else the backend that fits the model")
    p.add_argument("--model", help="Hugging Face repo id or a local pipeline folder")
    p.add_argument("--seed", type=int, help="fixed seed (N takes use seed, seed+1, ...); "
                   "default: the segment's seed, else random")
    p.add_argument("--takes", type=int, default=1, help="how many takes (one seed each)")
    p.add_argument("--steps", type=int, help="denoising steps (num_inference_steps)")
    p.add_argument("--guidance", type=float, help="guidance_scale")
    p.add_argument("--size", type=size_type, help="generation size WxH (default: from the "
                   "model and the sequence's aspect)")
    p.add_argument("--max-sequence-length", type=int, help="text encoder token limit")
    p.add_argument("--memory-mode", choices=MEMORY_MODES, default="auto")
    p.add_argument("--device", default="auto", help="cuda, cuda:1, cpu (default: auto)")
    p.add_argument("--dtype", default="auto", help="bfloat16, float16, float32")
    p.add_argument("--first-frame", type=Path, help="image for the first frame")
    p.add_argument("--last-frame", type=Path, help="image for the last frame")
    p.add_argument("--range", dest="frame_range", metavar="IN:OUT",
                   help="regenerate only segment frames [IN, OUT) over the active take")
    p.add_argument("--handles", type=int, default=8,
                   help="context frames kept each side of --range (default 8)")
    p.add_argument("--crossfade", type=int, default=0,
                   help="frames of crossfade at each seam of --range (default 0; on an "
                   "audio segment 0 means 20 ms, inside the range)")
    p.add_argument("--continuity", choices=["before", "after", "both"],
                   help="condition on the last frame before / first frame after the segment")
    p.add_argument("--animate-mode", choices=["animate", "replace"],
                   help="wan-animate: animate the character in its own picture (default)")
    p.add_argument("--queue-only", action="store_true",
                   help="queue the jobs without running them (`takeline jobs --run`)")
    p.add_argument("--depth-model", metavar="DIR|REPO",
                   help="the Depth Anything model whose depth maps of a depth reference are "
                        "the control video (default: depth-anything/Depth-Anything-V2-Small-hf"
                        ", from the Hugging Face cache)")
    p.add_argument("--in-worker", action="store_true",
                   help="run previz in the generation worker process too, as the editor "
                        "does (models always run there)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("extend", help="generative extend: a generated segment that continues "
                       "a clip's head or tail, conditioned on the clip's own edge frames")
    p.add_argument("project", type=Path)
    p.add_argument("--item", type=int, required=True, help="the clip's item id")
    side = p.add_mutually_exclusive_group(required=True)
    side.add_argument("--tail", metavar="N", help="frames after the clip (or seconds: 1s)")
    side.add_argument("--head", metavar="N", help="frames before the clip (or seconds: 1s)")
    p.add_argument("--insert", action="store_true",
                   help="where the frames beside the clip are taken, push what follows along "
                        "(default: refuse)")
    p.add_argument("--prompt", default="", help="what happens in the new frames")
    _add_generation_options(p, size_type)

    p = sub.add_parser("shots", help="divide a generated segment into shots (each its own "
                       "prompt, camera and poses), generated as one job by `generate`")
    p.add_argument("project", type=Path)
    p.add_argument("--segment", type=int, required=True)
    cut = p.add_mutually_exclusive_group()
    cut.add_argument("--split", metavar="F1,F2", help="cut at these segment frames")
    cut.add_argument("--durations", metavar="D1,D2", help="the shots' lengths in frames")
    cut.add_argument("--from-json", type=Path, metavar="FILE",
                     help="the shots as JSON: [{duration, prompt, camera, poses}, ...]")
    cut.add_argument("--clear", action="store_true", help="make it one shot again")
    p.add_argument("--prompt", action="append", default=[],
                   help="one per shot, in order (default: the segment's prompt)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("takes", help="list or manage a segment's takes")
    p.add_argument("project", type=Path)
    p.add_argument("--segment", type=int, required=True)
    p.add_argument("--activate", type=int, metavar="TAKE")
    p.add_argument("--star", type=int, metavar="TAKE")
    p.add_argument("--unstar", type=int, metavar="TAKE")
    p.add_argument("--rename", nargs=2, metavar=("TAKE", "NAME"))
    p.add_argument("--delete", type=int, metavar="TAKE")
    p.add_argument("--import", dest="import_file", type=Path, metavar="FILE",
                   help="add a video made elsewhere as a take of the segment (made active, "
                   "measured)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("rerun", help="re-make a take from its recipe alone")
    p.add_argument("project", type=Path)
    p.add_argument("--take", type=int, required=True)
    p.add_argument("--verify", action="store_true",
                   help="compare with the stored take: exit 0 and 'identical', or exit 1")

    p = sub.add_parser("metrics", help="measure a take (flicker, warping error, cuts, seams, "
                       "camera adherence) and print the figures")
    p.add_argument("project", type=Path)
    p.add_argument("--take", type=int, required=True)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("jobs", help="the generation queue: list, run, cancel, retry")
    p.add_argument("project", type=Path)
    p.add_argument("--run", action="store_true", help="run every queued job")
    p.add_argument("--cancel", type=int, metavar="JOB")
    p.add_argument("--retry", type=int, metavar="JOB")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("farm", help="run the project's queue on several workers: every GPU of "
                       "this machine (local), N CPU workers (local:N) or a Ray cluster")
    p.add_argument("project", type=Path)
    p.add_argument("--address", default="local", metavar="ADDRESS",
                   help="ray://HOST:PORT (a Ray head node's client port, 10001 by default), "
                        "auto (the Ray cluster this machine joined with `ray start`), or "
                        "local[:N] (worker processes here: one per GPU, or N) [local]")
    p.add_argument("--workers", type=int, metavar="N",
                   help="Ray actors to start (default: one per GPU of the cluster, or one "
                        "per node without GPUs)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("models", help="installed generation models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    q = msub.add_parser("list", help="models in the Hugging Face cache (and --folder)")
    q.add_argument("--folder", type=Path, action="append", default=[],
                   help="also look in this folder of pipeline folders")
    q.add_argument("--json", action="store_true")
    q = msub.add_parser("pull", help="download a model (needs a network)")
    q.add_argument("model", metavar="ID", nargs="?",
                   help="repo id (with --depth, default depth-anything/"
                        "Depth-Anything-V2-Small-hf)")
    q.add_argument("--revision")
    q.add_argument("--depth", action="store_true",
                   help="a Depth Anything depth model (for depth references), not a pipeline")
    q.add_argument("--pose", action="store_true",
                   help="an ONNX pose model (person detector + RTMPose/DWPose, for "
                        "`conditioning --poses-from`; default yzd-v/DWPose)")


def _add_generation_options(p: Any, size_type: Any) -> None:
    p.add_argument("--backend", choices=list(BACKENDS), help="default: previz without "
                   "--model, else the backend that fits the model")
    p.add_argument("--model", help="Hugging Face repo id or a local pipeline folder")
    p.add_argument("--seed", type=int, help="fixed seed (default: random)")
    p.add_argument("--steps", type=int, help="denoising steps (num_inference_steps)")
    p.add_argument("--guidance", type=float, help="guidance_scale")
    p.add_argument("--size", type=size_type, help="generation size WxH")
    p.add_argument("--max-sequence-length", type=int, help="text encoder token limit")
    p.add_argument("--memory-mode", choices=MEMORY_MODES, default="auto")
    p.add_argument("--device", default="auto", help="cuda, cuda:1, cpu (default: auto)")
    p.add_argument("--dtype", default="auto", help="bfloat16, float16, float32")
    p.add_argument("--queue-only", action="store_true",
                   help="queue the job without running it (`takeline jobs --run`)")
    p.add_argument("--json", action="store_true")


def dispatch(args: argparse.Namespace) -> int:
    try:
        return {
            "generate": _generate, "takes": _takes, "rerun": _rerun, "jobs": _jobs,
            "farm": _farm,
            "models": _models, "metrics": _metrics, "extend": _extend, "shots": _shots,
        }[args.command](args)
    except (ModelError, GenerationError, TakeError) as exc:
        suggestion = getattr(exc, "suggestion", "")
        raise CliFailure(f"{exc}. {suggestion}" if suggestion else str(exc)) from None


class _ProgressBar:
    """A bar on stderr per running job (``cli.progress``: only on a terminal), then one line
    on stderr saying how the job ended."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started: dict[int, float] = {}
        self.bars: dict[int, Progress] = {}

    def __call__(self, u: JobUpdate) -> None:
        if self.quiet:
            return
        if u.state == "running":
            self.started.setdefault(u.job_id, time.monotonic())
            bar = self.bars.get(u.job_id)
            if bar is None:
                bar = self.bars[u.job_id] = Progress(f"job {u.job_id}", unit="step")
            bar.update_to(u.steps_done, u.steps_total)
        elif u.state in ("done", "failed", "cancelled"):
            bar = self.bars.pop(u.job_id, None)
            if bar is not None:
                bar.close()
            t0 = self.started.pop(u.job_id, None)
            took = f" in {time.monotonic() - t0:.1f} s" if t0 is not None else ""
            detail = f": {u.error}" if u.error else (
                f": take {', '.join(map(str, u.take_ids))}" if u.take_ids else "")
            print(f"job {u.job_id} {u.state}{took}{detail}", file=sys.stderr)


def _resolve(model: str | None, backend: str | None) -> tuple[str, ResolvedModel | None]:
    if model is None:
        if backend not in (None, "previz"):
            raise CliFailure(f"the {backend} backend needs --model (a Hugging Face repo id or "
                             "a pipeline folder; `takeline models list` shows installed ones)")
        return "previz", None
    installed = resolve_model(model, backend=backend if backend != "previz" else None)
    if backend is None:
        if not installed.backends:
            raise CliFailure(f"{model} is a {installed.pipeline_class} model, which no "
                             f"backend drives (backends: {', '.join(BACKENDS)})")
        backend = installed.backends[0]
    return backend, ResolvedModel(id=installed.id, path=str(installed.path),
                                  revision=installed.revision,
                                  pipeline_class=installed.pipeline_class)


def _check_image(path: Path) -> None:
    from timeline.media.images import PictureError, check_picture_file

    try:
        check_picture_file(path)
    except PictureError as exc:
        raise CliFailure(str(exc)) from None


def _generate(args: argparse.Namespace) -> int:
    backend, model = _resolve(args.model, args.backend)
    with open_project(args.project) as project:
        records = GenerationRecords(project)
        segment = records.segment(args.segment)
        runner = GenerationRunner(project, on_update=_ProgressBar(args.json),
                                  previz_in_worker=args.in_worker,
                                  on_metrics=_metrics_failure, depth_model=args.depth_model)
        inputs: dict[str, Any] = {}
        for key, path in (("image", args.first_frame), ("last_image", args.last_frame)):
            if path is not None:
                _check_image(path)
                inputs[key] = runner.store_input(path)
        choices: dict[str, Any] = dict(
            backend=backend, model=model, takes=args.takes, steps=args.steps,
            guidance=args.guidance, size=args.size,
            max_sequence_length=args.max_sequence_length, memory_mode=args.memory_mode,
            device=args.device, dtype=args.dtype, inputs=inputs,
            animate_mode=args.animate_mode)
        if args.seed is not None:
            choices["seed"] = args.seed
        request = runner.request_for(segment.id, **choices)
        if args.continuity:
            request = replace(request, inputs={
                **runner.continuity_inputs(segment.id, args.continuity), **inputs})
        if args.frame_range:
            start, end = _range(args.frame_range)
            jobs = runner.queue_range(segment.id, request, SubRange(
                start, end, handles=args.handles, crossfade=args.crossfade))
        else:
            jobs = runner.queue(segment.id, request)
        if args.queue_only:
            print(f"Queued job{'s' if len(jobs) > 1 else ''} "
                  f"{', '.join(str(j.id) for j in jobs)}; run with `takeline jobs "
                  f"{args.project} --run`")
            return 0
        finished = _run(runner, {j.id for j in jobs})
        takes = [records.take(t) for j in finished for t in j.take_ids]
        if args.json:
            print(json.dumps({"jobs": [j.to_json() for j in finished],
                              "takes": [t.to_json() for t in takes]}, indent=2))
        else:
            for t in takes:
                print(f"take {t.id} ({t.name}): {t.backend} seed {t.seed}, {_take_size(t)} "
                      f"-> {t.media_path}")
                seams = t.recipe.get("seams")
                mode = (t.recipe.get("inputs") or {}).get("audio_splice", {}).get("mode")
                if mode is not None:
                    print("  range: " + ("inpainted, the rest of the take as the model's "
                                         "context" if mode == "inpaint" else
                                         "made anew and crossfaded in at its seams")
                          + "; outside it the take's samples are kept bit for bit")
                if seams:
                    step = "sample-to-sample" if t.is_audio else "frame-to-frame"
                    print("  seams (mean |difference| across the cut; typical "
                          f"{step} {seams['typical']}): "
                          + ", ".join(f"{k} {v}" for k, v in seams.items() if k != "typical"))
        failed = [j for j in finished if j.state != "done"]
        for j in failed:
            print(f"takeline: job {j.id} {j.state}: {j.error or ''}".rstrip(": "),
                  file=sys.stderr)
        return 1 if failed else 0


def _frames(text: str, fps: Any, flag: str) -> int:
    """N frames, or Ns seconds at the sequence rate (rounded to the nearest frame)."""
    from fractions import Fraction

    raw = text.strip().lower()
    try:
        if raw.endswith("s"):
            n = round(Fraction(raw[:-1]) * fps)
        else:
            n = int(raw)
    except (ValueError, ZeroDivisionError):
        raise CliFailure(f"{flag} takes frames (24) or seconds (1s, 0.5s), not {text!r}"
                         ) from None
    if n < 1:
        raise CliFailure(f"{flag} must be at least one frame, not {text!r}")
    return n


def _extend(args: argparse.Namespace) -> int:
    backend, model = _resolve(args.model, args.backend)
    with open_project(args.project) as project:
        side = "tail" if args.tail is not None else "head"
        flag = f"--{side}"
        frames = _frames(args.tail if side == "tail" else args.head, project.sequence.fps,
                         flag)
        before = {i.id for i in project.sequence.all_items()}
        runner = GenerationRunner(project, on_update=_ProgressBar(args.json),
                                  on_metrics=_metrics_failure)
        # The edit and its job together or not at all: a refused model leaves the project
        # as it was (no segment, no history step).
        with project.batch():
            project.execute({"op": "extend", "item": args.item, "side": side,
                             "frames": frames, "insert": args.insert, "prompt": args.prompt,
                             "seed": args.seed})
            [segment_id] = [i.id for i in project.sequence.all_items() if i.id not in before]
            request = runner.request_for(
                segment_id, backend=backend, model=model, steps=args.steps,
                guidance=args.guidance, size=args.size,
                max_sequence_length=args.max_sequence_length, memory_mode=args.memory_mode,
                device=args.device, dtype=args.dtype)
            jobs = runner.queue(segment_id, request)
        segment = project.sequence.item(segment_id)
        where = f"frames {segment.start}-{segment.end} of {segment.track}"
        if args.queue_only:
            print(f"Segment {segment_id} extends clip {args.item} ({where}); queued job "
                  f"{jobs[0].id}: run with `takeline jobs {args.project} --run`")
            return 0
        finished = _run(runner, {j.id for j in jobs})
        takes = [runner.records.take(t) for j in finished for t in j.take_ids]
        if args.json:
            print(json.dumps({"segment": segment_id, "jobs": [j.to_json() for j in finished],
                              "takes": [t.to_json() for t in takes]}, indent=2))
        else:
            print(f"Segment {segment_id} extends the {side} of clip {args.item} ({where})")
            for t in takes:
                seams = t.recipe.get("seams") or {}
                seam = ", ".join(f"{k} {v}" for k, v in seams.items() if k != "typical")
                print(f"take {t.id}: {t.backend} seed {t.seed}, {frames} new frames; seam "
                      f"(mean |difference| across the cut) {seam or '-'}, typical "
                      f"frame-to-frame {seams.get('typical', '-')}")
        failed = [j for j in finished if j.state != "done"]
        for j in failed:
            print(f"takeline: job {j.id} {j.state}: {j.error or ''}".rstrip(": "),
                  file=sys.stderr)
        return 1 if failed else 0


def _numbers(text: str, flag: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CliFailure(f"{flag} takes whole frames separated by commas, e.g. 24,48, not "
                         f"{text!r}") from None


def _shots(args: argparse.Namespace) -> int:
    from timeline.conditioning.shots import ShotError, shot_starts, shots_from_cuts

    changes = bool(args.split or args.durations or args.from_json or args.clear)
    with open_project(args.project, read_only=not changes) as project:
        segment = GenerationRecords(project).segment(args.segment)
        n = segment.duration
        try:
            if args.from_json is not None:
                try:
                    shots: Any = json.loads(args.from_json.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise CliFailure(f"cannot read {args.from_json}: {exc}") from None
            elif args.split or args.durations:
                if args.split:
                    cuts = _numbers(args.split, "--split")
                else:
                    durations = _numbers(args.durations, "--durations")
                    cuts = [sum(durations[:i + 1]) for i in range(len(durations) - 1)]
                    if sum(durations) != n:
                        raise CliFailure(f"the durations add up to {sum(durations)} frames; "
                                         f"segment {segment.id} has {n}")
                prompts = args.prompt or []
                made = shots_from_cuts(cuts, n, prompts)
                if not prompts:
                    made = tuple(type(s)(duration=s.duration, prompt=segment.prompt)
                                 for s in made)
                shots = [s.to_json() for s in made]
            elif args.clear:
                shots = []
            else:
                shots = None
        except ShotError as exc:
            raise CliFailure(str(exc)) from None
        if shots is not None:
            project.execute({"op": "set", "item": segment.id, "shots": shots})
            segment = GenerationRecords(project).segment(args.segment)
        if args.json:
            print(json.dumps({"segment": segment.id, "shots": [
                {**s.to_json(), "start": at} for s, at in zip(
                    segment.shots, shot_starts(segment.shots), strict=True)]}, indent=2))
            return 0
        if not segment.shots:
            print(f"Segment {segment.id} is one shot ({n} frames)")
        for i, (s, at) in enumerate(zip(segment.shots, shot_starts(segment.shots),
                                        strict=True)):
            extra = "".join([", camera" if s.camera else "", ", poses" if s.poses else ""])
            print(f"shot {i + 1}: frames {at}-{at + s.duration} ({s.duration}){extra}: "
                  f"{s.prompt!r}")
    return 0


def _take_size(t: Any) -> str:
    if t.is_audio:
        seconds = t.samples / t.sample_rate if t.sample_rate else 0.0
        return (f"{t.samples} samples ({seconds:.3f} s) x {t.channels} channel"
                f"{'s' if t.channels != 1 else ''} @ {t.sample_rate} Hz")
    return f"{t.frame_count} frames {t.width}x{t.height} @ {t.fps} fps"


def _metrics_failure(take_id: int, error: str | None) -> None:
    if error is not None:  # the take is stored; `takeline metrics` can measure it again
        print(f"takeline: warning: {error}", file=sys.stderr)


def _format_value(figure: dict[str, Any]) -> str:
    value = figure.get("value")
    if value is None:
        return str((figure.get("detail") or {}).get("reason", "not computed"))
    shown = f"{value:.0f}" if figure.get("unit") == "cuts" else f"{value:.3g}"
    return f"{shown} {figure['unit']} ({figure['direction']} is better)"


def _metrics(args: argparse.Namespace) -> int:
    with open_project(args.project) as project:
        figures = take_metrics.measure_take(project, args.take)
        if args.json:
            print(json.dumps({"take": args.take, "metrics": figures,
                              "warnings": take_metrics.warnings(figures)}, indent=2))
            return 0
        print(f"take {args.take}:")
        for name, figure in figures.items():
            print(f"  {name}: {_format_value(figure)}")
        for w in take_metrics.warnings(figures):
            print(f"  ! {w}")
    return 0


def _range(text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        raise CliFailure(f"--range takes IN:OUT segment frames, e.g. 12:30, not {text!r}"
                         ) from None
    return a, b


def _run(runner: GenerationRunner, only: set[int] | None) -> list[Any]:
    async def go() -> list[Any]:
        try:
            return await runner.run_queue(only=only)
        finally:
            await runner.close()

    return asyncio.run(go())


def _takes(args: argparse.Namespace) -> int:
    changes = any(v is not None for v in (args.activate, args.star, args.unstar, args.rename,
                                          args.delete, args.import_file))
    with open_project(args.project, read_only=not changes) as project:
        records = GenerationRecords(project)
        segment: GeneratedSegment = records.segment(args.segment)
        if args.activate is not None:
            records.set_active(args.activate)
        if args.star is not None:
            records.star(args.star, True)
        if args.unstar is not None:
            records.star(args.unstar, False)
        if args.rename is not None:
            records.rename(int(args.rename[0]), args.rename[1])
        if args.delete is not None:
            records.delete(args.delete)
        if args.import_file is not None:
            from services.take_import import import_take

            imported = import_take(project, segment.id, args.import_file)
            try:
                take_metrics.measure_take(project, imported.id)
            except ProjectError as exc:  # the take is in; its figures can come later
                print(f"takeline: warning: take {imported.id} was imported but not "
                      f"measured: {exc}", file=sys.stderr)
            if not args.json:
                print(f"Imported {args.import_file} as take {imported.id} "
                      f"({imported.frame_count} frames {imported.width}x{imported.height} "
                      f"@ {imported.fps} fps)")
        segment = records.segment(args.segment)
        takes = records.takes(segment.id)
        # Figures of this measuring code only; a take without them is not measured yet.
        figures = take_metrics.current(project, [t.id for t in takes])
        if args.json:
            print(json.dumps({"segment": segment.id, "active_take": segment.active_take,
                              "takes": [{**t.to_json(), **_partner_media(records, t),
                                         "metrics": figures.get(t.id, {}),
                                         "metric_warnings": take_metrics.warnings(
                                             figures.get(t.id, {}))}
                                        for t in takes]}, indent=2))
            return 0
        if not takes:
            print(f"Segment {segment.id} has no takes yet: `takeline generate "
                  f"{args.project} --segment {segment.id}`")
        for t in takes:
            mark = "*" if t.id == segment.active_take else " "
            star = " [starred]" if t.starred else ""
            missing = "" if t.media_path and t.media_path.exists() else " (media missing)"
            print(f"{mark} take {t.id} {t.name!r}{star}: {t.backend} {t.model} seed {t.seed}, "
                  f"{_take_size(t)}, conditioning "
                  f"{t.conditioning_version or '-'}, "
                  f"{'samples' if t.is_audio else 'frames'} {t.frames_hash[:12]}{missing}\n"
                  f"    {t.media_path}")
            if t.partner_take is not None:
                other = _partner_media(records, t)
                print(f"    made with its {'picture' if t.is_audio else 'sound'}: take "
                      f"{t.partner_take} of segment {other.get('partner_segment', '?')} "
                      "(picked together)")
            measured = figures.get(t.id)
            if t.is_audio:
                continue  # the take metrics measure pictures
            if measured:
                shown = [f"{name} {f['value']:.3g} {f['unit']}" for name, f in measured.items()
                         if f.get("value") is not None]
                print(f"    metrics: {', '.join(shown)}")
                for w in take_metrics.warnings(measured):
                    print(f"    ! {w}")
            else:
                print(f"    metrics: not measured yet (`takeline metrics {args.project} "
                      f"--take {t.id}`)")
    return 0


def _partner_media(records: GenerationRecords, take: Any) -> dict[str, Any]:
    """A joint audio-video take's other file (LTX-2): a picture take's ``audio_media_path``
    (its sound's WAV), a sound take's ``video_media_path``, and the partner's segment."""
    if take.partner_take is None:
        return {}
    try:
        other = records.take(take.partner_take)
    except ProjectError:
        return {}
    key = "audio_media_path" if other.is_audio else "video_media_path"
    return {key: str(other.media_path) if other.media_path else None,
            "partner_segment": other.segment_id}


def _rerun(args: argparse.Namespace) -> int:
    with open_project(args.project, read_only=True) as project:  # files only, no rows
        runner = GenerationRunner(project)
        take = runner.records.take(args.take)

        async def go() -> Any:
            try:
                return await runner.rerun(take)
            finally:
                await runner.close()

        try:
            result = asyncio.run(go())
        except Exception as exc:
            raise CliFailure(f"could not re-make take {take.id}: {exc}") from None
        # A joint audio-video take (LTX-2) is re-made with its partner: one run, both checked.
        pairs = [(take, result)]
        if take.partner_take is not None and result.sound is not None:
            partner = runner.records.take(take.partner_take)
            pairs.append((partner, result))
        parts = [(t, r.sound if t.is_audio and r.sound is not None else r) for t, r in pairs]
        if not args.verify:
            for t, r in parts:
                print(f"Re-made take {t.id}: {r.frame_count} frames, frames hash "
                      f"{r.frames_hash} -> {r.media_file}" if r.media_kind != "audio" else
                      f"Re-made take {t.id}: {r.samples} samples, samples hash "
                      f"{r.frames_hash} -> {r.media_file}")
            return 0
        status = 0
        for t, r in parts:
            made = Path(r.media_file)
            if r.frames_hash == t.frames_hash:
                size = (f"{r.samples} samples x {r.channels} channels"
                        if r.media_kind == "audio" else f"{r.frame_count} frames")
                print(f"identical: take {t.id} re-made bit for bit ({size}, "
                      f"{r.frames_hash[:16]})")
                made.unlink(missing_ok=True)
            else:
                print(_difference(t, made, r), file=sys.stdout)
                status = 1
        return status


def _difference(take: Any, made: Path, result: Any) -> str:
    """How far a re-made take is from the stored one."""
    if take.media_path is None or not take.media_path.exists():
        return (f"different: the stored media of take {take.id} is missing; the re-made "
                f"frames hash {result.frames_hash} differs from the recorded "
                f"{take.frames_hash}. Re-made file: {made}")
    import numpy as np

    if take.is_audio:
        from generation.take_media import read_audio_take, samples_hash

        a, _ = read_audio_take(take.media_path)
        b, _ = read_audio_take(made)
        if samples_hash(a) != take.frames_hash:
            return (f"different: the stored media of take {take.id} no longer matches its "
                    "recorded hash (the file was changed on disk)")
        if a.shape != b.shape:
            return (f"different: {b.shape[1]} samples x {b.shape[0]} channels re-made, "
                    f"{a.shape[1]} x {a.shape[0]} stored. Re-made file: {made}")
        d = np.abs(a.astype(np.float64) - b.astype(np.float64))
        return (f"different: {int((d > 0).any(axis=0).sum())}/{a.shape[1]} samples differ; "
                f"max |difference| {float(d.max()):.3g}. Re-made file: {made}")
    old = list(read_take(take.media_path))
    new = list(read_take(made))
    if frames_hash(old) != take.frames_hash:
        return (f"different: the stored media of take {take.id} no longer matches its "
                "recorded hash (the file was changed on disk)")
    if len(old) != len(new) or old[0].shape != new[0].shape:
        return (f"different: {len(new)} frames of {new[0].shape[1]}x{new[0].shape[0]} "
                f"re-made, {len(old)} of {old[0].shape[1]}x{old[0].shape[0]} stored")
    diffs = [np.abs(a.astype(np.int16) - b.astype(np.int16)) for a, b in zip(old, new,
                                                                            strict=True)]
    changed = sum(1 for d in diffs if d.any())
    mean = float(np.mean([d.mean() for d in diffs]))
    peak = int(max(d.max() for d in diffs))
    return (f"different: {changed}/{len(old)} frames differ; mean |difference| {mean:.3f}, "
            f"max {peak} (of 255). Re-made file: {made}")


def _jobs(args: argparse.Namespace) -> int:
    # Listing only reads (it works while the window runs the queue); the rest writes.
    changes = args.run or args.cancel is not None or args.retry is not None
    with open_project(args.project, read_only=not changes) as project:
        runner = GenerationRunner(project, on_update=_ProgressBar(args.json))
        records = runner.records
        if args.cancel is not None:
            runner.cancel(args.cancel)
        if args.retry is not None:
            job = records.retry_job(args.retry)
            print(f"Job {args.retry} queued again as job {job.id}",
                  file=sys.stderr if args.json else sys.stdout)
        if args.run:
            requeued = records.requeue_interrupted()
            if requeued:
                print(f"Re-queued interrupted job(s) {', '.join(map(str, requeued))}",
                      file=sys.stderr)
            _run(runner, None)
        jobs = records.jobs()
        if args.json:
            print(json.dumps([j.to_json() for j in jobs], indent=2))
            return 0
        for j in jobs:
            error = f" — {j.error}" if j.error else ""
            takes = f" takes {list(j.take_ids)}" if j.take_ids else ""
            print(f"job {j.id} segment {j.segment_id} {j.state} {j.steps_done}/{j.steps_total}"
                  f"{takes}{error}")
    return 0


def _models(args: argparse.Namespace) -> int:
    from generation.depth_models import DEFAULT_DEPTH_MODEL, list_depth_models, pull_depth_model
    from generation.pose_models import DEFAULT_POSE_MODEL, list_pose_models, pull_pose_model

    if args.models_command == "list":
        models = list_installed(extra_folders=args.folder)
        depth = list_depth_models()
        poses = list_pose_models()
        if args.json:
            print(json.dumps([m.to_dict() for m in models] + [d.to_dict() for d in depth]
                             + [p.to_dict() for p in poses], indent=2))
            return 0
        print("previz  (built in, no model)  backend previz")
        for m in models:
            print(f"{m.id}  rev {m.revision[:12]}  {format_size(m.size_bytes)}  "
                  f"{m.pipeline_class}  backends {', '.join(m.backends) or '-'}"
                  + ("" if m.safetensors_only else "  (not safetensors: refused)"))
        for d in depth:
            print(f"{d.id}  rev {(d.revision or '-')[:12]}  {format_size(d.size_bytes)}  "
                  "depth model (depth references)")
        for pm in poses:
            print(f"{pm.id}  rev {(pm.revision or '-')[:12]}  {format_size(pm.size_bytes)}  "
                  f"pose model ({pm.detector.name} + {pm.pose.name}; --poses-from)")
        return 0

    # Helper models (no pipeline, no progress bar): which kind, its default and its puller.
    for flag, kind, default, pull in (("pose", "pose", DEFAULT_POSE_MODEL, pull_pose_model),
                                      ("depth", "depth", DEFAULT_DEPTH_MODEL, pull_depth_model)):
        if getattr(args, flag):
            model_id = args.model or default
            print(f"Pulling {model_id} ...", file=sys.stderr)
            got = pull(model_id, revision=args.revision)
            print(f"Installed {kind} model {got.id} rev {got.revision} "
                  f"({format_size(got.size_bytes)}) at {got.path}")
            return 0
    if args.model is None:
        raise CliFailure("name the model to pull (a Hugging Face repo id)")

    # Called from the download threads; tqdm's bar has its own lock.
    with Progress(args.model, bytes_=True) as bar:
        model = pull_model(args.model, revision=args.revision, progress=bar.update_to)
    print(f"Installed {model.id} rev {model.revision} ({format_size(model.size_bytes)}) at "
          f"{model.path}")
    return 0


def _farm(args: argparse.Namespace) -> int:
    from generation.farm import make_pool

    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise CliFailure(f"--workers {args.workers}: choose between 1 and 1024")
    pool = make_pool(args.address, workers=args.workers)  # refuses a bad address first
    with open_project(args.project) as project:
        runner = GenerationRunner(project, pool=pool, on_update=_ProgressBar(args.json),
                                  on_metrics=_metrics_failure)
        records = runner.records
        requeued = records.requeue_interrupted()
        if requeued:
            print(f"Re-queued interrupted job(s) {', '.join(map(str, requeued))}",
                  file=sys.stderr)
        queued = records.jobs(["queued"])
        if not queued:
            print("Nothing queued; `takeline generate PROJECT --segment ID --queue-only` "
                  "queues jobs", file=sys.stderr)
        else:
            asyncio.run(pool.start())
            for w in runner.workers:
                print(f"worker {w.name} on {w.host}: {w.device}", file=sys.stderr)
        finished = sorted(_run(runner, {j.id for j in queued}) if queued else [],
                          key=lambda j: j.id)
        takes = {t.id: t for j in finished for t in (records.take(i) for i in j.take_ids)}
        if args.json:
            print(json.dumps({
                "workers": [{"name": w.name, "host": w.host, "device": w.device,
                             "alive": w.alive} for w in runner.workers],
                "jobs": [j.to_json() for j in finished],
                "takes": [t.to_json() for t in takes.values()]}, indent=2))
        else:
            for j in finished:
                where = ", ".join(f"take {t} on {takes[t].recipe.get('host')}"
                                  for t in j.take_ids if t in takes)
                print(f"job {j.id} {j.state}" + (f": {where}" if where else "")
                      + (f" — {j.error}" if j.error else ""))
        return 1 if any(j.state != "done" for j in finished) else 0
