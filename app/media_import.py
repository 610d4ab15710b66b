"""Importing media without freezing the window.

Hashing and probing a file opens it with PyAV, which takes from milliseconds to seconds
(a long file on a network share, many files dropped at once). ``MediaImporter`` runs
``probe_files`` on its own background worker (not behind thumbnails or proxies) and adds
the result to the project on the UI thread, where every project write happens. The
window reports progress in the status bar; a file that cannot be used cancels the whole
import (nothing is added) with each reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from project_store.assets import Asset, ImportMediaError, ProbedFile, find_relinks, probe_files
from project_store.db import ProjectError
from project_store.project import Project
from timeline.engine.background import BackgroundJobs, JobContext, JobHandle, JobState


@dataclass
class MediaImport:
    """One import asked for: ``assets`` once added, or ``error`` (nothing was added)."""

    files: list[Path]
    handle: JobHandle | None = None
    assets: list[Asset] | None = None
    error: str | None = None
    status: str = field(default="probing")

    @property
    def finished(self) -> bool:
        return self.assets is not None or self.error is not None


@dataclass
class RelinkSearch:
    """Missing files looked for under a folder: ``relinked`` (how many) once done."""

    folder: Path
    handle: JobHandle | None = None
    relinked: int | None = None
    error: str | None = None
    status: str = field(default="searching")

    @property
    def finished(self) -> bool:
        return self.relinked is not None or self.error is not None


class MediaImporter(QObject):
    """Probes on a worker thread, adds on the UI thread (the object's own thread)."""

    _update = Signal(object)  # a MediaImport or RelinkSearch from the worker: queued to the UI
    progressed = Signal(object)  # MediaImport, status text changed
    finished = Signal(object)  # MediaImport, assets added or error set
    searched = Signal(object)  # RelinkSearch, done

    def __init__(self, project: Callable[[], Project], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self.jobs = BackgroundJobs()
        self.running: list[MediaImport | RelinkSearch] = []
        self._update.connect(self._on_update)

    def start(self, files: list[str] | list[Path]) -> MediaImport:
        request = MediaImport([Path(f) for f in files])
        project = self._project()
        known = project.known_files()
        target = project.path  # results for another project (opened meanwhile) are dropped

        def run(context: JobContext) -> Any:
            def report(done: int, total: int, path: Path) -> None:
                request.status = f"Probing {done + 1}/{total}: {path.name}"
                context.progress(done, total)
            return target, probe_files(request.files, known=known, progress=report)

        request.handle = self.jobs.submit(
            f"Import {len(request.files)} file(s)", run,
            on_update=lambda handle: self._emit(request))
        self.running.append(request)
        return request

    def search_folder(self, folder: str | Path) -> RelinkSearch:
        """Look for the project's missing files under ``folder`` (walking, hashing and
        probing on the worker), then relink what was found on the UI thread."""
        request = RelinkSearch(Path(folder))
        project = self._project()
        missing = list(project.missing_assets)
        target = project.path

        def run(context: JobContext) -> Any:
            found = find_relinks(missing, request.folder)
            probed: dict[int, ProbedFile] = {}
            for asset_id, path in found.items():
                context.check()
                try:
                    [probed[asset_id]] = probe_files([path])
                except ImportMediaError:
                    continue  # same bytes but unreadable now: left missing
            return target, probed

        request.handle = self.jobs.submit(
            f"Relink from {request.folder.name}", run,
            on_update=lambda handle: self._emit(request))
        self.running.append(request)
        return request

    def close(self) -> None:
        self.jobs.close()

    def _emit(self, request: MediaImport | RelinkSearch) -> None:
        try:
            self._update.emit(request)
        except RuntimeError:
            pass  # the window was deleted while a probe ran

    def _on_update(self, request: MediaImport | RelinkSearch) -> None:
        handle = request.handle
        if request.finished or handle is None:
            return
        if not handle.finished:
            if isinstance(request, MediaImport):
                self.progressed.emit(request)
            return
        self.running.remove(request)
        if isinstance(request, RelinkSearch):
            self._relink(request, handle)
            return
        if handle.state is JobState.FAILED:
            request.error = _reasons(handle.error or "The import failed")
        elif handle.state is JobState.CANCELLED:
            request.error = "The import was cancelled; nothing was added"
        else:
            target, found = handle.result
            project = self._project()
            if project.path != target:
                request.error = "Another project was opened; nothing was added"
            else:
                try:
                    request.assets = project.add_probed(found)
                except (ImportMediaError, ProjectError) as exc:
                    request.error = str(exc)
        self.finished.emit(request)


    def _relink(self, request: RelinkSearch, handle: JobHandle) -> None:
        if handle.state is not JobState.DONE:
            request.error = handle.error or "The search was cancelled"
        else:
            target, probed = handle.result
            project = self._project()
            if project.path != target:
                request.error = "Another project was opened; nothing was relinked"
            else:
                count, problems = 0, []
                for asset_id, found in probed.items():
                    try:
                        project.relink(asset_id, found.path, probed=found)
                        count += 1
                    except (ProjectError, ImportMediaError) as exc:
                        problems.append(str(exc))
                request.relinked = count
                if problems:
                    request.error = "\n".join(problems)
        self.searched.emit(request)


def _reasons(error: str) -> str:
    """The job runner puts the job's name in front of its error; the reasons matter."""
    marker = "Could not import"
    return error[error.index(marker):] if marker in error else error
