"""The beats of a piece of music: librosa's beat tracker over a clip's decoded sound.

The sound is decoded by ``timeline.media.audio.AudioReader`` (PyAV, mixed down to mono and
resampled by libswresample) at ``ANALYSIS_RATE``, the rate librosa's onset and tempo
defaults are tuned for, over exactly the clip's source range: the first sample of source
frame ``n`` is ``floor(n * rate / fps)`` (``../shared/ARCHITECTURE.md``, Time). librosa
(numba, scipy) is imported only when beats are asked for, so nothing that merely imports
this module pays for it.

A beat librosa puts at sample ``s`` of that range is media time ``(first + s) / rate``;
it lands on the sequence frame whose start is nearest to it (half a frame rounds up).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from timeline.media.audio import AudioReader

ANALYSIS_RATE = 22050
# The beat grid: librosa's default hop (23 ms). Beats then move onto the onsets of a finer
# envelope (2.9 ms hops) so they land on the right frame at any rate up to 60 fps.
HOP = 512
FINE_HOP = 64
FINE_FFT = 512
# Longer than this is refused before decoding: about 160 MB of float32 at the analysis
# rate, and minutes of tracking. Trim the clip to the music.
MAX_SECONDS = 30 * 60
# Where the note that makes a tracked beat may start, in seconds before and after it (the
# tracker's beats are on a 23 ms grid, so one may come a little before its note).
ONSET_BEFORE = 0.07
ONSET_AFTER = 0.035
# Too short for a tempo: librosa's tempo estimate looks at ~8 s windows, and fewer than two
# beats cannot make a beat grid.
MIN_SECONDS = 1.0


class BeatTrackingError(ValueError):
    """Beats cannot be found; the message says why and what to do."""


@dataclass(frozen=True)
class Beats:
    """What the tracker heard: the tempo and each beat as a sample of the analysed range
    (at ``sample_rate``, from its first sample)."""

    tempo_bpm: float
    samples: tuple[int, ...]
    sample_rate: int


def _librosa() -> Any:
    try:
        import librosa
    except ImportError as exc:  # an install without it (it is a dependency)
        raise BeatTrackingError(f"Finding beats needs librosa ({exc}); install it with "
                                "`pip install librosa`") from None
    return librosa


def track_beats(mono: np.ndarray, sample_rate: int) -> Beats:
    """librosa's dynamic-programming beat tracker (Ellis 2007) over mono float samples,
    each beat then moved onto the start of the note that makes it.

    The tracker places a beat where its onset envelope (93 ms windows, 23 ms hops) peaks,
    up to a frame after the sound starts (measured on a click track: 35-40 ms late). So
    each beat moves to the latest onset of a finer envelope (23 ms windows, 2.9 ms hops:
    within 5 ms of a click) from ``ONSET_BEFORE`` before it to ``ONSET_AFTER`` after; a
    beat with no onset that near (a rest, a syncopated bar) moves by the median of the
    others' moves, keeping the grid even; before the first and after the last beat with a
    note there are none (silence before the music starts holds no beats)."""
    if mono.ndim != 1:
        raise ValueError(f"track_beats takes mono samples, not an array of shape {mono.shape}")
    librosa = _librosa()
    y = np.ascontiguousarray(mono, dtype=np.float32)
    if not np.isfinite(y).all():
        raise BeatTrackingError("The sound holds samples that are not numbers; it cannot "
                                "be analysed")
    # librosa's own defaults for the grid: the tempo it documents for its examples.
    # trim=False: librosa's trimming drops the first and last beats even of a steady
    # click track (its smoothed envelope fades at the ends); instead the leading and
    # trailing beats without a note under them are dropped (``_onto_onsets``).
    tempo, frames = librosa.beat.beat_track(y=y, sr=sample_rate, hop_length=HOP,
                                            trim=False)
    beats = librosa.frames_to_samples(np.asarray(frames), hop_length=HOP).astype(np.int64)
    fine = librosa.onset.onset_strength(y=y, sr=sample_rate, hop_length=FINE_HOP,
                                        n_fft=FINE_FFT, n_mels=64)
    onsets = librosa.onset.onset_detect(onset_envelope=fine, sr=sample_rate,
                                        hop_length=FINE_HOP, units="samples")
    placed = _onto_onsets(beats, np.asarray(onsets, dtype=np.int64),
                          round(ONSET_BEFORE * sample_rate), round(ONSET_AFTER * sample_rate))
    # The tempo the markers are spaced by: librosa's own estimate is one of its tempo
    # bins (about 5 % apart at 120 BPM), the beats' median spacing is not.
    if len(placed) >= 3:
        bpm = 60 * sample_rate / float(np.median(np.diff(placed)))
    else:
        bpm = float(np.atleast_1d(tempo)[0])
    return Beats(bpm, placed, sample_rate)


def _onto_onsets(beats: np.ndarray, onsets: np.ndarray, before: int, after: int
                 ) -> tuple[int, ...]:
    """Each beat moved onto the latest onset from ``before`` samples before it to ``after``
    samples after it (the tracker's beats come late, so the note is mostly earlier; a
    note well after a beat is a syncopation, not the beat)."""
    if len(beats) == 0:
        return ()
    if len(onsets) == 0:
        return tuple(int(b) for b in beats)
    last = np.searchsorted(onsets, beats + after, side="right") - 1
    candidate = onsets[np.clip(last, 0, len(onsets) - 1)]
    matched = (last >= 0) & (candidate >= beats - before)
    if not matched.any():
        return tuple(int(b) for b in beats)
    shift = int(np.median(candidate[matched] - beats[matched]))
    moved = np.where(matched, candidate, beats + shift)
    first, final = np.flatnonzero(matched)[[0, -1]]
    kept = np.maximum.accumulate(np.maximum(moved[first:final + 1], 0))
    return tuple(dict.fromkeys(int(b) for b in kept))


@dataclass(frozen=True)
class ClipBeats:
    """A clip's beats in sequence frames (ascending, inside the clip)."""

    tempo_bpm: float
    frames: tuple[int, ...]
    # Where each beat was heard, in seconds of media time (for reports).
    seconds: tuple[float, ...]


def first_sample(frame: int, sample_rate: int, fps: Fraction) -> int:
    """The first sample of source frame ``frame`` (ARCHITECTURE.md, Time)."""
    return math.floor(Fraction(frame) * sample_rate / fps)


def clip_beats(path: str | os.PathLike[str], *, start: int, source_in: int, duration: int,
               fps: Fraction, name: str = "") -> ClipBeats:
    """The beats of the media at ``path`` over a clip's source range ``[source_in,
    source_in + duration)`` (sequence frames at ``fps``), placed on the sequence frames
    of a clip starting at ``start``."""
    shown = name or os.fspath(path)
    seconds = Fraction(duration) / fps
    if seconds < MIN_SECONDS:
        raise BeatTrackingError(f"Clip of {shown} is {float(seconds):.2f} s long; beats need "
                                f"at least {MIN_SECONDS:g} s of music")
    if seconds > MAX_SECONDS:
        raise BeatTrackingError(f"Clip of {shown} is {float(seconds) / 60:.0f} minutes long; "
                                f"beats are found in at most {MAX_SECONDS // 60} minutes at "
                                "a time: split or trim the clip to the music")
    first = first_sample(source_in, ANALYSIS_RATE, fps)
    count = first_sample(source_in + duration, ANALYSIS_RATE, fps) - first
    with AudioReader(path, sample_rate=ANALYSIS_RATE, channels=1) as reader:
        mono = reader.read(first, count)[:, 0]
    if not np.any(mono):
        raise BeatTrackingError(f"The clip of {shown} is silent; there are no beats to find")
    beats = track_beats(mono, ANALYSIS_RATE)
    frames: list[int] = []
    heard: list[float] = []
    for s in beats.samples:
        at = Fraction(first + s, ANALYSIS_RATE)
        # Nearest frame start, half a frame up: floor(t * fps + 1/2).
        frame = start + math.floor(at * fps + Fraction(1, 2)) - source_in
        if start <= frame < start + duration and (not frames or frame > frames[-1]):
            frames.append(frame)
            heard.append(float(at))
    return ClipBeats(beats.tempo_bpm, tuple(frames), tuple(heard))
