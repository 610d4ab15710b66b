"""``BackgroundJobs``: a small queue of named jobs run on worker threads, Qt-free.

Used for work the editor wants done but not waited for: filmstrip thumbnails, waveform
peaks, proxies. A job is a callable taking a :class:`JobContext`; what it returns becomes
the handle's ``result``, what it raises becomes the handle's ``error`` (a one-line message
naming the job) and state ``failed``. Nothing is started and forgotten: every job ends in
``done``, ``failed`` or ``cancelled``, and every change of state or progress is reported
through ``on_update(handle)``.

Threads: ``on_update`` runs on the worker thread that runs the job (a UI posts it to its
own thread, e.g. through a queued Qt signal). The exception: a job cancelled before it
started is reported on the thread that cancelled it (``cancel`` or ``close``), so its
handle is final when ``cancel`` returns.

Cancelling is cooperative. ``cancel`` marks the handle; a running job sees
``context.cancelled`` and ``context.progress`` raises :class:`JobCancelled` from then on,
so a job that reports progress stops at its next report without checking anything.

Dedupe: a job submitted with a ``key`` equal to that of a queued or running job is not
queued again; ``submit`` returns the existing handle. A finished job frees its key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from enum import StrEnum
from typing import Any

from timeline.priority import background_thread

__all__ = [
    "BackgroundJobs",
    "JobCancelled",
    "JobContext",
    "JobHandle",
    "JobState",
    "UpdateCallback",
]

_log = logging.getLogger(__name__)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class JobCancelled(Exception):
    """Raised inside a job (by ``JobContext.progress`` or ``check``) once it is cancelled."""


UpdateCallback = Callable[["JobHandle"], None]


class JobHandle:
    """What the submitter holds: the job's state, progress, error and result.

    Fields are written by the runner only; read them from any thread. ``progress`` is
    ``(done, total)``; ``total`` is 0 until the job reports one.
    """

    def __init__(self, name: str, key: Hashable | None,
                 fn: Callable[[JobContext], Any], on_update: UpdateCallback | None) -> None:
        self.name = name
        self.key = key
        self.state = JobState.QUEUED
        self.progress: tuple[int, int] = (0, 0)
        self.error: str | None = None
        self.result: Any = None
        self._fn = fn
        self._on_update = on_update
        self._cancel_requested = False
        self._finished = threading.Event()

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    @property
    def fraction(self) -> float:
        """Progress as 0..1 for a progress bar (0 while the total is unknown)."""
        done, total = self.progress
        return min(1.0, done / total) if total > 0 else 0.0

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done, failed or cancelled; False on timeout."""
        return self._finished.wait(timeout)

    def __repr__(self) -> str:
        return f"JobHandle({self.name!r}, state={self.state.value}, progress={self.progress})"


class JobContext:
    """Given to a running job: report progress, notice cancellation."""

    def __init__(self, handle: JobHandle, notify: Callable[[JobHandle], None]) -> None:
        self._handle = handle
        self._notify = notify

    @property
    def name(self) -> str:
        return self._handle.name

    @property
    def cancelled(self) -> bool:
        return self._handle.cancel_requested

    def check(self) -> None:
        """Raise :class:`JobCancelled` if the job has been cancelled."""
        if self._handle.cancel_requested:
            raise JobCancelled(self._handle.name)

    def progress(self, done: int, total: int) -> None:
        """Record ``done`` of ``total`` units and report it; raises JobCancelled once the
        job is cancelled, which ends it as ``cancelled``."""
        self.check()
        self._handle.progress = (int(done), int(total))
        self._notify(self._handle)


class BackgroundJobs:
    """A FIFO of jobs served by ``workers`` threads (one by default: background work
    should not compete with playback for cores).

    ``on_update`` (optional) is called for every job's updates, after the job's own
    ``on_update``. Exceptions raised by callbacks are logged and otherwise ignored: a
    broken listener does not kill the worker.
    """

    def __init__(self, workers: int = 1, *, on_update: UpdateCallback | None = None,
                 name: str = "takeline-background") -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.on_update = on_update
        self._cond = threading.Condition()
        self._queue: deque[JobHandle] = deque()
        self._active: dict[Hashable, JobHandle] = {}  # key -> queued or running handle
        self._running: set[JobHandle] = set()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ public API
    def submit(self, name: str, fn: Callable[[JobContext], Any], *,
               key: Hashable | None = None, on_update: UpdateCallback | None = None
               ) -> JobHandle:
        """Queue ``fn(context)``; returns its handle, or the handle of the queued or running
        job with the same ``key``."""
        with self._cond:
            if self._closed:
                raise RuntimeError(f"cannot submit {name!r}: the background runner is closed")
            if key is not None:
                existing = self._active.get(key)
                if existing is not None:
                    return existing
            handle = JobHandle(name, key, fn, on_update)
            if key is not None:
                self._active[key] = handle
            self._queue.append(handle)
            self._cond.notify()
        return handle

    def cancel(self, handle: JobHandle) -> bool:
        """Cancel a queued job at once, or ask a running one to stop. False if the job had
        already finished."""
        with self._cond:
            if handle.finished:
                return False
            handle._cancel_requested = True
            if handle.state is not JobState.QUEUED:
                return True  # running: it stops at its next progress report or check
            self._queue.remove(handle)
            self._forget(handle)
            handle.state = JobState.CANCELLED
            self._cond.notify_all()
        self._notify(handle)
        handle._finished.set()
        return True

    def pending(self) -> list[JobHandle]:
        """Queued and running jobs, running first."""
        with self._cond:
            return [*self._running, *self._queue]

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queue or self._running:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float | None = 10.0) -> bool:
        """Cancel queued jobs, ask running ones to stop, and join the workers. Returns False
        if a worker was still busy after ``timeout`` seconds (its thread is a daemon).
        Closing twice is harmless."""
        with self._cond:
            self._closed = True
            dropped = list(self._queue)
            self._queue.clear()
            for handle in dropped:
                handle._cancel_requested = True
                handle.state = JobState.CANCELLED
                self._forget(handle)
            for handle in self._running:
                handle._cancel_requested = True
            self._cond.notify_all()
        for handle in dropped:
            self._notify(handle)
            handle._finished.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            if thread is threading.current_thread():
                continue
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads if t is not threading.current_thread())

    def __enter__(self) -> BackgroundJobs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _forget(self, handle: JobHandle) -> None:
        if handle.key is not None and self._active.get(handle.key) is handle:
            del self._active[handle.key]

    def _notify(self, handle: JobHandle) -> None:
        for callback in (handle._on_update, self.on_update):
            if callback is None:
                continue
            try:
                callback(handle)
            except Exception:
                _log.exception("on_update callback failed for background job %r", handle.name)

    def _work(self) -> None:
        background_thread(4)  # thumbnails, proxies, renders: after the UI thread
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return  # closed and drained
                handle = self._queue.popleft()
                handle.state = JobState.RUNNING
                self._running.add(handle)
            self._notify(handle)
            state, result, error = self._run(handle)
            with self._cond:
                # Final state and freeing the key together: a submit with the same key
                # sees either the running job or none, never a finished one.
                handle.result, handle.error, handle.state = result, error, state
                self._running.discard(handle)
                self._forget(handle)
                self._cond.notify_all()
            self._notify(handle)
            handle._finished.set()

    def _run(self, handle: JobHandle) -> tuple[JobState, Any, str | None]:
        context = JobContext(handle, self._notify)
        try:
            result = handle._fn(context)
        except JobCancelled:
            return JobState.CANCELLED, None, None
        except Exception as exc:  # every failure ends up on the handle, none is lost
            _log.debug("background job %r failed", handle.name, exc_info=True)
            message = str(exc) or type(exc).__name__
            return JobState.FAILED, None, f"{handle.name}: {message}"
        if handle.cancel_requested:
            # Finished anyway, but whoever cancelled no longer wants the result.
            return JobState.CANCELLED, None, None
        return JobState.DONE, result, None
