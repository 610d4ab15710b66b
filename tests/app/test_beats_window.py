"""Clip > Find Beats listens in the background and marks a click track's beats (one undo
step); Edit > Cut to Beats moves the selected clips' cuts onto them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")
pytest.importorskip("librosa", reason="beat tracking needs librosa (a dependency)")

from app.main import MainWindow  # noqa: E402
from project_store.project import Project  # noqa: E402
from tests.app.shown import shown  # noqa: E402
from tests.app.test_context_menus import on, pick, right_click  # noqa: E402
from tests.timeline.test_beats import write_click_track  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Any:
    """24 fps. A1: 6 s of a 120 BPM click track (a click every 12 frames from frame 6);
    V1: generated segments [0,40) and [40,80)."""
    clicks = tmp_path / "clicks.wav"
    write_click_track(clicks, bpm=120, seconds=6, first=0.25)
    path = tmp_path / "beats.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=320,
                                               height=180)) as p:
        p.import_media([clicks])
        p.apply([{"op": "append", "track": "A1", "asset": 1, "source_in": 0,
                  "source_out": 144},
                 {"op": "add_generated", "track": "V1", "at": 0, "duration": 40},
                 {"op": "add_generated", "track": "V1", "at": 40, "duration": 40}])
    w = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    w.timeline.pixels_per_frame = 4.0
    w.timeline.scroll_frames = 0
    yield w
    w.close()


def test_find_beats_then_cut_to_beats(window: Any, qtbot: Any) -> None:
    view = window.timeline
    seq = window.project.sequence
    music = seq.track("A1").items[0]
    messages: list[str] = []
    window.edit_actions.beats.finished.connect(messages.append)
    pick(right_click(view, on(view, 20, "A1")), "Find Beats")
    qtbot.waitUntil(lambda: bool(messages), timeout=120_000)
    assert messages[0].startswith(f"Beat Markers: 12 beats on clip {music.id} (")
    beats = sorted(m.frame for m in seq.markers.values() if m.is_beat)
    assert beats == [6 + 12 * k for k in range(12)]
    assert window.project.timeline.undo_label.startswith("Beat Markers")
    # Both segments selected: the cut at 40 rolls to the beat at 42, the end at 80 to 78.
    view.select_items(i.id for i in seq.track("V1"))
    assert window.edit_actions.actions["cut_to_beats"].isEnabled()
    window.edit_actions.actions["cut_to_beats"].trigger()
    assert [(i.start, i.end) for i in seq.track("V1")] == [(0, 42), (42, 78)]
    assert window.statusBar().currentMessage() == "Cut to Beats: 2 cuts moved"
    window.undo()
    assert [(i.start, i.end) for i in seq.track("V1")] == [(0, 40), (40, 80)]


def test_find_beats_on_a_generated_segment_is_not_offered(window: Any) -> None:
    view = window.timeline
    menu = right_click(view, on(view, 20, "V1"))
    assert "Find Beats" not in [a.text() for a in menu.actions()]
    cut = [a for a in menu.actions() if a.text() == "Cut to Beats"][0]
    assert not cut.isEnabled()  # no beats yet
    menu.close()
