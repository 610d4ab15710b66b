"""Take media on disk: lossless FFV1 in Matroska, and the hash of the decoded frames.

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
