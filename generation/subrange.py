"""Regenerating a sub-range of a segment, keeping the rest of the active take as context.

The base take is first conformed to the segment (one frame per sequence frame). A window
around the range (the range plus ``handles`` frames each side) is what the model sees:

- VACE (temporal mask): the window's frames resampled to the model's rate are the control
  video; frames outside the range are kept (mask black), the range is regenerated (white).
- image-to-video models (no mask): the last frame before the range and the first frame after
  it become the first/last-frame conditioning.

The model's frames for the range are then spliced into the base, with an optional short
crossfade at each seam, into a new take at the sequence rate. The seams are measured (mean
absolute difference across each cut against the base's typical frame-to-frame difference),
so a bad join shows up as a number in the take's recipe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from generation.backends.base import UnsupportedRequest
from generation.take_media import read_take, write_take
from timeline.conform import Conform


@dataclass(frozen=True)
class SubRange:
    start: int  # segment frames, half-open
    end: int
    handles: int = 8
    crossfade: int = 0


def conformed_frames(path: Path, conform: Conform) -> list[np.ndarray]:
    """The base take as one frame per segment frame."""
    frames = list(read_take(path))
    return [frames[min(len(frames) - 1, conform.take_frame(i))]
            for i in range(conform.segment_frames)]


def window_for(sub: SubRange, segment_frames: int) -> tuple[int, int]:
    if not 0 <= sub.start < sub.end <= segment_frames:
        raise UnsupportedRequest(
            f"the range {sub.start}:{sub.end} is not inside the segment (0:{segment_frames})")
    if sub.start == 0 and sub.end == segment_frames:
        raise UnsupportedRequest("the range is the whole segment: generate it instead")
    return max(0, sub.start - sub.handles), min(segment_frames, sub.end + sub.handles)


def model_to_segment(j: int, window_start: int, model_fps: Fraction,
                     sequence_fps: Fraction) -> int:
    """The segment frame shown at model frame j of the window (same instant)."""
    return window_start + int(Fraction(j) * sequence_fps / model_fps)


def prepare(sub: SubRange, base: list[np.ndarray], *, n: int, model_fps: Fraction,
            sequence_fps: Fraction, size: tuple[int, int], temporal_mask: bool,
            first_last: bool, work_dir: Path) -> dict[str, Any]:
    """Conditioning inputs for regenerating ``sub`` over ``base`` with a model run of ``n``
    frames (as the planner chose for the window)."""
    from PIL import Image

    window = window_for(sub, len(base))
    work_dir.mkdir(parents=True, exist_ok=True)
    w, h = size

    def resized(frame: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(frame).resize((w, h), Image.Resampling.BICUBIC))

    if temporal_mask:
        picks = [min(window[1] - 1, model_to_segment(j, window[0], model_fps, sequence_fps))
                 for j in range(n)]
        control = write_take((resized(base[i]) for i in picks), model_fps,
                             work_dir / f"context-{sub.start}-{sub.end}.mkv")
        keep, run_start = [], None
        for j, i in enumerate(picks):
            outside = not sub.start <= i < sub.end
            if outside and run_start is None:
                run_start = j
            if not outside and run_start is not None:
                keep.append([run_start, j])
                run_start = None
        if run_start is not None:
            keep.append([run_start, n])
        return {"video": {"path": str(control.path), "frames_hash": control.frames_hash},
                "mask": {"keep": keep}}
    if not first_last:
        raise UnsupportedRequest(
            "regenerating a range needs a model that keeps context: a VACE model (temporal "
            "mask) or an image-to-video model (first/last frame)",
            "use --backend wan-vace, or an image-to-video Wan / LTX model")
    inputs: dict[str, Any] = {}
    if sub.start > 0:
        p = work_dir / f"before-{sub.start}.png"
        Image.fromarray(base[sub.start - 1]).save(p)
        inputs["image"] = {"path": str(p)}
    if sub.end < len(base):
        p = work_dir / f"after-{sub.end}.png"
        Image.fromarray(base[sub.end]).save(p)
        inputs["last_image"] = {"path": str(p)}
    return inputs


def splice(base: Sequence[np.ndarray], generated: Sequence[np.ndarray], sub: SubRange, *,
           window_start: int, model_fps: Fraction, sequence_fps: Fraction
           ) -> tuple[list[np.ndarray], dict[str, float]]:
    """Base frames with [start, end) replaced by the model's frames for the same instants
    (resized to the base's size), crossfaded over ``sub.crossfade`` frames at each seam."""
    from PIL import Image

    h, w = base[0].shape[:2]
    out = [f for f in base]
    for i in range(sub.start, sub.end):
        j = int(Fraction(i - window_start) * model_fps / sequence_fps)
        g = generated[min(len(generated) - 1, j)]
        if g.shape[:2] != (h, w):
            g = np.asarray(Image.fromarray(g).resize((w, h), Image.Resampling.BICUBIC))
        out[i] = g
    for k in range(min(sub.crossfade, (sub.end - sub.start) // 2)):
        t = (k + 1) / (sub.crossfade + 1)
        for i, keep in ((sub.start + k, base[sub.start + k]), (sub.end - 1 - k,
                                                               base[sub.end - 1 - k])):
            out[i] = np.round(keep * (1 - t) + out[i] * t).astype(np.uint8)
    return out, seam_report(out, sub)


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def seam_report(frames: Sequence[np.ndarray], sub: SubRange) -> dict[str, float]:
    """Mean |difference| across each seam, and the median frame-to-frame difference of the
    spliced take: a seam much larger than typical is a visible jump."""
    typical = float(np.median([_diff(a, b) for a, b in pairwise(frames)] or [0.0]))
    report = {"typical": round(typical, 3)}
    if sub.start > 0:
        report["in"] = round(_diff(frames[sub.start - 1], frames[sub.start]), 3)
    if sub.end < len(frames):
        report["out"] = round(_diff(frames[sub.end - 1], frames[sub.end]), 3)
    return report


# ------------------------------------------------------------------------------ audio
#
# An audio range [IN, OUT) of segment frames is the take's samples
# [floor(IN * rate / fps), floor(OUT * rate / fps)) at the take's own rate (the model's).
# A backend without inpainting (``audio_range_mode == "crossfade"``) makes that many samples
# anew; they replace the range, their first and last ``crossfade`` samples faded linearly
# against the old take, so every sample outside the range is the old take's, bit for bit.


def audio_range_samples(sub: SubRange, segment_frames: int, sequence_fps: Fraction,
                        sample_rate: int, take_samples: int) -> tuple[int, int]:
    """The take samples [s0, s1) under segment frames [sub.start, sub.end)."""
    from timeline.time import first_sample_of_frame

    window_for(sub, segment_frames)  # refuses a range outside the segment, or all of it
    s0 = first_sample_of_frame(sub.start, sample_rate, sequence_fps)
    s1 = min(take_samples, first_sample_of_frame(sub.end, sample_rate, sequence_fps))
    if s1 <= s0:
        raise UnsupportedRequest(
            f"the range {sub.start}:{sub.end} is past the end of the take's sound "
            f"({take_samples} samples)", "choose a range inside the take")
    return s0, s1


def splice_audio(base: np.ndarray, generated: np.ndarray, s0: int, s1: int,
                 crossfade: int) -> tuple[np.ndarray, dict[str, float]]:
    """(channels, samples) ``base`` with [s0, s1) replaced by ``generated``'s first
    ``s1 - s0`` samples (silence past its end), crossfaded over ``crossfade`` samples at
    each seam inside the range."""
    out = np.array(base, dtype=np.float32, copy=True)
    n = s1 - s0
    piece = np.zeros((base.shape[0], n), np.float32)
    gen = np.asarray(generated, dtype=np.float32)
    if gen.shape[0] != base.shape[0]:
        raise UnsupportedRequest(
            f"the model made {gen.shape[0]} channels; the take has {base.shape[0]}")
    m = min(n, gen.shape[1])
    piece[:, :m] = gen[:, :m]
    xf = max(0, min(crossfade, n // 2))
    if xf:
        t = (np.arange(1, xf + 1, dtype=np.float32) / np.float32(xf + 1))[None, :]
        head = base[:, s0:s0 + xf]
        piece[:, :xf] = head * (1 - t) + piece[:, :xf] * t
        tail = base[:, s1 - xf:s1]
        piece[:, n - xf:] = tail * t[:, ::-1] + piece[:, n - xf:] * (1 - t[:, ::-1])
    out[:, s0:s1] = piece
    return out, audio_seam_report(out, s0, s1)


def audio_seam_report(audio: np.ndarray, s0: int, s1: int) -> dict[str, float]:
    """|step| across each seam against the take's median |sample-to-sample step|."""
    steps = np.abs(np.diff(audio, axis=1)).mean(axis=0) if audio.shape[1] > 1 else \
        np.zeros(1, np.float32)
    report = {"typical": round(float(np.median(steps)), 6)}
    if s0 > 0:
        report["in"] = round(float(steps[s0 - 1]), 6)
    if s1 < audio.shape[1]:
        report["out"] = round(float(steps[s1 - 1]), 6)
    return report
