"""The limits on what Takeline accepts, each stated once.

Everything that arrives from outside (the command line, JSON edit lists, the window's
fields, picture files) is checked against these before it reaches the model, a decoder or
an encoder. The CLI and the window only report the error; they never re-derive a limit.

- Frames: positions, durations and source positions are below ``MAX_FRAMES`` (2**53), so
  they are exact as a double (JSON readers in other languages, SQLite's REAL fallback never
  sees them) and their sums never overflow SQLite's 64-bit integers. 2**53 frames at 240 fps
  is over a million years.
- Frame sizes: at most ``MAX_FRAME_SIDE`` pixels a side, and a render is refused when the
  memory it would need is more than this machine has available.
- Sample rates: at most ``MAX_SAMPLE_RATE`` (768 kHz, the highest any interface records).
- JSON (edit lists): at most ``MAX_JSON_DEPTH`` levels deep and ``MAX_OPERATIONS`` entries.
- Strings: valid text (no lone surrogates: they cannot be stored as UTF-8).
- Pictures: at most ``MAX_PICTURE_PIXELS`` pixels, checked from the header before decoding.
"""

from __future__ import annotations

import math
import os
from typing import Any

MAX_FRAMES = 2**53
MAX_FRAME_SIDE = 16384
# What one frame in flight costs while rendering: the compositor's float32 RGB + alpha and
# its temporaries, the converted frame and the frames queued for the encoder.
BYTES_PER_RENDERED_PIXEL = 48
MAX_SAMPLE_RATE = 768_000
MAX_JSON_DEPTH = 64
MAX_OPERATIONS = 100_000
MAX_PICTURE_PIXELS = MAX_FRAME_SIDE * MAX_FRAME_SIDE


class LimitError(ValueError):
    """A value outside what Takeline accepts; the message names the value and the limit."""


def is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_frame(value: Any, what: str = "a frame") -> int:
    """A frame number or count: a whole number in [0, MAX_FRAMES)."""
    if not is_whole(value) or not 0 <= value < MAX_FRAMES:
        raise LimitError(f"{what} must be a whole number from 0 to 2^53-1, not {value!r}")
    return int(value)


def check_frame_size(width: Any, height: Any, what: str = "frame size") -> tuple[int, int]:
    """A picture size: whole, positive, at most MAX_FRAME_SIDE a side."""
    if not (is_whole(width) and is_whole(height)) or width <= 0 or height <= 0:
        raise LimitError(f"{what} must be two positive whole numbers, not {width}x{height}")
    if width > MAX_FRAME_SIDE or height > MAX_FRAME_SIDE:
        raise LimitError(f"{what} {width}x{height} is too large: at most {MAX_FRAME_SIDE} "
                         "pixels a side")
    return int(width), int(height)


def available_memory() -> int | None:
    """Bytes this process could still get (MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_render_size(width: Any, height: Any, *, frames_in_flight: int = 8,
                      what: str = "frame size") -> tuple[int, int]:
    """A size to render at: within MAX_FRAME_SIDE, and the memory it needs available now
    (checked before the first frame, rather than grown into until the kernel kills us)."""
    width, height = check_frame_size(width, height, what)
    need = width * height * BYTES_PER_RENDERED_PIXEL * frames_in_flight
    have = available_memory()
    if have is not None and need > have:
        raise LimitError(f"{what} {width}x{height} needs about {_gib(need)} of memory to "
                         f"render; this machine has {_gib(have)} available. Use a smaller "
                         "size")
    return width, height


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value):
        raise LimitError(f"{what} must be a finite number, not {value!r}")
    return float(value)


def check_text(value: str, what: str = "text") -> str:
    """Valid text: it must encode as UTF-8 (a lone surrogate from JSON cannot)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise LimitError(f"{what} is not valid text (it holds a lone surrogate "
                         f"{value.encode('utf-8', 'backslashreplace').decode('ascii')!r})"
                         ) from None
    return value


def check_json_value(value: Any, what: str = "the JSON", *, depth: int = 0) -> None:
    """JSON of sane shape: nested at most MAX_JSON_DEPTH deep, strings valid text, numbers
    finite (json.loads accepts NaN and Infinity)."""
    if depth > MAX_JSON_DEPTH:
        raise LimitError(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        check_text(value, f"a string in {what}")
    elif isinstance(value, float):
        check_finite(value, f"a number in {what}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                check_text(key, f"a key in {what}")
            check_json_value(item, what, depth=depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            check_json_value(item, what, depth=depth + 1)


__all__ = [
    "BYTES_PER_RENDERED_PIXEL", "MAX_FRAMES", "MAX_FRAME_SIDE", "MAX_JSON_DEPTH",
    "MAX_OPERATIONS", "MAX_PICTURE_PIXELS", "MAX_SAMPLE_RATE", "LimitError",
    "available_memory", "check_finite", "check_frame", "check_frame_size",
    "check_json_value", "check_render_size", "check_text", "is_whole",
]
