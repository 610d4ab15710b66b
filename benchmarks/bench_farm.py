"""The generation farm: throughput with more workers, and what a job pays for going through Ray.

Prints, on a local Ray cluster started here (shut down after):
- the wall time of a queue of 8 previz jobs on 1 farm worker and on 2, and their ratio
  (the same for this machine's worker processes, ``local:1`` vs ``local:2``, for reference);
- the per-job overhead of the farm against a local worker process for a tiny real Wan
  pipeline (warm: pipeline loaded in both), as the median of the per-job times and their
  difference. Uses a tiny random-weight pipeline (tests/generation/tiny_pipelines.py), so it
  measures Takeline's and Ray's overhead, not a model.

    .venv/bin/python benchmarks/bench_farm.py [--repeats 3] [--jobs 8] [--tiny-jobs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.planner import ResolvedModel  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.generation_queue import GenerationRunner, JobUpdate  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


def _project(path: Path, frames: int, size: tuple[int, int]) -> Project:
    p = Project.create(path, SequenceSettings(fps=Fraction(24), width=size[0],
                                              height=size[1]))
    p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": frames,
               "prompt": "a red fox"})
    return p


def _drain(runner: GenerationRunner, count: int, **choices: Any) -> tuple[float, list[float]]:
    """Queue ``count`` jobs, run them; (wall seconds, per-job seconds from running to done)."""
    started: dict[int, float] = {}
    took: list[float] = []

    def on_update(u: JobUpdate) -> None:
        if u.state == "running":
            started.setdefault(u.job_id, time.perf_counter())
        elif u.state == "done":
            took.append(time.perf_counter() - started[u.job_id])
        elif u.state in ("failed", "cancelled"):
            raise SystemExit(f"job {u.job_id} {u.state}: {u.error}")

    runner.on_update = on_update
    runner.queue(1, runner.request_for(1, takes=count, **choices))
    t0 = time.perf_counter()
    asyncio.run(runner.run_queue())
    return time.perf_counter() - t0, took


def throughput(folder: Path, pool_factory: Any, label: str, repeats: int, jobs: int) -> None:
    walls: dict[int, list[float]] = {1: [], 2: []}
    for n in (1, 2):
        pool = pool_factory(n)
        runner = GenerationRunner(_project(folder / f"{label}-{n}.takeline", 48, (320, 180)),
                                  pool=pool, measure=False)
        try:
            _drain(runner, n, backend="previz", seed=1)  # start the workers (not timed)
            for r in range(repeats):
                wall, _ = _drain(runner, jobs, backend="previz", seed=100 + r * jobs)
                walls[n].append(wall)
        finally:
            asyncio.run(runner.close())
            runner.project.close()
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    print(f"{label}: {jobs} previz jobs (48 frames 320x180): 1 worker {one:.2f} s, "
          f"2 workers {two:.2f} s, speed-up x{one / two:.2f} "
          f"({jobs / one:.1f} vs {jobs / two:.1f} jobs/s)")


def overhead(folder: Path, tiny_jobs: int) -> None:
    from generation.farm import RayPool
    from tests.generation.tiny_pipelines import build_tiny_pipeline

    model_dir = build_tiny_pipeline("wan-t2v", folder / "wan")
    model = ResolvedModel("tiny/wan-t2v", str(model_dir), "bench", "WanPipeline")
    choices = dict(backend="wan", model=model, steps=2, guidance=3.0, size=(32, 32),
                   max_sequence_length=16)
    from generation.client import WorkerClient

    per_job: dict[str, list[float]] = {}
    # Ray gives an actor OMP_NUM_THREADS = its num_cpus (1): the like-for-like local worker
    # runs torch on one thread too; the default local worker uses every core.
    for label in ("local worker", "local worker, 1 thread", "farm worker"):
        pool = (RayPool(workers=1, blob_dir=folder / "blobs", cpus_per_worker=1)
                if label == "farm worker" else None)
        client = WorkerClient(env={"OMP_NUM_THREADS": "1"} if "1 thread" in label else None)
        runner = GenerationRunner(_project(folder / f"{label}.takeline", 12, (64, 36)),
                                  pool=pool, client=client, measure=False)
        try:
            _drain(runner, 1, seed=1, **choices)  # start and load (not timed)
            _wall, took = _drain(runner, tiny_jobs, seed=10, **choices)
            per_job[label] = took
        finally:
            asyncio.run(runner.close())
            runner.project.close()
    local = statistics.median(per_job["local worker"])
    single = statistics.median(per_job["local worker, 1 thread"])
    farm = statistics.median(per_job["farm worker"])
    print(f"tiny Wan job (9 frames 32x32, 2 steps), median of {tiny_jobs}: local worker "
          f"{local * 1000:.0f} ms (all cores), {single * 1000:.0f} ms (1 thread); farm worker "
          f"{farm * 1000:.0f} ms (1 thread): farm overhead {(farm - single) * 1000:+.0f} ms "
          f"per job (x{farm / single:.2f} the 1-thread local worker)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--tiny-jobs", type=int, default=5)
    args = ap.parse_args()
    try:
        import ray
    except ImportError:
        print("bench_farm: Ray is not installed (pip install 'takeline[farm]'); skipped")
        return
    from generation.farm import RayPool
    from generation.workers import LocalPool

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    print(f"{os.cpu_count()} CPUs; Ray {ray.__version__}")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            throughput(folder, lambda n: RayPool(workers=n, blob_dir=folder / "blobs",
                                               cpus_per_worker=1),
                       "farm (Ray actors)", args.repeats, args.jobs)
            throughput(folder, lambda n: LocalPool(n), "local worker processes",
                       args.repeats, args.jobs)
            overhead(folder, args.tiny_jobs)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
