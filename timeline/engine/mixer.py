"""``mix_audio``: the sequence's sound for a span of samples, as float32 (count, channels).

Placement is exact: an item covering frames [start, end) sounds over samples
[floor(start * rate / fps), floor(end * rate / fps)), and its source frame k begins at media
sample floor(k * rate / fps) (source ranges are in sequence frames). Clips on audio tracks
are summed with per-clip gain (dB) and linear fade in/out; a transition on a track is a
linear crossfade through the handles. A video file's sound is a clip of its own on an audio
track, linked to its picture (``Clip.link``); clips on video tracks are silent. Disabled
clips, muted tracks are silent; when any track is soloed only soloed tracks sound.

A generated segment on an audio track sounds its active take (``AudioSource.take_samples``,
the take's first sample at the segment's first sample), with the same gain and fades as a
clip; a source that knows no takes leaves it silent.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from timeline.model import Clip, GeneratedSegment, Sequence, Span, spans
from timeline.time import first_sample_of_frame


class AudioSource(Protocol):
    def has_audio(self, asset: int) -> bool: ...

    def samples(self, asset: int, first: int, count: int) -> np.ndarray:
        """(count, channels) float32 of the asset at the sequence rate, media sample ``first``
        onwards (0 = the media's first sample); silence outside the media."""


def mix_audio(sequence: Sequence, first_sample: int, count: int, source: AudioSource,
              channels: int = 2) -> np.ndarray:
    out = np.zeros((count, channels), np.float32)
    if count <= 0:
        return out
    rate, fps = sequence.sample_rate, sequence.fps
    # Frames that can contribute: from the frame holding first_sample to the one after the end.
    frame_lo = max(0, math.floor(first_sample * fps / rate) - 1)
    frame_hi = math.floor((first_sample + count) * fps / rate) + 2
    tracks = [t for t in sequence.audio_tracks if not t.info.muted]
    if any(t.info.solo for t in tracks):
        tracks = [t for t in tracks if t.info.solo]
    for track in tracks:
        for span in spans(sequence, track, frame_lo, frame_hi):
            _add_item(out, sequence, span, first_sample, source, channels)
    return out


def _add_item(out: np.ndarray, sequence: Sequence, span: Span, first_sample: int,
              source: AudioSource, channels: int) -> None:
    item, lo, hi = span.item, span.start, span.end
    if not item.enabled:
        return
    if isinstance(item, GeneratedSegment):
        take_samples = getattr(source, "take_samples", None)
        has_take = getattr(source, "has_take_audio", None)
        if item.active_take is None or take_samples is None or has_take is None or \
                not has_take(item.active_take):
            return
        read = lambda first, n: take_samples(item.active_take, first, n)  # noqa: E731
    elif isinstance(item, Clip) and source.has_audio(item.asset):
        read = lambda first, n: source.samples(item.asset, first, n)  # noqa: E731
    else:
        return
    rate, fps = sequence.sample_rate, sequence.fps
    s_lo = first_sample_of_frame(lo, rate, fps)
    s_hi = first_sample_of_frame(hi, rate, fps)
    a = max(s_lo, first_sample)
    b = min(s_hi, first_sample + len(out))
    if b <= a:
        return
    # Media sample of sequence sample s: the item's source frame k=source_in+(f-start) starts
    # at floor(k * rate / fps); offset within the item in samples carries over one to one.
    start_sample = first_sample_of_frame(item.start, rate, fps)
    media_first = first_sample_of_frame(item.source_in, rate, fps) + (a - start_sample)
    block = read(media_first, b - a)
    if block.shape[1] != channels:
        block = _to_channels(block, channels)
    gain = np.full(b - a, 10 ** (item.gain_db / 20), np.float32)
    gain *= _envelope(sequence, span, a, b)
    out[a - first_sample : b - first_sample] += block * gain[:, None]


def _envelope(sequence: Sequence, span: Span, a: int, b: int) -> np.ndarray:
    """Fades and crossfades of the item over samples [a, b), 1.0 where none applies."""
    rate, fps = sequence.sample_rate, sequence.fps
    s = np.arange(a, b, dtype=np.float64)
    env = np.ones(b - a, np.float64)
    item = span.item

    def ramp(start_frame: int, end_frame: int, rising: bool) -> None:
        s0 = first_sample_of_frame(start_frame, rate, fps)
        s1 = first_sample_of_frame(end_frame, rate, fps)
        if s1 <= s0:
            return
        t = np.clip((s - s0 + 0.5) / (s1 - s0), 0.0, 1.0)
        env[:] *= t if rising else 1.0 - t

    fade_in = int(getattr(item, "fade_in", 0))
    fade_out = int(getattr(item, "fade_out", 0))
    if fade_in > 0:
        ramp(item.start, item.start + fade_in, rising=True)
    if fade_out > 0:
        ramp(item.end - fade_out, item.end, rising=False)
    # A dissolve that does not touch this window ramps nothing inside it.
    if span.fade_out is not None:
        tr = span.fade_out
        ramp(item.end - tr.in_offset, item.end + tr.out_offset, rising=False)
    if span.fade_in is not None:
        tr = span.fade_in
        ramp(item.start - tr.in_offset, item.start + tr.out_offset, rising=True)
    return env.astype(np.float32)


def _to_channels(block: np.ndarray, channels: int) -> np.ndarray:
    if block.shape[1] == 1:
        return np.repeat(block, channels, axis=1)
    if channels == 1:
        return block.mean(axis=1, keepdims=True)
    return block[:, :channels] if block.shape[1] > channels else np.pad(
        block, ((0, 0), (0, channels - block.shape[1])))
