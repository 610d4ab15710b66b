#!/usr/bin/env python3
"""Screenshot of the Takes dock's Compare view for the docs.

Builds the demo project with two previz takes of its generated shot (as
``scripts/screenshots.py`` does), opens the Takes dock on that segment with Qt's offscreen
platform, compares the two takes at their middle frame and saves
``docs/screenshots/takes-compare.png``.

    scripts/screenshot_takes_compare.py [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=REPO / "docs" / "screenshots" / "takes-compare.png")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from screenshots import build_project

    folder = Path(tempfile.mkdtemp(prefix="takeline-takes-shot-"))
    try:
        project_path, segment_id, _still = build_project(folder)
        from PySide6.QtWidgets import QApplication

        from app.takes_browser import TakesBrowser
        from project_store.project import Project

        app = QApplication.instance() or QApplication(sys.argv[:1])
        project = Project.open(project_path)
        browser = TakesBrowser(lambda: project)
        try:
            browser.resize(1100, 760)
            browser.show()
            browser.show_segment(project.sequence.find_item(segment_id))
            view = browser.compare_view
            browser.compare()
            wanted = {t.id for t in browser.takes()[:2]}
            end = time.monotonic() + 30
            while not wanted <= view.cache.complete and time.monotonic() < end:
                app.processEvents()
                time.sleep(0.02)
            if not wanted <= view.cache.complete:
                raise SystemExit("takes-compare: the takes did not decode in 30 s")
            view.seek(view.length // 2)
            for _ in range(10):
                app.processEvents()
                time.sleep(0.02)
            view.seek(view.length // 2)  # again, now that the layout has its final size
            view.scroll_to_first_difference()
            app.processEvents()
            args.out.parent.mkdir(parents=True, exist_ok=True)
            if not browser.grab().save(str(args.out)):
                raise OSError(f"could not write {args.out}")
            print(f"takes-compare: wrote {args.out}")
        finally:
            browser.shutdown()
            browser.close()
            project.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
