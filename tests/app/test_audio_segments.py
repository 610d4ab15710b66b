"""An audio segment in the window: the Generate dock asks for sound (length, steps, guidance,
seed, takes; no picture size), the Takes dock shows an audio take as a waveform and plays
it, and the timeline draws it as a waveform. The take is made beforehand in this process by
a tiny real StableAudioPipeline (the worker path is tested by the CLI)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.main import MainWindow  # noqa: E402
from app.theme import WAVEFORM  # noqa: E402
from generation.execute import run_spec  # noqa: E402
from generation.installed_models import resolve_model  # noqa: E402
from generation.planner import ResolvedModel, plan  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.generation_queue import GenerationRunner  # noqa: E402
from timeline.media.audio import AudioReader  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


def test_audio_segment_in_the_generate_and_takes_docks(
        qtbot, tiny_model: Callable[[str], Path],  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    m = resolve_model(str(tiny_model("stable-audio")))
    model = ResolvedModel(id=m.id, path=str(m.path), revision=m.revision,
                          pipeline_class=m.pipeline_class)
    path = tmp_path / "w.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36,
                                               sample_rate=48000)) as project:
        project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 48,
                         "prompt": "a storm"})
        project.execute({"op": "add_generated", "track": "A1", "at": 0, "duration": 48,
                         "prompt": "rain on a tin roof"})
        seg = project.sequence.tracks["A1"].item_at(0)
        assert seg is not None
        runner = GenerationRunner(project, measure=False)
        [spec] = plan(runner.request_for(seg.id, backend="stable-audio", model=model,
                                         steps=2, seed=3))
        result = run_spec(spec, tmp_path / "run", lambda _s, _t: None, lambda: False, {})
        job = runner.records.queue_job(seg.id, spec.to_json(), model_key=spec.model_key,
                                       steps_total=2)
        [take] = asyncio.run(runner.store_result(job, spec, result))

    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    window.timeline.selected = seg.id
    window.timeline.selection_changed.emit(seg.id)

    # The Generate dock: sound, no picture size; its choices make the pipeline's call.
    panel = window.generation
    assert "2.00 s of sound" in panel.title.text()
    assert not panel.size.isEnabled() and panel.generate_button.isEnabled()
    assert panel.prompt.placeholderText() == "Describe the sound…"
    panel.model.addItem(f"{m.id} ({m.pipeline_class})", m)
    panel.model.setCurrentIndex(panel.model.count() - 1)
    panel.steps.setValue(3)
    panel.guidance.setValue(4.5)
    panel.seed.setValue(9)
    panel.count.setValue(3)
    assert panel.generate_button.text() == "Generate 3 takes"
    specs = plan(panel._request(window.project.sequence.item(seg.id)))
    assert [s.seed for s in specs] == [9, 10, 11]
    assert specs[0].backend == "stable-audio"
    assert specs[0].call["audio_end_in_s"] == 2.0
    assert specs[0].call["num_inference_steps"] == 3
    assert specs[0].call["guidance_scale"] == 4.5

    # The Takes dock: the take's waveform as its thumbnail, and Play.
    browser = window.takes_browser
    assert [t.id for t in browser.takes()] == [take.id]
    qtbot.waitUntil(lambda: take.id in browser.thumbnails, timeout=60_000)
    image = browser.thumbnails[take.id].toImage()
    drawn = sum(image.pixelColor(x, y) == WAVEFORM for x in range(image.width())
                for y in range(image.height()))
    assert drawn > image.width()  # at least one lit pixel a column, on average
    row = browser.table.item(0, 4)
    assert row is not None and "2.00 s sound, 2 ch @ 8000 Hz" in row.text()
    browser.select(take.id)
    assert browser.play_button.isEnabled() and browser.play_button.text() == "Play"
    assert browser.toggle_play()
    assert browser.playing_take == take.id and browser.play_button.text() == "Stop"
    with AudioReader(take.media_path, sample_rate=48000) as reader:
        expected = reader.read(0, reader.duration_samples)
    assert browser.play_samples is not None
    assert np.array_equal(browser.play_samples, expected)  # the sequence-rate sound
    assert len(expected) == 96000
    browser.play_button.click()
    assert browser.playing_take is None and browser.play_button.text() == "Play"

    # The timeline draws the active take as a waveform.
    qtbot.waitUntil(lambda: -take.id in window.timeline.waveforms, timeout=60_000)
    assert window.timeline.waveforms[-take.id].sample_rate == 48000
    window.timeline.grab()  # paints the segment's waveform without error
    window.close()
