"""Dropping media onto the timeline: bin items (their asset ids, ``ASSET_MIME``) and files
from the desktop.

While the drag is over the timeline a ghost shows where the clips would land (the view's
ghost painting, snapped with ``timeline.snapping`` as the view's own drags are), with a
label saying overwrite or insert; Ctrl held means insert (Premiere's modifier), otherwise a
drop overwrites. What a drop becomes is the model's answer, ``timeline.gestures.plan_drop``;
this module turns the mouse into a track and a frame, paints the answer and, on the drop,
runs its edit through the view (one undo step). A drop the rules refuse (a sound on a video
track, a locked track) is not made and the status bar says why.

Files are not in the project yet: a file drop asks the window to import them (off the UI
thread, ``app.media_import``) and to place what was imported at the drop's track and frame
(``place_imported``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QPainter, QPen

from app.theme import GHOST_EDGE, GHOST_REFUSED, SNAP_LINE
from timeline import gestures
from timeline.gestures import DropMode, DropPlan, DropSource
from timeline.model import MediaInfo, Sequence
from timeline.snapping import SnapTargets
from timeline.time import timecode

if TYPE_CHECKING:
    from app.timeline_view import TimelineView

# Media as it leaves the bin (or a source monitor): a JSON list whose entries are asset ids
# (all of the media) or {"asset": id, "source_in": a, "source_out": b} (frames a-b, an
# In/Out). Bin items also carry file URLs, for the Brief's reference slots, which take files.
ASSET_MIME = "application/x-takeline-assets"


def asset_mime(assets: list[int | DropSource], mime: QMimeData | None = None) -> QMimeData:
    mime = mime or QMimeData()
    entries = [a if isinstance(a, int) else
               {"asset": a.asset, "source_in": a.source_in, "source_out": a.source_out}
               for a in assets]
    mime.setData(ASSET_MIME, json.dumps(entries).encode())
    return mime


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def mime_sources(mime: QMimeData) -> list[int | DropSource]:
    """What a drag of media carries (nothing: not ours, or unreadable)."""
    if not mime.hasFormat(ASSET_MIME):
        return []
    try:
        entries = json.loads(bytes(mime.data(ASSET_MIME).data()).decode())
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(entries, list):
        return []
    out: list[int | DropSource] = []
    for entry in entries:
        if _whole(entry):
            out.append(entry)
        elif (isinstance(entry, dict) and _whole(entry.get("asset"))
              and _whole(entry.get("source_in", 0))
              and (entry.get("source_out") is None or _whole(entry.get("source_out")))):
            out.append(DropSource(entry["asset"], entry.get("source_in", 0),
                                  entry.get("source_out")))
    return out


def mime_assets(mime: QMimeData) -> list[int]:
    """The asset ids a drag carries, in order."""
    return [s if isinstance(s, int) else s.asset for s in mime_sources(mime)]


def mime_files(mime: QMimeData) -> list[str]:
    """The local files a drag carries; a folder stands for the files under it (as a drop on
    the bin)."""
    if not mime.hasUrls():
        return []
    files: list[str] = []
    for url in mime.urls():
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        files.extend(sorted(str(c) for c in path.rglob("*") if c.is_file()) if path.is_dir()
                     else [str(path)])
    return files


def drop_mode(modifiers: Qt.KeyboardModifier) -> DropMode:
    return "insert" if modifiers & Qt.KeyboardModifier.ControlModifier else "overwrite"


def place_imported(seq: Sequence, media: dict[int, MediaInfo], assets: list[int],
                   row: str | None, frame: int, mode: DropMode) -> DropPlan:
    """Files dropped on the timeline, now imported: where they go (at the frame the drop
    snapped to; nothing is snapped again)."""
    return gestures.plan_drop(seq, media, assets, row, frame, mode, SnapTargets(()), None)


@dataclass
class DropHover:
    """A drag over the timeline: the plan for the mouse where it is now."""

    plan: DropPlan
    mouse: QPointF
    files: list[str] = field(default_factory=list)  # a file drop (not imported yet)
    names: str = ""


class TimelineDrop:
    """The timeline view's drop handling (the view forwards its drag events here)."""

    def __init__(self, view: TimelineView) -> None:
        self.view = view
        self.hover: DropHover | None = None
        self._said: str | None = None
        self._walked: tuple[tuple[str, ...], list[str]] | None = None

    # --- events
    def enter(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if not mime.hasFormat(ASSET_MIME) and not mime.hasUrls():
            event.ignore()
            return
        self._said = None
        self.move(event)

    def move(self, event: QDragMoveEvent) -> None:
        hover = self._follow(event.mimeData(), event.position(), event.modifiers())
        if hover is None:
            event.ignore()
            return
        refusal = hover.plan.refusal
        if refusal != self._said:
            self._said = refusal
            if refusal:
                self.view._say(f"Cannot drop here: {refusal}")
        if refusal:
            event.ignore()  # the forbidden cursor; the red ghost says where
        else:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        self.view.update()

    def leave(self) -> None:
        self.hover = None
        self.view.update()

    def drop(self, event: QDropEvent) -> bool:
        """Make the drop: True if an edit was run (or an import asked for)."""
        hover = self._follow(event.mimeData(), event.position(), event.modifiers())
        self.hover = None
        self.view.update()
        if hover is None:
            event.ignore()
            return False
        plan = hover.plan
        if plan.refusal:
            self.view._say(f"Cannot drop here: {plan.refusal}")
            event.ignore()
            return False
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if hover.files:
            self.view.files_dropped.emit(hover.files, plan.track, plan.start, plan.mode)
            return True
        assert plan.edit is not None
        return self.view._commit(plan.edit)

    # --- the plan for the mouse at ``pos``
    def _files(self, mime: QMimeData) -> list[str]:
        """The drag's files, walked once per drag (a move event comes with every pixel)."""
        key = tuple(u.toString() for u in mime.urls())
        if self._walked is None or self._walked[0] != key:
            self._walked = (key, mime_files(mime))
        return self._walked[1]

    def _follow(self, mime: QMimeData, pos: QPointF,
                modifiers: Qt.KeyboardModifier) -> DropHover | None:
        from app.timeline_view import HEADER_W  # the view imports this module

        view = self.view
        seq = view._sequence()
        mode = drop_mode(modifiers)
        row = view._row_at(pos.y()) if pos.x() >= HEADER_W else None
        frame = view.frame_at(pos.x())
        assets = mime_sources(mime)
        files = [] if assets else self._files(mime)
        if not assets and not files:
            self.hover = None
            return None
        targets = view._targets()
        tolerance = view._tolerance()
        if assets:
            plan = gestures.plan_drop(seq, view._media_info(), assets, row, frame, mode,
                                      targets, tolerance)
            media = view._media_info()
            ids = [a if isinstance(a, int) else a.asset for a in assets]
            names = ", ".join(media[a].name or f"asset {a}" for a in ids if a in media)
        else:
            # Not probed yet: no length to show or snap by; the head snaps.
            start, snap = gestures.snap_frame(targets, frame, tolerance)
            refusal = None
            if row is None:
                refusal = "Drop onto a track"
            elif seq.track(row).info.locked:
                refusal = f"Track {row} is locked; unlock it first"
            plan = DropPlan(mode, row, max(0, start), (), snap, refusal)
            names = f"{len(files)} file(s)"
        self.hover = DropHover(plan, pos, files, names)
        return self.hover

    # --- painting (the view calls this last, over everything)
    def paint(self, p: QPainter, seq: Sequence) -> None:
        hover = self.hover
        if hover is None:
            return
        view = self.view
        plan = hover.plan
        refused = plan.refusal is not None
        if plan.track is not None:
            for start, end in plan.spans:
                view._ghost(p, plan.track, start, end, refused)
            if plan.mode == "insert" and plan.duration and not refused:
                # What follows on the track moves later by the dropped length.
                track = seq.track(plan.track)
                last = view.frame_at(view.width()) + 1
                for item in track.items[track.first_index_at_or_after(plan.start):]:
                    if item.start > last:
                        break
                    view._ghost(p, plan.track, item.start + plan.duration,
                                item.end + plan.duration, False)
            row = view._row_rect(plan.track)
            if row is not None:
                x = view.x_of(plan.start)
                p.setPen(QPen(GHOST_REFUSED if refused else GHOST_EDGE, 2))
                p.drawLine(QPointF(x, row.top()), QPointF(x, row.bottom()))
        if plan.snap is not None:
            x = view.x_of(plan.snap)
            p.setPen(QPen(SNAP_LINE, 2))
            p.drawLine(QPointF(x, 0), QPointF(x, view.height()))
        view._paint_label(p, self.label(seq), hover.mouse)

    def label(self, seq: Sequence) -> str:
        assert self.hover is not None
        plan = self.hover.plan
        if plan.refusal:
            return f"Cannot drop: {plan.refusal}"
        verb = "Insert" if plan.mode == "insert" else "Overwrite"
        at = timecode(plan.start, seq.fps)
        if self.hover.files:
            return f"Import {self.hover.names}, then {verb.lower()} on {plan.track} at {at}"
        hint = "" if plan.mode == "insert" else "  (Ctrl: insert)"
        return (f"{verb} {self.hover.names} on {plan.track} at {at} "
                f"({plan.duration} frames){hint}")
