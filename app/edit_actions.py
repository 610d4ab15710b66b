"""The window's clipboard, selection and right-click menus, and placing dropped files.

* Edit > Cut / Copy / Paste (Ctrl+X / C / V) and Paste Insert (Ctrl+Shift+V) at the playhead
  on the target track (``services.clipboard`` decides what a paste becomes); Select All
  (Ctrl+A) selects every item of the sequence.
* Context menus on a clip, a track (its header or empty space on it), the ruler and the
  bin. Each entry is one edit through the window's ``run`` (one undo step) or shows a dock;
  only what the model can do is offered. Edit > Enable / Disable Clip (Shift+E), Link and
  Unlink act on the selection; a track can be renamed (its label) or deleted with its clips.
  A video clip's Extend Head… / Extend Tail… (generative extend) adds a generated segment
  beside it and generates it with the Generate dock's model, the clip's own edge frames
  kept as context; where the frames beside it are taken, it asks before pushing them on.
* Files dropped on the timeline (``app.timeline_drop``) are imported through the window's
  importer and, once added, placed where they were dropped.

The menus are built by ``menu_for`` and kept in ``last_menu`` while shown, so tests trigger
their actions as a user's click would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu

from app.beat_actions import BeatFinder
from app.layouts import confirm
from app.media_import import MediaImport
from app.timeline_drop import place_imported
from project_store.db import ProjectError
from services.clipboard import Clipboard, PasteMode
from timeline.edits import extension_range
from timeline.gestures import DropMode
from timeline.model import Clip, EditError, GeneratedSegment, Item

if TYPE_CHECKING:
    from app.main import MainWindow


class EditActions:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.clipboard = Clipboard()
        self.last_menu: QMenu | None = None
        # Files dropped on the timeline, waiting for their import: request -> where.
        self._placing: dict[int, tuple[MediaImport, str | None, int, DropMode]] = {}
        # How "Reveal in File Manager" opens a folder (tests replace it).
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        view = window.timeline
        view.context_requested.connect(self.show_menu)
        view.files_dropped.connect(self.import_and_place)
        window.importer.finished.connect(self._on_imported)
        window.bin.context_menu_builder = self.bin_menu
        self.beats = BeatFinder(window)
        self._add_menu_actions()

    # --- the Edit menu
    def _add_menu_actions(self) -> None:
        window = self.window
        edit = next(a.menu() for a in window.menuBar().actions()
                    if a.menu() is not None and a.text().replace("&", "") == "Edit")
        first = next((a for a in edit.actions() if a.isSeparator()), None)
        self.actions: dict[str, QAction] = {}
        for name, text, keys, slot in (
                ("cut", "Cut", "Ctrl+X", self.cut),
                ("copy", "Copy", "Ctrl+C", self.copy),
                ("paste", "Paste", "Ctrl+V", lambda: self.paste("overwrite")),
                ("paste_insert", "Paste Insert", "Ctrl+Shift+V", lambda: self.paste("insert")),
                ("select_all", "Select All", "Ctrl+A", self.select_all),
                ("enable", "Enable / Disable Clip", "Shift+E", self.toggle_enabled),
                ("link", "Link", None, self.link),
                ("unlink", "Unlink", None, self.unlink),
                ("cut_to_beats", "Cut to Beats", None, self.cut_to_beats)):
            act = QAction(text, window)
            if keys:
                act.setShortcut(QKeySequence(keys))
            act.triggered.connect(slot)
            edit.insertAction(first, act) if first is not None else edit.addAction(act)
            self.actions[name] = act
        if first is not None:
            edit.insertSeparator(first)

    def _say(self, text: str, ms: int = 6000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # --- clipboard and selection
    def copy(self) -> bool:
        items = self.window.timeline.selected_items()
        try:
            count = self.clipboard.copy(items)
        except EditError as exc:
            self._say(str(exc))
            return False
        self._say(f"Copied {count} item{'s' if count != 1 else ''}", 3000)
        return True

    def cut(self) -> bool:
        items = self.window.timeline.selected_items()
        try:
            edit = self.clipboard.cut_edit(items)
        except EditError as exc:
            self._say(str(exc))
            return False
        if self.window.run(edit):
            self.window.timeline.selected = None
            self.window.session.select(None)
            return True
        return False

    def paste(self, mode: PasteMode = "overwrite") -> bool:
        window = self.window
        at = window.timeline.playhead
        selected = window.session.selected_item
        try:
            edit = self.clipboard.paste_edit(window.project.sequence, at,
                                             selected.track if selected else None, mode)
        except EditError as exc:
            self._say(f"Cannot paste: {exc}")
            return False
        if not window.run(edit):
            return False
        # As Premiere: the playhead goes to the end of what was pasted, ready for the next.
        window.timeline.set_playhead(at + max(c.offset + c.duration
                                              for c in self.clipboard.items))
        return True

    def toggle_enabled(self) -> bool:
        """Shift+E: disable the selected clips (enable them when all are disabled already),
        one undo step."""
        items = self.window.timeline.selected_items()
        if not items:
            self._say("Select a clip to enable or disable")
            return False
        enable = all(not i.enabled for i in items)
        verb = "Enable" if enable else "Disable"
        return self.window.run({
            "op": "group", "label": f"{verb} {len(items)} item{'s' if len(items) > 1 else ''}",
            "steps": [{"op": "set", "item": i.id, "enabled": enable} for i in items]})

    def _selected_clips(self) -> list[int]:
        return [i.id for i in self.window.timeline.selected_items() if isinstance(i, Clip)]

    def link(self) -> bool:
        """Link the selected clips (a picture and the sound recorded with it)."""
        clips = self._selected_clips()
        if len(clips) < 2:
            self._say("Select the clips to link (Ctrl+click adds one)")
            return False
        return self.window.run({"op": "link", "items": clips})

    def unlink(self) -> bool:
        clips = self._selected_clips()
        if not clips:
            self._say("Select a linked clip to unlink")
            return False
        if self.window.run({"op": "unlink", "items": clips}):
            # What stays selected is the clip clicked, no longer its partners.
            view = self.window.timeline
            view.selected = view.selected
            view.update()
            return True
        return False

    def find_beats(self, item_id: int) -> bool:
        """Clip > Find Beats: listen to a music clip (in the background) and mark its beats."""
        return self.beats.find(item_id) is not None

    def cut_to_beats(self) -> bool:
        """Move the selected clips' cuts onto the nearest beat markers (one undo step); the
        status bar says what moved and which cuts the media handles held back."""
        items = self.window.timeline.selected_items()
        if not items:
            self._say("Select the clips whose cuts should land on the beats")
            return False
        if not self.window.run({"op": "cut_to_beats", "items": [i.id for i in items]}):
            return False
        self._say(self.window.project.timeline.undo_label or "Cut to Beats", 12000)
        return True

    def _has_beats(self) -> bool:
        return any(m.is_beat for m in self.window.project.sequence.markers.values())

    def select_all(self) -> None:
        seq = self.window.project.sequence
        items = sorted(seq.all_items(), key=lambda i: (i.start, i.track))
        self.window.timeline.select_items(i.id for i in items)

    # --- context menus
    def show_menu(self, kind: str, what: Any, where: QPoint) -> QMenu:
        menu = self.menu_for(kind, what)
        self.last_menu = menu
        menu.popup(where)
        return menu

    def menu_for(self, kind: str, what: Any) -> QMenu:
        if kind == "clip":
            return self.clip_menu(what)
        if kind == "track":
            return self.track_menu(what)
        if kind == "ruler":
            return self.ruler_menu(what)
        return self.empty_menu()

    def _menu(self) -> tuple[QMenu, Callable[..., QAction]]:
        menu = QMenu(self.window)

        def add(text: str, slot: Callable[[], Any], *, enabled: bool = True,
                keys: str | None = None, tip: str = "") -> QAction:
            act = menu.addAction(text)
            act.triggered.connect(lambda _checked=False: slot())
            act.setEnabled(enabled)
            if keys:
                act.setShortcut(QKeySequence(keys))  # shown beside the entry
            if tip:
                act.setToolTip(tip)
            return act

        menu.setToolTipsVisible(True)
        return menu, add

    def clip_menu(self, item: Item) -> QMenu:
        window = self.window
        menu, add = self._menu()
        at = window.timeline.playhead
        add("Cut", self.cut, keys="Ctrl+X")
        add("Copy", self.copy, keys="Ctrl+C")
        add("Paste", lambda: self.paste("overwrite"), enabled=not self.clipboard.empty,
            keys="Ctrl+V")
        add("Paste Insert", lambda: self.paste("insert"), enabled=not self.clipboard.empty,
            keys="Ctrl+Shift+V")
        menu.addSeparator()
        add("Delete", lambda: window._on_selected("lift"), keys="Delete")
        add("Ripple Delete", lambda: window._on_selected("ripple_delete"), keys="Shift+Delete")
        add("Split at Playhead",
            lambda: window.run({"op": "split", "track": item.track, "at": at}),
            enabled=item.start < at < item.end, keys="S",
            tip="" if item.start < at < item.end else "Put the playhead inside the clip")
        add("Disable" if item.enabled else "Enable", self.toggle_enabled, keys="Shift+E")
        if isinstance(item, Clip):
            linked = item.link is not None and bool(window.project.sequence.linked(item))
            if linked:
                add("Unlink", self.unlink)
            else:
                add("Link", self.link, enabled=len(self._selected_clips()) > 1,
                    tip="" if len(self._selected_clips()) > 1 else
                    "Select the clips to link first (Ctrl+click)")
        menu.addSeparator()
        seq = window.project.sequence
        if isinstance(item, Clip) and seq.tracks[item.track].kind == "video":
            tip = "Generate new frames before / after the clip from its own edge frames"
            add("Extend Head…", lambda: self.extend_clip(item.id, "head"), tip=tip)
            add("Extend Tail…", lambda: self.extend_clip(item.id, "tail"), tip=tip)
        if isinstance(item, Clip):
            asset = window.project.assets.get(item.asset)
            sound = asset is not None and asset.probe.audio_codec is not None
            add("Find Beats", lambda: self.find_beats(item.id), enabled=sound,
                tip="" if sound else "This clip has no sound")
        beats = self._has_beats()
        add("Cut to Beats", self.cut_to_beats, enabled=beats,
            tip="" if beats else "Find a music clip's beats first (Find Beats)")
        menu.addSeparator()
        if isinstance(item, Clip):
            add("Reveal in Bin", lambda: self.reveal_in_bin(item.asset))
            add("Properties", lambda: self._show_dock(window.clip_dock))
        elif isinstance(item, GeneratedSegment):
            button = window.generation.range_button
            add("Regenerate Range", button.click, enabled=button.isEnabled(),
                tip=button.toolTip())
            add("Properties", lambda: self._show_dock(window.brief_dock))
        return menu

    def extend_clip(self, clip_id: int, side: str, frames: int | None = None,
                    insert: bool | None = None) -> int | None:
        """Generative extend of a clip by ``frames`` (asked, default one second): one
        undoable edit adds the segment beside the clip, then the Generate dock generates it
        (its model; previz without one). Where the frames beside the clip are taken (or a
        head would start before frame 0), ``insert`` (asked) pushes the clip's track along
        instead of refusing. Returns the new segment's id."""
        window = self.window
        if window.refuse_if_read_only():
            return None
        seq = window.project.sequence
        clip = seq.find_item(clip_id)
        if not isinstance(clip, Clip):
            return None
        if frames is None:
            frames, ok = QInputDialog.getInt(
                window, f"Extend {side.capitalize()}",
                f"Frames to generate {'after' if side == 'tail' else 'before'} the clip "
                f"({seq.fps} fps):", max(1, round(seq.fps)), 1, 100_000)
            if not ok:
                return None
        if insert is None:
            start, end = extension_range(clip, side, frames)
            taken = start < 0 or bool(seq.tracks[clip.track].overlapping(start, end))
            insert = taken and confirm(
                window, f"Extend {side.capitalize()}",
                f"The {frames} frames {'after' if side == 'tail' else 'before'} the clip "
                "are taken. Push what follows along to make room?")
            if taken and not insert:
                return None
        before = {i.id for i in seq.all_items()}
        if not window.run({"op": "extend", "item": clip_id, "side": side, "frames": frames,
                           "insert": insert}):
            return None
        [segment_id] = [i.id for i in window.project.sequence.all_items()
                        if i.id not in before]
        window.timeline.select_items([segment_id])  # the Generate dock follows it
        if not window.generation.generate():
            # Refused at once (the chosen model cannot extend): as if nothing was done.
            window.project.undo()
            window.refresh()
            return None
        self._say(f"Extending clip {clip_id}: segment {segment_id}, {frames} frames")
        return segment_id

    def track_menu(self, name: str) -> QMenu:
        window = self.window
        menu, add = self._menu()
        info = window.project.sequence.track(name).info
        add("Paste", lambda: self.paste("overwrite"), enabled=not self.clipboard.empty,
            keys="Ctrl+V")
        menu.addSeparator()
        for switch, on_text, off_text in (("locked", "Unlock Track", "Lock Track"),
                                          ("muted", "Unmute Track", "Mute Track"),
                                          ("solo", "Unsolo Track", "Solo Track"),
                                          ("hidden", "Show Track", "Hide Track")):
            on = bool(getattr(info, switch))
            add(f"{on_text if on else off_text} {name}",
                lambda s=switch, v=not on: window.run({"op": "set_track", "track": name,
                                                       s: v}))
        menu.addSeparator()
        add(f"Rename {info.shown}…", lambda: self.rename_track(name))
        add(f"Delete Track {info.shown}", lambda: self.delete_track(name))
        menu.addSeparator()
        self._add_track_entries(add)
        return menu

    def rename_track(self, name: str, ask: Callable[[str], tuple[str, bool]] | None = None
                     ) -> bool:
        """Ask for the track's new name (empty: back to V1 / A1); ``ask`` stands in for
        the dialog in tests."""
        info = self.window.project.sequence.track(name).info

        def dialog(current: str) -> tuple[str, bool]:
            return QInputDialog.getText(self.window, "Rename Track",
                                        f"Name for {name} (empty: {name}):", text=current)

        text, ok = (ask or dialog)(info.label)
        return ok and self.window.run({"op": "rename_track", "track": name,
                                       "label": text.strip()})

    def delete_track(self, name: str) -> bool:
        return self.window.run({"op": "delete_track", "track": name})

    def _add_track_entries(self, add: Callable[..., QAction]) -> None:
        run = self.window.run
        add("Add Video Track", lambda: run({"op": "add_track", "kind": "video"}))
        add("Add Audio Track", lambda: run({"op": "add_track", "kind": "audio"}))

    def empty_menu(self) -> QMenu:
        menu, add = self._menu()
        self._add_track_entries(add)
        return menu

    def ruler_menu(self, frame: int) -> QMenu:
        window = self.window
        seq = window.project.sequence
        menu, add = self._menu()
        add("Add Marker Here", lambda: window.run(
            {"op": "add_marker", "at": frame, "name": f"Marker {len(seq.markers) + 1}"}),
            keys="M")
        menu.addSeparator()
        add("Set In Here", lambda: window.run({"op": "set_in_out", "in_point": frame}),
            keys="I")
        add("Set Out Here", lambda: window.run({"op": "set_in_out", "out_point": frame}),
            keys="O")
        add("Clear In/Out", lambda: window.run({"op": "set_in_out", "clear": True}),
            enabled=seq.in_point is not None or seq.out_point is not None)
        menu.addSeparator()
        add("Move Playhead Here", lambda: window.timeline.set_playhead(frame))
        return menu

    def bin_menu(self, asset_id: int | None) -> QMenu:
        window = self.window
        media_bin = window.bin
        asset = window.project.assets.get(asset_id) if asset_id is not None else None
        menu, add = self._menu()
        add("Import…", window.import_media, keys="Ctrl+I")
        menu.addSeparator()
        add("Relink…", lambda: media_bin.ask_relink(asset_id), enabled=asset is not None)
        add("Relink Missing from Folder…", media_bin.ask_relink_folder,
            enabled=bool(window.project.missing_assets))
        add("Reveal in File Manager",
            lambda: self.open_url(QUrl.fromLocalFile(str(Path(asset.path).parent))),
            enabled=asset is not None)
        menu.addSeparator()
        unused = window.project.unused_assets() if not window.project.read_only else []
        add("Remove Unused", self.remove_unused, enabled=bool(unused),
            tip=f"Take the {len(unused)} media no clip uses out of the project (the files "
                "stay on disk)" if unused else "Every item in the bin is used")
        self.last_menu = menu
        return menu

    def remove_unused(self) -> list[int]:
        """Bin > Remove Unused: the media no clip (nor any undo step) uses leave the project;
        the files are not touched."""
        window = self.window
        try:
            removed = window.project.remove_unused_assets()
        except ProjectError as exc:
            self._say(f"Cannot remove unused media: {exc}")
            return []
        if window.source_state.asset in removed:
            window.source_monitor.unload()
        window.refresh()
        self._say(f"Removed {len(removed)} unused item{'s' if len(removed) != 1 else ''} "
                  "from the bin" if removed else "Every item in the bin is used", 4000)
        return removed

    def reveal_in_bin(self, asset_id: int) -> None:
        if not self.window.bin.reveal(asset_id):
            self._say(f"Asset {asset_id} is not in the bin")

    def _show_dock(self, dock: Any) -> None:
        dock.show()
        dock.raise_()

    # --- files dropped on the timeline
    def import_and_place(self, files: list[str], row: str | None, frame: int,
                         mode: str) -> MediaImport:
        request = self.window.import_files(files)
        self._placing[id(request)] = (request, row, frame,
                                      "insert" if mode == "insert" else "overwrite")
        return request

    def _on_imported(self, request: MediaImport) -> None:
        placing = self._placing.pop(id(request), None)
        if placing is None or request.assets is None:
            return  # not a timeline drop, or the import failed (the window said why)
        _request, row, frame, mode = placing
        window = self.window
        plan = place_imported(window.project.sequence, window.project.timeline.media,
                              [a.id for a in request.assets], row, frame, mode)
        if plan.refusal or plan.edit is None:
            self._say(f"Imported, but not placed: {plan.refusal}", 10000)
            return
        window.run(plan.edit)
