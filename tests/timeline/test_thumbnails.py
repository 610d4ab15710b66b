"""Filmstrips and waveform caches: exact thumbnail times, rotation, cache files keyed by
identity, corrupt caches recomputed, and a few real files from the shared test data."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from services.demo_media import (
    write_color_bars_video,
    write_reference_still,
    write_tone_and_clicks_wav,
)
from timeline.media import audio, thumbnails
from timeline.media.decode import VideoDecoder
from timeline.media.probe import UnsupportedMediaError, probe
from timeline.media.thumbnails import (
    Filmstrip,
    cache_dir,
    filmstrip,
    filmstrip_cache_path,
    load_or_compute_filmstrip,
    load_or_compute_waveform,
)

NTSC_FILM = Fraction(24000, 1001)


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("thumbs")
    return write_color_bars_video(folder / "bars.mp4", seconds=Fraction(7, 2), fps=NTSC_FILM,
                                  size=(320, 180))


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_reference_still(tmp_path_factory.mktemp("still") / "ref.png", size=(256, 128))


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tone_and_clicks_wav(tmp_path_factory.mktemp("wav") / "tone.wav", seconds=3)


def expected_thumbs(path: Path, every: Fraction, size: tuple[int, int]) -> tuple[list[int],
                                                                                 np.ndarray]:
    """Frame indexes and pictures the filmstrip should hold, straight from a decoder."""
    with VideoDecoder(path, size=size) as decoder:
        indexes = []
        k = 0
        while k * every < decoder.duration:
            indexes.append(decoder.index_at_time(k * every))
            k += 1
        return indexes, np.stack([decoder.frame(i) for i in indexes])


def test_one_thumbnail_a_second_is_the_frame_on_screen_at_that_time(bars: Path) -> None:
    strip = filmstrip(bars, height=64)
    # 320x180 at 64 px high: 113.8 -> 114 px wide.
    assert strip.frames.shape == (4, 64, 114, 3) and strip.frames.dtype == np.uint8
    assert strip.size == (114, 64)
    indexes, pictures = expected_thumbs(bars, Fraction(1), (114, 64))
    # The frame on screen at 1 s of a 24000/1001 clip is frame 23 (it starts at 0.959 s).
    assert indexes == [0, 23, 47, 71]
    assert strip.indexes.tolist() == indexes
    assert np.array_equal(strip.frames, pictures)
    assert [strip.time_of(k) for k in range(4)] == [Fraction(i) / NTSC_FILM for i in indexes]
    assert strip.times == pytest.approx([float(i / NTSC_FILM) for i in indexes])


def test_thumbnail_lookup_takes_the_last_thumbnail_at_or_before_a_time(bars: Path) -> None:
    strip = filmstrip(bars, height=32)
    assert strip.index_at(Fraction(0)) == 0
    assert strip.index_at(Fraction(23) / NTSC_FILM) == 1
    assert strip.index_at(Fraction(22) / NTSC_FILM) == 0
    assert strip.index_at(Fraction(100)) == len(strip) - 1
    assert strip.index_at(Fraction(-1)) == 0


def test_interval_and_height_are_parameters(bars: Path) -> None:
    strip = filmstrip(bars, height=40, every_seconds=0.5)
    indexes, pictures = expected_thumbs(bars, Fraction(1, 2), strip.size)
    assert strip.size == (71, 40)
    assert strip.indexes.tolist() == indexes and len(indexes) == 8  # 0 .. 3.5 s
    assert np.array_equal(strip.frames, pictures)


def test_thumbnails_closer_than_frames_keep_one_per_frame(bars: Path) -> None:
    strip = filmstrip(bars, height=16, every_seconds=Fraction(1, 100))
    assert strip.indexes.tolist() == list(range(84))  # ceil(3.5 * 24000/1001) frames


def test_progress_is_reported_and_can_stop_the_filmstrip(bars: Path) -> None:
    calls: list[tuple[int, int]] = []
    filmstrip(bars, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]

    class Stop(Exception):
        pass

    def stop(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        filmstrip(bars, progress=stop)


def test_a_still_gives_one_thumbnail(still: Path) -> None:
    strip = filmstrip(still, height=32)
    assert strip.frames.shape == (1, 32, 64, 3)
    assert strip.index_at(Fraction(5)) == 0


def test_sound_only_files_and_bad_parameters_are_refused(wav: Path, bars: Path) -> None:
    with pytest.raises(UnsupportedMediaError, match="tone.wav"):
        filmstrip(wav)
    with pytest.raises(ValueError, match="height"):
        filmstrip(bars, height=0)
    with pytest.raises(ValueError, match="every_seconds"):
        filmstrip(bars, every_seconds=0)


def test_cache_dir_sits_beside_the_project(tmp_path: Path) -> None:
    folder = cache_dir(tmp_path / "cut.takeline")
    assert folder == tmp_path / "cut.takeline.media" / "cache"
    assert folder.is_dir()


def test_filmstrip_cache_is_keyed_by_identity_and_loaded_without_decoding(
    bars: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = cache_dir(tmp_path / "p.takeline")
    first = load_or_compute_filmstrip(bars, "identity-a", folder)
    target = filmstrip_cache_path("identity-a", folder)
    assert target.parent == folder and target.name.startswith("filmstrip-")
    assert target.suffix == ".npz" and target.is_file()
    assert [p.name for p in folder.iterdir()] == [target.name]  # no temporary left behind

    def no_decoding(*args: object, **kwargs: object) -> Filmstrip:
        raise AssertionError("the cached filmstrip should have been used")

    monkeypatch.setattr(thumbnails, "filmstrip", no_decoding)
    again = load_or_compute_filmstrip(probe(bars), "identity-a", folder)
    assert np.array_equal(again.frames, first.frames)
    assert np.array_equal(again.offsets, first.offsets)
    assert np.array_equal(again.indexes, first.indexes)
    assert again.time_base == first.time_base
    # Another identity (the file changed) or other parameters are other files.
    assert filmstrip_cache_path("identity-b", folder) != target
    assert filmstrip_cache_path("identity-a", folder, height=32) != target
    assert filmstrip_cache_path("identity-a", folder, every_seconds=2) != target
    # 1.0 and 1 are the same interval, so the same file.
    assert filmstrip_cache_path("identity-a", folder, every_seconds=1.0) == target


@pytest.mark.parametrize("damage", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_a_corrupt_filmstrip_cache_is_recomputed_and_rewritten(
    bars: Path, tmp_path: Path, damage: bytes
) -> None:
    folder = cache_dir(tmp_path / "p.takeline")
    good = load_or_compute_filmstrip(bars, "id", folder)
    target = filmstrip_cache_path("id", folder)
    target.write_bytes(damage)
    again = load_or_compute_filmstrip(bars, "id", folder)
    assert np.array_equal(again.frames, good.frames)
    assert target.stat().st_size > 1000  # rewritten whole


def test_a_cache_with_wrong_contents_is_recomputed(bars: Path, tmp_path: Path) -> None:
    folder = cache_dir(tmp_path / "p.takeline")
    target = filmstrip_cache_path("id", folder)
    np.savez(target, version=np.int64(1), frames=np.zeros((2, 64, 10), np.uint8),
             offsets=np.zeros(2, np.int64), indexes=np.zeros(2, np.int64),
             time_base=np.array([1, 25], np.int64))
    strip = load_or_compute_filmstrip(bars, "id", folder)
    assert strip.frames.shape == (4, 64, 114, 3)


def test_an_unwritable_cache_folder_still_gives_thumbnails(bars: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    strip = load_or_compute_filmstrip(bars, "id", blocked / "cache")
    assert len(strip) == 4


def test_waveform_peaks_are_cached_by_identity_in_the_same_folder(
    wav: Path, bars: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = cache_dir(tmp_path / "p.takeline")
    wave = load_or_compute_waveform(wav, "wav-identity", folder, sample_rate=48000,
                                    samples_per_bin=480)
    assert wave.sample_rate == 48000 and wave.samples_per_bin == 480 and wave.origin == 0
    assert wave.peaks.shape == (300, 2, 2)  # 3 s of 100 bins a second, stereo, (min, max)
    assert np.array_equal(
        wave.peaks, audio.compute_peaks(wav, sample_rate=48000, samples_per_bin=480))
    files = [p.name for p in folder.iterdir()]
    assert len(files) == 1 and files[0].startswith("peaks-") and files[0].endswith(".npy")

    def no_decoding(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("the cached peaks should have been used")

    monkeypatch.setattr(audio, "compute_peaks", no_decoding)
    again = load_or_compute_waveform(probe(wav), "wav-identity", folder, sample_rate=48000,
                                     samples_per_bin=480)
    assert np.array_equal(again.peaks, wave.peaks)
    # The key is the identity, not the path: a moved file finds its peaks.
    moved = tmp_path / "moved.wav"
    moved.write_bytes(wav.read_bytes())
    assert np.array_equal(load_or_compute_waveform(
        moved, "wav-identity", folder, sample_rate=48000, samples_per_bin=480).peaks,
        wave.peaks)


def test_the_sound_of_a_video_gets_peaks_too(bars: Path, tmp_path: Path) -> None:
    wave = load_or_compute_waveform(bars, "bars", cache_dir(tmp_path / "p.takeline"),
                                    sample_rate=48000)
    samples = int(Fraction(84) / NTSC_FILM * 48000)  # as long as the video, plus AAC padding
    bins = -(-samples // thumbnails.DEFAULT_SAMPLES_PER_BIN)
    assert bins <= wave.peaks.shape[0] <= bins + 1024 // thumbnails.DEFAULT_SAMPLES_PER_BIN
    # A -18 dBFS tone: peaks near +-0.126 in the middle of the clip.
    middle = wave.peaks[wave.peaks.shape[0] // 2]
    assert middle[:, 1] == pytest.approx([0.126, 0.126], abs=0.01)
    assert middle[:, 0] == pytest.approx([-0.126, -0.126], abs=0.01)


# --------------------------------------------------------------------------------------
# Real files


def test_real_h264_clip_one_thumbnail_a_second(testdata: Path) -> None:
    path = testdata / "video" / "bbb_prog_10s.mp4"  # 320x240, 24 fps, 9.917 s
    strip = filmstrip(path)
    assert strip.frames.shape == (10, 64, 85, 3)
    assert strip.indexes.tolist() == [24 * k for k in range(10)]
    assert [strip.time_of(k) for k in range(10)] == list(range(10))
    assert strip.frames[5].mean() > 20  # pictures, not black


def test_real_rotated_clip_thumbnails_are_upright(testdata: Path, tmp_path: Path) -> None:
    path = testdata / "video" / "mv_with_2_top_shots.mp4"  # 1440x1080 coded, rotation 90
    strip = load_or_compute_filmstrip(path, "phone", cache_dir(tmp_path / "p.takeline"))
    assert strip.size == (48, 64)  # portrait
    indexes, pictures = expected_thumbs(path, Fraction(1), (48, 64))
    assert len(indexes) == 2
    assert strip.indexes.tolist() == indexes
    assert np.array_equal(strip.frames, pictures)


def test_real_compressed_audio_peaks(testdata: Path, tmp_path: Path) -> None:
    wave = load_or_compute_waveform(testdata / "audio" / "music.mp3", "mp3",
                                    cache_dir(tmp_path / "p.takeline"), sample_rate=48000)
    assert wave.peaks.shape[1:] == (2, 2)
    assert 30 * 48000 / 256 - 10 < wave.peaks.shape[0] < 30.1 * 48000 / 256 + 10
    assert float(wave.peaks[..., 1].max()) > 0.3
