"""Export time of a cuts-only 1080p H.264 sequence against the ffmpeg command line doing the
same transcode with the same encoder settings (libx264 CRF 18 preset medium, yuv420p, AAC
256k, +faststart), as a ratio in one run (interleaved repeats, medians).

The sequence is one source clip cut into pieces and put back in order, so both sides encode
the same pictures and sound.

    .venv/bin/python benchmarks/bench_export.py [--seconds 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from project_store.project import Project
from timeline.engine.export import PRESETS, export_sequence
from timeline.engine.sources import MediaAudioSource, MediaFrameSource
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if shutil.which("ffmpeg") is None:
        print("ffmpeg is not installed (Debian: apt-get install ffmpeg); no ratio to measure")
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # A camera-like source: moving test pattern and tone, H.264 tagged BT.709.
        src = tmp / "src.mp4"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                        f"testsrc2=size=1920x1080:rate={FPS.numerator}/{FPS.denominator}",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-t", str(args.seconds + 1), "-c:v", "libx264", "-crf", "16",
                        "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries",
                        "bt709", "-color_trc", "bt709", "-c:a", "aac", "-ac", "2",
                        str(src)], check=True)
        frames = int(args.seconds * FPS)
        with Project.create(tmp / "cuts.takeline",
                            SequenceSettings(fps=FPS, width=1920, height=1080)) as p:
            (asset,) = p.import_media([src])
            cuts = list(range(0, frames, 24)) + [frames]
            with p.batch():
                for a, b in zip(cuts, cuts[1:], strict=False):
                    p.execute({"op": "append", "track": "V1", "asset": asset.id,
                               "source_in": a, "source_out": b})
            probes = {asset.id: asset.probe}
            ours_s, ffmpeg_s = [], []
            passthrough = 0
            for i in range(args.repeat):
                fs = MediaFrameSource(probes, use_proxies=False)
                au = MediaAudioSource(probes, sample_rate=48000)
                t0 = time.perf_counter()
                export_sequence(p.sequence, tmp / f"ours{i}.mp4", PRESETS["h264"], frames=fs,
                                audio=au)
                ours_s.append(time.perf_counter() - t0)
                passthrough = fs.raw_frames
                fs.close()
                au.close()
                cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
                       "-frames:v", str(frames), "-t", f"{float(frames / FPS):.6f}",
                       "-c:v", "libx264", "-crf", "18",
                       "-preset", "medium", "-pix_fmt", "yuv420p", "-colorspace", "bt709",
                       "-color_primaries", "bt709", "-color_trc", "bt709", "-c:a", "aac",
                       "-b:a", "256k", "-movflags", "+faststart", str(tmp / f"ff{i}.mp4")]
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True)
                ffmpeg_s.append(time.perf_counter() - t0)
        m_ours, m_ff = statistics.median(ours_s), statistics.median(ffmpeg_s)
        print(f"cuts-only 1080p H.264, {frames} frames in {len(cuts) - 1} cuts, "
              f"{args.repeat} interleaved runs")
        print(f"  takeline export h264  median {m_ours:6.2f} s  ({frames / m_ours:5.1f} fps)")
        print(f"  ffmpeg same settings  median {m_ff:6.2f} s  ({frames / m_ff:5.1f} fps)")
        print(f"  ratio takeline/ffmpeg {m_ours / m_ff:.3f} (target <= 1.10); "
              f"{passthrough}/{frames} frames passed to the encoder without RGB conversion")


if __name__ == "__main__":
    main()
