"""Still images out: PNG encoding of rendered frames through PyAV's png encoder (no PIL)."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np


def encode_png(picture: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3) RGB or (H, W, 4) RGBA uint8 array, lossless."""
    if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] not in (3, 4):
        raise ValueError(f"expected (H, W, 3|4) uint8, got {picture.shape} {picture.dtype}")
    fmt = "rgba" if picture.shape[2] == 4 else "rgb24"
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format=fmt)
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height = picture.shape[1], picture.shape[0]
    codec.pix_fmt = fmt
    packets = list(codec.encode(frame)) + list(codec.encode(None))
    return b"".join(bytes(p) for p in packets)


def write_png(path: str | os.PathLike[str], picture: np.ndarray) -> Path:
    """Write atomically: a partial file never appears under the final name."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_bytes(encode_png(picture))
    os.replace(tmp, path)
    return path


def read_png(path: str | os.PathLike[str]) -> np.ndarray:
    """(H, W, 4) RGBA uint8 of a PNG (for tests and reference stills)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgba")
