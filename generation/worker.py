"""The inference worker: a separate process that owns torch, diffusers and the GPU.

A CUDA OOM, a segfault or a hung kernel takes down this process, never the editor. It runs
one job at a time and keeps the last pipeline loaded, so jobs for the same model run back
to back without reloading. Messages are plain dicts over a ``multiprocessing`` pipe:

  editor -> worker: {"type": "run", "job", "spec", "out_dir"}, {"type": "cancel", "job"},
                    {"type": "quit"}
  worker -> editor: {"type": "ready", "pid"}, {"type": "started", "job"},
                    {"type": "progress", "job", "step", "total"},
                    {"type": "finished", "job", "result"},
                    {"type": "failed", "job", "kind", "message", "suggestion"},
                    {"type": "cancelled", "job"}

A listener thread reads the pipe while the main thread runs inference, so a cancel arrives
during a step and is acted on at the next ``callback_on_step_end``.

``TAKELINE_WORKER_FAULT`` (tests only) injects a failure at a step: ``oom@N`` raises CUDA's
out-of-memory error, ``hang@N`` stops responding, ``crash@N`` kills the process.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def _fault() -> tuple[str, int] | None:
    spec = os.environ.get("TAKELINE_WORKER_FAULT")
    if not spec:
        return None
    kind, _, step = spec.partition("@")
    return kind, int(step or 1)


def _quiet_libraries() -> None:
    """Loading bars and per-call log lines from diffusers/transformers would interleave with
    the editor's own progress on the terminal; the worker reports progress itself."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import diffusers.utils.logging as dlog
        import transformers.utils.logging as tlog
    except ImportError:
        return
    dlog.disable_progress_bar()
    dlog.set_verbosity_error()
    tlog.disable_progress_bar()
    tlog.set_verbosity_error()


def worker_main(conn: Connection) -> None:
    from generation.backends.base import GenerationError, JobCancelled, OutOfMemory
    from generation.execute import run_spec
    from generation.spec import JobSpec

    send_lock = threading.Lock()

    def send(msg: dict[str, Any]) -> None:
        with send_lock:
            conn.send(msg)

    cancelled: set[int] = set()
    jobs: list[dict[str, Any]] = []
    wake = threading.Condition()

    def listen() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = {"type": "quit"}
            with wake:
                if msg["type"] == "cancel":
                    cancelled.add(msg["job"])
                else:
                    jobs.append(msg)
                wake.notify()
            if msg["type"] == "quit":
                return

    threading.Thread(target=listen, name="takeline-worker-listen", daemon=True).start()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    send({"type": "ready", "pid": os.getpid()})
    quieted = False  # diffusers' logging imports torch (3 s): only for a model's first job
    cache: dict[str, Any] = {}
    fault = _fault()
    while True:
        with wake:
            while not jobs:
                wake.wait()
            msg = jobs.pop(0)
        if msg["type"] == "quit":
            return
        job = msg["job"]
        if job in cancelled:
            cancelled.discard(job)
            send({"type": "cancelled", "job": job})
            continue
        send({"type": "started", "job": job})

        def progress(step: int, total: int, job: int = job) -> None:
            if fault is not None and step == fault[1]:
                _inject(fault[0])
            send({"type": "progress", "job": job, "step": step, "total": total})

        try:
            spec = JobSpec.from_json(msg["spec"])
            if spec.backend != "previz" and not quieted:
                _quiet_libraries()
                quieted = True
            result = run_spec(spec, Path(msg["out_dir"]), progress,
                              lambda job=job: job in cancelled, cache)
        except JobCancelled:
            send({"type": "cancelled", "job": job})
        except GenerationError as exc:
            send({"type": "failed", "job": job, "kind": exc.kind, "message": str(exc),
                  "suggestion": exc.suggestion})
        except Exception as exc:
            kind, suggestion = "error", "see the worker's log for details and retry the job"
            if type(exc).__name__ == "OutOfMemoryError":
                wrapped = OutOfMemory("the GPU ran out of memory")
                kind, suggestion = wrapped.kind, (
                    "choose a lower memory mode (model-offload, group-offload or "
                    "sequential-offload), fewer frames or a smaller size")
            traceback.print_exc()
            send({"type": "failed", "job": job, "kind": kind,
                  "message": f"{type(exc).__name__}: {exc}", "suggestion": suggestion})
        else:
            send({"type": "finished", "job": job, "result": result.to_json()})


def _inject(kind: str) -> None:
    if kind == "oom":
        import torch

        raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected by "
                                          "TAKELINE_WORKER_FAULT)")
    if kind == "hang":
        while True:
            time.sleep(3600)
    if kind == "crash":
        os._exit(139)  # what a segfault looks like from outside, minus the core file
