"""The inference worker: a separate process that owns torch, diffusers and the GPU.

A CUDA OOM, a segfault or a hung kernel takes down this process, never the editor. It runs
one job at a time and keeps the last pipeline loaded, so jobs for the same model run back
to back without reloading. Messages are the dataclasses of ``generation.messages`` over a
``multiprocessing`` pipe:

  editor -> worker: RunJob(job, spec, out_dir), CancelJob(job), Quit()
  worker -> editor: Ready(pid), Started(job), Progress(job, step, total),
                    Finished(job, result), Failed(job, kind, message, suggestion),
                    Cancelled(job)

A listener thread reads the pipe while the main thread runs inference, so a cancel arrives
during a step and is acted on at the next ``callback_on_step_end``.

``TAKELINE_WORKER_FAULT`` (tests only) injects a failure at a step: ``oom@N`` raises CUDA's
out-of-memory error, ``hang@N`` stops responding, ``crash@N`` kills the process.
"""

from __future__ import annotations

import logging
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


# Below the editor, above its exports and measuring (nice 4): a take is waited for.
WORKER_NICE = 2


def worker_main(conn: Connection, env: dict[str, str] | None = None) -> None:
    # The device this worker owns (CUDA_VISIBLE_DEVICES=N: one worker per GPU), set before
    # anything can import torch, which reads it once.
    if env:
        os.environ.update(env)
    # A segfault in a CUDA kernel or a native extension leaves every thread's stack in
    # worker.log beside the editor's log (stderr when the editor keeps none), not just
    # "worker died".
    from generation.process_log import start_worker_log
    from timeline.priority import background_process, own_session

    # A session of its own, a step below the editor: importing torch and a previz render
    # are seconds of CPU that would otherwise come out of the editor's share (autogroups),
    # its UI thread's too. On a GPU the worker mostly waits for kernels, so this costs it
    # nothing until the editor wants the CPU (playback while a queue runs).
    own_session()
    background_process(WORKER_NICE)
    start_worker_log()

    from generation.backends.base import GenerationError, JobCancelled, OutOfMemory
    from generation.execute import run_spec
    from generation.messages import (
        CancelJob,
        Cancelled,
        Failed,
        FailureKind,
        Finished,
        FromWorker,
        Progress,
        Quit,
        Ready,
        RunJob,
        Started,
    )

    send_lock = threading.Lock()

    def send(msg: FromWorker) -> None:
        with send_lock:
            conn.send(msg)

    cancelled: set[int] = set()
    jobs: list[RunJob | Quit] = []
    wake = threading.Condition()

    def listen() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = Quit()
            with wake:
                if isinstance(msg, CancelJob):
                    cancelled.add(msg.job)
                else:
                    jobs.append(msg)
                wake.notify()
            if isinstance(msg, Quit):
                return

    threading.Thread(target=listen, name="takeline-worker-listen", daemon=True).start()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    send(Ready(os.getpid()))
    quieted = False  # diffusers' logging imports torch (3 s): only for a model's first job
    cache: dict[str, Any] = {}
    fault = _fault()
    while True:
        with wake:
            while not jobs:
                wake.wait()
            msg = jobs.pop(0)
        if isinstance(msg, Quit):
            return
        job = msg.job
        if job in cancelled:
            cancelled.discard(job)
            send(Cancelled(job))
            continue
        send(Started(job))

        def progress(step: int, total: int, job: int = job) -> None:
            if fault is not None and step == fault[1]:
                _inject(fault[0])
            send(Progress(job, step, total))

        try:
            spec = msg.spec
            if spec.backend != "previz" and not quieted:
                _quiet_libraries()
                quieted = True
            result = run_spec(spec, Path(msg.out_dir), progress,
                              lambda job=job: job in cancelled, cache)
        except JobCancelled:
            send(Cancelled(job))
        except GenerationError as exc:
            send(Failed(job, FailureKind(exc.kind), str(exc), exc.suggestion))
        except Exception as exc:
            kind = FailureKind.ERROR
            suggestion = "see the worker's log for details and retry the job"
            if type(exc).__name__ == "OutOfMemoryError":
                kind, suggestion = FailureKind(OutOfMemory.kind), (
                    "choose a lower memory mode (model-offload, group-offload or "
                    "sequential-offload), fewer frames or a smaller size")
            traceback.print_exc()
            logging.getLogger("takeline.worker").exception("job %d failed", job)
            send(Failed(job, kind, f"{type(exc).__name__}: {exc}", suggestion))
        else:
            send(Finished(job, result))


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
