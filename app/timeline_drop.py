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
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QPainter, QPen

from app.theme import GHOST_EDGE, GHOST_REFUSED, SNAP_LINE
from timeline import gestures
from timeline.gestures import DropMode, DropPlan
from timeline.model import MediaInfo, Sequence
from timeline.snapping import SnapTargets
from timeline.time import timecode

if TYPE_CHECKING:
    from app.timeline_view import TimelineView

# Bin items as they leave the bin: a JSON list of asset ids (they also carry file URLs, for
# the Brief's reference slots, which take files).
ASSET_MIME = "application/x-takeline-assets"


def asset_mime(asset_ids: list[int], mime: QMimeData | None = None) -> QMimeData:
    mime = mime or QMimeData()
    mime.setData(ASSET_MIME, json.dumps([int(a) for a in asset_ids]).encode())
    return mime


def mime_assets(mime: QMimeData) -> list[int]:
    """The asset ids a drag carries (none: not from the bin, or unreadable)."""
    if not mime.hasFormat(ASSET_MIME):
        return []
    try:
        ids = json.loads(bytes(mime.data(ASSET_MIME).data()).decode())
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(ids, list):
        return []
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]


def mime_files(mime: QMimeData) -> list[str]:
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


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

    # --- events
    def enter(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if not mime_assets(mime) and not mime_files(mime):
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
    def _follow(self, mime: QMimeData, pos: QPointF,
                modifiers: Qt.KeyboardModifier) -> DropHover | None:
        from app.timeline_view import HEADER_W  # the view imports this module

        view = self.view
        seq = view._sequence()
        mode = drop_mode(modifiers)
        row = view._row_at(pos.y()) if pos.x() >= HEADER_W else None
        frame = view.frame_at(pos.x())
        assets = mime_assets(mime)
        files = [] if assets else mime_files(mime)
        if not assets and not files:
            self.hover = None
            return None
        targets = view._targets()
        tolerance = view._tolerance()
        if assets:
            plan = gestures.plan_drop(seq, view._media_info(), assets, row, frame, mode,
                                      targets, tolerance)
            media = view._media_info()
            names = ", ".join(media[a].name or f"asset {a}" for a in assets if a in media)
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
