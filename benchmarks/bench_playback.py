"""Sustained playback of a 1080p24 sequence: presented rate and dropped frames.

Sequence: V1 = two H.264 1920x1080 clips with a 24-frame dissolve between them, V2 = a third
clip at 70% opacity over part of V1, A1 = a tone/click WAV, A2 = the clips' AAC sound
(linked). Plays N seconds in real time through the real compositor, decoder, read-ahead and
mixer on the system clock (no device needed), at full and at half preview resolution.
Frames are rendered as the viewer renders them (RGB, no alpha).

    .venv/bin/python benchmarks/bench_playback.py [--seconds 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from project_store.project import Project
from services.demo_media import write_color_bars_video, write_tone_and_clicks_wav
from timeline.engine.compositor import render_frame
from timeline.engine.mixer import mix_audio
from timeline.engine.playback import PlaybackEngine
from timeline.engine.sources import MediaAudioSource, MediaFrameSource
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)


def build(tmp: Path, seconds: int) -> Path:
    clip_s = seconds // 2 + 3
    a = write_color_bars_video(tmp / "a.mp4", seconds=clip_s, fps=FPS, size=(1920, 1080),
                               label="A")
    b = write_color_bars_video(tmp / "b.mp4", seconds=clip_s, fps=FPS, size=(1920, 1080),
                               label="B")
    c = write_color_bars_video(tmp / "c.mp4", seconds=clip_s, fps=FPS, size=(1920, 1080),
                               label="C")
    wav = write_tone_and_clicks_wav(tmp / "clicks.wav", seconds=seconds + 2, fps=FPS)
    path = tmp / "bench.takeline"
    half = int(seconds * FPS) // 2
    with Project.create(path, SequenceSettings(fps=FPS, width=1920, height=1080)) as p:
        ia, ib, ic, iw = (x.id for x in p.import_media([a, b, c, wav]))
        p.apply([
            {"op": "append", "track": "V1", "asset": ia, "source_in": 0, "source_out": half},
            {"op": "append", "track": "V1", "asset": ib, "source_in": 24,
             "source_out": 24 + half + 24},
            {"op": "add_transition", "track": "V1", "at": half, "duration": 24},
            {"op": "overwrite", "track": "V2", "asset": ic, "source_in": 0,
             "source_out": half, "at": half // 2},
            {"op": "append", "track": "A1", "asset": iw, "source_in": 0,
             "source_out": 2 * half + 24},
        ])
        v2 = p.sequence.track("V2").items[0]
        p.execute({"op": "set", "item": v2.id, "opacity": 0.7})
    return path


def play(project: Project, seconds: int, size: tuple[int, int]) -> tuple[float, int]:
    seq = project.sequence
    probes = {a.id: a.probe for a in project.assets.values()}
    frames = MediaFrameSource(probes)
    sound = MediaAudioSource(probes, sample_rate=seq.sample_rate)
    render_ms: list[float] = []

    def render(n: int) -> np.ndarray:
        if n % 12 == 0:
            frames.prefetch(seq, n, 36, size)
        t0 = time.perf_counter()
        # RGB, as the viewer renders (EditorSession.render): it shows no alpha.
        picture = render_frame(seq, n, frames, size=size, alpha=False)
        render_ms.append((time.perf_counter() - t0) * 1000)
        return picture

    engine = PlaybackEngine(fps=seq.fps, sample_rate=seq.sample_rate, render=render,
                            present=lambda n, picture: None,
                            frame_count=lambda: seq.duration_frames,
                            mix=lambda first, count: mix_audio(seq, first, count, sound),
                            use_audio_device=False,
                            prepare=lambda n: (frames.warm(seq),
                                               frames.prefetch(seq, n, 36, size)))
    # The audio mix still runs, as the device callback would ask for it.
    mixed = 0
    t0 = time.perf_counter()
    engine.play()
    next_block = 0
    while engine.playing and time.perf_counter() - t0 < seconds:
        due = int((time.perf_counter() - t0) * seq.sample_rate)
        while next_block < due:
            mix_audio(seq, next_block, 1024, sound)
            next_block += 1024
            mixed += 1
        time.sleep(0.01)
    engine.pause()
    wall = time.perf_counter() - t0
    engine.close()
    frames.close()
    sound.close()
    s = engine.stats
    total = s.presented + s.dropped
    print(f"{size[0]}x{size[1]}: {s.presented} presented / {total} due in {wall:.1f} s "
          f"= {s.presented / wall:.2f} fps (sequence {float(FPS):.3f}); dropped {s.dropped} "
          f"(max run {s.max_consecutive_drops}); render median "
          f"{np.median(render_ms):.1f} ms, p95 {np.percentile(render_ms, 95):.1f} ms; "
          f"cache hits {frames.cache.stats().hits}")
    return s.presented / wall, s.dropped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per size; the median is printed (the machine is noisy)")
    ap.add_argument("--sizes", default="960x540,1920x1080")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = build(Path(tmp), args.seconds)
        print(f"built 1080p24 sequence in {time.perf_counter() - t0:.1f} s")
        with Project.open(path) as project:
            for w, h in sizes:
                runs = [play(project, args.seconds, (w, h)) for _ in range(args.repeat)]
                if args.repeat > 1:
                    print(f"{w}x{h} median of {args.repeat}: "
                          f"{np.median([r[0] for r in runs]):.2f} fps, "
                          f"{np.median([r[1] for r in runs]):.0f} dropped")


if __name__ == "__main__":
    main()
