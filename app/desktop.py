"""The editor as a desktop application: its names (which QSettings, the window manager and
the desktop's application menu go by), its icon, the transport icons, and Help > Open Log
Folder. The files themselves are in ``resources/``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

import resources
from app import theme
from app.window_layout import APPLICATION, ORGANISATION
from timeline.app_dirs import log_dir


def identify(app: QGuiApplication, version: str = "") -> None:
    """Names and icon, before the first window: the desktop file name ties the window to
    ``org.takeline.Takeline.desktop`` (its icon in the task bar on Wayland)."""
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    if version:
        app.setApplicationVersion(version)
    app.setDesktopFileName(resources.APP_ID)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)


@cache
def app_icon() -> QIcon:
    """The SVG for any size, with the rendered PNGs for the small ones (hinted by hand would
    be better still; rendered is sharper than the SVG scaled down by the icon engine)."""
    icon = QIcon()
    hicolor = resources.ROOT / "icons" / "hicolor"
    for png in sorted(hicolor.glob(f"*/apps/{resources.APP_ID}.png")):
        icon.addFile(str(png))
    try:
        icon.addFile(str(resources.app_icon_svg()))
    except FileNotFoundError:
        pass  # a broken install: the PNGs (or the platform's default) still do
    return icon


def tinted_icon(name: str, colour: str, size: int = 24) -> QIcon:
    """``resources/icons/<name>.svg`` with ``currentColor`` drawn in ``colour`` (the palette's
    button text), so one file suits light and dark themes; a null icon when it is missing."""
    try:
        svg = resources.path("icons", f"{name}.svg").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return QIcon()
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", colour).encode()))
    if not renderer.isValid():
        return QIcon()
    icon = QIcon()
    for scale in (1, 2):  # sharp on high-DPI screens too
        image = QImage(QSize(size * scale, size * scale),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(theme.TRANSPARENT)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        icon.addPixmap(pixmap)
    return icon


def open_log_folder() -> Path:
    """Help > Open Log Folder: the folder in the file manager (created first, so it opens
    even before anything was logged). Returns the folder, for the status bar."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
    return folder
