"""How a generated take's frames map onto its segment (conforming), Qt- and torch-free.

A model makes ``frame_count`` frames at its own rate and size (Wan: 4k+1 frames at 16 fps;
LTX: 8k+1 at 24/25 fps), which rarely match the segment's duration at the sequence rate.
Conforming is an explicit, recorded choice, stored with the take:

- ``"retime"``: the take's frames are spread evenly over the segment (a 2 s take on a 3 s
  segment plays in slow motion). The default: the whole take is always seen.
- ``"native"``: the take plays at its own rate, starting at the segment's first frame; past
  its last frame the last frame holds.

The picture is fitted to the sequence frame by ``fit`` ("cover": scale to fill and crop the
overflow, centred; "contain": letterbox), the same fitting the compositor uses for clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from timeline.time import format_rate

FRAME_MAPS = ("retime", "native")


@dataclass(frozen=True)
class Conform:
    frame_map: str = "retime"
    fit: str = "cover"
    # What the take holds and what it fills.
    take_frames: int = 1
    take_fps: Fraction = Fraction(24)
    segment_frames: int = 1
    sequence_fps: Fraction = Fraction(24)
    # First frame of the take that belongs to the segment: >0 when the model was given
    # context frames before the regenerated range (sub-range regeneration).
    take_offset: int = 0

    def __post_init__(self) -> None:
        if self.frame_map not in FRAME_MAPS:
            raise ValueError(f"frame_map must be one of {FRAME_MAPS}, not {self.frame_map!r}")
        if self.take_frames < 1 or self.segment_frames < 1:
            raise ValueError("a conform needs at least one take frame and one segment frame")

    def take_frame(self, offset_in_segment: int) -> int:
        """The take frame shown ``offset_in_segment`` frames into the segment (exact integer
        arithmetic; clamped to the take's frames)."""
        usable = self.take_frames - self.take_offset
        if self.frame_map == "retime":
            i = offset_in_segment * usable // self.segment_frames
        else:
            # Frame n of the segment starts at n / sequence_fps seconds.
            i = int(Fraction(offset_in_segment) * self.take_fps / self.sequence_fps)
        return self.take_offset + max(0, min(usable - 1, i))

    def to_json(self) -> dict[str, Any]:
        return {
            "frame_map": self.frame_map, "fit": self.fit, "take_frames": self.take_frames,
            "take_fps": format_rate(self.take_fps),
            "segment_frames": self.segment_frames,
            "sequence_fps": format_rate(self.sequence_fps),
            "take_offset": self.take_offset,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Conform:
        return cls(
            frame_map=d["frame_map"], fit=d.get("fit", "cover"), take_frames=d["take_frames"],
            take_fps=Fraction(d["take_fps"]), segment_frames=d["segment_frames"],
            sequence_fps=Fraction(d["sequence_fps"]), take_offset=d.get("take_offset", 0),
        )
