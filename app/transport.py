"""The transport bar under the viewer: buttons for what Space, J/K/L, the arrows, Home/End
and Ctrl+L do, and the playhead's timecode with the sequence's duration.

The buttons trigger the window's own menu actions (one place defines each command and its
shortcut); the bar only shows them and the time. Whether playback is running is read from
the engine a few times a second, since playback also stops by itself (end, loop off).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QIcon, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.desktop import tinted_icon


class TransportBar(QWidget):
    def __init__(self, actions: dict[str, QAction], playing: Callable[[], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._playing = playing
        self.buttons: dict[str, QToolButton] = {}
        # resources/icons/transport/*.svg in the palette's button text colour; the glyphs
        # stay as each button's text (shown only where an icon is missing).
        colour = self.palette().color(QPalette.ColorRole.ButtonText).name()
        self._icons: dict[str, QIcon] = {
            name: tinted_icon(f"transport/{name}", colour)
            for name in ("start", "back", "reverse", "play", "pause", "stop", "forward",
                         "next", "end", "loop")}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.timecode = QLabel("00:00:00:00")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(mono.pointSize() + 3)
        self.timecode.setFont(mono)
        self.timecode.setToolTip("Playhead (hours:minutes:seconds:frames)")
        layout.addWidget(self.timecode)
        layout.addStretch(1)
        # Glyphs every common UI font has (the media-control block often is missing).
        glyphs = {"start": "|◀ Start", "back": "◀ 1", "reverse": "J ◀◀", "play": "▶",
                  "stop": "K ■", "forward": "L ▶▶", "next": "1 ▶", "end": "End ▶|",
                  "loop": "⟲ Loop"}
        for name, glyph in glyphs.items():
            act = actions[name]
            icon = self._icons[name]
            if not icon.isNull():
                # On the action, before the button takes it: the button copies text, icon
                # and tooltip from its action again whenever that changes (Loop's check
                # state). Not shown in the menus, which have no icons elsewhere.
                act.setIcon(icon)
                act.setIconVisibleInMenu(False)
                if name == "loop":
                    act.setIconText("Loop")  # what a button shows; the menu keeps its text
                    glyph = "Loop"
            button = QToolButton()
            button.setDefaultAction(act)
            button.setText(glyph)  # setDefaultAction takes the action's name; keep the glyph
            shortcut = act.shortcut().toString()
            button.setToolTip(f"{act.text()} ({shortcut})" if shortcut else act.text())
            button.setAutoRaise(True)
            if not icon.isNull():
                button.setIconSize(QSize(20, 20))
                # Loop is a toggle: it keeps its word, so on and off read at a glance.
                button.setToolButtonStyle(
                    Qt.ToolButtonStyle.ToolButtonTextBesideIcon if name == "loop"
                    else Qt.ToolButtonStyle.ToolButtonIconOnly)
            layout.addWidget(button)
            self.buttons[name] = button
        layout.addStretch(1)
        self.duration = QLabel()
        self.duration.setToolTip("Sequence duration")
        layout.addWidget(self.duration)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.sync_play_button)
        self._timer.start(250)

    def show_time(self, playhead: str, duration: str) -> None:
        self.timecode.setText(playhead)
        self.duration.setText(f"/ {duration}")

    def sync_play_button(self) -> None:
        """The play button says what pressing it does now."""
        button = self.buttons["play"]
        playing = self._playing()
        text = "⏸" if playing else "▶"
        if button.text() != text:
            button.setText(text)
            icon = self._icons["pause" if playing else "play"]
            if not icon.isNull():
                button.setIcon(icon)
