#!/usr/bin/env python3
"""Screenshots of the editor for the docs: ``make screenshots``.

Builds the demo project in a temporary folder, makes a previz take of its generated shot,
then opens the real editor window under Xvfb (started here, installed with apt when run as
root and missing), selects the generated segment, gives it a camera move, a pose, a
reference and a cast member through the Brief dock (so it shows STALE: the take was made
from the earlier brief), and saves ``docs/screenshots/main-window.png`` and
``brief-panel.png``.

    scripts/screenshots.py [--out DIR] [--offscreen] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a file, the repository is not on the path
sys.path.insert(0, str(REPO / "scripts"))
from screenshot_support import wait  # noqa: E402

# One person in OpenPose's COCO-18 layout, on a 1280x720 canvas (the demo's size).
POSE = {"version": 1.3, "canvas_width": 1280, "canvas_height": 720, "people": [{
    "pose_keypoints_2d": [
        640, 160, 1, 640, 240, 1, 580, 240, 1, 560, 340, 1, 548, 420, 1, 700, 240, 1, 720,
        340, 1, 728, 420, 1, 600, 420, 1, 600, 540, 1, 600, 660, 1, 680, 420, 1, 680, 540, 1,
        680, 660, 1, 624, 144, 1, 656, 144, 1, 608, 152, 1, 672, 152, 1]}]}
CAMERA_PRESET = ("dolly-in", 0.5)


def log(message: str) -> None:
    print(f"screenshots: {message}", flush=True)


def find_xvfb() -> str | None:
    found = shutil.which("Xvfb")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("Xvfb is missing; installing the xvfb package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "xvfb"]
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env)
        subprocess.run(install, env=env)
    return shutil.which("Xvfb")


def start_xvfb() -> subprocess.Popen[bytes] | None:
    """Start a private X server and point Qt at it; None when there is none to start."""
    xvfb = find_xvfb()
    if xvfb is None:
        return None
    read, write = os.pipe()
    # -displayfd: the server picks a free display and writes its number when it is ready.
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1920x1200x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        proc.terminate()
        return None
    os.environ["DISPLAY"] = f":{number}"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    log(f"Xvfb running on :{number}")
    return proc


def build_project(folder: Path) -> tuple[Path, int, Path]:
    """The demo project with one previz take on its generated segment; returns (project
    file, segment id, the demo's reference still)."""
    from services.demo import build_demo, demo_media_dir
    from services.generation_queue import GenerationRunner
    from timeline.model import GeneratedSegment

    path = folder / "demo.takeline"
    log(f"building the demo project in {folder}")
    project = build_demo(path)
    try:
        segment = next(i for i in project.sequence.all_items()
                       if isinstance(i, GeneratedSegment))
        runner = GenerationRunner(project)
        try:
            runner.queue(segment.id, runner.request_for(segment.id, backend="previz",
                                                        takes=2))
            asyncio.run(runner.run_queue())
        finally:
            runner.client.terminate()
        return path, segment.id, demo_media_dir(path) / "reference.png"
    finally:
        project.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--offscreen", action="store_true",
                        help="render with Qt's offscreen platform instead of Xvfb")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = parser.parse_args(argv)

    xvfb = None
    if not args.offscreen:
        xvfb = start_xvfb()
        if xvfb is None:
            log("WARNING: no Xvfb could be started; falling back to Qt's offscreen platform")
    if xvfb is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    folder = Path(tempfile.mkdtemp(prefix="takeline-screenshots-"))
    try:
        project_path, segment_id, still = build_project(folder)
        pose = folder / "pose.json"
        pose.write_text(json.dumps(POSE))

        def prepare(window) -> None:  # type: ignore[no-untyped-def]
            item = window.project.sequence.item(segment_id)
            window.timeline.selected = segment_id
            window.timeline.selection_changed.emit(segment_id)
            window.timeline.set_playhead(item.start + item.duration // 2)
            brief = window.brief
            steps = [brief.apply_camera_preset(*CAMERA_PRESET), brief.import_poses(pose),
                     brief.add_reference_files([still])]
            member = brief.add_cast_member("Mara", still,
                                           description="a woman in a red coat")
            steps.append(member is not None and brief.set_cast_link(member, True))
            if not all(steps):
                raise SystemExit(f"screenshots: setting up the brief failed: "
                                 f"{brief.error.text()}")

        shots = capture_screenshots(project_path, args.out, prepare=prepare)
        for shot in shots:
            log(f"wrote {shot.relative_to(REPO) if shot.is_relative_to(REPO) else shot}")
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
        if args.keep:
            log(f"kept the project in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def capture_screenshots(project_path: Path, out_dir: Path, *,
                        prepare: Callable[[Any], None] | None = None,
                        size: tuple[int, int] = (1600, 1000)) -> list[Path]:
    """Open the editor on ``project_path`` as a user would, let ``prepare`` set it up, and
    save ``main-window.png`` and ``brief-panel.png`` in ``out_dir`` (``make screenshots``).
    """
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.main import APP_NAME, MainWindow
    from project_store.project import Project

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    # The window restores the layout saved on close: the built one here, not the user's.
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(project_path.parent / "settings"))
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    try:
        window.resize(*size)
        window.show()
        wait(app, window.isVisible, 5)
        wait(app, lambda: False, 0.3)  # let the window manager-less X server map it
        window.timeline.fit()
        if prepare is not None:
            prepare(window)
        window.brief_dock.raise_()
        # Thumbnails come from background jobs, the viewer's picture from the scrub thread.
        wait(app, lambda: bool(window.timeline.filmstrips)
              and window.viewer.shown_frame == window.timeline.playhead, 20)
        wait(app, lambda: False, 0.5)
        out_dir.mkdir(parents=True, exist_ok=True)
        shots = [(out_dir / "main-window.png", window),
                 (out_dir / "brief-panel.png", window.brief_dock)]
        for path, widget in shots:
            if not widget.grab().save(str(path)):
                raise OSError(f"could not write {path}")
        return [path for path, _ in shots]
    finally:
        window.close()
        app.processEvents()


if __name__ == "__main__":
    sys.exit(main())
