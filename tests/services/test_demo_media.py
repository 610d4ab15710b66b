"""Synthesised media read back with PyAV: exact rates, frame counts, indices and click samples."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from services import demo_media as synth

NTSC_FILM = Fraction(24000, 1001)
SMALL = (320, 180)


def _click_onsets(samples: np.ndarray, threshold: int = 16000) -> list[int]:
    """First sample of each run of loud samples in a (channels, n) int16 array."""
    loud = (np.abs(samples.astype(np.int32)) > threshold).any(axis=0)
    edges = np.flatnonzero(np.diff(loud.astype(np.int8), prepend=0) == 1)
    return edges.tolist()


def _decode_pcm_s16(path: Path) -> tuple[np.ndarray, int]:
    """All samples of the first audio stream as (channels, n) int16, checking pts continuity."""
    chunks = []
    expected_pts = 0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "pcm_s16le"
        for frame in container.decode(stream):
            assert frame.pts == expected_pts  # contiguous, starting at sample 0
            expected_pts += frame.samples
            packed = frame.to_ndarray()  # packed s16: shape (1, n * channels)
            chunks.append(packed.reshape(-1, stream.channels).T)
        return np.concatenate(chunks, axis=1), stream.rate


@pytest.fixture(scope="module")
def bars_2s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bars") / "nested" / "bars.mp4"
    return synth.write_color_bars_video(path, seconds=2, size=SMALL, label="bars")


def test_frame_count_covers_every_frame_starting_before_the_end() -> None:
    assert synth.frame_count(2, NTSC_FILM) == 48  # 47.95 -> 48
    assert synth.frame_count(1, Fraction(24)) == 24
    assert synth.frame_count(Fraction(1001, 1000), NTSC_FILM) == 24


def test_color_bars_stream_has_exact_rate_size_and_count(bars_2s: Path) -> None:
    assert bars_2s.exists() and bars_2s.name == "bars.mp4"
    assert [p.name for p in bars_2s.parent.iterdir()] == ["bars.mp4"]  # no temp files left
    with av.open(str(bars_2s)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert video.average_rate == NTSC_FILM
        # One frame lasts a whole number of time-base ticks, so pts stay exact integers.
        assert (1 / NTSC_FILM / video.time_base).denominator == 1
        assert (video.width, video.height) == SMALL
        assert video.frames == synth.frame_count(2, NTSC_FILM) == 48
        assert container.metadata.get("title") == "bars"

        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert audio.rate == 48000
        assert audio.channels == 2
        # The stream lasts exactly as long as the video: the first sample of frame 48.
        assert audio.duration * audio.time_base * 48000 == math.floor(48 * 48000 / NTSC_FILM)


def test_color_bars_every_frame_reads_back_its_index(bars_2s: Path) -> None:
    indices = []
    with av.open(str(bars_2s)) as container:
        video = container.streams.video[0]
        for frame in container.decode(video):
            index = synth.read_frame_index(frame.to_ndarray(format="rgb24"))
            # The pts agrees with the picture: frame n starts at n / fps.
            assert frame.pts * video.time_base == Fraction(index) / NTSC_FILM
            indices.append(index)
    assert indices == list(range(48))


def test_color_bars_tone_is_1khz_at_minus_18_dbfs(bars_2s: Path) -> None:
    with av.open(str(bars_2s)) as container:
        samples = np.concatenate(
            [f.to_ndarray() for f in container.decode(audio=0)], axis=1
        )  # fltp: (2, n)
    middle = samples[:, 24000:72000]  # away from the codec's start-up and padding
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(middle**2)) * math.sqrt(2))
    assert rms_dbfs == pytest.approx(-18, abs=0.3)
    spectrum = np.abs(np.fft.rfft(middle[0]))
    assert np.fft.rfftfreq(middle.shape[1], 1 / 48000)[spectrum.argmax()] == pytest.approx(1000)


def test_color_bars_without_audio_and_at_integer_rate(tmp_path: Path) -> None:
    path = synth.write_color_bars_video(
        tmp_path / "bars25.mov",
        seconds=Fraction(1, 2),
        fps=Fraction(25),
        size=SMALL,
        with_audio=False,
    )
    with av.open(str(path)) as container:
        assert not container.streams.audio
        video = container.streams.video[0]
        assert video.average_rate == 25
        indices = [
            synth.read_frame_index(f.to_ndarray(format="rgb24")) for f in container.decode(video)
        ]
    assert indices == list(range(13))  # ceil(12.5)


def test_read_frame_index_round_trips_exactly_and_scales() -> None:
    for width, height in [(320, 180), (1280, 720)]:
        for index in [0, 1, 2, 255, 1000, 2**16 - 1]:
            rgb = np.full((height, width, 3), 90, dtype=np.uint8)
            synth._draw_frame_index(rgb, index)
            assert synth.read_frame_index(rgb) == index
    rgb = np.zeros((720, 1280, 3), dtype=np.uint8)
    synth._draw_frame_index(rgb, 12345)
    half = rgb[::2, ::2]  # a proportional 640x360 downscale keeps the strip geometry
    assert synth.read_frame_index(half) == 12345
    with pytest.raises(ValueError, match="too small"):
        synth.read_frame_index(np.zeros((100, 200, 3), dtype=np.uint8))


def test_color_bars_rejects_inexact_or_odd_input(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        synth.write_color_bars_video(tmp_path / "a.mp4", seconds=1, fps=23.976)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="even"):
        synth.write_color_bars_video(tmp_path / "a.mp4", seconds=1, size=(321, 180))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("click_every", "fps"),
    [(Fraction(1), None), (Fraction(1, 3), None), (Fraction(1, 2), NTSC_FILM)],
)
def test_wav_has_exact_length_and_clicks(
    tmp_path: Path, click_every: Fraction, fps: Fraction | None
) -> None:
    seconds = Fraction(5, 2)
    path = synth.write_tone_and_clicks_wav(
        tmp_path / "deep" / "clicks.wav", seconds=seconds, click_every=click_every, fps=fps
    )
    with av.open(str(path)) as container:
        assert container.format.name == "wav"
        stream = container.streams.audio[0]
        assert stream.channels == 2
    samples, rate = _decode_pcm_s16(path)
    assert rate == 48000
    assert samples.shape == (2, 120000)

    expected = synth.click_positions(seconds, 48000, click_every, fps)
    if fps is None:
        assert expected == [math.floor(k * click_every * 48000) for k in range(len(expected))]
    else:
        frames = [math.ceil(k * click_every * fps) for k in range(len(expected))]
        assert expected == [math.floor(n * 48000 / fps) for n in frames]
    assert len(expected) == math.ceil(seconds / click_every)
    assert _click_onsets(samples) == expected
    # Each click is 1 ms of full scale; the tone between clicks is quiet but present.
    assert np.abs(samples[:, expected[1] : expected[1] + 48]).min() == 32767
    gap = samples[:, expected[0] + 100 : expected[1] - 100]
    assert 500 < np.abs(gap).max() < 2000


def test_wav_mono_and_click_positions_of_1_3_second() -> None:
    assert synth.click_positions(1, 44100, Fraction(1, 3)) == [0, 14700, 29400]
    assert synth.click_positions(1, 48000, Fraction(1, 3)) == [0, 16000, 32000]


def test_wav_mono(tmp_path: Path) -> None:
    path = synth.write_tone_and_clicks_wav(
        tmp_path / "mono.wav", seconds=1, sample_rate=44100, channels=1
    )
    samples, rate = _decode_pcm_s16(path)
    assert (rate, samples.shape) == (44100, (1, 44100))
    assert _click_onsets(samples) == [0]


def test_sync_test_events_are_first_frame_of_each_second() -> None:
    events = synth.sync_test_events(4, NTSC_FILM, 48000)
    assert events == [(0, 0), (24, 48048), (48, 96096), (72, 144144)]
    assert synth.sync_test_events(2, Fraction(25), 48000) == [(0, 0), (25, 48000)]
    for k, (flash, click) in enumerate(synth.sync_test_events(10, NTSC_FILM, 44100)):
        # The first frame starting at or after second k.
        assert (flash - 1) / NTSC_FILM < k <= flash / NTSC_FILM
        assert click == math.floor(flash * 44100 / NTSC_FILM)


def test_sync_test_video_flashes_and_clicks_line_up(tmp_path: Path) -> None:
    seconds = 3
    path = synth.write_sync_test_video(tmp_path / "sync.mov", seconds=seconds, size=SMALL)
    events = synth.sync_test_events(seconds, NTSC_FILM, 48000)
    frames = synth.frame_count(seconds, NTSC_FILM)

    flashes = []
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.average_rate == NTSC_FILM
        assert (video.width, video.height) == SMALL
        count = 0
        for frame in container.decode(video):
            index = round(frame.pts * video.time_base * NTSC_FILM)
            assert index == count
            if frame.to_ndarray(format="rgb24").mean() > 128:
                flashes.append(index)
            count += 1
    assert count == frames == 72

    samples, rate = _decode_pcm_s16(path)
    assert rate == 48000
    assert samples.shape[1] == math.floor(frames * 48000 / NTSC_FILM)
    assert flashes == [flash for flash, _ in events]
    assert _click_onsets(samples) == [click for _, click in events]
    # Silence everywhere else.
    quiet = samples.copy()
    for _, click in events:
        quiet[:, click : click + 48] = 0
    assert not quiet.any()


def test_reference_still_is_deterministic_png(tmp_path: Path) -> None:
    a = synth.write_reference_still(tmp_path / "a.png", size=(320, 180), seed=3)
    b = synth.write_reference_still(tmp_path / "b.png", size=(320, 180), seed=3)
    c = synth.write_reference_still(tmp_path / "c.png", size=(320, 180), seed=4)
    assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    with av.open(str(a)) as container:
        frame = next(container.decode(video=0))
        rgb = frame.to_ndarray(format="rgb24")
    assert rgb.shape == (180, 320, 3)
    assert rgb[0].mean(axis=0)[2] > rgb[0].mean(axis=0)[0]  # blue sky at the top
    assert rgb[-1].mean(axis=0)[1] > rgb[-1].mean(axis=0)[2]  # green ground at the bottom
