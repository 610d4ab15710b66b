"""Fixtures shared by the window tests (Qt is imported inside them, so the CLI tests in
this folder still run where PySide6 cannot load)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from project_store.project import Project
from timeline.media.synth import write_color_bars_video
from timeline.model import SequenceSettings


@pytest.fixture
def one_clip_window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """The editor window, shown, on a 640x360 @ 25 fps project with one 40-frame clip on V1
    (a 2 s colour-bars file)."""
    from app.main import MainWindow

    clip = write_color_bars_video(tmp_path / "clip.mp4", seconds=2, fps=Fraction(25),
                                  size=(320, 180))
    path = tmp_path / "cut.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=640, height=360)) as p:
        p.import_media([clip])
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40})
    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


@pytest.fixture
def segment_project(tmp_path: Path) -> Iterator[Callable[..., Project]]:
    """Makes a 320x180 @ 24 fps project holding one generated segment (id 1) on V1; each
    is closed after the test."""
    made: list[Project] = []

    def make(name: str, *, at: int = 0, duration: int = 24,
             prompt: str = "a lighthouse at dusk") -> Project:
        p = Project.create(tmp_path / f"{name}.takeline",
                           SequenceSettings(fps=Fraction(24), width=320, height=180))
        p.execute({"op": "add_generated", "track": "V1", "at": at, "duration": duration,
                   "prompt": prompt})
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
