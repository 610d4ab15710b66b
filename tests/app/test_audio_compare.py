"""Compare two audio takes in the Takes dock: both waveforms under one playhead, an A/B
switch that changes which take is heard at the same sample, and the recipe diff. The takes
are made beforehand in this process by a tiny real StableAudioPipeline (as in
test_audio_segments.py). No audio device is needed: the sound the device would be fed is
read from the view's sample source directly."""

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

RATE = 48000


def _lit(image) -> int:  # type: ignore[no-untyped-def]
    return sum(image.pixelColor(x, y) == WAVEFORM for x in range(0, image.width(), 4)
               for y in range(image.height()))


def _sound(path: Path) -> np.ndarray:
    with AudioReader(path, sample_rate=RATE) as reader:
        return reader.read(0, reader.duration_samples)


def test_compare_two_audio_takes_a_b(
        qtbot, tiny_model: Callable[[str], Path],  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    m = resolve_model(str(tiny_model("stable-audio")))
    model = ResolvedModel(id=m.id, path=str(m.path), revision=m.revision,
                          pipeline_class=m.pipeline_class)
    path = tmp_path / "ab.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36,
                                               sample_rate=RATE)) as project:
        project.execute({"op": "add_generated", "track": "A1", "at": 0, "duration": 48,
                         "prompt": "rain on a tin roof"})
        seg = project.sequence.tracks["A1"].item_at(0)
        assert seg is not None
        runner = GenerationRunner(project, measure=False)
        takes = []
        for seed in (3, 5):
            [spec] = plan(runner.request_for(seg.id, backend="stable-audio", model=model,
                                             steps=2, seed=seed))
            result = run_spec(spec, tmp_path / f"run{seed}", lambda _s, _t: None,
                              lambda: False, {})
            job = runner.records.queue_job(seg.id, spec.to_json(), model_key=spec.model_key,
                                           steps_total=2)
            takes += asyncio.run(runner.store_result(job, spec, result))
    take_a, take_b = takes
    sound_a, sound_b = _sound(take_a.media_path), _sound(take_b.media_path)
    assert not np.array_equal(sound_a, sound_b)  # two seeds, two sounds

    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    window.timeline.selected = seg.id
    window.timeline.selection_changed.emit(seg.id)
    browser = window.takes_browser
    assert {t.id for t in browser.takes()} == {take_a.id, take_b.id}
    assert browser.compare_button.isEnabled()
    assert browser.compare(take_a.id, take_b.id)
    view = browser.compare_view
    assert view.audio_mode
    qtbot.waitUntil(view.audio_ready, timeout=60_000)

    # Two waveforms (the pictures' players are hidden), one playhead, the transport in s.
    assert not view.waves_box.isHidden() and view.player_a.isHidden()
    assert not view.ab_button.isHidden()
    assert view.wave_a.image is not None and view.wave_b.image is not None
    assert _lit(view.wave_a.image) > view.wave_a.image.width() // 4
    assert _lit(view.wave_b.image) > view.wave_b.image.width() // 4
    assert view.wave_a.image != view.wave_b.image
    assert view.length == len(sound_a) == 96000
    assert view.play_button.isEnabled()
    view.wave_a.grab()  # paints without error
    at = 30000
    view.seek(at)
    assert view.slider.value() == at and view.sample_pos == at
    assert view.wave_a.playhead == view.wave_b.playhead == pytest.approx(at / 96000)
    assert view.counter.text() == "0.62 s / 2.00 s"

    # The A/B switch: the same sample position, the other take's sound.
    assert view.hearing == "A" and view.wave_a.hearing and not view.wave_b.hearing
    assert not np.array_equal(sound_a[at:at + 512], sound_b[at:at + 512])
    assert np.array_equal(view.audio_block(at, 512), sound_a[at:at + 512])
    view.ab_button.click()
    assert view.hearing == "B" and view.ab_button.text() == "Hearing B"
    assert view.sample_pos == at
    assert np.array_equal(view.audio_block(at, 512), sound_b[at:at + 512])
    # What the device callback is fed, and that it moves on from there.
    out = np.empty((512, view.channels), np.float32)
    view._audio_callback(out, 512, None, None)
    assert np.array_equal(out, sound_b[at:at + 512]) and view.sample_pos == at + 512
    view.ab_button.click()
    view._audio_callback(out, 512, None, None)
    assert np.array_equal(out, sound_a[at + 512:at + 1024])
    # The end loops to the start.
    end = view.audio_block(96000 - 100, 200)
    assert np.array_equal(end[:100], sound_a[-100:]) and np.array_equal(end[100:],
                                                                        sound_a[:100])

    # Playing (no device here: the playhead follows a clock); switching keeps the place.
    view.play()
    assert view.playing and view.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: view.position != at, timeout=60_000)
    here = view.sample_pos
    view.ab_button.click()
    assert view.sample_pos == here and view.hearing == "B"
    view.pause()
    assert not view.playing and view.play_button.text() == "Play"

    # The recipe diff names the differing seed.
    differing = [r for r in view.diff_rows() if r[3]]
    seed_rows = [r for r in differing if r[0].split(".")[-1] == "seed"]
    assert seed_rows and (seed_rows[0][1], seed_rows[0][2]) == ("3", "5")
    assert "differ" in view.diff_summary.text()

    # No audio device: the status says so and nothing plays. (Where PortAudio itself is
    # missing, importing sounddevice raises: the same path.)
    try:
        import sounddevice as sd
    except OSError:
        sd = None
    if sd is not None:
        def no_device(*_a: object, **_k: object) -> None:
            raise sd.PortAudioError("Error querying device -1")

        monkeypatch.setattr(sd, "OutputStream", no_device)
    view.use_audio_device = True
    view.play()
    assert not view.playing and not view.play_button.isChecked()
    assert "no audio device" in view.status.text()
    window.close()
