"""Clip > Find Beats and Edit > Cut to Beats in the window.

Finding beats decodes and listens for seconds, so ``BeatFinder`` runs the tracker
(``services.beats``) on its own background worker and applies the ``set_beats`` edit on the
UI thread, where every project write happens, as one undo step. A clip changed while it
listened (moved, trimmed, deleted) or another project opened drops the result with a word
in the status bar; a failure (silence, an unreadable file) says why there too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from services.beats import BeatRequest, BeatResult, beat_request
from timeline.engine.background import BackgroundJobs, JobHandle, JobState
from timeline.model import Clip, EditError

if TYPE_CHECKING:
    from app.main import MainWindow


class BeatFinder(QObject):
    _update = Signal(object)  # (request, handle) from the worker: queued to the UI thread
    finished = Signal(object)  # the message shown (tests wait on it)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.jobs = BackgroundJobs()
        self.running: list[JobHandle] = []
        self._update.connect(self._on_update)

    def find(self, item_id: int) -> JobHandle | None:
        window = self.window
        if window.refuse_if_read_only():
            return None
        try:
            request = beat_request(window.project, item_id)
        except EditError as exc:
            self._say(f"Cannot find beats: {exc}")
            return None
        target = window.project.path
        handle = self.jobs.submit(f"Find beats in clip {item_id}",
                                  lambda _context: (target, request.run()),
                                  on_update=lambda h: self._emit(request, h))
        self.running.append(handle)
        self._say(f"Listening for the beats of clip {item_id} ({request.name}) ...", 0)
        return handle

    def close(self) -> None:
        self.jobs.close()

    def _emit(self, request: BeatRequest, handle: JobHandle) -> None:
        try:
            self._update.emit((request, handle))
        except RuntimeError:
            pass  # the window was deleted while the tracker listened

    def _say(self, text: str, ms: int = 8000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _on_update(self, update: tuple[BeatRequest, JobHandle]) -> None:
        request, handle = update
        if not handle.finished or handle not in self.running:
            return
        self.running.remove(handle)
        message = self._finish(request, handle)
        self._say(message)
        self.finished.emit(message)

    def _finish(self, request: BeatRequest, handle: JobHandle) -> str:
        if handle.state is not JobState.DONE:
            error = (handle.error or "cancelled").removeprefix(f"{handle.name}: ")
            return f"Cannot find beats: {error}"
        target, result = handle.result
        assert isinstance(result, BeatResult)
        project = self.window.project
        if project.path != target:
            return "Another project was opened; no beat markers were added"
        item = project.sequence.find_item(request.item)
        if not isinstance(item, Clip) or (item.start, item.source_in, item.duration) != (
                request.start, request.source_in, request.duration):
            return (f"Clip {request.item} changed while its beats were found; find them "
                    "again")
        if not self.window.run(result.edit):
            return "Cannot add the beat markers"
        return project.timeline.undo_label or "Beat markers added"
