"""Fixtures shared by the window tests (Qt is imported inside them, so the CLI tests in
this folder still run where PySide6 cannot load)."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from project_store.project import Project
from services.demo_media import write_color_bars_video
from timeline.model import SequenceSettings


@pytest.fixture(autouse=True)
def _cycles_collected_on_the_main_thread() -> Iterator[None]:
    """As in the editor (app/ui_thread_gc.py): no automatic cycle collection during a window
    test, whose decode, scrub and reader threads would otherwise free Qt objects (a qasync
    loop's timers) off the UI thread, a segfault once Qt fires those timers; whatever the
    test left (its closed windows included) is collected here, on the main thread."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture(autouse=True)
def _window_layout_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory
                                         ) -> Iterator[Path]:
    """The window saves its layout with QSettings on close and restores it on open
    (app/window_layout.py): in a folder of each test's own, never the user's, so no test
    opens a window laid out by another."""
    folder = tmp_path_factory.mktemp("settings")
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # the CLI tests here run where PySide6 cannot load
        yield folder
        return
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True, scope="module")
def _no_generation_worker_left_running() -> Iterator[None]:
    """A test module that starts a generation worker stops it (closes its window, shuts its
    panel down or closes its runner): a live worker keeps its client, its loop and their Qt
    objects alive for the rest of the run."""
    yield
    left = [p for p in multiprocessing.active_children() if p.name == "takeline-worker"]
    for proc in left:
        proc.kill()
        proc.join(5)
    assert not left, f"the module left {len(left)} generation worker(s) running"


@pytest.fixture
def run_queue(qtbot: Any) -> Callable[..., None]:
    """``run_queue(panel, start)``: call ``start`` (Generate, Regenerate range, Retry...) on
    a qasync loop, as the running editor does, and drive the Generate dock's queue until it
    is done and the dock (and its window) show the takes that landed. The loop is closed
    afterwards (its timers stopped, on this thread)."""
    import qasync
    from PySide6.QtWidgets import QApplication

    def run(panel: Any, start: Callable[[], object], timeout: float = 120) -> None:
        loop = qasync.QEventLoop(QApplication.instance())
        asyncio.set_event_loop(loop)
        try:
            with loop:
                assert start(), "nothing was queued"
                task = panel._task
                assert task is not None
                loop.run_until_complete(asyncio.wait_for(task, timeout))
        finally:
            asyncio.set_event_loop(None)
        qtbot.waitUntil(lambda: not panel.landing, timeout=10_000)

    return run


@pytest.fixture
def clip_project(tmp_path: Path) -> Callable[..., Path]:
    """``clip_project(name, seconds=, frames=)``: a closed 640x360 @ 25 fps project file
    holding one 320x180 colour-bars clip of ``seconds``, its first ``frames`` on V1."""

    def make(name: str, *, seconds: int, frames: int) -> Path:
        clip = write_color_bars_video(tmp_path / f"{name}-clip.mp4", seconds=seconds,
                                      fps=Fraction(25), size=(320, 180))
        path = tmp_path / f"{name}.takeline"
        with Project.create(path, SequenceSettings(fps=Fraction(25), width=640,
                                                   height=360)) as p:
            p.import_media([clip])
            p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0,
                       "source_out": frames})
        return path

    return make


@pytest.fixture
def one_clip_window(qtbot: Any, clip_project: Callable[..., Path]) -> Iterator[Any]:
    """The editor window, shown, on a 640x360 @ 25 fps project with one 40-frame clip on V1
    (a 2 s colour-bars file)."""
    from app.main import MainWindow
    from tests.app.shown import shown

    path = clip_project("cut", seconds=2, frames=40)
    window = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
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
