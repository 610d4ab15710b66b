"""A generated segment's seed reads the same in the Generate dock, the Details panel and
its takes ("seed 1234", or "new seed each run" when it has none), and a run from the dock
uses the segment's seed rather than drawing a new one."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.main import MainWindow  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown  # noqa: E402
from timeline.model import NEW_SEED_TEXT, SequenceSettings, seed_text  # noqa: E402


def test_the_seed_reads_the_same_everywhere(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "seed.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320,
                                               height=180)) as p:
        p.apply([{"op": "add_generated", "track": "V1", "at": 0, "duration": 10,
                  "prompt": "fog", "seed": 1234},
                 {"op": "add_generated", "track": "V1", "at": 10, "duration": 10,
                  "prompt": "rain"}])
    w = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    try:
        fixed, fresh = w.project.sequence.track("V1").items
        assert (seed_text(1234), seed_text(None)) == ("seed 1234", NEW_SEED_TEXT)
        w.timeline.select_items([fixed.id])
        w.session.select(fixed.id)
        w.generation.show_segment(fixed)
        w.details.show_state(w.project.sequence, 0, fixed)
        assert w.generation.seed.text() == "1234" and "seed 1234" in w.details.text()
        assert w.generation._request(fixed).seed == 1234  # the run keeps it
        w.generation.show_segment(fresh)
        w.details.show_state(w.project.sequence, 0, fresh)
        assert w.generation.seed.text() == NEW_SEED_TEXT
        assert NEW_SEED_TEXT in w.details.text()
        assert w.generation._request(fresh).seed is None
    finally:
        w.close()
