"""Sample-exact random access to the audio of a media file, and waveform peaks.

PyAV and numpy only (no Qt, no torch). An :class:`AudioReader` decodes the first audio
stream of a file and returns float32 samples at a requested rate and channel count, with
``libswresample`` (``av.AudioResampler``) doing the rate conversion and the down/upmix.

Positions (ARCHITECTURE.md, section Time) are integer sample counts at the *target* rate.
Sample ``k`` is media time ``k / sample_rate`` on the container's own clock, whose zero is
the stream's pts 0 as FFmpeg presents it: AAC/MP3/Opus priming and other decoder delay are
already removed (edit lists and skip-samples side data), so for almost every file sample 0
is the stream's first sample. A stream that starts later (``start_sample`` > 0, e.g. audio
muxed 21 ms after the video) keeps that offset, which is what keeps it in sync with the
video timestamps. Anything before the first or after the last decoded sample reads as
silence, never as an error.

How a read is served:

* **Placement.** Each decoded frame is placed at the source-rate sample its pts names,
  converted exactly with integer arithmetic. Gaps between frames are filled with silence,
  overlaps are cut from the later frame. Streams whose time base cannot name every sample
  (Matroska/WebM's milliseconds, MPEG-TS at 44.1 kHz) are instead placed as one contiguous
  run from their first frame, re-anchored to the pts only across a real gap (more than one
  time-base tick plus 1 ms); random access to them uses a frame index built once by a
  decode-only pass and cached for the process.
* **Rate conversion.** The placed samples are fed, contiguously, to one resampler per
  decode run. Feeding always starts at a source sample whose time is also a whole target
  sample (a multiple of ``source_rate / gcd(source_rate, target_rate)``), and the first
  ``_RESAMPLER_WARMUP`` source samples of output after a fresh start are discarded, so a
  random read produces the same samples as a sequential decode from the start. The
  resampler's own delay is compensated through the frame pts it returns.
* **Random access.** Seek (stream time base, ``backward=True``) to ``_DECODER_PREROLL``
  before the wanted time, decode forward, discard the pre-roll (the first frames after a
  seek lack the decoder's history), then resample. If a demuxer lands after the target,
  seek again from further back; near the start, decode from a freshly opened file.
* **Sequential access** (the next read starts where the last one ended, or a little ahead)
  keeps decoding without seeking. A small buffer of recent samples serves short backward
  re-reads.

Equality with a sequential decode is bit-exact for PCM, FLAC, Vorbis and MP3 sources after
the pre-roll. AAC with perceptual noise substitution draws its noise from a decoder random
generator, so after a seek those bands differ (by ~1e-4 on real files) from a sequential
decode; positions are exact all the same.

Thread-safety: an ``AudioReader`` holds an FFmpeg demuxer and decoder with a position; use
one reader per thread. Concurrent calls raise ``RuntimeError`` rather than corrupt state.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.layout import AudioLayout
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.container import InputContainer

from timeline.media.closing import ClosesOnExit
from timeline.media.probe import MediaProbeError

__all__ = [
    "AudioDecodeError",
    "AudioReader",
    "NoAudioStreamError",
    "compute_peaks",
    "load_or_compute_peaks",
    "peaks_cache_path",
]

# Decoded audio thrown away after a seek before samples are trusted: AAC and MP3 need a
# frame or two of history, Opus asks for 80 ms and a 5.1 Opus stream needs ~340 ms to
# become bit-identical to a sequential decode. Decoding half a second costs ~1 ms.
_DECODER_PREROLL = Fraction(1, 2)

# Source samples fed to a fresh resampler before its output is trusted (swr's default
# filter reaches ~16 samples either side; measured 16 differing outputs at 44.1->48 kHz).
_RESAMPLER_WARMUP = 256

# A read this far (seconds) beyond the decoded position keeps decoding instead of seeking.
_FORWARD_DECODE = 2

# Decoded samples (seconds) kept behind the last read, for short backward re-reads.
_KEEP_BEHIND = Fraction(1, 2)

# Extra distance (seconds) to seek back when a demuxer lands after the wanted time.
_SEEK_BACKOFF = (Fraction(1), Fraction(4), Fraction(16))

# Silence fed into the resampler per call when filling a gap between frames.
_GAP_CHUNK = 1 << 16

# Stream ends are found by decoding from this long (seconds) before the container's end.
_TAIL = 2

# Frame indexes of coarse-time-base streams, per file identity.
_INDEX_CACHE_SIZE = 32

# Bytes the demuxer may read to find stream parameters (FFmpeg's default is 5 MB).
_FAST_PROBE = {"probesize": str(1 << 16)}

_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}

_PEAKS_FORMAT_VERSION = 1
_PEAKS_CHUNK = 1 << 18  # target samples per sequential read while computing peaks


class AudioDecodeError(MediaProbeError):
    """The file's audio cannot be read. The message names the file and what to do."""


class NoAudioStreamError(AudioDecodeError):
    """The file holds no audio stream."""


# --------------------------------------------------------------------------------------
# Sample conversion


def _planar_float(frame: AudioFrame) -> np.ndarray:
    """A decoded frame as (channels, samples) float32 in [-1, 1], FFmpeg's scaling."""
    array = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if not frame.format.is_planar:
        array = array.reshape(-1, channels).T
    array = array[:, : frame.samples]
    kind = frame.format.name.rstrip("p")
    if kind == "flt":
        return np.ascontiguousarray(array, dtype=np.float32)
    if kind == "dbl":
        return array.astype(np.float32)
    if kind == "u8":
        return ((array.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    scale = {"s16": 2.0**15, "s32": 2.0**31, "s64": 2.0**63}.get(kind)
    if scale is None:
        raise ValueError(f"unsupported sample format {frame.format.name}")
    return (array.astype(np.float64) / scale).astype(np.float32)


def _layout_name(layout: AudioLayout) -> str:
    """A layout swresample can rematrix: unspecified orders get the usual default."""
    name = layout.name
    if "channels" in name:
        return _LAYOUTS.get(layout.nb_channels, name)
    return name


class _Converter:
    """Source-rate planar float -> target-rate interleaved float32, positioned by pts."""

    def __init__(self, src_rate: int, src_layout: str, dst_rate: int, dst_layout: str) -> None:
        self.src_rate = src_rate
        self.src_layout = src_layout
        self.dst_channels = AudioLayout(dst_layout).nb_channels
        self.passthrough = src_rate == dst_rate and AudioLayout(src_layout) == AudioLayout(
            dst_layout
        )
        self.resampler = (
            None
            if self.passthrough
            else AudioResampler(format="flt", layout=dst_layout, rate=dst_rate)
        )
        self.out_pos: int | None = None  # where the next output frame starts

    def feed(self, pos: int, data: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """``data`` (channels, n) starts at source sample ``pos``."""
        if self.resampler is None:
            return [(pos, np.ascontiguousarray(data.T))]
        frame = AudioFrame.from_ndarray(
            np.ascontiguousarray(data, dtype=np.float32), format="fltp", layout=self.src_layout
        )
        frame.sample_rate = self.src_rate
        frame.pts = pos
        frame.time_base = Fraction(1, self.src_rate)
        return self._collect(self.resampler.resample(frame))

    def flush(self) -> list[tuple[int, np.ndarray]]:
        if self.resampler is None:
            return []
        return self._collect(self.resampler.resample(None))

    def _collect(self, frames: list[AudioFrame]) -> list[tuple[int, np.ndarray]]:
        out = []
        for frame in frames:
            if frame.samples == 0:
                continue
            # aresample sets the output pts from the input pts minus its delay, in 1/rate.
            pos = frame.pts if frame.pts is not None else self.out_pos
            if pos is None:
                raise RuntimeError("the resampler returned a frame without a timestamp")
            array = frame.to_ndarray().reshape(-1, self.dst_channels)[: frame.samples]
            out.append((int(pos), np.array(array, dtype=np.float32)))
            self.out_pos = int(pos) + frame.samples
        return out


# --------------------------------------------------------------------------------------
# Placing decoded frames on the source-rate sample grid


@dataclass(frozen=True)
class _FrameIndex:
    """Where a sequential decode places each frame of a coarse-time-base stream."""

    pts: np.ndarray  # int64, sorted
    counts: np.ndarray  # samples per frame, same order
    positions: np.ndarray  # source sample of each frame's first sample
    first: int  # position of the first frame
    end: int  # one past the last decoded source sample

    def lookup(self, pts: int, count: int) -> int | None:
        i = int(np.searchsorted(self.pts, pts, side="left"))
        while i < self.pts.size and int(self.pts[i]) == pts:
            if int(self.counts[i]) == count:
                return int(self.positions[i])
            i += 1
        return None


class _Placer:
    """Source-rate position of each decoded frame (see the module docstring)."""

    def __init__(
        self,
        time_base: Fraction,
        src_rate: int,
        exact: bool,
        index: _FrameIndex | None,
        *,
        from_start: bool,
    ) -> None:
        self.num = time_base.numerator * src_rate  # pts * num / den = source samples
        self.den = time_base.denominator
        self.exact = exact
        self.index = index
        # Contiguity tolerance for coarse time bases: one tick of rounding at each end,
        # plus 1 ms of muxer jitter.
        self.tolerance = math.ceil(Fraction(self.num, self.den)) + max(1, src_rate // 1000)
        # From the start of the stream the run begins at sample 0 (a frame without a pts
        # goes there); after a seek nothing is known until a frame is anchored.
        self.next: int | None = 0 if from_start else None

    def _round(self, pts: int) -> int:
        return (2 * pts * self.num + self.den) // (2 * self.den)

    def place(self, pts: int | None, count: int) -> int | None:
        if pts is None:
            pos = self.next
        elif self.exact:
            pos = self._round(pts)
        elif self.next is None:
            pos = self.index.lookup(pts, count) if self.index is not None else self._round(pts)
        elif abs(pts * self.num - self.next * self.den) <= self.tolerance * self.den:
            pos = self.next
        else:
            pos = self._round(pts)  # a real gap or overlap: follow the timestamps
        if pos is not None:
            self.next = pos + count
        return pos


def _exact_time_base(time_base: Fraction, src_rate: int) -> bool:
    """Whether every source sample boundary is a whole number of time-base ticks."""
    return time_base.denominator % (time_base.numerator * src_rate) == 0


_index_cache: OrderedDict[tuple[object, ...], _FrameIndex] = OrderedDict()
_index_lock = threading.Lock()


# --------------------------------------------------------------------------------------
# The reader


class AudioReader(ClosesOnExit):
    """Float32 samples of a file's first audio stream at ``sample_rate`` and ``channels``.

    ``read(first, count)`` returns ``(count, channels)``; see the module docstring for the
    sample numbering and the exactness guarantees. Use one reader per thread.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, sample_rate: int, channels: int = 2
    ) -> None:
        if not isinstance(sample_rate, int) or sample_rate <= 0:
            raise ValueError(f"sample_rate must be a positive int, got {sample_rate!r}")
        if channels not in _LAYOUTS:
            raise ValueError(f"channels must be 1..8, got {channels!r}")
        given = Path(os.fspath(path)).expanduser()
        self._name = given.name or str(given)
        self._path = str(given.resolve())
        self.sample_rate = sample_rate
        self.channels = channels
        self._dst_layout = _LAYOUTS[channels]
        self._busy = threading.Lock()
        self._container: InputContainer | None = None
        self._closed = False

        container = self._open()
        try:
            stream = container.streams.audio[0]
            self._stream_index = stream.index
            self._time_base: Fraction = stream.time_base or Fraction(1, stream.rate or 1)
            # The first frame proves the stream decodes and gives the real rate and layout
            # (HE-AAC reports half its rate in the header; the decoded frames are right).
            frames = self._frames(container, stream)
            first = next(frames, None)
            if first is None:
                raise AudioDecodeError(
                    f"Cannot read the audio of '{self._name}': no audio could be decoded "
                    "(the file is damaged or truncated). Check that it plays elsewhere.",
                    self._path,
                )
        except BaseException:
            container.close()
            raise
        self._src_rate: int = first.sample_rate
        self._src_layout = _layout_name(first.layout)
        try:  # fail now, with the file's name, if swresample cannot mix this layout
            _Converter(self._src_rate, self._src_layout, sample_rate, self._dst_layout).feed(
                0, _planar_float(first)
            )
        except (av.error.FFmpegError, ValueError) as exc:
            container.close()
            raise AudioDecodeError(
                f"Cannot read the audio of '{self._name}': its {self._src_layout} audio at "
                f"{self._src_rate} Hz cannot be converted to {self._dst_layout} at "
                f"{sample_rate} Hz ({exc}).",
                self._path,
            ) from None
        self._exact = _exact_time_base(self._time_base, self._src_rate)
        divisor = math.gcd(self._src_rate, sample_rate)
        self._period_src = self._src_rate // divisor  # source samples per aligned period
        self._period_dst = sample_rate // divisor
        self._warmup = (
            0
            if self._src_rate == sample_rate
            else -(-_RESAMPLER_WARMUP // self._period_src) * self._period_src
        )
        self._preroll = math.ceil(_DECODER_PREROLL * self._src_rate)
        self._stream_info = (
            stream.start_time,
            stream.duration,
            container.duration,
        )

        first_pos = self._placer(from_start=True).place(first.pts, first.samples)
        self._first_src = max(0, first_pos or 0)
        self._feed_origin = self._first_src // self._period_src * self._period_src
        self._zero_before = self._to_dst_floor(self._feed_origin)

        self._end_src: int | None = None
        self._index: _FrameIndex | None = None
        # The decode run in progress: yields (target position, (n, channels) float32).
        self._container = container
        self._run: Iterator[tuple[int, np.ndarray]] | None = self._decode_run(
            iter([first]), frames, feed_from=None
        )
        self._run_fresh = True
        self._chunks: list[tuple[int, np.ndarray]] = []  # buffered, contiguous, in order
        self._valid_from = self._zero_before  # start of what the run can serve
        self._cursor = self._zero_before  # end of what it has produced so far
        self._eof = False

    # ---------------------------------------------------------------- public API

    @property
    def path(self) -> str:
        return self._path

    @property
    def source_sample_rate(self) -> int:
        return self._src_rate

    @property
    def start_sample(self) -> int:
        """First target sample holding decoded audio; earlier samples read as silence."""
        return self._to_dst_floor(self._first_src)

    @property
    def duration_samples(self) -> int:
        """One past the last sample of audio, counted from sample 0, at the target rate.

        Exact: found by decoding the stream's last seconds (or from the frame index), not
        taken from the container's header.
        """
        with self._claim():
            return self._end_dst()

    def read(self, first_sample: int, count: int) -> np.ndarray:
        """Samples ``[first_sample, first_sample + count)`` as ``(count, channels)`` float32.

        Positions before 0 or after the end read as zeros.
        """
        first_sample = int(first_sample)
        count = int(count)
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        out = np.zeros((count, self.channels), dtype=np.float32)
        with self._claim():
            if self._closed:
                raise ValueError(f"the audio reader of '{self._name}' is closed")
            lo = max(first_sample, self._zero_before)
            hi = first_sample + count
            if self._end_src is not None:
                hi = min(hi, self._end_dst())
            if lo >= hi:
                return out
            if not self._can_serve(lo):
                if self._end_src is None:
                    hi = min(hi, self._end_dst())  # never seek past the end
                    if lo >= hi:
                        return out
                self._reposition(lo)
            self._decode_until(hi)
            for pos, chunk in self._chunks:
                a = max(pos, lo)
                b = min(pos + len(chunk), hi)
                if a < b:
                    out[a - first_sample : b - first_sample] = chunk[a - pos : b - pos]
            self._trim_buffer(hi)
        return out

    def close(self) -> None:
        with self._claim():
            self._closed = True
            self._run = None
            self._chunks = []
            if self._container is not None:
                self._container.close()
                self._container = None

    def __repr__(self) -> str:
        return (
            f"AudioReader({self._name!r}, {self._src_rate} Hz -> {self.sample_rate} Hz, "
            f"{self.channels} ch)"
        )

    # ---------------------------------------------------------------- internals

    def _placer(self, *, from_start: bool = False, index: _FrameIndex | None = None) -> _Placer:
        return _Placer(self._time_base, self._src_rate, self._exact, index, from_start=from_start)

    def _claim(self) -> _Claim:
        return _Claim(self._busy)

    def _to_dst_floor(self, src: int) -> int:
        return src * self._period_dst // self._period_src

    def _end_dst(self) -> int:
        if self._end_src is None:
            self._end_src = self._find_end()
        # Target sample k lies inside the audio when k / dst < end / src.
        return -(-self._end_src * self._period_dst // self._period_src)

    def _open(self) -> InputContainer:
        try:
            # A small probe skips decoding video frames (a 4K file opens ~8x faster); the
            # audio stream's parameters come from headers, and are re-probed if missing.
            container = av.open(
                self._path, mode="r", metadata_errors="replace", options=_FAST_PROBE
            )
            audio = container.streams.audio
            if not audio or not audio[0].rate or audio[0].codec_context is None:
                container.close()
                container = av.open(self._path, mode="r", metadata_errors="replace")
        except FileNotFoundError:
            raise AudioDecodeError(
                f"Cannot read the audio of '{self._name}': file not found. "
                "Check the path or relink the media.",
                self._path,
            ) from None
        except (av.error.FFmpegError, OSError, EOFError, UnicodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise AudioDecodeError(
                f"Cannot read the audio of '{self._name}': the file is not a readable media "
                f"file ({reason}).",
                self._path,
            ) from None
        if not container.streams.audio:
            container.close()
            raise NoAudioStreamError(
                f"Cannot read the audio of '{self._name}': it has no audio stream. "
                "Use a file with sound, or leave this clip silent.",
                self._path,
            )
        stream = container.streams.audio[0]
        if stream.codec_context is None:
            container.close()
            raise AudioDecodeError(
                f"Cannot read the audio of '{self._name}': its audio codec cannot be decoded "
                "by this build of FFmpeg. Convert the file (e.g. to AAC or WAV).",
                self._path,
            )
        return container

    @staticmethod
    def _frames(container: InputContainer, stream: AudioStream) -> Iterator[AudioFrame]:
        """Decoded frames; damaged packets are skipped and a damaged tail ends the stream."""
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except (av.error.FFmpegError, OSError):
                return
            try:
                frames = stream.decode(packet)
            except av.error.EOFError:
                return
            except av.error.FFmpegError:
                continue
            yield from frames

    def _can_serve(self, lo: int) -> bool:
        """Whether the buffer or the current run can produce ``lo`` without seeking."""
        if self._run is None and not self._eof:
            return False
        floor = self._chunks[0][0] if self._chunks else self._cursor
        if lo < max(floor, self._valid_from):
            return False
        return lo <= self._cursor + _FORWARD_DECODE * self.sample_rate

    def _decode_until(self, hi: int) -> None:
        while self._cursor < hi and self._run is not None:
            self._run_fresh = False
            item = next(self._run, None)
            if item is None:
                self._run = None
                self._eof = True
                self._cursor = max(self._cursor, self._end_dst())
                break
            pos, chunk = item
            end = self._end_dst() if self._end_src is not None else None
            a = max(pos, self._valid_from)
            b = pos + len(chunk) if end is None else min(pos + len(chunk), end)
            if a >= b:
                continue
            chunk = chunk[a - pos : b - pos]
            if self._chunks:
                last_pos, last = self._chunks[-1]
                if a < last_pos + len(last):  # never overwrite what was served
                    cut = last_pos + len(last) - a
                    if cut >= len(chunk):
                        continue
                    chunk, a = chunk[cut:], a + cut
            self._chunks.append((a, chunk))
            self._cursor = a + len(chunk)

    def _trim_buffer(self, end: int) -> None:
        """Drop buffered samples more than ``_KEEP_BEHIND`` before ``end``."""
        keep_from = end - int(_KEEP_BEHIND * self.sample_rate)
        while self._chunks and self._chunks[0][0] + len(self._chunks[0][1]) <= keep_from:
            self._chunks.pop(0)

    def _reset_buffer(self, valid_from: int) -> None:
        self._chunks = []
        self._valid_from = valid_from
        self._cursor = valid_from
        self._eof = False

    def _reposition(self, lo: int) -> None:
        """Start a decode run whose output is valid from at or before target sample ``lo``."""
        need_src = lo * self._period_src // self._period_dst
        feed_from = (need_src - self._warmup) // self._period_src * self._period_src
        if feed_from - self._preroll > self._first_src and self._seek_run(feed_from):
            return
        self._start_from_beginning()

    def _start_from_beginning(self) -> None:
        if not self._run_fresh:
            container = self._open()
            if self._container is not None:
                self._container.close()
            self._container = container
            stream = container.streams[self._stream_index]
            assert isinstance(stream, AudioStream)
            frames = self._frames(container, stream)
            self._run = self._decode_run(iter(()), frames, feed_from=None)
        self._run_fresh = False
        self._reset_buffer(self._zero_before)

    def _seek_run(self, feed_from: int) -> bool:
        """Seek before ``feed_from`` and start a run from there; False if no seek serves."""
        container = self._container
        assert container is not None
        stream = container.streams[self._stream_index]
        assert isinstance(stream, AudioStream)
        index = None if self._exact else self._frame_index()
        target = feed_from - self._preroll
        for backoff in (Fraction(0), *_SEEK_BACKOFF):
            seek_src = target - math.ceil(backoff * self._src_rate)
            if seek_src <= self._first_src:
                return False
            timestamp = math.floor(Fraction(seek_src, self._src_rate) / self._time_base)
            try:
                container.seek(timestamp, stream=stream, backward=True, any_frame=False)
            except (av.error.FFmpegError, OSError):
                return False
            self._run_fresh = False
            placer = self._placer(index=index)
            frames = self._frames(container, stream)
            landed: AudioFrame | None = None
            landing = 0
            for frame in frames:
                if frame.sample_rate != self._src_rate:
                    continue
                pos = placer.place(frame.pts, frame.samples)
                if pos is not None:
                    landed, landing = frame, pos
                    break
            if landed is None or landing > target:
                continue  # hit the end or landed too late: seek from further back
            valid_from = self._to_dst_floor(feed_from + self._warmup)
            self._run = self._decode_run(
                iter([landed]), frames, feed_from=feed_from, placer=placer, first_position=landing
            )
            self._reset_buffer(valid_from)
            return True
        return False

    def _decode_run(
        self,
        pending: Iterator[AudioFrame],
        frames: Iterator[AudioFrame],
        *,
        feed_from: int | None,
        placer: _Placer | None = None,
        first_position: int | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Place frames, fill gaps, feed one resampler from ``feed_from`` (None: from the
        aligned start of the stream) and yield its positioned output."""
        if placer is None:
            placer = self._placer(from_start=True)
        fed = self._feed_origin if feed_from is None else feed_from
        converter: _Converter | None = None
        layout = self._src_layout

        def positioned() -> Iterator[tuple[AudioFrame, int]]:
            first = True
            for frame in _chain(pending, frames):
                if frame.sample_rate != self._src_rate:
                    continue  # a mid-stream rate change is not supported: silence
                if first and first_position is not None:
                    first = False
                    yield frame, first_position  # already placed by the seek
                    continue
                first = False
                pos = placer.place(frame.pts, frame.samples)
                if pos is not None:
                    yield frame, pos

        for frame, pos in positioned():
            count = frame.samples
            if pos + count <= fed:
                continue
            frame_layout = _layout_name(frame.layout)
            if converter is None or frame_layout != layout:
                if converter is not None:
                    yield from converter.flush()
                layout = frame_layout
                converter = _Converter(self._src_rate, layout, self.sample_rate, self._dst_layout)
            while fed < pos:  # a gap, or the lead-in from the aligned start
                n = min(pos - fed, _GAP_CHUNK)
                channels = AudioLayout(layout).nb_channels
                yield from converter.feed(fed, np.zeros((channels, n), np.float32))
                fed += n
            data = _planar_float(frame)
            if fed > pos:
                data = data[:, fed - pos :]  # overlap with what was fed, or before the start
            yield from converter.feed(fed, data)
            fed += data.shape[1]
        if converter is not None:
            yield from converter.flush()
        if self._end_src is None:
            self._end_src = fed  # reached the end of the stream

    def _find_end(self) -> int:
        """One past the last source sample, exactly."""
        if not self._exact:
            return self._frame_index().end
        start_time, duration, container_duration = self._stream_info
        estimate: Fraction | None = None
        if duration is not None:
            estimate = (Fraction(start_time or 0) + duration) * self._time_base
        elif container_duration is not None:
            estimate = Fraction(container_duration, av.time_base)
        container = self._open()
        try:
            stream = container.streams[self._stream_index]
            assert isinstance(stream, AudioStream)
            end = self._scan_end(container, stream, estimate)
            if end is None and estimate is not None:
                container.close()
                container = self._open()
                stream = container.streams[self._stream_index]
                assert isinstance(stream, AudioStream)
                end = self._scan_end(container, stream, None)
        finally:
            container.close()
        return max(end or 0, self._first_src)

    def _scan_end(
        self, container: InputContainer, stream: AudioStream, estimate: Fraction | None
    ) -> int | None:
        placer = self._placer(from_start=estimate is None or estimate <= _TAIL)
        if estimate is not None and estimate > _TAIL:
            try:
                container.seek(
                    math.floor((estimate - _TAIL) / self._time_base),
                    stream=stream,
                    backward=True,
                )
            except (av.error.FFmpegError, OSError):
                return None
        end: int | None = None
        for frame in self._frames(container, stream):
            if frame.sample_rate != self._src_rate:
                continue
            pos = placer.place(frame.pts, frame.samples)
            if pos is not None:
                end = max(end or 0, pos + frame.samples)
        return end

    def _frame_index(self) -> _FrameIndex:
        if self._index is not None:
            return self._index
        try:
            stat = os.stat(self._path)
            key: tuple[object, ...] = (
                self._path,
                stat.st_size,
                stat.st_mtime_ns,
                self._stream_index,
            )
        except OSError:
            key = (self._path, id(self))
        with _index_lock:
            index = _index_cache.get(key)
            if index is not None:
                _index_cache.move_to_end(key)
        if index is None:
            index = self._build_index()
            with _index_lock:
                _index_cache[key] = index
                while len(_index_cache) > _INDEX_CACHE_SIZE:
                    _index_cache.popitem(last=False)
        self._index = index
        return index

    def _build_index(self) -> _FrameIndex:
        """Decode the whole stream once (no resampling) and record each frame's place."""
        container = self._open()
        pts_list: list[int] = []
        counts: list[int] = []
        positions: list[int] = []
        end = 0
        try:
            stream = container.streams[self._stream_index]
            assert isinstance(stream, AudioStream)
            placer = self._placer(from_start=True)
            for frame in self._frames(container, stream):
                if frame.sample_rate != self._src_rate:
                    continue
                pos = placer.place(frame.pts, frame.samples)
                if pos is None:
                    continue
                if frame.pts is not None:
                    pts_list.append(frame.pts)
                    counts.append(frame.samples)
                    positions.append(pos)
                end = max(end, pos + frame.samples)
        finally:
            container.close()
        pts = np.asarray(pts_list, dtype=np.int64)
        order = np.argsort(pts, kind="stable")
        return _FrameIndex(
            pts=pts[order],
            counts=np.asarray(counts, dtype=np.int64)[order],
            positions=np.asarray(positions, dtype=np.int64)[order],
            first=positions[0] if positions else 0,
            end=end,
        )


def _chain(*iterators: Iterator[AudioFrame]) -> Iterator[AudioFrame]:
    for it in iterators:
        yield from it


class _Claim:
    """Non-blocking ownership of a reader for one call."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise RuntimeError(
                "an AudioReader is used by one thread at a time; open one reader per thread"
            )

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


# --------------------------------------------------------------------------------------
# Waveform peaks


def compute_peaks(
    path: str | os.PathLike[str], *, sample_rate: int, samples_per_bin: int, channels: int = 2
) -> np.ndarray:
    """(min, max) of every ``samples_per_bin`` samples: float32 ``(bins, channels, 2)``.

    One sequential decode of the whole stream (no per-bin seeks). The last bin covers what
    is left; ``bins = ceil(duration_samples / samples_per_bin)``.
    """
    if not isinstance(samples_per_bin, int) or samples_per_bin <= 0:
        raise ValueError(f"samples_per_bin must be a positive int, got {samples_per_bin!r}")
    with AudioReader(path, sample_rate=sample_rate, channels=channels) as reader:
        total = reader.duration_samples
        bins = -(-total // samples_per_bin)
        peaks = np.zeros((bins, channels, 2), dtype=np.float32)
        step = max(1, _PEAKS_CHUNK // samples_per_bin) * samples_per_bin
        for start in range(0, total, step):
            count = min(step, total - start)
            data = reader.read(start, count)
            whole = -(-count // samples_per_bin)
            if whole * samples_per_bin != count:
                # Repeat the last sample into the partial bin: min/max stay the data's own.
                data = np.pad(data, ((0, whole * samples_per_bin - count), (0, 0)), mode="edge")
            blocks = data.reshape(whole, samples_per_bin, channels)
            first_bin = start // samples_per_bin
            peaks[first_bin : first_bin + whole, :, 0] = blocks.min(axis=1)
            peaks[first_bin : first_bin + whole, :, 1] = blocks.max(axis=1)
    return peaks


def peaks_cache_path(
    path: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str],
    *,
    sample_rate: int,
    samples_per_bin: int,
    channels: int = 2,
    key: str | None = None,
) -> Path:
    """The ``.npy`` file that caches these peaks: sha256 of the file's identity (resolved
    path, size, mtime) or of ``key``, and of the peak parameters."""
    if key is None:
        resolved = Path(os.fspath(path)).expanduser().resolve()
        try:
            stat = resolved.stat()
        except OSError as exc:
            raise AudioDecodeError(
                f"Cannot read the audio of '{resolved.name}': {exc.strerror or exc}. "
                "Check the path or relink the media.",
                str(resolved),
            ) from None
        identity = f"{resolved}\0{stat.st_size}\0{stat.st_mtime_ns}"
    else:
        identity = f"key\0{key}"
    text = f"{_PEAKS_FORMAT_VERSION}\0{identity}\0{sample_rate}\0{samples_per_bin}\0{channels}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return Path(os.fspath(cache_dir)) / f"peaks-{digest}.npy"


def load_or_compute_peaks(
    path: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str],
    *,
    sample_rate: int,
    samples_per_bin: int,
    channels: int = 2,
    key: str | None = None,
) -> np.ndarray:
    """:func:`compute_peaks`, cached as a ``.npy`` in ``cache_dir``.

    A missing, unreadable or malformed cache file is recomputed and rewritten; a cache
    that cannot be written is not an error (the peaks are still returned).
    """
    target = peaks_cache_path(
        path,
        cache_dir,
        sample_rate=sample_rate,
        samples_per_bin=samples_per_bin,
        channels=channels,
        key=key,
    )
    try:
        cached = np.load(target, allow_pickle=False)
        if (
            isinstance(cached, np.ndarray)
            and cached.dtype == np.float32
            and cached.ndim == 3
            and cached.shape[1:] == (channels, 2)
            and bool(np.all(cached[..., 0] <= cached[..., 1]))
        ):
            return cached
    except (OSError, ValueError, EOFError):
        pass
    peaks = compute_peaks(
        path, sample_rate=sample_rate, samples_per_bin=samples_per_bin, channels=channels
    )
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as fh:
            np.save(fh, peaks, allow_pickle=False)
        os.replace(temporary, target)
    except OSError:
        pass  # an unwritable cache costs a recompute next time, nothing more
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:  # e.g. the cache "folder" is a file: there is nothing to clean up
            pass
    return peaks
