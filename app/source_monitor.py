"""The source monitor, a tab beside the program viewer: one clip from the bin (double-click)
or the timeline (Match Frame, F), its own transport, timecode in source time and In/Out.

Tabbed rather than side by side (Premiere's two-up): at 1280x720 the program's transport
alone takes most of the width beside the docks, so a second monitor would squeeze the bin to
a sliver. Loading a clip shows the Source tab and an edit the Program tab with its result;
Shift+2 / Shift+4 switch, as Premiere's panel keys do.

While the monitor has keyboard focus, I / O / Space / J / K / L / the arrows / Home / End
act on the source (``FOCUS_KEYS``); otherwise they are the program's. The edit keys ( , . and
the rest) are the window's actions either way. Pictures come from the timeline's media
engine through ``services.source_monitor`` on a background thread (``ScrubRenderer`` while
paused, its own playback engine while playing), never on the UI thread; audio-only media
shows its waveform (made in the background for the timeline) instead of a picture.

Dragging the picture (or the ⠿ handle, for sound too) onto the timeline drops the marked
In/Out there, as a drag from the bin does (``app.timeline_drop``: overwrite, Ctrl inserts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QDrag,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.theme import (
    IN_OUT_BAR,
    PICTURE_BACKDROP,
    PLAYHEAD,
    RULER,
    TEXT_MUTED,
    WAVEFORM,
    small_font,
    timecode_font,
)
from app.timeline_drop import asset_mime
from app.viewer import FrameMailbox, ScrubRenderer, ViewerWidget
from services.source_monitor import SourceMonitor
from timeline.gestures import DropSource
from timeline.media.thumbnails import Waveform
from timeline.time import timecode

# The keys the monitor takes while it has focus: key -> (command, method name). The window's
# Help > Keyboard Shortcuts lists these from here.
FOCUS_KEYS: dict[str, tuple[str, str]] = {
    "I": ("Mark Source In", "mark_in"),
    "O": ("Mark Source Out", "mark_out"),
    "Shift+I": ("Go to Source In", "go_to_in"),
    "Shift+O": ("Go to Source Out", "go_to_out"),
    "Ctrl+Shift+X": ("Clear Source In and Out", "clear_marks"),
    "Space": ("Play / Pause Source", "toggle_play"),
    "J": ("Shuttle Source Reverse", "shuttle_j"),
    "K": ("Stop Source", "shuttle_k"),
    "L": ("Shuttle Source Forward", "shuttle_l"),
    "Left": ("Source Previous Frame", "step_back"),
    "Right": ("Source Next Frame", "step_forward"),
    "Home": ("Go to Source Start", "go_to_start"),
    "End": ("Go to Source End", "go_to_end"),
}
_KEYS = {QKeySequence(k).toString(): method for k, (_text, method) in FOCUS_KEYS.items()}


def _sequence_of(event: QKeyEvent) -> str:
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return QKeySequence(event.key() | mods.value).toString()


class SourceRuler(QWidget):
    """The source's whole length: the In/Out range, the playhead; click or drag to seek."""

    def __init__(self, monitor: SourceMonitorWidget) -> None:
        super().__init__(monitor)
        self.monitor = monitor
        self.setFixedHeight(18)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def x_of(self, frame: int) -> float:
        length = max(1, self.monitor.state.length)
        return 4 + (self.width() - 8) * frame / length

    def frame_at(self, x: float) -> int:
        length = max(1, self.monitor.state.length)
        return int((x - 4) / max(1.0, self.width() - 8) * length)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.monitor.setFocus(Qt.FocusReason.MouseFocusReason)
        self.monitor.seek(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.monitor.seek(self.frame_at(event.position().x()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), RULER)
        state = self.monitor.state
        if state.info is not None:
            a = state.in_point or 0
            b = state.out_point if state.out_point is not None else state.length
            if state.in_point is not None or state.out_point is not None:
                p.fillRect(QRectF(self.x_of(a), 3, self.x_of(b) - self.x_of(a),
                                  self.height() - 6), IN_OUT_BAR)
            x = self.x_of(state.position)
            p.setPen(QPen(PLAYHEAD, 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.end()


class WaveformPanel(QWidget):
    """An audio-only source: its waveform over the whole length, the In/Out and playhead."""

    def __init__(self, monitor: SourceMonitorWidget) -> None:
        super().__init__(monitor)
        self.monitor = monitor
        self.setMinimumSize(160, 90)
        self._columns: tuple[Any, int, int, np.ndarray] | None = None

    def _levels(self, waveform: Waveform, width: int) -> np.ndarray:
        """(width, 2) of (min, max) per pixel column, computed once per waveform and width."""
        state = self.monitor.state
        key = (waveform, width, state.length)
        if self._columns is not None and self._columns[:3] == key:
            return self._columns[3]
        peaks = waveform.peaks
        lo_all = peaks[..., 0].min(axis=1)
        hi_all = peaks[..., 1].max(axis=1)
        seq = state.sequence
        assert seq is not None
        total = state.length * waveform.sample_rate / float(seq.fps)
        edges = (waveform.origin + np.linspace(0, total, width + 1)) / waveform.samples_per_bin
        idx = np.clip(edges.astype(np.int64), 0, len(peaks))
        out = np.zeros((width, 2), np.float32)
        for i in range(width):
            a, b = int(idx[i]), int(idx[i + 1])
            b = min(max(b, a + 1), len(peaks))
            if a < b:
                out[i] = lo_all[a:b].min(), hi_all[a:b].max()
        self._columns = (waveform, width, state.length, out)
        return out

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.monitor.setFocus(Qt.FocusReason.MouseFocusReason)
        self.monitor.seek(self.monitor.ruler.frame_at(event.position().x()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), PICTURE_BACKDROP)
        state = self.monitor.state
        waveform = self.monitor.waveform()
        mid = self.height() / 2
        if waveform is None:
            p.setPen(TEXT_MUTED)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                       "Waveform being made…" if state.info is not None else "")
        else:
            levels = self._levels(waveform, max(1, self.width()))
            p.setPen(QPen(WAVEFORM, 1))
            half = mid * 0.9
            for x, (lo, hi) in enumerate(levels):
                p.drawLine(QPointF(x, mid - hi * half), QPointF(x, mid - lo * half))
        ruler = self.monitor.ruler
        if state.in_point is not None or state.out_point is not None:
            a = ruler.x_of(state.in_point or 0)
            b = ruler.x_of(state.out_point if state.out_point is not None else state.length)
            p.fillRect(QRectF(a, 0, b - a, self.height()), IN_OUT_BAR.darker(300))
        x = ruler.x_of(state.position)
        p.setPen(QPen(PLAYHEAD, 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.end()


class SourceMonitorWidget(QWidget):
    """The monitor over a ``SourceMonitor`` state; ``edit(op)`` asks the window to make a
    three-point edit (the Insert / Overwrite buttons)."""

    def __init__(self, state: SourceMonitor, *, edit: Callable[[str], Any],
                 waveforms: Callable[[], Mapping[int, Waveform]],
                 on_play: Callable[[], Any] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._edit = edit
        self._waveforms = waveforms
        self._on_play = on_play  # pauses the program: one monitor plays at a time
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.mailbox = FrameMailbox()
        self.mailbox.arrived.connect(self._on_picture)
        self._scrub: ScrubRenderer | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.title = QLabel("Source: double-click a clip in the bin")
        self.title.setFont(small_font(self.font()))
        self.title.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.title)
        self.viewer = ViewerWidget()
        self.viewer.setMinimumSize(160, 90)
        self.viewer.setFocusProxy(self)
        self.wave = WaveformPanel(self)
        self.pictures = QStackedWidget()
        self.pictures.addWidget(self.viewer)
        self.pictures.addWidget(self.wave)
        layout.addWidget(self.pictures, 1)
        self.ruler = SourceRuler(self)
        layout.addWidget(self.ruler)
        # Two rows (time and marks; buttons) so the monitor fits beside the program's.
        info = QWidget()
        info_row = QHBoxLayout(info)
        info_row.setContentsMargins(4, 2, 4, 0)
        self.timecode = QLabel("--:--:--:--")
        self.timecode.setFont(timecode_font())
        self.timecode.setToolTip("Source playhead, in the clip's own time")
        info_row.addWidget(self.timecode)
        info_row.addStretch(1)
        self.marks = QLabel()
        self.marks.setFont(small_font(self.font()))
        self.marks.setToolTip("Source In, Out and the marked duration")
        info_row.addWidget(self.marks)
        layout.addWidget(info)
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(4, 0, 4, 2)
        row.setSpacing(0)
        row.addStretch(1)
        self.buttons: dict[str, QToolButton] = {}
        for name, glyph, tip, slot in (
                ("in", "{", "Mark Source In (I)", self.mark_in),
                ("back", "◀1", "Source Previous Frame (Left)", self.step_back),
                ("reverse", "J", "Shuttle Source Reverse (J)", self.shuttle_j),
                ("play", "▶", "Play / Pause Source (Space)", self.toggle_play),
                ("stop", "K", "Stop Source (K)", self.shuttle_k),
                ("forward", "L", "Shuttle Source Forward (L)", self.shuttle_l),
                ("next", "1▶", "Source Next Frame (Right)", self.step_forward),
                ("out", "}", "Mark Source Out (O)", self.mark_out),
                ("insert", "Ins ,", "Insert into the timeline (,)",
                 lambda: self._edit("insert_edit")),
                ("overwrite", "Ovr .", "Overwrite into the timeline (.)",
                 lambda: self._edit("overwrite_edit"))):
            button = QToolButton()
            button.setText(glyph)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[name] = button
        self.handle = QLabel("⠿")
        self.handle.setToolTip("Drag the marked In/Out onto the timeline (Ctrl: insert)")
        self.handle.setCursor(Qt.CursorShape.OpenHandCursor)
        row.addWidget(self.handle)
        row.addStretch(1)
        layout.addWidget(bar)
        self._press: QPointF | None = None  # where a drag of the picture or handle began
        for widget in (self.viewer, self.handle):
            widget.installEventFilter(self)
        self._timer = QTimer(self)  # playback also stops by itself (the clip's end)
        self._timer.timeout.connect(self._sync_play_button)
        self._timer.start(250)
        self.show_state()

    # --- engines (the window's media sources change when assets do)
    def start(self) -> None:
        self.stop()
        self._scrub = ScrubRenderer(self.state.render, self.mailbox)
        if self.state.info is not None:
            self._request()

    def stop(self) -> None:
        self.state.close()
        if self._scrub is not None:
            self._scrub.close()
            self._scrub = None

    # --- loading
    def load(self, info: Any, settings: Any, *, picture_size: tuple[int, int] | None,
             position: int = 0) -> None:
        self.state.load(info, settings, picture_size=picture_size, position=position)
        self.pictures.setCurrentWidget(self.wave if self.state.audio_only else self.viewer)
        self.title.setText(f"Source: {info.name or f'asset {info.id}'}")
        self.title.setToolTip(self.title.text())
        self._request()
        self.show_state()

    def unload(self) -> None:
        self.state.unload()
        self.title.setText("Source: double-click a clip in the bin")
        self.viewer.show_picture(0, np.zeros((9, 16, 3), np.uint8))  # nothing to show now
        self.show_state()

    def waveform(self) -> Waveform | None:
        asset = self.state.asset
        return None if asset is None else self._waveforms().get(asset)

    # --- commands (buttons and the focus keys)
    def seek(self, frame: int) -> None:
        if self.state.info is None:
            return
        self.state.seek(frame)
        if not self.state.playing:
            self._request()
        self.show_state()

    def step_back(self) -> None:
        self.state.pause()
        self.seek(self.state.position - 1)

    def step_forward(self) -> None:
        self.state.pause()
        self.seek(self.state.position + 1)

    def go_to_start(self) -> None:
        self.seek(0)

    def go_to_end(self) -> None:
        self.seek(self.state.length)

    def go_to_in(self) -> None:
        if self.state.in_point is not None:
            self.seek(self.state.in_point)

    def go_to_out(self) -> None:
        if self.state.out_point is not None:
            self.seek(self.state.out_point)

    def mark_in(self) -> None:
        if self.state.info is not None:
            self.state.mark_in()
            self.show_state()

    def mark_out(self) -> None:
        if self.state.info is not None:
            self.state.mark_out()
            self.show_state()

    def clear_marks(self) -> None:
        self.state.clear_marks()
        self.show_state()

    def toggle_play(self) -> None:
        self._on_play()
        self.state.toggle_play()
        self._sync_play_button()

    def shuttle_j(self) -> None:
        self._on_play()
        self.state.shuttle("j")

    def shuttle_k(self) -> None:
        self.state.shuttle("k")
        self.show_state()

    def shuttle_l(self) -> None:
        self._on_play()
        self.state.shuttle("l")

    # --- keys: the monitor's own while it has focus
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and _sequence_of(event) in _KEYS:
            event.accept()  # a key press for us, not the window's shortcut
            return True
        return super().event(event)

    # --- dragging the marked range onto the timeline
    def drag_source(self) -> DropSource | None:
        """What a drag carries: the loaded asset from its In (or start) to its Out (or
        end); None with nothing loaded."""
        state = self.state
        if state.info is None:
            return None
        return DropSource(state.info.id, state.in_point or 0, state.out_point)

    def start_drag(self) -> None:
        source = self.drag_source()
        if source is None:
            return
        drag = QDrag(self)
        drag.setMimeData(asset_mime([source]))
        drag.exec(Qt.DropAction.CopyAction)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent) and (
                event.button() == Qt.MouseButton.LeftButton):
            self._press = event.position()
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        elif kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton and (
                    (event.position() - self._press).manhattanLength()
                    >= QApplication.startDragDistance()):
                self._press = None
                self.start_drag()
                return True
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        method = _KEYS.get(_sequence_of(event))
        if method is None:
            super().keyPressEvent(event)
            return
        getattr(self, method)()
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def focusInEvent(self, event: Any) -> None:  # noqa: N802
        self._show_focus(True)
        super().focusInEvent(event)

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802
        self._show_focus(False)
        super().focusOutEvent(event)

    def _show_focus(self, on: bool) -> None:
        """Which monitor the keys go to, as in every NLE: the title is bold while focused."""
        font = small_font(self.font())
        font.setBold(on)
        self.title.setFont(font)

    # --- display
    def _request(self) -> None:
        if self._scrub is not None and self.state.info is not None \
                and not self.state.audio_only:
            self._scrub.request(self.state.position)

    def _on_picture(self, frame: int, picture: Any) -> None:
        if picture is not None and self.state.info is not None:
            self.viewer.show_picture(frame, picture)
        self.show_state()

    def _sync_play_button(self) -> None:
        if self.state.audio_only and self.wave._columns is None and self.waveform() is not None:
            self.wave.update()  # its waveform was made in the background meanwhile
        text = "⏸" if self.state.playing else "▶"
        if self.buttons["play"].text() != text:
            self.buttons["play"].setText(text)
        if self.state.playing:
            self.show_state()

    def show_state(self) -> None:
        state = self.state
        seq = state.sequence
        if seq is None:
            self.timecode.setText("--:--:--:--")
            self.marks.setText("")
        else:
            fps = seq.fps
            self.timecode.setText(timecode(state.position, fps))
            marks = [f"In {timecode(state.in_point, fps)}" if state.in_point is not None
                     else "In –",
                     f"Out {timecode(state.out_point, fps)}" if state.out_point is not None
                     else "Out –",
                     f"Dur {timecode(state.marked_duration, fps)}"]
            self.marks.setText("  ".join(marks))
        self.ruler.update()
        self.wave.update()
