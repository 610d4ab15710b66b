"""A generated segment shows its active take as a filmstrip on the timeline (not a flat
colour), made in the background like a clip's, and follows the active take."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.main import MainWindow  # noqa: E402
from app.theme import CLIP_GENERATED  # noqa: E402
from cli.main import main  # noqa: E402
from project_store.generation_records import GenerationRecords  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


def test_the_active_take_is_painted_as_a_filmstrip(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "strip.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=320, height=180)) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 48,
                   "prompt": "a red fox"})
    assert main(["generate", str(path), "--segment", "1", "--seed", "5"]) == 0
    w = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    try:
        seg = w.project.sequence.item(1)
        [take] = GenerationRecords(w.project).takes(1)
        assert seg.active_take == take.id
        view = w.timeline
        qtbot.waitUntil(lambda: -take.id in view.filmstrips, timeout=30000)
        view.fit()
        rect = view._row_rect("V1")
        assert rect is not None
        image = view.grab().toImage()
        y = int(rect.bottom() - 8)  # below the label, above the badges' row
        assert image.pixelColor(int(view.x_of(20)), y).rgb() != CLIP_GENERATED.rgb()
        # No active take: a flat box again.
        w.run({"op": "set", "item": 1, "active_take": None})
        image = view.grab().toImage()
        assert image.pixelColor(int(view.x_of(20)), y).rgb() == CLIP_GENERATED.rgb()
    finally:
        w.close()
