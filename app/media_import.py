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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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
    status: str = "probing"

    @property
    def finished(self) -> bool:
        return self.assets is not None or self.error is not None

    def failed(self, handle: JobHandle) -> str:
        if handle.state is JobState.FAILED:
            return _reasons(handle.error or "The import failed")
        return "The import was cancelled; nothing was added"

    def apply(self, project: Project, found: list[ProbedFile]) -> None:
        """On the UI thread: the probed files become assets, in one transaction."""
        try:
            self.assets = project.add_probed(found)
        except (ImportMediaError, ProjectError) as exc:
            self.error = str(exc)


@dataclass
class RelinkSearch:
    """Missing files looked for under a folder: ``relinked`` (how many) once done."""

    folder: Path
    handle: JobHandle | None = None
    relinked: int | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.relinked is not None or self.error is not None

    def failed(self, handle: JobHandle) -> str:
        return handle.error or "The search was cancelled"

    def apply(self, project: Project, probed: dict[int, ProbedFile]) -> None:
        """On the UI thread: each file found (already hashed and probed) is relinked."""
        count, problems = 0, []
        for asset_id, found in probed.items():
            try:
                project.relink(asset_id, found.path, probed=found)
                count += 1
            except (ProjectError, ImportMediaError) as exc:
                problems.append(str(exc))
        self.relinked = count
        if problems:
            self.error = "\n".join(problems)


Request = TypeVar("Request", MediaImport, RelinkSearch)


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
        known = self._project().known_files()

        def run(context: JobContext) -> list[ProbedFile]:
            def report(done: int, total: int, path: Path) -> None:
                request.status = f"Probing {done + 1}/{total}: {path.name}"
                context.progress(done, total)
            return probe_files(request.files, known=known, progress=report)

        return self._submit(request, f"Import {len(request.files)} file(s)", run)

    def search_folder(self, folder: str | Path) -> RelinkSearch:
        """Look for the project's missing files under ``folder`` (walking, hashing and
        probing on the worker), then relink what was found on the UI thread."""
        request = RelinkSearch(Path(folder))
        missing = list(self._project().missing_assets)

        def run(context: JobContext) -> dict[int, ProbedFile]:
            probed: dict[int, ProbedFile] = {}
            for asset_id, path in find_relinks(missing, request.folder).items():
                context.check()
                try:
                    [probed[asset_id]] = probe_files([path])
                except ImportMediaError:
                    continue  # same bytes but unreadable now: left missing
            return probed

        return self._submit(request, f"Relink from {request.folder.name}", run)

    def _submit(self, request: Request, name: str, work: Callable[[JobContext], Any]
                ) -> Request:
        # The result is for the project open now; another one opened meanwhile drops it.
        target = self._project().path
        request.handle = self.jobs.submit(name, lambda context: (target, work(context)),
                                          on_update=lambda _handle: self._emit(request))
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
        if handle.state is not JobState.DONE:
            request.error = request.failed(handle)
        else:
            target, result = handle.result
            project = self._project()
            if project.path != target:
                what = "added" if isinstance(request, MediaImport) else "relinked"
                request.error = f"Another project was opened; nothing was {what}"
            else:
                request.apply(project, result)
        (self.finished if isinstance(request, MediaImport) else self.searched).emit(request)


def _reasons(error: str) -> str:
    """The job runner puts the job's name in front of its error; the reasons matter."""
    marker = "Could not import"
    return error[error.index(marker):] if marker in error else error
