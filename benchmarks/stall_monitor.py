"""A UI-stall monitor: how long the GUI thread goes without running its event loop.

A ``QTimer`` asks to be called every ``interval_ms`` (5 ms) on the GUI thread; the gap
between two calls is how long the event loop was busy elsewhere (painting, a slot, a
coroutine step between awaits). Every gap longer than ``threshold_ms`` (50 ms, about three
frames at 60 Hz: a visible hitch) is recorded as a stall with:

* the label that was current when it began (``label(...)`` / ``set_label`` name the phase:
  "playback", "export", ...);
* where the GUI thread was while it stalled: a watchdog thread samples the GUI thread's
  Python stack (``sys._current_frames``) once a gap has passed the threshold, and keeps the
  innermost frames. Code holding the GIL in C for the whole stall is caught only when it
  lets go, so a stall without a sample was spent in native code;
* how much of it the GUI thread spent runnable but waiting for a CPU (Linux: the run-queue
  delay in ``/proc/thread-self/schedstat``), which is the machine's load, not the editor's
  code: a gap minus that wait is what the editor itself took ("own").

``summary()`` gives the count of gaps, the largest, the 99th percentile, the number of
stalls and their total time, overall or for one label::

    monitor = StallMonitor()
    monitor.start()
    with monitor.label("export"):
        ...  # run the event loop
    print(monitor.stop().format())
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QTimer


@dataclass(frozen=True)
class Stall:
    """One gap longer than the threshold."""

    at: float  # seconds since ``start()`` when the gap began
    gap_ms: float
    label: str
    where: tuple[str, ...] = ()  # innermost frames last, "file:line function"
    waited_ms: float = 0.0  # of the gap, runnable but waiting for a CPU (0: not known)


@dataclass(frozen=True)
class StallSummary:
    label: str | None  # None: every label
    ticks: int  # timer callbacks measured
    seconds: float  # time covered by those gaps
    max_ms: float
    p99_ms: float
    mean_ms: float
    stalls: int  # gaps over the threshold
    stall_ms: float  # their total length
    threshold_ms: float
    worst: tuple[Stall, ...] = field(default=())
    # The same with each gap's wait for a CPU taken off: what the editor's code took.
    own_max_ms: float = 0.0
    own_p99_ms: float = 0.0
    own_stalls: int = 0

    def format(self) -> str:
        name = self.label if self.label is not None else "all"
        return (f"{name:<12} {self.ticks:6d} ticks over {self.seconds:6.2f} s  "
                f"max {self.max_ms:7.1f} ms  p99 {self.p99_ms:6.1f} ms  "
                f"mean {self.mean_ms:5.1f} ms  >{self.threshold_ms:.0f} ms: {self.stalls:3d} "
                f"({self.stall_ms:7.1f} ms)  own max {self.own_max_ms:6.1f} ms "
                f"p99 {self.own_p99_ms:5.1f} ms >{self.threshold_ms:.0f}: {self.own_stalls}")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` (0..100) percentile by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    lo = int(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


class StallMonitor(QObject):
    """Measures gaps between timer callbacks on the GUI thread (create it there)."""

    def __init__(self, interval_ms: int = 5, threshold_ms: float = 50.0,
                 parent: QObject | None = None, *, sample_stacks: bool = True) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.threshold_ms = threshold_ms
        self.sample_stacks = sample_stacks
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._label = ""
        self._t0 = 0.0
        self._last = 0.0
        # (label, gap in ms) per tick, and the stalls as they are found.
        self.gaps: list[tuple[str, float]] = []
        self.waits: list[float] = []  # per tick: ms of its gap spent waiting for a CPU
        self._schedstat: int | None = None  # fd of the GUI thread's schedstat
        self._run_delay = 0
        self.stalls: list[Stall] = []
        self._lock = threading.Lock()
        # (gap began, ((ms into the gap, stack), ...)): the current gap's samples.
        self._sample: tuple[float, tuple[tuple[float, tuple[str, ...]], ...]] | None = None
        self._gui_thread = threading.get_ident()
        self._watchdog: threading.Thread | None = None
        self._running = threading.Event()

    # --- control
    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self, label: str | None = None) -> None:
        """Begin measuring (clearing earlier results); call on the GUI thread."""
        if label is not None:
            self._label = label
        self.gaps.clear()
        self.waits.clear()
        self.stalls.clear()
        self._gui_thread = threading.get_ident()
        if self._schedstat is None:
            try:  # this thread's (the GUI thread's) own file, read without reopening
                self._schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
            except OSError:
                self._schedstat = None
        self._run_delay = self._read_run_delay()
        self._t0 = self._last = time.perf_counter()
        self._sample = None
        self._timer.start()
        if self.sample_stacks and self._watchdog is None:
            self._running.set()
            self._watchdog = threading.Thread(target=self._watch, name="stall-watchdog",
                                              daemon=True)
            self._watchdog.start()

    def stop(self) -> StallSummary:
        """Stop measuring; returns the summary of everything measured."""
        if self._timer.isActive():
            self._tick()  # the gap up to now counts too
            self._timer.stop()
        self._running.clear()
        if self._watchdog is not None:
            self._watchdog.join(timeout=1.0)
            self._watchdog = None
        if self._schedstat is not None:
            os.close(self._schedstat)
            self._schedstat = None
        return self.summary()

    def set_label(self, label: str) -> None:
        """Name what runs from now on; the gap in progress is closed under the old name."""
        if self._timer.isActive():
            self._tick()
        self._label = label

    @contextmanager
    def label(self, label: str) -> Iterator[None]:
        previous = self._label
        self.set_label(label)
        try:
            yield
        finally:
            self.set_label(previous)

    # --- measuring
    def _read_run_delay(self) -> int:
        """Nanoseconds the GUI thread has waited on a run queue so far (0: not known)."""
        if self._schedstat is None:
            return 0
        try:
            return int(os.pread(self._schedstat, 64, 0).split()[1])
        except (OSError, IndexError, ValueError):
            return 0

    def _tick(self) -> None:
        now = time.perf_counter()
        gap_ms = (now - self._last) * 1000.0
        began = self._last
        self._last = now
        run_delay = self._read_run_delay()
        waited_ms = min(gap_ms, max(0, run_delay - self._run_delay) / 1e6)
        self._run_delay = run_delay
        self.gaps.append((self._label, gap_ms))
        self.waits.append(waited_ms)
        if gap_ms > self.threshold_ms:
            where: tuple[str, ...] = ()
            with self._lock:
                if self._sample is not None and self._sample[0] == began:
                    # Each distinct place, headed by when in the gap it was sampled.
                    for offset_ms, stack in self._sample[1]:
                        where += (f"-- at {offset_ms:.0f} ms into the gap:",) + stack
                self._sample = None
            self.stalls.append(Stall(began - self._t0, gap_ms, self._label, where, waited_ms))

    def _watch(self) -> None:
        """Watchdog thread: sample the GUI thread's stack while a gap is long.

        From half the threshold on, every 10 ms: a stall only just over the threshold is
        caught too, and a long one shows each place it went through (distinct stacks,
        oldest first)."""
        period = max(0.002, self.interval_ms / 2000.0)
        start_after = self.threshold_ms / 2000.0
        every = 0.010
        sampled_at = 0.0
        while self._running.is_set():
            time.sleep(period)
            began = self._last
            now = time.perf_counter()
            if now - began <= start_after or now - sampled_at < every:
                continue
            frame = sys._current_frames().get(self._gui_thread)
            if frame is None:
                continue
            sampled_at = time.perf_counter()
            # No source lines: reading them (linecache) holds the GIL this watch measures.
            stack = traceback.StackSummary.extract(traceback.walk_stack(frame), limit=40,
                                                   lookup_lines=False)[::-1]
            where = tuple(f"{_short(f.filename)}:{f.lineno} {f.name}" for f in stack)
            where += self._other_threads()
            offset_ms = (sampled_at - began) * 1000.0
            with self._lock:
                if self._last != began:
                    continue  # that gap is over
                if self._sample is None or self._sample[0] != began:
                    self._sample = (began, ())
                seen = self._sample[1]
                if len(seen) < 4 and (not seen or seen[-1][1] != where):
                    self._sample = (began, seen + ((offset_ms, where),))

    def _other_threads(self) -> tuple[str, ...]:
        """Where each other Python thread is, one line each, marked "[name]": when the GUI
        thread is in native code (painting, or waiting for the GIL), one of these is what
        holds it. Threads parked in a wait are left out."""
        names = {t.ident: t.name for t in threading.enumerate()}
        lines = []
        for ident, frame in sys._current_frames().items():
            if ident in (self._gui_thread, threading.get_ident()):
                continue
            code = frame.f_code
            if code.co_name in _PARKED:
                continue
            lines.append(f"[{names.get(ident, ident)}] {_short(code.co_filename)}:"
                         f"{frame.f_lineno} {code.co_name}")
        return tuple(sorted(lines))

    # --- results
    def summary(self, label: str | None = None) -> StallSummary:
        """Figures for the gaps measured under ``label`` (all of them for None)."""
        gaps = [g for name, g in self.gaps if label is None or name == label]
        own = [g - w for (name, g), w in zip(self.gaps, self.waits, strict=True)
               if label is None or name == label]
        stalls = [s for s in self.stalls if label is None or s.label == label]
        worst = tuple(sorted(stalls, key=lambda s: -s.gap_ms)[:5])
        return StallSummary(
            label=label, ticks=len(gaps), seconds=sum(gaps) / 1000.0,
            max_ms=max(gaps, default=0.0), p99_ms=percentile(gaps, 99.0),
            mean_ms=sum(gaps) / len(gaps) if gaps else 0.0, stalls=len(stalls),
            stall_ms=sum(s.gap_ms for s in stalls), threshold_ms=self.threshold_ms,
            worst=worst, own_max_ms=max(own, default=0.0), own_p99_ms=percentile(own, 99.0),
            own_stalls=sum(1 for g in own if g > self.threshold_ms))

    def labels(self) -> list[str]:
        """Labels measured, in the order they first appeared."""
        return list(dict.fromkeys(name for name, _ in self.gaps))


# Innermost functions of a thread that is waiting, not running: a lock, a queue, a
# selector, a sleep loop (ThreadPoolExecutor's idle worker waits in C, in ``_worker``).
_PARKED = frozenset({"wait", "_wait_for_tstate_lock", "get", "select", "poll", "_worker",
                     "accept", "recv", "recv_bytes", "_recv", "_recv_bytes", "readinto",
                     "_watch", "sleep", "wait_for"})


def _short(path: str) -> str:
    """A source path from the repository (or a package) on, to keep reports short."""
    for marker in ("/site-packages/", "/app/", "/timeline/", "/project_store/"):
        i = path.rfind(marker)
        if i >= 0:
            return path[i + 1:] if marker != "/site-packages/" else path[i + 15:]
    return path.rsplit("/", 1)[-1]
