"""Filmstrips and waveforms for the timeline, made by background jobs and cached on disk.

``MediaCacheLoader.request(project)`` submits, for every asset that is online, one filmstrip
job (assets with pictures) and one peaks job (assets with sound) to a ``BackgroundJobs``
runner. Each job gets an immutable snapshot (path, probe, identity, cache folder, rate)
and loads its result from ``<project>.media/cache/`` or computes and writes it. Finished
jobs come back to the UI thread through a queued Qt signal; results for assets the project
no longer has (or whose file changed since) are dropped, failures go to ``report``.
Generated segments get the filmstrip of their active take the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.timeline_view import TimelineView
from project_store.assets import Asset
from project_store.db import ProjectError
from project_store.generation_records import GenerationRecords, TakeError
from project_store.project import Project
from timeline.engine.background import BackgroundJobs, JobContext, JobHandle, JobState
from timeline.media.probe import probe
from timeline.media.thumbnails import (
    Filmstrip,
    Waveform,
    cache_dir,
    load_or_compute_filmstrip,
    load_or_compute_waveform,
)
from timeline.model import GeneratedSegment

FILMSTRIP_HEIGHT = 64
FILMSTRIP_EVERY_SECONDS = 1

# (what, asset id, identity, cache folder[, sample rate]): one job per asset, file and cache.
JobKey = tuple[Any, ...]


class MediaCacheLoader(QObject):
    """Keeps ``view``'s filmstrips and waveforms in step with the project's assets."""

    finished = Signal(object)  # JobHandle, emitted on worker threads, handled on the UI's
    updated = Signal()  # after the view got new caches (for tests and status)

    def __init__(self, jobs: BackgroundJobs, view: TimelineView, *,
                 report: Callable[[str], None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.view = view
        self.report = report
        self._results: dict[JobKey, Filmstrip | Waveform] = {}
        self._wanted: set[JobKey] = set()
        self._handles: dict[JobKey, JobHandle] = {}
        # Queued: the slot runs on this object's (the UI) thread whoever emits.
        self.finished.connect(self._on_finished)

    @property
    def filmstrips(self) -> dict[int, Filmstrip]:
        return {key[1]: r for key, r in self._results.items() if isinstance(r, Filmstrip)}

    @property
    def waveforms(self) -> dict[int, Waveform]:
        return {key[1]: r for key, r in self._results.items() if isinstance(r, Waveform)}

    @property
    def pending(self) -> int:
        """Jobs asked for whose results have not reached the view yet."""
        return len(self._handles)

    def request(self, project: Project) -> None:
        """Ask for the caches of every online asset of ``project``; what is already shown
        stays, what belongs to other files or another project goes."""
        folder = cache_dir(project.path)
        sample_rate = project.sequence.sample_rate
        wanted: dict[JobKey, tuple[str, Callable[[JobContext], Any]]] = {}
        for asset in project.assets.values():
            if asset.status != "ok":
                continue
            if asset.probe.width and asset.probe.height:
                wanted[("filmstrip", asset.id, asset.identity, str(folder))] = (
                    f"Thumbnails of {asset.name}", _filmstrip_job(asset, folder))
            if asset.probe.audio_codec is not None:
                wanted[("waveform", asset.id, asset.identity, str(folder), sample_rate)] = (
                    f"Waveform of {asset.name}", _waveform_job(asset, folder, sample_rate))
        # A generated segment shows its active take as a filmstrip: kept under minus the
        # take's id (asset ids are positive), so the view's thumbnail cache serves both.
        # An audio take (a segment on an audio track) shows as a waveform, under the same key.
        for take in _active_takes(project):
            if getattr(take, "is_audio", False):
                wanted[("waveform", -take.id, take.frames_hash, str(folder), sample_rate)] = (
                    f"Waveform of take {take.name}",
                    _take_waveform_job(take, folder, sample_rate))
                continue
            wanted[("filmstrip", -take.id, take.frames_hash, str(folder))] = (
                f"Thumbnails of take {take.name}", _take_filmstrip_job(take, folder))
        self._wanted = set(wanted)
        for key, handle in list(self._handles.items()):
            if key not in self._wanted:  # another project's, or a file since replaced
                self.jobs.cancel(handle)
                del self._handles[key]
        self._results = {k: r for k, r in self._results.items() if k in self._wanted}
        for key, (name, fn) in wanted.items():
            if key not in self._results and key not in self._handles:
                self._submit(name, key, fn)
        self._publish()

    # ------------------------------------------------------------------ internals
    def _submit(self, name: str, key: JobKey, fn: Callable[[JobContext], Any]) -> None:
        try:
            self._handles[key] = self.jobs.submit(name, fn, key=key, on_update=self._on_update)
        except RuntimeError:
            pass  # the runner is closed: the window is going away

    def _on_update(self, handle: JobHandle) -> None:
        # Worker thread: only pass finished jobs on (progress is not shown yet).
        if handle.finished:
            try:
                self.finished.emit(handle)
            except RuntimeError:
                pass  # this object was deleted with its window

    def _publish(self) -> None:
        self.view.set_media_caches(self.filmstrips, self.waveforms)
        self.updated.emit()

    def _on_finished(self, handle: JobHandle) -> None:
        key = handle.key
        if not isinstance(key, tuple) or self._handles.get(key) is not handle:
            return  # not ours, or no longer wanted (another project is open)
        del self._handles[key]
        if handle.state is JobState.FAILED:
            if self.report is not None and handle.error:
                self.report(handle.error)
            self.updated.emit()  # one fewer pending
        elif handle.state is JobState.DONE and key in self._wanted:
            self._results[key] = handle.result
            self._publish()


def _filmstrip_job(asset: Asset, folder: Path) -> Callable[[JobContext], Filmstrip]:
    probe, identity = asset.probe, asset.identity

    def run(context: JobContext) -> Filmstrip:
        return load_or_compute_filmstrip(probe, identity, folder, height=FILMSTRIP_HEIGHT,
                                         every_seconds=FILMSTRIP_EVERY_SECONDS,
                                         progress=context.progress)

    return run


def _active_takes(project: Project) -> list[Any]:
    """The takes generated segments show (their files still there)."""
    wanted = {item.active_take for item in project.sequence.all_items()
              if isinstance(item, GeneratedSegment) and item.active_take is not None}
    if not wanted:
        return []
    try:
        records = GenerationRecords(project)
        takes = [records.take(t) for t in sorted(wanted)]
    except (ProjectError, TakeError):
        return []  # no takes table to read: the segments paint as boxes
    return [t for t in takes if t.media_path is not None and not t.deleted]


def _take_filmstrip_job(take: Any, folder: Path) -> Callable[[JobContext], Filmstrip]:
    path, identity = take.media_path, take.frames_hash

    def run(context: JobContext) -> Filmstrip:
        return load_or_compute_filmstrip(probe(path), identity, folder,
                                         height=FILMSTRIP_HEIGHT,
                                         every_seconds=FILMSTRIP_EVERY_SECONDS,
                                         progress=context.progress)

    return run


def _take_waveform_job(take: Any, folder: Path, sample_rate: int
                       ) -> Callable[[JobContext], Waveform]:
    path, identity = take.media_path, f"take-samples\0{take.frames_hash}"

    def run(context: JobContext) -> Waveform:
        context.check()
        # At the sequence rate, through the resampler the mixer uses: the peaks line up
        # with what plays.
        return load_or_compute_waveform(path, identity, folder, sample_rate=sample_rate)

    return run


def _waveform_job(asset: Asset, folder: Path, sample_rate: int
                  ) -> Callable[[JobContext], Waveform]:
    probe, identity = asset.probe, asset.identity

    def run(context: JobContext) -> Waveform:
        context.check()
        return load_or_compute_waveform(probe, identity, folder, sample_rate=sample_rate)

    return run
