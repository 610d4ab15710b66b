"""Decode throughput against the ffmpeg command line, seek latency, and the memory ceiling of
a long playback.

* throughput: our sequential ``VideoDecoder.frame(i)`` (decode + conversion to RGB numpy)
  against ``ffmpeg -f null`` on the same file, decode only and decode + rgb24 conversion;
  medians of interleaved runs, reported as ratios (>1 means we are slower).
* seek latency: random ``frame(i)`` over the file (keyframe seek + decode forward).
* memory: renders every frame of an N-minute sequence (one 1-minute clip cut in N times)
  at half resolution as fast as it can through the cache and read-ahead, sampling the
  process's resident memory.

    .venv/bin/python benchmarks/bench_decode.py [--minutes 10] [--file PATH]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

from project_store.project import Project
from services.demo_media import write_color_bars_video
from timeline.engine.compositor import render_frame
from timeline.engine.sources import MediaFrameSource
from timeline.media.decode import VideoDecoder
from timeline.media.frame_cache import FrameCache, ReadAhead
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def ours(path: Path) -> float:
    t0 = time.perf_counter()
    with VideoDecoder(path) as d:
        for i in range(d.frame_count):
            d.frame(i)
    return time.perf_counter() - t0


def ffmpeg(path: Path, rgb: bool) -> float:
    cmd = ["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(path),
           "-map", "0:v:0"]
    if rgb:
        cmd += ["-pix_fmt", "rgb24"]
    cmd += ["-f", "null", "-"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def throughput(path: Path, repeat: int) -> None:
    with VideoDecoder(path) as d:
        frames = d.frame_count
        w, h = d.shape[1], d.shape[0]
    print(f"throughput on {path.name} ({w}x{h}, {frames} frames), {repeat} interleaved runs:")
    if shutil.which("ffmpeg") is None:
        print("  ffmpeg not installed: ratio not measured (Debian: apt-get install ffmpeg)")
        runs = [ours(path) for _ in range(repeat)]
        print(f"  ours {frames / statistics.median(runs):.1f} fps")
        return
    t_ours, t_null, t_rgb = [], [], []
    for _ in range(repeat):
        t_ours.append(ours(path))
        t_null.append(ffmpeg(path, rgb=False))
        t_rgb.append(ffmpeg(path, rgb=True))
    m_ours, m_null, m_rgb = (statistics.median(x) for x in (t_ours, t_null, t_rgb))
    print(f"  ours (decode + RGB numpy)  {frames / m_ours:7.1f} fps")
    print(f"  ffmpeg -f null             {frames / m_null:7.1f} fps   ratio ours/ffmpeg "
          f"{m_ours / m_null:.2f}")
    print(f"  ffmpeg -pix_fmt rgb24      {frames / m_rgb:7.1f} fps   ratio ours/ffmpeg "
          f"{m_ours / m_rgb:.2f}")


def seek_latency(path: Path, count: int) -> None:
    with VideoDecoder(path) as d:
        rng = random.Random(7)
        ms = []
        for _ in range(count):
            i = rng.randrange(d.frame_count)
            t0 = time.perf_counter()
            d.frame(i)
            ms.append((time.perf_counter() - t0) * 1000)
        gop = max(1, d.frame_count // max(1, int(d.index.keyframe.sum())))
    ms.sort()
    print(f"seek latency (random frame, GOP ~{gop}): median {statistics.median(ms):.1f} ms, "
          f"p95 {ms[int(len(ms) * 0.95)]:.1f} ms, max {ms[-1]:.1f} ms (n={count})")


def memory(tmp: Path, minutes: int) -> None:
    clip = write_color_bars_video(tmp / "minute.mp4", seconds=60, fps=FPS, size=(1920, 1080),
                                  with_audio=False)
    per = int(60 * FPS) - 1
    with Project.create(tmp / "long.takeline",
                        SequenceSettings(fps=FPS, width=1920, height=1080)) as p:
        (asset,) = p.import_media([clip])
        with p.batch():
            for _ in range(minutes):
                p.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                           "source_out": per})
        seq = p.sequence
        cache = FrameCache(512 << 20)
        source = MediaFrameSource({asset.id: asset.probe}, cache=cache,
                                  read_ahead=ReadAhead(cache))
        peak = [rss_mib()]
        start_rss = peak[0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_mib())
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        size = (960, 540)
        t0 = time.perf_counter()
        for n in range(seq.duration_frames):
            if n % 24 == 0:
                source.prefetch(seq, n, 48, size)
            render_frame(seq, n, source, size=size)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        source.close()
    print(f"memory over {minutes} min of 1080p playback at 960x540 "
          f"({seq.duration_frames} frames rendered in {wall:.0f} s, "
          f"{seq.duration_frames / wall:.1f} fps): RSS {start_rss:.0f} MiB at start, peak "
          f"{peak[0]:.0f} MiB; frame cache bound 512 MiB, used {cache.bytes_used() >> 20} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--file", type=Path, help="video to decode (default: synthesised 1080p)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = args.file or write_color_bars_video(tmp / "bars1080.mp4", seconds=10, fps=FPS,
                                                   size=(1920, 1080), with_audio=False)
        throughput(path, args.repeat)
        seek_latency(path, 60)
        if args.minutes > 0:
            memory(tmp, args.minutes)


if __name__ == "__main__":
    main()
