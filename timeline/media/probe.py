"""Probe a media file once at import time: kind, sizes, exact rates, rotation, audio format.

PyAV and numpy only (no Qt, no torch). Every fact that later drives time arithmetic (rates,
time bases, durations) is kept as an exact ``Fraction``; floats appear only in ``to_json``
for human readers. The conventions match ffprobe's, as recorded in the shared test data
(``../shared/testdata/media.json``), so the numbers a user sees agree with other tools.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.packet import Packet
from av.stream import Disposition, Stream
from av.video.stream import VideoStream

from timeline.limits import MAX_FRAME_SIDE

__all__ = [
    "MediaProbe",
    "MediaProbeError",
    "UnreadableMediaError",
    "UnsupportedMediaError",
    "probe",
]

# Container durations are in AV_TIME_BASE units (microseconds).
_AV_TIME_BASE = 1_000_000

# Enough packets to judge the frame cadence (about 11 minutes at 30 fps) while keeping
# the probe of an hour-long file fast; beyond it the container's own counts are trusted.
_SCAN_PACKET_CAP = 20_000

# Frame-threaded decoders hold back a few packets before the first frame comes out;
# a stream that yields nothing after this many is treated as undecodable.
_DECODE_PACKET_CAP = 256

# Demuxers that read still images. FFmpeg names most of them "<codec>_pipe".
_IMAGE_DEMUXERS = frozenset({"image2", "image2pipe", "apng", "gif", "webp"})

# Rates a camera or editor actually writes; used only when the declared rates of a CFR
# stream both disagree with its timestamps (a muxer writing a wrong nominal rate).
_STANDARD_RATES: tuple[Fraction, ...] = tuple(
    Fraction(r)
    for r in (
        8,
        10,
        12,
        Fraction(25, 2),
        Fraction(15000, 1001),
        15,
        16,
        20,
        Fraction(24000, 1001),
        24,
        25,
        Fraction(30000, 1001),
        30,
        Fraction(48000, 1001),
        48,
        50,
        Fraction(60000, 1001),
        60,
        72,
        90,
        100,
        Fraction(120000, 1001),
        120,
        240,
    )
)


class MediaProbeError(Exception):
    """A file cannot be imported. The message names the file, the reason and what to do."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        # Shown to the user: a path of non-UTF-8 bytes with them escaped.
        self.path = None if path is None else _shown(path)


class UnsupportedMediaError(MediaProbeError):
    """The file is readable but holds nothing Takeline can use (no stream, no decoder)."""


class UnreadableMediaError(MediaProbeError):
    """The file is missing, not a media file, truncated, corrupt or not permitted."""


@dataclass(frozen=True)
class MediaProbe:
    """What a source file holds, in the file's own exact units."""

    path: str
    kind: str  # "video" | "audio" | "image"
    container: str
    duration: Fraction | None  # seconds; None when the container states none
    video_codec: str | None
    width: int | None
    height: int | None
    fps: Fraction | None
    vfr: bool
    rotation: int  # display-matrix rotation, degrees, counter-clockwise positive
    video_time_base: Fraction | None
    video_start_pts: int | None
    frame_count: int | None
    pix_fmt: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    audio_time_base: Fraction | None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict: fractions as "num/den"; duration also as float seconds."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _fraction_to_text(value) if isinstance(value, Fraction) else value
        # The float is for people and other tools; "duration_exact" is what round-trips.
        out["duration_exact"] = out.pop("duration")
        out["duration"] = None if self.duration is None else float(self.duration)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> MediaProbe:
        """Exact inverse of ``to_json``."""
        return cls(
            path=str(d["path"]),
            kind=str(d["kind"]),
            container=str(d["container"]),
            duration=_text_to_fraction(d["duration_exact"]),
            video_codec=d["video_codec"],
            width=d["width"],
            height=d["height"],
            fps=_text_to_fraction(d["fps"]),
            vfr=bool(d["vfr"]),
            rotation=int(d["rotation"]),
            video_time_base=_text_to_fraction(d["video_time_base"]),
            video_start_pts=d["video_start_pts"],
            frame_count=d["frame_count"],
            pix_fmt=d["pix_fmt"],
            audio_codec=d["audio_codec"],
            sample_rate=d["sample_rate"],
            channels=d["channels"],
            audio_time_base=_text_to_fraction(d["audio_time_base"]),
        )


def _fraction_to_text(value: Fraction) -> str:
    # Always "num/den", even for whole numbers, so readers never see a bare "24".
    return f"{value.numerator}/{value.denominator}"


def _text_to_fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def duration_in_frames(info: MediaProbe, fps: Fraction) -> int | None:
    """How many whole sequence frames the media covers; None for stills (any length) and
    unknown lengths.

    Source ranges live in sequence frames, so a 10 s clip in a 24000/1001 sequence offers
    floor(10 * 24000/1001) = 239 frames, whatever its own rate.
    """
    if info.kind == "image":
        return None
    seconds = info.duration
    if seconds is None and info.frame_count and info.fps:
        seconds = info.frame_count / info.fps
    if seconds is None:
        return None
    return max(1, math.floor(seconds * fps))


def probe(path: str | os.PathLike[str]) -> MediaProbe:
    """Read a media file's facts without decoding more than its first frame.

    Raises ``UnreadableMediaError`` or ``UnsupportedMediaError`` with a message fit to show
    the user; no PyAV or OS exception escapes.
    """
    given = Path(os.fspath(path)).expanduser()
    resolved = given.resolve()
    # Messages are text: a name of non-UTF-8 bytes shows them escaped.
    name = _shown(given.name or str(given))
    where = str(resolved)

    # Check the file with plain Python first: its errors are clearer than FFmpeg's.
    check_media_path(resolved, name)
    try:
        with open(resolved, "rb") as fh:
            first_byte = fh.read(1)
    except FileNotFoundError:
        raise UnreadableMediaError(
            f"Cannot import '{name}': file not found. Check the path or relink the media.",
            where,
        ) from None
    except IsADirectoryError:
        raise UnreadableMediaError(
            f"Cannot import '{name}': it is a folder, not a file. "
            "Choose a video, audio or image file.",
            where,
        ) from None
    except PermissionError:
        raise UnreadableMediaError(
            f"Cannot import '{name}': permission denied. "
            "Check that your user account may read the file.",
            where,
        ) from None
    except OSError as exc:
        raise _unreadable(name, where, exc.strerror or str(exc)) from None
    if not first_byte:
        raise UnreadableMediaError(
            f"Cannot import '{name}': the file is empty. "
            "Check that it was copied or exported completely.",
            where,
        )

    try:
        with av.open(where, mode="r", metadata_errors="replace") as container:
            return _probe_container(container, name, where)
    except MediaProbeError:
        raise
    except (av.error.FFmpegError, OSError, EOFError, UnicodeError) as exc:
        if isinstance(exc, PermissionError) and exc.errno == errno.EACCES:
            raise UnreadableMediaError(
                f"Cannot import '{name}': permission denied. "
                "Check that your user account may read the file.",
                where,
            ) from None
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise _unreadable(name, where, reason) from None


def _shown(name: str) -> str:
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def check_media_path(path: str | os.PathLike[str], name: str | None = None) -> None:
    """Refuse what must not be opened as media, before anything opens it: a FIFO, socket
    or device (opening one blocks, or reads forever). A name of any bytes is fine (the
    project stores it exactly: ``project_store.assets.path_to_db``). Missing files are left
    to the caller."""
    path = Path(os.fspath(path))
    shown = _shown(name or path.name or str(path))
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # reported by whoever opens it, with its reason
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "a device")
    raise UnsupportedMediaError(
        f"Cannot import '{shown}': it is {kind}, not a file. Save the stream to a file "
        "and import that.", str(path))


# Boxes inside moov/trak/mdia whose children are walked to check the header is whole.
_ISO_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"})
_ISO_MOOV_CAP = 256 << 20


def iso_track_handlers(path: str | os.PathLike[str]) -> list[str] | str:
    """Handler types ("vide", "soun", ...) of the tracks in an MP4/MOV file's moov box,
    in order; or why they cannot be read: "incomplete" (a box runs past the end of the
    file) or "damaged" (a child box runs past its parent, a box type is not text, no
    moov). FFmpeg silently drops a track whose boxes are damaged, which would import a
    film as sound only."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            pos = 0
            while pos + 8 <= size:
                fh.seek(pos)
                header = fh.read(16)
                box_size, kind = int.from_bytes(header[:4], "big"), header[4:8]
                head = 8
                if box_size == 1:
                    box_size, head = int.from_bytes(header[8:16], "big"), 16
                elif box_size == 0:
                    box_size = size - pos
                if box_size < head or not _is_box_type(kind):
                    return "damaged"
                if pos + box_size > size:
                    return "incomplete"
                if kind == b"moov":
                    if box_size > _ISO_MOOV_CAP:
                        return "damaged"
                    fh.seek(pos + head)
                    handlers: list[str] = []
                    ok = _walk_iso(fh.read(box_size - head), b"moov", handlers)
                    return handlers if ok else "damaged"
                pos += box_size
    except OSError:
        return "damaged"
    return "incomplete"


def _is_box_type(kind: bytes) -> bool:
    return len(kind) == 4 and all(0x20 <= b < 0x7F or b == 0xA9 for b in kind)


def _walk_iso(body: bytes, parent: bytes, handlers: list[str]) -> bool:
    pos = 0
    while pos < len(body):
        if pos + 8 > len(body):
            return False
        box_size, kind = int.from_bytes(body[pos:pos + 4], "big"), body[pos + 4:pos + 8]
        head = 8
        if box_size == 1 and pos + 16 <= len(body):
            box_size, head = int.from_bytes(body[pos + 8:pos + 16], "big"), 16
        elif box_size == 0:
            box_size = len(body) - pos
        if box_size < head or pos + box_size > len(body) or not _is_box_type(kind):
            return False
        inner = body[pos + head:pos + box_size]
        if kind == b"trak":
            handlers.append("")
        if kind == b"hdlr" and parent == b"mdia" and handlers and len(inner) >= 12:
            handlers[-1] = inner[8:12].decode("latin-1")
        if kind in _ISO_CONTAINERS and kind != b"moov" and not _walk_iso(inner, kind,
                                                                         handlers):
            return False
        pos += box_size
    return True


def _check_iso_tracks(container: InputContainer, video: Any, audio: Any, name: str,
                      where: str) -> None:
    """An MP4/MOV whose header is damaged, or declares a video or sound track FFmpeg did
    not open, is refused rather than imported as less than it is."""
    if not {"mov", "mp4"} & set(container.format.name.split(",")):
        return
    handlers = iso_track_handlers(where)
    if handlers == "incomplete":
        raise UnreadableMediaError(
            f"Cannot import '{name}': the file is incomplete (its boxes run past its end). "
            "Copy or export it again.", where)
    damaged = isinstance(handlers, str)
    if isinstance(handlers, list):
        videos = sum(1 for s in container.streams.video
                     if not s.disposition & Disposition.attached_pic)
        audios = len(container.streams.audio)
        damaged = handlers.count("vide") > videos or handlers.count("soun") > audios or (
            handlers.count("") > 0)
    if damaged:
        raise UnreadableMediaError(
            f"Cannot import '{name}': its header (the moov box) is damaged, so some of its "
            "tracks cannot be read. Copy or export the file again.", where)


def _unreadable(name: str, where: str, reason: str) -> UnreadableMediaError:
    return UnreadableMediaError(
        f"Cannot import '{name}': the file is not a readable media file ({reason}). "
        "Check that it is a complete video, audio or image file.",
        where,
    )


def _probe_container(container: InputContainer, name: str, where: str) -> MediaProbe:
    streams = list(container.streams)
    # Cover art (attached_pic) is a picture tag of an audio file, not footage.
    video = next(
        (
            s
            for s in streams
            if isinstance(s, VideoStream) and not s.disposition & Disposition.attached_pic
        ),
        None,
    )
    audio = next((s for s in streams if isinstance(s, AudioStream)), None)

    if video is None and audio is None:
        if not _has_packets(container, streams):
            # A recognised container with no stream holding data: the header was cut off
            # before its tracks were described (a partial download of a "fast start" MP4
            # ends inside the moov box like this), not a file of subtitles or data.
            raise UnreadableMediaError(
                f"Cannot import '{name}': the file is incomplete (no stream in it holds any "
                "data). Copy or export it again.",
                where,
            )
        found = ", ".join(sorted({s.type for s in streams}))
        raise UnsupportedMediaError(
            f"Cannot import '{name}': it holds no video, audio or image stream "
            f"(found: {found}). Import a video, audio or image file instead.",
            where,
        )
    for stream in (video, audio):
        if stream is not None and stream.codec_context is None:
            if not _has_packets(container, [stream]):
                # No codec and no data: the header was cut off before the stream's sample
                # description (a truncated copy), not an exotic codec.
                raise UnreadableMediaError(
                    f"Cannot import '{name}': the file is incomplete (its {stream.type} "
                    "stream has no description and no data). Copy or export it again.",
                    where,
                )
            raise UnsupportedMediaError(
                f"Cannot import '{name}': its {stream.type} codec cannot be decoded by this "
                "build of FFmpeg. Convert the file to a common format (e.g. H.264/AAC MP4).",
                where,
            )

    _check_iso_tracks(container, video, audio, name, where)
    if video is not None:
        side = max(video.codec_context.width or 0, video.codec_context.height or 0)
        if side > MAX_FRAME_SIDE:  # checked before the first frame is decoded
            raise UnsupportedMediaError(
                f"Cannot import '{name}': its pictures are {video.codec_context.width}x"
                f"{video.codec_context.height}, larger than Takeline handles (at most "
                f"{MAX_FRAME_SIDE} pixels a side). Scale it down first.", where)
    container_name = container.format.name
    duration = (
        None if container.duration is None else Fraction(container.duration, _AV_TIME_BASE)
    )

    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    audio_time_base: Fraction | None = None
    if audio is not None:
        audio_codec = audio.codec_context.codec.canonical_name
        sample_rate = audio.codec_context.sample_rate or None
        channels = audio.codec_context.layout.nb_channels or None
        audio_time_base = audio.time_base

    if video is None:
        assert audio is not None
        _check_audio_decodes(container, audio, name, where)
        return MediaProbe(
            path=where,
            kind="audio",
            container=container_name,
            duration=duration,
            video_codec=None,
            width=None,
            height=None,
            fps=None,
            vfr=False,
            rotation=0,
            video_time_base=None,
            video_start_pts=None,
            frame_count=None,
            pix_fmt=None,
            audio_codec=audio_codec,
            sample_rate=sample_rate,
            channels=channels,
            audio_time_base=audio_time_base,
        )

    scan = _scan_video(container, video, name, where)
    time_base = video.time_base
    declared_frames = video.frames or None
    if declared_frames is not None and not scan.capped and scan.packets < declared_frames:
        # The header promises more frames than the file holds: an interrupted copy/export.
        raise UnreadableMediaError(
            f"Cannot import '{name}': the file is incomplete (only {scan.packets} of "
            f"{declared_frames} video frames are present). Copy or export it again.",
            where,
        )

    is_image = (
        _is_image_demuxer(container_name) or bool(video.disposition & Disposition.still_image)
    ) and scan.packets == 1
    if is_image:
        fps: Fraction | None = None
        vfr = False
    else:
        vfr = _is_vfr(scan.pts)
        fps = _choose_fps(video, scan.pts, time_base, vfr)

    return MediaProbe(
        path=where,
        kind="image" if is_image else "video",
        container=container_name,
        duration=duration,
        video_codec=video.codec_context.codec.canonical_name,
        width=video.codec_context.width or None,
        height=video.codec_context.height or None,
        fps=fps,
        vfr=vfr,
        rotation=scan.rotation,
        video_time_base=time_base,
        video_start_pts=video.start_time,
        frame_count=declared_frames or (None if scan.capped else scan.packets),
        pix_fmt=video.codec_context.pix_fmt,
        audio_codec=audio_codec,
        sample_rate=sample_rate,
        channels=channels,
        audio_time_base=audio_time_base,
    )


def _has_packets(container: InputContainer, streams: list[Stream]) -> bool:
    """Whether any of the streams holds a data packet; only called before giving up."""
    if not streams:
        return False
    try:
        return any(packet.size for packet in container.demux(streams))
    except (av.error.FFmpegError, OSError, EOFError):
        return False


def _is_image_demuxer(container_name: str) -> bool:
    return container_name in _IMAGE_DEMUXERS or container_name.endswith("_pipe")


@dataclass(frozen=True)
class _VideoScan:
    pts: np.ndarray  # presentation timestamps in stream ticks, sorted
    packets: int  # packets seen (all of them unless capped)
    capped: bool
    rotation: int


def _scan_video(
    container: InputContainer, video: VideoStream, name: str, where: str
) -> _VideoScan:
    """Demux the video packets for their timestamps; decode only until the first frame.

    The first frame is decoded because the stream's display matrix reaches Python only as
    frame side data in this PyAV, and because it proves the decoder accepts the stream.
    """
    timestamps: list[int] = []
    packets = 0
    capped = False
    rotation: int | None = None
    fed = 0
    for packet in container.demux(video):
        if packet.size == 0:
            continue  # PyAV's end-of-stream flush packet, not data
        packets += 1
        stamp = packet.pts if packet.pts is not None else packet.dts
        if stamp is not None:
            timestamps.append(stamp)
        if rotation is None and fed < _DECODE_PACKET_CAP:
            fed += 1
            rotation = _first_frame_rotation(video, packet)
        if packets >= _SCAN_PACKET_CAP:
            capped = True
            break

    if packets == 0:
        raise UnreadableMediaError(
            f"Cannot import '{name}': the video stream holds no data (the file may be "
            "truncated). Check that it is a complete video or image file.",
            where,
        )
    if rotation is None:
        rotation = _first_frame_rotation(video, None)  # drain frames the decoder held back
    if rotation is None:
        raise UnreadableMediaError(
            f"Cannot import '{name}': no video frame could be decoded (the file is "
            "damaged or truncated). Check that it plays in another player.",
            where,
        )
    return _VideoScan(
        pts=np.sort(np.asarray(timestamps, dtype=np.int64)),
        packets=packets,
        capped=capped,
        rotation=rotation,
    )


def _first_frame_rotation(video: VideoStream, packet: Packet | None) -> int | None:
    """Decode one packet (None flushes); the first frame's display rotation, else None."""
    try:
        frames = video.decode(packet)
    except (av.error.InvalidDataError, av.error.EOFError):
        # A damaged packet at the start is survivable if a later one decodes.
        return None
    if not frames:
        return None
    # av_display_rotation_get truncated to int, exactly as ffprobe prints 'rotation'.
    return int(frames[0].rotation)


def _check_audio_decodes(
    container: InputContainer, audio: AudioStream, name: str, where: str
) -> None:
    """Audio-only files: prove the first audio packets exist and decode."""
    fed = 0
    for packet in container.demux(audio):
        if packet.size == 0:
            continue
        fed += 1
        if _decodes(audio, packet):
            return
        if fed >= _DECODE_PACKET_CAP:
            break
    if fed == 0:
        raise UnreadableMediaError(
            f"Cannot import '{name}': the audio stream holds no data (the file may be "
            "truncated). Check that it is a complete audio file.",
            where,
        )
    if not _decodes(audio, None):
        raise UnreadableMediaError(
            f"Cannot import '{name}': no audio could be decoded (the file is damaged or "
            "truncated). Check that it plays in another player.",
            where,
        )


def _decodes(stream: AudioStream, packet: Packet | None) -> bool:
    try:
        return bool(stream.decode(packet))
    except (av.error.InvalidDataError, av.error.EOFError):
        return False


def _is_vfr(pts: np.ndarray) -> bool:
    """Spread of frame durations beyond 2 % of the median and beyond 1.5 ticks.

    The tick floor keeps millisecond-rounded Matroska timestamps of CFR video from
    counting as variable.
    """
    if pts.size < 3:
        return False
    deltas = np.diff(pts)
    spread = int(deltas.max() - deltas.min())
    median = float(np.median(deltas))
    return spread > 0.02 * median and spread > 1.5


def _measured_rate(pts: np.ndarray, time_base: Fraction | None) -> Fraction | None:
    """(packets - 1) / (last pts - first pts), exactly, in frames per second."""
    if time_base is None or pts.size < 2:
        return None
    span = int(pts[-1] - pts[0])
    if span <= 0:
        return None
    return Fraction(pts.size - 1) / (span * time_base)


def _positive(rate: Fraction | None) -> Fraction | None:
    return rate if rate is not None and rate > 0 else None


def _choose_fps(
    video: VideoStream, pts: np.ndarray, time_base: Fraction | None, vfr: bool
) -> Fraction | None:
    """ffprobe convention: the declared rate that the timestamps confirm.

    VFR streams get avg_frame_rate (their true mean). CFR streams get whichever of
    r_frame_rate / avg_frame_rate lies within 1 % of the rate measured from timestamps;
    if a muxer declared neither correctly, the standard rate nearest the measurement.
    """
    base_rate = _positive(video.base_rate)
    average_rate = _positive(video.average_rate)
    measured = _measured_rate(pts, time_base)
    if vfr:
        return average_rate or measured or base_rate
    if measured is None:
        return average_rate or base_rate
    for declared in (base_rate, average_rate):
        if declared is not None and _within_one_percent(declared, measured):
            return declared
    return _nearest_standard_rate(measured)


def _within_one_percent(rate: Fraction, measured: Fraction) -> bool:
    return abs(rate - measured) <= measured / 100


def _nearest_standard_rate(measured: Fraction) -> Fraction:
    candidates: Iterable[Fraction] = (
        r for r in _STANDARD_RATES if _within_one_percent(r, measured)
    )
    nearest = min(candidates, key=lambda r: abs(r - measured), default=None)
    return nearest if nearest is not None else measured.limit_denominator(1001)
