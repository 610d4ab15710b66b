"""The editor window: media bin, timeline, and the edit commands with NLE shortcuts.

Every edit goes through ``Project.execute`` (one undo step, committed at once), so the title
never shows "unsaved". Errors from the model reach the user as a message in the status bar
or a dialog, never as a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.backups_dialog import RestoreBackupDialog
from app.brief_panel import BriefPanel
from app.clip_inspector import ClipInspector
from app.edit_actions import EditActions
from app.export_panel import ExportDialog, ExportQueuePanel
from app.generation_panel import GenerationPanel
from app.info_panels import AssetFacts, SequenceInfo
from app.jobs_panel import JobsPanel
from app.layouts import confirm
from app.marker_dialog import MarkerDialog
from app.markers_panel import MarkersPanel
from app.media_bin import MediaBin
from app.media_cache import MediaCacheLoader
from app.media_import import MediaImport, MediaImporter, RelinkSearch
from app.models_dialog import ModelManagerDialog
from app.proxies import ProxyBuilder
from app.shortcuts_dialog import ShortcutsDialog
from app.source_monitor import SourceMonitorWidget
from app.takes_browser import TakesBrowser
from app.timeline_view import HEADER_W, TimelineView
from app.track_targets import HeaderTargets
from app.transport import TransportBar
from app.ui_thread_gc import UiThreadCollector, resettle_heap, settle_heap
from app.viewer import FrameMailbox, ScrubRenderer, ViewerWidget
from app.window_layout import WindowLayout, scrolling
from project_store import backups
from project_store.assets import ImportMediaError
from project_store.backups import DamagedProjectError
from project_store.db import ProjectError
from project_store.generation_records import GenerationRecords
from project_store.project import Project
from project_store.writer_lock import ProjectLockedError
from services import session_record as session
from services.backup_scheduler import BackupScheduler, interval_minutes
from services.editor_session import EditorSession
from services.errors import ErrorReporter, Report
from services.source_monitor import SOURCE_EDITS, SourceMonitor, TrackTargets
from timeline.engine.background import BackgroundJobs
from timeline.engine.playback import PlaybackEngine
from timeline.engine.sources import MediaFrameSource, display_size
from timeline.model import EditError
from timeline.priority import favour_ui_thread
from timeline.time import timecode

APP_NAME = "Takeline"
# What a read-only window (the project is open for writing elsewhere) says to an edit.
READ_ONLY_MESSAGE = ("Read-only: this project is open for writing in another Takeline window "
                     "or command. Viewing, playback and export work; to edit, close it there "
                     "and open it again.")


class MainWindow(QMainWindow):
    """Layout, menus and wiring over an ``EditorSession`` (the project, the selection, the
    sources and playback live there, Qt-free)."""

    # A background failure, hopped to the UI thread (reports come from any thread).
    _reported = Signal(object)

    def __init__(self, project: Project, *, use_audio_device: bool = True) -> None:
        super().__init__()
        self.errors = ErrorReporter()
        self.session = EditorSession(
            project, present=lambda n, picture: self.mailbox.arrived.emit(n, picture),
            use_audio_device=use_audio_device, errors=self.errors)
        self._reported.connect(self._show_report)
        self.errors.subscribe(self._reported.emit)
        self.resize(1280, 720)

        self.bin = MediaBin(on_files=self.import_files, on_relink=self.relink_asset,
                            on_relink_folder=self.relink_folder)
        self.bin.setToolTip("Media bin: drop files here to import; right-click to relink")
        self.facts = AssetFacts()
        self.bin.currentItemChanged.connect(self._show_asset)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(QLabel("Media"))
        lay.addWidget(self.bin, 1)
        lay.addWidget(self.facts)

        self.timeline = TimelineView(lambda: self.project.sequence, self._asset_kind)
        self.timeline.playhead_moved.connect(self._update_status)
        self.timeline.marker_activated.connect(self.edit_marker)
        self.timeline.selection_changed.connect(self.session.select)
        self.session.on_selection(lambda _item: self._update_status())
        # Mouse drags in the timeline edit through ``run``: one undo step per gesture.
        self.timeline.attach_editor(
            self.run, media=lambda: self.project.timeline.media,
            message=lambda message: self.statusBar().showMessage(message, 4000))

        split = QSplitter(Qt.Orientation.Vertical)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        self.viewer = ViewerWidget()
        self.viewer_box = QWidget()  # the viewer over its transport bar (made with the menus)
        viewer_lay = QVBoxLayout(self.viewer_box)
        viewer_lay.setContentsMargins(0, 0, 0, 0)
        viewer_lay.setSpacing(0)
        viewer_lay.addWidget(self.viewer, 1)
        self._make_source_monitor(use_audio_device)
        # Source and Program as tabs, not side by side: at 1280x720 the program's transport
        # alone needs most of the width beside the docks. Loading a clip shows Source, an
        # edit shows Program; Shift+2 / Shift+4 switch, as Premiere's panel keys.
        self.monitors = QTabWidget()
        self.monitors.setDocumentMode(True)
        self.monitors.addTab(self.source_monitor, "Source")
        self.monitors.addTab(self.viewer_box, "Program")
        self.monitors.setCurrentWidget(self.viewer_box)
        top.addWidget(self.monitors)
        self.details = SequenceInfo()
        top.addWidget(self.details)
        top.setSizes([260, 640, 380])
        split.addWidget(top)
        split.addWidget(self.timeline)
        split.setSizes([360, 320])
        self.setCentralWidget(split)
        self.mailbox = FrameMailbox()
        self.mailbox.arrived.connect(self._on_picture)
        self._scrub: ScrubRenderer | None = None
        # Thumbnails and waveforms: made off the UI thread, cached beside the project.
        self.jobs = BackgroundJobs()
        self.importer = MediaImporter(lambda: self.project, parent=self)
        self.importer.progressed.connect(self._on_import_progress)
        self.importer.finished.connect(self._on_imported)
        self.importer.searched.connect(self._on_relink_searched)
        self.import_error: QMessageBox | None = None
        self.media_caches = MediaCacheLoader(
            self.jobs, self.timeline, parent=self,
            report=self.errors.for_source("Thumbnails and waveforms"))
        self.media_caches.updated.connect(
            lambda: self.bin.set_thumbnails(self.media_caches.filmstrips))
        # Thumbnails and waveforms still being made, always in view at the status bar's end.
        self.background_label = QLabel()
        self.statusBar().addPermanentWidget(self.background_label)
        self.read_only_label = QLabel("Read-only")
        self.read_only_label.setToolTip(READ_ONLY_MESSAGE)
        self.statusBar().addPermanentWidget(self.read_only_label)
        self.media_caches.updated.connect(self._show_background_work)
        self.proxies = ProxyBuilder(self.jobs, parent=self,
                                    report=self.errors.for_source("Proxies"))
        self.proxies.ready.connect(self._on_proxy_ready)
        self._start_engines()
        self.timeline.playhead_moved.connect(self._on_playhead)
        self.exports = ExportQueuePanel()
        self.generation = GenerationPanel(project, parent=self,
                                          report=self.errors.for_source("Generation"))
        self.generation_dock = self._add_dock("Generate", "generate", self.generation)
        # Generation jobs and exports share one Jobs dock, under the inspector docks.
        self.jobs_panel = JobsPanel(self.generation.jobs_view, self.exports)
        self.jobs_dock = self._add_dock("Jobs", "jobs", self.jobs_panel)
        self.splitDockWidget(self.generation_dock, self.jobs_dock, Qt.Orientation.Vertical)
        self.markers_panel = MarkersPanel(
            lambda: self.project.sequence, go_to=self.timeline.set_playhead,
            edit=self.edit_marker, add=self.add_marker,
            delete=lambda marker: self.run({"op": "remove_marker", "marker": marker}))
        self.markers_dock = self._add_dock("Markers", "markers", self.markers_panel,
                                           tab_with=self.jobs_dock)
        self.jobs_dock.raise_()
        for button in (self.generation.generate_button, self.generation.range_button):
            button.clicked.connect(self.show_jobs)
        self.generation.takes_changed.connect(self._on_takes_changed)
        self.generation.edited.connect(self.refresh)
        self.session.on_selection(self.generation.show_segment)
        self.brief = BriefPanel(lambda: self.project, parent=self,
                                report=self.errors.for_source("Brief"))
        # Beside Generate as a tab: both inspect the selected segment, one at a time.
        self.brief_dock = self._add_dock("Brief", "brief", self.brief,
                                         tab_with=self.generation_dock)
        self.brief.edited.connect(self.refresh)
        # The pose editor shows the viewer's picture of the segment (rendered off the UI thread).
        self.brief.frame_renderer = lambda n: self._render(n)
        self.brief.playhead = lambda: self.timeline.playhead
        self.timeline.playhead_moved.connect(lambda _f: self._update_overlay())
        self.session.on_selection(lambda _item: self._update_overlay())
        self.session.on_selection(self.brief.show_segment)
        self.takes_browser = TakesBrowser(lambda: self.project, parent=self,
                                          report=self.errors.for_source("Takes"),
                                          use_audio_device=use_audio_device)
        self.takes_dock = self._add_dock("Takes", "takes", self.takes_browser,
                                         tab_with=self.generation_dock)
        self.clip_inspector = ClipInspector(lambda: self.project, lambda: self.timeline.playhead,
                                            parent=self)
        self.clip_dock = self._add_dock("Clip", "clip", self.clip_inspector,
                                        tab_with=self.generation_dock)
        self.clip_inspector.edited.connect(self.refresh)
        self.session.on_selection(self.clip_inspector.show_item)
        self.generation_dock.raise_()
        self.takes_browser.takes_changed.connect(self._on_takes_changed)
        self.generation.metrics_ready.connect(lambda _take: self.takes_browser.refresh())
        self.session.on_selection(self.takes_browser.show_segment)
        self.recovery_notice: QMessageBox | None = None
        # Yes/No questions (a damaged project's backup offer); tests answer them directly.
        self.ask: Callable[[str, str], bool] = lambda title, text: confirm(self, title, text)
        self._build_menus()
        self.edit_actions = EditActions(self)  # clipboard, context menus, file drops
        self.window_layout = WindowLayout(self)  # restored from the last run; Window menu
        self.window_layout.add_menu()
        self.window_layout.restore()
        self._apply_mode()
        self._begin_session()
        # A backup on open, then every few minutes while the project changes (off this thread).
        self.backups: BackupScheduler | None = None
        self._start_backups()
        self.backup_timer = QTimer(self)
        self.backup_timer.setInterval(int(interval_minutes() * 60_000))
        self.backup_timer.timeout.connect(self._backup_tick)
        self.backup_timer.start()
        self.refresh()
        self._scrub_to(self.timeline.playhead)
        if project.missing_assets:
            names = ", ".join(a.name for a in project.missing_assets[:5])
            self.statusBar().showMessage(
                f"{len(project.missing_assets)} media file(s) missing or changed ({names}); "
                "relink them from the bin.", 15000)

    # --- menus and shortcuts (NLE conventions)
    def _build_menus(self) -> None:
        def action(menu: Any, text: str, keys: list[str] | str | None,
                   slot: Callable[[], None]) -> QAction:
            act = QAction(text, self)
            if keys:
                act.setShortcuts([QKeySequence(k) for k in ([keys] if isinstance(keys, str)
                                                           else keys)])
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        file_menu = self.menuBar().addMenu("&File")
        self.import_action = action(file_menu, "&Import Media…", "Ctrl+I", self.import_media)
        action(file_menu, "&Open Project…", "Ctrl+O", self.open_project)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        # Built when shown, so it always matches recent.json (another window may add to it).
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.restore_action = action(file_menu, "Restore &Backup…", None,
                                     self.restore_backup_dialog)
        action(file_menu, "&Export…", "Ctrl+M", self.export_dialog)
        file_menu.addSeparator()
        action(file_menu, "&Quit", "Ctrl+Q", self.close)

        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = action(edit, "Undo", "Ctrl+Z", self.undo)
        self.redo_action = action(edit, "Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], self.redo)
        edit.addSeparator()
        action(edit, "Split at Playhead", ["S", "Ctrl+K"], self.split_at_playhead)
        action(edit, "Lift", "Delete", lambda: self._on_selected("lift"))
        action(edit, "Ripple Delete", "Shift+Delete", lambda: self._on_selected("ripple_delete"))
        action(edit, "Ripple Trim Start to Playhead", "Q", lambda: self.ripple_trim("in"))
        action(edit, "Ripple Trim End to Playhead", "W", lambda: self.ripple_trim("out"))
        edit.addSeparator()
        action(edit, "Add Marker", "M", self.add_marker)
        edit.addSeparator()
        action(edit, "Build Proxies", None, self.build_proxies)
        action(edit, "Toggle Proxy for Selected Clip", "Ctrl+Shift+P", self.toggle_proxy)
        action(edit, "Mark In", "I", lambda: self.run({"op": "set_in_out",
                                                        "in_point": self.timeline.playhead}))
        action(edit, "Mark Out", "O", lambda: self.run({"op": "set_in_out",
                                                         "out_point": self.timeline.playhead}))

        play = self.menuBar().addMenu("&Playback")
        transport = {
            "play": action(play, "Play / Pause", "Space", self.toggle_play),
            "reverse": action(play, "Shuttle Reverse", "J", lambda: self.shuttle("j")),
            "stop": action(play, "Stop", "K", lambda: self.shuttle("k")),
            "forward": action(play, "Shuttle Forward", "L", lambda: self.shuttle("l")),
        }
        self.loop_action = action(play, "Loop In/Out", "Ctrl+L", self._apply_loop)
        self.loop_action.setCheckable(True)
        transport["loop"] = self.loop_action

        generation = self.menuBar().addMenu("&Generation")
        action(generation, "&Models…", None, self.show_models)

        view = self.menuBar().addMenu("&View")
        transport["back"] = action(view, "Previous Frame", "Left", lambda: self.step(-1))
        transport["next"] = action(view, "Next Frame", "Right", lambda: self.step(1))
        transport["start"] = action(view, "Go to Start", "Home",
                                    lambda: self.timeline.set_playhead(0))
        transport["end"] = action(view, "Go to End", "End", lambda: self.timeline.set_playhead(
            self.project.sequence.duration_frames))
        self.transport = TransportBar(
            transport, lambda: self.playback is not None and self.playback.playing)
        self.viewer_box.layout().addWidget(self.transport)
        action(view, "Zoom to Fit", "Shift+Z", self.timeline.fit)
        view.addSeparator()
        self.overlay_action = action(view, "Show Camera Path / Poses", None,
                                     self._toggle_overlay)
        self.overlay_action.setCheckable(True)
        self._build_source_menus(action)

    # --- commands
    def _apply_mode(self) -> None:
        """Title and controls for the project's mode. Read-only (another process has it
        open for writing; the open offered this instead of refusing): viewing, playback
        and export stay; the panels that edit are disabled and every edit command says
        READ_ONLY_MESSAGE in the status bar instead of changing anything."""
        ro = self.project.read_only
        self.setWindowTitle(f"{APP_NAME} — {self.project.name}" + (" (read-only)" if ro else ""))
        self.read_only_label.setVisible(ro)
        for panel in (self.generation, self.brief, self.takes_browser, self.clip_inspector):
            panel.setEnabled(not ro)
            panel.setToolTip(READ_ONLY_MESSAGE if ro else "")
        for act in (self.import_action, self.restore_action):
            act.setEnabled(not ro)  # undo / redo: refresh()
        if ro:
            self.statusBar().showMessage(READ_ONLY_MESSAGE, 30000)

    def refuse_if_read_only(self) -> bool:
        """True (and the reason in the status bar) when the project cannot be changed."""
        if self.project.read_only:
            self.statusBar().showMessage(READ_ONLY_MESSAGE, 8000)
            return True
        return False

    def run(self, params: dict[str, Any]) -> bool:
        if self.refuse_if_read_only():
            return False
        try:
            self.project.execute(params)
        except EditError as exc:
            self.statusBar().showMessage(f"Cannot {params['op'].replace('_', ' ')}: {exc}", 8000)
            return False
        except ProjectError as exc:
            QMessageBox.critical(self, APP_NAME, str(exc))
            return False
        self.refresh()
        return True

    def undo(self) -> None:
        self._history(self.project.undo, "Undo")

    def redo(self) -> None:
        self._history(self.project.redo, "Redo")

    def _history(self, fn: Callable[[], Any], name: str) -> None:
        if self.refuse_if_read_only():
            return
        try:
            change = fn()
        except ProjectError as exc:
            QMessageBox.critical(self, APP_NAME, str(exc))
            return
        self.refresh()
        self.statusBar().showMessage(f"{name}: {change.label}" if change else f"Nothing to {name}",
                                     4000)

    def split_at_playhead(self) -> None:
        at = self.timeline.playhead
        seq = self.project.sequence
        selected = self.session.selected_item
        tracks = [selected.track] if selected else [
            t.name for t in seq.tracks.values() if t.item_at(at) is not None
            and t.item_at(at).start != at]  # type: ignore[union-attr]
        if not tracks:
            self.statusBar().showMessage("Nothing under the playhead to split", 4000)
            return
        try:
            with self.project.batch():
                for name in tracks:
                    # Every track under the playhead is listed: each splits alone.
                    self.project.execute({"op": "split", "track": name, "at": at,
                                          "alone": len(tracks) > 1})
        except EditError as exc:
            self.statusBar().showMessage(f"Cannot split: {exc}", 8000)
        self.refresh()

    def ripple_trim(self, side: str) -> None:
        seq = self.project.sequence
        at = self.timeline.playhead
        item = self.session.selected_item
        if item is None:
            item = next((t.item_at(at) for t in seq.tracks.values() if t.item_at(at)), None)
        if item is None:
            self.statusBar().showMessage("Select a clip under the playhead to trim", 4000)
            return
        delta = at - item.start if side == "in" else at - item.end
        if self.run({"op": "trim", "item": item.id, "side": side, "delta": delta,
                     "ripple": True}) and side == "in":
            self.timeline.set_playhead(item.start)

    def edit_marker(self, marker_id: int, dialog: Callable[[MarkerDialog], int] | None = None
                    ) -> bool:
        """The marker dialog for one marker; its answer is one edit (or none)."""
        marker = self.project.sequence.markers.get(marker_id)
        if marker is None:
            return False
        box = MarkerDialog(marker, timecode(marker.frame, self.project.sequence.fps), self)
        if (dialog or MarkerDialog.exec)(box) != MarkerDialog.DialogCode.Accepted:
            return False
        edit = box.edit()
        return edit is not None and self.run(edit)

    def _add_dock(self, title: str, name: str, widget: QWidget, *,
                  tab_with: QDockWidget | None = None) -> QDockWidget:
        """A dock on the right, or a tab beside ``tab_with``."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(scrolling(widget))  # scrolls instead of clipping (or squeezing others)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if tab_with is not None:
            self.tabifyDockWidget(tab_with, dock)
        return dock

    def _show_report(self, report: Report) -> None:
        """Every background failure (services.errors) in the status bar, long enough to
        read; the latest are kept in ``self.errors.recent`` and the log."""
        self.statusBar().showMessage(report.message,
                                     15000 if report.level == "error" else 10000)

    def show_jobs(self) -> None:
        """The Jobs dock in view (a job was just asked for)."""
        self.jobs_dock.show()
        self.jobs_dock.raise_()

    def add_marker(self) -> None:
        n = len(self.project.sequence.markers) + 1
        self.run({"op": "add_marker", "at": self.timeline.playhead, "name": f"Marker {n}"})

    def _on_selected(self, op: str) -> None:
        """Lift or ripple-delete the selected items: several are one undo step."""
        items = self.timeline.selected_items()
        if not items:
            self.statusBar().showMessage("Select a clip first", 4000)
            return
        if len(items) == 1:
            params: dict[str, Any] = {"op": op, "item": items[0].id}
        else:
            # Latest first: a ripple delete moves only what follows it, so the earlier
            # items are still where they were when their turn comes.
            label = "Lift" if op == "lift" else "Ripple Delete"
            params = {"op": "group", "label": f"{label} {len(items)} items",
                      "steps": [{"op": op, "item": i.id, "alone": True}  # the selection
                                for i in sorted(items, key=lambda i: i.start, reverse=True)]}
        if self.run(params):
            self.timeline.selected = None
            self.session.select(None)

    # --- the source monitor, three-point editing and track targeting
    def _make_source_monitor(self, use_audio_device: bool) -> None:
        self.targets = TrackTargets()  # window state: not in the project, no undo step
        self.source_state = SourceMonitor(
            lambda: (self.session.frames, self.session.sound),
            lambda n, picture: self.source_monitor.mailbox.arrived.emit(n, picture),
            use_audio_device=use_audio_device)
        self.source_monitor = SourceMonitorWidget(
            self.source_state, edit=self.source_edit,
            waveforms=lambda: self.media_caches.waveforms,
            on_play=lambda: self.playback.pause() if self.playback is not None else None)
        self.timeline.targets = HeaderTargets(
            self.targets, lambda: self.project.sequence, header_width=HEADER_W,
            changed=lambda text: self.statusBar().showMessage(text, 3000))
        self.bin.itemDoubleClicked.connect(
            lambda entry: self.load_source(entry.data(Qt.ItemDataRole.UserRole)))

    def _build_source_menus(self, action: Callable[..., QAction]) -> None:
        """Premiere's default keys for three-point editing; Resolve's F11 / F12 / Shift+F12
        where Premiere has none (Replace, Place on Top, Append)."""
        clip = self.menuBar().addMenu("&Clip")
        keys = {"insert_edit": [",", "F9"], "overwrite_edit": [".", "F10"],
                "replace_edit": "F11", "place_on_top": "F12", "append_edit": "Shift+F12"}
        for op, text in SOURCE_EDITS.items():
            action(clip, text, keys[op], lambda _=False, o=op: self.source_edit(o))
        clip.addSeparator()
        action(clip, "Lift In/Out", ";", lambda: self.range_edit("lift_range"))
        action(clip, "Extract In/Out", "'", lambda: self.range_edit("extract_range"))
        clip.addSeparator()
        action(clip, "Match Frame", "F", lambda: self.match_frame())
        action(clip, "Clear In and Out", "Ctrl+Shift+X",
               lambda: self.run({"op": "set_in_out", "clear": True}))
        action(clip, "Go to In", "Shift+I", lambda: self._go_to_mark("in"))
        action(clip, "Go to Out", "Shift+O", lambda: self._go_to_mark("out"))
        clip.addSeparator()
        action(clip, "Source Monitor", "Shift+2", self.show_source)
        action(clip, "Timeline", "Shift+3", self.timeline.setFocus)
        action(clip, "Program Monitor", "Shift+4", self.show_program)
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&Keyboard Shortcuts…", "Ctrl+Alt+K", self.show_shortcuts)
        action(help_menu, "Open &Log Folder", None, self.open_log_folder)

    def load_source(self, asset_id: int, position: int = 0) -> bool:
        """Show an asset in the source monitor (a double-click in the bin, Match Frame)."""
        asset = self.project.assets.get(asset_id)
        info = self.project.timeline.media.get(asset_id)
        if asset is None or info is None:
            return False
        self.source_monitor.load(info, self.project.sequence.settings,
                                 picture_size=display_size(asset.probe), position=position)
        self.show_source()
        if asset.status != "ok":
            self.statusBar().showMessage(f"{asset.name} is {asset.status}: relink it to see "
                                         "it", 6000)
        return True

    def source_edit(self, op: str) -> bool:
        """Insert / Overwrite / Replace / Place on Top / Append the source's marked range to
        the timeline's In/Out or playhead on the patched tracks: one undo step."""
        seq = self.project.sequence
        self.targets.follow(seq)
        try:
            params = self.source_state.edit_params(op, self.targets, seq,
                                                   self.timeline.playhead)
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return False
        if not self.run(params):
            return False
        change = self.project.timeline.undo_stack[-1]
        self.statusBar().showMessage(change.label, 6000)
        self.monitors.setCurrentWidget(self.viewer_box)  # the result, in the program
        if op in ("insert_edit", "overwrite_edit"):  # as Premiere: to the edit's end
            ends = [op_.after.end for op_ in change.ops
                    if getattr(op_, "before", 0) is None and hasattr(op_.after, "end")]
            if ends:
                self.timeline.set_playhead(max(ends))
        return True

    def range_edit(self, op: str) -> bool:
        """Lift (;) or Extract (') between the timeline In/Out on the targeted tracks."""
        seq = self.project.sequence
        self.targets.follow(seq)
        first = seq.in_point
        if not self.run({"op": op, "tracks": self.targets.tracks(seq)}):
            return False
        self.statusBar().showMessage(self.project.timeline.undo_stack[-1].label, 6000)
        if op == "extract_range" and first is not None:
            self.timeline.set_playhead(first)
        return True

    def match_frame(self, item: Any = None) -> bool:
        """F: the selected clip's (else the top clip under the playhead's) media in the
        source monitor at the frame the playhead shows."""
        at = self.timeline.playhead
        seq = self.project.sequence
        if item is None:
            item = self.session.selected_item
        if item is None or not (item.start <= at < item.end):
            under = [t.item_at(at) for t in sorted(seq.tracks.values(), key=lambda t: (
                t.kind != "video", -t.info.index)) if not t.info.hidden]
            item = next((i for i in under if i is not None and hasattr(i, "asset")), item)
        if item is None or not hasattr(item, "asset"):
            self.statusBar().showMessage("Match Frame: no clip under the playhead", 4000)
            return False
        offset = min(max(at - item.start, 0), item.duration - 1)
        return self.load_source(item.asset, item.source_in + offset)

    def show_source(self) -> None:
        self.monitors.setCurrentWidget(self.source_monitor)
        self.source_monitor.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_program(self) -> None:
        self.monitors.setCurrentWidget(self.viewer_box)
        self.viewer.setFocus(Qt.FocusReason.OtherFocusReason)

    def _go_to_mark(self, which: str) -> None:
        seq = self.project.sequence
        frame = seq.in_point if which == "in" else seq.out_point
        if frame is not None:
            self.timeline.set_playhead(frame)

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help > Keyboard Shortcuts: every menu action's keys, searchable."""
        dialog = ShortcutsDialog(self.menuBar(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_log_folder(self) -> None:
        """Help > Open Log Folder: editor.log and worker.log, for a bug report."""
        from app.desktop import open_log_folder

        try:
            folder = open_log_folder()
        except OSError as exc:
            self.statusBar().showMessage(f"Cannot open the log folder: {exc}", 6000)
            return
        self.statusBar().showMessage(f"Logs are in {folder}", 6000)

    def step(self, frames: int) -> None:
        self.timeline.set_playhead(self.timeline.playhead + frames)

    def import_media(self) -> None:
        if self.refuse_if_read_only():
            return
        files, _ = QFileDialog.getOpenFileNames(self, "Import media")
        if files:
            self.import_files(files)

    def import_files(self, files: list[str] | list[Path]) -> MediaImport:
        """Import into the bin (the menu, drops and scripts). Files are probed off the UI
        thread with progress in the status bar, then added in one step; errors are shown
        (nothing added), not raised."""
        if self.refuse_if_read_only():
            return MediaImport([Path(f) for f in files], error=READ_ONLY_MESSAGE)
        request = self.importer.start(files)
        self.statusBar().showMessage(f"Importing {len(request.files)} file(s)…")
        return request

    def _show_background_work(self) -> None:
        left = self.media_caches.pending
        self.background_label.setText(
            f"Thumbnails and waveforms: {left} to make" if left else "")

    def _on_import_progress(self, request: MediaImport) -> None:
        self.statusBar().showMessage(request.status)

    def _on_imported(self, request: MediaImport) -> None:
        if request.error is not None:
            self.statusBar().showMessage("Nothing imported", 8000)
            box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, request.error,
                              parent=self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # not exec(): the window keeps running under the message
            self.import_error = box
            return
        self._start_engines()
        self.refresh()
        self.statusBar().showMessage(f"Imported {len(request.assets or [])} file(s)", 4000)

    def relink_asset(self, asset_id: int, path: str) -> bool:
        """Point a missing or changed asset at its file; a different file is refused with
        the reason (the project keeps the old link)."""
        try:
            self.project.relink(asset_id, path)
        except (ProjectError, ImportMediaError) as exc:
            self.statusBar().showMessage(f"Not relinked: {exc}", 15000)
            return False
        self._after_relink(1)
        return True

    def relink_folder(self, folder: str) -> RelinkSearch:
        """Relink every missing file found under ``folder``; the search (a walk of the
        folder, hashing candidates) runs off the UI thread, the result shows when done."""
        self.statusBar().showMessage(f"Looking for missing files under {folder}…")
        return self.importer.search_folder(folder)

    def _on_relink_searched(self, search: RelinkSearch) -> None:
        if search.relinked is None:
            self.errors.report("Relink", f"Not relinked: {search.error}")
            return
        self._after_relink(search.relinked)
        if search.error:
            self.errors.report(
                "Relink", f"Relinked {search.relinked} file(s); not relinked: {search.error}")

    def _after_relink(self, count: int) -> None:
        self._start_engines()
        self.refresh()
        missing = len(self.project.missing_assets)
        self.statusBar().showMessage(
            f"Relinked {count} file(s)" + (f"; {missing} still missing" if missing else ""),
            8000)

    def open_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "",
                                              "Takeline projects (*.takeline)")
        if path:
            self.open_project_path(Path(path))

    def open_project_path(self, path: Path) -> bool:
        try:
            project = open_or_offer_backup(path, self.ask)
        except ProjectError as exc:
            QMessageBox.critical(self, APP_NAME, str(exc))
            return False
        self._stop_backups()
        self.generation.switch_project(project)  # the old queue stops before its project closes
        self.proxies.forget()
        self._stop_engines()
        self.timeline.selected = None
        self.session.switch_to(project)  # closes the old project; clears the selection
        self.source_monitor.unload()  # asset ids are per project
        self.bin.forget_thumbnails()  # asset ids are per project
        self._start_engines()
        self.timeline.set_playhead(0)
        self._apply_mode()
        self._begin_session()
        self._start_backups()
        self.refresh()
        resettle_heap()  # the closed project's objects may sit in the frozen start-up heap
        return True

    # --- backups (project_store.backups; their schedule: services.backup_scheduler)
    def _start_backups(self) -> None:
        self._stop_backups()
        if self.project.read_only:
            return  # the process writing the project makes its backups
        self.backups = BackupScheduler(self.project.path,
                                       report=self.errors.for_source("Backups", level="error"))
        self.backups.start()

    def _stop_backups(self) -> None:
        if self.backups is not None:
            self.backups.stop()  # waits for a backup under way; closes its connection
            self.backups = None

    def _backup_tick(self) -> None:
        if self.backups is not None:
            self.backups.tick()

    def restore_backup_dialog(
            self, choose: Callable[[RestoreBackupDialog], int] | None = None) -> bool:
        """File > Restore Backup…: pick one of the project's backups and restore it."""
        dialog = RestoreBackupDialog(self.project.path, self)
        answer = (choose or (lambda d: d.exec()))(dialog)
        number = dialog.chosen()
        dialog.deleteLater()
        if answer != QDialog.DialogCode.Accepted or number is None:
            return False
        return self.restore_backup(number)

    def restore_backup(self, which: int | str) -> bool:
        """Put backup ``which`` in place of the open project and reopen it. The project is
        closed around the restore (which refuses while any connection has the file open);
        the file as it was is kept as a backup."""
        path = self.project.path
        self._stop_backups()
        self.generation.shutdown()  # nothing of this window may write into the old file
        self._stop_engines()
        self.project.close()
        result: backups.RestoreResult | None = None
        failure = ""
        try:
            result = backups.restore(path, which)
        except ProjectError as exc:
            failure = str(exc)
        if not self.open_project_path(path):
            self.close()  # it said why; there is no project left to show
            return False
        if result is None:
            QMessageBox.critical(self, APP_NAME, failure)
            return False
        self.statusBar().showMessage(
            f"Restored {result.restored.describe()}; the project as it was is kept as "
            f"{result.kept.name}", 15000)
        return True

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = session.recent_projects()
        for path in recent:
            act = self.recent_menu.addAction(f"{path.stem}  —  {path.parent}")
            act.setToolTip(str(path))
            act.triggered.connect(lambda _=False, p=path: self.open_project_path(p))
        if not recent:
            self.recent_menu.addAction("No recent projects").setEnabled(False)
            return
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Recent", session.clear_recent)

    def _begin_session(self) -> None:
        """Mark the project open; tell the user (without blocking) if the last run did not
        close it."""
        found = self.session.begin()
        if found.crashed:
            self.statusBar().showMessage(session.CRASH_NOTICE, 30000)
            notice = QMessageBox(QMessageBox.Icon.Information, APP_NAME, session.CRASH_NOTICE,
                                 QMessageBox.StandardButton.Ok, self)
            notice.setWindowModality(Qt.WindowModality.NonModal)
            notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            notice.finished.connect(lambda _r: setattr(self, "recovery_notice", None))
            notice.show()  # not exec(): the window and its queue keep running
            self.recovery_notice = notice
        elif found.lock_notice:
            self.statusBar().showMessage(found.lock_notice, 30000)

    # --- viewer and playback (the engines live in the session; the scrub thread here)
    @property
    def project(self) -> Project:
        return self.session.project

    @property
    def playback(self) -> PlaybackEngine | None:
        return self.session.playback

    @property
    def _source(self) -> MediaFrameSource | None:
        return self.session.frames

    def _render(self, n: int) -> Any:
        return self.session.render(n)

    def _start_engines(self) -> None:
        self._stop_engines()
        self.session.start_engines()
        self._scrub = ScrubRenderer(self.session.render, self.mailbox)
        self.source_monitor.start()  # over the new media sources
        self._request_media_caches()

    def _request_media_caches(self) -> None:
        self.media_caches.request(self.project)

    def export_dialog(self) -> None:
        if self.project.sequence.duration_frames == 0:
            self.statusBar().showMessage("Nothing to export: the timeline is empty", 6000)
            return
        dialog = ExportDialog(self.project, self)
        if dialog.exec() == ExportDialog.DialogCode.Accepted:
            self.start_export(*dialog.choice(), overwrite=dialog.overwrite)

    def start_export(self, preset: str, frame_range: tuple[int, int], out: Path, *,
                     overwrite: bool = False) -> Any:
        if not out.parent.is_dir():
            self.statusBar().showMessage(
                f"Cannot export to {out}: folder {out.parent} does not exist", 8000)
            return None
        self.show_jobs()
        handle = self.exports.add(self.project, preset, frame_range, out, overwrite)
        self.statusBar().showMessage(f"Export queued: {handle.name}", 4000)
        return handle

    def build_proxies(self) -> None:
        queued = self.proxies.build(self.project)
        self.statusBar().showMessage(
            f"Building {queued} proxies in the background" if queued
            else "No online video assets to build proxies for", 6000)

    def _on_proxy_ready(self, asset_id: int, path: Any) -> None:
        if self.session.set_proxy(asset_id, path):
            self.refresh()

    def toggle_proxy(self) -> None:
        item = self.session.selected_item
        if item is None or item.kind != "clip":
            self.statusBar().showMessage("Select a clip first", 4000)
            return
        on = not getattr(item, "use_proxy", False)
        if self.run({"op": "set", "item": item.id, "use_proxy": on}):
            have = self.session.has_proxy(getattr(item, "asset", None))
            note = "" if have or not on else " (no proxy yet: Edit > Build Proxies)"
            self.statusBar().showMessage(f"Clip #{item.id} plays from its "
                                         f"{'proxy' if on else 'original'}{note}", 6000)

    def _stop_engines(self) -> None:
        self.source_monitor.stop()
        if self._scrub is not None:
            self._scrub.close()
            self._scrub = None
        self.session.stop_engines()

    def _on_picture(self, frame: int, picture: Any) -> None:
        if picture is None:  # a frame that failed to render: keep the last one up
            error = self.playback.last_error if self.playback is not None else None
            if error and error != self._last_render_error:  # once, not once per frame
                self.errors.report("Playback", f"Render error: {error}")
            self._last_render_error = error
            return
        self.viewer.show_picture(frame, picture)
        if self.playback is not None and self.playback.playing:
            self._following = True
            self.timeline.set_playhead(frame)
            self._following = False

    _following = False
    _last_render_error: str | None = None

    def _on_playhead(self, frame: int) -> None:
        if self._following:
            return
        if self.playback is not None and self.playback.playing:
            self.playback.seek(frame)
        else:
            self._scrub_to(frame, with_sound=True)

    def _scrub_to(self, frame: int, *, with_sound: bool = False) -> None:
        if self._scrub is not None:
            self._scrub.request(frame)
        if with_sound and self.playback is not None:
            self.playback.scrub_snippet(frame)

    def is_playing(self) -> bool:
        """The sequence is playing (the UI thread presents a frame every 42 ms)."""
        return self.playback is not None and self.playback.playing

    def toggle_play(self) -> None:
        if self.playback is None:
            return
        self.source_state.pause()  # one monitor plays at a time
        if self.playback.playing:
            self.playback.pause()
        else:
            self.playback.seek(self.timeline.playhead, show=False)
            self.playback.play(1)
            if self.playback.notice:
                self.statusBar().showMessage(self.playback.notice, 6000)

    def shuttle(self, key: str) -> None:
        if self.playback is None:
            return
        self.source_state.pause()
        if not self.playback.playing:
            self.playback.seek(self.timeline.playhead, show=False)
        speed = self.playback.shuttle(key)
        self.statusBar().showMessage(f"Shuttle {speed}x" if speed else "Stopped", 2000)

    def _apply_loop(self) -> None:
        if self.playback is None:
            return
        seq = self.project.sequence
        if self.loop_action.isChecked():
            self.playback.set_loop(seq.in_point or 0,
                                   seq.out_point if seq.out_point is not None
                                   else seq.duration_frames)
        else:
            self.playback.set_loop(None, None)

    # --- display
    def refresh(self) -> None:
        self.bin.show_assets(list(self.project.assets.values()))
        # Staleness once per refresh, not per paint: it reads the project's version log.
        try:
            self.timeline.set_stale(GenerationRecords(self.project).stale_segments())
        except ProjectError as exc:
            self.statusBar().showMessage(f"Cannot check takes: {exc}", 8000)
        self.brief.refresh()
        self.takes_browser.refresh()
        self.clip_inspector.refresh()
        self.markers_panel.refresh()
        # The Generate panel commits its prompt field before generating: keep it current,
        # or a prompt changed in the Brief would be put back (it keeps one being typed).
        self.generation.refresh()
        tl = self.project.timeline
        writable = not self.project.read_only
        self.undo_action.setEnabled(writable and self.project.can_undo)
        self.undo_action.setText(f"Undo {tl.undo_label}" if tl.undo_label else "Undo")
        self.redo_action.setEnabled(writable and tl.can_redo)
        self.redo_action.setText(f"Redo {tl.redo_label}" if tl.redo_label else "Redo")
        self.timeline.update()
        self._update_status()
        self._update_overlay()
        if self.playback is None or not self.playback.playing:
            self._scrub_to(self.timeline.playhead)  # the edit may have changed this frame
        else:
            self.playback.invalidate()  # frames rendered ahead predate the edit

    def _asset_kind(self, asset_id: int | None) -> tuple[str, str] | None:
        asset = self.project.assets.get(asset_id) if asset_id is not None else None
        if asset is None:
            return None
        missing = "" if asset.status == "ok" else f" [{asset.status.upper()}]"
        return asset.probe.kind, asset.name + missing

    def _show_asset(self, current: QListWidgetItem | None, _prev: Any = None) -> None:
        self.facts.show_asset(  # .get: the bin may still show an asset just removed
            None if current is None
            else self.project.assets.get(current.data(Qt.ItemDataRole.UserRole)))

    def _update_status(self, *_: Any) -> None:
        seq = self.project.sequence
        ph = self.timeline.playhead
        self.details.show_state(seq, ph, self.session.selected_item)
        self.transport.show_time(timecode(ph, seq.fps), timecode(seq.duration_frames, seq.fps))

    def show_models(self) -> None:
        """Generation > Models…: installed models, and pulling more in the background."""
        dialog = ModelManagerDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.models_changed.connect(self._reload_models)
        dialog.show()

    def _reload_models(self) -> None:
        """A model was pulled: the Generate dock's model picker lists it too."""
        picker = self.generation.model
        chosen = picker.currentIndex()
        picker.clear()
        picker.addItem("Previz (no model)", None)
        self.generation.load_models()
        picker.setCurrentIndex(min(max(chosen, 0), picker.count() - 1))

    def _toggle_overlay(self) -> None:
        self.viewer.set_overlay_enabled(self.overlay_action.isChecked())
        self._update_overlay()

    def _update_overlay(self) -> None:
        """The selected generated segment's poses and camera over the viewer's picture."""
        seq = self.project.sequence
        sel = self.session.selected_item
        self.viewer.show_conditioning(sel, self.timeline.playhead, fps=float(seq.fps),
                                      aspect=seq.settings.width / max(1, seq.settings.height))

    def _on_takes_changed(self) -> None:
        """A take was made or switched: the viewer shows it from now on."""
        self.session.refresh_takes()
        self.refresh()  # which shows the playhead's frame again
        self._request_media_caches()  # the timeline's filmstrip of the new active take

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.window_layout.save()
        self.generation.shutdown()
        self.brief.shutdown_editors()
        self.takes_browser.shutdown()
        self.exports.close_queue()
        self.jobs.close()
        self.importer.close()
        self.edit_actions.beats.close()
        self._stop_engines()
        if self.recovery_notice is not None:
            self.recovery_notice.close()
        self.backup_timer.stop()
        self._stop_backups()
        self.session.close()
        event.accept()


def open_or_offer_backup(path: Path, ask: Callable[[str, str], bool]) -> Project:
    """Open ``path``; when it is damaged and has a good backup, ``ask`` whether to restore
    that backup in its place (the damaged file is kept beside the backups) and open it.
    When another process has it open for writing, ``ask`` whether to open it read-only
    (view, play, export) instead; No refuses with the lock's message."""
    try:
        return Project.open(path)
    except ProjectLockedError as exc:
        if not ask("Project in use",
                   f"{exc}\n\nOpen it read-only? You can view, play and export it; edits "
                   "are disabled until it is closed there and opened again here."):
            raise
        return Project.open(path, read_only=True)
    except DamagedProjectError as exc:
        good = exc.backup
        if good is None or not ask(
                "Project damaged",
                f"{exc}\n\nRestore {good.describe()} in its place and open it? The damaged "
                "file is kept in the backups folder."):
            raise
        backups.restore(path, good.number)
        return Project.open(path)


def run_editor(project_path: Path | None, *, quit_after_s: float | None = None,
               version: str = "") -> int:
    """The editor on ``project_path`` (a file dialog when None). ``quit_after_s``: close
    the window that long after it opened and exit 0 only if it showed a frame and nothing
    was reported as an error (the bundle's smoke test)."""
    from app.desktop import identify

    app = QApplication.instance() or QApplication(sys.argv[:1])
    identify(app, version)
    if project_path is None:
        path, _ = QFileDialog.getOpenFileName(None, "Open project", "",
                                              "Takeline projects (*.takeline)")
        if not path:
            return 0
        project_path = Path(path)
    try:
        project = open_or_offer_backup(project_path, lambda title, text: confirm(None, title,
                                                                                 text))
    except ProjectError as exc:
        print(f"takeline: error: {exc}", file=sys.stderr)
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    session.add_recent(project.path)
    import asyncio

    import qasync

    # The Qt event loop doubles as the asyncio loop: generation jobs are coroutines that
    # run between paints, never blocking them.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    favour_ui_thread()
    window = MainWindow(project)
    window.show()
    window.timeline.fit()
    settle_heap()
    # No Qt object is ever freed on a worker thread; full collections wait out playback.
    collector = UiThreadCollector(app, busy=window.is_playing)
    smoke: list[str] = []
    if quit_after_s is not None:
        QTimer.singleShot(int(quit_after_s * 1000), lambda: _end_smoke(window, smoke))
    with loop:
        window.generation.resume_queue()
        loop.run_until_complete(closed.wait())
    collector.stop()
    for problem in smoke:
        print(f"takeline: error: {problem}", file=sys.stderr)
    return 1 if smoke else 0


def _end_smoke(window: MainWindow, problems: list[str]) -> None:
    if window.viewer.shown_frame is None:
        problems.append("the viewer showed no frame")
    problems.extend(f"reported: {r.text()}" for r in window.errors.recent
                    if r.level == "error")
    window.close()
