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
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _wait(app: object, done: Callable[[], object], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        if done():
            return True
        time.sleep(0.02)
    return bool(done())


def build(folder: Path) -> Path:
    from project_store.project import Project
    from services.demo_media import write_color_bars_video
    from timeline.model import SequenceSettings

    clips = [write_color_bars_video(folder / f"{name}.mp4", seconds=seconds, fps=Fraction(25),
                                    size=(320, 180), label=name)
             for name, seconds in (("interview", 4), ("street", 3), ("harbour", 2))]
    path = folder / "editing.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=1280,
                                               height=720)) as p:
        p.import_media(clips)
        p.apply([
            {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 100},
            {"op": "append", "track": "V1", "asset": 2, "source_in": 0, "source_out": 75},
            {"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 100},
            {"op": "add_marker", "at": 60, "name": "beat"},
        ])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(tempfile.mkdtemp(prefix="takeline-editing-shot-"))
    try:
        path = build(folder)
        from PySide6.QtCore import QPoint, QSettings, Qt
        from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDragMoveEvent, QPainter
        from PySide6.QtWidgets import QApplication

        from app.main import APP_NAME, MainWindow
        from project_store.project import Project

        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName(APP_NAME)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                          str(folder / "settings"))
        window = MainWindow(Project.open(path), use_audio_device=False)
        try:
            window.resize(1280, 720)
            window.show()
            _wait(app, window.isVisible, 5)
            view = window.timeline
            view.pixels_per_frame = 3.0
            view.scroll_frames = 0
            view.set_playhead(40)
            _wait(app, lambda: len(view.filmstrips) >= 2, 20)
            _wait(app, lambda: False, 0.3)
            args.out.mkdir(parents=True, exist_ok=True)

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
            _wait(app, lambda: False, 0.2)
            drop_shot = args.out / "timeline-drop.png"
            if not window.grab().save(str(drop_shot)):
                raise OSError(f"could not write {drop_shot}")
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
            _wait(app, menu.isVisible, 2)
            _wait(app, lambda: False, 0.2)
            picture = window.grab()
            painter = QPainter(picture)
            corner = window.mapFromGlobal(menu.pos())
            menu_picture = menu.grab()
            corner.setY(min(corner.y(), picture.height() - menu_picture.height()))
            painter.drawPixmap(corner, menu_picture)
            painter.end()
            menu_shot = args.out / "context-menu.png"
            if not picture.save(str(menu_shot)):
                raise OSError(f"could not write {menu_shot}")
            menu.close()
            for shot in (drop_shot, menu_shot):
                print(f"timeline-editing: wrote {shot}")
        finally:
            window.close()
            app.processEvents()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
