"""Playback: the audio device is the master clock; video frames are presented against it.

Two threads besides the caller's:

* the audio callback (PortAudio's thread, via sounddevice) asks ``mix(first_sample, count)``
  for the next block and records *when* the block's first sample reaches the speaker
  (``outputBufferDacTime``). The clock is then "the sequence sample being heard now":
  the last block's first sample plus the stream time elapsed since it hit the DAC. This is
  what corrects for the device's output latency.
* the presenter thread renders frames ahead of the clock (``render(n)``) and hands each to
  ``present(n, picture)`` when the clock reaches that frame's first sample. A frame whose time
  has already passed is dropped, but never more than ``fps / 4`` in a row (then one is shown
  late, so the picture never freezes). Every presentation is logged with the clock reading
  at that instant, which is how A/V sync is measured.

Without an audio device (CI, a headless box) a monotonic clock takes over and ``notice``
says so. Shuttle speeds other than 1x run on the monotonic clock with audio muted.
Nothing here imports Qt: the UI passes a ``present`` that posts to its own thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from timeline.priority import background_thread
from timeline.time import first_sample_of_frame, frame_at_sample

MixFn = Callable[[int, int], np.ndarray]  # (first_sample, count) -> (count, channels) float32
RenderFn = Callable[[int], Any]
PresentFn = Callable[[int, Any], None]

SHUTTLE_SPEEDS = (-4, -2, -1, 0, 1, 2, 4)
ORIGIN_BLOCKS = 31  # blocks (about a third of a second) the audio clock's median spans
ORIGIN_JUMP_S = 0.02  # a DAC estimate this far from the median is an outlier or a jump


class Clock(Protocol):
    def position(self) -> float:
        """The sequence sample being heard (or due) right now; fractional."""

    def start(self, sample: int) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Presentation:
    frame: int
    clock_sample: float  # the clock when the frame was handed to present()
    wall: float  # time.perf_counter() at that moment
    late: bool = False  # shown although its time had passed (drop limit reached)


@dataclass
class PlaybackStats:
    presented: int = 0
    dropped: int = 0
    max_consecutive_drops: int = 0
    log: list[Presentation] = field(default_factory=list)


class MonotonicClock:
    """Sequence samples from ``time.perf_counter`` at a given speed (negative = reverse)."""

    def __init__(self, sample_rate: int, speed: float = 1.0) -> None:
        self.sample_rate = sample_rate
        self.speed = speed
        self._origin_sample = 0.0
        self._origin_time = time.perf_counter()
        self._running = False

    def start(self, sample: int) -> None:
        self._origin_sample = float(sample)
        self._origin_time = time.perf_counter()
        self._running = True

    def stop(self) -> None:
        self._origin_sample = self.position()
        self._running = False

    def position(self) -> float:
        if not self._running:
            return self._origin_sample
        elapsed = time.perf_counter() - self._origin_time
        return self._origin_sample + elapsed * self.sample_rate * self.speed


class AudioDeviceClock:
    """Feeds the output device from ``mix`` and tells which sample is heard now.

    ``mix`` runs ahead of the device on a thread of its own (up to ``mix_ahead_s``), so the
    device callback only copies a block that is ready: decoding and mixing in the callback
    itself made it miss its deadline on a busy machine, and each underrun restarted the
    stream (on PulseAudio a restart is a fresh pre-buffer, hundreds of milliseconds in
    which the clock and so the picture stand still). A block that is not ready (just after
    a start) is mixed in the callback as before. The device buffer (``latency``) is larger
    than PortAudio's "low" for the same reason; the clock corrects for it, so the picture
    stays in sync, and playback starts that much later.
    """

    def __init__(self, mix: MixFn, sample_rate: int, channels: int = 2,
                 blocksize: int = 512, loop: Callable[[], tuple[int, int] | None] | None = None,
                 device: Any = None, latency: float | str = 0.08,
                 mix_ahead_s: float = 0.25) -> None:
        import sounddevice as sd  # PortAudio is loaded only when playback needs a device

        self._sd = sd
        self.mix = mix
        self.sample_rate = sample_rate
        self.channels = channels
        self.blocksize = blocksize
        self.loop = loop or (lambda: None)
        self._lock = threading.Lock()
        # Unwrapped: the sample the next block starts at as if the loop were unrolled. The
        # clock reads this; mixing wraps it into the loop (see _mix_block).
        self._next_sample = 0
        self._block_first = 0.0  # first sample of the last block handed to the device
        self._block_dac_time = 0.0  # stream time at which that sample reaches the DAC
        self._have_block = False
        # Each block's (first sample - its DAC time * rate): the sample at stream time 0,
        # which a steady device keeps constant. The clock reads the median of the last
        # few, so one block's DAC estimate off by milliseconds (PulseAudio's latency
        # figures jitter) does not move the picture.
        self._origins: deque[float] = deque(maxlen=ORIGIN_BLOCKS)
        self._origin = 0.0
        self._off_origin = 0  # blocks in a row far from the median: the device jumped
        self.underflows = 0
        self.blocks_mixed_late = 0  # blocks the callback had to mix itself
        self.callback_errors: list[str] = []
        # The mix-ahead queue: blocks (first unwrapped sample, samples), in order.
        self._ahead_blocks = max(1, round(mix_ahead_s * sample_rate / blocksize))
        self._ready: deque[tuple[int, np.ndarray]] = deque()
        self._ready_cond = threading.Condition()
        self._mix_from: int | None = None  # where the mixer continues; None: stopped
        self._mixer_closed = False
        self._mixer = threading.Thread(target=self._mix_ahead, name="takeline-audio-mix",
                                       daemon=True)
        self._mixer.start()
        try:
            self._stream = sd.OutputStream(
                samplerate=sample_rate, channels=channels, dtype="float32",
                blocksize=blocksize, latency=latency, callback=self._callback, device=device,
            )
        except BaseException:
            self._close_mixer()
            raise
        self.output_latency = float(self._stream.latency)

    def _callback(self, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        if status.output_underflow:
            self.underflows += 1
        with self._lock:
            first = self._next_sample
            try:
                outdata[:] = self._take_block(first, frames)
            except Exception as exc:  # never let an exception kill the audio thread
                outdata.fill(0)
                if len(self.callback_errors) < 10:
                    self.callback_errors.append(repr(exc))
            self._next_sample = first + frames
            self._note_block(first, float(t.outputBufferDacTime))

    def _note_block(self, first: int, dac_time: float) -> None:
        """The block starting at ``first`` reaches the DAC at stream time ``dac_time``
        (call with the lock held)."""
        self._block_first = float(first)
        self._block_dac_time = dac_time
        self._have_block = True
        origin = first - dac_time * self.sample_rate
        if self._origins and abs(origin - self._origin) > ORIGIN_JUMP_S * self.sample_rate:
            self._off_origin += 1
            if self._off_origin < 3:
                return  # one odd estimate: ignored, the median holds
            # Three in a row: the device really jumped (a restart after an underrun).
            self._origins.clear()
        self._off_origin = 0
        self._origins.append(origin)
        ordered = sorted(self._origins)
        self._origin = ordered[len(ordered) // 2]

    def _take_block(self, first: int, frames: int) -> np.ndarray:
        with self._ready_cond:
            while self._ready and self._ready[0][0] < first:
                self._ready.popleft()  # behind the device (a seek): never played
            if self._ready and self._ready[0][0] == first and len(self._ready[0][1]) == frames:
                block = self._ready.popleft()[1]
                self._ready_cond.notify()
                return block
            # Not ready (a start, a seek, an odd-sized request): mix here, and send the
            # mixer on from after this block.
            self._ready.clear()
            self._mix_from = first + frames
            self._ready_cond.notify()
        self.blocks_mixed_late += 1
        return self._mix_block(first, frames, self.loop())

    def _mix_ahead(self) -> None:
        while True:
            with self._ready_cond:
                while not self._mixer_closed and (
                        self._mix_from is None or len(self._ready) >= self._ahead_blocks):
                    self._ready_cond.wait()
                if self._mixer_closed:
                    return
                first = self._mix_from
                assert first is not None
            try:
                block = self._mix_block(first, self.blocksize, self.loop())
            except Exception as exc:  # the callback mixes this block itself and reports it
                with self._ready_cond:
                    if len(self.callback_errors) < 10:
                        self.callback_errors.append(repr(exc))
                    self._mix_from = None
                continue
            with self._ready_cond:
                if self._mix_from == first:  # not restarted meanwhile
                    self._ready.append((first, block))
                    self._mix_from = first + self.blocksize

    def flush(self) -> None:
        """Drop the blocks mixed ahead (the sequence or the loop changed): they are mixed
        again from the sequence as it is now."""
        with self._ready_cond:
            if self._ready:
                self._mix_from = self._ready[0][0]
                self._ready.clear()
                self._ready_cond.notify()

    def _close_mixer(self) -> None:
        with self._ready_cond:
            self._mixer_closed = True
            self._ready_cond.notify_all()
        self._mixer.join(timeout=5)

    def _mix_block(self, first: int, frames: int, span: tuple[int, int] | None) -> np.ndarray:
        """Mix ``frames`` samples from unwrapped position ``first``, folding into the loop."""
        if span is None or first + frames <= span[1]:
            return self.mix(first, frames)
        a, b = span
        parts = []
        pos, remaining = first, frames
        while remaining > 0:
            wrapped = pos if pos < b else a + (pos - a) % (b - a)
            n = min(remaining, b - wrapped)
            parts.append(self.mix(wrapped, n))
            pos += n
            remaining -= n
        return np.concatenate(parts)

    def start(self, sample: int) -> None:
        with self._lock:
            self._next_sample = sample
            self._block_first = float(sample)
            self._have_block = False
            self._origins.clear()
        # The device fills its whole buffer at once on start: mix that much first, here, so
        # the callback finds it ready and the mixer thread starts ahead.
        prefill = min(self._ahead_blocks,
                      math.ceil(self.output_latency * self.sample_rate / self.blocksize) + 2)
        loop = self.loop()
        blocks = [(sample + k * self.blocksize,
                   self._mix_block(sample + k * self.blocksize, self.blocksize, loop))
                  for k in range(prefill)]
        with self._ready_cond:
            self._ready.clear()
            self._ready.extend(blocks)
            self._mix_from = sample + prefill * self.blocksize
            self._ready_cond.notify()
        self._stream.start()
        self._start_time = self._stream.time + self.output_latency

    def stop(self) -> None:
        position = self.position()
        self._stream.stop()
        with self._lock:
            self._block_first = position
            self._have_block = False
            self._origins.clear()
        with self._ready_cond:
            self._ready.clear()
            self._mix_from = None

    def close(self) -> None:
        self._stream.close()
        self._close_mixer()

    def position(self) -> float:
        with self._lock:
            first, origin, have = self._block_first, self._origin, self._have_block
            given = self._next_sample  # the device has nothing after this sample yet
        if not self._stream.active:
            return first
        now = self._stream.time
        if not have:
            # Nothing has reached the speaker yet: the clock waits at its start.
            return first
        # Never past the sound the device was given: when its callbacks stall (a busy
        # machine, PulseAudio restarting the stream), what is heard stops there, and the
        # picture must wait for the sound rather than run on without it.
        return min(origin + now * self.sample_rate, float(given))


def open_audio_clock(mix: MixFn, sample_rate: int, channels: int = 2,
                     loop: Callable[[], tuple[int, int] | None] | None = None
                     ) -> tuple[Clock | None, str | None]:
    """An audio-device clock, or (None, the reason) when no output device can be opened."""
    try:
        return AudioDeviceClock(mix, sample_rate, channels, loop=loop), None
    except Exception as exc:  # OSError (no PortAudio), sd.PortAudioError (no device)
        return None, f"No audio output ({exc}); playing silently on the system clock."


class PlaybackEngine:
    """Play / pause / seek / step / shuttle / loop over a sequence.

    ``render(n)`` and ``mix(first, count)`` are the compositor and the mixer bound to the
    sequence; ``present(n, picture)`` shows a frame (the UI's job). ``frame_count()`` bounds
    playback (it stops at the end unless looping).
    """

    def __init__(self, *, fps: Fraction, sample_rate: int, render: RenderFn, present: PresentFn,
                 frame_count: Callable[[], int], mix: MixFn | None = None, channels: int = 2,
                 use_audio_device: bool = True,
                 prepare: Callable[[int], None] | None = None) -> None:
        self.fps = Fraction(fps)
        self.sample_rate = sample_rate
        self.render = render
        self.present = present
        self.frame_count = frame_count
        self.mix = mix
        self.channels = channels
        self.max_drops = max(1, math.floor(self.fps / 4))
        self.stats = PlaybackStats()
        # Called on the playback thread with the start frame before the clock starts (open
        # files, build indexes, queue read-ahead), so none of that lands mid-playback.
        self.prepare = prepare
        self.render_errors = 0
        self.last_error: str | None = None
        self.loop_range: tuple[int, int] | None = None  # frames [in, out)
        self.speed = 0
        self.notice: str | None = None
        self._position = 0  # the frame shown last (or to show when playback starts)
        self._audio: Clock | None = None
        if use_audio_device and mix is not None:
            self._audio, self.notice = open_audio_clock(self._mix_or_silence, sample_rate,
                                                        channels, loop=self._loop_samples)
        elif mix is None:
            self.notice = "No audio in this sequence; playing on the system clock."
        else:
            self.notice = "Audio output disabled; playing silently on the system clock."
        self._clock: Clock = MonotonicClock(sample_rate)
        # Frames rendered ahead of the clock: about a quarter second, which absorbs a slow
        # frame or a busy machine without holding many full-size pictures.
        self.render_depth = max(2, math.floor(self.fps / 4))
        self._ahead: _RenderAhead | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # --- public controls
    @property
    def playing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def position(self) -> int:
        return self._position

    @property
    def clock_is_audio(self) -> bool:
        return self._clock is self._audio and self._audio is not None

    def play(self, speed: int = 1) -> None:
        if speed not in SHUTTLE_SPEEDS or speed == 0:
            self.pause()
            return
        self._halt()
        self.speed = speed
        start = self._position
        end = self.frame_count()
        if self.loop_range is None and speed > 0 and start >= end:
            start = 0  # play from the top, as an editor expects after reaching the end
        if self.loop_range is not None and not self.loop_range[0] <= start < self.loop_range[1]:
            start = self.loop_range[0] if speed > 0 else self.loop_range[1] - 1
        self._position = start
        if speed == 1 and self._audio is not None:
            self._clock = self._audio
        else:
            self._clock = MonotonicClock(self.sample_rate, speed)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="takeline-playback",
                                        daemon=True)
        self._thread.start()

    def pause(self) -> None:
        self._halt()
        self.speed = 0

    def toggle(self) -> None:
        self.pause() if self.playing else self.play(1)

    def shuttle(self, key: str) -> int:
        """J / K / L: K stops; L speeds up forward (1, 2, 4), J backward (-1, -2, -4)."""
        if key == "k":
            self.pause()
            return 0
        step = 1 if key == "l" else -1
        current = self.speed if self.playing else 0
        if current == 0 or (current > 0) != (step > 0):
            new = step
        else:
            new = max(-4, min(4, current * 2))
        self.play(new)
        return new

    def seek(self, frame: int, *, show: bool = True) -> None:
        """Jump (also while playing: playback continues from there)."""
        frame = max(0, frame)
        was = self.speed if self.playing else 0
        self._halt()
        self._position = frame
        if was:
            self.play(was)  # shows ``frame`` first, on time
        elif show:
            self._show(frame, late=False)

    def step(self, frames: int) -> None:
        self.pause()
        self.seek(self._position + frames)

    def scrub_snippet(self, frame: int, seconds: float = 0.08) -> np.ndarray | None:
        """Sound a short snippet at ``frame`` while scrubbing (paused only), as NLEs do so an
        editor can find a sound by dragging. Returns the samples played, or None when there
        is no sound or no device. Never blocks: sounddevice plays it on its own stream."""
        if self.playing or self.mix is None or self._audio is None:
            return None
        first = first_sample_of_frame(frame, self.sample_rate, self.fps)
        count = max(1, round(seconds * self.sample_rate))
        samples = self.mix(first, count).copy()
        # 5 ms fades: a hard-cut snippet clicks.
        ramp = min(count // 2, round(0.005 * self.sample_rate))
        if ramp:
            fade = np.linspace(0.0, 1.0, ramp, dtype=np.float32)[:, None]
            samples[:ramp] *= fade
            samples[-ramp:] *= fade[::-1]
        try:
            import sounddevice as sd

            sd.play(samples, self.sample_rate, blocking=False)
        except Exception:  # a vanished device must not break scrubbing
            return None
        return samples

    def set_loop(self, in_frame: int | None, out_frame: int | None) -> None:
        if in_frame is None or out_frame is None or out_frame <= in_frame:
            self.loop_range = None
        else:
            self.loop_range = (in_frame, out_frame)
        if isinstance(self._audio, AudioDeviceClock):
            self._audio.flush()  # blocks mixed ahead may have run past the new out point

    def close(self) -> None:
        self._halt()
        if isinstance(self._audio, AudioDeviceClock):
            self._audio.close()

    # --- internals
    def _loop_samples(self) -> tuple[int, int] | None:
        if self.loop_range is None:
            return None
        a, b = self.loop_range
        return (first_sample_of_frame(a, self.sample_rate, self.fps),
                first_sample_of_frame(b, self.sample_rate, self.fps))

    def _mix_or_silence(self, first: int, count: int) -> np.ndarray:
        if self.mix is None:
            return np.zeros((count, self.channels), np.float32)
        return self.mix(first, count)

    def _halt(self) -> None:
        thread = self._thread
        if thread is not None:
            self._stop.set()
            thread.join(timeout=5)
            self._thread = None
            self._clock.stop()

    def _show(self, frame: int, *, late: bool) -> None:
        picture = self.render(frame)
        self.present(frame, picture)
        self.stats.presented += 1
        self.stats.log.append(Presentation(frame, self._clock.position(), time.perf_counter(),
                                           late))

    def _safe_render(self, frame: int) -> Any:
        """Render, but never let one bad frame (say, an edit landing mid-render) stop
        playback: the error is kept for the UI and the frame shows as None."""
        try:
            return self.render(frame)
        except Exception as exc:
            self.render_errors += 1
            self.last_error = f"frame {frame}: {type(exc).__name__}: {exc}"
            return None

    def _clock_frame(self) -> int:
        """The (unwrapped) frame the clock is in."""
        return frame_at_sample(math.floor(self._clock.position()), self.sample_rate, self.fps)

    def _wrap(self, frame: int) -> int:
        if self.loop_range is not None:
            a, b = self.loop_range
            if frame >= b or frame < a:
                return a + (frame - a) % (b - a)
        return frame

    def invalidate(self) -> None:
        """Forget the pictures rendered ahead (the sequence changed under them): playback
        renders them again, so an edit shows within a frame or two."""
        ahead = self._ahead
        if ahead is not None:
            ahead.invalidate()
        if isinstance(self._audio, AudioDeviceClock):
            self._audio.flush()

    def _run(self) -> None:
        # Frames are counted unwrapped (u = start, start+1, ... or downwards); with a loop the
        # frame shown is _wrap(u). The clocks run unwrapped too, so "due" and "late" never
        # have to reason about the wrap.
        direction = 1 if self.speed > 0 else -1
        consecutive_drops = 0
        u = self._position
        # Preroll: the first picture is ready before the clock starts, so frame one is on
        # time (opening files and building indexes makes the first render the slowest).
        if self.prepare is not None:
            try:
                self.prepare(self._wrap(u))
            except Exception as exc:
                self.last_error = f"prepare: {type(exc).__name__}: {exc}"
        # Frames are rendered ahead on their own thread: a frame that takes longer than its
        # 42 ms (a dissolve under a second track, a busy machine) borrows from the frames
        # before it instead of being dropped, and compositing overlaps the wait for the clock.
        ahead = _RenderAhead(self._safe_render, self._wrap, u, direction, self.render_depth)
        self._ahead = ahead
        try:
            first = ahead.take(u, self._stop)
            self._clock.start(first_sample_of_frame(u, self.sample_rate, self.fps))
            while not self._stop.is_set():
                if self.loop_range is None and (u >= self.frame_count() or u < 0):
                    break
                frame = self._wrap(u)
                behind = (self._clock_frame() - u) * direction
                if behind > 0 and consecutive_drops < self.max_drops:
                    # Late before it is even ready: drop it unrendered and move on.
                    consecutive_drops += 1
                    self._drop(consecutive_drops)
                    u += direction
                    ahead.advance(u)
                    first = None
                    continue
                if first is not None:
                    picture, first = first, None
                else:
                    picture = ahead.take(u, self._stop)
                if self._stop.is_set():
                    break
                if picture is _RenderAhead.STALE:
                    picture = self._safe_render(frame)  # the loop moved under it
                behind = (self._clock_frame() - u) * direction
                if behind > 0 and consecutive_drops < self.max_drops:
                    # Late: its successor is already due. Drop it and move on.
                    consecutive_drops += 1
                    self._drop(consecutive_drops)
                    u += direction
                    ahead.advance(u)
                    continue
                if behind <= 0:
                    due = first_sample_of_frame(u, self.sample_rate, self.fps)
                    while not self._stop.is_set():
                        remaining = (due - self._clock.position()) * direction / self.sample_rate
                        if remaining <= 0:
                            break
                        time.sleep(min(remaining, 0.002) if remaining > 0.0005 else 0)
                    if self._stop.is_set():
                        break
                self.present(frame, picture)
                self.stats.presented += 1
                self.stats.log.append(Presentation(frame, self._clock.position(),
                                                   time.perf_counter(), late=behind > 0))
                consecutive_drops = 0
                self._position = frame
                u += direction
                ahead.advance(u)
        finally:
            self._ahead = None
            ahead.close()
            self._clock.stop()

    def _drop(self, consecutive: int) -> None:
        self.stats.dropped += 1
        self.stats.max_consecutive_drops = max(self.stats.max_consecutive_drops, consecutive)


class _RenderAhead:
    """Renders unwrapped frames ``u, u+d, ...`` (``d`` the direction) on a worker thread, at
    most ``depth`` beyond the one the presenter needs next, and hands them over in order.

    ``advance(u)`` says the presenter needs ``u`` next (frames before it are dropped, and
    the worker jumps there if it is behind); ``take(u)`` waits for ``u``'s picture.
    """

    STALE = object()  # rendered for another wrap of the loop than the one now wanted

    def __init__(self, render: RenderFn, wrap: Callable[[int], int], start: int,
                 direction: int, depth: int) -> None:
        self._render = render
        self._wrap = wrap
        self._dir = direction
        self._depth = max(1, depth)
        self._cond = threading.Condition()
        self._done: dict[int, tuple[int, Any]] = {}  # u -> (frame rendered, picture)
        self._floor = start  # the presenter needs this u next
        self._next = start  # the worker renders this u next
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="takeline-render-ahead",
                                        daemon=True)
        self._thread.start()

    def _ahead_of(self, u: int) -> int:
        return (u - self._floor) * self._dir

    def advance(self, u: int) -> None:
        with self._cond:
            self._floor = u
            for k in [k for k in self._done if self._ahead_of(k) < 0]:
                del self._done[k]
            if self._ahead_of(self._next) < 0:
                self._next = u
            self._cond.notify_all()

    def take(self, u: int, stop: threading.Event) -> Any:
        self.advance(u)
        with self._cond:
            while u not in self._done and not self._closed and not stop.is_set():
                self._cond.wait(0.05)
            frame, picture = self._done.pop(u, (None, None))
        if frame is None:
            return None  # stopped while waiting
        return picture if frame == self._wrap(u) else self.STALE

    def invalidate(self) -> None:
        with self._cond:
            self._done.clear()
            self._next = self._floor
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _work(self) -> None:
        # Compositing (and the decoders it opens) after the UI thread, which paints each
        # frame; the presenter and the audio threads, which keep time, stay as they are.
        background_thread(2)
        while True:
            with self._cond:
                while not self._closed and self._ahead_of(self._next) >= self._depth:
                    self._cond.wait()
                if self._closed:
                    return
                u = self._next
                self._next += self._dir
            frame = self._wrap(u)
            picture = self._render(frame)
            with self._cond:
                # Kept unless the presenter has moved past it or an edit invalidated it
                # (then the worker was sent back, and renders it again).
                if self._ahead_of(u) >= 0 and self._ahead_of(self._next) > self._ahead_of(u):
                    self._done[u] = (frame, picture)
                self._cond.notify_all()
