"""A render queue: exports run one after another on a background thread, each with its own
progress and cancel, failures kept as messages for the user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from timeline.engine.background import BackgroundJobs, JobCancelled, JobContext, JobHandle
from timeline.engine.export import ExportCancelled, ExportProgress, ExportResult

ExportCall = Callable[[Callable[[ExportProgress], None], Callable[[], bool]], ExportResult]


class RenderQueue:
    """``add(name, run)`` queues ``run(progress, cancelled)`` (a bound ``export_sequence``
    call); jobs run in order, one at a time. ``on_update(handle)`` fires from the worker."""

    def __init__(self, on_update: Callable[[JobHandle], None] | None = None) -> None:
        self._jobs = BackgroundJobs(workers=1, on_update=on_update, name="takeline-render")
        self.handles: list[JobHandle] = []

    def add(self, name: str, run: ExportCall, *, key: Any = None) -> JobHandle:
        def job(ctx: JobContext) -> ExportResult:
            def progress(p: ExportProgress) -> None:
                ctx.progress(p.done, p.total)

            try:
                return run(progress, lambda: ctx.cancelled)
            except ExportCancelled:
                raise JobCancelled() from None

        handle = self._jobs.submit(name, job, key=key)
        self.handles.append(handle)
        return handle

    def cancel(self, handle: JobHandle) -> None:
        self._jobs.cancel(handle)

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._jobs.wait_idle(timeout)

    def close(self) -> None:
        self._jobs.close()


def output_of(handle: JobHandle) -> Path | None:
    result = handle.result
    return result.path if isinstance(result, ExportResult) else None
