"""Still images: PNG encoding of rendered frames through PyAV's png encoder, and the check
every picture file passes before anything decodes it."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from timeline.limits import MAX_FRAME_SIDE, MAX_PICTURE_PIXELS


class PictureError(ValueError):
    """A picture file that cannot be used; the message names the file and why."""


def check_picture_file(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) of a picture file, read from its header only; refused when it is
    not a readable picture or is larger than ``timeline.limits`` allows, before a decoder
    spends the memory (a 16k x 16k PNG is a gigabyte decoded)."""
    from PIL import Image, UnidentifiedImageError

    from timeline.media.probe import MediaProbeError, check_media_path

    path = Path(path)
    shown = os.fsencode(path).decode("utf-8", "backslashreplace")
    try:
        check_media_path(path)
    except MediaProbeError as exc:
        raise PictureError(str(exc)) from None
    if not path.is_file():
        raise PictureError(f"no image at {shown}")
    try:
        with Image.open(path) as im:  # reads the header, decodes nothing
            width, height = im.size
            if width * height <= MAX_PICTURE_PIXELS:
                im.verify()  # the file's structure (checksums), without decoding pixels
    except Image.DecompressionBombError:
        raise PictureError(f"{shown} is too large a picture: at most {MAX_FRAME_SIDE} "
                           "pixels a side") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise PictureError(f"{shown} is not a readable picture ({exc}); use a PNG or JPEG"
                           ) from None
    if width * height > MAX_PICTURE_PIXELS or max(width, height) > MAX_FRAME_SIDE:
        raise PictureError(f"{shown} is {width}x{height}, too large a picture: at most "
                           f"{MAX_FRAME_SIDE} pixels a side")
    if width <= 0 or height <= 0:
        raise PictureError(f"{shown} has no pixels ({width}x{height})")
    return width, height


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
    try:
        tmp.write_bytes(encode_png(picture))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise
    return path


def read_png(path: str | os.PathLike[str]) -> np.ndarray:
    """(H, W, 4) RGBA uint8 of a PNG (for tests and reference stills)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgba")
