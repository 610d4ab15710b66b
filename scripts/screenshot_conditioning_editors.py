#!/usr/bin/env python3
"""Screenshots of the camera path and pose editors for the docs.

Builds a small project in a temporary folder: one 72-frame generated segment at 1280x720
with the demo's reference still as its first frame, the camera move
``static,dolly-in:0.5,orbit:45`` and one posed person, then opens both editors (Qt's
offscreen platform) and saves ``docs/screenshots/camera-editor.png`` and
``pose-editor.png``.

    scripts/screenshot_conditioning_editors.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a file, the repository is not on the path

STAGES = "static,dolly-in:0.5,orbit:45"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    from app.camera_editor import CameraEditor
    from app.pose_editor import PoseEditor
    from project_store.project import Project
    from project_store.references import store_reference
    from services.demo_media import write_reference_still
    from timeline.conditioning.camera import build_path, parse_stages
    from timeline.conditioning.pose import JOINTS, PoseKey, Skeleton
    from timeline.model import SequenceSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp(prefix="takeline-editor-shots-"))
    try:
        still = write_reference_still(folder / "reference.png", size=(1280, 720), seed=7)
        project = Project.create(folder / "editors.takeline",
                                 SequenceSettings(fps=Fraction(24), width=1280, height=720))
        project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 72,
                         "prompt": "slow dolly in on a red house, then orbit left"})
        ref = store_reference(project, still, "first_frame")
        path = build_path(parse_stages(STAGES), 72)
        project.execute({"op": "set", "item": 1, "references": [ref.to_json()],
                         "camera": path.to_json()})

        def shot(widget, name: str) -> Path:  # type: ignore[no-untyped-def]
            widget.show()
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                app.processEvents()
                time.sleep(0.02)
            out = args.out / name
            args.out.mkdir(parents=True, exist_ok=True)
            if not widget.grab().save(str(out)):
                raise OSError(f"could not write {out}")
            print(f"wrote {out}")
            return out

        poses = PoseEditor(lambda: project, 1)
        poses.resize(1100, 560)
        poses.add_person()
        poses.add_person()
        # Person 1 raises the right arm at frame 36 (a second key to show the track).
        poses.slider.setValue(36)
        track = project.sequence.item(1).poses
        joints = list(track.people[0].keys[0].skeleton.joints)
        for name, (x, y) in {"r_elbow": (0.43, 0.22), "r_wrist": (0.44, 0.10)}.items():
            joints[JOINTS.index(name)] = (x, y)
        poses.commit(track.with_key(1, PoseKey(36, Skeleton(tuple(joints)))))
        poses.slider.setValue(30)
        poses.select_person(1)
        shot(poses, "pose-editor.png")

        camera = CameraEditor(lambda: project, 1)
        camera.resize(1100, 680)
        camera.slider.setValue(40)
        camera._on_key_selected(3)  # a key of the orbit, highlighted with its fields
        camera.slider.setValue(40)
        shot(camera, "camera-editor.png")
        for widget in (poses, camera):
            widget.close()
            widget.deleteLater()
        app.processEvents()
        project.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
