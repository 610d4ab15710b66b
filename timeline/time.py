"""Exact time: integer frames at a rational rate, integer audio samples, half-open ranges.

Floats never carry time here. A rate is a ``Fraction`` (29.97 is 30000/1001), a position
is an ``int`` frame or sample count, and a range is ``[start, start + duration)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

# The NTSC family is written as decimals by people and tools; they mean the exact x/1001
# rates. Anything else given as a decimal is taken literally (25.0 -> 25).
_NTSC_DECIMALS: dict[str, Fraction] = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}


class TimeError(ValueError):
    """A time value that cannot be represented exactly or makes no sense."""


def parse_rate(text: str | int | Fraction) -> Fraction:
    """Parse a frame rate: "24000/1001", "24", "23.976" (NTSC decimals map to x/1001)."""
    if isinstance(text, Fraction):
        rate = text
    elif isinstance(text, int):
        rate = Fraction(text)
    else:
        s = text.strip()
        try:
            if s in _NTSC_DECIMALS:
                rate = _NTSC_DECIMALS[s]
            elif "/" in s:
                num, den = s.split("/", 1)
                rate = Fraction(int(num), int(den))
            else:
                rate = Fraction(s)
        except (ValueError, ZeroDivisionError) as exc:
            raise TimeError(
                f"Invalid frame rate {text!r}: write it as 'num/den' (e.g. 24000/1001) or a number"
            ) from exc
    if rate <= 0:
        raise TimeError(f"Invalid frame rate {text!r}: it must be positive")
    return rate


def format_rate(rate: Fraction) -> str:
    """The exact 'num/den' form used in JSON and the database."""
    return f"{rate.numerator}/{rate.denominator}"


def first_sample_of_frame(frame: int, sample_rate: int, fps: Fraction) -> int:
    """floor(frame * sample_rate / fps), exactly; never accumulate per-frame rounded counts."""
    return (frame * sample_rate * fps.denominator) // fps.numerator


def frame_at_sample(sample: int, sample_rate: int, fps: Fraction) -> int:
    """The frame whose sample span contains ``sample`` (inverse of ``first_sample_of_frame``)."""
    # Largest n with floor(n*sr/fps) <= sample; start from the exact quotient and correct.
    n = (sample * fps.numerator) // (sample_rate * fps.denominator)
    while first_sample_of_frame(n + 1, sample_rate, fps) <= sample:
        n += 1
    while n > 0 and first_sample_of_frame(n, sample_rate, fps) > sample:
        n -= 1
    return n


def frames_to_seconds(frames: int, fps: Fraction) -> Fraction:
    return Fraction(frames) / fps


def seconds_to_frames_floor(seconds: Fraction, fps: Fraction) -> int:
    """Whole frames that fit in ``seconds`` (a clip's usable length at the sequence rate)."""
    return math.floor(seconds * fps)


def timecode(frame: int, fps: Fraction) -> str:
    """SMPTE timecode label. Drop-frame (';') for 29.97/59.94, non-drop otherwise."""
    sign = "-" if frame < 0 else ""
    frame = abs(frame)
    nominal = math.ceil(fps)  # 24000/1001 counts 24 frames a "second"
    drop = fps.denominator == 1001 and nominal in (30, 60)
    if drop:
        # SMPTE 12M: skip frame numbers 0 and 1 (0-3 at 60) each minute except every tenth.
        dropped = 2 if nominal == 30 else 4
        per_10min = nominal * 600 - dropped * 9
        per_min = nominal * 60 - dropped
        tens, rem = divmod(frame, per_10min)
        if rem > dropped:
            frame += dropped * 9 * tens + dropped * ((rem - dropped) // per_min)
        else:
            frame += dropped * 9 * tens
    ff = frame % nominal
    total_seconds = frame // nominal
    ss = total_seconds % 60
    mm = (total_seconds // 60) % 60
    hh = total_seconds // 3600
    sep = ";" if drop else ":"
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:02d}"


@dataclass(frozen=True, order=True)
class FrameRange:
    """Half-open range of frames ``[start, start + duration)``."""

    start: int
    duration: int

    def __post_init__(self) -> None:
        if self.duration < 0:
            raise TimeError(f"A range cannot have a negative duration ({self.duration})")

    @property
    def end(self) -> int:
        return self.start + self.duration

    def contains(self, frame: int) -> bool:
        return self.start <= frame < self.end

    def overlaps(self, other: FrameRange) -> bool:
        return self.start < other.end and other.start < self.end

    def intersection(self, other: FrameRange) -> FrameRange | None:
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        return FrameRange(start, end - start) if end > start else None

    def shifted(self, delta: int) -> FrameRange:
        return FrameRange(self.start + delta, self.duration)
