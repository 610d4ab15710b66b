"""``takeline``: the headless command line (and the way into the editor window).

    takeline new PROJECT [--fps 24000/1001] [--size 1920x1080] [--sample-rate 48000]
    takeline import PROJECT FILE... [--json]
    takeline apply PROJECT EDITS.json
    takeline undo PROJECT / takeline redo PROJECT
    takeline info PROJECT [--json]
    takeline demo PROJECT
    takeline export PROJECT -o OUT --preset P [--range IN:OUT] [--overwrite]
                   [--allow-offline] ...
    takeline otio export PROJECT OUT.otio|.edl|.xml|.fcpxml|.kdenlive|.aaf|.otioz
    takeline otio import TIMELINE PROJECT [--fps N/D] [--size WxH]
    takeline backups PROJECT [--json] [--now | --restore N]
    takeline beats PROJECT --item ID [--json]
    takeline [PROJECT]            open the editor window

Exit codes: 0 success, 2 bad usage, 1 failure (the reason on stderr). Nothing in here
imports Qt unless the window is asked for, so the CLI runs on machines without a display.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from cli.opening import Failure, open_project
from cli.pipes import stdout_closed
from cli.progress import Progress
from project_store.assets import ImportMediaError, shown_path
from project_store.db import ProjectError
from project_store.project import Project
from timeline.limits import LimitError, check_frame, check_render_size
from timeline.model import Clip, EditError, SequenceSettings
from timeline.time import TimeError, format_rate, parse_rate

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

# The commands of the other cli modules, named here so that a command line imports only
# the module it runs (cli.generate alone pulls in the generation queue and backends); each
# module's own COMMANDS must match (tests/cli/test_cli.py).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "cli.generate": ("generate", "takes", "rerun", "jobs", "farm", "models", "metrics",
                     "extend", "shots"),
    "cli.brief": ("conditioning", "cast"),
    "cli.backups": ("backups",),
    "cli.beats": ("beats",),
}
_MODULE_OF = {c: m for m, commands in COMMAND_MODULES.items() for c in commands}
COMMANDS = ("new", "import", "apply", "undo", "redo", "info", "demo", "frame", "proxy",
            "export", "presets", "otio", "relink", "open", *_MODULE_OF)


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or int(m[1]) <= 0 or int(m[2]) <= 0:
        raise argparse.ArgumentTypeError(f"frame size must look like 1920x1080, not {text!r}")
    w, h = int(m[1]), int(m[2])
    if w % 2 or h % 2:
        raise argparse.ArgumentTypeError(f"frame size {w}x{h}: width and height must be even "
                                         "(4:2:0 video cannot hold odd sizes)")
    return w, h


def _rate(text: str) -> Any:
    try:
        return parse_rate(text)
    except (TimeError, ValueError, ZeroDivisionError) as exc:
        raise argparse.ArgumentTypeError(f"{exc}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


class _VersionAction(argparse.Action):
    """``--version``: the package metadata is read only when asked for (importlib.metadata
    costs every other command its start-up time)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kw: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"takeline {version()}")  # on stdout, as argparse's own version action does
        parser.exit()


def version() -> str:
    """The installed package's version (``pyproject.toml``; the bundle carries its
    metadata too), or "unknown" when run from a tree that was never installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("takeline")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def _add_module_parsers(sub: Any, module: ModuleType) -> None:
    if module.__name__ == "cli.generate":
        module.add_parsers(sub, _size)
    else:
        module.add_parsers(sub)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (``command``) only as much of it as that command needs:
    the sub-commands of the other cli modules are added only when theirs is run, or for
    ``--help``."""
    modules = list(COMMAND_MODULES) if command is None else (
        [_MODULE_OF[command]] if command in _MODULE_OF else [])
    ap = argparse.ArgumentParser(
        prog="takeline",
        description="Takeline: a non-linear video editor with a generative timeline.",
    )
    ap.add_argument("--version", action=_VersionAction)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("new", help="create an empty project file")
    p.add_argument("project", type=Path)
    p.add_argument("--fps", type=_rate, default=parse_rate("24000/1001"),
                   help="sequence rate as num/den or an NTSC decimal (default 24000/1001)")
    p.add_argument("--size", type=_size, default=(1920, 1080), help="frame size, e.g. 1920x1080")
    p.add_argument("--sample-rate", type=_positive_int, default=48000)
    p.add_argument("--name", help="sequence name (default: Sequence 1)")

    p = sub.add_parser("import", help="add media files; prints their asset ids in order")
    p.add_argument("project", type=Path)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the assets as JSON")

    p = sub.add_parser("apply", help="apply a JSON list of edit operations, all or nothing")
    p.add_argument("project", type=Path)
    p.add_argument("edits", help="JSON file with a list of operations, or - for stdin")

    for name in ("undo", "redo"):
        p = sub.add_parser(name, help=f"{name} the last edit")
        p.add_argument("project", type=Path)

    p = sub.add_parser("info", help="describe the project")
    p.add_argument("project", type=Path)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("demo", help="build a demo project from synthesised media")
    p.add_argument("project", type=Path)

    p = sub.add_parser("frame", help="render one sequence frame to a PNG")
    p.add_argument("project", type=Path)
    p.add_argument("frame", type=int, metavar="N", help="sequence frame number (0 = first)")
    p.add_argument("-o", "--output", type=Path, required=True, help="PNG file to write")
    p.add_argument("--size", type=_size, help="output size (default: the sequence size)")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")

    p = sub.add_parser("proxy", help="build 540p all-intra proxies for playback")
    p.add_argument("project", type=Path)
    p.add_argument("assets", nargs="*", type=int, metavar="ASSET",
                   help="asset ids (default: every video asset)")
    p.add_argument("--use", action="store_true",
                   help="also switch every clip of these assets to its proxy (one undo step)")

    p = sub.add_parser("relink", help="point missing or offline media at files on this "
                       "machine: a folder (by name, or by tape and timecode) or one file")
    p.add_argument("project", type=Path)
    p.add_argument("path", type=Path, help="a folder to search, or a file (with --asset)")
    p.add_argument("--asset", type=int, help="the asset to point at PATH (a file)")
    p.add_argument("--force", action="store_true",
                   help="with --asset: accept a file that is not the same media, as long as "
                        "it is long enough for every clip")

    p = sub.add_parser("export", help="render the sequence to a file with a preset")
    p.add_argument("project", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="file to write (a folder for png-sequence)")
    p.add_argument("--preset", required=True, help="see `takeline presets`")
    p.add_argument("--range", dest="frame_range", metavar="IN:OUT",
                   help="frames [IN, OUT) (default: in/out points, else the whole sequence)")
    p.add_argument("--size", type=_size, help="output size (default: the sequence size)")
    p.add_argument("--codec", help="video encoder instead of the preset's")
    p.add_argument("--crf", type=int, help="constant quality instead of the preset's")
    p.add_argument("--bitrate", type=_positive_int, help="video bit rate in bit/s")
    p.add_argument("--pix-fmt", help="pixel format instead of the preset's")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing file (or an earlier PNG sequence's folder)")
    p.add_argument("--allow-offline", action="store_true",
                   help="export even where clips' media is offline (they show the red "
                        "'Media Offline' slate and are silent)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    sub.add_parser("presets", help="list export presets available on this machine")

    p = sub.add_parser("otio", help="exchange timelines with other editors (OpenTimelineIO)")
    otio_sub = p.add_subparsers(dest="otio_command", metavar="ACTION", required=True)
    q = otio_sub.add_parser("export", help="write the sequence as .otio, .edl (CMX 3600), "
                            ".xml (Final Cut Pro 7), .fcpxml (Final Cut Pro X), .kdenlive, "
                            ".aaf or .otioz (timeline and media in one file), by extension")
    q.add_argument("project", type=Path)
    q.add_argument("output", type=Path, metavar="OUT")
    q = otio_sub.add_parser("import", help="create a project from a timeline file "
                            "(.otio, .edl, .xml, ...); prints what was kept and dropped")
    q.add_argument("timeline", type=Path, metavar="IN")
    q.add_argument("project", type=Path)
    q.add_argument("--fps", type=_rate, help="sequence rate (default: the file's)")
    q.add_argument("--size", type=_size, help="frame size (default: the file's, or 1920x1080)")
    q.add_argument("--json", action="store_true", help="print the report as JSON")

    for name in modules:
        _add_module_parsers(sub, importlib.import_module(name))

    p = sub.add_parser("open", help="open a project in the editor window")
    p.add_argument("project", type=Path, nargs="?")
    p.add_argument("--quit-after", type=float, metavar="SECONDS",
                   help="close the window SECONDS after it has shown its first frame, exit "
                        "0 if nothing failed (smoke tests of an installed or bundled editor)")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `takeline PROJECT` (or no argument at all) opens the editor, as a desktop app should.
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        argv = ["open", *argv]
    parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for bad usage
        return int(exc.code or 0)
    try:
        code = int(_dispatch(args) or 0)
        sys.stdout.flush()  # a reader that went away (`| head -1`) shows here, not at exit
        return code
    except BrokenPipeError:
        return stdout_closed()
    except (Failure, ProjectError, ImportMediaError, EditError, LimitError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")


def _start_editor_log() -> None:
    """The editor process logs to ``editor.log`` in the user's log folder, faulthandler
    included: a native crash (Qt, PyAV, a driver) leaves every thread's stack there instead
    of vanishing without a word. Its generation worker logs beside it (``worker.log``)."""
    from generation.process_log import start_log
    from timeline.app_dirs import log_dir

    start_log("editor", log_dir())


def _fail(message: str) -> int:
    print(f"takeline: error: {message}", file=sys.stderr)
    return EXIT_FAILURE


def _relink(args: argparse.Namespace) -> int:
    path = args.path.expanduser()
    if not path.exists():
        raise Failure(f"cannot relink from {path}: it does not exist")
    with open_project(args.project) as project:
        if args.asset is not None:
            if path.is_dir():
                raise Failure(f"--asset needs a file, and {path} is a folder")
            asset = project.relink(args.asset, path, force=args.force)
            print(f"Relinked asset {asset.id} to {shown_path(asset.path)}")
            return EXIT_OK
        if not path.is_dir():
            raise Failure(f"{path} is a file; name the asset it is for with --asset ID, or "
                          "give a folder to search")
        done = project.relink_folder(path)
        for asset_id, new in sorted(done.items()):
            print(f"Relinked asset {asset_id} to {shown_path(new)}")
        left = project.missing_assets
        for a in left:
            print(f"takeline: still {a.status}: asset {a.id} ({shown_path(a.path)})",
                  file=sys.stderr)
        if not done:
            raise Failure(f"nothing under {path} matches the {len(left)} missing or offline "
                          "asset(s) (same name and content, or same tape and timecode)")
        return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int | None:
    command = args.command
    if command in _MODULE_OF:
        module = importlib.import_module(_MODULE_OF[command])
        return int(module.dispatch(args))
    if command == "new":
        settings = SequenceSettings(fps=args.fps, width=args.size[0], height=args.size[1],
                                    sample_rate=args.sample_rate)
        if args.name:
            settings.name = args.name
        try:
            with Project.create(args.project, settings) as project:
                print(f"Created {project.path} ({_describe_settings(project)})")
        except EditError as exc:
            raise Failure(f"cannot create {args.project}: {exc}") from None
        return EXIT_OK
    if command == "import":
        with open_project(args.project) as project:
            assets = project.import_media(args.files)
            if args.json:
                print(json.dumps([a.to_info_json() for a in assets], indent=2))
            else:
                for a in assets:
                    print(a.id)
        return EXIT_OK
    if command == "apply":
        operations = _read_operations(args.edits)
        with open_project(args.project) as project:
            changes = project.apply(operations)
            for change in changes:  # what moved and what could not
                if change is not None and change.params.get("op") == "cut_to_beats":
                    print(change.label)
            print(f"Applied {len(changes)} operation{'s' if len(changes) != 1 else ''}; "
                  f"sequence is {project.sequence.duration_frames} frames")
        return EXIT_OK
    if command == "relink":
        return _relink(args)
    if command in ("undo", "redo"):
        with open_project(args.project) as project:
            change = project.undo() if command == "undo" else project.redo()
            if change is None:
                raise Failure(f"nothing to {command} in {args.project}")
            print(f"{command.capitalize()}: {change.label}")
        return EXIT_OK
    if command == "info":
        from project_store.generation_records import GenerationRecords

        with open_project(args.project, read_only=True) as project:
            info = project.info()
            # Segments whose active take was made from another conditioning version.
            info["stale_segments"] = GenerationRecords(project).stale_segments()
            if args.json:
                print(json.dumps(info, indent=2))
            else:
                print(_format_info(info))
        return EXIT_OK
    if command == "demo":
        from services.demo import build_demo

        # Checked before the demo media are synthesised next to it, which takes seconds and
        # would rewrite the sources of an existing demo project.
        if args.project.exists():
            raise Failure(f"{args.project} already exists; choose another name for the demo.")
        with build_demo(args.project) as project:
            print(f"Built demo project {project.path}: {project.sequence.item_count()} items, "
                  f"{len(project.assets)} assets")
        return EXIT_OK
    if command == "frame":
        return _render_frame(args)
    if command == "proxy":
        return _build_proxies(args)
    if command == "otio":
        return _otio(args)
    if command == "export":
        return _export(args)
    if command == "presets":
        from timeline.engine.export import PRESETS, available_presets

        usable = {p.name for p in available_presets()}
        for preset in PRESETS.values():
            note = "" if preset.name in usable else "  (encoder does not open here)"
            print(f"{preset.name:<14} {preset.description}{note}")
        return EXIT_OK
    if command == "open":
        _start_editor_log()
        from app.main import run_editor  # Qt is imported only here

        return run_editor(args.project, quit_after_s=args.quit_after, version=version())
    build_parser().print_help(sys.stderr)
    return EXIT_USAGE


def _render_frame(args: argparse.Namespace) -> int:
    from services.render_sources import offline_assets, plan_sources
    from timeline.engine.compositor import render_frame
    from timeline.media.images import write_png

    if args.frame < 0:
        raise Failure(f"frame numbers start at 0, not {args.frame}")
    check_frame(args.frame, "the frame number")
    if not args.output.parent.is_dir():
        raise Failure(f"cannot write {args.output}: folder {args.output.parent} does not exist")
    if args.output.is_dir():
        raise Failure(f"cannot write {args.output}: it is a folder; name the PNG file to write")
    # As export: what exists is replaced only when asked, and only a regular file.
    if args.output.exists() or args.output.is_symlink():
        if args.output.is_symlink() or not args.output.is_file():
            raise Failure(f"cannot write {args.output}: it exists and is not a regular file; "
                          "choose another name")
        if not args.overwrite:
            raise Failure(f"{args.output} already exists; pass --overwrite to replace it")
    if args.size is not None:
        check_render_size(*args.size, frames_in_flight=1, what="frame size")
    with open_project(args.project, read_only=True) as project:
        for a in offline_assets(project):
            print(f"takeline: warning: {a.path} is {a.status}; its clips render as the "
                  "'Media Offline' slate", file=sys.stderr)
        source = plan_sources(project, use_proxies=False).frame_source()  # originals
        try:
            picture = render_frame(project.sequence, args.frame, source, size=args.size)
        finally:
            source.close()
        for asset, reason in source.errors.items():
            print(f"takeline: warning: asset {asset}: {reason}", file=sys.stderr)
        write_png(args.output, picture)
        duration = project.sequence.duration_frames
        note = "" if args.frame < duration else f" (past the end at {duration}: background)"
        print(f"Wrote {args.output} ({picture.shape[1]}x{picture.shape[0]}){note}")
    return EXIT_OK


def _build_proxies(args: argparse.Namespace) -> int:
    from timeline.media.decode import VideoDecoder
    from timeline.media.probe import MediaProbeError
    from timeline.media.proxy import ProxyError, build_proxy, find_proxy, proxy_path

    with open_project(args.project) as project:
        wanted = args.assets or [a.id for a in project.assets.values()
                                 if a.probe.kind == "video"]
        for asset_id in wanted:
            asset = project.assets.get(asset_id)
            if asset is None:
                raise Failure(f"no asset with id {asset_id} in {args.project}")
            if asset.probe.kind != "video":
                raise Failure(f"asset {asset_id} ({asset.name}) is not a video; stills and "
                              "sound need no proxy")
            if asset.status != "ok":
                raise Failure(f"asset {asset_id} ({asset.path}) is {asset.status}; relink it "
                              "first")
        for asset_id in wanted:
            asset = project.assets[asset_id]
            try:
                with VideoDecoder(asset.probe) as d:
                    frames = d.frame_count
                if find_proxy(project.media_root, asset.identity, frames):
                    print(f"{asset.name}: proxy up to date")
                    continue
                dst = proxy_path(project.media_root, asset.identity)
                dst.parent.mkdir(parents=True, exist_ok=True)
                # The bar on stderr (a terminal only); stdout gets the one result line.
                with Progress(asset.name, unit="frame", total=frames) as bar:
                    info = build_proxy(asset.probe, dst, progress=bar.update_to)
                print(f"{asset.name}: proxy {info.size[0]}x{info.size[1]}, "
                      f"{info.frame_count} frames -> {info.path}")
            except (MediaProbeError, ProxyError) as exc:
                raise Failure(f"proxy for {asset.name} failed: {exc}") from None
        if args.use:
            clips = [i for i in project.sequence.all_items()
                     if isinstance(i, Clip) and i.asset in wanted and not i.use_proxy]
            project.apply([{"op": "set", "item": c.id, "use_proxy": True} for c in clips])
            print(f"{len(clips)} clip(s) now play from their proxy")
    return EXIT_OK


def _parse_range(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if not m or int(m[2]) <= int(m[1]):
        raise Failure(f"--range must look like IN:OUT with OUT > IN (frames), not {text!r}")
    return int(m[1]), int(m[2])


def _export(args: argparse.Namespace) -> int:
    from services.render_sources import offline_assets, plan_sources
    from timeline.engine.export import (
        PRESETS,
        ExportError,
        ExportProgress,
        ExportTargetExists,
        available_presets,
        export_sequence,
        export_target,
        preset_with,
    )

    preset = PRESETS.get(args.preset)
    if preset is None:
        raise Failure(f"no preset {args.preset!r}; choose one of: {', '.join(PRESETS)}")
    if preset.hardware and preset not in available_presets():
        raise Failure(f"{preset.name} needs an NVIDIA GPU with NVENC, which does not open "
                      "here; use h264 or h265")
    try:
        if any(v is not None for v in (args.codec, args.crf, args.bitrate, args.pix_fmt)):
            preset = preset_with(preset, codec=args.codec, crf=args.crf,
                                 bitrate=args.bitrate, pix_fmt=args.pix_fmt)
        # Before the project is opened and the sources planned: refused in a moment.
        export_target(args.output, preset, overwrite=args.overwrite)
    except ExportTargetExists as exc:
        raise Failure(f"{exc}; pass --overwrite to replace it") from None
    except ExportError as exc:
        raise Failure(str(exc)) from None
    first_end = _parse_range(args.frame_range) if args.frame_range else (None, None)
    bar = Progress(f"export {args.output.name}", unit="frame", enabled=not args.json)

    def show(p: ExportProgress) -> None:
        bar.update_to(p.done, p.total)

    with open_project(args.project, read_only=True) as project:
        offline = {a.id: a for a in offline_assets(project)}
        used = [i for i in project.sequence.all_items()
                if isinstance(i, Clip) and i.asset in offline]
        if used and not args.allow_offline:
            # A render with slates in it is rarely what was meant: say which clips, once.
            named = [f"{i.name or offline[i.asset].name} on {i.track} at frame {i.start} "
                     f"({offline[i.asset].status})" for i in used[:5]]
            more = f" and {len(used) - 5} more" if len(used) > 5 else ""
            raise Failure(f"{len(used)} clip(s) have no media here: {'; '.join(named)}{more}. "
                          "Relink them (takeline relink PROJECT FOLDER, or the bin's "
                          "Relink), or pass --allow-offline to export them as 'Media "
                          "Offline' slates")
        for a in offline.values():
            print(f"takeline: warning: {a.path} is {a.status}; its clips export as the "
                  "'Media Offline' slate (silent)", file=sys.stderr)
        sources = plan_sources(project, use_proxies=False).open()  # export: originals only
        frames, sound = sources.frames, sources.sound
        try:
            result = export_sequence(
                project.sequence, args.output, preset, frames=frames, audio=sound,
                first=first_end[0], end=first_end[1], size=args.size, progress=show,
                project={"path": str(project.path), "name": project.name},
                overwrite=args.overwrite)
        except ExportTargetExists as exc:
            raise Failure(f"{exc}; pass --overwrite to replace it") from None
        except ExportError as exc:
            raise Failure(str(exc)) from None
        finally:
            sources.close()
            bar.close()
    summary = {"path": str(result.path), "preset": preset.name, "frames": result.frames,
               "audio_samples": result.audio_samples, "seconds": round(result.seconds, 3),
               "manifest": str(result.sidecar)}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"Wrote {result.path} ({result.frames} frames, {result.audio_samples} audio "
              f"samples) in {result.seconds:.1f} s; manifest {result.sidecar}")
    return EXIT_OK


def _otio(args: argparse.Namespace) -> int:
    from timeline.interchange import otio_io  # imports opentimelineio only when asked

    try:
        if args.otio_command == "export":
            with open_project(args.project, read_only=True) as project:
                assets = {a.id: (a.path, a.probe) for a in project.assets.values()}
                timeline = otio_io.sequence_to_otio(project.sequence, assets)
                notes = otio_io.write_timeline(timeline, args.output)
                for note in notes:  # what the format cannot hold: said, not hidden
                    print(f"takeline: warning: {note}", file=sys.stderr)
                print(f"Wrote {args.output} ({project.sequence.item_count()} items)")
            return EXIT_OK
        if args.project.exists():
            raise Failure(f"{args.project} already exists; import into a new project path")
        timeline, warnings = otio_io.read_timeline(args.timeline, rate=args.fps)
        plan = otio_io.otio_to_operations(
            timeline, resolve_media=otio_io.default_media_resolver(args.timeline.parent),
            fps=args.fps, size=args.size, source=str(args.timeline))
        plan.report.warnings[:0] = warnings
    except otio_io.InterchangeError as exc:
        raise Failure(str(exc)) from None
    with Project.create(args.project, plan.settings, tracks=plan.tracks) as project:
        report = otio_io.apply_plan(plan, project)
        if args.json:
            print(json.dumps({"project": str(project.path), **report.to_json()}, indent=2))
        else:
            print(report.format())
            print(f"Created {project.path} ({_describe_settings(project)}, "
                  f"{project.sequence.item_count()} items)")
    return EXIT_OK


def _read_operations(source: str) -> list[dict[str, Any]]:
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise Failure(f"cannot read {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise Failure(f"{source} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Failure(f"{source} is not valid JSON: {exc}") from None
    except RecursionError:
        raise Failure(f"{source} is nested too deeply to be a list of operations") from None
    if not isinstance(data, list):
        # One object is refused, not wrapped: a file meant to hold a list that holds one
        # object is more often a mistake than a shorthand.
        what = "one object" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
        raise Failure(f"{source} holds {what}; it must hold a JSON list of operations "
                      '(e.g. [{"op": "split", "track": "V1", "at": 48}])')
    return data


def _describe_settings(project: Project) -> str:
    s = project.sequence.settings
    return f"{format_rate(s.fps)} fps, {s.width}x{s.height}, {s.sample_rate} Hz"


def _format_info(info: dict[str, Any]) -> str:
    seq = info["sequence"]
    lines = [
        f"Project  {info['project']['name']}  ({info['project']['path']})",
        f"Sequence {seq['name']}: {seq['fps']} fps, {seq['width']}x{seq['height']}, "
        f"{seq['sample_rate']} Hz, {seq['duration_frames']} frames",
    ]
    for track in info["tracks"]:
        lines.append(f"  {track['name']} ({track['kind']}): {len(track['items'])} items")
        for item in track["items"]:
            extra = (f"asset {item['asset']} from {item['source_in']}" if item["kind"] == "clip"
                     else f"prompt {item.get('prompt', '')!r}")
            lines.append(f"    #{item['id']:<5} {item['kind']:<9} {item['start']:>7} "
                         f"+{item['duration']:<6} {extra}")
    for m in info["markers"]:
        lines.append(f"  marker #{m['id']} at {m['frame']}: {m['name']}")
    lines.append(f"Assets ({len(info['assets'])})")
    for a in info["assets"]:
        status = "" if a["status"] == "ok" else f"  [{a['status'].upper()}: relink needed]"
        facts = [a["kind"]]
        if a["fps"]:
            facts.append(f"{a['fps']} fps{' VFR' if a['vfr'] else ''}")
        if a["width"]:
            facts.append(f"{a['width']}x{a['height']}")
        if a["rotation"]:
            facts.append(f"rotation {a['rotation']}")
        if a["sample_rate"]:
            facts.append(f"{a['sample_rate']} Hz x{a['channels']}")
        if a["duration"] is not None:
            facts.append(f"{a['duration']:.3f} s")
        lines.append(f"  {a['id']:>4}  {a['path']}  ({', '.join(facts)}){status}")
    if info.get("stale_segments"):
        lines.append("Stale (conditioning changed since the active take): segments "
                     + ", ".join(str(s) for s in info["stale_segments"]))
    hist = info["history"]
    lines.append(f"Undo: {hist['undo'] or '-'}   Redo: {hist['redo'] or '-'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
