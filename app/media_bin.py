"""The media bin: imported files with thumbnails; files dropped from the desktop are
imported; items drag out onto the timeline (by asset id, ``app.timeline_drop.ASSET_MIME``)
and onto file drop targets (as file URLs); a missing or changed file is relinked from its
context menu (one file, or every missing file found under a folder)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QMimeData, QSize, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QListWidget, QListWidgetItem, QMenu, QWidget

from app.timeline_drop import ASSET_MIME, asset_mime
from project_store.assets import Asset, shown_path

ICON = QSize(64, 36)


def _icon(frame: np.ndarray) -> QIcon:
    h, w = frame.shape[:2]
    data = np.ascontiguousarray(frame[..., :3])
    image = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QIcon(QPixmap.fromImage(image).scaled(ICON, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation))


class MediaBin(QListWidget):
    def __init__(self, *, on_files: Callable[[list[str]], Any],
                 on_relink: Callable[[int, str], Any], on_relink_folder: Callable[[str], Any],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on_files = on_files
        self.on_relink = on_relink
        self.on_relink_folder = on_relink_folder
        self.setIconSize(ICON)
        self.setAcceptDrops(True)
        # Items drag out as file URLs (onto the Brief's reference slots); files drop in.
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self._paths: dict[int, str] = {}
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._icons: dict[int, QIcon] = {}
        # Builds the right-click menu for the asset under the mouse (the window's, with
        # import and reveal in the file manager); None: relinking only.
        self.context_menu_builder: Callable[[int | None], QMenu] | None = None

    # ------------------------------------------------------------------ content
    def show_assets(self, assets: Sequence[Asset]) -> None:
        current = self.current_asset()
        self.clear()
        self._paths = {a.id: a.path for a in assets}
        for asset in assets:
            flag = "" if asset.status == "ok" else f"  [{asset.status}: relink]"
            entry = QListWidgetItem(f"{asset.id}  {shown_path(asset.name)}{flag}")
            entry.setData(Qt.ItemDataRole.UserRole, asset.id)
            if asset.id in self._icons:
                entry.setIcon(self._icons[asset.id])
            self.addItem(entry)
            if asset.id == current:
                self.setCurrentItem(entry)

    def set_thumbnails(self, filmstrips: Mapping[int, Any]) -> None:
        """The middle picture of each asset's filmstrip (computed in the background for the
        timeline) as its icon."""
        for asset_id, strip in filmstrips.items():
            if asset_id not in self._icons and len(strip):
                self._icons[asset_id] = _icon(strip.frames[len(strip) // 2])
        for row in range(self.count()):
            entry = self.item(row)
            asset_id = entry.data(Qt.ItemDataRole.UserRole)
            if asset_id in self._icons:
                entry.setIcon(self._icons[asset_id])

    def forget_thumbnails(self) -> None:
        self._icons.clear()

    def current_asset(self) -> int | None:
        entry = self.currentItem()
        return None if entry is None else entry.data(Qt.ItemDataRole.UserRole)

    # ------------------------------------------------------------------ drags and drops
    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        urls = [QUrl.fromLocalFile(self._paths[i.data(Qt.ItemDataRole.UserRole)])
                for i in items if i.data(Qt.ItemDataRole.UserRole) in self._paths]
        mime.setUrls(urls)
        # The timeline places bin items by asset id (the URLs are for file drop targets).
        return asset_mime([i.data(Qt.ItemDataRole.UserRole) for i in items], mime)

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list", ASSET_MIME]

    @staticmethod
    def _local_files(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._local_files(event) and event.source() is not self:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._local_files(event) and event.source() is not self:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = self._local_files(event)
        if not files or event.source() is self:  # its own items: already in the bin
            event.ignore()
            return
        event.acceptProposedAction()
        # Folders are walked for files; the import itself reports what it cannot use.
        paths: list[str] = []
        for f in files:
            p = Path(f)
            paths.extend(sorted(str(c) for c in p.rglob("*") if c.is_file()) if p.is_dir()
                         else [f])
        self.on_files(paths)

    # ------------------------------------------------------------------ menu and relink
    def reveal(self, asset_id: int) -> bool:
        """Select and scroll to the asset's entry (a clip's Reveal in Bin)."""
        for row in range(self.count()):
            entry = self.item(row)
            if entry.data(Qt.ItemDataRole.UserRole) == asset_id:
                self.setCurrentItem(entry)
                self.scrollToItem(entry)
                self.setFocus()
                return True
        return False

    def _menu(self, pos: Any) -> None:
        """The right-click menu: the window's (import, relink, reveal in file manager) when
        it set ``context_menu_builder``, else relinking only."""
        entry = self.itemAt(pos)
        if entry is not None:
            self.setCurrentItem(entry)
        asset_id = self.current_asset()
        if self.context_menu_builder is not None:
            self.context_menu_builder(asset_id).popup(self.mapToGlobal(pos))
            return
        menu = QMenu(self)
        relink = menu.addAction("Relink…")
        relink.setEnabled(asset_id is not None)
        relink.triggered.connect(lambda: self.ask_relink(asset_id))
        menu.addAction("Relink Missing from Folder…").triggered.connect(self.ask_relink_folder)
        menu.popup(self.mapToGlobal(pos))

    def ask_relink(self, asset_id: int | None) -> None:
        if asset_id is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Relink media")
        if path:
            self.on_relink(asset_id, path)

    def ask_relink_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder with the moved media")
        if path:
            self.on_relink_folder(path)
