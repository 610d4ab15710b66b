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
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts folder
from screenshot_support import REPO, bars_project, editor_window, save, wait  # noqa: E402


def build(folder: Path) -> Path:
    return bars_project(folder, "three-point", [("interview", 4), ("street", 6)], [
        {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 100},
        {"op": "append", "track": "A1", "asset": 1, "source_in": 0, "source_out": 100},
    ], clip_size=(640, 360))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="takeline-source-shot-"))
    try:
        with editor_window(build(folder), folder / "settings") as (app, window):
            view = window.timeline
            view.pixels_per_frame = 4.0
            view.scroll_frames = 0
            wait(app, lambda: len(view.filmstrips) >= 2, 20)
            monitor = window.source_monitor
            window.load_source(2)
            for frame, mark in ((30, monitor.mark_in), (80, monitor.mark_out)):
                monitor.seek(frame)
                mark()
            view.set_playhead(50)
            window.source_edit("insert_edit")
            monitor.seek(55)
            window.show_source()
            wait(app, lambda: monitor.viewer.shown_frame == 55, 10)
            wait(app, lambda: False, 0.3)
            shot = save(window, args.out / "source-monitor.png")
            print(f"source-monitor: wrote {shot}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
