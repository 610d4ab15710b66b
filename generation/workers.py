"""Many workers for one queue: one worker process per GPU on this machine (each pinned to its
device with ``CUDA_VISIBLE_DEVICES``), N CPU workers on a machine without one, or the actors
of a Ray farm (``generation.farm``). The queue (``services.generation_queue``) sees them all
as *slots*: something that runs one job at a time and says what it has loaded.

Which idle worker gets which queued job is ``place``: a worker with the job's model loaded
gets it (no reload), then fresh models go to the workers with the most free memory.

This module imports no torch: GPUs are counted with ``nvidia-smi``.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from generation.backends.base import GenerationError
from generation.client import WorkerClient
from generation.execute import RunResult
from generation.spec import JobSpec


class WorkerLost(Exception):
    """The worker (a farm node) went away mid-job: nothing of the job came back, so it goes
    back in the queue and runs elsewhere (not a failure of the job)."""


@dataclass(frozen=True)
class WorkerInfo:
    """What the Jobs dock shows of one worker."""

    name: str  # "gpu0", "cpu1", "farm:10.0.0.2/gpu0"
    host: str
    device: str  # "cuda:0 (NVIDIA H200)", "cpu"
    model_key: str | None = None  # the pipeline it has loaded (JobSpec.model_key)
    job_id: int | None = None  # the job it runs now
    free_memory: int | None = None  # bytes free on its GPU; None on CPU
    alive: bool = True

    @property
    def model(self) -> str | None:
        """The loaded model as a person names it: the repo id, or "previz"."""
        if self.model_key is None:
            return None
        try:
            import json

            backend, path, revision, *_ = json.loads(self.model_key)
        except (ValueError, TypeError):
            return self.model_key
        if path is None:
            return backend
        name = Path(path).name
        return f"{name}@{revision}" if revision else name


class Slot(Protocol):
    """One worker as the queue drives it: one job at a time."""

    info: WorkerInfo

    async def run(self, job_id: int, spec: JobSpec, out_dir: Path,
                  on_progress: Callable[[int, int], None] | None = None) -> RunResult: ...

    def cancel(self, job_id: int) -> None: ...

    async def close(self) -> None: ...

    def terminate(self) -> None: ...


@dataclass(frozen=True)
class QueuedJob:
    id: int
    model_key: str


def place(queued: Sequence[QueuedJob], idle: Sequence[WorkerInfo],
          busy: Sequence[WorkerInfo] = ()) -> list[tuple[str, int]]:
    """(worker name, job id) pairs for the idle workers, oldest jobs first.

    1. Affinity: a worker with a model loaded takes the oldest job for that model.
    2. The other idle workers, most free memory first, take the oldest job whose model no
       other worker has loaded (that worker will take it without a reload); failing that,
       the oldest job left (an idle GPU is worse than a second load).
    """
    left = list(queued)
    free = [w for w in idle if w.alive]
    out: list[tuple[str, int]] = []
    for w in list(free):
        job = next((j for j in left if w.model_key is not None and j.model_key == w.model_key),
                   None)
        if job is not None:
            out.append((w.name, job.id))
            left.remove(job)
            free.remove(w)
    free.sort(key=lambda w: -(w.free_memory or 0))  # stable: equal memory keeps the order
    loaded = {w.model_key for w in (*idle, *busy) if w.alive and w.model_key is not None}
    for w in free:
        if not left:
            break
        others = loaded - {w.model_key}
        job = next((j for j in left if j.model_key not in others), left[0])
        out.append((w.name, job.id))
        left.remove(job)
    return out


# ---------------------------------------------------------------------------- this machine
@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    free_memory: int  # bytes
    total_memory: int


def local_gpus() -> list[Gpu]:
    """The NVIDIA GPUs of this machine (``nvidia-smi``; none when it is absent)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=index,name,memory.free,memory.total",
             "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=20,
            check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 4 and parts[0].isdigit():
            gpus.append(Gpu(int(parts[0]), parts[1], int(float(parts[2])) << 20,
                            int(float(parts[3])) << 20))
    return gpus


def parse_local(text: str) -> int | None:
    """``local`` -> None (one worker per GPU, or one CPU worker), ``local:N`` -> N."""
    m = re.fullmatch(r"local(?::(\d+))?", text.strip())
    if m is None:
        raise GenerationError(f"{text!r} is not a local worker count",
                              "write local (one worker per GPU) or local:N (N workers)")
    if m.group(1) is None:
        return None
    n = int(m.group(1))
    if not 1 <= n <= 64:
        raise GenerationError(f"local:{n} asks for {n} workers",
                              "choose between 1 and 64 workers")
    return n


class LocalSlot:
    """A worker process on this machine (``generation.client.WorkerClient``)."""

    def __init__(self, name: str, client: WorkerClient, device: str,
                 gpu_index: int | None = None) -> None:
        self.client = client
        self.gpu_index = gpu_index
        self.info = WorkerInfo(name=name, host=socket.gethostname(), device=device)

    async def run(self, job_id: int, spec: JobSpec, out_dir: Path,
                  on_progress: Callable[[int, int], None] | None = None) -> RunResult:
        self.info = replace(self.info, job_id=job_id)
        try:
            result = await self.client.run(job_id, spec, out_dir, on_progress)
        finally:
            self.info = replace(self.info, job_id=None)
        self.info = replace(self.info, model_key=spec.model_key)
        return result

    def cancel(self, job_id: int) -> None:
        self.client.cancel(job_id)

    async def close(self) -> None:
        await self.client.close()

    def terminate(self) -> None:
        self.client.terminate()


class WorkerPool:
    """The slots one queue runs on. ``runs_previz``: previz goes to the slots too (they run
    in parallel); a single-worker runner keeps previz on a thread."""

    runs_previz = True

    def __init__(self, slots: Sequence[Slot]) -> None:
        self.slots: list[Slot] = list(slots)

    @property
    def workers(self) -> list[WorkerInfo]:
        return [s.info for s in self.slots]

    async def start(self) -> None:
        """Connect / start what the slots need (nothing for local processes)."""

    def refresh(self) -> None:
        """Bring the slots' facts (free memory) up to date before jobs are placed."""

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.slots), return_exceptions=True)

    def terminate(self) -> None:
        for s in self.slots:
            s.terminate()


class LocalPool(WorkerPool):
    """One worker process per GPU of this machine, each pinned with CUDA_VISIBLE_DEVICES;
    ``count`` CPU workers (``local:N``) on a machine without one (or ``count`` of the GPUs)."""

    def __init__(self, count: int | None = None, *, stall_timeout_s: float = 900.0,
                 gpus: Sequence[Gpu] | None = None) -> None:
        gpus = list(local_gpus() if gpus is None else gpus)
        slots: list[Slot] = []
        if gpus:
            if count is not None and count > len(gpus):
                raise GenerationError(
                    f"local:{count} asks for {count} GPU workers but this machine has "
                    f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}",
                    f"use local (one per GPU) or local:{len(gpus)}")
            for gpu in gpus[:count]:
                client = WorkerClient(stall_timeout_s=stall_timeout_s,
                                      env={"CUDA_VISIBLE_DEVICES": str(gpu.index)})
                slot = LocalSlot(f"gpu{gpu.index}", client,
                                 f"cuda:{gpu.index} ({gpu.name})", gpu.index)
                slot.info = replace(slot.info, free_memory=gpu.free_memory)
                slots.append(slot)
        else:
            for i in range(count or 1):
                # No GPU: keep each worker off CUDA entirely, so "auto" means the CPU.
                client = WorkerClient(stall_timeout_s=stall_timeout_s,
                                      env={"CUDA_VISIBLE_DEVICES": ""})
                slots.append(LocalSlot(f"cpu{i}", client, "cpu"))
        super().__init__(slots)

    def refresh(self) -> None:
        if not any(getattr(s, "gpu_index", None) is not None for s in self.slots):
            return
        free = {g.index: g.free_memory for g in local_gpus()}
        for s in self.slots:
            index = getattr(s, "gpu_index", None)
            if index in free:
                s.info = replace(s.info, free_memory=free[index])
