"""Generation overheads, against a direct diffusers call in the same process.

    .venv/bin/python benchmarks/bench_generation.py [--repeat 5]

Prints: worker cold start (spawn + torch/diffusers import + first load), the median time of
one take through Takeline's worker (IPC, progress messages, lossless write, hash) vs the same
pipeline called directly, and previz speed at 1080p. Uses a tiny random-weight Wan pipeline
(tests/generation/tiny_pipelines.py), so it measures Takeline's overhead, not a model.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.client import WorkerClient  # noqa: E402
from generation.execute import run_spec  # noqa: E402
from generation.planner import GenerationRequest, ResolvedModel, plan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    import diffusers
    import torch

    from generation.backends.base import to_uint8_frames
    from tests.generation.tiny_pipelines import build_tiny_pipeline

    tmp = Path(tempfile.mkdtemp(prefix="bench-gen-"))
    model = build_tiny_pipeline("wan-t2v", tmp / "wan")
    [spec] = plan(GenerationRequest(
        segment_frames=24, sequence_fps=Fraction(24), sequence_size=(64, 64), prompt="a fox",
        backend="wan", model=ResolvedModel("tiny", str(model), "x", "WanPipeline"), seed=1,
        steps=args.steps, size=(64, 64), max_sequence_length=16))

    pipe = diffusers.DiffusionPipeline.from_pretrained(model, dtype=torch.float32,
                                                       local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    direct = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = pipe(**spec.call, generator=torch.Generator("cpu").manual_seed(spec.seed),
                   output_type="np")
        to_uint8_frames(out.frames)
        direct.append(time.perf_counter() - t0)

    client = WorkerClient()

    async def through_worker() -> tuple[float, list[float]]:
        t0 = time.perf_counter()
        await client.run(0, spec, tmp / "out")
        cold = time.perf_counter() - t0
        warm = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            await client.run(i + 1, spec, tmp / "out")
            warm.append(time.perf_counter() - t0)
        await client.close()
        return cold, warm

    cold, warm = asyncio.run(through_worker())
    d, w = statistics.median(direct), statistics.median(warm)
    print(f"tiny Wan T2V, {spec.call['num_frames']} frames {spec.call['width']}x"
          f"{spec.call['height']}, {args.steps} steps, n={args.repeat}")
    print(f"  direct pipeline call (in process)     median {d * 1000:8.1f} ms")
    print(f"  through the Takeline worker (warm)    median {w * 1000:8.1f} ms   "
          f"ratio {w / d:.2f}   overhead {(w - d) * 1000:+.1f} ms")
    print(f"  worker cold start + load + first take        {cold:8.2f} s")

    [pz] = plan(GenerationRequest(segment_frames=48, sequence_fps=Fraction(24),
                                  sequence_size=(1920, 1080), prompt="wide shot, dusk",
                                  seed=1))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run_spec(pz, tmp / "out", lambda _a, _b: None, lambda: False, {})
        times.append(time.perf_counter() - t0)
    m = statistics.median(times)
    print(f"previz 1080p, 48 frames (render + FFV1 + hash): median {m:.2f} s = "
          f"{48 / m:.1f} frames/s (n=3)")


if __name__ == "__main__":
    main()
