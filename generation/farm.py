"""A generation farm on Ray: the queue's jobs run as Ray tasks on worker actors (one per GPU
of the cluster, ``num_gpus=1``, or one CPU actor per node) that keep their pipeline loaded.

What crosses the network, and what does not:

- to a node: the job spec (frozen JSON) and, by content hash, the conditioning files it
  names (pictures, control videos, a base take) that the node's blob cache lacks. Each
  node keeps one blob cache (``<user cache>/takeline/farm-blobs``), shared by its actors.
- back: progress (polled), the lossless take file (checked against its SHA-256) and its
  facts (host, device, timings). The take is stored in the editor's media store by the
  queue, as any local run's.
- never: the project file. Claims, progress and takes are written only by the editor's
  process, on the editor's machine (no SQLite over a network).

Models are not shipped: a node must have the model installed (``takeline models pull``),
found by repo id and revision when the editor's folder is not there.

A node that dies mid-job (its actor is gone) is reported as ``WorkerLost``: the queue puts
the job back and another actor runs it. Cancel reaches the actor while it runs (a threaded
actor: ``cancel`` and ``poll`` run beside ``run``).

``ray`` is an optional dependency (``pip install 'takeline[farm]'``); it is imported only
when a farm is started. ``TAKELINE_FARM_HOLD_SEED`` (tests only): a job with that seed waits
at its first step until it is cancelled.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generation.backends.base import GenerationError, ModelLoadError
from generation.client import WorkerCancelled, WorkerFailed
from generation.execute import RunResult
from generation.messages import FailureKind
from generation.spec import JobSpec
from generation.workers import Slot, WorkerInfo, WorkerLost, WorkerPool

_SHA = re.compile(r"[0-9a-f]{64}")
BLOB_CHUNK = 8 << 20  # files go to a node in pieces of this size


class FarmError(GenerationError):
    pass


def ray_module() -> Any:
    if "ray" not in sys.modules:
        _use_auth_token()  # read when ray is imported
    try:
        import ray
    except ImportError:
        raise FarmError("the farm needs Ray, which is not installed",
                        "pip install 'takeline[farm]' on this machine and on every "
                        "node") from None
    return ray


@dataclass(frozen=True)
class FarmAddress:
    """Where the farm is: ``local[:N]`` (worker processes on this machine, no Ray), ``auto``
    (the Ray cluster this machine is part of: ``ray start`` was run here) or
    ``ray://HOST:PORT`` (a Ray cluster's client port, 10001 by default)."""

    kind: str  # "local" | "ray"
    ray_address: str | None = None
    workers: int | None = None  # local:N

    @classmethod
    def parse(cls, text: str) -> FarmAddress:
        from generation.workers import parse_local

        t = text.strip()
        if t == "local" or t.startswith("local:"):
            return cls("local", workers=parse_local(t))
        if t == "auto":
            return cls("ray", ray_address="auto")
        m = re.fullmatch(r"ray://([^\s:/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})", t)
        if m and 0 < int(m.group(2)) < 65536:
            return cls("ray", ray_address=t)
        raise FarmError(f"{text!r} is not a farm address",
                        "write ray://HOST:PORT (the head node's client port, 10001 by "
                        "default), auto (this machine is in a Ray cluster), or local[:N]")


# --------------------------------------------------------------------------- content hashes
def _paths(tree: Any) -> Iterator[str]:
    """Every file a spec's inputs name (a ``path`` key anywhere in the inputs JSON)."""
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            if key == "path" and isinstance(value, str):
                yield value
            else:
                yield from _paths(value)
    elif isinstance(tree, list | tuple):
        for value in tree:
            yield from _paths(value)


def _with_paths(tree: Any, new: Mapping[str, str]) -> Any:
    if isinstance(tree, Mapping):
        return {k: (new.get(v, v) if k == "path" and isinstance(v, str) else _with_paths(v, new))
                for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_with_paths(v, new) for v in tree]
    return tree


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_blobs(spec: JobSpec) -> dict[str, tuple[str, str]]:
    """Editor path -> (sha256, suffix) of each conditioning file of ``spec``. Media-store
    files are named by their hash (and never change); anything else is hashed."""
    out: dict[str, tuple[str, str]] = {}
    for text in _paths(spec.inputs.to_json()):
        path = Path(text)
        if text in out:
            continue
        if not path.is_file():
            raise FarmError(f"the job's input {path} is missing on this machine",
                            "queue the job again (its inputs are re-stored)")
        digest = path.stem if _SHA.fullmatch(path.stem) else _sha256(path)
        out[text] = (digest, path.suffix)
    return out


def default_blob_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("takeline")) / "farm-blobs"


# --------------------------------------------------------------------------- the actor
class FarmWorker:
    """One farm worker (a Ray actor): runs one job at a time and keeps its pipeline."""

    def __init__(self, blob_dir: str | None = None) -> None:
        from generation.worker import _fault, _quiet_libraries

        self.host = socket.gethostname()
        self.blob_dir = Path(blob_dir) if blob_dir else default_blob_dir()
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.cache: dict[str, Any] = {}
        self.cancelled: set[str] = set()
        self.progress: dict[str, tuple[int, int]] = {}
        self.model_key: str | None = None
        self.current: str | None = None
        self.blobs_received = 0
        self.jobs_run = 0
        self.fault = _fault()
        self._quiet = _quiet_libraries
        hold = os.environ.get("TAKELINE_FARM_HOLD_SEED")
        self.hold_seed = int(hold) if hold else None

    def _device(self) -> tuple[str, int | None]:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        if not visible:
            return "cpu", None
        from generation.workers import local_gpus

        first = visible.split(",")[0]
        gpus = {str(g.index): g for g in local_gpus()}
        gpu = gpus.get(first)
        if gpu is None:
            return f"cuda (CUDA_VISIBLE_DEVICES={visible})", None
        return f"cuda:{gpu.index} ({gpu.name})", gpu.free_memory

    def info(self) -> dict[str, Any]:
        try:
            import ray

            node = ray.util.get_node_ip_address()
        except Exception:  # not in a Ray worker (a direct call in a test)
            node = self.host
        device, free = self._device()
        return {"host": self.host, "node": node, "pid": os.getpid(), "device": device,
                "free_memory": free, "model_key": self.model_key, "job": self.current,
                "blobs_received": self.blobs_received, "jobs_run": self.jobs_run}

    def missing(self, blobs: Sequence[tuple[str, str]]) -> list[str]:
        """Of (sha256, suffix) pairs, the hashes this node's blob cache lacks."""
        return [sha for sha, suffix in blobs if not (self.blob_dir / f"{sha}{suffix}").is_file()]

    def put_blob(self, sha: str, suffix: str, chunk: bytes, offset: int, last: bool) -> None:
        """One piece of a file; the last one checks the hash and renames it into the cache
        (atomic: another actor of the node never sees half a file)."""
        if not _SHA.fullmatch(sha) or not re.fullmatch(r"(\.[A-Za-z0-9]{1,8})?", suffix):
            raise FarmError(f"bad blob name {sha}{suffix}")
        tmp = self.blob_dir / f".{sha}{suffix}.{os.getpid()}.part"
        with tmp.open("r+b" if offset else "wb") as f:
            f.seek(offset)
            f.write(chunk)
        if not last:
            return
        if _sha256(tmp) != sha:
            tmp.unlink(missing_ok=True)
            raise FarmError(f"blob {sha[:12]} arrived damaged", "run the job again")
        os.replace(tmp, self.blob_dir / f"{sha}{suffix}")
        self.blobs_received += 1

    def cancel(self, key: str) -> None:
        self.cancelled.add(key)

    def poll(self, key: str) -> tuple[int, int] | None:
        return self.progress.get(key)

    def _resolve_model(self, spec: JobSpec) -> JobSpec:
        if spec.model_path is None or Path(spec.model_path).is_dir():
            return spec
        from generation.installed_models import ModelError, resolve_model

        try:
            found = resolve_model(spec.model or spec.model_path, revision=spec.model_revision)
        except ModelError as exc:
            raise ModelLoadError(f"on farm node {self.host}: {exc}",
                                 f"install the model on {self.host} (takeline models pull "
                                 f"{spec.model}), or leave that node out of the farm") from None
        return replace(spec, model_path=str(found.path))

    def run(self, key: str, spec_json: dict[str, Any],
            files: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
        from generation.backends.base import JobCancelled, OutOfMemory
        from generation.execute import run_spec
        from generation.worker import _inject

        self.current = key
        out_dir = self.blob_dir.parent / "farm-runs" / key
        try:
            local = {path: str(self.blob_dir / f"{sha}{suffix}")
                     for path, (sha, suffix) in files.items()}
            missing = [p for p in local.values() if not Path(p).is_file()]
            if missing:
                raise FarmError(f"inputs missing on farm node {self.host}: {missing}",
                                "run the job again")
            spec = JobSpec.from_json({**spec_json,
                                      "inputs": _with_paths(spec_json.get("inputs", {}), local)})
            spec = self._resolve_model(spec)
            if spec.backend != "previz":
                self._quiet()

            def progress(step: int, total: int) -> None:
                if self.fault is not None and step == self.fault[1]:
                    _inject(self.fault[0])
                self.progress[key] = (step, total)
                if self.hold_seed is not None and spec.seed == self.hold_seed and step == 1:
                    deadline = time.monotonic() + 300
                    while key not in self.cancelled and time.monotonic() < deadline:
                        time.sleep(0.05)

            try:
                result = run_spec(spec, out_dir, progress, lambda: key in self.cancelled,
                                  self.cache)
            except JobCancelled:
                return {"cancelled": True}
            except GenerationError as exc:
                return {"failed": str(exc.kind), "message": str(exc),
                        "suggestion": exc.suggestion}
            except Exception as exc:
                import logging

                logging.getLogger("takeline.farm").exception("job %s failed", key)
                if type(exc).__name__ == "OutOfMemoryError":
                    return {"failed": str(OutOfMemory.kind), "message": str(exc),
                            "suggestion": "choose a lower memory mode, fewer frames or a "
                                          "smaller size"}
                return {"failed": "error", "message": f"{type(exc).__name__}: {exc}",
                        "suggestion": f"see the Ray worker's log on {self.host}"}
            self.model_key = spec.model_key
            self.jobs_run += 1
            media = Path(result.media_file)
            data = media.read_bytes()
            media.unlink(missing_ok=True)
            facts = {**result.facts, "farm_node": self.info()["node"],
                     "farm_device": self._device()[0]}
            sound: dict[str, Any] = {}
            if result.audio is not None:  # a joint audio-video take's sound (LTX-2)
                wav = Path(result.audio["media_file"])
                sound_data = wav.read_bytes()
                wav.unlink(missing_ok=True)
                sound = {"sound_data": sound_data,
                         "sound_sha256": hashlib.sha256(sound_data).hexdigest()}
            return {"result": {**result.to_json(), "facts": facts}, "data": data,
                    "sha256": hashlib.sha256(data).hexdigest(), "suffix": media.suffix,
                    "progress": self.progress.get(key), **sound}
        except GenerationError as exc:
            return {"failed": str(exc.kind), "message": str(exc), "suggestion": exc.suggestion}
        finally:
            self.current = None
            self.progress.pop(key, None)
            self.cancelled.discard(key)
            import shutil

            shutil.rmtree(out_dir, ignore_errors=True)


# --------------------------------------------------------------------------- the editor side
def _actor_gone_errors(ray: Any) -> tuple[type[BaseException], ...]:
    names = ("RayActorError", "ActorDiedError", "ActorUnavailableError", "NodeDiedError",
             "WorkerCrashedError", "ObjectLostError", "OwnerDiedError")
    return tuple(getattr(ray.exceptions, n) for n in names if hasattr(ray.exceptions, n))


class RaySlot:
    """One farm actor as the queue drives it."""

    def __init__(self, ray: Any, actor: Any, info: Mapping[str, Any], name: str, *,
                 poll_s: float = 0.25, cancel_grace_s: float = 30.0,
                 call_timeout_s: float = 120.0) -> None:
        self.ray = ray
        self.actor = actor
        self.poll_s = poll_s
        self.cancel_grace_s = cancel_grace_s
        self.call_timeout_s = call_timeout_s
        self.node = str(info.get("node", ""))
        self.pid = info.get("pid")
        self.info = WorkerInfo(name=name, host=str(info.get("host", "")),
                               device=str(info.get("device", "")),
                               free_memory=info.get("free_memory"))
        self._cancel: dict[int, float] = {}  # job id -> when its cancel was asked
        self.blobs_sent = 0
        self.jobs_done = 0
        # Shared by the slots of one pool (RayPool sets it): node -> its shipping lock.
        self.node_locks: dict[tuple[int, str], asyncio.Lock] = {}

    def _gone(self, why: str) -> WorkerLost:
        self.info = replace(self.info, alive=False, job_id=None)
        return WorkerLost(f"farm worker {self.info.name} on {self.info.host} is gone ({why})")

    async def _call(self, ref: Any, timeout: float | None = None) -> Any:
        try:
            return await asyncio.to_thread(self.ray.get, ref,
                                           timeout=timeout or self.call_timeout_s)
        except _actor_gone_errors(self.ray) as exc:
            raise self._gone(type(exc).__name__) from None
        except self.ray.exceptions.GetTimeoutError:
            raise self._gone("it stopped answering") from None

    async def _ship(self, files: Mapping[str, tuple[str, str]]) -> None:
        blobs = sorted(set(files.values()))
        if not blobs:
            return
        # One shipment at a time per node: its actors share one blob cache, so a second
        # actor asking for the same file waits, then finds it there.
        key = (id(asyncio.get_running_loop()), self.node)
        lock = self.node_locks.setdefault(key, asyncio.Lock())
        async with lock:
            await self._ship_missing(files, blobs)

    async def _ship_missing(self, files: Mapping[str, tuple[str, str]],
                            blobs: list[tuple[str, str]]) -> None:
        missing = set(await self._call(self.actor.missing.remote(blobs)))
        for path, (sha, suffix) in files.items():
            if sha not in missing:
                continue
            missing.discard(sha)
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                offset = 0
                while True:
                    chunk = f.read(BLOB_CHUNK)
                    last = offset + len(chunk) >= size
                    await self._call(self.actor.put_blob.remote(sha, suffix, chunk, offset,
                                                                last))
                    offset += len(chunk)
                    if last:
                        break
            self.blobs_sent += 1

    async def run(self, job_id: int, spec: JobSpec, out_dir: Path,
                  on_progress: Callable[[int, int], None] | None = None) -> RunResult:
        if not self.info.alive:
            raise WorkerLost(f"farm worker {self.info.name} is gone")
        self.info = replace(self.info, job_id=job_id)
        try:
            return await self._run(job_id, spec, out_dir, on_progress)
        finally:
            self._cancel.pop(job_id, None)
            self.info = replace(self.info, job_id=None)

    async def _run(self, job_id: int, spec: JobSpec, out_dir: Path,
                   on_progress: Callable[[int, int], None] | None) -> RunResult:
        if job_id in self._cancel:
            raise WorkerCancelled()
        files = await asyncio.to_thread(input_blobs, spec)
        await self._ship(files)
        key = f"{job_id}-{uuid.uuid4().hex[:12]}"
        ref = self.actor.run.remote(key, spec.to_json(), files)
        last: tuple[int, int] | None = None
        cancel_sent = False
        while True:
            ready, _ = await asyncio.to_thread(self.ray.wait, [ref], timeout=self.poll_s)
            if ready:
                break
            asked = self._cancel.get(job_id)
            if asked is not None and not cancel_sent:
                self.actor.cancel.remote(key)
                cancel_sent = True
            if asked is not None and time.monotonic() - asked > self.cancel_grace_s:
                # It does not stop (a hung kernel): the actor goes, the job is cancelled.
                self.ray.kill(self.actor, no_restart=True)
                self.info = replace(self.info, alive=False)
                raise WorkerCancelled()
            step = await self._call(self.actor.poll.remote(key))
            if step is not None and tuple(step) != last:
                last = (int(step[0]), int(step[1]))
                if on_progress is not None:
                    on_progress(*last)
        out = await self._call(ref)  # an actor gone mid-job comes out as WorkerLost
        final = out.get("progress")
        if final is not None and tuple(final) != last and on_progress is not None:
            on_progress(int(final[0]), int(final[1]))  # the steps after the last poll
        if out.get("cancelled"):
            raise WorkerCancelled()
        if "failed" in out:
            raise WorkerFailed(FailureKind(out["failed"]), out["message"], out["suggestion"])
        if hashlib.sha256(out["data"]).hexdigest() != out["sha256"]:
            raise WorkerFailed(FailureKind.ERROR, "the take file came back damaged from "
                               f"{self.info.host}", "run the job again")
        out_dir.mkdir(parents=True, exist_ok=True)
        media = out_dir / f"take-farm-{uuid.uuid4().hex[:12]}{out['suffix']}"
        await asyncio.to_thread(media.write_bytes, out["data"])
        shipped = {**out["result"], "media_file": str(media)}
        if shipped.get("audio") is not None and "sound_data" in out:
            if hashlib.sha256(out["sound_data"]).hexdigest() != out["sound_sha256"]:
                raise WorkerFailed(FailureKind.ERROR, "the take's sound came back damaged "
                                   f"from {self.info.host}", "run the job again")
            wav = out_dir / f"take-farm-{uuid.uuid4().hex[:12]}.wav"
            await asyncio.to_thread(wav.write_bytes, out["sound_data"])
            shipped["audio"] = {**shipped["audio"], "media_file": str(wav)}
        result = RunResult.from_json(shipped)
        self.info = replace(self.info, model_key=spec.model_key)
        self.jobs_done += 1
        return result

    def cancel(self, job_id: int) -> None:
        self._cancel.setdefault(job_id, time.monotonic())

    def kill(self) -> None:
        """Kill the actor now (as a node dying would)."""
        self.ray.kill(self.actor, no_restart=True)

    async def close(self) -> None:
        self.terminate()

    def terminate(self) -> None:
        if self.info.alive:
            try:
                self.ray.kill(self.actor, no_restart=True)
            except Exception:  # already gone, or the cluster connection is closed
                pass
            self.info = replace(self.info, alive=False)


def _use_auth_token() -> None:
    """Ray 2.59+ clusters started with ``ray start`` require a token, which a driver on the
    head node finds by itself but a Ray Client (ray://) only sends with RAY_AUTH_MODE=token:
    set it when a token is at hand (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token)."""
    if os.environ.get("RAY_AUTH_MODE"):
        return
    if (os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
            or (Path.home() / ".ray" / "auth_token").is_file()):
        os.environ["RAY_AUTH_MODE"] = "token"


class RayPool(WorkerPool):
    """The actors of a Ray farm: one per GPU of the cluster (``num_gpus=1``: Ray pins each
    to its GPU with CUDA_VISIBLE_DEVICES), or, on a cluster without GPUs, one CPU actor per
    node (``workers`` to choose how many). ``address``: ``"auto"``, ``"ray://HOST:PORT"``,
    or None to use the Ray session this process has already started (``ray.init``).

    ``actor_env``: environment of each actor in turn (tests inject faults this way);
    ``cpus_per_worker``: Ray CPUs each actor reserves (default: a fair share, see _plan)."""

    def __init__(self, address: str | None = None, *, workers: int | None = None,
                 blob_dir: str | os.PathLike[str] | None = None,
                 actor_env: Sequence[Mapping[str, str]] = (),
                 start_timeout_s: float = 300.0, cancel_grace_s: float = 30.0,
                 shutdown_on_close: bool | None = None,
                 cpus_per_worker: int | None = None) -> None:
        super().__init__([])
        self.cpus_per_worker = cpus_per_worker
        self.address = address
        self.wanted = workers
        self.blob_dir = None if blob_dir is None else str(blob_dir)
        self.actor_env = list(actor_env)
        self.start_timeout_s = start_timeout_s
        self.cancel_grace_s = cancel_grace_s
        self._started = False
        self._shutdown = shutdown_on_close
        self.ray: Any = None

    def connect(self) -> Any:
        ray = ray_module()
        if not ray.is_initialized():
            if self.address is None:
                raise FarmError("no Ray cluster to use", "pass a farm address")
            try:
                ray.init(address=self.address, log_to_driver=False,
                         logging_level="ERROR")
            except Exception as exc:
                raise FarmError(
                    f"could not reach the Ray cluster at {self.address}: "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                    "start it with `ray start --head` on the head node (and `ray start "
                    "--address HEAD:6379` on the others), then pass ray://HEAD:10001; a "
                    "cluster with token authentication (Ray's default from 2.59) needs its "
                    "token here too: `ray get-auth-token` on the head node, into "
                    "RAY_AUTH_TOKEN or ~/.ray/auth_token") from None
            if self._shutdown is None:
                self._shutdown = True
        self.ray = ray
        return ray

    def _plan(self, ray: Any) -> list[dict[str, Any]]:
        """The actors' Ray options: one per GPU, or CPU actors with a fair share of the CPUs
        each (Ray sets an actor's OMP_NUM_THREADS to its num_cpus, so torch uses that many
        threads): one per node with all its CPUs, or ``workers`` sharing the cluster's."""
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if gpus:
            n = min(self.wanted or gpus, gpus)
            return [{"num_gpus": 1, "num_cpus": self.cpus_per_worker or 1} for _ in range(n)]
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        if self.wanted is not None or len(nodes) <= 1:
            n = self.wanted or 1
            share = self.cpus_per_worker or max(1, int(resources.get("CPU", 1) // n))
            return [{"num_cpus": share} for _ in range(n)]
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        return [{"num_cpus": self.cpus_per_worker or max(1, int(n["Resources"].get("CPU", 1))),
                 "scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=n["NodeID"],
                                                                      soft=True)}
                for n in nodes]

    async def start(self) -> None:
        if self._started:
            return
        ray = await asyncio.to_thread(self.connect)
        remote = ray.remote(FarmWorker)
        actors = []
        for i, options in enumerate(self._plan(ray)):
            env = dict(self.actor_env[i]) if i < len(self.actor_env) else {}
            opts = {**options, "max_concurrency": 4, "max_restarts": 0, "max_task_retries": 0}
            if env:
                opts["runtime_env"] = {"env_vars": env}
            actors.append(remote.options(**opts).remote(self.blob_dir))
        try:
            infos = await asyncio.to_thread(ray.get, [a.info.remote() for a in actors],
                                            timeout=self.start_timeout_s)
        except Exception as exc:
            for a in actors:
                ray.kill(a, no_restart=True)
            raise FarmError(f"the farm's workers did not start: {type(exc).__name__}",
                            "check that every node has takeline installed (pip install "
                            "'takeline[generate,farm]'), the same version as here") from None
        self.slots = []
        locks: dict[tuple[int, str], asyncio.Lock] = {}
        for i, (actor, info) in enumerate(zip(actors, infos, strict=True)):
            tail = "gpu" if str(info["device"]).startswith("cuda") else "cpu"
            slot = RaySlot(ray, actor, info, f"farm:{info['node']}/{tail}{i}",
                           cancel_grace_s=self.cancel_grace_s)
            slot.node_locks = locks
            self.slots.append(slot)
        self._started = True

    @property
    def blobs_sent(self) -> int:
        return sum(getattr(s, "blobs_sent", 0) for s in self.slots)

    def terminate(self) -> None:
        for s in self.slots:
            s.terminate()
        self._started = False
        if self._shutdown and self.ray is not None:
            self.ray.shutdown()

    async def close(self) -> None:
        self.terminate()


def make_pool(address: str, *, workers: int | None = None,
              blob_dir: str | None = None) -> WorkerPool:
    """The pool a farm address names (``FarmAddress``); ``workers``: how many Ray actors
    (default: one per GPU of the cluster, or one per node without GPUs)."""
    parsed = FarmAddress.parse(address)
    if parsed.kind == "local":
        from generation.workers import LocalPool

        return LocalPool(parsed.workers)
    ray_module()  # a clear error now when Ray is missing, before the project is opened
    return RayPool(parsed.ray_address, workers=workers, blob_dir=blob_dir)


__all__ = ["FarmAddress", "FarmError", "FarmWorker", "RayPool", "RaySlot", "Slot",
           "WorkerInfo", "input_blobs", "make_pool"]
