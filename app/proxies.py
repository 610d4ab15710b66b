"""Building proxies from the editor: one background job per video asset, progress in the
status bar, and the finished proxy handed to the frame source on the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from project_store.project import Project
from timeline.engine.background import BackgroundJobs, JobContext, JobHandle, JobState
from timeline.media.decode import VideoDecoder
from timeline.media.proxy import ProxyCancelled, build_proxy, find_proxy, proxy_path


class ProxyBuilder(QObject):
    """``build(project)`` queues a proxy job per online video asset without a proxy.

    ``ready(asset_id, path)`` fires on the UI thread when one is done; ``report`` gets
    progress and failures as status-bar text.
    """

    ready = Signal(int, object)
    _update = Signal(object)  # JobHandle, emitted on the worker thread

    def __init__(self, jobs: BackgroundJobs, *, report: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.report = report
        self.handles: dict[int, JobHandle] = {}
        self._update.connect(self._on_update)

    def build(self, project: Project) -> int:
        """Queue jobs; returns how many were queued."""
        queued = 0
        for asset in project.assets.values():
            if asset.probe.kind != "video" or asset.status != "ok":
                continue
            dst = proxy_path(project.media_root, asset.identity)
            probe, root, identity = asset.probe, project.media_root, asset.identity

            def job(ctx: JobContext, probe=probe, dst=dst, root=root,  # noqa: ANN001
                    identity=identity) -> Path:
                with VideoDecoder(probe) as d:
                    frames = d.frame_count
                existing = find_proxy(root, identity, frames)
                if existing is not None:
                    return existing
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    return build_proxy(probe, dst, progress=ctx.progress,
                                       cancelled=lambda: ctx.cancelled).path
                except ProxyCancelled:
                    ctx.check()
                    raise

            handle = self.jobs.submit(f"proxy {asset.name}", job,
                                      key=("proxy", asset.id, identity, str(root)),
                                      on_update=self._update.emit)
            handle.asset_id = asset.id  # type: ignore[attr-defined]
            self.handles[asset.id] = handle
            queued += 1
        return queued

    def forget(self) -> None:
        """Another project was opened: its proxies stop building, and one that finishes
        anyway is not handed on (asset ids are per project)."""
        for handle in self.handles.values():
            self.jobs.cancel(handle)
        self.handles.clear()

    def _on_update(self, handle: JobHandle) -> None:
        asset_id = getattr(handle, "asset_id", None)
        if asset_id is None or self.handles.get(asset_id) is not handle:
            return  # forgotten: another project is open now
        if handle.state is JobState.RUNNING:
            done, total = handle.progress
            if total and done % 24 == 0:
                self.report(f"Building {handle.name}: {done}/{total} frames")
        elif handle.state is JobState.DONE:
            self.report(f"{handle.name} ready")
            self.ready.emit(asset_id, handle.result)
        elif handle.state is JobState.FAILED:
            self.report(f"{handle.name} failed: {handle.error}")
