"""The ``takeline`` command line end to end, each run a fresh process, against references
run the same way, interleaved, medians of several runs:

- ``takeline info`` of a small project against a bare ``python -c "import numpy, av"``
  (target: within 2x);
- ``takeline export --preset h264`` of a cuts-only sequence against the ffmpeg command line
  with the preset's settings (libx264 CRF 18 preset medium, yuv420p, BT.709 tags, AAC
  256k, +faststart), start to finish: 10 s of 720p (target <= 1.10x) and 60 s of 1080p
  (target <= 1.0x).

The sequence is one source clip cut every 24 frames and put back in order, so both sides
encode the same pictures and sound.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 9] [--export-repeat 3]
        [--long-repeat 2] [--skip-long] [--skip-export] [--root CHECKOUT]

``--root``: the checkout whose ``takeline`` to run (default: this one), e.g. the main
branch for a before/after figure. The projects are made with that checkout's own
``takeline new / import / apply``, so it reads a file it wrote.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timeline.engine.export import PRESETS  # noqa: E402

FPS = Fraction(24000, 1001)
CLI = [sys.executable, "-m", "cli"]
RUN_IN = ROOT  # the checkout whose takeline runs (``--root``)


def compile_checkout(root: Path) -> None:
    """Byte-compile the checkout's packages, as installing it does. Otherwise, under
    PYTHONDONTWRITEBYTECODE=1 (set on some machines, CI among them), every run compiles
    its 40-odd modules again: 0.15 s of each start-up that no installed copy pays."""
    packages = [str(root / name) for name in ("app", "cli", "generation", "project_store",
                                              "services", "timeline")
                if (root / name).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True,
                   stdout=subprocess.DEVNULL)


def run_timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=RUN_IN, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def takeline(*args: str) -> str:
    out = subprocess.run([*CLI, *args], check=True, cwd=RUN_IN, capture_output=True,
                         text=True)
    return out.stdout


def make_project(path: Path, size: tuple[int, int], media: Path,
                 edits: list[dict[str, object]]) -> None:
    """A project made by the checkout under test: new, import (asset 1), apply."""
    takeline("new", str(path), "--size", f"{size[0]}x{size[1]}",
             "--fps", f"{FPS.numerator}/{FPS.denominator}")
    takeline("import", str(path), str(media))
    edits_file = path.with_suffix(".json")
    edits_file.write_text(json.dumps(edits), encoding="utf-8")
    takeline("apply", str(path), str(edits_file))


def interleaved(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            out[name].append(fn())
    return out


def report(title: str, times: dict[str, list[float]], ours: str, ref: str,
           target: float) -> None:
    print(title)
    for name, ts in times.items():
        print(f"  {name:<44} median {statistics.median(ts):7.3f} s   "
              f"min {min(ts):7.3f}   max {max(ts):7.3f}   (n={len(ts)})")
    ratio = statistics.median(times[ours]) / statistics.median(times[ref])
    verdict = "ok" if ratio <= target else "OVER"
    print(f"  ratio {ours} / {ref}: {ratio:.3f} (target <= {target:.2f}: {verdict})")


def make_source(path: Path, seconds: int, size: tuple[int, int]) -> None:
    """A camera-like source: moving test pattern and tone, H.264 tagged BT.709."""
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    f"testsrc2=size={size[0]}x{size[1]}:rate={FPS.numerator}/{FPS.denominator}",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", str(seconds + 1), "-c:v", "libx264", "-crf", "16", "-preset",
                    "veryfast", "-pix_fmt", "yuv420p", "-colorspace", "bt709",
                    "-color_primaries", "bt709", "-color_trc", "bt709", "-c:a", "aac",
                    "-ac", "2", str(path)], check=True)


def make_cuts_project(path: Path, media: Path, frames: int, size: tuple[int, int]) -> None:
    cuts = list(range(0, frames, 24)) + [frames]
    edits: list[dict[str, object]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        for track in ("V1", "A1"):
            edits.append({"op": "append", "track": track, "asset": 1, "source_in": a,
                          "source_out": b})
    make_project(path, size, media, edits)


def ffmpeg_command(src: Path, out: Path, frames: int) -> list[str]:
    """The h264 preset's settings on the ffmpeg command line."""
    preset = PRESETS["h264"]
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
           "-frames:v", str(frames), "-t", f"{float(frames / FPS):.6f}",
           "-c:v", str(preset.video_codec)]
    for key, value in preset.video_options.items():
        cmd += [f"-{key}", value]
    cmd += ["-pix_fmt", str(preset.pix_fmt), "-colorspace", "bt709", "-color_primaries", "bt709",
            "-color_trc", "bt709", "-c:a", str(preset.audio_codec),
            "-b:a", str(preset.audio_bit_rate)]
    for key, value in preset.container_options.items():
        cmd += [f"-{key}", value]
    return [*cmd, str(out)]


def bench_info(tmp: Path, repeat: int) -> None:
    from services.demo_media import write_color_bars_video

    media = write_color_bars_video(tmp / "bars.mp4", seconds=3, size=(320, 180))
    project = tmp / "small.takeline"
    make_project(project, (1280, 720), media,
                 [{"op": "append", "track": "V1", "asset": 1, "source_in": i,
                   "source_out": i + 10} for i in range(6)]
                 + [{"op": "add_marker", "at": 5, "name": "m"}])
    bare = [sys.executable, "-c", "import numpy, av"]
    info = [*CLI, "info", str(project)]
    run_timed(bare), run_timed(info)  # warm the page cache and the .pyc files
    times = interleaved({'python -c "import numpy, av"': lambda: run_timed(bare),
                         "takeline info (6 clips)": lambda: run_timed(info)}, repeat)
    report("takeline info, fresh process each run", times, "takeline info (6 clips)",
           'python -c "import numpy, av"', 2.0)


def bench_export(tmp: Path, seconds: int, size: tuple[int, int], repeat: int,
                 target: float) -> None:
    label = f"{seconds} s {size[1]}p"
    src = tmp / f"src{size[1]}.mp4"
    make_source(src, seconds, size)
    frames = int(seconds * FPS)
    project = tmp / f"cuts{size[1]}.takeline"
    make_cuts_project(project, src, frames, size)
    ours_out, ff_out = tmp / f"ours{size[1]}.mp4", tmp / f"ff{size[1]}.mp4"
    ours = [*CLI, "export", str(project), "-o", str(ours_out), "--preset", "h264",
            "--overwrite"]
    ff = ffmpeg_command(src, ff_out, frames)
    names = (f"takeline export h264 ({label})", "ffmpeg, same settings")
    times = interleaved({names[0]: lambda: run_timed(ours),
                         names[1]: lambda: run_timed(ff)}, repeat)
    report(f"export of a cuts-only {label} sequence ({frames} frames), start to finish",
           times, names[0], names[1], target)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=9, help="runs of info and its reference")
    ap.add_argument("--export-repeat", type=int, default=3, help="runs of the 10 s export")
    ap.add_argument("--long-repeat", type=int, default=2, help="runs of the 60 s export")
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--skip-long", action="store_true", help="skip the 60 s 1080p export")
    ap.add_argument("--skip-info", action="store_true")
    ap.add_argument("--root", type=Path, default=ROOT,
                    help="the checkout whose takeline to run (default: this one)")
    args = ap.parse_args()
    global RUN_IN
    RUN_IN = args.root.resolve()
    print(f"takeline from {RUN_IN}")
    compile_checkout(RUN_IN)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_info:
            bench_info(tmp, args.repeat)
        if args.skip_export:
            return
        if shutil.which("ffmpeg") is None:
            print("ffmpeg is not installed (Debian: apt-get install ffmpeg); no export ratio")
            return
        if args.export_repeat > 0:
            bench_export(tmp, 10, (1280, 720), args.export_repeat, 1.10)
        if not args.skip_long and args.long_repeat > 0:
            bench_export(tmp, 60, (1920, 1080), args.long_repeat, 1.00)


if __name__ == "__main__":
    main()
