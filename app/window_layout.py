"""The window's layout: docks that scroll instead of clipping, and the geometry, dock layout
and splitter sizes kept from one run to the next.

Every dock's widget sits in a ``QScrollArea`` (``scrolling``): a dock smaller than its
content shows scroll bars, so all of it is reachable at 1280x720, and its minimum size no
longer forces the docks it shares a column with to shrink. (That was why selecting a
generated segment collapsed the Jobs dock: the Brief's form, filled in, asked for ~600
pixels of height, and the Jobs dock below the Generate/Brief tabs got what was left.)

The layout is stored with ``QSettings`` (INI format, user scope, organisation and
application "Takeline": ``~/.config/Takeline/Takeline.ini`` on Linux, ``$XDG_CONFIG_HOME``
when set; the platform's application-data folder elsewhere) when the window closes, and
restored when the next one opens. Window > Reset Layout puts back the layout the window was
built with. Tests point ``QSettings.setPath`` at a temporary folder.

Window > Workspace > Edit / Generate (Alt+Shift+1 / 2, as Premiere's workspace keys): the
docks for cutting (Clip, Markers, Jobs) or for generating (Generate, Brief, Takes, Jobs),
the others hidden. Each workspace remembers how it was left (in memory while the window is
open, in QSettings between runs); Reset Layout puts the current one back as it was built."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QWidget,
)

ORGANISATION = "Takeline"
APPLICATION = "Takeline"
# Bumped when the docks change so much that an old saved state would misplace them.
LAYOUT_VERSION = 1
# name -> (menu text, keys, the docks it shows by object name; the first is raised).
WORKSPACES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "edit": ("Edit", "Alt+Shift+1", ("clip", "markers", "jobs")),
    "generate": ("Generate", "Alt+Shift+2", ("generate", "brief", "takes", "jobs")),
}


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION,
                     APPLICATION)


def scrolling(widget: QWidget) -> QWidget:
    """``widget`` in a frameless, resizable scroll area (a scroll area already: itself)."""
    if isinstance(widget, QAbstractScrollArea):
        return widget
    area = QScrollArea()
    area.setObjectName(f"{widget.objectName() or type(widget).__name__}-scroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


def content(dock: QDockWidget) -> QWidget | None:
    """The panel inside a dock, under its scroll area."""
    widget = dock.widget()
    if isinstance(widget, QScrollArea) and widget.objectName().endswith("-scroll"):
        return widget.widget()
    return widget


class WindowLayout:
    """Saves and restores one main window's layout; remembers the one it was built with."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        central = window.centralWidget()
        found = ([central] if isinstance(central, QSplitter) else []) + (
            central.findChildren(QSplitter) if central is not None else [])
        self.splitters: dict[str, QSplitter] = {}
        for index, splitter in enumerate(found):
            self.splitters[splitter.objectName() or f"splitter{index}"] = splitter
        self.built_state = window.saveState(LAYOUT_VERSION)
        self.built_sizes = {name: s.sizes() for name, s in self.splitters.items()}
        self.built_size = window.size()
        # None: the window as built (every dock), until a workspace is chosen.
        self.workspace: str | None = None
        self._states: dict[str, QByteArray] = {}  # each workspace as it was left
        self.workspace_actions: dict[str, QAction] = {}

    def restore(self) -> bool:
        """The layout the last window saved; False if there is none (or it does not fit
        these docks), leaving the built one."""
        store = settings()
        geometry = store.value("window/geometry")
        state = store.value("window/state")
        if not isinstance(geometry, QByteArray | bytes) or not isinstance(
                state, QByteArray | bytes):
            return False
        self.window.restoreGeometry(QByteArray(geometry))
        restored = self.window.restoreState(QByteArray(state), LAYOUT_VERSION)
        for name, splitter in self.splitters.items():
            saved = store.value(f"splitters/{name}")
            if isinstance(saved, QByteArray | bytes):
                splitter.restoreState(QByteArray(saved))
        for name in WORKSPACES:
            kept = store.value(f"workspaces/{name}")
            if isinstance(kept, QByteArray | bytes):
                self._states[name] = QByteArray(kept)
        current = store.value("window/workspace")
        if isinstance(current, str) and current in WORKSPACES:
            self._mark(current)
        return restored

    def save(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.window.saveGeometry())
        store.setValue("window/state", self.window.saveState(LAYOUT_VERSION))
        for name, splitter in self.splitters.items():
            store.setValue(f"splitters/{name}", splitter.saveState())
        if self.workspace is not None:
            self._states[self.workspace] = self.window.saveState(LAYOUT_VERSION)
        for name, state in self._states.items():
            store.setValue(f"workspaces/{name}", state)
        store.setValue("window/workspace", self.workspace or "")
        store.sync()

    def use_workspace(self, name: str) -> None:
        """Switch to a workspace: as it was left, or (the first time, or after a reset)
        its docks shown over the built layout and the rest hidden."""
        if name not in WORKSPACES:
            raise ValueError(f"no workspace {name!r}; workspaces: {', '.join(WORKSPACES)}")
        window = self.window
        if self.workspace is not None:
            self._states[self.workspace] = window.saveState(LAYOUT_VERSION)
        self._mark(name)
        kept = self._states.get(name)
        if kept is None or not window.restoreState(kept, LAYOUT_VERSION):
            self._apply_preset(name)

    def _apply_preset(self, name: str) -> None:
        window = self.window
        for dock in window.findChildren(QDockWidget):
            dock.setFloating(False)
        window.restoreState(self.built_state, LAYOUT_VERSION)
        shown = WORKSPACES[name][2]
        for dock in window.findChildren(QDockWidget):
            dock.setVisible(dock.objectName() in shown)
        first = window.findChild(QDockWidget, shown[0])
        if first is not None:
            first.raise_()

    def _mark(self, name: str) -> None:
        self.workspace = name
        action = self.workspace_actions.get(name)
        if action is not None:
            action.setChecked(True)

    def reset(self) -> None:
        """Window > Reset Layout: the docks, splitters and size the window was built with."""
        window = self.window
        if window.isMaximized() or window.isFullScreen():
            window.showNormal()
        for dock in window.findChildren(QDockWidget):
            dock.setFloating(False)
        window.restoreState(self.built_state, LAYOUT_VERSION)
        if self.workspace is not None:  # the current workspace as it was built
            self._states.pop(self.workspace, None)
            self._apply_preset(self.workspace)
        for name, splitter in self.splitters.items():
            splitter.setSizes(self.built_sizes[name])
        window.resize(self.built_size)

    def add_menu(self) -> None:
        """Window: a check entry per dock (shown or not) and Reset Layout."""
        menu = self.window.menuBar().addMenu("&Window")
        spaces = menu.addMenu("Workspace")
        group = QActionGroup(menu)
        for name, (text, keys, _docks) in WORKSPACES.items():
            action = spaces.addAction(text)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(lambda _checked=False, n=name: self.use_workspace(n))
            group.addAction(action)
            self.workspace_actions[name] = action
        menu.addSeparator()
        for dock in self.window.findChildren(QDockWidget):
            menu.addAction(dock.toggleViewAction())
        menu.addSeparator()
        self.reset_action = menu.addAction("Reset Layout")
        self.reset_action.triggered.connect(self.reset)
