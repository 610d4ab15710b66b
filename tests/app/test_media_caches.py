"""The editor makes filmstrips and waveforms in the background, keeps them beside the
project, paints them in the timeline, and on reopening reads them back instead of decoding."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtGui import QColor  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.media_cache import MediaCacheLoader  # noqa: E402
from app.timeline_view import CLIP_AUDIO, CLIP_VIDEO, RULER_H, TRACK_H, TimelineView  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video, write_tone_and_clicks_wav  # noqa: E402
from timeline.engine.background import BackgroundJobs  # noqa: E402
from timeline.media import audio, thumbnails  # noqa: E402
from timeline.media.probe import UnsupportedMediaError  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402

WAIT_MS = 20000


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    bars = write_color_bars_video(tmp_path / "bars.mp4", seconds=3, fps=Fraction(25),
                                  size=(256, 144))
    tone = write_tone_and_clicks_wav(tmp_path / "tone.wav", seconds=3)
    path = tmp_path / "cut.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=640, height=360)) as p:
        video, sound = p.import_media([bars, tone])
        assert (video.id, sound.id) == (1, 2)
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 75})
        p.execute({"op": "append", "track": "A1", "asset": 2, "source_in": 0, "source_out": 75})
    return path


def open_window(qtbot, path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    # The status bar says what is still being made until it is made.
    assert window.background_label.text() == (
        f"Thumbnails and waveforms: {window.media_caches.pending} to make")
    window.show()
    qtbot.waitExposed(window)
    view = window.timeline
    qtbot.waitUntil(lambda: 1 in view.filmstrips and {1, 2} <= view.waveforms.keys()
                    and window.media_caches.pending == 0, timeout=WAIT_MS)
    assert window.background_label.text() == ""
    return window


def count_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"filmstrip": 0, "peaks": 0}
    real_filmstrip, real_peaks = thumbnails.filmstrip, audio.compute_peaks

    def filmstrip(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["filmstrip"] += 1
        return real_filmstrip(*args, **kwargs)

    def compute_peaks(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["peaks"] += 1
        return real_peaks(*args, **kwargs)

    monkeypatch.setattr(thumbnails, "filmstrip", filmstrip)
    monkeypatch.setattr(audio, "compute_peaks", compute_peaks)
    return calls


def colour_at(window: MainWindow, x: float, y: float) -> QColor:
    return window.timeline.grab().toImage().pixelColor(int(x), int(y))


def test_caches_arrive_are_painted_and_are_read_back_on_reopening(
    qtbot, project_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    calls = count_calls(monkeypatch)
    window = open_window(qtbot, project_path)
    view = window.timeline
    assert calls == {"filmstrip": 1, "peaks": 2}  # the video's sound has peaks too
    strip = view.filmstrips[1]
    assert strip.frames.shape == (3, 64, 114, 3)
    assert view.waveforms[2].peaks.shape[1:] == (2, 2)
    assert 2 not in view.filmstrips  # a WAV has no pictures

    cache = project_path.with_name("cut.takeline.media") / "cache"
    strips = sorted(cache.glob("filmstrip-*.npz"))
    peaks = sorted(cache.glob("peaks-*.npy"))
    assert len(strips) == 1 and len(peaks) == 2
    assert not list(cache.glob(".*"))  # no temporaries left behind
    stamps = {p: p.stat().st_mtime_ns for p in strips + peaks}

    # Painted: the clips are no longer flat boxes. Row 0 is V2, V1 the next, then A1.
    view.fit()
    x = view.x_of(40)
    v1_y = RULER_H + TRACK_H + TRACK_H * 0.55
    a1_y = RULER_H + 2 * TRACK_H + TRACK_H / 2
    assert colour_at(window, x, v1_y) != CLIP_VIDEO
    assert colour_at(window, x, a1_y) != CLIP_AUDIO  # the waveform crosses the middle
    window.close()

    calls.update(filmstrip=0, peaks=0)
    window = open_window(qtbot, project_path)
    assert calls == {"filmstrip": 0, "peaks": 0}
    assert {p: p.stat().st_mtime_ns for p in strips + peaks} == stamps
    assert np.array_equal(window.timeline.filmstrips[1].frames, strip.frames)
    window.close()


def test_timeline_paints_caches_at_any_zoom_and_scroll(
    qtbot, project_path: Path  # type: ignore[no-untyped-def]
) -> None:
    window = open_window(qtbot, project_path)
    view = window.timeline
    for ppf, scroll in [(64.0, 0), (64.0, 70), (0.05, 0), (4.0, 30), (13.7, 74), (2.0, 400)]:
        view.pixels_per_frame, view.scroll_frames = ppf, scroll
        assert not view.grab().isNull()
    # Dropping the caches goes back to plain boxes.
    view.set_media_caches({}, {})
    view.fit()
    assert colour_at(window, view.x_of(40), RULER_H + 2 * TRACK_H + TRACK_H / 2) == CLIP_AUDIO
    window.close()


def test_a_failed_cache_job_is_reported_in_the_status_bar(
    qtbot, project_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise UnsupportedMediaError("Cannot decode 'bars.mp4': broken.", "bars.mp4")

    monkeypatch.setattr(thumbnails, "filmstrip", broken)
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "Thumbnails of bars.mp4: Cannot decode" in
                    window.statusBar().currentMessage(), timeout=WAIT_MS)
    assert 1 not in window.timeline.filmstrips
    window.close()


def test_switching_projects_never_shows_the_other_projects_pictures(
    qtbot, project_path: Path, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    other_clip = write_color_bars_video(tmp_path / "other.mp4", seconds=2, fps=Fraction(25),
                                        size=(256, 256), with_audio=False)
    other_path = tmp_path / "other.takeline"
    with Project.create(other_path, SequenceSettings(fps=Fraction(25))) as p:
        (asset,) = p.import_media([other_clip])
        assert asset.id == 1  # the same id as the first project's video, another file
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 50})
    first, second = Project.open(project_path), Project.open(other_path)
    view = TimelineView(lambda: first.sequence, lambda _asset: None)
    qtbot.addWidget(view)
    with BackgroundJobs() as jobs:
        loader = MediaCacheLoader(jobs, view)
        loader.request(first)
        qtbot.waitUntil(lambda: loader.pending == 0, timeout=WAIT_MS)
        assert view.filmstrips[1].size == (114, 64)
        loader.request(second)
        assert view.filmstrips == {} and view.waveforms == {}  # the old ones went at once
        qtbot.waitUntil(lambda: loader.pending == 0, timeout=WAIT_MS)
        assert view.filmstrips[1].size == (64, 64)  # square: the other file's
        assert view.waveforms == {}  # it has no sound
        loader.request(second)  # asking again finds everything there: no new jobs
        assert loader.pending == 0
    assert (tmp_path / "other.takeline.media" / "cache").is_dir()
    first.close()
    second.close()
