"""Frame-accurate decoding: synthesised clips whose frames carry their own index, and every
real video in the shared test data checked against a full sequential decode."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import demo_media as synth
from timeline.media.decode import (
    DecodeError,
    FrameRangeError,
    VideoDecoder,
    frame_to_array,
)
from timeline.media.frame_cache import FrameCache, FrameKey, FrameRequest, ReadAhead
from timeline.media.probe import MediaProbeError, UnsupportedMediaError, probe

NTSC_FILM = Fraction(24000, 1001)
FULL = (640, 360)  # the frame-index strip needs 256+ pixels; at 640 it scales with the size
HALF = (320, 180)
BARS_FRAMES = 72  # 3 s at 24000/1001, rounded up
BARS_KEYFRAMES = [0, 24, 48]  # synth writes a GOP of ceil(fps) = 24 frames
DEFAULT_TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"


# ------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s of H.264 bars (x264 with B-frames) at 24000/1001, with AAC audio interleaved."""
    path = tmp_path_factory.mktemp("decode") / "bars.mp4"
    return synth.write_color_bars_video(path, seconds=3, fps=NTSC_FILM, size=FULL)


@pytest.fixture(scope="module")
def bars_decoder(bars: Path) -> Iterator[VideoDecoder]:
    with VideoDecoder(bars) as decoder:
        yield decoder


def _rotated_copy(src: Path, dst: Path, degrees: int) -> Path:
    """Remux ``src`` with a display matrix turning it by ``degrees`` (counter-clockwise)."""
    with av.open(str(src)) as source, av.open(str(dst), "w") as target:
        video = source.streams.video[0]
        out = target.add_stream_from_template(video)
        if not hasattr(out, "set_display_rotation"):  # the floor (make test-lowest) lacks it
            pytest.skip("writing a display matrix needs PyAV 17.1 (reading it does not)")
        out.set_display_rotation(degrees)
        for packet in source.demux(video):
            if packet.size:
                packet.stream = out
                target.mux(packet)
    return dst


def _testdata_root() -> Path | None:
    root = DEFAULT_TESTDATA
    return root if (root / "media.json").is_file() else None


def _video_facts() -> list[dict[str, Any]]:
    root = _testdata_root()
    if root is None:
        return []
    files = json.loads((root / "media.json").read_text(encoding="utf-8"))["files"]
    return [f for f in files if f["kind"] == "video"]


VIDEO_FACTS = _video_facts()
NEEDS_TESTDATA = pytest.mark.skipif(
    not VIDEO_FACTS,
    reason=f"real test media not found ({DEFAULT_TESTDATA / 'media.json'} is missing); "
    "the shared testdata folder is expected next to the repository",
)


def _media(facts: dict[str, Any]) -> Path:
    root = _testdata_root()
    assert root is not None
    return root / facts["path"]


def _full_decode(path: Path, keep: set[int], rotation: int) -> tuple[list[int], dict[int, Any]]:
    """Every frame's pts from a plain sequential decode, and the arrays of frames ``keep``."""
    pts: list[int] = []
    arrays: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = next(
            s
            for s in container.streams.video
            if not s.disposition & av.stream.Disposition.attached_pic
        )
        for n, frame in enumerate(container.decode(stream)):
            pts.append(_pts(frame))
            if n in keep:
                arrays[n] = frame_to_array(frame, rotation=rotation)
    return pts, arrays


def _pts(item: av.Packet | av.VideoFrame) -> int:
    assert item.pts is not None
    return item.pts


def _spread(count: int) -> list[int]:
    """About five indices over the whole stream, in an order with a backward jump."""
    picks = [count - 1, 0, count // 2, count // 4, (3 * count) // 4]
    return list(dict.fromkeys(picks))


# ------------------------------------------------------------------------------------------
# Synthesised clip: every frame says which frame it is


def test_index_has_exact_times_and_keyframes(bars: Path, bars_decoder: VideoDecoder) -> None:
    d = bars_decoder
    assert d.frame_count == len(d) == BARS_FRAMES
    assert [i for i in range(d.frame_count) if d.is_keyframe(i)] == BARS_KEYFRAMES
    for i in (0, 1, 23, 24, 71):
        assert d.time_of(i) == i / NTSC_FILM  # exact Fractions, no float
        assert d.offset_of(i) == i / NTSC_FILM
    assert d.duration == BARS_FRAMES / NTSC_FILM
    # The clip really has B-frames: decode order differs from presentation order.
    with av.open(str(bars)) as container:
        stream = container.streams.video[0]
        decode_order = [_pts(p) for p in container.demux(stream) if p.size]
    assert decode_order != sorted(decode_order)


@pytest.mark.parametrize(
    "order",
    [
        [0, 71, 23, 24, 25, 47, 48, 10, 5, 70, 0, 36, 35, 60, 1],
        [71, 70, 69, 48, 47, 24, 23, 0],
        [3, 4, 5, 30, 31, 29, 50, 72 - 1],
    ],
)
def test_random_access_reads_the_right_frame(bars: Path, order: list[int]) -> None:
    with VideoDecoder(bars) as d:
        for i in order:
            frame = d.frame(i)
            assert frame.shape == (360, 640, 3) and frame.dtype == np.uint8
            assert synth.read_frame_index(frame) == i


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, BARS_FRAMES - 1), min_size=1, max_size=6))
def test_any_access_sequence_reads_the_right_frames(
    bars_decoder: VideoDecoder, order: list[int]
) -> None:
    for i in order:  # one decoder across examples: its position carries over, as in use
        assert synth.read_frame_index(bars_decoder.frame(i)) == i


def test_sequential_access_decodes_forward_without_seeking(bars: Path) -> None:
    with VideoDecoder(bars) as sequential:
        frames = [sequential.frame(i) for i in range(BARS_FRAMES)]
        assert sequential.seek_count == 1  # the first frame only
        assert sequential.decoded_count == BARS_FRAMES  # nothing decoded twice
    assert [synth.read_frame_index(f) for f in frames] == list(range(BARS_FRAMES))
    order = list(range(BARS_FRAMES))
    random.Random(7).shuffle(order)
    with VideoDecoder(bars) as jumping:
        for i in order:
            assert np.array_equal(jumping.frame(i), frames[i]), i


def test_jumps_within_a_gop_continue_and_far_jumps_seek(bars: Path) -> None:
    with VideoDecoder(bars) as d:
        d.frame(2)
        assert d.seek_count == 1
        d.frame(22)  # same GOP: keep decoding
        d.frame(25)  # a few frames ahead: keep decoding, even past keyframe 24
        assert d.seek_count == 1
        d.frame(60)  # past keyframe 48: seek there instead of decoding 27..59
        assert d.seek_count == 2
        assert d.decoded_count <= 26 + (60 - 48 + 1) + 4  # a few frames of codec delay at most
        d.frame(59)  # backward: seek again
        assert d.seek_count == 3
        d.frame(59)  # the same frame again: no decoding at all
        assert d.seek_count == 3
        assert synth.read_frame_index(d.frame(59)) == 59


def test_recovers_when_a_seek_lands_after_the_frame(
    bars: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some demuxers seek by dts and land after the wanted frame; the decoder steps back."""
    with VideoDecoder(bars) as d:
        honest = d._seek_point
        later = int(d.index.pts[BARS_KEYFRAMES[2]])

        def overshooting(i: int, back: int) -> int | None:
            return later if back == 0 else honest(i, back - 1)

        monkeypatch.setattr(d, "_seek_point", overshooting)
        assert synth.read_frame_index(d.frame(30)) == 30
        assert d.seek_count == 2


def test_output_size_and_rgba(bars: Path) -> None:
    with VideoDecoder(bars, size=HALF) as half:
        frame = half.frame(40)
        assert frame.shape == half.shape == (180, 320, 3)
        assert synth.read_frame_index(frame) == 40
    with VideoDecoder(bars, fmt="rgba") as rgba:
        frame = rgba.frame(41)
        assert frame.shape == rgba.shape == (360, 640, 4)
        assert (frame[..., 3] == 255).all()
        assert synth.read_frame_index(frame) == 41
    with pytest.raises(ValueError):
        VideoDecoder(bars, fmt="yuv420p")  # type: ignore[arg-type]


def test_frame_at_time_shows_the_frame_on_screen(bars_decoder: VideoDecoder) -> None:
    d = bars_decoder
    tick = 1 / NTSC_FILM
    assert d.index_at_time(0) == 0
    assert d.index_at_time(10 * tick) == 10  # exactly at a frame start
    assert d.index_at_time(10 * tick - Fraction(1, 10**9)) == 9  # just before it
    assert d.index_at_time(Fraction(1)) == 23  # 1 s = frame 23.976
    assert d.index_at_time(d.duration - Fraction(1, 10**9)) == BARS_FRAMES - 1
    assert synth.read_frame_index(d.frame_at_time(Fraction(1))) == 23
    for bad in (Fraction(-1, 1000), d.duration, Fraction(10)):
        with pytest.raises(FrameRangeError, match="bars.mp4"):
            d.index_at_time(bad)
    with pytest.raises(TypeError):
        d.index_at_time(0.5)  # type: ignore[arg-type]


def test_out_of_range_index_is_a_clear_error(bars_decoder: VideoDecoder) -> None:
    for bad in (BARS_FRAMES, -1, 10**6):
        with pytest.raises(FrameRangeError) as caught:
            bars_decoder.frame(bad)
        message = str(caught.value)
        assert f"Frame {bad}" in message and "'bars.mp4'" in message
        assert f"{BARS_FRAMES} frames (0..{BARS_FRAMES - 1})" in message
        assert isinstance(caught.value, IndexError | MediaProbeError)
        assert caught.value.path == str(Path(bars_decoder.path))
    assert synth.read_frame_index(bars_decoder.frame(5)) == 5  # still usable afterwards


@pytest.mark.parametrize("degrees, turns_back", [(-90, 1), (90, -1), (180, 2)])
def test_display_rotation_is_applied_as_a_player_does(
    bars: Path, tmp_path: Path, degrees: int, turns_back: int
) -> None:
    """A -90 matrix (ffprobe convention) is shown turned 90 degrees clockwise."""
    rotated = _rotated_copy(bars, tmp_path / f"rot{degrees}.mp4", degrees)
    info = probe(rotated)
    assert info.rotation % 360 == degrees % 360
    with VideoDecoder(info, size=(90, 160) if degrees % 180 else (160, 90)) as small:
        assert small.frame(3).shape == small.shape
    with VideoDecoder(info) as d:
        frame = d.frame(12)
        assert frame.shape == d.shape == ((640, 360, 3) if degrees % 180 else (360, 640, 3))
        assert frame.flags.c_contiguous
        assert synth.read_frame_index(np.rot90(frame, turns_back)) == 12


def test_unreadable_and_audio_only_files_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x01 not a movie " * 500)
    with pytest.raises(MediaProbeError, match="garbage.mp4"):
        VideoDecoder(garbage)
    wav = synth.write_tone_and_clicks_wav(tmp_path / "tone.wav", seconds=1)
    with pytest.raises(UnsupportedMediaError, match="tone.wav.*no video stream"):
        VideoDecoder(wav)
    with pytest.raises(MediaProbeError, match="missing.mp4"):
        VideoDecoder(tmp_path / "missing.mp4")


def test_truncated_file_is_refused(bars: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(bars.read_bytes()[: bars.stat().st_size // 2])
    with pytest.raises(MediaProbeError, match="cut.mp4"):
        VideoDecoder(cut).frame(BARS_FRAMES - 1)


def test_listed_frame_that_never_decodes_is_a_decode_error(
    bars: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the decoder never presents a frame the packets list, say so (after trying
    every way there: seeks from earlier keyframes, then from the start of the file)."""
    with VideoDecoder(bars) as d:
        missing = int(d.index.pts[30])
        honest = d._match

        def dropping(frame: av.VideoFrame, pts: np.ndarray) -> int | None:
            return None if frame.pts == missing else honest(frame, pts)

        monkeypatch.setattr(d, "_match", dropping)
        with pytest.raises(DecodeError, match=r"'bars.mp4': frame 30 .* does not decode"):
            d.frame(30)
        assert synth.read_frame_index(d.frame(31)) == 31
        assert synth.read_frame_index(d.frame(29)) == 29


def test_concurrent_use_of_one_decoder_is_refused(bars_decoder: VideoDecoder) -> None:
    """One decoder, one thread at a time: a second caller gets an error, not a bad frame."""
    busy = bars_decoder._in_use  # held by whichever thread is decoding
    with busy, pytest.raises(RuntimeError, match="two threads"):
        bars_decoder.frame(0)
    assert synth.read_frame_index(bars_decoder.frame(0)) == 0


def test_closed_decoder_refuses_work(bars: Path) -> None:
    d = VideoDecoder(bars)
    with d:
        d.frame(0)
    d.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        d.frame(1)


def test_decode_error_is_a_media_probe_error() -> None:
    assert issubclass(DecodeError, MediaProbeError)
    assert issubclass(FrameRangeError, DecodeError) and issubclass(FrameRangeError, IndexError)


# ------------------------------------------------------------------------------------------
# Real files


@NEEDS_TESTDATA
@pytest.mark.parametrize("facts", VIDEO_FACTS, ids=[f["path"] for f in VIDEO_FACTS])
def test_real_file_matches_a_full_sequential_decode(facts: dict[str, Any]) -> None:
    path = _media(facts)
    with VideoDecoder(path) as d:
        picks = _spread(d.frame_count)
        reference_pts, reference = _full_decode(path, set(picks), d.rotation)
        # Same frames, same order, same timestamps as a plain decode of the whole file.
        assert d.frame_count == len(reference_pts)
        assert d.index.pts.tolist() == reference_pts
        expected_shape = (
            (facts["width"], facts["height"])
            if facts["video_streams"][0]["display_rotation_cw"] % 180
            else (facts["height"], facts["width"])
        )
        for i in picks:
            frame = d.frame(i)
            assert frame.shape[:2] == expected_shape == d.shape[:2]
            assert np.array_equal(frame, reference[i]), f"frame {i} differs"


@NEEDS_TESTDATA
@pytest.mark.parametrize(
    "facts",
    [f for f in VIDEO_FACTS if f["video_streams"][0]["display_rotation_cw"]],
    ids=[f["path"] for f in VIDEO_FACTS if f["video_streams"][0]["display_rotation_cw"]],
)
def test_real_rotated_file_is_turned_clockwise_by_display_rotation_cw(
    facts: dict[str, Any],
) -> None:
    path = _media(facts)
    clockwise = facts["video_streams"][0]["display_rotation_cw"]
    with VideoDecoder(path) as d:
        assert (-d.rotation) % 360 == clockwise
        shown = d.frame(0)
        with av.open(str(path)) as container:
            coded = frame_to_array(next(container.decode(video=0)))
    assert coded.shape[:2] == (facts["height"], facts["width"])
    assert np.array_equal(shown, np.rot90(coded, -clockwise // 90))  # negative k: clockwise


@NEEDS_TESTDATA
@pytest.mark.parametrize(
    "facts",
    [f for f in VIDEO_FACTS if f["vfr"]],
    ids=[f["path"] for f in VIDEO_FACTS if f["vfr"]],
)
def test_real_vfr_file_frame_at_time(facts: dict[str, Any]) -> None:
    path = _media(facts)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        decoded_pts = [_pts(f) for f in container.decode(stream)]
    first = decoded_pts[0]
    with VideoDecoder(path, size=(64, 64)) as d:
        assert d.time_base == time_base
        deltas = {b - a for a, b in zip(decoded_pts, decoded_pts[1:], strict=False)}
        assert len(deltas) > 1  # really variable
        for i, pts in enumerate(decoded_pts):
            at = (pts - first) * time_base
            assert d.offset_of(i) == at
            assert d.index_at_time(at) == i
            if i:
                assert d.index_at_time(at - Fraction(1, 10**9)) == i - 1
        assert d.index_at_time(d.duration - Fraction(1, 10**9)) == d.frame_count - 1
        # The picture at a time between two frames is the earlier frame's.
        i = d.frame_count // 2
        between = (d.offset_of(i) + d.offset_of(i + 1)) / 2
        assert np.array_equal(d.frame_at_time(between), d.frame(i))


@NEEDS_TESTDATA
def test_real_edit_list_frames_are_those_the_decoder_presents() -> None:
    facts = next(f for f in VIDEO_FACTS if f["path"].endswith("sample_edit_list.mp4"))
    with VideoDecoder(_media(facts)) as d:
        packets = facts["video_streams"][0]["packets"]
        # Packets outside the edit list are decoded as references but never shown.
        assert d.frame_count < packets
        assert d.index.pts[0] == 0 and d.index.seek_points[0] < 0
        assert d.duration == Fraction(1529, 600)  # the edit list ends mid-frame


@NEEDS_TESTDATA
def test_real_file_without_container_duration() -> None:
    facts = next(f for f in VIDEO_FACTS if f["path"].endswith("no_duration.webm"))
    assert facts["duration_s"] is None
    with VideoDecoder(_media(facts), size=(128, 72)) as d:
        assert d.probe.duration is None
        assert Fraction(4) < d.duration < Fraction(5)
        last = d.frame_count - 1
        assert d.frame(last).shape == (72, 128, 3)
        assert d.index_at_time(d.duration - Fraction(1, 1000)) == last


# ------------------------------------------------------------------------------------------
# Cache and read-ahead


def test_cache_evicts_least_recently_used_by_bytes() -> None:
    cache = FrameCache(max_bytes=3500)
    keys = [FrameKey("a.mp4", i) for i in range(5)]
    for key in keys[:3]:
        assert cache.put(key, np.zeros(1000, dtype=np.uint8))
    assert cache.bytes_used() == 3000 and len(cache) == 3
    assert cache.get(keys[0]) is not None  # now most recently used
    cache.put(keys[3], np.zeros(1000, dtype=np.uint8))
    assert keys[1] not in cache and keys[0] in cache and cache.bytes_used() == 3000
    assert cache.get(keys[1]) is None
    assert (cache.hits, cache.misses) == (1, 1)
    cache.put(keys[4], np.zeros(2000, dtype=np.uint8))  # evicts 2 and 0 (then 3 fits)
    assert [k in cache for k in keys] == [False, False, False, True, True]
    assert cache.bytes_used() == 3000
    assert not cache.put(FrameKey("a.mp4", 9), np.zeros(4000, dtype=np.uint8))  # too big
    stored = cache.get(keys[4])
    assert stored is not None and not stored.flags.writeable
    cache.put(keys[4], np.zeros(10, dtype=np.uint8))  # replacing updates the byte count
    assert cache.bytes_used() == 1010
    cache.clear()
    assert cache.bytes_used() == 0 and len(cache) == 0
    assert cache.stats().max_bytes == 3500
    with pytest.raises(ValueError):
        FrameCache(0)


def test_read_ahead_fills_the_cache(bars: Path) -> None:
    size = HALF
    cache = FrameCache(64 * 2**20)
    with ReadAhead(cache) as reader:
        reader.request(bars, 10, 20, size)
        assert reader.wait_idle(timeout=30)
        for i in range(10, 30):
            frame = cache.peek(reader.key(bars, i, size))
            assert frame is not None and frame.shape == (180, 320, 3)
            assert synth.read_frame_index(frame) == i
        assert reader.key(bars, 30, size) not in cache
        hits = cache.hits
        got = reader.get_frame(bars, 15, size)
        assert got is cache.peek(reader.key(bars, 15, size)) and cache.hits == hits + 1
        # Not requested: decoded on the caller's thread.
        assert synth.read_frame_index(reader.get_frame(bars, 65, size)) == 65
        assert reader.key(bars, 65, size) in cache
        # A request past the end stops at the last frame.
        reader.request(bars, 68, 100, size)
        assert reader.wait_idle(timeout=30)
        assert [reader.key(bars, i, size) in cache for i in (68, 71)] == [True, True]
        assert reader.last_error is None
        with pytest.raises(FrameRangeError):
            reader.get_frame(bars, BARS_FRAMES, size)


def test_read_ahead_retargets_and_serves_frames_while_working(bars: Path) -> None:
    cache = FrameCache(64 * 2**20)
    with ReadAhead(cache) as reader:
        reader.request(bars, 0, BARS_FRAMES)  # full size
        reader.request(bars, 40, 5)  # the playhead jumped: replaces the first request
        assert reader.wait_idle(timeout=30)
        assert all(reader.key(bars, i) in cache for i in range(40, 45))
        assert reader.key(bars, 60) not in cache
        # Playback: ask for each frame as the worker decodes ahead of it.
        reader.request(bars, 0, 24)
        for i in range(24):
            assert synth.read_frame_index(reader.get_frame(bars, i, timeout=5)) == i
        reader.cancel()
        assert reader.wait_idle(timeout=30)
        # Two files (here: two sizes of one) advance together.
        reader.request_many([FrameRequest(bars, 50, 4, HALF), FrameRequest(bars, 50, 4, None)])
        assert reader.wait_idle(timeout=30)
        for size in (HALF, None):
            assert all(reader.key(bars, i, size) in cache for i in range(50, 54))
    with pytest.raises(ValueError, match="closed"):
        reader.request(bars, 0, 1)
