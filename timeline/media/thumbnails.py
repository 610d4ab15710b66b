"""Filmstrip thumbnails and waveform peaks of media files, cached beside the project.

Both are cache files (ARCHITECTURE.md, Persistence) in ``<project>.media/cache/``, named by
a hash of the asset's identity (size + hash of its first and last MiB, see
``project_store.assets.file_identity``) and of the parameters, so a moved file keeps its
cache and a changed file gets a new one. A missing, unreadable or malformed cache file is
recomputed; writes are atomic (temporary file + rename), and a cache that cannot be
written is not an error.

Filmstrip: one thumbnail every ``every_seconds`` from the first frame, each the frame on
screen at that time (exact, by the file's own pts index), scaled to ``height`` pixels with
the display aspect and turned upright. Decoding goes through ``VideoDecoder`` with the
thumbnails requested in order: it keeps decoding forward while the next thumbnail lies in
the same GOP and seeks to the next keyframe otherwise, which is never slower than one full
sequential decode and much faster when keyframes are further apart than thumbnails
(measured on a synthetic 10 s 1080p H.264 clip: 0.33 s, about the same as decoding every
frame; a one-thread decoder is as fast as a threaded one here and leaves cores to playback).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from timeline.media.audio import load_or_compute_peaks
from timeline.media.decode import VideoDecoder, output_shape
from timeline.media.probe import MediaProbe, UnsupportedMediaError, probe

__all__ = [
    "DEFAULT_SAMPLES_PER_BIN",
    "Filmstrip",
    "Waveform",
    "cache_dir",
    "filmstrip",
    "filmstrip_cache_path",
    "load_or_compute_filmstrip",
    "load_or_compute_waveform",
    "video_origin_samples",
]

_FILMSTRIP_FORMAT_VERSION = 1
# 256 samples per bin at 48 kHz is ~190 bins a second: finer than one bin per pixel up to
# ~8 px per frame at 24 fps, ~11 MB of peaks for an hour of stereo.
DEFAULT_SAMPLES_PER_BIN = 256

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class Filmstrip:
    """Thumbnails of one video: ``frames`` (n, h, w, 3) uint8 and where each one sits.

    ``offsets`` are int64 ticks of ``time_base`` from the first frame, i.e. the media time
    (as ``VideoDecoder.index_at_time`` counts it) at which frame ``indexes[k]`` comes on.
    """

    frames: np.ndarray
    offsets: np.ndarray
    indexes: np.ndarray
    time_base: Fraction

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of each thumbnail."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])

    def time_of(self, k: int) -> Fraction:
        """Exact media time (seconds from the first frame) of thumbnail ``k``."""
        return int(self.offsets[k]) * self.time_base

    @property
    def times(self) -> np.ndarray:
        """float64 seconds of every thumbnail: for painting, never for editing."""
        return self.offsets.astype(np.float64) * float(self.time_base)

    def index_at(self, t: Fraction) -> int:
        """The thumbnail to show for media time ``t``: the last one at or before it (the
        first one before the first)."""
        ticks = math.floor(Fraction(t) / self.time_base)
        return max(0, int(np.searchsorted(self.offsets, ticks, side="right")) - 1)


@dataclass(frozen=True, eq=False)
class Waveform:
    """Peaks of one file's sound at ``sample_rate``: float32 (bins, channels, 2) of
    (min, max) per ``samples_per_bin`` samples; bin 0 starts at the file's time 0.

    ``origin`` is the sample where a clip of this file starts (its first video frame, see
    :func:`video_origin_samples`): source sample ``s`` of a clip is file sample
    ``origin + s``.
    """

    peaks: np.ndarray
    sample_rate: int
    samples_per_bin: int
    origin: int = 0


# --------------------------------------------------------------------------------------
# Cache location


def cache_dir(project_path: str | os.PathLike[str]) -> Path:
    """``<project>.media/cache/`` beside the project file, created if needed."""
    project_path = Path(project_path)
    folder = project_path.with_name(project_path.name + ".media") / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _every(every_seconds: Fraction | int | float) -> Fraction:
    # A float interval is read as the decimal it prints as (1.0 -> 1, 0.5 -> 1/2).
    every = Fraction(str(every_seconds)) if isinstance(every_seconds, float) else Fraction(
        every_seconds)
    if every <= 0:
        raise ValueError(f"every_seconds must be positive, got {every_seconds!r}")
    return every


def filmstrip_cache_path(
    identity: str,
    folder: str | os.PathLike[str],
    *,
    height: int = 64,
    every_seconds: Fraction | int | float = 1,
) -> Path:
    """The ``.npz`` caching a filmstrip of the asset with this identity and parameters."""
    every = _every(every_seconds)
    text = f"{_FILMSTRIP_FORMAT_VERSION}\0{identity}\0{int(height)}\0{every}"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return Path(os.fspath(folder)) / f"filmstrip-{digest}.npz"


# --------------------------------------------------------------------------------------
# Filmstrip


def _thumb_size(info: MediaProbe, height: int) -> tuple[int, int]:
    if not info.width or not info.height:
        raise UnsupportedMediaError(
            f"Cannot make thumbnails of '{Path(info.path).name}': it has no video stream.",
            info.path)
    display_h, display_w, _ = output_shape(info.width, info.height, info.rotation, None,
                                           "rgb24")
    return max(1, round(height * display_w / display_h)), height


def filmstrip(
    source: str | os.PathLike[str] | MediaProbe,
    *,
    height: int = 64,
    every_seconds: Fraction | int | float = 1,
    progress: Progress | None = None,
    threads: int = 1,
) -> Filmstrip:
    """Thumbnails ``height`` pixels high, one every ``every_seconds`` from the first frame.

    ``progress(done, total)`` is called after each thumbnail (it may raise to stop). A
    still image gives one thumbnail.
    """
    if not isinstance(height, int) or height <= 0:
        raise ValueError(f"height must be a positive int, got {height!r}")
    every = _every(every_seconds)
    info = source if isinstance(source, MediaProbe) else probe(source)
    with VideoDecoder(info, size=_thumb_size(info, height), threads=threads) as decoder:
        duration = decoder.duration
        wanted: list[int] = []
        k = 0
        while k * every < duration:
            i = decoder.index_at_time(k * every)
            if not wanted or i != wanted[-1]:  # thumbnails closer than frames: keep one
                wanted.append(i)
            k += 1
        width = _thumb_size(info, height)[0]
        frames = np.empty((len(wanted), height, width, 3), dtype=np.uint8)
        for n, i in enumerate(wanted):
            frames[n] = decoder.frame(i)
            if progress is not None:
                progress(n + 1, len(wanted))
        index = decoder.index
        first = int(index.pts[0])
        indexes = np.asarray(wanted, dtype=np.int64)
        offsets = index.pts[indexes] - first
        return Filmstrip(frames=frames, offsets=offsets.astype(np.int64), indexes=indexes,
                         time_base=index.time_base)


def _load_filmstrip(target: Path) -> Filmstrip | None:
    try:
        # Our own file handle: np.load leaks its own on a damaged zip.
        with open(target, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            if int(data["version"]) != _FILMSTRIP_FORMAT_VERSION:
                return None
            frames = data["frames"]
            offsets = data["offsets"]
            indexes = data["indexes"]
            num, den = (int(v) for v in data["time_base"])
    except (OSError, ValueError, EOFError, KeyError, TypeError, zipfile.BadZipFile):
        return None
    n = frames.shape[0] if frames.ndim == 4 else -1
    if (
        frames.dtype != np.uint8
        or frames.ndim != 4
        or frames.shape[3] != 3
        or n < 1
        or offsets.shape != (n,)
        or indexes.shape != (n,)
        or offsets.dtype != np.int64
        or indexes.dtype != np.int64
        or den <= 0
        or num <= 0
        or bool(np.any(np.diff(offsets) <= 0))
    ):
        return None
    return Filmstrip(frames=frames, offsets=offsets, indexes=indexes,
                     time_base=Fraction(num, den))


def _save_filmstrip(strip: Filmstrip, target: Path) -> None:
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as fh:
            np.savez_compressed(
                fh,
                version=np.int64(_FILMSTRIP_FORMAT_VERSION),
                frames=strip.frames,
                offsets=strip.offsets,
                indexes=strip.indexes,
                time_base=np.array(
                    [strip.time_base.numerator, strip.time_base.denominator], dtype=np.int64),
            )
        os.replace(temporary, target)
    except OSError:
        pass  # a read-only project folder: the thumbnails still show, just not cached
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass  # never created (e.g. the folder could not be)


def load_or_compute_filmstrip(
    source: str | os.PathLike[str] | MediaProbe,
    identity: str,
    folder: str | os.PathLike[str],
    *,
    height: int = 64,
    every_seconds: Fraction | int | float = 1,
    progress: Progress | None = None,
) -> Filmstrip:
    """:func:`filmstrip` of the asset with this ``identity``, cached in ``folder``.

    ``folder`` is the cache folder (see :func:`cache_dir`).
    """
    target = filmstrip_cache_path(identity, folder, height=height, every_seconds=every_seconds)
    cached = _load_filmstrip(target)
    if cached is not None and cached.frames.shape[1] == height:
        return cached
    strip = filmstrip(source, height=height, every_seconds=every_seconds, progress=progress)
    _save_filmstrip(strip, target)
    return strip


# --------------------------------------------------------------------------------------
# Waveform


def load_or_compute_waveform(
    source: str | os.PathLike[str] | MediaProbe,
    identity: str,
    folder: str | os.PathLike[str],
    *,
    sample_rate: int,
    samples_per_bin: int = DEFAULT_SAMPLES_PER_BIN,
    channels: int = 2,
) -> Waveform:
    """Waveform peaks of the asset with this ``identity``, cached in ``folder`` through
    ``audio.load_or_compute_peaks`` (keyed by the identity, not the path)."""
    info = source if isinstance(source, MediaProbe) else probe(source)
    peaks = load_or_compute_peaks(
        info.path,
        folder,
        sample_rate=sample_rate,
        samples_per_bin=samples_per_bin,
        channels=channels,
        key=f"asset-identity\0{identity}",
    )
    return Waveform(peaks=peaks, sample_rate=sample_rate, samples_per_bin=samples_per_bin,
                    origin=video_origin_samples(info, sample_rate))


def video_origin_samples(info: MediaProbe, sample_rate: int) -> int:
    """Where a clip's sample 0 lies in the file's sound: at its first *video* frame.

    The same shift ``MediaAudioSource`` applies, so a waveform lines up with what plays.
    """
    if info.video_start_pts is None or info.video_time_base is None:
        return 0
    return math.floor(info.video_start_pts * info.video_time_base * sample_rate)
