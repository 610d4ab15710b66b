"""Decoded frames kept in memory, and a background worker that decodes ahead of playback.

* :class:`FrameCache` is a thread-safe LRU of numpy frames bounded by their total
  ``nbytes``, keyed by :class:`FrameKey` (source, frame index, output size, pixel format).
* :class:`ReadAhead` owns one worker thread with its own :class:`VideoDecoder` per file.
  ``request`` tells it which frames will be wanted next (e.g. the 48 frames after the
  playhead); it decodes them in order into the cache, and a new ``request`` (the playhead
  jumped) replaces the old one. ``get_frame`` returns a frame from the cache, waits briefly
  when the worker is about to produce it, and otherwise decodes it on the caller's thread.

Cached arrays are shared between threads, so the cache makes them read-only; copy one
before drawing on it.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from timeline.media.closing import ClosesOnExit
from timeline.media.decode import OutputFormat, VideoDecoder
from timeline.priority import background_thread

__all__ = ["CacheStats", "FrameCache", "FrameKey", "FrameRequest", "ReadAhead"]


class FrameKey(NamedTuple):
    """What identifies a decoded picture: which file, which frame, at what size and format."""

    source: str  # file path (or any asset key the caller decodes consistently)
    frame: int  # frame index in presentation order
    size: tuple[int, int] | None = None  # displayed (width, height); None: full size
    fmt: str = "rgb24"


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    entries: int
    bytes_used: int
    max_bytes: int


class FrameCache:
    """Thread-safe least-recently-used cache of frames, bounded by total array bytes."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> np.ndarray | None:
        """The cached array (read-only) and mark it recently used; None on a miss."""
        with self._lock:
            array = self._items.get(key)
            if array is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return array

    def peek(self, key: Hashable) -> np.ndarray | None:
        """Like ``get`` without counting a hit or miss or refreshing the entry."""
        with self._lock:
            return self._items.get(key)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: Hashable, array: np.ndarray) -> bool:
        """Store ``array`` (the cache takes it over and makes it read-only).

        Evicts least recently used entries to stay within ``max_bytes``. An array larger
        than the whole cache is not stored; returns whether it was.
        """
        size = int(array.nbytes)
        if size > self.max_bytes:
            return False
        array.flags.writeable = False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= int(old.nbytes)
            self._items[key] = array
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= int(evicted.nbytes)
        return True

    def discard(self, key: Hashable) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= int(old.nbytes)

    def clear(self) -> None:
        """Drop every entry (the hit/miss counters are kept)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def bytes_used(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self.hits, self.misses, len(self._items), self._bytes, self.max_bytes)


@dataclass(frozen=True)
class FrameRequest:
    """Frames ``start .. start + count - 1`` of ``source`` at ``size`` (clipped to the file)."""

    source: str | os.PathLike[str]
    start: int
    count: int
    size: tuple[int, int] | None = None


@dataclass
class _Cursor:
    source: str
    size: tuple[int, int] | None
    start: int
    stop: int
    next: int


DecoderFactory = Callable[[str, tuple[int, int] | None, OutputFormat], VideoDecoder]


def _open_decoder(path: str, size: tuple[int, int] | None, fmt: OutputFormat) -> VideoDecoder:
    return VideoDecoder(path, size=size, fmt=fmt)


class _DecoderPool:
    """Open decoders by (file, size), least recently used closed beyond ``limit``.

    Used by one thread at a time (the owner guarantees it).
    """

    def __init__(self, factory: DecoderFactory, fmt: OutputFormat, limit: int) -> None:
        self._factory = factory
        self._fmt = fmt
        self._limit = limit
        self._open: OrderedDict[tuple[str, tuple[int, int] | None], VideoDecoder] = OrderedDict()

    def get(self, source: str, size: tuple[int, int] | None) -> VideoDecoder:
        key = (source, size)
        decoder = self._open.get(key)
        if decoder is None:
            decoder = self._factory(source, size, self._fmt)
            self._open[key] = decoder
            while len(self._open) > self._limit:
                _, old = self._open.popitem(last=False)
                old.close()
        else:
            self._open.move_to_end(key)
        return decoder

    def drop(self, source: str, size: tuple[int, int] | None) -> None:
        decoder = self._open.pop((source, size), None)
        if decoder is not None:
            decoder.close()

    def close(self) -> None:
        while self._open:
            _, decoder = self._open.popitem()
            decoder.close()


class ReadAhead(ClosesOnExit):
    """Decodes requested frames into a :class:`FrameCache` on a background thread.

    One worker thread decodes with its own decoders; ``get_frame`` callers that miss the
    cache decode with a second set of decoders (one caller at a time), so a scrub never
    waits behind the read-ahead. Frames of several requests are decoded interleaved
    (frame ``start + k`` of each request before ``start + k + 1`` of any), so all the
    tracks of a timeline advance together.
    """

    def __init__(
        self,
        cache: FrameCache,
        *,
        fmt: OutputFormat = "rgb24",
        max_open_files: int = 8,
        wait_window: int = 8,
        decoder_factory: DecoderFactory | None = None,
    ) -> None:
        self.cache = cache
        self.fmt: OutputFormat = fmt
        self._wait_window = wait_window
        factory = decoder_factory or _open_decoder
        self._worker_decoders = _DecoderPool(factory, fmt, max_open_files)
        self._caller_decoders = _DecoderPool(factory, fmt, max_open_files)
        self._caller_lock = threading.Lock()
        self._cond = threading.Condition()
        self._cursors: list[_Cursor] = []
        self._current: FrameKey | None = None  # what the worker is decoding now
        self._closed = False
        self.last_error: BaseException | None = None  # the worker's latest failure
        self._thread = threading.Thread(target=self._run, name="takeline-read-ahead", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ requests

    def key(
        self, source: str | os.PathLike[str], index: int, size: tuple[int, int] | None = None
    ) -> FrameKey:
        return FrameKey(os.fspath(source), int(index), _size(size), self.fmt)

    def request(
        self,
        source: str | os.PathLike[str],
        start: int,
        count: int,
        size: tuple[int, int] | None = None,
    ) -> None:
        """Decode frames ``start .. start+count-1`` next, replacing any pending request."""
        self.request_many([FrameRequest(source, start, count, size)])

    def request_many(self, requests: Iterable[FrameRequest]) -> None:
        """Replace the pending work with these requests (an empty list cancels)."""
        cursors = []
        for r in requests:
            start = max(0, int(r.start))
            stop = start + max(0, int(r.count))
            if stop > start:
                cursors.append(_Cursor(os.fspath(r.source), _size(r.size), start, stop, start))
        with self._cond:
            self._check_open()
            self._cursors = cursors
            self._cond.notify_all()

    def cancel(self) -> None:
        """Drop pending work; a frame being decoded right now still lands in the cache."""
        self.request_many([])

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until all requested frames are decoded (or given up); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._cursors or self._current is not None:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    # ------------------------------------------------------------------ frames

    def get_frame(
        self,
        source: str | os.PathLike[str],
        index: int,
        size: tuple[int, int] | None = None,
        timeout: float = 1.0,
    ) -> np.ndarray:
        """Frame ``index`` of ``source``: from the cache, from the worker, or decoded here.

        When the worker is decoding the frame or will reach it within ``wait_window``
        frames, waits up to ``timeout`` seconds for it; otherwise (or after that) decodes
        it synchronously on this thread. Decoding errors (e.g. ``FrameRangeError``) are
        raised here. The array is read-only.
        """
        key = self.key(source, index, size)
        array = self.cache.get(key)
        if array is not None:
            return array
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            while self._worker_will_make(key):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
                array = self.cache.peek(key)
                if array is not None:
                    return array
        array = self.cache.peek(key)
        if array is not None:
            return array
        with self._caller_lock:
            self._check_open()
            try:
                array = self._caller_decoders.get(key.source, key.size).frame(key.frame)
            except BaseException:
                self._caller_decoders.drop(key.source, key.size)
                raise
        self.cache.put(key, array)
        return array

    def _worker_will_make(self, key: FrameKey) -> bool:
        """Whether the worker is decoding ``key`` or will soon (call with the lock held)."""
        if self._closed:
            return False
        if self._current == key:
            return True
        for c in self._cursors:
            if (
                c.source == key.source
                and c.size == key.size
                and c.next <= key.frame < min(c.stop, c.next + self._wait_window)
            ):
                return True
        return False

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Stop the worker and close every decoder. Closing twice is harmless."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cursors = []
            self._cond.notify_all()
        self._thread.join()
        self._worker_decoders.close()
        with self._caller_lock:
            self._caller_decoders.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("ReadAhead is closed")

    # ------------------------------------------------------------------ worker

    def _next_key(self) -> FrameKey | None:
        """The next frame to decode: the least advanced request first (lock held)."""
        while self._cursors:
            cursor = min(self._cursors, key=lambda c: c.next - c.start)
            if cursor.next >= cursor.stop:
                self._cursors.remove(cursor)
                continue
            key = FrameKey(cursor.source, cursor.next, cursor.size, self.fmt)
            cursor.next += 1
            return key
        return None

    def _finish_source(self, key: FrameKey) -> None:
        """Stop every request for this file and size (past its end, or failing)."""
        self._cursors = [c for c in self._cursors if (c.source, c.size) != (key.source, key.size)]

    def _run(self) -> None:
        background_thread(2)  # this thread's decoders (and theirs) after the UI thread
        while True:
            with self._cond:
                self._current = None
                self._cond.notify_all()
                key = self._next_key()
                while key is None and not self._closed:
                    self._cond.wait()
                    key = self._next_key()
                if self._closed:
                    return
                assert key is not None
                self._current = key
            if self.cache.peek(key) is not None:
                continue
            try:
                decoder = self._worker_decoders.get(key.source, key.size)
                if key.frame >= decoder.frame_count:
                    with self._cond:
                        self._finish_source(key)
                    continue
                array = decoder.frame(key.frame)
            except Exception as exc:  # reported by get_frame, which decodes it again
                self.last_error = exc
                self._worker_decoders.drop(key.source, key.size)
                with self._cond:
                    self._finish_source(key)
                continue
            self.cache.put(key, array)


def _size(size: tuple[int, int] | None) -> tuple[int, int] | None:
    return None if size is None else (int(size[0]), int(size[1]))
