"""The editor session: the open project, the one current selection, the render sources and
the playback engine, and opening / switching / closing projects. Qt-free.

The window shows a session; it does not own these things. Anything that must follow the
selection subscribes to it here (``on_selection``) instead of keeping its own copy, and a
project switch replaces the project, the sources and the crash record in one place, in the
order that keeps the old project's files consistent (engines stop before it closes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from project_store.generation_records import GenerationRecords
from project_store.project import Project
from services import session_record
from services.errors import ErrorReporter
from services.render_sources import plan_sources
from timeline.engine.compositor import render_frame
from timeline.engine.mixer import mix_audio
from timeline.engine.playback import PlaybackEngine
from timeline.engine.sources import MediaAudioSource, MediaFrameSource
from timeline.model import Item

__all__ = ["EditorSession"]

PresentFn = Callable[[int, Any], None]


class EditorSession:
    """One open project as the editor works on it.

    ``present(frame, picture)`` is where playback hands its pictures (the window's mailbox,
    on the playback thread). ``use_audio_device`` False plays on the wall clock without
    opening a sound device (tests, machines without audio).
    """

    def __init__(self, project: Project, *, present: PresentFn | None = None,
                 use_audio_device: bool = True, errors: ErrorReporter | None = None) -> None:
        self.project = project
        self.errors = errors or ErrorReporter()
        self.use_audio_device = use_audio_device
        self._present: PresentFn = present or (lambda _n, _picture: None)
        self.selected: int | None = None
        self._selection_listeners: list[Callable[[Item | None], None]] = []
        self.frames: MediaFrameSource | None = None
        self.sound: MediaAudioSource | None = None
        self.playback: PlaybackEngine | None = None

    # --- selection: one current item for every panel
    @property
    def selected_item(self) -> Item | None:
        if self.selected is None:
            return None
        return self.project.sequence.find_item(self.selected)

    def on_selection(self, fn: Callable[[Item | None], None]) -> None:
        """Call ``fn(item or None)`` whenever the selection changes (or a project switch
        clears it)."""
        self._selection_listeners.append(fn)

    def select(self, item_id: int | None) -> None:
        self.selected = item_id
        item = self.selected_item
        if item is None:
            self.selected = None
        for fn in list(self._selection_listeners):
            fn(item)

    # --- render sources and playback
    def preview_size(self) -> tuple[int, int]:
        st = self.project.sequence.settings
        # Half resolution keeps playback real time on modest machines; even sizes for video.
        return max(2, st.width // 4 * 2), max(2, st.height // 4 * 2)

    def render(self, n: int) -> Any:
        """Sequence frame ``n`` at preview size, as the viewer shows it."""
        assert self.frames is not None, "start_engines() first"
        return render_frame(self.project.sequence, n, self.frames, size=self.preview_size(),
                            alpha=False)

    def _render_and_prefetch(self, n: int) -> Any:
        assert self.frames is not None
        if n % 12 == 0:
            self.frames.prefetch(self.project.sequence, n, 48, self.preview_size())
        return self.render(n)

    def _prepare_playback(self, start: int) -> None:
        if self.frames is not None:
            self.frames.warm(self.project.sequence)
            self.frames.prefetch(self.project.sequence, start, 48, self.preview_size())

    def start_engines(self) -> None:
        """(Re)build the sources from the project (assets changed, a project was opened)
        and the playback engine over them."""
        self.stop_engines()
        plan = plan_sources(self.project, use_proxies=True)  # playback: proxies if built
        self.frames = plan.frame_source()
        self.sound = sound = plan.audio_source()
        seq = self.project.sequence
        self.playback = PlaybackEngine(
            fps=seq.fps, sample_rate=seq.sample_rate, render=self._render_and_prefetch,
            present=lambda n, picture: self._present(n, picture),
            frame_count=lambda: self.project.sequence.duration_frames,
            mix=lambda first, count: mix_audio(self.project.sequence, first, count, sound),
            use_audio_device=self.use_audio_device,
            prepare=self._prepare_playback)

    def stop_engines(self) -> None:
        if self.playback is not None:
            self.playback.close()
            self.playback = None
        if self.frames is not None:
            self.frames.close()
            self.frames = None
        if self.sound is not None:
            self.sound.close()
            self.sound = None

    def refresh_takes(self) -> None:
        """A take was made or switched: render the active takes from now on."""
        records = GenerationRecords(self.project)
        if self.frames is not None:
            self.frames.set_takes(records.active_take_media())
        if self.sound is not None:
            self.sound.set_takes(records.active_audio_take_media())

    def set_proxy(self, asset_id: int, path: Any) -> bool:
        """A proxy finished building; False if it belongs to no asset of this project."""
        if self.frames is None or asset_id not in self.project.assets:
            return False
        self.frames.set_proxy(asset_id, path)
        return True

    def has_proxy(self, asset_id: int | None) -> bool:
        return self.frames is not None and asset_id in self.frames.proxies

    # --- the project's life: begin, switch, close
    def begin(self) -> session_record.SessionStart:
        """Mark the project open (crash record); says if the last run did not close it (and
        whether its writer lock was taken over). No other process can have it open for
        writing: the project's writer lock refused it. A read-only opening writes no
        record (the writer's is not ours to read as a crash, nor to remove)."""
        if self.project.read_only:
            return session_record.SessionStart()
        return session_record.begin_session(self.project.path,
                                            lock_notice=self.project.lock_notice)

    def switch_to(self, project: Project) -> None:
        """Replace the open project with ``project`` (already opened: a project that does
        not open changes nothing). The old one's engines stop before it closes."""
        self.stop_engines()
        if not self.project.read_only:
            session_record.end_session(self.project.path)
        self.project.close()
        self.project = project
        self.select(None)  # item ids are per project
        session_record.add_recent(project.path)

    def close(self) -> None:
        self.stop_engines()
        if not self.project.read_only:
            session_record.end_session(self.project.path)
        self.project.close()
