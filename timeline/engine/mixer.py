"""``mix_audio``: the sequence's sound for a span of samples, as float32 (count, channels).

Placement is exact: an item covering frames [start, end) sounds over samples
[floor(start * rate / fps), floor(end * rate / fps)), and its source frame k begins at media
sample floor(k * rate / fps) (source ranges are in sequence frames). Audio clips on A tracks
and the sound of video clips on V tracks (linked audio) are summed with per-clip gain (dB)
and linear fade in/out; a transition on a track is a linear crossfade through the handles.
Muted tracks are silent; when any track is soloed only soloed tracks sound.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from timeline.model import Clip, Item, Sequence, Track
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
    tracks = [t for t in sequence.tracks.values() if not t.info.muted]
    if any(t.info.solo for t in tracks):
        tracks = [t for t in tracks if t.info.solo]
    for track in tracks:
        for item, lo, hi in _sounding(sequence, track, frame_lo, frame_hi):
            _add_item(out, sequence, item, lo, hi, first_sample, source, channels)
    return out


def _sounding(sequence: Sequence, track: Track, frame_lo: int, frame_hi: int
              ) -> list[tuple[Item, int, int]]:
    """(item, first frame, end frame) spans that sound on this track, crossfade handles
    included (the outgoing item runs on past its end, the incoming starts early)."""
    spans: dict[int, tuple[Item, int, int]] = {}
    for item in track.overlapping(frame_lo, frame_hi):
        spans[item.id] = (item, item.start, item.end)
    for tr in track.transitions.values():
        a = sequence.find_item(tr.from_item)
        b = sequence.find_item(tr.to_item)
        if a is None or b is None:
            continue
        cut = a.end
        if cut + tr.out_offset < frame_lo or cut - tr.in_offset > frame_hi:
            continue
        item_a, lo_a, _ = spans.get(a.id, (a, a.start, a.end))
        spans[a.id] = (item_a, lo_a, cut + tr.out_offset)
        item_b, _, hi_b = spans.get(b.id, (b, b.start, b.end))
        spans[b.id] = (item_b, cut - tr.in_offset, hi_b)
    return list(spans.values())


def _add_item(out: np.ndarray, sequence: Sequence, item: Item, lo: int, hi: int,
              first_sample: int, source: AudioSource, channels: int) -> None:
    if not isinstance(item, Clip) or not source.has_audio(item.asset):
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
    block = source.samples(item.asset, media_first, b - a)
    if block.shape[1] != channels:
        block = _to_channels(block, channels)
    gain = np.full(b - a, 10 ** (item.gain_db / 20), np.float32)
    gain *= _envelope(sequence, item, a, b)
    out[a - first_sample : b - first_sample] += block * gain[:, None]


def _envelope(sequence: Sequence, item: Item, a: int, b: int) -> np.ndarray:
    """Fades and crossfades of the item over samples [a, b), 1.0 where none applies."""
    rate, fps = sequence.sample_rate, sequence.fps
    s = np.arange(a, b, dtype=np.float64)
    env = np.ones(b - a, np.float64)
    track = sequence.tracks[item.track]

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
    for tr in track.transitions.values():
        if tr.from_item == item.id:
            ramp(item.end - tr.in_offset, item.end + tr.out_offset, rising=False)
        elif tr.to_item == item.id:
            ramp(item.start - tr.in_offset, item.start + tr.out_offset, rising=True)
    return env.astype(np.float32)


def _to_channels(block: np.ndarray, channels: int) -> np.ndarray:
    if block.shape[1] == 1:
        return np.repeat(block, channels, axis=1)
    if channels == 1:
        return block.mean(axis=1, keepdims=True)
    return block[:, :channels] if block.shape[1] > channels else np.pad(
        block, ((0, 0), (0, channels - block.shape[1])))
