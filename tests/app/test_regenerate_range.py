"""The Generate dock's Regenerate range: the in/out range of a generated segment over its
active take with a tiny real VACE pipeline, as a new take."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.main import MainWindow  # noqa: E402
from project_store.generation_records import GenerationRecords  # noqa: E402
from project_store.project import Project  # noqa: E402


def test_regenerate_range_makes_a_spliced_take(qtbot,  # type: ignore[no-untyped-def]
                                               tiny_model: Callable[[str], Path],
                                               run_queue: Callable[..., None],
                                               clip_project: Callable[..., Path]) -> None:
    from generation.installed_models import resolve_model

    path = clip_project("gen", seconds=2, frames=20)
    with Project.open(path) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 20, "duration": 24,
                   "prompt": "a red ball rolling"})
    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    seq = window.project.sequence
    seg = seq.tracks["V1"].item_at(20)
    assert seg is not None and seg.kind == "generated"
    window.timeline.selected = seg.id
    window.timeline.selection_changed.emit(seg.id)
    panel = window.generation

    # No take, no in/out: the button says why it is off.
    assert not panel.range_button.isEnabled()
    assert "in and out" in panel.range_button.toolTip()

    # Previz makes a first take; the runner refuses previz for a range, with a message.
    run_queue(panel, panel.generate)
    reports: list[str] = []
    panel.report = reports.append
    assert window.run({"op": "set_in_out", "in_point": 28, "out_point": 36})
    assert panel.range_button.isEnabled(), panel.range_button.toolTip()
    assert not panel.regenerate_range()
    assert reports and "needs a model" in reports[-1]

    model = resolve_model(str(tiny_model("wan-vace")))
    panel.model.addItem(f"{model.id} ({model.pipeline_class})", model)
    panel.model.setCurrentIndex(panel.model.count() - 1)
    panel.size.setText("32x32")
    panel.steps.setValue(2)
    records = GenerationRecords(window.project)
    before = {t.id for t in records.takes(seg.id)}

    def press() -> bool:  # the button, as the user presses it
        before = panel._task
        panel.range_button.click()
        return panel._task is not before

    run_queue(panel, press)
    failed = [j.error for j in records.jobs() if j.state != "done"]
    assert not failed, failed
    new = [t for t in records.takes(seg.id) if t.id not in before]
    assert len(new) == 1
    assert new[0].recipe["inputs"]["splice"]["range"] == [8, 16]
    assert new[0].backend == "wan-vace"

    # The range over the whole segment is Generate's job, not a range's.
    assert window.run({"op": "set_in_out", "in_point": 20, "out_point": 44})
    assert not panel.range_button.isEnabled()
    assert "whole segment" in panel.range_button.toolTip()
    window.close()
