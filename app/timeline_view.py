"""The timeline panel: tracks, clips, generated segments, dissolves, markers and the playhead,
painted straight from the model. Every change goes through ``Project`` commands; this widget
only reads the sequence and asks for edits.

Clips show their media once the background caches arrive (``set_media_caches``): video
clips a filmstrip of thumbnails tiled from the clip's left edge, each tile the thumbnail at
or before the source time under its left edge; audio clips (and the linked sound of video
clips, in a band at the bottom) the min/max envelope of their waveform peaks, one column
per pixel. Until then clips are painted as plain boxes.

Mouse editing (the window connects it with ``attach_editor``). A drag only draws a ghost,
a snap line and a label with the frame delta; the edit is made on release, as one command
(one undo step). Escape cancels a drag in progress. Snapping (``timeline.snapping``: the
playhead, item edges, markers, in/out; within ``SNAP_PX`` pixels) is on unless switched
off with Shift+S. How far a drag may go and what it snaps to are the model's answers
(``timeline.gestures``); the view turns pixels into frames, asks, and paints the result.

* Selection tool (A):
    - drag a clip's body: ``move`` (in time, and to another track of the same kind);
    - drag within ``EDGE_PX`` of its left/right edge: ``trim`` in/out (its linked clips'
      edges too); with Ctrl held at the press, a ripple trim (what follows on the track
      moves with the edge); with Alt, the clip alone without its linked sound or picture
      (a J or L cut, as Premiere's Alt);
    - a click selects a clip with its linked clips; Alt+click or Alt+drag takes one alone;
    - Shift + drag at a cut between two adjacent items: ``roll`` the cut;
    - Ctrl+Alt + drag on the body: ``slip`` (the media moves with the mouse, so dragging
      right shows earlier source frames);
    - drag on an empty part of a track, or Shift + drag in the ruler: marks the dragged
      range as the sequence's in/out points (``set_in_out``) on release;
    - click: select the item under the mouse (or nothing), leaving the playhead where it
      is; a click or drag in the ruler moves the playhead (scrubbing); a marker's flag at the
      ruler's foot drags the marker (``move_marker``), a click on it goes there, a
      double-click edits it (the window's marker dialog);
    - Ctrl+click or Shift+click on a body: add it to the selection or take it out; dragging
      one of several selected items moves them all (in time, and the items of its kind
      across as many tracks; one undo step).
* Razor tool (B, again for the selection tool): a click splits that track at the snapped
  frame under the mouse.
* Roll tool (N): a drag at a cut rolls it. Slip tool (Y): a drag on a body slips it.
  Slide tool (U): a drag on a body slides it between its neighbours (they trim to follow).

* Drops (``app.timeline_drop``): bin items and desktop files dragged onto a track land
  there, overwriting (Ctrl: inserting), with a snapped ghost while dragging.
* Right-click: ``context_requested`` says what is under the mouse; the window's menus.

Edits the model refuses (a locked track, a trim past the media) come back from the window's
``run`` as a status-bar message, and the timeline stays as it was."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from app.theme import (
    BEAT_MARKER,
    CLIP_AUDIO,
    CLIP_GENERATED,
    CLIP_STILL,
    CLIP_VIDEO,
    DISABLED_VEIL,
    GHOST_EDGE,
    GHOST_FILL,
    GHOST_REFUSED,
    IN_OUT_BAR,
    LABEL_BACKDROP,
    LABEL_FILL,
    LINK_MARK,
    OVERLAY_EDGE,
    PLAYHEAD,
    RANGE_FILL,
    RAZOR_LINE,
    RULER,
    SELECTION,
    SNAP_LINE,
    STALE,
    SWITCH_BORDER,
    SWITCH_OFF,
    SWITCH_ON,
    TAKES_BADGE,
    TEXT,
    TEXT_DIM,
    TEXT_HEADER,
    TEXT_MUTED,
    TEXT_ON_LIGHT,
    TIMELINE_BACKGROUND,
    TRACK_HEADER,
    TRACK_ROW,
    TRANSITION_MARK,
    WAVEFORM,
    WAVEFORM_BAND,
    WHITE,
    marker_colour,
    small_font,
)
from app.timeline_drop import TimelineDrop
from timeline import gestures
from timeline.media.thumbnails import Filmstrip, Waveform
from timeline.model import Clip, GeneratedSegment, Item, MediaInfo, Sequence
from timeline.snapping import SnapTargets, snap_targets, tolerance_frames
from timeline.time import timecode

RULER_H = 34
TRACK_H = 44
HEADER_W = 64

WAVE_FLOOR_DB = -36.0  # waveforms are drawn in dB: quieter than this is a flat line
EDGE_PX = 6.0  # a press this close to an item's edge trims it
SNAP_PX = 8.0  # snapping tolerance on screen
PLAYHEAD_STRIP = 3.0  # half the width repainted around the playhead line when it moves
LABEL_REACH = 200  # px: how far right of where it starts a label (clip name, timecode) runs
DRAG_START_PX = 3.0  # movement before a press becomes a drag (a click otherwise)
TOOLS = ("select", "razor", "roll", "slip", "slide")
# The track header's toggle boxes, left to right (their lit colours: theme.SWITCH_ON).
SWITCHES = (("muted", "M"), ("solo", "S"), ("locked", "L"), ("hidden", "H"))
SWITCH_PX = 12.0


class TimelineView(QWidget):
    """Zoomable, scrollable painter of one sequence. Click sets the playhead and selects;
    drags edit (see the module docstring)."""

    playhead_moved = Signal(int)
    selection_changed = Signal(object)  # item id or None
    tool_changed = Signal(str)
    marker_activated = Signal(int)  # a marker's flag was double-clicked: edit it
    # Files dropped from the desktop: (paths, track, frame, "overwrite" | "insert"); the
    # window imports them and places them there (app.timeline_drop).
    files_dropped = Signal(list, object, int, str)
    # A right-click: (what is under it: "clip" | "track" | "ruler" | "empty", the item or
    # track name or frame, the global position); the window builds the menu.
    context_requested = Signal(str, object, object)

    def __init__(self, sequence_getter: Callable[[], Sequence],
                 asset_kind: Callable[[int], tuple[str, str] | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sequence = sequence_getter
        self._asset_kind = asset_kind
        self.pixels_per_frame = 4.0
        self.scroll_frames = 0
        self.playhead = 0
        self._selected: int | None = None  # the item the inspectors show (last clicked)
        # Every selected item, ``selected`` included: Ctrl/Shift-click adds or removes one;
        # Delete, Shift+Delete and a drag of one of them act on them all.
        self.selection: set[int] = set()
        # Generated segments whose active take no longer matches their brief; the window
        # sets it once per refresh (it reads the project), never per paint.
        self.stale: frozenset[int] = frozenset()
        self.filmstrips: dict[int, Filmstrip] = {}
        self.waveforms: dict[int, Waveform] = {}
        # asset -> (the filmstrip they came from, tile height, its thumbnails as QImages)
        self._thumb_images: dict[int, tuple[Filmstrip, int, list[QImage]]] = {}
        # waveform outlines: (clip geometry, zoom, band) -> (their Waveform, polygon)
        self._wave_polygons: dict[tuple[Any, ...], tuple[Waveform, QPolygonF | None]] = {}
        # Mouse editing: the tool, snapping, and the gesture in progress (None when idle).
        self.tool = "select"
        self.snapping = True
        self.drag: _Drag | None = None
        self._hover_frame: int | None = None  # the razor's cut line under the mouse
        self._run_edit: Callable[[dict[str, Any]], bool] | None = None
        self._media: Callable[[], Mapping[int, MediaInfo]] | None = None
        self._message: Callable[[str], None] | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.drops = TimelineDrop(self)  # bin items and files dragged onto the timeline
        self.setAcceptDrops(True)
        self.setMinimumHeight(RULER_H + TRACK_H * 4 + 8)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(900, RULER_H + TRACK_H * len(self._sequence().tracks) + 8)

    # --- geometry
    def x_of(self, frame: int) -> float:
        return HEADER_W + (frame - self.scroll_frames) * self.pixels_per_frame

    def frame_at(self, x: float) -> int:
        # Floor, so a click anywhere on a frame's column selects that frame.
        return max(0, int((x - HEADER_W) // self.pixels_per_frame) + self.scroll_frames)

    def track_rows(self) -> list[tuple[str, QRectF]]:
        rows = []
        # Video tracks top-down V2 above V1 (NLE convention), then audio A1, A2 below.
        seq = self._sequence()
        video = sorted(seq.video_tracks, key=lambda t: -t.info.index)
        audio = sorted(seq.audio_tracks, key=lambda t: t.info.index)
        for i, track in enumerate(video + audio):
            rows.append((track.name, QRectF(0, RULER_H + i * TRACK_H, self.width(), TRACK_H)))
        return rows

    def item_at(self, pos: QPointF) -> Item | None:
        seq = self._sequence()
        frame = self.frame_at(pos.x())
        for name, rect in self.track_rows():
            if rect.contains(pos):
                return seq.track(name).item_at(frame)
        return None

    def set_playhead(self, frame: int) -> None:
        frame = max(0, frame)
        if frame != self.playhead:
            old = self.playhead
            self.playhead = frame
            self.playhead_moved.emit(frame)
            # Only the strips under the old and the new line: a whole repaint per frame of
            # playback or per mouse move while scrubbing (every clip, label and thumbnail
            # again) was most of the UI thread's time.
            for x in (self.x_of(old), self.x_of(frame)):
                self.update(QRectF(x - PLAYHEAD_STRIP, 0, 2 * PLAYHEAD_STRIP,
                                   self.height()).toAlignedRect())

    def fit(self) -> None:
        duration = max(1, self._sequence().duration_frames)
        self.scroll_frames = 0
        self.pixels_per_frame = max(0.05, (self.width() - HEADER_W - 20) / duration)
        self.update()

    def set_stale(self, segment_ids: Iterable[int]) -> None:
        stale = frozenset(segment_ids)
        if stale != self.stale:
            self.stale = stale
            self.update()

    # --- media caches
    def set_media_caches(self, filmstrips: Mapping[int, Filmstrip],
                         waveforms: Mapping[int, Waveform]) -> None:
        """Thumbnails and waveform peaks by asset id; assets left out paint as plain boxes.
        QImages are made again only for filmstrips that changed."""
        self.filmstrips = dict(filmstrips)
        self.waveforms = dict(waveforms)
        self._thumb_images = {
            asset: cached for asset, cached in self._thumb_images.items()
            if self.filmstrips.get(asset) is cached[0]
        }
        self.update()

    def _thumbnails(self, asset: int, height: int) -> list[QImage] | None:
        """The asset's thumbnails scaled to ``height`` pixels, made once per height."""
        strip = self.filmstrips.get(asset)
        if strip is None or len(strip) == 0 or height <= 0:
            return None
        cached = self._thumb_images.get(asset)
        if cached is not None and cached[0] is strip and cached[1] == height:
            return cached[2]
        w, h = strip.size
        images = []
        for frame in strip.frames:
            image = QImage(np.ascontiguousarray(frame).data, w, h, 3 * w,
                           QImage.Format.Format_RGB888)
            # scaled() (or copy()) detaches from the numpy buffer.
            images.append(image.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation)
                          if height != h else image.copy())
        self._thumb_images[asset] = (strip, height, images)
        return images

    # --- editing by mouse
    def attach_editor(self, run: Callable[[dict[str, Any]], bool],
                      media: Callable[[], Mapping[int, MediaInfo]] | None = None,
                      message: Callable[[str], None] | None = None) -> None:
        """Let mouse gestures edit: ``run`` executes one operation (``{"op": ...}``) as one
        undo step and reports refusals itself (the window's ``run``); ``media`` gives the
        assets' lengths, so a trim preview stops at the end of the media; ``message`` shows
        a short note (a gesture that does nothing, a tool change)."""
        self._run_edit = run
        self._media = media
        self._message = message

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"Unknown timeline tool {tool!r}; one of {', '.join(TOOLS)}")
        if tool != self.tool:
            self.tool = tool
            self._hover_frame = None
            self.tool_changed.emit(tool)
            self._update_cursor(None)
            self._say({"select": "Selection tool (A)", "razor": "Razor tool (B): click to cut",
                       "roll": "Roll tool (N): drag a cut", "slip": "Slip tool (Y): drag a clip",
                       "slide": "Slide tool (U): drag a clip between its neighbours"}[tool])
            self.update()

    def _say(self, text: str) -> None:
        if self._message is not None:
            self._message(text)

    def _commit(self, params: dict[str, Any]) -> bool:
        if self._run_edit is None:
            self._say("This timeline is read-only")
            return False
        return self._run_edit(params)

    def _media_info(self) -> Mapping[int, MediaInfo]:
        """The assets' lengths for the gesture limits (none known: unbounded)."""
        return {} if self._media is None else self._media()

    def _row_at(self, y: float) -> str | None:
        for name, rect in self.track_rows():
            if rect.top() <= y < rect.bottom():
                return name
        return None

    def _row_rect(self, name: str) -> QRectF | None:
        return next((rect for n, rect in self.track_rows() if n == name), None)

    def _edge_at(self, track_name: str, x: float) -> tuple[Item, str] | None:
        """The item edge within ``EDGE_PX`` of ``x`` on a track, as (item, "in"|"out").

        At a cut between two adjacent items the side of the cut the mouse is on decides.
        On narrow items the zone shrinks to a third of the width, so the body stays
        draggable."""
        track = self._sequence().track(track_name)
        reach = EDGE_PX / self.pixels_per_frame
        best: tuple[float, int, Item, str] | None = None
        for item in track.overlapping(max(0, int(self.frame_at(x) - reach - 1)),
                                      int(self.frame_at(x) + reach + 2)):
            width = item.duration * self.pixels_per_frame
            zone = min(EDGE_PX, width / 3)
            for side, edge_x in (("in", self.x_of(item.start)), ("out", self.x_of(item.end))):
                distance = abs(x - edge_x)
                if distance > zone:
                    continue
                # Inside the item beats outside it: at a cut, the side the mouse is on.
                inside = (x >= edge_x) if side == "in" else (x < edge_x)
                key = (distance, 0 if inside else 1)
                if best is None or key < best[:2]:
                    best = (distance, key[1], item, side)
        return None if best is None else (best[2], best[3])

    def _targets(self, exclude: Iterable[int] = ()) -> SnapTargets:
        return snap_targets(self._sequence(), playhead=self.playhead, exclude_items=exclude)

    def _tolerance(self) -> int | None:
        """The snapping tolerance in frames at this zoom; None while snapping is off."""
        return tolerance_frames(SNAP_PX, self.pixels_per_frame) if self.snapping else None

    # --- input
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self.drag is not None:  # a second button during a drag: ignore it
            return
        if pos.x() < HEADER_W:
            self._header_click(pos)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        mods = event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        frame = self.frame_at(pos.x())
        if pos.y() <= RULER_H:
            marker = self._marker_at(pos) if not shift else None
            if marker is not None:  # the marker's flag: drag it along the ruler
                self.drag = _Drag("marker", pos.x(), pos.y(), marker.frame, marker=marker.id,
                                  targets=self._targets())
                self.update()
                return
            if shift:
                self.drag = _Drag("range", pos.x(), pos.y(), frame, targets=self._targets())
            else:
                self.drag = _Drag("scrub", pos.x(), pos.y(), frame, started=True)
                self.set_playhead(frame)
            self.update()
            return
        row = self._row_at(pos.y())
        if row is None:  # below the last track
            self._select(None)
            self.update()
            return
        if self.tool == "razor":
            self._razor(row, pos.x())
            return
        track = self._sequence().track(row)
        edge = self._edge_at(row, pos.x())
        body = track.item_at(frame)
        if self.tool == "roll" or (shift and edge is not None):
            cut = self._cut_at(row, edge)
            if cut is not None:
                a, b = cut
                self._select(a if edge is not None and edge[0].id == a.id else b)
                self.drag = _Drag("roll", pos.x(), pos.y(), frame, item=a, other=b, track=row,
                                  targets=self._targets((a.id, b.id)))
                self.update()
                return
            if self.tool == "roll":
                self._say("Roll: press on a cut between two adjacent clips")
                return
        if body is not None and (self.tool == "slip" or (ctrl and alt)) and edge is None:
            self._select(body)
            self.drag = _Drag("slip", pos.x(), pos.y(), frame, item=body, track=row)
        elif self.tool == "slide":
            if body is None:
                self._say("Slide: press on a clip's body")
                return
            self._select(body)
            self.drag = _Drag("slide", pos.x(), pos.y(), frame, item=body, track=row,
                              targets=self._targets((body.id,)))
        elif self.tool == "slip":
            if body is None:
                self._say("Slip: press on a clip's body")
                return
            self._select(body)
            self.drag = _Drag("slip", pos.x(), pos.y(), frame, item=body, track=row)
        elif edge is not None:
            item, side = edge
            self._select(item, alone=alt)
            self.drag = _Drag("trim", pos.x(), pos.y(), frame, item=item, side=side,
                              ripple=ctrl, alone=alt, track=row,
                              targets=self._targets((item.id,)))
        elif body is not None and (ctrl or shift):
            self._toggle(body)
            return
        elif body is not None:
            group = body.id in self.selection and len(self.selection) > 1 and not alt
            if not group:
                self._select(body, alone=alt)
            moving = self.selected_items() if group or len(self.selection) > 1 else [body]
            self.drag = _Drag("move", pos.x(), pos.y(), frame, item=body, track=row,
                              dest=row, group=tuple(moving), alone=alt,
                              targets=self._targets(tuple(i.id for i in moving)))
        else:
            self.drag = _Drag("range", pos.x(), pos.y(), frame, track=row,
                              targets=self._targets())
        self.update()

    def _marker_at(self, pos: QPointF) -> Any:
        """The marker whose flag (the box at the ruler's foot) is under ``pos``, if any."""
        if pos.y() < RULER_H - 14:
            return None
        for m in self._sequence().markers.values():
            if abs(self.x_of(m.frame) - pos.x()) <= 5:
                return m
        return None

    def _select(self, item: Item | None, alone: bool = False) -> None:
        """Select ``item`` and (unless ``alone``) the clips linked to it, as NLEs do."""
        new = item.id if item is not None else None
        self.selection = {new} if new is not None else set()
        if item is not None and not alone:
            self.selection.update(i.id for i in self._sequence().linked(item))
        self._emit_selected(new)

    @property
    def selected(self) -> int | None:
        return self._selected

    @selected.setter
    def selected(self, item_id: int | None) -> None:
        """Select just this item (or nothing); no signal (callers refresh themselves)."""
        self._selected = item_id
        self.selection = {item_id} if item_id is not None else set()

    def _toggle(self, item: Item) -> None:
        """Ctrl/Shift-click: add the item to the selection, or take it out."""
        group = {item.id, *(i.id for i in self._sequence().linked(item))}
        if item.id in self.selection:
            self.selection -= group
            new = max(self.selection, default=None) if self._selected in group else \
                self._selected
        else:
            self.selection |= group
            new = item.id
        self._emit_selected(new)

    def select_items(self, ids: Iterable[int]) -> None:
        """Select these items (the last one is the one the inspectors show)."""
        ids = list(ids)
        self.selection = set(ids)
        self._emit_selected(ids[-1] if ids else None)

    def _emit_selected(self, new: int | None) -> None:
        if new != self._selected:
            self._selected = new
            self.selection_changed.emit(new)
        self.update()

    def selected_items(self) -> list[Item]:
        """The selected items still in the sequence, in time order."""
        seq = self._sequence()
        ids = self.selection | ({self._selected} if self._selected is not None else set())
        found = [seq.find_item(i) for i in ids]
        return sorted((i for i in found if i is not None), key=lambda i: (i.start, i.track))

    def _cut_at(self, row: str, edge: tuple[Item, str] | None) -> tuple[Item, Item] | None:
        """The two items meeting at the cut under an edge hit, (outgoing, incoming)."""
        if edge is None:
            return None
        item, side = edge
        return gestures.cut_at(self._sequence().track(row),
                               item.start if side == "in" else item.end)

    def _razor(self, row: str, x: float) -> None:
        track = self._sequence().track(row)
        frame = self.frame_at(x)
        item = track.item_at(frame)
        if item is None:
            self._say(f"Razor: nothing on {row} at frame {frame}")
            return
        frame = gestures.razor_frame(item, frame, self._targets((item.id,)), self._tolerance())
        if not item.start < frame < item.end:
            self._say(f"Razor: frame {frame} is on an edge of the clip; nothing to cut")
            return
        self._commit({"op": "split", "track": row, "at": frame})
        self._hover_frame = None
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        marker = self._marker_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and marker is not None:
            self.drag = None  # the press before it started a marker drag: drop it
            self.marker_activated.emit(marker.id)
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        drag = self.drag
        if drag is None:
            self._hover(pos)
            return
        if drag.mode == "scrub":
            self.set_playhead(self.frame_at(pos.x()))
            return
        if not drag.started:
            if (abs(pos.x() - drag.press_x) < DRAG_START_PX
                    and abs(pos.y() - drag.press_y) < DRAG_START_PX):
                return
            drag.started = True
        drag.mouse = pos
        self._follow(drag, pos)
        self.update()

    def _follow(self, drag: _Drag, pos: QPointF) -> None:
        """Work out the gesture's result for the mouse at ``pos`` (nothing is edited): the
        mouse's travel in frames, asked of ``timeline.gestures``."""
        raw = round((pos.x() - drag.press_x) / self.pixels_per_frame)
        tolerance = self._tolerance()
        drag.snap = None
        item = drag.item
        if drag.mode == "range":
            drag.range, drag.snap = gestures.drag_range(
                drag.press_frame, self.frame_at(pos.x()), drag.targets, tolerance)
            return
        if drag.mode == "marker":
            result = gestures.drag_marker(drag.press_frame, raw, drag.targets, tolerance)
        else:
            assert item is not None
            seq = self._sequence()
            if drag.mode == "move":
                drag.dest = gestures.move_track(seq, item, self._row_at(pos.y()),
                                                drag.dest or item.track)
                if len(drag.group) > 1:
                    if not drag.kind_tracks:  # once per gesture: paints and moves reuse it
                        drag.kind_tracks = gestures.kind_tracks(seq, seq.track(item.track).kind)
                    drag.offset = gestures.group_offset(drag.kind_tracks, item, drag.group,
                                                        drag.dest)
                    drag.dest = item.track
                result = gestures.drag_move(item, raw, drag.targets, tolerance, drag.group)
            elif drag.mode == "trim":
                result = gestures.drag_trim(seq, item, drag.side, raw, drag.targets, tolerance,
                                            self._media_info(), ripple=drag.ripple)
            elif drag.mode == "roll":
                assert drag.other is not None
                result = gestures.drag_roll(item, drag.other, raw, drag.targets, tolerance,
                                            self._media_info())
            elif drag.mode == "slip":
                result = gestures.drag_slip(item, raw, self._media_info())
            elif drag.mode == "slide":
                result = gestures.drag_slide(seq, item, raw, drag.targets, tolerance,
                                             self._media_info())
            else:
                return
        drag.delta, drag.snap = result.delta, result.snap

    def group_dest(self, drag: _Drag, other: Item) -> str:
        """The track ``other`` (in the dragged selection) lands on."""
        return gestures.group_track(drag.kind_tracks, drag.offset, other)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        drag, self.drag = self.drag, None
        if drag is None:
            return
        self.update()
        if drag.mode == "scrub":
            return
        if not drag.started:  # a click selects (an empty place deselects); only a click
            # in the ruler moves the playhead, as in Premiere and Resolve
            if drag.mode == "marker":
                self.set_playhead(drag.press_frame)  # a click on a flag: go to the marker
                return
            if drag.mode == "range" and drag.track is not None:
                self._select(None)
            elif drag.mode == "range":  # a Shift+click in the ruler
                self.set_playhead(drag.press_frame)
            elif drag.mode == "move" and len(drag.group) > 1:
                self._select(drag.item)  # a plain click in a selection selects just that
            return
        self._finish(drag)

    def _finish(self, drag: _Drag) -> None:
        item = drag.item
        if drag.mode == "marker":
            if drag.delta != 0 and drag.marker is not None:
                self._commit({"op": "move_marker", "marker": drag.marker,
                              "at": drag.press_frame + drag.delta})
            return
        if drag.mode == "range":
            if drag.range is None or drag.range[1] <= drag.range[0]:
                return
            self._commit({"op": "set_in_out", "in_point": drag.range[0],
                          "out_point": drag.range[1]})
            return
        assert item is not None
        if drag.mode == "move" and len(drag.group) > 1:
            if drag.delta == 0 and drag.offset == 0:
                return
            # In an order where no step overwrites a selected item that has yet to move.
            steps = gestures.group_move_steps(drag.group, drag.kind_tracks, drag.offset,
                                              drag.delta)
            self._commit({"op": "group", "label": f"Move {len(steps)} items", "steps": steps})
        elif drag.mode == "move":
            if drag.delta == 0 and drag.dest == item.track:
                return
            self._commit({"op": "move", "item": item.id, "track": drag.dest,
                          "at": item.start + drag.delta, "alone": drag.alone})
        elif drag.delta == 0:
            return
        elif drag.mode == "trim":
            self._commit({"op": "trim", "item": item.id, "side": drag.side,
                          "delta": drag.delta, "ripple": drag.ripple, "alone": drag.alone})
        elif drag.mode == "roll":
            self._commit({"op": "roll", "track": item.track, "at": item.end,
                          "delta": drag.delta})
        elif drag.mode == "slip":
            self._commit({"op": "slip", "item": item.id, "delta": drag.delta})
        elif drag.mode == "slide":
            self._commit({"op": "slide", "item": item.id, "delta": drag.delta})

    def cancel_drag(self) -> bool:
        """Drop the gesture in progress without editing; True if there was one."""
        if self.drag is None:
            return False
        self.drag = None
        self.update()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        plain = mods == Qt.KeyboardModifier.NoModifier
        if key == Qt.Key.Key_Escape and self.cancel_drag():
            self._say("Drag cancelled")
        elif key == Qt.Key.Key_B and plain:
            self.set_tool("select" if self.tool == "razor" else "razor")
        elif key == Qt.Key.Key_A and plain:
            self.set_tool("select")
        elif key == Qt.Key.Key_N and plain:
            self.set_tool("select" if self.tool == "roll" else "roll")
        elif key == Qt.Key.Key_Y and plain:
            self.set_tool("select" if self.tool == "slip" else "slip")
        elif key == Qt.Key.Key_U and plain:
            self.set_tool("select" if self.tool == "slide" else "slide")
        elif key == Qt.Key.Key_S and mods == Qt.KeyboardModifier.ShiftModifier:
            self.snapping = not self.snapping
            self._say(f"Snapping {'on' if self.snapping else 'off'}")
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _hover(self, pos: QPointF) -> None:
        """Cursor shape (and the razor's cut line) for the mouse at ``pos``, no button."""
        row = self._row_at(pos.y()) if pos.x() >= HEADER_W and pos.y() > RULER_H else None
        if self.tool == "razor":
            frame = None
            if row is not None:
                item = self._sequence().track(row).item_at(self.frame_at(pos.x()))
                if item is not None:
                    frame = gestures.razor_frame(item, self.frame_at(pos.x()),
                                                 self._targets((item.id,)), self._tolerance())
            if frame != self._hover_frame:
                self._hover_frame = frame
                self.update()
        self._update_cursor(row, pos)

    def _update_cursor(self, row: str | None, pos: QPointF | None = None) -> None:
        shape = Qt.CursorShape.ArrowCursor
        if self.tool == "razor":
            shape = Qt.CursorShape.CrossCursor
        elif self.tool in ("slip", "slide"):
            shape = Qt.CursorShape.SizeHorCursor
        elif row is not None and pos is not None:
            edge = self._edge_at(row, pos.x())
            if edge is not None:
                shape = (Qt.CursorShape.SplitHCursor if self.tool == "roll"
                         else Qt.CursorShape.SizeHorCursor)
        self.setCursor(shape)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            anchor = self.frame_at(event.position().x())
            self.pixels_per_frame = min(64.0, max(0.02, self.pixels_per_frame * 1.25 ** steps))
            # Keep the frame under the mouse where it was.
            self.scroll_frames = max(
                0, int(anchor - (event.position().x() - HEADER_W) / self.pixels_per_frame))
        else:
            shift = int(steps * 60 / self.pixels_per_frame)
            self.scroll_frames = max(0, self.scroll_frames - shift)
        self.update()

    # Track targeting and source patching in the headers (app.track_targets.HeaderTargets);
    # the window sets it.
    targets: Any = None

    # --- the track header's switches (mute, solo, lock, hide)
    def switch_rects(self, row: QRectF) -> list[tuple[str, str, QRectF]]:
        """(switch, letter, box) for the four toggle boxes in a track's header."""
        top = row.top() + row.height() - SWITCH_PX - 5
        return [(switch, letter, QRectF(4 + i * (SWITCH_PX + 3), top, SWITCH_PX, SWITCH_PX))
                for i, (switch, letter) in enumerate(SWITCHES)]

    def _paint_switches(self, p: QPainter, info: Any, row: QRectF) -> None:
        for switch, letter, box in self.switch_rects(row):
            on = bool(getattr(info, switch))
            p.setPen(QPen(SWITCH_BORDER, 1))
            p.setBrush(SWITCH_ON[switch] if on else SWITCH_OFF)
            p.drawRect(box)
            p.setPen(TEXT_ON_LIGHT if on else TEXT_DIM)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, letter)
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _header_click(self, pos: QPointF) -> None:
        """A click on a switch box toggles it: one ``set_track`` edit (one undo step)."""
        for name, row in self.track_rows():
            if not row.top() <= pos.y() < row.bottom():
                continue
            if self.targets is not None and self.targets.click(name, pos, row):
                self.update()
                return
            for switch, _letter, box in self.switch_rects(row):
                if box.adjusted(-1, -1, 1, 1).contains(pos):
                    on = bool(getattr(self._sequence().track(name).info, switch))
                    self._commit({"op": "set_track", "track": name, switch: not on})
                    self.update()
                    return

    # --- painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        seq = self._sequence()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        # Qt clips to the damaged region (a playhead strip, say); the Python side skips
        # what cannot reach it. Labels run right of where they start, so anything that
        # starts up to LABEL_REACH pixels left of the region is painted too.
        damaged = event.rect()
        left = float(max(HEADER_W, damaged.left() - LABEL_REACH))
        right = float(min(self.width(), damaged.right() + 2))
        headers = damaged.left() < HEADER_W
        p.fillRect(self.rect(), TIMELINE_BACKGROUND)
        p.setFont(small_font(self.font()))
        self._paint_ruler(p, seq, left, right)
        for name, rect in self.track_rows():
            track = seq.track(name)
            p.fillRect(rect.adjusted(0, 1, 0, -1), TRACK_ROW)
            if headers:
                header = QRectF(0, rect.top(), HEADER_W, rect.height())
                p.fillRect(header.adjusted(0, 1, 0, -1), TRACK_HEADER)
                p.setPen(TEXT_HEADER)
                p.drawText(header.adjusted(6, 2, -4, -rect.height() / 2),
                           Qt.AlignmentFlag.AlignVCenter, track.info.shown)
                self._paint_switches(p, track.info, rect)
                if self.targets is not None:
                    self.targets.paint(p, name, rect)
            first = self.frame_at(left)
            last = self.frame_at(right) + 1
            for item in track.overlapping(first, last):
                self._paint_item(p, item, rect)
            for tr in track.transitions.values():
                a = seq.find_item(tr.from_item)
                if a is None:
                    continue
                x0 = self.x_of(a.end - tr.in_offset)
                x1 = self.x_of(a.end + tr.out_offset)
                box = QRectF(x0, rect.top() + 4, max(2.0, x1 - x0), rect.height() - 8)
                p.setPen(QPen(TRANSITION_MARK, 1))
                p.drawLine(box.bottomLeft(), box.topRight())
                p.drawLine(box.topLeft(), box.bottomRight())
        for m in seq.markers.values():
            x = self.x_of(m.frame)
            if m.is_beat:  # many, close together: a tick each, no name
                p.setPen(QPen(BEAT_MARKER, 1))
                p.drawLine(QPointF(x, RULER_H - 8), QPointF(x, RULER_H))
                continue
            colour = marker_colour(m.color)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRect(QRectF(x - 3, RULER_H - 12, 7, 10))
            p.setPen(colour)
            p.drawText(QPointF(x + 6, RULER_H - 3), m.name)
        x = self.x_of(self.playhead)
        p.setPen(QPen(PLAYHEAD, 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        self._paint_gesture(p, seq)
        self.drops.paint(p, seq)
        p.end()

    # --- drops (app.timeline_drop) and the context menu (the window builds it)
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        self.drops.enter(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        self.drops.move(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802
        self.drops.leave()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.drops.drop(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        """What is under a right-click: a clip (selected first, unless it is already in
        the selection), a track's header or empty space, or the ruler."""
        pos = QPointF(event.pos())
        where = event.globalPos()
        if pos.y() <= RULER_H:
            self.context_requested.emit("ruler", self.frame_at(pos.x()), where)
            return
        row = self._row_at(pos.y())
        if row is None:
            self.context_requested.emit("empty", None, where)
            return
        item = self.item_at(pos) if pos.x() >= HEADER_W else None
        if item is None:
            self.context_requested.emit("track", row, where)
            return
        if item.id not in self.selection:
            self._select(item)
        self.context_requested.emit("clip", item, where)

    # --- the gesture in progress: ghosts, snap line, label
    def _ghost(self, p: QPainter, track: str, start: int, end: int, refused: bool) -> None:
        row = self._row_rect(track)
        if row is None:
            return
        x0, x1 = self.x_of(start), self.x_of(end)
        box = QRectF(x0, row.top() + 2, max(2.0, x1 - x0 - 1), row.height() - 4)
        p.setBrush(GHOST_FILL)
        p.setPen(QPen(GHOST_REFUSED if refused else GHOST_EDGE, 2, Qt.PenStyle.DashLine))
        p.drawRect(box)

    def _paint_gesture(self, p: QPainter, seq: Sequence) -> None:
        drag = self.drag
        if self.tool == "razor" and drag is None and self._hover_frame is not None:
            x = self.x_of(self._hover_frame)
            p.setPen(QPen(RAZOR_LINE, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, RULER_H), QPointF(x, self.height()))
        if drag is None or not drag.started or drag.mode == "scrub":
            return
        locked = {name for name, t in seq.tracks.items() if t.info.locked}
        item = drag.item
        text = ""
        if drag.mode == "range" and drag.range is not None:
            a, b = drag.range
            p.fillRect(QRectF(self.x_of(a), 0, self.x_of(b) - self.x_of(a), self.height()),
                       RANGE_FILL)
            text = f"In/Out {timecode(a, seq.fps)} – {timecode(b, seq.fps)} ({b - a} frames)"
        elif item is not None and drag.mode == "move" and len(drag.group) > 1:
            refused = any(i.track in locked for i in drag.group)
            for i in drag.group:
                self._ghost(p, self.group_dest(drag, i), i.start + drag.delta,
                            i.end + drag.delta, refused)
            tracks = f", {drag.offset:+d} track(s)" if drag.offset else ""
            text = f"Move {len(drag.group)} items {_signed(drag.delta)}{tracks}"
        elif item is not None and drag.mode == "move":
            refused = item.track in locked or drag.dest in locked
            self._ghost(p, drag.dest, item.start + drag.delta, item.end + drag.delta, refused)
            where = f" → {drag.dest}" if drag.dest != item.track else ""
            at = timecode(item.start + drag.delta, seq.fps)
            text = f"Move {_signed(drag.delta)}{where}  (at {at})"
        elif item is not None and drag.mode == "trim":
            d = drag.delta
            # The linked clips' edges follow (unless Alt took this one alone).
            for one in [item, *([] if drag.alone else seq.linked(item))]:
                refused = one.track in locked
                if drag.side == "in" and not drag.ripple:
                    self._ghost(p, one.track, one.start + d, one.end, refused)
                elif drag.side == "in":  # ripple: the clip keeps its start, the rest moves
                    self._ghost(p, one.track, one.start, one.end - d, refused)
                    self._ghost_followers(p, seq, one, -d, refused)
                else:
                    self._ghost(p, one.track, one.start, one.end + d, refused)
                    if drag.ripple:
                        self._ghost_followers(p, seq, one, d, refused)
            kind = ("Ripple trim" if drag.ripple else "Trim") + (
                " alone" if drag.alone and seq.linked(item) else "")
            length = item.duration + (d if drag.side == "out" else -d)
            text = f"{kind} {drag.side} {_signed(d)}  ({length} frames)"
        elif item is not None and drag.mode == "roll" and drag.other is not None:
            refused = item.track in locked
            self._ghost(p, item.track, item.start, item.end + drag.delta, refused)
            self._ghost(p, item.track, drag.other.start + drag.delta, drag.other.end, refused)
            cut = timecode(item.end + drag.delta, seq.fps)
            text = f"Roll {_signed(drag.delta)}  (cut at {cut})"
        elif item is not None and drag.mode == "slip":
            self._ghost(p, item.track, item.start, item.end, item.track in locked)
            text = (f"Slip {_signed(drag.delta)}  (source {item.source_in + drag.delta}–"
                    f"{item.source_out + drag.delta})")
        elif drag.mode == "marker":
            x = self.x_of(drag.press_frame + drag.delta)
            p.setPen(QPen(GHOST_EDGE, 2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, RULER_H - 14), QPointF(x, self.height()))
            text = (f"Marker {_signed(drag.delta)}  "
                    f"(at {timecode(drag.press_frame + drag.delta, seq.fps)})")
        elif item is not None and drag.mode == "slide":
            self._ghost(p, item.track, item.start + drag.delta, item.end + drag.delta,
                        item.track in locked)
            text = f"Slide {_signed(drag.delta)}  (at {timecode(item.start + drag.delta, seq.fps)})"
        if drag.snap is not None:
            x = self.x_of(drag.snap)
            p.setPen(QPen(SNAP_LINE, 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        if text and drag.mouse is not None:
            self._paint_label(p, text, drag.mouse)

    def _ghost_followers(self, p: QPainter, seq: Sequence, item: Item, shift: int,
                         refused: bool) -> None:
        track = seq.track(item.track)
        last = self.frame_at(self.width()) + 1
        for other in track.items[track.first_index_at_or_after(item.end):]:
            if other.start + shift > last:
                break
            self._ghost(p, item.track, other.start + shift, other.end + shift, refused)

    def _paint_label(self, p: QPainter, text: str, at: QPointF) -> None:
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(text) + 12
        h = metrics.height() + 6
        x = min(max(float(HEADER_W), at.x() + 14), self.width() - w - 2)
        y = at.y() - h - 8 if at.y() - h - 8 > 0 else at.y() + 18
        box = QRectF(x, y, w, h)
        p.setPen(QPen(OVERLAY_EDGE, 1))
        p.setBrush(LABEL_FILL)
        p.drawRoundedRect(box, 3, 3)
        p.setPen(TEXT)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_ruler(self, p: QPainter, seq: Sequence, left: float = HEADER_W,
                     right: float | None = None) -> None:
        """The ruler; its ticks and labels from ``left`` to ``right`` (x) only."""
        right = self.width() if right is None else right
        p.fillRect(QRectF(0, 0, self.width(), RULER_H), RULER)
        if seq.in_point is not None or seq.out_point is not None:
            x0 = self.x_of(seq.in_point or 0)
            x1 = self.x_of(seq.out_point if seq.out_point is not None else seq.duration_frames)
            p.fillRect(QRectF(x0, 15, x1 - x0, 4), IN_OUT_BAR)
        fps = seq.fps
        # A label about every 100 px, on whole seconds when zoomed out.
        step = max(1, int(100 / self.pixels_per_frame))
        nominal = round(fps)
        if step >= nominal:
            step = (step // nominal + 1) * nominal
        frame = (max(self.scroll_frames, self.frame_at(left)) // step) * step
        p.setPen(TEXT_MUTED)
        while self.x_of(frame) < right:
            x = self.x_of(frame)
            if x >= HEADER_W:
                p.drawLine(QPointF(x, 0), QPointF(x, 14))
                p.drawText(QPointF(x + 3, 12), timecode(frame, fps))
            frame += step

    def _paint_item(self, p: QPainter, item: Item, row: QRectF) -> None:
        x0 = max(float(HEADER_W), self.x_of(item.start))
        x1 = self.x_of(item.end)
        if x1 <= HEADER_W:
            return
        box = QRectF(x0, row.top() + 3, max(1.0, x1 - x0 - 1), row.height() - 6)
        if item.kind == "generated":
            colour, label = CLIP_GENERATED, _generated_label(item)
        else:
            asset: Any = getattr(item, "asset", None)
            kind, name = self._asset_kind(asset) or ("", f"asset {asset} (not in project)")
            colour = {"audio": CLIP_AUDIO, "image": CLIP_STILL}.get(
                kind, CLIP_AUDIO if row_is_audio(item) else CLIP_VIDEO)
            label = name
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawRect(box)
        media = isinstance(item, Clip) and self._paint_media(p, item, box, row_is_audio(item))
        if isinstance(item, GeneratedSegment) and item.active_take is not None:
            media = (self._paint_take_waveform(p, item, box) if row_is_audio(item)
                     else self._paint_take(p, item, box))
        chosen = item.id == self.selected or item.id in self.selection
        p.setPen(QPen(SELECTION if chosen else colour.lighter(140), 2 if chosen else 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(box)
        if not item.enabled:  # drawn dimmed: still there, not shown or heard
            p.fillRect(box, DISABLED_VEIL)
            label = f"{label} (disabled)"
        if getattr(item, "link", None) is not None:
            # Linked to its sound or picture: a bar along the bottom edge.
            p.fillRect(QRectF(box.left() + 1, box.bottom() - 3, box.width() - 2, 2), LINK_MARK)
        p.setPen(TEXT)
        text_box = box.adjusted(4, 2, -2, -2)
        if media:
            # Over pictures and waveforms the name needs a backdrop to stay readable.
            bounds = p.fontMetrics().boundingRect(label)
            backdrop = QRectF(text_box.left() - 2, text_box.top() - 1,
                              min(text_box.width() + 2, bounds.width() + 6), bounds.height() + 2)
            p.fillRect(backdrop, LABEL_BACKDROP)
        p.drawText(text_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
        if item.kind == "generated":
            self._paint_generated_badges(p, item, box)

    def _paint_generated_badges(self, p: QPainter, item: Item, box: QRectF) -> None:
        """Bottom-right of the segment: its take count and, when its active take was made
        from another brief, a red STALE badge (kept over the count when the box is narrow)."""
        takes = len(getattr(item, "takes", ()))
        badges = [(f"{takes} take{'s' if takes != 1 else ''}", TAKES_BADGE)]
        if item.id in self.stale:
            badges.append(("STALE", STALE))
        metrics = p.fontMetrics()
        right = box.right() - 3
        bottom = box.bottom() - 3
        for text, colour in reversed(badges):
            w = metrics.horizontalAdvance(text) + 8
            h = metrics.height() + 2
            if right - w < box.left() + 3 or h > box.height() - 4:
                continue
            badge = QRectF(right - w, bottom - h, w, h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(badge, 3, 3)
            p.setPen(WHITE)
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
            right = badge.left() - 4

    def _paint_take(self, p: QPainter, seg: GeneratedSegment, box: QRectF) -> bool:
        """A generated segment's active take as a filmstrip (``app.media_cache`` keeps a
        take's under minus its id); False while there is none yet."""
        inner = box.adjusted(1, 1, -1, -1)
        if seg.active_take is None or inner.width() < 1 or inner.height() < 4:
            return False
        thumbs = self._thumbnails(-seg.active_take, int(inner.height()))
        if thumbs is None:
            return False
        strip = self.filmstrips[-seg.active_take]
        fps = float(self._sequence().fps)
        seg_x = self.x_of(seg.start)
        tile_w = max(8, thumbs[0].width())
        p.save()
        p.setClipRect(inner)
        left = seg_x + max(0, math.floor((inner.left() - seg_x) / tile_w)) * tile_w
        while left < inner.right():
            # The take plays from its first frame at the segment's start.
            frame = (left - seg_x) / self.pixels_per_frame
            k = max(0, int(np.searchsorted(strip.times, frame / fps, side="right")) - 1)
            p.drawImage(QPointF(left, inner.top()), thumbs[min(k, len(thumbs) - 1)])
            left += tile_w
        p.restore()
        return True

    def _paint_take_waveform(self, p: QPainter, seg: GeneratedSegment, box: QRectF) -> bool:
        """An audio segment's active take as its waveform (kept under minus the take's id),
        the take's first sample at the segment's start; False while there is none yet."""
        inner = box.adjusted(1, 1, -1, -1)
        if seg.active_take is None or inner.width() < 1 or inner.height() < 4:
            return False
        waveform = self.waveforms.get(-seg.active_take)
        if waveform is None:
            return False
        p.save()
        p.setClipRect(inner)
        self._paint_waveform(p, seg, waveform, inner, self.x_of(seg.start),
                             float(self._sequence().fps))
        p.restore()
        return True

    def _paint_media(self, p: QPainter, clip: Clip, box: QRectF, on_audio_track: bool) -> bool:
        """Thumbnails and/or waveform of a clip inside ``box``; False if there were none."""
        inner = box.adjusted(1, 1, -1, -1)
        if inner.width() < 1 or inner.height() < 4:
            return False
        seq = self._sequence()
        clip_x = self.x_of(clip.start)  # where source frame ``source_in`` is, maybe offscreen
        # Only audio tracks sound (a video file's sound is its linked clip there).
        waveform = self.waveforms.get(clip.asset) if on_audio_track else None
        thumbs = None if on_audio_track else self._thumbnails(
            clip.asset, int(inner.height()) if waveform is None else
            int(inner.height() - _wave_band(inner.height())))
        if thumbs is None and waveform is None:
            return False
        p.save()
        p.setClipRect(inner)
        picture_h = 0.0
        if thumbs is not None:
            strip = self.filmstrips[clip.asset]
            picture_h = float(thumbs[0].height())
            tile_w = max(8, thumbs[0].width())
            times = strip.times
            fps = float(seq.fps)
            first_tile = max(0, math.floor((inner.left() - clip_x) / tile_w))
            left = clip_x + first_tile * tile_w
            while left < inner.right():
                source_frame = clip.source_in + (left - clip_x) / self.pixels_per_frame
                k = max(0, int(np.searchsorted(times, source_frame / fps, side="right")) - 1)
                p.drawImage(QPointF(left, inner.top()), thumbs[k])
                left += tile_w
        if waveform is not None:
            band = inner if thumbs is None else QRectF(
                inner.left(), inner.top() + picture_h, inner.width(), inner.height() - picture_h)
            if thumbs is not None:
                p.fillRect(band, WAVEFORM_BAND)
            self._paint_waveform(p, clip, waveform, band, clip_x, float(seq.fps))
        p.restore()
        return True

    def _paint_waveform(self, p: QPainter, clip: Clip | GeneratedSegment, waveform: Waveform,
                        band: QRectF, clip_x: float, fps: float) -> None:
        """The min/max envelope of the clip's source samples, one column per pixel.

        The outline is cached per clip, zoom, scroll and band: the playhead moving (playback,
        scrubbing, a drag's preview) repaints the view without building it again."""
        key = (clip.id, clip.start, clip.duration, clip.source_in, self.pixels_per_frame,
               self.scroll_frames, band.left(), band.top(), band.width(), band.height(), fps)
        cached = self._wave_polygons.get(key)
        if cached is None or cached[0] is not waveform:
            polygon = self._waveform_polygon(clip, waveform, band, clip_x, fps)
            if len(self._wave_polygons) > 256:
                self._wave_polygons.clear()
            self._wave_polygons[key] = cached = (waveform, polygon)
        if cached[1] is None:
            return
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(WAVEFORM)
        p.drawPolygon(cached[1])

    def _waveform_polygon(self, clip: Clip | GeneratedSegment, waveform: Waveform, band: QRectF,
                          clip_x: float, fps: float) -> QPolygonF | None:
        peaks = waveform.peaks
        bins = peaks.shape[0]
        if bins == 0 or band.height() < 2:
            return None
        xa = math.floor(band.left())
        xb = math.ceil(band.right())
        if xb <= xa:
            return None
        # Pixel column x spans sequence frames from (x - clip_x) / ppf after the clip start;
        # those are source frames source_in + ..., at the file's samples origin + frame * sr
        # / fps (the mixer's mapping), in bins of samples_per_bin.
        edges_x = np.arange(xa, xb + 1, dtype=np.float64)
        source_frames = clip.source_in + (edges_x - clip_x) / self.pixels_per_frame
        samples = waveform.origin + source_frames * (waveform.sample_rate / fps)
        edges = np.floor(samples / waveform.samples_per_bin).astype(np.int64)
        starts, ends = edges[:-1], edges[1:]
        ok = (ends > 0) & (starts < bins)
        if not ok.any():
            return None
        starts = np.clip(starts[ok], 0, bins - 1)
        ends = np.clip(np.maximum(ends[ok], starts + 1), 1, bins)
        columns = edges_x[:-1][ok]
        lo, hi = int(starts[0]), int(ends[-1])
        mono_min = peaks[lo:hi, :, 0].min(axis=1)
        mono_max = peaks[lo:hi, :, 1].max(axis=1)
        # reduceat over [start, next start) per column; a column inside one bin takes that
        # bin, and the last column runs to ``hi`` (ends never decrease).
        rel = starts - lo
        col_min = np.minimum.reduceat(mono_min, rel)
        col_max = np.maximum.reduceat(mono_max, rel)
        mid = band.center().y()
        half = band.height() / 2 - 1
        top = mid - _display_level(col_max) * half
        bottom = mid - _display_level(col_min) * half
        # At least a one-pixel line, so silence shows as a flat line rather than nothing.
        bottom = np.maximum(bottom, top + 1)
        # Each column is a step one pixel wide: along the tops left to right, back along
        # the bottoms right to left.
        xs = np.repeat(columns, 2)
        xs[1::2] += 1
        outline = [QPointF(x, y) for x, y in zip(xs.tolist(), np.repeat(top, 2).tolist(),
                                                 strict=True)]
        outline += [QPointF(x, y) for x, y in zip(xs[::-1].tolist(),
                                                  np.repeat(bottom, 2)[::-1].tolist(),
                                                  strict=True)]
        return QPolygonF(outline)


@dataclass(eq=False)
class _Drag:
    """One mouse gesture, from press to release. Only ``_finish`` edits the project."""

    mode: str  # "move" | "trim" | "roll" | "slip" | "slide" | "marker" | "range" | "scrub"
    press_x: float
    press_y: float
    press_frame: int
    item: Item | None = None  # moved/trimmed/slipped item; for a roll the outgoing one
    other: Item | None = None  # a roll's incoming item
    side: str | None = None  # trim: "in" | "out"
    ripple: bool = False
    alone: bool = False  # Alt at the press: the clip without its linked clips
    track: str | None = None  # the track pressed on
    dest: str | None = None  # move: the track it would land on
    group: tuple[Item, ...] = ()  # move: every item moving with ``item`` (it included)
    offset: int = 0  # group move: tracks the items of the dragged one's kind shift by
    kind_tracks: list[str] = field(default_factory=list)  # group move: those tracks, in order
    marker: int | None = None  # marker: the id of the marker dragged
    targets: SnapTargets = field(default_factory=lambda: SnapTargets(()))
    started: bool = False  # moved past DRAG_START_PX (else the release is a click)
    delta: int = 0  # frames the gesture would change by
    snap: int | None = None  # the frame it is snapped to
    range: tuple[int, int] | None = None  # range: (in, out)
    mouse: QPointF | None = None


def _signed(frames: int) -> str:
    return f"{frames:+d} f" if frames else "±0 f"


def _display_level(values: np.ndarray) -> np.ndarray:
    """Sample values to -1..1 on a decibel scale (WAVE_FLOOR_DB to 0 dBFS), sign kept:
    a tone at -18 dBFS fills most of the height instead of an eighth of it."""
    magnitude = np.abs(values).astype(np.float64)
    db = 20 * np.log10(np.maximum(magnitude, 1e-9))
    return np.sign(values) * np.clip((db - WAVE_FLOOR_DB) / -WAVE_FLOOR_DB, 0.0, 1.0)


def _wave_band(height: float) -> float:
    """Height of the linked-sound band under a video clip's thumbnails."""
    return max(8.0, round(height * 0.3))


def row_is_audio(item: Item) -> bool:
    return item.track.startswith("A")


def _generated_label(item: Item) -> str:
    takes = len(getattr(item, "takes", ()))
    prompt = getattr(item, "prompt", "") or "(no prompt)"
    model = getattr(item, "model", "previz")
    return f"✦ {prompt[:60]}  [{model}, {takes} take{'s' if takes != 1 else ''}]"
