"""Take metrics: the time to measure one take (81 frames, 832x480: a Wan take) with every
metric except the optional embedding model, and each measure's share.

    .venv/bin/python benchmarks/bench_metrics.py [--repeat 3] [--frames 81] [--size 832x480]

The take is real footage when the shared test data is there (flower.mp4 scaled to the size,
measured against a camera path so camera adherence runs too), else the previz of a pan.
Prints the median of ``--repeat`` runs of ``generation.metrics.measure`` and, as the
reference measured in the same process, the median time to decode the same take from its
lossless file (what any measuring of a stored take pays first). Target: <= 10 s per take
on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation import metrics  # noqa: E402
from generation.scene import scene_frames  # noqa: E402
from generation.take_media import read_take, write_take  # noqa: E402
from timeline.conditioning.camera import build_path, parse_stages  # noqa: E402

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "video"


def take_frames(n: int, w: int, h: int) -> tuple[list[np.ndarray], str]:
    clip = TESTDATA / "flower.mp4"
    if clip.is_file():
        import av

        frames = []
        with av.open(str(clip)) as c:
            for f in c.decode(video=0):
                frames.append(f.to_ndarray(format="rgb24", width=w, height=h))
                if len(frames) == n:
                    break
        if len(frames) == n:
            return frames, "flower.mp4 (real footage)"
    path = build_path(parse_stages("pan:20"), n)
    return list(scene_frames(camera=path, poses=None, plate=None,
                             times=[float(i) for i in range(n)], fps=24.0, width=w,
                             height=h)), "previz of pan:20"


def timed(fn: object, repeat: int) -> tuple[float, float, object]:
    """Median wall time, median CPU time of this process (all threads: under a loaded
    machine the wall time says more about the neighbours), last result."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), statistics.median(cpu), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--frames", type=int, default=81)
    ap.add_argument("--size", default="832x480")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    frames, what = take_frames(args.frames, w, h)
    path = build_path(parse_stages("pan:20"), args.frames)
    times = [float(i) for i in range(args.frames)]
    with tempfile.TemporaryDirectory() as tmp:
        written = write_take(frames, Fraction(24), Path(tmp) / "take.mkv")
        decode_s, decode_cpu, _ = timed(lambda: list(read_take(written.path)), args.repeat)
    metrics.measure(frames[:4])  # imports and OpenCV's first-call set-up, not timed
    def everything() -> list[metrics.Metric]:
        return metrics.measure(frames, camera=path, camera_times=times, camera_fps=24.0,
                               seams=[args.frames // 2])

    total_s, total_cpu, result = timed(everything, args.repeat)
    camera_s, camera_cpu, _ = timed(
        lambda: metrics.camera_error(frames, path, times, 24.0), args.repeat)
    print(f"take: {what}, {args.frames} frames {w}x{h}; median of {args.repeat} runs "
          f"(wall s / CPU s)")
    print(f"  decode the lossless take (reference)   {decode_s:6.2f} / {decode_cpu:6.2f}")
    print(f"  all metrics                             {total_s:6.2f} / {total_cpu:6.2f} "
          f"({total_s / decode_s:.1f}x the decode; target <= 10 s wall)")
    print(f"    of which camera adherence             {camera_s:6.2f} / {camera_cpu:6.2f}")
    print(f"    flow, warp, flicker, cuts, seams      {total_s - camera_s:6.2f} / "
          f"{total_cpu - camera_cpu:6.2f}")
    for m in result:  # type: ignore[union-attr]
        shown = "-" if m.value is None else f"{m.value:.3f}"
        print(f"  {m.name:22s} {shown:>8s} {m.unit}")


if __name__ == "__main__":
    main()
