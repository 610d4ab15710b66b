"""A/V sync of the playback engine, measured from its own presentation log.

Builds a sync-test sequence (black, with a white flash and a 1 ms click on the same frame
every second), plays it in real time through the real compositor and mixer, and for each
flash compares the audio clock at the instant the flash frame was presented with the
click's sample: that difference is what a viewer sees vs hears. Drift is the slope of
that offset over the run. Runs once on the audio device (if one opens; on this machine a
PulseAudio null sink) and once on the system clock.

    .venv/bin/python benchmarks/bench_av_sync.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from project_store.project import Project
from services.demo_media import sync_test_events, write_sync_test_video
from timeline.engine.compositor import render_frame
from timeline.engine.mixer import mix_audio
from timeline.engine.playback import PlaybackEngine
from timeline.engine.sources import MediaAudioSource, MediaFrameSource
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)
RATE = 48000


def run(project: Project, seconds: int, use_device: bool) -> None:
    seq = project.sequence
    probes = {a.id: a.probe for a in project.assets.values()}
    frames = MediaFrameSource(probes)
    sound = MediaAudioSource(probes, sample_rate=RATE)
    size = (seq.settings.width // 2, seq.settings.height // 2)
    flashes: dict[int, float] = {}

    def present(n: int, picture: np.ndarray) -> None:
        if picture[..., :3].mean() > 128:  # a flash frame is white
            flashes.setdefault(n, 0.0)

    def render(n: int) -> np.ndarray:
        if n % 24 == 0:
            frames.prefetch(seq, n, 48, size)
        return render_frame(seq, n, frames, size=size)

    engine = PlaybackEngine(fps=seq.fps, sample_rate=RATE, render=render, present=present,
                            frame_count=lambda: seq.duration_frames,
                            mix=lambda first, count: mix_audio(seq, first, count, sound),
                            use_audio_device=use_device)
    label = "audio device clock" if use_device and engine._audio is not None else "system clock"
    if engine.notice:
        print(f"  notice: {engine.notice}")
    t0 = time.perf_counter()
    engine.play()
    while engine.playing and time.perf_counter() - t0 < seconds + 5:
        time.sleep(0.1)
    engine.pause()
    engine.close()
    frames.close()
    sound.close()

    clock_at = {p.frame: (p.clock_sample, p.wall) for p in engine.stats.log}
    events = sync_test_events(seconds, FPS, RATE)
    offsets, walls = [], []
    for flash_frame, click_sample in events:
        if flash_frame in clock_at and flash_frame in flashes:
            sample, wall = clock_at[flash_frame]
            offsets.append((sample - click_sample) / RATE * 1000)
            walls.append(wall)
    if len(offsets) < 2:
        print(f"  {label}: too few flashes presented ({len(offsets)})")
        return
    drift = np.polyfit(np.array(walls) - walls[0], np.array(offsets), 1)[0] * 60
    late = sum(p.late for p in engine.stats.log)
    print(f"  {label}: {len(offsets)}/{len(events)} flashes; flash-to-click offset "
          f"median {statistics.median(offsets):+.2f} ms, min {min(offsets):+.2f}, "
          f"max {max(offsets):+.2f}; drift {drift:+.3f} ms/min; presented "
          f"{engine.stats.presented}, dropped {engine.stats.dropped} (max run "
          f"{engine.stats.max_consecutive_drops}), shown late {late}")
    underflows = getattr(engine._audio, "underflows", None)
    if use_device and underflows is not None:
        print(f"  audio output latency {engine._audio.output_latency * 1000:.1f} ms "  # type: ignore[union-attr]
              f"(corrected); underflows {underflows}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_sync_test_video(Path(tmp) / "sync.mov", seconds=args.seconds + 1, fps=FPS,
                                     size=(640, 360), sample_rate=RATE)
        with Project.create(Path(tmp) / "sync.takeline",
                            SequenceSettings(fps=FPS, width=640, height=360,
                                             sample_rate=RATE)) as project:
            (asset,) = project.import_media([clip])
            length = int(args.seconds * FPS) + 1
            project.execute({"op": "append", "track": "V1", "asset": asset.id,
                             "source_in": 0, "source_out": length})
            print(f"sync test: {args.seconds} s at {FPS} fps, {RATE} Hz, 320x180 preview")
            run(project, args.seconds, use_device=True)
            run(project, args.seconds, use_device=False)


if __name__ == "__main__":
    main()
