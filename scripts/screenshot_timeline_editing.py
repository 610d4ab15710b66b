#!/usr/bin/env python3
"""Screenshots of editing in the timeline for the docs: a drop from the bin in progress
(its ghost, snap line and label) and a clip's right-click menu.

Builds a small project of colour-bars clips in a temporary folder, opens the editor at
1280x720 with Qt's offscreen platform (its layout settings in that folder too, so the
user's saved layout does not show), drags a bin item over V1 with Ctrl held (insert) and
saves ``docs/screenshots/timeline-drop.png``, then right-clicks a clip and saves the window
with its menu as ``docs/screenshots/context-menu.png``.

    scripts/screenshot_timeline_editing.py [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts folder
from screenshot_support import REPO, bars_project, editor_window, save, wait  # noqa: E402


def build(folder: Path) -> Path:
    return bars_project(folder, "editing", [("interview", 4), ("street", 3), ("harbour", 2)], [
        {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 100},
        {"op": "append", "track": "V1", "asset": 2, "source_in": 0, "source_out": 75},
        {"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 100},
        {"op": "add_marker", "at": 60, "name": "beat"},
    ], clip_size=(320, 180))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="takeline-editing-shot-"))
    try:
        with editor_window(build(folder), folder / "settings") as (app, window):
            from PySide6.QtCore import QPoint, Qt
            from PySide6.QtGui import (
                QContextMenuEvent,
                QDragEnterEvent,
                QDragMoveEvent,
                QPainter,
            )
            from PySide6.QtWidgets import QApplication

            view = window.timeline
            view.pixels_per_frame = 3.0
            view.scroll_frames = 0
            view.set_playhead(40)
            wait(app, lambda: len(view.filmstrips) >= 2, 20)
            wait(app, lambda: False, 0.3)

            # A drop from the bin in progress: harbour.mp4 over V1, Ctrl held (insert).
            window.bin.setCurrentRow(2)
            mime = window.bin.model().mimeData(window.bin.selectedIndexes())
            row = view._row_rect("V1")
            assert row is not None
            pos = QPoint(round(view.x_of(99)), round(row.center().y()))
            ctrl = Qt.KeyboardModifier.ControlModifier
            for event in (QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime,
                                          Qt.MouseButton.LeftButton, ctrl),
                          QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime,
                                         Qt.MouseButton.LeftButton, ctrl)):
                QApplication.sendEvent(view, event)
            wait(app, lambda: False, 0.2)
            drop_shot = save(window, args.out / "timeline-drop.png")
            view.drops.leave()

            # A clip's right-click menu (something copied, the playhead on the clip), drawn
            # over the window where it pops up.
            view.set_playhead(130)
            view.select_items([window.project.sequence.track("V1").items[0].id])
            window.edit_actions.copy()
            at = QPoint(round(view.x_of(150)), round(row.center().y()))
            QApplication.sendEvent(view, QContextMenuEvent(
                QContextMenuEvent.Reason.Mouse, at, view.mapToGlobal(at)))
            menu = window.edit_actions.last_menu
            assert menu is not None
            wait(app, menu.isVisible, 2)
            wait(app, lambda: False, 0.2)
            picture = window.grab()
            painter = QPainter(picture)
            corner = window.mapFromGlobal(menu.pos())
            menu_picture = menu.grab()
            corner.setY(min(corner.y(), picture.height() - menu_picture.height()))
            painter.drawPixmap(corner, menu_picture)
            painter.end()
            menu_shot = save(picture, args.out / "context-menu.png")
            menu.close()
            for shot in (drop_shot, menu_shot):
                print(f"timeline-editing: wrote {shot}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
