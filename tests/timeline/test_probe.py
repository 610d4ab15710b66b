"""timeline.media.probe against ffprobe's facts on real files, our own synthesised media,
and broken input.

Ground truth is ``../shared/testdata/media.json`` (ffprobe 5.1). Our probe runs on the
FFmpeg that PyAV bundles, which is newer; where the two legitimately disagree the test
says so, with the exact figures on both sides, instead of widening a tolerance for all.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import re
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from services import demo_media as synth
from tests.conftest import locate_testdata, media_facts, missing_testdata_reason
from timeline.media.probe import (
    MediaProbe,
    MediaProbeError,
    UnreadableMediaError,
    UnsupportedMediaError,
    probe,
)

NTSC_FILM = Fraction(24000, 1001)
SMALL = (320, 180)  # the smallest size synth's frame-index strip fits comfortably

# The brief's agreement with ffprobe's container duration: 50 ms or one frame.
DURATION_TOLERANCE_S = Fraction(1, 20)

# Files whose container duration our FFmpeg computes differently from ffprobe 5.1, for a
# reason we accept. Each entry: (our exact duration, ffprobe's figure in media.json, why).
KNOWN_DURATION_DIFFERENCES: dict[str, tuple[Fraction, float, str]] = {
    "audio/music.mp3": (
        Fraction(30),
        30.040816,
        "PyAV's FFmpeg trims the encoder delay and padding that the LAME/Xing header "
        "declares (1105 + 695 samples at 44.1 kHz), giving the gapless 1323000 samples = "
        "exactly 30 s (the file is 'the first 30 s' of the song); ffprobe 5.1 counted every "
        "MP3 frame: 1150 x 1152 samples = 30.0408 s. Ours is the length a player plays.",
    ),
    "video/sample_av1.mp4": (
        Fraction(1087891, 1_000_000),
        1.089,
        "PyAV's FFmpeg takes the end of the longest stream: the AAC track's edit list "
        "starts it at 1896/44100 s and it lasts 46080/44100 s, so it ends at 47976/44100 = "
        "1.087891 s (in the microsecond AV_TIME_BASE); ffprobe 5.1 printed the movie "
        "header (mvhd) duration, 1089 ms at timescale 1000. 1.1 ms apart.",
    ),
}

FACTS = media_facts()


def _media_params() -> list[Any]:
    if not FACTS:
        return [pytest.param(None, marks=pytest.mark.skip(reason=missing_testdata_reason()))]
    return [pytest.param(record, id=record["path"]) for record in FACTS]


def _first_video_stream(record: dict[str, Any]) -> dict[str, Any] | None:
    streams = record["video_streams"]
    return streams[0] if streams else None


@functools.cache
def _probe_real(relative: str) -> MediaProbe:
    """Each real file is probed once per session, however many tests look at it."""
    folder = locate_testdata()
    assert folder is not None
    return probe(folder / relative)


def _expected_fps(record: dict[str, Any]) -> Fraction | None:
    return None if record["fps"] is None else Fraction(record["fps"])


def _assert_clear_error(exc: MediaProbeError, file: Path, *reasons: str) -> None:
    """The message names the file and gives one of ``reasons``; no foreign chained error."""
    message = str(exc)
    assert f"'{file.name}'" in message, message
    assert message.startswith(f"Cannot import '{file.name}': "), message
    assert any(reason in message for reason in reasons), (message, reasons)
    assert exc.path == str(file.resolve())
    # Raised "from None": the user sees our sentence, not a PyAV/OS traceback under it.
    assert exc.__cause__ is None


# --------------------------------------------------------------------------------------
# Real files against ffprobe


@pytest.mark.parametrize("record", _media_params())
def test_kind_and_container(record: dict[str, Any]) -> None:
    result = _probe_real(record["path"])
    assert result.kind == record["kind"]
    assert result.container == record["container"]
    folder = locate_testdata()
    assert folder is not None
    assert result.path == str((folder / record["path"]).resolve())


@pytest.mark.parametrize("record", _media_params())
def test_fps_is_exactly_ffprobes(record: dict[str, Any]) -> None:
    """Exact Fraction equality, VFR mean rates (e.g. 750000/71393) included."""
    result = _probe_real(record["path"])
    assert result.fps == _expected_fps(record)
    if result.fps is not None:
        assert isinstance(result.fps, Fraction)


@pytest.mark.parametrize("record", _media_params())
def test_vfr_flag(record: dict[str, Any]) -> None:
    # media.json has null where the question does not apply (audio, stills); ours is False.
    assert _probe_real(record["path"]).vfr is bool(record["vfr"])


@pytest.mark.parametrize("record", _media_params())
def test_rotation(record: dict[str, Any]) -> None:
    # ffprobe's sign convention (counter-clockwise positive); null (no picture) is 0 here.
    expected = record["rotation"] or 0
    assert _probe_real(record["path"]).rotation == expected


@pytest.mark.parametrize("record", _media_params())
def test_picture_size(record: dict[str, Any]) -> None:
    # Cover art of audio files (attached pictures) is not a picture of the clip: None.
    result = _probe_real(record["path"])
    assert (result.width, result.height) == (record["width"], record["height"])


@pytest.mark.parametrize("record", _media_params())
def test_audio_format(record: dict[str, Any]) -> None:
    result = _probe_real(record["path"])
    assert result.sample_rate == record["audio_sample_rate"]
    assert result.channels == record["audio_channels"]
    if record["audio_sample_rate"] is None:
        assert result.audio_time_base is None
    else:
        assert isinstance(result.audio_time_base, Fraction)


@pytest.mark.parametrize("record", _media_params())
def test_codec_names(record: dict[str, Any]) -> None:
    result = _probe_real(record["path"])
    assert result.video_codec == record["video_codec"]
    assert result.audio_codec == record["audio_codec"]


@pytest.mark.parametrize("record", _media_params())
def test_video_stream_details(record: dict[str, Any]) -> None:
    """Time base, pixel format and frame count of the stream the probe picked."""
    result = _probe_real(record["path"])
    stream = _first_video_stream(record)
    if stream is None:
        assert result.video_time_base is None
        assert result.frame_count is None
        assert result.pix_fmt is None
        return
    assert result.video_time_base == Fraction(stream["time_base"])
    assert result.pix_fmt == stream["pix_fmt"]
    if record["kind"] == "image":
        assert result.frame_count == 1
    else:
        # Every file here is far below the probe's scan cap, so the count is the packets.
        assert result.frame_count == stream["packets"]


@pytest.mark.parametrize("record", _media_params())
def test_duration_agrees_with_ffprobe(record: dict[str, Any]) -> None:
    result = _probe_real(record["path"])
    if record["duration_s"] is None:
        assert result.duration is None  # e.g. MediaRecorder WebM, PNG: the file states none
        return
    assert isinstance(result.duration, Fraction)
    fps = _expected_fps(record)
    tolerance = max(DURATION_TOLERANCE_S, 1 / fps) if fps else DURATION_TOLERANCE_S
    assert abs(result.duration - Fraction(record["duration_s"])) <= tolerance

    known = KNOWN_DURATION_DIFFERENCES.get(record["path"])
    if known is not None:
        ours, theirs, _why = known
        # Pin both sides, so a change in either (new FFmpeg, new data) is looked at again.
        assert result.duration == ours
        assert record["duration_s"] == theirs
    else:
        # Everything else agrees within a millisecond. Not to the microsecond: for MP4/MOV
        # ffprobe 5.1 printed the movie header's duration, whole milliseconds in most of
        # these files (9.917), where PyAV's FFmpeg gives the end of the longest stream in
        # microseconds (9.916667 = 238 frames at 24 fps).
        assert abs(result.duration - Fraction(record["duration_s"])) < Fraction(1, 1000)


def test_known_duration_differences_name_real_files() -> None:
    if not FACTS:
        pytest.skip(missing_testdata_reason())
    paths = {record["path"] for record in FACTS}
    assert set(KNOWN_DURATION_DIFFERENCES) <= paths


@pytest.mark.parametrize("record", _media_params())
def test_json_round_trip(record: dict[str, Any]) -> None:
    result = _probe_real(record["path"])
    encoded = result.to_json()
    text = json.dumps(encoded)  # JSON-safe: no Fraction or numpy value left
    assert MediaProbe.from_json(json.loads(text)) == result
    assert MediaProbe.from_json(encoded) == result
    if result.fps is not None:
        assert encoded["fps"] == f"{result.fps.numerator}/{result.fps.denominator}"
    if result.duration is None:
        assert encoded["duration"] is None and encoded["duration_exact"] is None
    else:
        assert encoded["duration"] == float(result.duration)


# --------------------------------------------------------------------------------------
# Our own synthesised media


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synth_probe")


@pytest.mark.parametrize("seconds", [Fraction(2), Fraction(7, 3)], ids=["2s", "7_3s"])
@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_color_bars_ntsc_film_rate_and_frame_count(
    synth_dir: Path, suffix: str, seconds: Fraction
) -> None:
    path = synth.write_color_bars_video(
        synth_dir / f"bars_{seconds.numerator}_{seconds.denominator}{suffix}",
        seconds=seconds,
        fps=NTSC_FILM,
        size=SMALL,
    )
    frames = synth.frame_count(seconds, NTSC_FILM)
    result = probe(path)
    assert result.kind == "video"
    assert result.fps == NTSC_FILM  # exact, even from Matroska's millisecond timestamps
    assert result.frame_count == frames
    assert result.vfr is False
    assert (result.width, result.height) == SMALL
    assert result.video_codec == "h264"
    assert result.rotation == 0
    assert result.video_start_pts == 0
    assert (result.audio_codec, result.sample_rate, result.channels) == ("aac", 48000, 2)
    assert result.duration is not None
    video_length = frames / NTSC_FILM
    if suffix == ".mkv":
        # Matroska's duration is whole milliseconds and covers the AAC tail as well.
        assert abs(result.duration - video_length) <= 1 / NTSC_FILM
    else:
        # MP4/MOV: the video track's exact length, in the microseconds of AV_TIME_BASE.
        assert abs(result.duration - video_length) <= Fraction(1, 1_000_000)
    assert MediaProbe.from_json(json.loads(json.dumps(result.to_json()))) == result


@pytest.mark.parametrize("fps", [Fraction(30000, 1001), Fraction(25), Fraction(60000, 1001)])
def test_color_bars_other_rates_without_audio(synth_dir: Path, fps: Fraction) -> None:
    path = synth.write_color_bars_video(
        synth_dir / f"bars_{fps.numerator}_{fps.denominator}.mp4",
        seconds=1,
        fps=fps,
        size=SMALL,
        with_audio=False,
    )
    result = probe(path)
    assert result.fps == fps
    assert result.frame_count == synth.frame_count(1, fps)
    assert result.audio_codec is None and result.sample_rate is None and result.channels is None


def test_tone_wav_is_audio_of_exact_length(synth_dir: Path) -> None:
    path = synth.write_tone_and_clicks_wav(
        synth_dir / "tone.wav", seconds=Fraction(3, 2), sample_rate=48000
    )
    result = probe(path)
    assert result.kind == "audio"
    assert result.container == "wav"
    assert result.duration == Fraction(3, 2)
    assert (result.audio_codec, result.sample_rate, result.channels) == ("pcm_s16le", 48000, 2)
    assert result.audio_time_base == Fraction(1, 48000)
    assert result.fps is None and result.frame_count is None and result.width is None
    assert MediaProbe.from_json(json.loads(json.dumps(result.to_json()))) == result


def test_reference_still_is_an_image(synth_dir: Path) -> None:
    path = synth.write_reference_still(synth_dir / "still.png", size=SMALL)
    result = probe(path)
    assert result.kind == "image"
    assert result.video_codec == "png"
    assert (result.width, result.height) == SMALL
    assert result.fps is None and result.vfr is False
    assert result.frame_count == 1
    assert result.duration is None
    assert MediaProbe.from_json(json.loads(json.dumps(result.to_json()))) == result


def test_path_is_resolved_for_str_pathlike_and_relative(
    synth_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = synth.write_reference_still(synth_dir / "relative.png", size=SMALL)
    monkeypatch.chdir(synth_dir)
    expected = str(path.resolve())
    assert probe(str(path)).path == expected
    assert probe(path).path == expected
    assert probe("relative.png").path == expected
    assert probe(Path(".") / "relative.png").path == expected


# --------------------------------------------------------------------------------------
# Broken input: clear errors that name the file


@pytest.fixture(scope="module")
def small_mp4(synth_dir: Path) -> Path:
    """A real, complete H.264/AAC MP4 made here, so these tests need no shared data."""
    return synth.write_color_bars_video(
        synth_dir / "small.mp4", seconds=1, fps=Fraction(24), size=SMALL
    )


def test_missing_file(tmp_path: Path) -> None:
    target = tmp_path / "gone.mp4"
    with pytest.raises(UnreadableMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "file not found")


def test_directory(tmp_path: Path) -> None:
    target = tmp_path / "footage.mp4"
    target.mkdir()
    with pytest.raises(UnreadableMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "it is a folder, not a file")


def test_zero_byte_file(tmp_path: Path) -> None:
    target = tmp_path / "empty.mov"
    target.touch()
    with pytest.raises(UnreadableMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "the file is empty")


def test_text_renamed_mp4(tmp_path: Path) -> None:
    target = tmp_path / "notes.mp4"
    target.write_text("Shot list\n1. wide\n2. close-up\n" * 20, encoding="utf-8")
    with pytest.raises(UnreadableMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "not a readable media file")


def test_random_bytes_mp4(tmp_path: Path) -> None:
    target = tmp_path / "noise.mp4"
    target.write_bytes(random.Random(7).randbytes(8192))
    with pytest.raises(UnreadableMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "not a readable media file")


def test_truncated_synthesised_mp4(small_mp4: Path, tmp_path: Path) -> None:
    target = tmp_path / "cut_small.mp4"
    target.write_bytes(small_mp4.read_bytes()[:2048])
    with pytest.raises(UnreadableMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "not a readable media file", "incomplete")


def _real_file(relative: str) -> Path:
    folder = locate_testdata()
    if folder is None:
        pytest.skip(missing_testdata_reason())
    return folder / relative


@pytest.mark.parametrize(
    ("relative", "keep", "reasons"),
    [
        # moov at the end: the first 2 KB are an ftyp and the start of mdat.
        ("video/bbb_prog_10s.mp4", 2048, ("not a readable media file",)),
        ("video/flower.mp4", 2048, ("not a readable media file",)),
        # The header is cut inside the sample description: the stream has neither codec
        # nor data. Used to be reported as an unsupported codec.
        ("video/sample_edit_list.mp4", 512, ("the file is incomplete",)),
        ("video/linear_speed_effects_aaf.mov", 512, ("the file is incomplete",)),
        # Header complete, media data cut: the frame table promises 150 frames.
        ("video/flower.mp4", 500_000, ("the file is incomplete (only ", " of 150 video frames")),
    ],
    ids=["bbb-2KB", "flower-2KB", "iphone-512B", "avid-mov-512B", "flower-half"],
)
def test_truncated_real_file(
    tmp_path: Path, relative: str, keep: int, reasons: tuple[str, ...]
) -> None:
    source = _real_file(relative)
    target = tmp_path / f"cut_{source.name}"
    target.write_bytes(source.read_bytes()[:keep])
    with pytest.raises(UnreadableMediaError) as info:
        probe(target)
    for reason in reasons:
        _assert_clear_error(info.value, target, reason)


def _write_faststart_mp4(path: Path) -> None:
    """12 frames of H.264 at 24 fps with the moov box first, as files meant for the web are.

    synth writes the moov box last; a "fast start" file is the one whose header a partial
    download cuts, so it is made here directly.
    """
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height = SMALL
        stream.pix_fmt = "yuv420p"
        for n in range(12):
            picture = np.full((SMALL[1], SMALL[0], 3), n * 20, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def test_faststart_mp4_cut_anywhere_in_its_header(tmp_path: Path) -> None:
    """A partial download that ends in the header is always 'unreadable', never 'unsupported'.

    Cut inside the moov box, FFmpeg still opens the file but lists no stream, a stream of
    unknown type, or a video stream without codec; all three once came out as "holds no
    video stream, import a video instead" or "codec cannot be decoded, convert the file".
    """
    source = tmp_path / "web.mp4"
    _write_faststart_mp4(source)
    complete = probe(source)
    assert (complete.fps, complete.frame_count) == (Fraction(24), 12)

    data = source.read_bytes()
    moov, stsd, mdat = (data.find(box) - 4 for box in (b"moov", b"stsd", b"mdat"))
    assert 0 < moov < stsd < mdat  # the header really comes first
    target = tmp_path / "partial_download.mp4"
    seen: set[str] = set()
    for keep in [*range(1, mdat, 4), mdat]:
        target.write_bytes(data[:keep])
        with pytest.raises(UnreadableMediaError) as info:
            probe(target)
        _assert_clear_error(
            info.value,
            target,
            "the file is incomplete",
            "not a readable media file",
            "holds no data",
        )
        seen.add(str(info.value).split(": ", 1)[1].split(" (")[0])
    assert "the file is incomplete" in seen  # the cases the old code called unsupported


def test_subtitles_only_file(tmp_path: Path) -> None:
    target = tmp_path / "captions.srt"
    target.write_text(
        "1\n00:00:00,000 --> 00:00:01,500\nHello.\n\n2\n00:00:02,000 --> 00:00:03,000\nBye.\n",
        encoding="utf-8",
    )
    with pytest.raises(UnsupportedMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "holds no video, audio or image stream")
    assert "(found: subtitle)" in str(info.value)


def test_real_webvtt_sidecar(tmp_path: Path) -> None:
    target = tmp_path / "friday.vtt"
    shutil.copyfile(_real_file("video/friday.vtt"), target)
    with pytest.raises(UnsupportedMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "holds no video, audio or image stream")


def test_unknown_video_codec(small_mp4: Path, tmp_path: Path) -> None:
    """A complete MP4 whose video sample entry names a codec FFmpeg does not know."""
    data = small_mp4.read_bytes()
    assert b"avc1" in data
    target = tmp_path / "exotic.mp4"
    target.write_bytes(data.replace(b"avc1", b"zzzz"))
    with pytest.raises(UnsupportedMediaError) as info:
        probe(target)
    _assert_clear_error(info.value, target, "video codec cannot be decoded")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="needs a non-root POSIX user: root reads files whatever their mode",
)
def test_permission_denied(small_mp4: Path, tmp_path: Path) -> None:
    target = tmp_path / "locked.mp4"
    shutil.copyfile(small_mp4, target)
    target.chmod(0)
    try:
        with pytest.raises(UnreadableMediaError) as info:
            probe(target)
    finally:
        target.chmod(0o600)
    _assert_clear_error(info.value, target, "permission denied")


@pytest.mark.parametrize("record", _media_params())
def test_damaged_copies_never_leak_foreign_errors(
    record: dict[str, Any], tmp_path: Path
) -> None:
    """Cut and corrupted copies of every real file: a MediaProbe or a MediaProbeError.

    Some damaged copies are still importable (a JPEG cut short decodes to a partly grey
    picture; an Ogg cut short plays until the cut); what must never happen is an exception
    of another type, or a message that does not name the file.
    """
    data = _real_file(record["path"]).read_bytes()
    name = Path(record["path"]).name
    variants: dict[str, bytes] = {
        f"cut{keep}_{name}": data[:keep]
        for keep in sorted({1, 16, 2048, len(data) // 2, len(data) - 1})
    }
    rng = random.Random(name)
    corrupted = bytearray(data)
    for _ in range(20):
        corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)
    variants[f"corrupt_{name}"] = bytes(corrupted)

    for file_name, content in variants.items():
        target = tmp_path / file_name
        target.write_bytes(content)
        try:
            result = probe(target)
        except MediaProbeError as exc:
            assert type(exc) in (UnreadableMediaError, UnsupportedMediaError)
            assert re.match(rf"Cannot import '{re.escape(file_name)}': \S", str(exc)), str(exc)
            assert exc.path == str(target.resolve())
        else:
            assert isinstance(result, MediaProbe)
            assert result.kind in ("video", "audio", "image")
            if result.fps is not None:
                assert result.fps > 0 and math.isfinite(float(result.fps))
