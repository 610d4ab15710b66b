"""AudioReader: sample-exact random access, clicks where the synth put them, real files.

Synthesised media give exact expectations (click samples from ``click_positions`` and
``sync_test_events``); the shared real-world files (``../shared/testdata``) check that
every container/codec there reads, seeks and ends cleanly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import demo_media as synth
from tests.conftest import locate_testdata, media_facts, missing_testdata_reason
from timeline.media import audio
from timeline.media.audio import (
    AudioDecodeError,
    AudioReader,
    NoAudioStreamError,
    compute_peaks,
    load_or_compute_peaks,
    peaks_cache_path,
)
from timeline.media.probe import MediaProbeError

RATE = 48000
NTSC_FILM = Fraction(24000, 1001)
SMALL = (320, 180)
SECONDS = 3
TESTDATA = locate_testdata()
AUDIO_FACTS = [f for f in media_facts() if f.get("audio_sample_rate")]
needs_testdata = pytest.mark.skipif(TESTDATA is None, reason=missing_testdata_reason())


# --------------------------------------------------------------------------------------
# Helpers and synthesised media


def _full(reader: AudioReader, extra: int = 0) -> np.ndarray:
    """The whole stream (plus ``extra`` samples past the end) in one sequential read."""
    return reader.read(0, reader.duration_samples + extra)


def _peak_at(x: np.ndarray, near: int, window: int = 200) -> int:
    """Index of the largest |sample| of channel 0 within ``window`` of ``near``."""
    lo = max(0, near - window)
    return lo + int(np.argmax(np.abs(x[lo : near + window, 0])))


def _onset_at(x: np.ndarray, near: int, window: int = 200) -> int:
    """First sample of channel 0 near ``near`` reaching half the local peak."""
    lo = max(0, near - window)
    segment = np.abs(x[lo : near + window, 0])
    return lo + int(np.flatnonzero(segment >= 0.5 * segment.max())[0])


def _has_sound(path: Path) -> bool:
    """Whether a plain PyAV decode of the first audio stream holds any non-zero sample."""
    with av.open(str(path)) as container:
        return any(np.any(frame.to_ndarray()) for frame in container.decode(audio=0))


def _pulse() -> np.ndarray:
    """A 2 ms Hann-windowed 2 kHz burst: survives AAC (a 24 kHz click would not)."""
    n = 96
    return (0.8 * np.hanning(n + 2)[1:-1] * np.sin(2 * np.pi * 2000 * np.arange(n) / RATE)).astype(
        np.float32
    )


def _write_aac_pulses(path: Path, events: list[tuple[int, int]], total: int) -> Path:
    """AAC-LC stereo in MP4 (FFmpeg's encoder, with its 1024-sample priming) holding a
    pulse at each click sample of ``events``."""
    signal = np.zeros(total, np.float32)
    pulse = _pulse()
    for _, click in events:
        signal[click : click + len(pulse)] += pulse[: total - click]
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=RATE)
        stream.layout = "stereo"
        for start in range(0, total, 1024):
            chunk = np.ascontiguousarray(np.stack([signal[start : start + 1024]] * 2))
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = start
            frame.time_base = Fraction(1, RATE)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("audio")
    events = synth.sync_test_events(SECONDS, NTSC_FILM, RATE)
    total = math.floor(synth.frame_count(SECONDS, NTSC_FILM) * RATE / NTSC_FILM)
    return {
        "wav48": synth.write_tone_and_clicks_wav(folder / "clicks48.wav", seconds=SECONDS),
        "wav44": synth.write_tone_and_clicks_wav(
            folder / "clicks44.wav", seconds=SECONDS, sample_rate=44100
        ),
        "sync": synth.write_sync_test_video(folder / "sync.mov", seconds=SECONDS, size=SMALL),
        "bars": synth.write_color_bars_video(folder / "bars.mp4", seconds=2, size=SMALL),
        "aac": _write_aac_pulses(folder / "pulses.mp4", events, total),
        "silent": synth.write_color_bars_video(
            folder / "silent.mp4", seconds=1, size=SMALL, with_audio=False
        ),
    }


@pytest.fixture(scope="module")
def wav48_full(media: dict[str, Path]) -> np.ndarray:
    with AudioReader(media["wav48"], sample_rate=RATE) as reader:
        return _full(reader, extra=1000)


@pytest.fixture(scope="module")
def wav44(media: dict[str, Path]) -> Iterator[tuple[AudioReader, np.ndarray]]:
    """A 44.1 kHz WAV read at 48 kHz: one reader for random reads, one full read."""
    with AudioReader(media["wav44"], sample_rate=RATE) as reader:
        full = _full(reader, extra=1000)
    random_reader = AudioReader(media["wav44"], sample_rate=RATE)
    yield random_reader, full
    random_reader.close()


# --------------------------------------------------------------------------------------
# Exact random access


def test_wav_random_reads_equal_one_sequential_read(
    media: dict[str, Path], wav48_full: np.ndarray
) -> None:
    with AudioReader(media["wav48"], sample_rate=RATE) as reader:
        n = reader.duration_samples
        assert n == SECONDS * RATE
        assert reader.start_sample == 0
        reads = [
            (0, 1),
            (0, 5000),
            (100_000, 777),
            (20_000, 3000),  # backward: a seek
            (23_000, 4096),  # where the last read ended: sequential
            (27_096, 10),
            (n - 300, 1000),  # across the end
            (n, 64),  # past the end
            (n + 10 * RATE, 5),
            (-500, 1000),  # across the start
            (-10_000, 50),  # before the start
            (71_999, 2),
            (1, 143_998),
        ]
        for first, count in reads:
            got = reader.read(first, count)
            assert got.shape == (count, 2) and got.dtype == np.float32
            expected = np.zeros((count, 2), np.float32)
            lo, hi = max(first, 0), min(first + count, len(wav48_full))
            if lo < hi:
                expected[lo - first : hi - first] = wav48_full[lo:hi]
            np.testing.assert_array_equal(got, expected, err_msg=f"read({first}, {count})")
        assert not np.any(wav48_full[n:])
        assert reader.read(5, 0).shape == (0, 2)


def test_wav_clicks_are_at_the_exact_samples(
    media: dict[str, Path], wav48_full: np.ndarray
) -> None:
    positions = synth.click_positions(SECONDS, RATE)
    assert positions == [0, 48000, 96000]
    assert [_peak_at(wav48_full, p) for p in positions] == positions
    # The same with readers that seek straight to each click.
    for p in reversed(positions):
        with AudioReader(media["wav48"], sample_rate=RATE) as reader:
            window = reader.read(p - 100, 300)
            assert int(np.argmax(np.abs(window[:, 0]))) == 100


def test_resampled_clicks_land_within_one_sample(
    wav44: tuple[AudioReader, np.ndarray],
) -> None:
    _, full = wav44
    # The click is an alternating-sign burst at 22.05 kHz, above the resampler's cutoff,
    # so what survives is its two edges: find the leading one (half the local peak).
    for p in synth.click_positions(SECONDS, 44100):
        expected = round(p * RATE / 44100)
        assert abs(_onset_at(full, expected) - expected) <= 1


def test_resampled_random_reads_equal_the_sequential_read(
    wav44: tuple[AudioReader, np.ndarray],
) -> None:
    reader, full = wav44
    n = reader.duration_samples
    assert n == SECONDS * RATE  # 132300 samples at 44.1 kHz
    for first, count in [(50_000, 2000), (0, 100), (140_000, 9000), (52_000, 100), (7, 3)]:
        got = reader.read(first, count)
        expected = np.zeros((count, 2), np.float32)
        hi = min(first + count, len(full))
        expected[: hi - first] = full[first:hi]
        np.testing.assert_array_equal(got, expected, err_msg=f"read({first}, {count})")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(first=st.integers(-3000, 150_000), count=st.integers(0, 6000))
def test_resampled_random_reads_property(
    wav44: tuple[AudioReader, np.ndarray], first: int, count: int
) -> None:
    reader, full = wav44
    got = reader.read(first, count)
    expected = np.zeros((count, 2), np.float32)
    lo, hi = max(first, 0), min(first + count, len(full))
    if lo < hi:
        expected[lo - first : hi - first] = full[lo:hi]
    np.testing.assert_array_equal(got, expected)


def test_sequential_reads_never_seek(
    media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = AudioReader._reposition

    def spy(self: AudioReader, lo: int) -> None:
        calls.append(lo)
        original(self, lo)

    monkeypatch.setattr(AudioReader, "_reposition", spy)
    with AudioReader(media["wav44"], sample_rate=RATE) as reader:
        for first in range(0, 60_000, 1000):  # playback-sized blocks from the start
            reader.read(first, 1000)
        assert calls == []
        reader.read(59_500, 500)  # a short step back is served from the buffer
        reader.read(80_000, 1000)  # a short step forward decodes on
        assert calls == []
        reader.read(10_000, 1000)  # a jump back: one seek
        for first in range(11_000, 30_000, 512):
            reader.read(first, 512)
        assert calls == [10_000]
        reader.read(135_000, 1000)  # more than 2 s ahead: a seek
        assert calls == [10_000, 135_000]


def test_millisecond_timestamps_run_on_and_keep_real_gaps(tmp_path: Path) -> None:
    """Matroska stores milliseconds, too coarse to place 44.1 kHz frames: frames run on
    from the first one, and a real gap (half a second here) is re-anchored to its pts."""
    rate, size, gap = 44100, 1000, 22050
    index = np.arange(80 * size)
    signal = np.round(8000 * np.sin(2 * np.pi * 441 * index / rate) * (1 + index / index.size))
    path = tmp_path / "gap.mkv"
    with av.open(str(path), "w", format="matroska") as container:
        stream = container.add_stream("pcm_s16le", rate=rate)
        stream.layout = "mono"
        for k in range(80):
            samples = signal[None, k * size : (k + 1) * size].astype(np.int16)
            frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = k * size + (gap if k >= 40 else 0)
            frame.time_base = Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    expected = (signal / 32768).astype(np.float32)
    split = 40 * size
    with AudioReader(path, sample_rate=rate, channels=1) as reader:
        x = reader.read(0, reader.duration_samples)[:, 0]
    np.testing.assert_array_equal(x[:split], expected[:split])  # 22.676 ms frames, no jitter
    # After the gap: wherever the millisecond pts puts it (within half a millisecond).
    offset = min(
        range(-30, 30),
        key=lambda o: float(np.abs(x[split + gap + o :][:5000] - expected[split:][:5000]).sum()),
    )
    assert abs(offset) <= rate // 2000
    assert not np.any(x[split : split + gap + offset])
    np.testing.assert_array_equal(x[split + gap + offset :], expected[split:])
    with AudioReader(path, sample_rate=RATE, channels=1) as sequential:
        full = _full(sequential)
    with AudioReader(path, sample_rate=RATE, channels=1) as reader:
        for first in (70_000, 50_000, 62_000, 10_000):
            np.testing.assert_array_equal(reader.read(first, 3000)[:, 0], full[first:][:3000, 0])


# --------------------------------------------------------------------------------------
# Sync: PCM exact, AAC priming compensated


def test_pcm_mov_sync_clicks_at_the_exact_samples(media: dict[str, Path]) -> None:
    events = synth.sync_test_events(SECONDS, NTSC_FILM, RATE)
    with AudioReader(media["sync"], sample_rate=RATE) as reader:
        full = _full(reader)
        assert reader.duration_samples == math.floor(
            synth.frame_count(SECONDS, NTSC_FILM) * RATE / NTSC_FILM
        )
        assert [_peak_at(full, click) for _, click in events] == [c for _, c in events]
        # Backward random reads land on the same samples.
        for _, click in reversed(events):
            window = reader.read(click - 250, 500)
            assert int(np.argmax(np.abs(window[:, 0]))) == 250
            assert float(np.abs(window[:250]).max()) == 0.0  # silence before each click


def _pulse_offsets(x: np.ndarray, clicks: list[int]) -> list[int]:
    pulse = _pulse()
    offsets = []
    for click in clicks:
        lo = max(0, click - 400)
        corr = np.correlate(x[lo : click + len(pulse) + 400, 0], pulse, mode="valid")
        offsets.append(lo + int(np.argmax(corr)) - click)
    return offsets


def test_aac_priming_is_compensated(media: dict[str, Path]) -> None:
    """FFmpeg's AAC encoder primes 1024 samples; the MP4 edit list hides them, so pulses
    decode where they were written. Measured offset: 0 samples, sequential and seeking."""
    events = synth.sync_test_events(SECONDS, NTSC_FILM, RATE)
    clicks = [c for _, c in events]
    with AudioReader(media["aac"], sample_rate=RATE) as reader:
        full = _full(reader)
        offsets = _pulse_offsets(full, clicks)
        assert all(abs(o) <= 2 for o in offsets), f"AAC pulse offsets {offsets}"
        assert offsets == [0, 0, 0]
        for click in reversed(clicks[1:]):
            window = reader.read(click - 400, 1000)
            assert _pulse_offsets(window, [400]) == [0]
        # FFmpeg keeps the encoder's padding of the last frame: under one AAC frame more.
        total = math.floor(synth.frame_count(SECONDS, NTSC_FILM) * RATE / NTSC_FILM)
        assert total <= reader.duration_samples < total + 1024


def test_aac_tone_of_color_bars_is_in_phase(media: dict[str, Path]) -> None:
    """The bars carry a 1 kHz sine from sample 0; a 1024-sample priming error would show
    as a 16-sample lag (1024 mod 48). Measured lag: 0."""
    with AudioReader(media["bars"], sample_rate=RATE) as reader:
        exact = math.floor(synth.frame_count(2, NTSC_FILM) * RATE / NTSC_FILM)
        # The encoder pads its last frame: at most one AAC frame beyond the exact length.
        assert exact <= reader.duration_samples < exact + 1024
        amplitude = 10 ** (-18 / 20)
        for start in (4800, 50_000, 90_000):
            got = reader.read(start, 4800)[:, 0]
            index = np.arange(start, start + 4800)

            def error(lag: int, got: np.ndarray = got, index: np.ndarray = index) -> float:
                ideal = amplitude * np.sin(2 * np.pi * 1000 * ((index - lag) % RATE) / RATE)
                return float(np.sum((got - ideal) ** 2))

            assert min(range(-24, 24), key=error) == 0
            assert error(0) < 1e-3 * float(np.sum(got**2))


# --------------------------------------------------------------------------------------
# Every audio-bearing file of the shared test data


@needs_testdata
@pytest.mark.parametrize("facts", AUDIO_FACTS, ids=[f["path"] for f in AUDIO_FACTS])
def test_real_files_read_seek_and_end_cleanly(facts: dict[str, Any]) -> None:
    assert TESTDATA is not None
    path = TESTDATA / facts["path"]
    with AudioReader(path, sample_rate=RATE) as reader:
        n = reader.duration_samples
        assert reader.source_sample_rate == facts["audio_sample_rate"]
        if facts["duration_s"] is not None:
            assert abs(n / RATE - facts["duration_s"]) <= 0.050, f"{n / RATE} s"
        assert n > RATE // 4
        middle, count = n // 2, min(RATE // 2, n // 4)
        got = reader.read(middle, count)  # a seek from the start of the file
        past = reader.read(n, RATE // 10)
        far = reader.read(n + 5 * RATE, 100)
        across = reader.read(n - 100, 300)
    assert got.shape == (count, 2) and got.dtype == np.float32
    # Some of these files carry a track of digital silence; the reader must agree.
    assert bool(np.any(got)) == _has_sound(path)
    assert not np.any(past) and not np.any(far) and not np.any(across[100:])

    with AudioReader(path, sample_rate=RATE) as sequential:
        step = 8192
        chunks = [sequential.read(first, step) for first in range(0, middle + count, step)]
    expected = np.concatenate(chunks)[middle : middle + count]
    difference = np.abs(got - expected)
    if facts["audio_codec"] == "aac":
        # Perceptual noise substitution draws from the decoder's random generator, which a
        # seek does not rewind: noise bands differ (measured ~0.5 % RMS, 2e-4 peak on these
        # files), timing and everything else does not.
        rms = float(np.sqrt(np.mean(expected.astype(np.float64) ** 2)))
        assert float(np.sqrt(np.mean(difference.astype(np.float64) ** 2))) <= 0.02 * rms
        assert float(difference.max()) <= 0.01
    else:
        assert float(difference.max()) <= 1e-6


def _plain_decode(path: Path, contiguous: bool) -> np.ndarray:
    """A straightforward PyAV decode as (samples, channels) float32, each frame placed at
    its own pts (exact time bases) or the frames run on from the first one's rounded pts
    (Matroska's millisecond time base cannot place them more finely)."""
    placed: list[tuple[int, np.ndarray]] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            if not frame.format.is_planar:
                array = array.reshape(-1, frame.layout.nb_channels).T
            if array.dtype == np.int16:
                array = array / 32768.0
            if contiguous and placed:
                start = placed[-1][0] + placed[-1][1].shape[0]
            else:
                assert frame.pts is not None and stream.time_base is not None
                start = round(frame.pts * stream.time_base * frame.sample_rate)
            placed.append((start, array.T.astype(np.float32)))
    out = np.zeros((max(s + len(a) for s, a in placed), placed[0][1].shape[1]), np.float32)
    for start, array in placed:
        out[start : start + len(array)] = array
    return out


PLAIN_DECODES = [
    ("video/fire2.mp4", False),  # timestamp gaps (7447 samples after the first frame)
    ("video/sample_av1.mp4", False),  # audio starts 1896 samples after time 0
    ("video/sowt-with-video.mov", False),
    ("audio/bear.flac", False),
    ("video/sample_with_vorbis_audio.mkv", True),  # millisecond time base, starts at 62 ms
    ("video/bbb_960x540_60fps_vp8.webm", True),  # 5.1 Vorbis, read as 6 channels
]


@needs_testdata
@pytest.mark.parametrize(("name", "contiguous"), PLAIN_DECODES)
def test_native_rate_reads_match_a_plain_decode(name: str, contiguous: bool) -> None:
    assert TESTDATA is not None
    path = TESTDATA / name
    expected = _plain_decode(path, contiguous)
    channels = expected.shape[1]
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].rate
    with AudioReader(path, sample_rate=rate, channels=channels) as reader:
        assert reader.duration_samples == len(expected)
        np.testing.assert_array_equal(_full(reader), expected)
        middle = len(expected) // 2
        np.testing.assert_array_equal(reader.read(middle, 5000), expected[middle : middle + 5000])
    if name == "video/fire2.mp4":
        # 106 frames of 1024 samples, but the last one starts at 114967: gaps are kept as
        # silence so the audio stays in sync with the video timestamps.
        assert len(expected) == 114967 + 1024 > 106 * 1024


@needs_testdata
def test_mono_and_surround_files_mix_to_the_requested_channels() -> None:
    assert TESTDATA is not None
    mono = TESTDATA / "audio" / "198-209-0000.hq.ogg"
    surround = TESTDATA / "audio" / "bbb_6ch_8kHz_opus.ogg"
    for path in (mono, surround):
        with AudioReader(path, sample_rate=RATE) as stereo:
            block = stereo.read(RATE, RATE // 2)
        assert block.shape == (RATE // 2, 2) and np.abs(block).max() > 0
        with AudioReader(path, sample_rate=22050, channels=1) as single:
            assert single.read(22050, 1000).shape == (1000, 1)
    with AudioReader(mono, sample_rate=RATE) as stereo:
        block = stereo.read(2 * RATE, 4800)
    np.testing.assert_array_equal(block[:, 0], block[:, 1])  # mono goes to both sides


# --------------------------------------------------------------------------------------
# Errors


def test_missing_silent_and_broken_files_raise_a_named_error(
    media: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(NoAudioStreamError, match="'silent.mp4'.*no audio stream") as info:
        AudioReader(media["silent"], sample_rate=RATE)
    assert isinstance(info.value, MediaProbeError)
    assert info.value.path == str(media["silent"].resolve())

    with pytest.raises(AudioDecodeError, match="'nowhere.wav'.*not found"):
        AudioReader(tmp_path / "nowhere.wav", sample_rate=RATE)

    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"this is not audio at all " * 100)
    with pytest.raises(AudioDecodeError, match="'garbage.mp3'"):
        AudioReader(garbage, sample_rate=RATE)

    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(media["wav48"].read_bytes()[:44])  # the header and no samples
    with pytest.raises(AudioDecodeError, match="'truncated.wav'"):
        AudioReader(truncated, sample_rate=RATE)

    with pytest.raises(ValueError):
        AudioReader(media["wav48"], sample_rate=0)
    reader = AudioReader(media["wav48"], sample_rate=RATE)
    with pytest.raises(ValueError):
        reader.read(0, -1)
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read(0, 10)


# --------------------------------------------------------------------------------------
# Waveform peaks


def test_peaks_hold_min_and_max_per_bin(media: dict[str, Path], wav48_full: np.ndarray) -> None:
    per_bin = 1001  # 144000 samples: 143 whole bins and a partial one of 857
    peaks = compute_peaks(media["wav48"], sample_rate=RATE, samples_per_bin=per_bin)
    total = SECONDS * RATE
    assert peaks.shape == (math.ceil(total / per_bin), 2, 2) and peaks.dtype == np.float32
    assert np.all(peaks[..., 0] <= peaks[..., 1])
    loud = set(np.flatnonzero(peaks[:, 0, 1] > 0.5).tolist())
    assert loud == {p // per_bin for p in synth.click_positions(SECONDS, RATE)}
    quiet = 10 ** (-30 / 20)
    others = np.delete(peaks, sorted(loud), axis=0)
    assert np.all(np.abs(others) <= quiet + 1e-3)
    # Exactly the min/max of a full read, the partial last bin included.
    data = wav48_full[:total]
    for b in (0, 47, 100, len(peaks) - 1):
        block = data[b * per_bin : (b + 1) * per_bin]
        np.testing.assert_array_equal(peaks[b, :, 0], block.min(axis=0))
        np.testing.assert_array_equal(peaks[b, :, 1], block.max(axis=0))


def test_peaks_cache_round_trip_and_corruption(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    args: dict[str, Any] = {"sample_rate": RATE, "samples_per_bin": 480}
    first = load_or_compute_peaks(media["sync"], cache, **args)
    stored = peaks_cache_path(media["sync"], cache, **args)
    assert [p.name for p in cache.iterdir()] == [stored.name] and stored.suffix == ".npy"
    np.testing.assert_array_equal(np.load(stored), first)

    def refuse(*_: object, **__: object) -> np.ndarray:
        raise AssertionError("the cache should have been used")

    with monkeypatch.context() as patch:
        patch.setattr(audio, "compute_peaks", refuse)
        np.testing.assert_array_equal(load_or_compute_peaks(media["sync"], cache, **args), first)

    for corrupt in (b"\x93NUMPY garbage", b""):
        stored.write_bytes(corrupt)
        np.testing.assert_array_equal(load_or_compute_peaks(media["sync"], cache, **args), first)
        np.testing.assert_array_equal(np.load(stored), first)  # rewritten
    np.save(stored, np.zeros((3, 5), np.float32))  # a valid .npy of the wrong shape
    np.testing.assert_array_equal(load_or_compute_peaks(media["sync"], cache, **args), first)

    # Other parameters, another file or a caller's key: other cache entries.
    other = peaks_cache_path(media["sync"], cache, sample_rate=RATE, samples_per_bin=960)
    assert other != stored
    assert peaks_cache_path(media["wav48"], cache, **args) != stored
    keyed = load_or_compute_peaks(media["sync"], cache, key="asset-7", **args)
    np.testing.assert_array_equal(keyed, first)
    assert peaks_cache_path(media["sync"], cache, key="asset-7", **args).exists()
