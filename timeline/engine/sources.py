"""``MediaFrameSource``: the compositor's pictures from real files, through the shared cache.

Maps (asset, media time) to a frame index with each file's own pts index (exact Fraction
arithmetic), and gets the frame from the ``ReadAhead`` (cache hit, read-ahead worker, or a
synchronous decode). ``prefetch`` tells the read-ahead which frames the next stretch of the
sequence will need so playback finds them decoded.

Proxies (``timeline.media.proxy``): a source may know an all-intra proxy file per asset.
A clip with ``use_proxy`` on gets its pictures from the proxy when the source's
``use_proxies`` is True (playback) and the asset has one; otherwise, and always for export
(``use_proxies=False``), from the original. A proxy numbers its frames like its original, so
the frame index still comes from the original's pts index and only the file decoded
changes; the display size stays the original's (the proxy is decoded scaled to the size
asked for). A proxy that fails to decode is dropped (``proxy_errors``) and the original
shown instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from timeline.conform import Conform
from timeline.engine.compositor import fit
from timeline.media.audio import AudioDecodeError, AudioReader
from timeline.media.decode import DecodeError, VideoDecoder, shared_probe
from timeline.media.frame_cache import FrameCache, FrameRequest, ReadAhead
from timeline.media.probe import MediaProbe, MediaProbeError
from timeline.media.thumbnails import video_origin_samples
from timeline.model import Clip, Sequence, spans

DEFAULT_CACHE_BYTES = 1 << 30  # 1 GiB: ~170 frames of 1080p RGB


def display_size(probe: MediaProbe) -> tuple[int, int] | None:
    if not probe.width or not probe.height:
        return None
    if probe.rotation % 180:
        return probe.height, probe.width
    return probe.width, probe.height


class MediaFrameSource:
    """FrameSource over project assets. ``assets`` maps asset id to its probe (path inside);
    assets missing on disk are simply not given (they render as offline: nothing).

    ``proxies`` maps asset id to a complete proxy file (see ``timeline.media.proxy.
    find_proxy``); ``set_proxy`` adds, replaces or removes one later (e.g. when a background
    build finishes). ``use_proxies`` says whether clips that ask for their proxy get it:
    True for playback and scrubbing, False for export, which always renders originals.
    """

    def __init__(self, assets: Mapping[int, MediaProbe], *, cache: FrameCache | None = None,
                 read_ahead: ReadAhead | None = None,
                 proxies: Mapping[int, str | os.PathLike[str]] | None = None,
                 use_proxies: bool = True,
                 takes: Mapping[int, tuple[str | os.PathLike[str], Conform]] | None = None,
                 offline: Mapping[int, str] | None = None,
                 ) -> None:
        self.assets = dict(assets)
        # Assets whose file is not here (missing, changed, another editor's offline
        # media) -> their name: their clips show the "Media Offline" slate.
        self.offline = dict(offline or {})
        self.cache = cache or FrameCache(DEFAULT_CACHE_BYTES)
        self.read_ahead = read_ahead or ReadAhead(self.cache)
        self._indexes: dict[int, VideoDecoder] = {}
        self._raw = threading.local()
        self._raw_all: list[VideoDecoder] = []
        self.raw_frames = 0  # frames handed to an encoder undecoded-to-RGB (export)
        self._lock = threading.Lock()
        self.errors: dict[int, str] = {}  # asset -> why it shows nothing
        self.use_proxies = use_proxies
        self._proxies: dict[int, str] = {
            asset: os.fspath(path) for asset, path in (proxies or {}).items()
        }
        self.proxy_errors: dict[int, str] = {}  # asset -> why its proxy was dropped
        self._takes: dict[int, tuple[str, Conform]] = {}
        self.set_takes(takes or {})
        self.take_errors: dict[int, str] = {}  # take -> why it shows the pending card

    # --- generated takes
    def set_takes(self, takes: Mapping[int, tuple[str | os.PathLike[str], Conform]]) -> None:
        """Take id -> (lossless media file, conform): what generated segments show."""
        with self._lock:
            self._takes = {t: (os.fspath(path), c) for t, (path, c) in takes.items()}

    def take_picture(self, take: int, offset_in_segment: int, size: tuple[int, int]
                     ) -> np.ndarray | None:
        """The take's picture ``offset_in_segment`` frames into its segment, conformed
        (frame mapping, then cover-fit: scaled to fill ``size`` and centre-cropped)."""
        entry = self._takes.get(take)
        if entry is None:
            return None
        path, conform = entry
        try:
            probe = shared_probe(path)
            index = conform.take_frame(offset_in_segment)
            w, h = size
            scale = max(w / probe.width, h / probe.height)
            sw, sh = max(w, round(probe.width * scale)), max(h, round(probe.height * scale))
            pic = self.read_ahead.get_frame(path, index, (sw, sh))
        except (DecodeError, MediaProbeError) as exc:
            self.take_errors[take] = str(exc)
            return None
        x, y = (sw - w) // 2, (sh - h) // 2
        return np.ascontiguousarray(pic[y:y + h, x:x + w])

    # --- proxies
    @property
    def proxies(self) -> Mapping[int, Path]:
        """Asset id -> its proxy file, as currently known (a copy)."""
        with self._lock:
            return {asset: Path(path) for asset, path in self._proxies.items()}

    def set_proxy(self, asset: int, path: str | os.PathLike[str] | None) -> None:
        """Use ``path`` as the asset's proxy from now on; None forgets it (originals only).

        The file must number its frames like the original (a proxy that ``find_proxy``
        accepts does). Frames of the old proxy still cached are simply never asked for again.
        """
        with self._lock:
            if path is None:
                self._proxies.pop(asset, None)
            else:
                self._proxies[asset] = os.fspath(path)
            self.proxy_errors.pop(asset, None)

    def picture_path(self, asset: int, *, proxy: bool = False) -> str | None:
        """The file a picture of ``asset`` is decoded from: its proxy when ``proxy`` is asked
        for, proxies are in use and the asset has one; else the original (None: unknown)."""
        probe = self.assets.get(asset)
        if probe is None:
            return None
        if proxy and self.use_proxies and probe.kind != "image":
            path = self._proxies.get(asset)
            if path is not None:
                return path
        return probe.path

    def close(self) -> None:
        for d in self._raw_all:
            d.close()
        self.read_ahead.close()
        for d in self._indexes.values():
            d.close()

    # --- FrameSource
    def offline_name(self, asset: int) -> str | None:
        """The name to show on the offline slate of ``asset``'s clips; None when its media
        is here (or it is not an asset this source was told about)."""
        if asset in self.offline:
            return self.offline[asset]
        probe = self.assets.get(asset)
        if probe is not None and asset in self.errors and probe.kind != "audio":
            return os.path.basename(probe.path)  # unreadable now: offline as well
        return None

    def display_size(self, asset: int) -> tuple[int, int] | None:
        probe = self.assets.get(asset)
        if probe is None or asset in self.errors:
            return None
        return display_size(probe)

    def picture(self, asset: int, time: Fraction, size: tuple[int, int], *,
                proxy: bool = False) -> np.ndarray | None:
        """The asset's picture at media ``time`` scaled to ``size``; from its proxy when
        ``proxy`` is True and one is in use (see ``picture_path``)."""
        index = self.frame_index(asset, time)
        if index is None:
            return None
        path = self.picture_path(asset, proxy=proxy)
        original = self.assets[asset].path
        if path is not None and path != original:
            try:
                return self.read_ahead.get_frame(path, index, size)
            except DecodeError as exc:
                # A damaged or stale proxy costs speed, never the picture: drop it.
                with self._lock:
                    if self._proxies.get(asset) == path:
                        del self._proxies[asset]
                        self.proxy_errors[asset] = str(exc)
        try:
            return self.read_ahead.get_frame(original, index, size)
        except DecodeError as exc:
            self.errors[asset] = str(exc)
            return None

    def raw_picture(self, asset: int, time: Fraction, size: tuple[int, int],
                    pix_fmt: str) -> Any:
        """The decoded ``av.VideoFrame`` itself when it already is what an encoder wants
        (``size``, ``pix_fmt``, no rotation), else None. One decoder per calling thread."""
        probe = self.assets.get(asset)
        if probe is None or probe.kind != "video" or probe.rotation % 360:
            return None
        if (probe.width, probe.height) != size or probe.pix_fmt != pix_fmt:
            return None
        index = self.frame_index(asset, time)
        if index is None:
            return None
        decoders = getattr(self._raw, "decoders", None)
        if decoders is None:
            decoders = self._raw.decoders = {}
        decoder = decoders.get(asset)
        if decoder is None:
            decoder = decoders[asset] = VideoDecoder(probe)
            with self._lock:
                self._raw_all.append(decoder)
        try:
            frame = decoder.raw_frame(index)
        except DecodeError:
            return None
        if (frame.width, frame.height) != size or frame.format.name != pix_fmt:
            return None
        # Exports are tagged BT.709; an untagged or BT.601 source would show other colours
        # (the RGB path converts with the source's own matrix), so it goes through RGB.
        if frame.colorspace != 1:
            return None
        self.raw_frames += 1
        return frame

    # --- time -> frame index
    def frame_index(self, asset: int, time: Fraction) -> int | None:
        probe = self.assets.get(asset)
        if probe is None or asset in self.errors:
            return None
        if probe.kind == "image":
            return 0
        decoder = self._index_of(asset)
        if decoder is None or time < 0 or time >= decoder.duration:
            return None
        return decoder.index_at_time(time)

    def _index_of(self, asset: int) -> VideoDecoder | None:
        with self._lock:
            decoder = self._indexes.get(asset)
            if decoder is None:
                try:
                    decoder = VideoDecoder(self.assets[asset])
                    decoder.index  # noqa: B018 - build the pts index now (demux only)
                except DecodeError as exc:
                    self.errors[asset] = str(exc)
                    return None
                self._indexes[asset] = decoder
            return decoder

    def warm(self, sequence: Sequence) -> None:
        """Build the frame index of every video the sequence uses (a demux each), so the
        first frame of a clip never pays for it in the middle of playback."""
        for item in sequence.all_items():
            if isinstance(item, Clip) and item.asset in self.assets:
                if self.assets[item.asset].kind == "video":
                    self._index_of(item.asset)

    # --- read-ahead
    def prefetch(self, sequence: Sequence, first: int, count: int,
                 size: tuple[int, int] | None = None) -> None:
        """Ask the read-ahead for every clip frame that frames [first, first+count) show."""
        out_size = size or (sequence.settings.width, sequence.settings.height)
        wanted: dict[tuple[str, tuple[int, int]], list[int]] = {}
        for track in sequence.video_tracks:
            if track.info.hidden:
                continue
            for span in spans(sequence, track, first, first + count):
                item, start, end = span.item, span.start, span.end
                if not isinstance(item, Clip) or not item.enabled:  # disabled: not shown
                    continue
                src = self.display_size(item.asset)
                if src is None or self.assets[item.asset].kind == "image":
                    continue
                place = fit(src, out_size)
                lo = max(first, start)
                hi = min(first + count, end)
                if hi <= lo:
                    continue
                indexes = [
                    self.frame_index(item.asset,
                                     Fraction(item.source_in + n - item.start) / sequence.fps)
                    for n in (lo, hi - 1)
                ]
                path = self.picture_path(item.asset, proxy=item.use_proxy)
                if indexes[0] is None or indexes[1] is None or path is None:
                    continue
                wanted.setdefault((path, (place.width, place.height)), []).extend(
                    (indexes[0], indexes[1]))
        requests = [
            FrameRequest(path, min(ix), max(ix) - min(ix) + 1, wh)
            for (path, wh), ix in wanted.items()
        ]
        self.read_ahead.request_many(requests)


class MediaAudioSource:
    """AudioSource over project assets: one ``AudioReader`` per (thread, asset), so the
    audio callback, scrubbing and export never share a decoder. Sequential reads (playback)
    continue decoding without seeking."""

    def __init__(self, assets: Mapping[int, MediaProbe], *, sample_rate: int,
                 channels: int = 2,
                 takes: Mapping[int, str | os.PathLike[str]] | None = None) -> None:
        self.assets = {k: v for k, v in assets.items() if v.audio_codec is not None}
        self.sample_rate = sample_rate
        self.channels = channels
        self._local = threading.local()
        self._all: list[AudioReader] = []
        self._lock = threading.Lock()
        self.errors: dict[int, str] = {}
        # Generated audio takes: take id -> its lossless file. Conformed to the sequence
        # rate by the same PyAV resampler as any asset (AudioReader), sample 0 of the take
        # at the segment's first sample.
        self.takes: dict[int, str] = {}
        self.take_errors: dict[int, str] = {}
        self.set_takes(takes or {})

    def set_takes(self, takes: Mapping[int, str | os.PathLike[str]]) -> None:
        """The active audio takes (replaces the earlier set; a take activated in the window
        sounds from the next read on)."""
        self.takes = {t: os.fspath(p) for t, p in takes.items()}
        self.take_errors = {t: e for t, e in self.take_errors.items() if t in self.takes}

    def has_take_audio(self, take: int) -> bool:
        return take in self.takes and take not in self.take_errors

    def take_samples(self, take: int, first: int, count: int) -> np.ndarray:
        """(count, channels) float32 of the take at the sequence rate from its sample
        ``first`` (0 = the take's first sample); silence outside it."""
        path = self.takes.get(take)
        if path is None:
            return np.zeros((count, self.channels), np.float32)
        key = -take - 1  # take readers share the per-thread table with assets' (ids >= 0)
        readers: dict[int, AudioReader] | None = getattr(self._local, "readers", None)
        if readers is None:
            readers = self._local.readers = {}
        reader = readers.get(key)
        if reader is None or reader.path != str(Path(path).resolve()):
            try:
                reader = AudioReader(path, sample_rate=self.sample_rate,
                                     channels=self.channels)
            except AudioDecodeError as exc:
                self.take_errors[take] = str(exc)
                return np.zeros((count, self.channels), np.float32)
            readers[key] = reader
            with self._lock:
                self._all.append(reader)
        try:
            return reader.read(first, count)
        except AudioDecodeError as exc:
            self.take_errors[take] = str(exc)
            return np.zeros((count, self.channels), np.float32)

    def has_audio(self, asset: int) -> bool:
        return asset in self.assets and asset not in self.errors

    def samples(self, asset: int, first: int, count: int) -> np.ndarray:
        reader = self._reader(asset)
        if reader is None:
            return np.zeros((count, self.channels), np.float32)
        try:
            return reader.read(first + self._video_origin(asset), count)
        except AudioDecodeError as exc:
            self.errors[asset] = str(exc)
            return np.zeros((count, self.channels), np.float32)

    def _video_origin(self, asset: int) -> int:
        """Sample 0 of a clip is its first *video* frame (the compositor's time 0); the
        reader counts from container time 0, so shift by the video's start."""
        return video_origin_samples(self.assets[asset], self.sample_rate)

    def _reader(self, asset: int) -> AudioReader | None:
        readers: dict[int, AudioReader] | None = getattr(self._local, "readers", None)
        if readers is None:
            readers = self._local.readers = {}
        reader = readers.get(asset)
        if reader is None:
            try:
                reader = AudioReader(self.assets[asset].path, sample_rate=self.sample_rate,
                                     channels=self.channels)
            except AudioDecodeError as exc:
                self.errors[asset] = str(exc)
                return None
            readers[asset] = reader
            with self._lock:
                self._all.append(reader)
        return reader

    def close(self) -> None:
        with self._lock:
            for reader in self._all:
                reader.close()
            self._all.clear()
