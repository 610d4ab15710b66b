"""What the offscreen screenshot scripts share: waiting on the event loop, a small project
of colour-bars clips, and the real editor window opened on it at 1280x720 with its layout
settings kept in the temporary folder (never the user's saved layout)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run as a file, the repository is not on the path


def wait(app: Any, done: Callable[[], object], seconds: float) -> bool:
    """Run the event loop until ``done()`` or ``seconds`` pass."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if done():
            return True
        time.sleep(0.02)
    app.processEvents()
    return bool(done())


def bars_project(folder: Path, name: str, clips: Sequence[tuple[str, int]],
                 edits: list[dict[str, Any]], *, clip_size: tuple[int, int]) -> Path:
    """A 1280x720 @ 25 fps project in ``folder`` holding colour-bars clips (label, seconds),
    imported in that order (asset ids 1, 2, ...), with ``edits`` applied as one step."""
    from project_store.project import Project
    from services.demo_media import write_color_bars_video
    from timeline.model import SequenceSettings

    files = [write_color_bars_video(folder / f"{label}.mp4", seconds=seconds,
                                    fps=Fraction(25), size=clip_size, label=label)
             for label, seconds in clips]
    path = folder / f"{name}.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=1280,
                                               height=720)) as p:
        p.import_media(files)
        p.apply(edits)
    return path


@contextmanager
def editor_window(path: Path, settings_folder: Path) -> Iterator[tuple[Any, Any]]:
    """(app, window): the editor on ``path``, shown at 1280x720 on Qt's offscreen platform
    unless another is set; closed afterwards."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.main import APP_NAME, MainWindow
    from project_store.project import Project

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(settings_folder))
    window = MainWindow(Project.open(path), use_audio_device=False)
    try:
        window.resize(1280, 720)
        window.show()
        wait(app, window.isVisible, 5)
        yield app, window
    finally:
        window.close()
        app.processEvents()


def save(picture: Any, path: Path) -> Path:
    """Write a widget's grab (or a pixmap) as PNG, or say why not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    grabbed = picture.grab() if hasattr(picture, "grab") else picture
    if not grabbed.save(str(path)):
        raise OSError(f"could not write {path}")
    return path
