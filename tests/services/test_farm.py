"""The generation farm on a real local Ray cluster (started here, shut down after): previz and
tiny-pipeline jobs on two worker actors: four jobs spread over both, an actor dying mid-job
and its job finishing on the other, cancel through the farm, and takes identical to the same
jobs run locally (and re-made locally bit for bit)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from project_store.generation_records import GenerationRecords
from project_store.project import Project
from services.generation_queue import GenerationRunner, JobState, JobUpdate
from tests.generation.conftest import make_project

HOLD_SEED = 4242  # a job with this seed waits at its first step until cancelled


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="the farm tests need Ray: pip install "
                                            "'takeline[farm]'")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Logical CPUs: two actors for the shared farm, two for the one whose actor dies.
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def farm(ray_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two worker actors for the module (each keeps its pipeline loaded between tests)."""
    from generation.farm import RayPool

    env = {"TAKELINE_FARM_HOLD_SEED": str(HOLD_SEED)}
    pool = RayPool(workers=2, blob_dir=tmp_path_factory.mktemp("blobs"),
                   actor_env=[env, env], cpus_per_worker=1)
    asyncio.run(pool.start())
    try:
        yield pool
    finally:
        pool.terminate()


def _still(path: Path) -> Path:
    from PIL import Image

    Image.fromarray(np.tile(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None],
                            (36, 1, 3))).save(path)
    return path


def _run(runner: GenerationRunner, segment: int, during: Callable[[JobUpdate], None]
         | None = None, **choices: Any) -> tuple[list[Any], list[JobUpdate]]:
    updates: list[JobUpdate] = []

    def on_update(u: JobUpdate) -> None:
        updates.append(u)
        if during is not None:
            during(u)

    runner.on_update = on_update
    request = runner.request_for(segment, **choices)
    jobs = runner.queue(segment, request)
    finished = asyncio.run(asyncio.wait_for(runner.run_queue(only={j.id for j in jobs}), 600))
    return finished, updates


def _hashes(project: Project, segment: int) -> dict[int, str]:
    return {t.seed: t.frames_hash for t in GenerationRecords(project).takes(segment)}


def test_four_previz_jobs_spread_over_both_workers_and_match_local_takes(
        farm: Any, tmp_path: Path) -> None:
    project, seg = make_project(tmp_path / "farm.takeline")
    runner = GenerationRunner(project, pool=farm, measure=False)
    first = runner.store_input(_still(tmp_path / "first.png"))
    done_before = [s.jobs_done for s in farm.slots]
    sent_before = farm.blobs_sent
    jobs, _ = _run(runner, seg, backend="previz", takes=4, seed=11,
                   inputs={"image": first})
    assert [j.state for j in jobs] == ["done"] * 4, [j.error for j in jobs]
    # Both workers ran jobs; the picture crossed once per node (one node here), by hash.
    assert all(s.jobs_done > before for s, before in zip(farm.slots, done_before,
                                                         strict=True))
    assert farm.blobs_sent - sent_before <= 1
    takes = GenerationRecords(project).takes(seg)
    assert len(takes) == 4
    for take in takes:
        assert take.media_path is not None and take.media_path.is_file()
        assert take.media_path.is_relative_to(project.media_root)  # in the editor's store
        assert take.recipe["host"] and take.recipe["farm"]["node"]
        assert take.recipe["device"] == "cpu"

    # The same jobs run here (previz on a thread) make the same takes, bit for bit.
    local, lseg = make_project(tmp_path / "local.takeline")
    lrunner = GenerationRunner(local, measure=False)
    lfirst = lrunner.store_input(_still(tmp_path / "first.png"))
    ljobs, _ = _run(lrunner, lseg, backend="previz", takes=4, seed=11,
                    inputs={"image": lfirst})
    assert [j.state for j in ljobs] == ["done"] * 4
    assert _hashes(project, seg) == _hashes(local, lseg)
    # Running the queue again ships nothing: the node has every blob.
    sent = farm.blobs_sent
    again, _ = _run(runner, seg, backend="previz", takes=1, seed=99, inputs={"image": first})
    assert again[0].state == "done" and farm.blobs_sent == sent
    project.close()
    local.close()


def test_cancel_passes_through_the_farm(farm: Any, tmp_path: Path) -> None:
    project, seg = make_project(tmp_path / "p.takeline")
    runner = GenerationRunner(project, pool=farm, measure=False)

    def cancel_at_first_step(u: JobUpdate) -> None:
        if u.state == JobState.RUNNING and u.steps_done >= 1:
            runner.cancel(u.job_id)

    [job], updates = _run(runner, seg, cancel_at_first_step, backend="previz", takes=1,
                          seed=HOLD_SEED)
    assert job.state == "cancelled"
    assert updates[-1].state == JobState.CANCELLED
    assert GenerationRecords(project).takes(seg) == []
    assert all(s.info.alive for s in farm.slots)  # stopped at a step, not killed
    project.close()


def test_a_worker_dying_mid_job_has_its_job_finish_on_the_other(
        ray_cluster: Any, tmp_path: Path) -> None:
    from generation.farm import RayPool

    # The first actor dies at its first step, as a node losing power would.
    pool = RayPool(workers=2, blob_dir=tmp_path / "blobs",
                   actor_env=[{"TAKELINE_WORKER_FAULT": "crash@1"}, {}], cpus_per_worker=1)
    try:
        project, seg = make_project(tmp_path / "p.takeline")
        runner = GenerationRunner(project, pool=pool, measure=False)
        [job], updates = _run(runner, seg, backend="previz", takes=1, seed=3)
        assert job.state == "done", job.error
        states = [u.state for u in updates]
        # Queued, running on the first, back in the queue when it died, then done.
        assert JobState.QUEUED in states[states.index(JobState.RUNNING):]
        assert states[-1] == JobState.DONE
        dead, alive = pool.slots
        assert not dead.info.alive and alive.info.alive and alive.jobs_done == 1
        assert len(GenerationRecords(project).takes(seg)) == 1
        assert GenerationRecords(project).job(job.id).error is None
        project.close()
    finally:
        pool.terminate()


def test_a_tiny_pipeline_take_from_the_farm_is_identical_locally(
        farm: Any, tmp_path: Path, tiny_model: Callable[[str], Path]) -> None:
    from generation.planner import ResolvedModel

    model = ResolvedModel(id="tiny/wan-t2v", path=str(tiny_model("wan-t2v")), revision="test",
                          pipeline_class="WanPipeline")
    choices = dict(backend="wan", model=model, takes=1, seed=7, steps=2, guidance=3.0,
                   size=(32, 32), max_sequence_length=16)
    project, seg = make_project(tmp_path / "farm.takeline")
    runner = GenerationRunner(project, pool=farm, measure=False)
    jobs, updates = _run(runner, seg, **choices)
    assert [j.state for j in jobs] == ["done"], [j.error for j in jobs]
    assert [u.steps_done for u in updates if u.state == "running" and u.job_id == jobs[0].id
            ][-1] == 2
    farm_takes = GenerationRecords(project).takes(seg)
    assert {t.recipe["pipeline_class"] for t in farm_takes} == {"WanPipeline"}
    # The same jobs in a local worker process...
    local, lseg = make_project(tmp_path / "local.takeline")
    lrunner = GenerationRunner(local, measure=False)
    try:
        ljobs, _ = _run(lrunner, lseg, **choices)
        assert [j.state for j in ljobs] == ["done"]
        assert _hashes(project, seg) == _hashes(local, lseg)
        # ... and a farm take re-made here from its row alone (rerun --verify).
        again = asyncio.run(lrunner.rerun(farm_takes[0]))
        assert again.frames_hash == farm_takes[0].frames_hash
    finally:
        asyncio.run(lrunner.close())
    project.close()
    local.close()
