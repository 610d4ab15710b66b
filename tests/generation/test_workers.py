"""Placing jobs on workers (model affinity, then free memory), farm addresses, and the local
pool's one-worker-per-GPU pinning, without starting any process."""

from __future__ import annotations

import pytest

from generation.backends.base import GenerationError
from generation.farm import FarmAddress, input_blobs
from generation.spec import JobSpec
from generation.workers import Gpu, LocalPool, QueuedJob, WorkerInfo, place


def _w(name: str, model: str | None = None, free: int | None = None) -> WorkerInfo:
    return WorkerInfo(name=name, host="h", device="cpu", model_key=model, free_memory=free)


def test_a_worker_with_the_model_loaded_gets_its_job() -> None:
    queued = [QueuedJob(1, "A"), QueuedJob(2, "B"), QueuedJob(3, "A")]
    assert place(queued, [_w("w0", "B"), _w("w1", "A")]) == [("w0", 2), ("w1", 1)]


def test_fresh_models_go_to_the_most_free_memory_and_leave_loaded_ones_alone() -> None:
    queued = [QueuedJob(1, "A"), QueuedJob(2, "C"), QueuedJob(3, "D")]
    # w1 has A loaded but is busy: an idle worker takes C rather than load A a second time.
    got = place(queued, [_w("small", None, 8 << 30), _w("big", None, 80 << 30)],
                busy=[_w("w1", "A")])
    assert got == [("big", 2), ("small", 3)]


def test_an_idle_worker_takes_a_job_loaded_elsewhere_rather_than_idle() -> None:
    queued = [QueuedJob(1, "A"), QueuedJob(2, "A")]
    assert place(queued, [_w("w0")], busy=[_w("w1", "A")]) == [("w0", 1)]
    assert place([], [_w("w0")]) == []
    assert place(queued, [WorkerInfo("dead", "h", "cpu", alive=False)]) == []


def test_farm_addresses() -> None:
    assert FarmAddress.parse("local") == FarmAddress("local")
    assert FarmAddress.parse("local:3") == FarmAddress("local", workers=3)
    assert FarmAddress.parse("auto") == FarmAddress("ray", ray_address="auto")
    assert FarmAddress.parse("ray://10.0.0.5:10001").ray_address == "ray://10.0.0.5:10001"
    for bad in ("ray://host", "ray://h:0", "local:0", "local:x", "10.0.0.5:6379", ""):
        with pytest.raises(GenerationError) as info:
            FarmAddress.parse(bad)
        assert info.value.suggestion


def test_one_pinned_worker_per_gpu_or_n_cpu_workers() -> None:
    gpus = [Gpu(0, "H200", 100 << 30, 141 << 30), Gpu(1, "H200", 120 << 30, 141 << 30)]
    pool = LocalPool(gpus=gpus)
    assert [s.info.name for s in pool.slots] == ["gpu0", "gpu1"]
    assert [s.client.env for s in pool.slots] == [  # type: ignore[attr-defined]
        {"CUDA_VISIBLE_DEVICES": "0"}, {"CUDA_VISIBLE_DEVICES": "1"}]
    assert pool.slots[1].info.device == "cuda:1 (H200)"
    assert pool.slots[1].info.free_memory == 120 << 30
    with pytest.raises(GenerationError, match="has 2 GPUs"):
        LocalPool(3, gpus=gpus)
    cpu = LocalPool(3, gpus=[])
    assert [(s.info.name, s.info.device) for s in cpu.slots] == [
        ("cpu0", "cpu"), ("cpu1", "cpu"), ("cpu2", "cpu")]


def test_inputs_travel_by_content_hash(tmp_path) -> None:
    import hashlib

    loose = tmp_path / "still.png"
    loose.write_bytes(b"picture")
    stored = tmp_path / ("ab" * 32 + ".mkv")  # a media-store name is its hash
    stored.write_bytes(b"video")
    spec = JobSpec.from_json({"backend": "previz", "seed": 1, "call": {}, "fps": "24/1",
                              "inputs": {"image": {"path": str(loose)},
                                         "video": {"path": str(stored)}}})
    assert input_blobs(spec) == {str(loose): (hashlib.sha256(b"picture").hexdigest(), ".png"),
                                 str(stored): ("ab" * 32, ".mkv")}
    loose.unlink()
    with pytest.raises(GenerationError, match="missing"):
        input_blobs(spec)
