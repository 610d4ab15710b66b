"""The editor's side of the worker: start it, send jobs, receive progress, cancel, and notice
when it dies or hangs. Works on any asyncio loop (plain asyncio in the CLI, qasync in the
window): a reader thread turns pipe messages into loop callbacks, so nothing blocks the loop.

Failure handling: the process exiting mid-job (kill -9, segfault), a job making no progress
for ``stall_timeout_s`` or ignoring a cancel for ``cancel_grace_s`` all end with the process
killed and a ``WorkerFailed`` (or ``WorkerCancelled``) for the job; the next job starts a
fresh worker. After an out-of-memory failure the worker is restarted too, so the next job
gets a clean GPU.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generation.execute import RunResult
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
    ToWorker,
    WorkerDied,
)
from generation.spec import JobSpec
from timeline.process_exit import describe_exit
from timeline.spawning import spawn_context

Inbox = asyncio.Queue[FromWorker | WorkerDied]


class WorkerFailed(Exception):
    def __init__(self, kind: FailureKind | str, message: str, suggestion: str = "") -> None:
        super().__init__(message)
        self.kind = FailureKind(kind)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        return f"{self.message}. {self.suggestion}" if self.suggestion else self.message


class WorkerCancelled(Exception):
    pass


class WorkerClient:
    def __init__(self, *, stall_timeout_s: float = 900.0, cancel_grace_s: float = 5.0,
                 start_timeout_s: float = 120.0, env: dict[str, str] | None = None) -> None:
        """``env``: variables the worker process sets before it imports torch, e.g.
        ``{"CUDA_VISIBLE_DEVICES": "1"}`` to pin it to one GPU."""
        self.env = dict(env or {})
        self.stall_timeout_s = stall_timeout_s
        self.cancel_grace_s = cancel_grace_s
        self.start_timeout_s = start_timeout_s
        self._proc: Any = None
        self._conn: Any = None
        self._queue: Inbox | None = None
        self._cancel_deadline: dict[int, float] = {}
        self._sink: tuple[Any, Any] = (None, None)  # (loop, queue) the reader posts to
        self._runs = 0
        self._wire_ids: dict[int, int] = {}  # job id -> run number sent to the worker
        self.starts = 0  # how many worker processes this client has started

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    async def _ensure_started(self) -> Inbox:
        loop = asyncio.get_running_loop()
        if self.alive and self._queue is not None:
            if self._sink[0] is not loop:
                # A new event loop (each CLI command runs its own): re-point the reader.
                self._queue = asyncio.Queue()
                self._sink = (loop, self._queue)
            return self._queue
        self._stop_process()
        from generation.worker import worker_main

        ctx = spawn_context()  # no inherited CUDA state, threads or Qt
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker_main, args=(child, self.env), name="takeline-worker",
                           daemon=True)
        proc.start()
        child.close()
        self.starts += 1
        queue: Inbox = asyncio.Queue()
        self._sink = (loop, queue)

        def read() -> None:
            while True:
                msg: FromWorker | WorkerDied
                try:
                    msg = parent.recv()
                except (EOFError, OSError):
                    msg = WorkerDied()
                if self._conn is not parent and self._conn is not None:
                    return  # a newer worker has replaced this one
                sink_loop, sink_queue = self._sink
                try:
                    sink_loop.call_soon_threadsafe(sink_queue.put_nowait, msg)
                except RuntimeError:  # that loop is closed: nobody is listening any more
                    pass
                if isinstance(msg, WorkerDied):
                    return

        self._proc, self._conn, self._queue = proc, parent, queue
        threading.Thread(target=read, name="takeline-worker-reader", daemon=True).start()
        msg = await self._next(queue, self.start_timeout_s)
        if not isinstance(msg, Ready):
            self._stop_process()
            raise WorkerFailed(FailureKind.CRASH, "the generation worker did not start "
                               f"({describe_exit(proc.exitcode)})",
                               "check that torch and diffusers are installed: pip install "
                               "'takeline[generate]' (or make run in a clone)")
        return queue

    @staticmethod
    async def _next(queue: Inbox, timeout: float) -> FromWorker | WorkerDied | None:
        try:
            return await asyncio.wait_for(queue.get(), timeout)
        except TimeoutError:
            return None

    def _send(self, msg: ToWorker) -> None:
        try:
            self._conn.send(msg)
        except (OSError, AttributeError):
            pass  # the reader sees the death and reports it

    def cancel(self, job_id: int) -> None:
        """Ask the worker to stop the job at its next step; killed if it does not within
        ``cancel_grace_s``."""
        self._cancel_deadline.setdefault(job_id, time.monotonic() + self.cancel_grace_s)
        wire = self._wire_ids.get(job_id)
        if self._conn is not None and wire is not None:
            self._send(CancelJob(wire))

    async def run(self, job_id: int, spec: JobSpec, out_dir: Path,
                  on_progress: Callable[[int, int], None] | None = None) -> RunResult:
        if job_id in self._cancel_deadline:
            self._cancel_deadline.pop(job_id)
            raise WorkerCancelled()
        queue = await self._ensure_started()
        # The worker hears this client's own run numbers: job ids repeat across projects.
        self._runs += 1
        wire = self._wire_ids[job_id] = self._runs
        self._send(RunJob(wire, spec, Path(out_dir)))
        try:
            return await self._await_result(job_id, wire, queue, on_progress)
        finally:
            self._cancel_deadline.pop(job_id, None)
            self._wire_ids.pop(job_id, None)

    async def _await_result(self, job_id: int, wire: int, queue: Inbox,
                            on_progress: Callable[[int, int], None] | None) -> RunResult:
        last_message = time.monotonic()
        while True:
            now = time.monotonic()
            deadline = last_message + self.stall_timeout_s
            cancel_at = self._cancel_deadline.get(job_id)
            if cancel_at is not None:
                deadline = min(deadline, cancel_at)
            msg = await self._next(queue, max(0.05, min(deadline - now, 0.5)))
            if msg is None:
                now = time.monotonic()
                if cancel_at is not None and now >= cancel_at:
                    self._stop_process()
                    raise WorkerCancelled()
                if now >= last_message + self.stall_timeout_s:
                    self._stop_process()
                    raise WorkerFailed(
                        FailureKind.HANG, f"the generation worker made no progress for "
                        f"{self.stall_timeout_s:.0f} s and was stopped",
                        "retry the job; if it hangs again, choose a lower memory mode")
                continue
            last_message = time.monotonic()
            if isinstance(msg, WorkerDied):
                code = self._reap()
                raise WorkerFailed(
                    FailureKind.CRASH,
                    f"the generation worker died mid-job ({describe_exit(code)})",
                    "retry the job (a fresh worker is started); if it keeps crashing, "
                    "choose a lower memory mode or a smaller size")
            if getattr(msg, "job", None) != wire:
                continue  # a late message about an earlier, abandoned job
            if isinstance(msg, Progress):
                if on_progress is not None:
                    on_progress(msg.step, msg.total)
            elif isinstance(msg, Finished):
                return msg.result
            elif isinstance(msg, Cancelled):
                raise WorkerCancelled()
            elif isinstance(msg, Failed):
                if msg.kind == FailureKind.OOM:
                    self._stop_process()  # a fresh process gets a clean GPU
                raise WorkerFailed(msg.kind, msg.message, msg.suggestion)

    def _reap(self) -> int | None:
        proc = self._proc
        if proc is not None:
            proc.join(timeout=5)
        code = proc.exitcode if proc is not None else None
        self._proc = self._conn = self._queue = None
        return code

    def _stop_process(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = self._queue = None
        if proc is None:
            return
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=10)
        if conn is not None:
            conn.close()

    def terminate(self) -> None:
        """Kill the worker now (the editor is closing); for use outside the event loop."""
        self._stop_process()

    async def close(self) -> None:
        """Ask the worker to quit (it finishes nothing further), then make sure it is gone."""
        if self._proc is None:
            return
        self._send(Quit())
        proc = self._proc
        for _ in range(50):
            if not proc.is_alive():
                break
            await asyncio.sleep(0.1)
        self._stop_process()
