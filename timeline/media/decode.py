"""Frame-accurate random access to the pictures of a video file, with PyAV and numpy.

A :class:`VideoDecoder` numbers the frames of one video stream exactly as a full sequential
decode presents them (0, 1, 2, ... in presentation order) and returns frame ``i`` as an
``(H, W, 3|4)`` uint8 RGB(A) array, turned the way a player shows it.

How it finds frame ``i`` (ARCHITECTURE.md, section Time):

* **Index.** Once, lazily, the video packets are demuxed without decoding. Each packet's
  pts (in the stream's own ``time_base``) and keyframe flag are kept; packets that the
  demuxer marks *discard* (samples outside an MP4/MOV edit list, which the decoder decodes
  as references but never outputs) are left out. Sorted, the kept pts are the presented
  frames, so frame ``i`` has the exact pts ``pts_of(i)`` and the exact time
  ``pts_of(i) * time_base`` (a ``Fraction``). B-frames (decode order differs from
  presentation order), VFR, non-zero start pts and containers without a duration need
  nothing special.
* **Seek.** For a frame the decoder is not already heading to, seek to the last keyframe
  whose pts is at or before the frame's (``backward=True, any_frame=False``), decode
  forward and match decoded frames to the index by pts. If a demuxer lands after the
  frame (some seek by dts), seek again from an earlier keyframe, and as a last resort
  decode from the start of a freshly opened file.
* **Sequential access does not seek.** The decoder remembers where it is; asking for a
  later frame of the same GOP (and always for the next few frames) keeps decoding
  forward. Backward jumps and jumps past a keyframe seek.

Rotation: the stream's display matrix rotation (``MediaProbe.rotation``, counter-clockwise
positive, as ffprobe prints it) is applied with ``numpy.rot90``, so a portrait phone video
comes out portrait. Flips in a display matrix are not applied. Colour: swscale's
conversion with the frame's own colour matrix and range, 8 bits per channel; HDR (PQ/HLG)
sources are not tone-mapped and look flat.

Thread-safety: a ``VideoDecoder`` is used by one thread at a time (it holds an FFmpeg
demuxer and decoder with a position). Two threads calling it at once get a
``RuntimeError`` rather than corrupted state; use one decoder per thread, e.g. through
:class:`timeline.media.frame_cache.ReadAhead`.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import av.error
import numpy as np
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

from timeline.media.closing import ClosesOnExit
from timeline.media.probe import MediaProbe, MediaProbeError, UnsupportedMediaError, probe

__all__ = [
    "DecodeError",
    "FrameIndex",
    "FrameRangeError",
    "OutputFormat",
    "VideoDecoder",
    "frame_to_array",
    "output_shape",
]

OutputFormat = Literal["rgb24", "rgba"]
_CHANNELS: dict[str, int] = {"rgb24": 3, "rgba": 4}

# Forward requests this close to the current position keep decoding even across a keyframe:
# decoding a few frames is cheaper than a seek plus refilling a frame-threaded decoder.
_SHORT_SKIP = 4

# Seeks from successively earlier keyframes tried before decoding from the very start.
_SEEK_ATTEMPTS = 3

# Errors FFmpeg reports through PyAV while reading or decoding a damaged file.
_AV_ERRORS = (av.error.FFmpegError, OSError, EOFError)


class DecodeError(MediaProbeError):
    """A frame of a file cannot be decoded. The message names the file and the frame."""


class FrameRangeError(DecodeError, IndexError):
    """A frame index or time outside the stream."""


@dataclass(frozen=True)
class FrameIndex:
    """Where every presented frame of a video stream sits, in the stream's own ticks."""

    time_base: Fraction
    pts: np.ndarray  # int64, presented frames in presentation order (strictly what decodes)
    keyframe: np.ndarray  # bool, per presented frame: its packet is a keyframe
    seek_points: np.ndarray  # int64 sorted pts of every keyframe packet, discarded ones too
    end_pts: int  # where the last frame stops being shown

    @property
    def frame_count(self) -> int:
        return int(self.pts.size)


_INDEXES: dict[tuple[str, int, int], FrameIndex] = {}
_INDEXES_LOCK = threading.Lock()
_INDEXES_MAX = 256


def _shared_index(path: str, build: Callable[[], FrameIndex]) -> FrameIndex:
    """The frame index of ``path``, built once per version of the file (size + mtime) and
    shared by every decoder of it: playback, the read-ahead worker, scrubbing, thumbnails and
    export each open their own decoder, and each used to demux the whole file again."""
    try:
        st = os.stat(path)
    except OSError:
        return build()  # let the decoder report the missing file its own way
    key = (path, st.st_size, st.st_mtime_ns)
    with _INDEXES_LOCK:
        found = _INDEXES.get(key)
    if found is not None:
        return found
    index = build()
    for array in (index.pts, index.keyframe, index.seek_points):
        array.setflags(write=False)  # shared between threads and decoders
    with _INDEXES_LOCK:
        if len(_INDEXES) >= _INDEXES_MAX:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = index
    return index


_PROBES: dict[tuple[str, int, int], MediaProbe] = {}


def shared_probe(path: str | os.PathLike[str]) -> MediaProbe:
    """``probe(path)``, once per file version: the read-ahead opens decoders by path, and a
    probe of a 4K file costs as much as its index."""
    try:
        resolved = os.path.abspath(os.fspath(path))
        st = os.stat(resolved)
    except OSError:
        return probe(path)  # probe names the problem
    key = (resolved, st.st_size, st.st_mtime_ns)
    with _INDEXES_LOCK:
        found = _PROBES.get(key)
    if found is not None:
        return found
    info = probe(path)
    with _INDEXES_LOCK:
        if len(_PROBES) >= _INDEXES_MAX:
            _PROBES.pop(next(iter(_PROBES)))
        _PROBES[key] = info
    return info


def output_shape(
    width: int, height: int, rotation: int, size: tuple[int, int] | None, fmt: OutputFormat
) -> tuple[int, int, int]:
    """(H, W, C) of the arrays a decoder returns for a coded ``width`` x ``height`` picture.

    ``size`` is (width, height) of the *displayed* (already rotated) picture; None keeps the
    coded size, turned.
    """
    if size is not None:
        out_w, out_h = size
    elif _quarter_turns(rotation) % 2:
        out_w, out_h = height, width
    else:
        out_w, out_h = width, height
    return out_h, out_w, _CHANNELS[fmt]


def _quarter_turns(rotation: int) -> int:
    """Counter-clockwise quarter turns (``numpy.rot90``'s k) that show the picture upright.

    ``rotation`` is the display matrix angle, counter-clockwise positive; a player turns the
    picture clockwise by ``(-rotation) mod 360``, i.e. counter-clockwise by ``rotation``.
    Angles are rounded to the nearest quarter turn.
    """
    return round((rotation % 360) / 90) % 4


def frame_to_array(
    frame: VideoFrame,
    *,
    rotation: int = 0,
    size: tuple[int, int] | None = None,
    fmt: OutputFormat = "rgb24",
    reformatter: VideoReformatter | None = None,
) -> np.ndarray:
    """Convert a decoded frame to a C-contiguous (H, W, C) uint8 array as a player shows it.

    Scaling (to ``size``, the displayed width and height) and the pixel-format conversion
    happen in one swscale pass before the rotation. This is the one conversion every
    decoder path uses, so equal frames give bit-identical arrays. The array is C-contiguous,
    writable and shares memory with nothing the decoder keeps.
    """
    if fmt not in _CHANNELS:
        raise ValueError(f"output format must be one of {sorted(_CHANNELS)}, got {fmt!r}")
    turns = _quarter_turns(rotation)
    width, height = frame.width, frame.height
    if size is not None:
        out_w, out_h = int(size[0]), int(size[1])
        if out_w <= 0 or out_h <= 0:
            raise ValueError(f"output size must be positive, got {size}")
        width, height = (out_h, out_w) if turns % 2 else (out_w, out_h)
    converter = reformatter if reformatter is not None else VideoReformatter()
    rgb = converter.reformat(frame, width=width, height=height, format=fmt)
    array = rgb.to_ndarray()
    if turns:
        return np.ascontiguousarray(np.rot90(array, k=turns))
    if rgb is frame or not array.flags.c_contiguous:
        # Already in the wanted format, swscale handed back the decoder's own frame: copy,
        # so a caller drawing on the array never changes what the decoder holds.
        return np.array(array, copy=True)
    # A fresh frame that swscale wrote for this call: its buffer is the array's alone (the
    # array keeps it alive), so a 6 MB copy per 1080p frame is saved.
    return array


def _pick_video_stream(container: InputContainer) -> VideoStream | None:
    """The stream the probe describes: the first video stream that is not cover art."""
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:
            return stream
    return None


class VideoDecoder(ClosesOnExit):
    """Frame-accurate random access to the first video stream of a file.

    ``source`` is a path or the file's :class:`MediaProbe` (saves probing again). ``size``
    scales in the decoder's converter (e.g. half resolution for previews); it is the
    (width, height) of the *displayed* picture, after rotation. ``fmt`` is ``"rgb24"`` or
    ``"rgba"``. ``threads`` is the codec's thread count (0: FFmpeg chooses).

    Not thread-safe: use one decoder from one thread at a time (see the module docstring).
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | MediaProbe,
        *,
        size: tuple[int, int] | None = None,
        fmt: OutputFormat = "rgb24",
        threads: int = 0,
    ) -> None:
        info = source if isinstance(source, MediaProbe) else shared_probe(source)
        self._path = info.path
        self._name = Path(info.path).name
        if info.kind not in ("video", "image") or not info.width or not info.height:
            raise UnsupportedMediaError(
                f"Cannot show pictures of '{self._name}': it has no video stream.", self._path
            )
        if fmt not in _CHANNELS:
            raise ValueError(f"fmt must be one of {sorted(_CHANNELS)}, got {fmt!r}")
        if size is not None and (int(size[0]) <= 0 or int(size[1]) <= 0):
            raise ValueError(f"size must be positive, got {size}")
        self.probe = info
        self.rotation = info.rotation
        self.size = None if size is None else (int(size[0]), int(size[1]))
        self.fmt: OutputFormat = fmt
        self._threads = threads
        self._index: FrameIndex | None = None
        self._container: InputContainer | None = None
        self._stream: VideoStream | None = None
        self._frames: Iterator[VideoFrame] | None = None
        self._position: int | None = None  # index of the last frame the decoder yielded
        self._last: VideoFrame | None = None  # that frame
        self._reformatter = VideoReformatter()
        self._in_use = threading.Lock()
        self._closed = False
        self.seek_count = 0  # seeks and restarts from the top: sequential access adds none
        self.decoded_count = 0  # frames the codec produced, wanted or not

    # ------------------------------------------------------------------ properties

    @property
    def path(self) -> str:
        return self._path

    @property
    def index(self) -> FrameIndex:
        """The frame index, built on first use by demuxing the whole video stream."""
        if self._index is None:
            self._check_open()
            self._index = _shared_index(self._path, self._build_index)
        return self._index

    @property
    def frame_count(self) -> int:
        return self.index.frame_count

    def __len__(self) -> int:
        return self.frame_count

    @property
    def time_base(self) -> Fraction:
        return self.index.time_base

    @property
    def duration(self) -> Fraction:
        """Seconds from the first frame's time to the end of the last frame."""
        index = self.index
        return (index.end_pts - int(index.pts[0])) * index.time_base

    @property
    def shape(self) -> tuple[int, int, int]:
        """(H, W, C) of every array :meth:`frame` returns."""
        assert self.probe.width is not None and self.probe.height is not None
        return output_shape(self.probe.width, self.probe.height, self.rotation, self.size, self.fmt)

    def pts_of(self, i: int) -> int:
        """Presentation timestamp of frame ``i``, in ``time_base`` ticks."""
        return int(self.index.pts[self._check_index(i)])

    def time_of(self, i: int) -> Fraction:
        """Exact stream time of frame ``i`` in seconds (``pts * time_base``)."""
        return self.pts_of(i) * self.index.time_base

    def offset_of(self, i: int) -> Fraction:
        """Seconds from the first frame to frame ``i``: the ``t`` that shows frame ``i``."""
        return (self.pts_of(i) - int(self.index.pts[0])) * self.index.time_base

    def is_keyframe(self, i: int) -> bool:
        return bool(self.index.keyframe[self._check_index(i)])

    def index_at_time(self, t: Fraction | int) -> int:
        """The frame on screen ``t`` seconds after the first frame starts.

        That is the last frame whose offset is ``<= t``. ``t`` must lie in
        ``[0, duration)``; it is exact (a ``Fraction`` or int), never a float.
        """
        if isinstance(t, float):
            raise TypeError("times are exact: pass a Fraction or int, not a float")
        t = Fraction(t)
        index = self.index
        first = int(index.pts[0])
        if t < 0 or t >= self.duration:
            raise FrameRangeError(
                f"Time {t} s ({float(t):.6f} s) is outside '{self._name}' "
                f"(0 <= t < {float(self.duration):.6f} s).",
                self._path,
            )
        # Last frame with (pts - first) * tb <= t, i.e. pts <= first + floor(t / tb).
        limit = first + math.floor(t / index.time_base)
        return int(np.searchsorted(index.pts, limit, side="right")) - 1

    # ------------------------------------------------------------------ frames

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` (0-based, presentation order) as an (H, W, C) uint8 array."""
        with self._exclusive():
            decoded = self._decode(self._check_index(i))
            return frame_to_array(
                decoded,
                rotation=self.rotation,
                size=self.size,
                fmt=self.fmt,
                reformatter=self._reformatter,
            )

    def raw_frame(self, i: int) -> VideoFrame:
        """Frame ``i`` exactly as the codec produced it (its own pixel format and coded size,
        no rotation): for export to pass a plain cut straight to the encoder."""
        with self._exclusive():
            return self._decode(self._check_index(i))

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One thread at a time: a second caller gets an error, not a corrupted decoder."""
        if not self._in_use.acquire(blocking=False):
            raise RuntimeError(
                f"VideoDecoder for '{self._name}' used from two threads at once; "
                "give each thread its own decoder"
            )
        try:
            self._check_open()
            yield
        finally:
            self._in_use.release()

    def __getitem__(self, i: int) -> np.ndarray:
        return self.frame(i)

    def frame_at_time(self, t: Fraction | int) -> np.ndarray:
        """The frame on screen ``t`` seconds after the first frame (see index_at_time)."""
        return self.frame(self.index_at_time(t))

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Release the file and the decoder. Closing twice is harmless."""
        self._closed = True
        self._drop_container()

    def __repr__(self) -> str:
        return f"VideoDecoder({self._path!r}, size={self.size}, fmt={self.fmt!r})"

    # ------------------------------------------------------------------ internals

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"VideoDecoder for '{self._name}' is closed")

    def _check_index(self, i: int) -> int:
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise TypeError(f"frame index must be an int, got {type(i).__name__}")
        count = self.index.frame_count
        if not 0 <= i < count:
            raise FrameRangeError(
                f"Frame {i} is out of range for '{self._name}': it has {count} frames "
                f"(0..{count - 1}).",
                self._path,
            )
        return int(i)

    def _fail(self, what: str, exc: BaseException | None = None) -> DecodeError:
        reason = "" if exc is None else f" ({getattr(exc, 'strerror', None) or exc})"
        return DecodeError(f"Cannot decode '{self._name}': {what}{reason}.", self._path)

    def _open(self) -> tuple[InputContainer, VideoStream]:
        try:
            container = av.open(self._path, mode="r", metadata_errors="replace")
        except _AV_ERRORS as exc:
            raise self._fail("the file cannot be opened", exc) from None
        stream = _pick_video_stream(container)
        if stream is None:
            container.close()
            raise self._fail("it has no video stream")
        return container, stream

    def _build_index(self) -> FrameIndex:
        container, stream = self._open()
        try:
            time_base = stream.time_base
            if time_base is None:
                raise self._fail("its video stream has no time base")
            kept: list[tuple[int, bool, int]] = []  # (pts, keyframe, duration)
            seek_points: list[int] = []
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # PyAV's end-of-stream flush packet
                stamp = packet.pts if packet.pts is not None else packet.dts
                if stamp is None:
                    raise self._fail("its video packets carry no timestamps")
                if packet.is_keyframe:
                    seek_points.append(stamp)
                if not packet.is_discard:
                    kept.append((stamp, bool(packet.is_keyframe), packet.duration or 0))
            stream_start = stream.start_time
            stream_duration = stream.duration
        except DecodeError:
            raise
        except _AV_ERRORS as exc:
            raise self._fail("its packets cannot be read", exc) from None
        finally:
            container.close()
        if not kept:
            raise self._fail("its video stream holds no frames")
        kept.sort(key=lambda item: item[0])
        pts = np.fromiter((p for p, _, _ in kept), dtype=np.int64, count=len(kept))
        keyframe = np.fromiter((k for _, k, _ in kept), dtype=bool, count=len(kept))
        last_pts, _, last_duration = kept[-1]
        if last_duration <= 0:
            deltas = np.diff(pts)
            last_duration = int(np.median(deltas)) if deltas.size else 1
        end_pts = last_pts + max(1, last_duration)
        if stream_duration and stream_start is not None:
            # An edit list may end the stream part-way through its last frame.
            stated_end = stream_start + stream_duration
            if last_pts < stated_end < end_pts:
                end_pts = stated_end
        return FrameIndex(
            time_base=Fraction(time_base),
            pts=pts,
            keyframe=keyframe,
            seek_points=np.unique(np.asarray(seek_points or [int(pts[0])], dtype=np.int64)),
            end_pts=int(end_pts),
        )

    def _ensure_container(self) -> tuple[InputContainer, VideoStream]:
        if self._container is None or self._stream is None:
            container, stream = self._open()
            codec = stream.codec_context
            codec.thread_type = "AUTO"
            codec.thread_count = self._threads
            self._container, self._stream = container, stream
        return self._container, self._stream

    def _drop_container(self) -> None:
        self._reset_position()
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None
                self._stream = None

    def _reset_position(self) -> None:
        if self._frames is not None:
            close = getattr(self._frames, "close", None)
            if close is not None:
                close()
        self._frames = None
        self._position = None
        self._last = None

    def _decoded_frames(
        self, container: InputContainer, stream: VideoStream
    ) -> Iterator[VideoFrame]:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue  # a damaged packet: its frame is reported missing if it is asked for
            yield from frames  # type: ignore[misc]

    def _can_continue(self, i: int) -> bool:
        """Whether decoding forward from the current position reaches frame ``i`` cheaply."""
        if self._frames is None or self._position is None or i <= self._position:
            return False
        if i - self._position <= _SHORT_SKIP:
            return True
        index = self.index
        seek_points = index.seek_points
        # No keyframe after the current frame and at or before the target: same GOP.
        at = int(np.searchsorted(seek_points, index.pts[self._position], side="right"))
        return at >= seek_points.size or seek_points[at] > index.pts[i]

    def _seek_point(self, i: int, back: int) -> int | None:
        """pts of the ``back``-th keyframe before the last one at or before frame ``i``."""
        index = self.index
        at = int(np.searchsorted(index.seek_points, index.pts[i], side="right")) - 1 - back
        return int(index.seek_points[at]) if at >= 0 else None

    def _decode(self, i: int) -> VideoFrame:
        if self._position == i and self._last is not None:
            return self._last
        if self._can_continue(i):
            found = self._advance_to(i)
            if found is not None:
                return found
        for back in range(_SEEK_ATTEMPTS):
            point = self._seek_point(i, back)
            if point is None:
                break
            found = self._seek_and_advance(i, point)
            if found is not None:
                return found
        found = self._decode_from_start(i)
        if found is not None:
            return found
        raise self._fail(
            f"frame {i} (pts {self.pts_of(i)}) is listed in the file but does not decode"
        )

    def _seek_and_advance(self, i: int, point: int) -> VideoFrame | None:
        container, stream = self._ensure_container()
        self._reset_position()
        self.seek_count += 1
        try:
            container.seek(point, stream=stream, backward=True, any_frame=False)
        except _AV_ERRORS:
            return None  # not seekable there; try further back, then from the start
        self._frames = self._decoded_frames(container, stream)
        return self._advance_to(i)

    def _decode_from_start(self, i: int) -> VideoFrame | None:
        self._drop_container()
        self.seek_count += 1
        container, stream = self._ensure_container()
        self._frames = self._decoded_frames(container, stream)
        return self._advance_to(i)

    def _advance_to(self, i: int) -> VideoFrame | None:
        """Decode forward until frame ``i``; None if the decoder passes it or runs dry."""
        assert self._frames is not None
        pts = self.index.pts
        target = int(pts[i])
        try:
            for frame in self._frames:
                self.decoded_count += 1
                j = self._match(frame, pts)
                if j is None:
                    continue
                self._position, self._last = j, frame
                if j == i:
                    return frame
                if int(pts[j]) > target:
                    break  # landed after the target: the caller seeks further back
        except _AV_ERRORS as exc:
            self._drop_container()
            if isinstance(exc, av.error.InvalidDataError):
                return None
            raise self._fail(f"reading frame {i} failed", exc) from None
        self._reset_position()
        return None

    def _match(self, frame: VideoFrame, pts: np.ndarray) -> int | None:
        """Index of a decoded frame, by its pts; None for a frame the index does not list."""
        stamp = frame.pts if frame.pts is not None else frame.dts
        if stamp is None:
            # No timestamp at all: the frame after the previous one, if there was one.
            return None if self._position is None else self._position + 1
        j = int(np.searchsorted(pts, stamp, side="left"))
        if j >= pts.size or int(pts[j]) != stamp:
            return None
        if self._position is not None and j <= self._position and int(pts[self._position]) == stamp:
            j = self._position + 1  # duplicated timestamps: count them in decode order
            if j >= pts.size or int(pts[j]) != stamp:
                return None
        return j
