"""Take media on disk: lossless FFV1 in Matroska, and the hash of the decoded frames; audio
takes as float32 WAV and the hash of the decoded samples.

FFV1 with packed RGB (``bgr0``) stores the model's uint8 RGB exactly: rgb24 -> bgr0 is a
byte reorder, no colour conversion, so decoding gives back the very bytes the model made
and ``frames_hash`` of the file equals the hash taken while writing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


@dataclass(frozen=True)
class WrittenTake:
    path: Path
    frames_hash: str
    frame_count: int
    width: int
    height: int


class FrameHasher:
    """SHA-256 over each frame's shape and bytes, in order: equal hashes = equal frames."""

    def __init__(self) -> None:
        self._h = hashlib.sha256(b"takeline-frames/1")
        self.count = 0

    def add(self, frame: np.ndarray) -> None:
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        self._h.update(np.asarray(frame.shape, dtype=np.int64).tobytes())
        self._h.update(frame.tobytes())
        self.count += 1

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def frames_hash(frames: Iterable[np.ndarray]) -> str:
    h = FrameHasher()
    for f in frames:
        h.add(f)
    return h.hexdigest()


def write_take(frames: Iterable[np.ndarray], fps: Fraction, path: Path) -> WrittenTake:
    """Encode (H, W, 3) uint8 frames losslessly; the file appears only when complete."""
    tmp = path.with_name(path.name + ".part")
    hasher = FrameHasher()
    size: tuple[int, int] | None = None
    try:
        # bitexact: no random segment UID or date in the file, so the same frames make the
        # same bytes and the content-addressed store keeps one copy.
        with av.open(str(tmp), "w", format="matroska",
                     container_options={"fflags": "+bitexact"}) as out:
            stream = out.add_stream("ffv1", rate=fps, options={"flags": "+bitexact"})
            stream.pix_fmt = "bgr0"
            stream.codec_context.time_base = Fraction(1) / fps
            for i, frame in enumerate(frames):
                frame = np.ascontiguousarray(frame, dtype=np.uint8)
                if size is None:
                    size = (frame.shape[1], frame.shape[0])
                    stream.width, stream.height = size
                elif (frame.shape[1], frame.shape[0]) != size:
                    raise ValueError("all frames of a take must have the same size")
                hasher.add(frame)
                vf = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="bgr0")
                vf.pts = i
                vf.time_base = stream.codec_context.time_base
                out.mux(stream.encode(vf))
            if size is None:
                raise ValueError("the model produced no frames")
            out.mux(stream.encode(None))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return WrittenTake(path, hasher.hexdigest(), hasher.count, size[0], size[1])


def read_take(path: Path) -> Iterator[np.ndarray]:
    """The take's frames as (H, W, 3) uint8, exactly as stored."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


# ------------------------------------------------------------------------------ audio
#
# An audio take is a float32 WAV (pcm_f32le): the very samples the model produced, peaks
# above 1.0 included (an integer format, FLAC among them, would round and clip them). The
# samples hash is over the decoded (channels, samples) array, so a re-run proves itself
# against the recipe without trusting the container's bytes.


@dataclass(frozen=True)
class WrittenAudio:
    path: Path
    samples_hash: str
    sample_rate: int
    channels: int
    samples: int


def samples_hash(audio: np.ndarray) -> str:
    """SHA-256 over the (channels, samples) float32 array's shape and little-endian bytes."""
    arr = np.ascontiguousarray(audio, dtype="<f4")
    if arr.ndim != 2:
        raise ValueError("audio is (channels, samples)")
    h = hashlib.sha256(b"takeline-samples/1")
    h.update(np.asarray(arr.shape, dtype="<i8").tobytes())
    h.update(arr.tobytes())
    return h.hexdigest()


_AUDIO_LAYOUTS = {1: "mono", 2: "stereo"}


def write_audio_take(audio: np.ndarray, sample_rate: int, path: Path) -> WrittenAudio:
    """Write (channels, samples) float32 losslessly as WAV; the file appears only when
    complete. Bit-exact: the same samples make the same bytes."""
    arr = np.ascontiguousarray(audio, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError("the model produced no audio samples")
    channels, count = arr.shape
    layout = _AUDIO_LAYOUTS.get(channels)
    if layout is None:
        raise ValueError(f"audio takes are mono or stereo; the model made {channels} channels")
    tmp = path.with_name(path.name + ".part")
    try:
        with av.open(str(tmp), "w", format="wav",
                     container_options={"fflags": "+bitexact"}) as out:
            stream = out.add_stream("pcm_f32le", rate=sample_rate, layout=layout)
            block = 1 << 16
            for i in range(0, count, block):
                piece = np.ascontiguousarray(arr[:, i:i + block])
                frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout=layout)
                frame.sample_rate = sample_rate
                frame.pts = i
                frame.time_base = Fraction(1, sample_rate)
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return WrittenAudio(path, samples_hash(arr), int(sample_rate), channels, count)


def read_audio_take(path: Path) -> tuple[np.ndarray, int]:
    """The take's samples as (channels, samples) float32, exactly as stored, and its rate."""
    parts: list[np.ndarray] = []
    rate = 0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        for frame in container.decode(stream):
            data = frame.to_ndarray()
            if frame.format.is_planar:
                parts.append(np.asarray(data, dtype=np.float32))
            else:
                parts.append(np.asarray(data, dtype=np.float32).reshape(
                    -1, frame.layout.nb_channels).T)
    if not parts:
        raise ValueError(f"{path} holds no audio")
    return np.ascontiguousarray(np.concatenate(parts, axis=1)), int(rate)
