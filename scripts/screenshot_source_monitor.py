#!/usr/bin/env python3
"""Screenshot of the source monitor for the docs: a clip loaded from the bin with its In
and Out marked, the track headers' patch boxes and targets, a three-point insert made.

Builds a small project of colour-bars clips in a temporary folder, opens the editor at
1280x720 with Qt's offscreen platform (its layout settings in that folder too), double-clicks
nothing but calls what a double-click calls (``load_source``), marks In and Out, inserts
once (so the timeline shows the edit) and shows the Source tab again before saving
``docs/screenshots/source-monitor.png``.

    scripts/screenshot_source_monitor.py [--out DIR]
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
                                    size=(640, 360), label=name)
             for name, seconds in (("interview", 4), ("street", 6))]
    path = folder / "three-point.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=1280,
                                               height=720)) as p:
        p.import_media(clips)
        p.apply([
            {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 100},
            {"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 100},
        ])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(tempfile.mkdtemp(prefix="takeline-source-shot-"))
    try:
        path = build(folder)
        from PySide6.QtCore import QSettings
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
            view.pixels_per_frame = 4.0
            view.scroll_frames = 0
            _wait(app, lambda: len(view.filmstrips) >= 2, 20)
            monitor = window.source_monitor
            window.load_source(2)
            for frame, mark in ((30, monitor.mark_in), (80, monitor.mark_out)):
                monitor.seek(frame)
                mark()
            view.set_playhead(50)
            window.source_edit("insert_edit")
            monitor.seek(55)
            window.show_source()
            _wait(app, lambda: monitor.viewer.shown_frame == 55, 10)
            _wait(app, lambda: False, 0.3)
            args.out.mkdir(parents=True, exist_ok=True)
            shot = args.out / "source-monitor.png"
            if not window.grab().save(str(shot)):
                raise OSError(f"could not write {shot}")
            print(f"source-monitor: wrote {shot}")
        finally:
            window.close()
            app.processEvents()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
