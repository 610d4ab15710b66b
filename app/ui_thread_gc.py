"""Cyclic garbage is collected on the UI thread only.

CPython runs its cycle collector in whichever thread happens to allocate when a threshold
is crossed: in the editor that is as often a decode, scrub or import thread as the UI
thread. A Qt object freed that way (a wrapper that was only reachable through a cycle) is
destroyed on the wrong thread: Qt cannot stop its timers from there ("Timers cannot be
stopped from another thread"), leaves them registered, and later delivers a timer event to
freed memory, a segfault in the event loop. So the automatic collector is switched off and
this object runs it between events on the UI thread, on CPython's own schedule.

Before any of this, ``settle_heap`` moves the start-up heap out of the collector's reach, so
the full collections that remain walk only what was made since. It first imports what the
editor's background machinery would otherwise import on first use (``LATE_IMPORTS``): once
PySide6 is loaded, its import hook reads the source of every module imported, so a first
import on the UI thread (the measuring process's pool after the first take, say) is a stall.
"""

from __future__ import annotations

import gc
import importlib
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

# Imported on first use by what the window starts later (the generation worker's and the
# measuring process's spawn, the backups thread's timestamps): found with an audit hook on
# "import" over a run of benchmarks/bench_ui_stall.py.
LATE_IMPORTS = (
    "concurrent.futures.process",
    "multiprocessing.connection",
    "multiprocessing.queues",
    "multiprocessing.synchronize",
    "multiprocessing.spawn",
    "multiprocessing.resource_tracker",
    "multiprocessing.popen_spawn_win32" if sys.platform == "win32"
    else "multiprocessing.popen_spawn_posix",
    "runpy",
    "_strptime",
    "numpy.ma",  # the first waveform of a take (a background thread)
    "cv2",  # transforms, previz; and timeline.spawning imports it before the worker starts
    "generation.worker",
)


def import_late_modules() -> None:
    """Import ``LATE_IMPORTS`` now, at start-up, instead of mid-session on the UI thread."""
    for name in LATE_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not on this platform: whatever needs it will say so when it runs


def settle_heap() -> None:
    """Move everything alive once the window is up (Qt wrappers, modules, the model) out of
    the cyclic collector's reach: a full collection over them takes 60+ ms, a visible
    stall if it lands mid-paint. Objects made later are collected as usual. The modules
    the session would import later are imported first, so they are settled too."""
    import_late_modules()
    gc.collect()
    gc.freeze()


def resettle_heap() -> None:
    """Another project was opened in the window: what ``settle_heap`` froze (the closed
    project's model and its wrappers among it) is thawed so it can be freed, and the heap is
    frozen again. One full collection, while the user waits for the project to open anyway."""
    if gc.get_freeze_count():
        gc.unfreeze()
        settle_heap()


# Input events: the user is at work (a scrub, a drag, typing), not a moment to pause.
_INPUT_EVENTS = frozenset({
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.KeyPress, QEvent.Type.KeyRelease,
    QEvent.Type.TabletMove, QEvent.Type.TouchUpdate,
})


class UiThreadCollector(QObject):
    """Owns cyclic garbage collection while it lives (created on the UI thread).

    Every ``interval_ms`` it looks at the collector's counts and runs the oldest generation
    that is due, as CPython would: generation 0 after ``threshold[0]`` net allocations,
    generation 1 after ``threshold[1]`` young collections, the full collection after
    ``threshold[2]`` middle ones but at most once per ``full_every_s`` (CPython also holds
    full collections back until the long-lived objects have grown by a quarter).

    A full collection walks everything made since start-up: 40-90 ms after an hour's
    work, a visible stall mid-scrub. So it also waits for a quiet moment, ``quiet_s``
    without input (and not while ``busy()``, e.g. playback), unless it is overdue by
    ``overdue_s``: memory still comes back, at a moment nobody is watching the picture."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 200,
                 full_every_s: float = 30.0, quiet_s: float = 1.0,
                 overdue_s: float = 120.0,
                 busy: Callable[[], bool] | None = None) -> None:
        super().__init__(parent)
        self.full_every_s = full_every_s
        self.quiet_s = quiet_s
        self.overdue_s = overdue_s
        self.busy = busy
        self.collections = [0, 0, 0]  # per generation, for tests and curiosity
        self._last_full = time.monotonic()
        self._last_input = 0.0
        self._was_enabled = gc.isenabled()
        gc.disable()
        app = QCoreApplication.instance()
        self._app = app
        if app is not None:
            app.installEventFilter(self)  # sees input sent to any widget
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() in _INPUT_EVENTS:
            self._last_input = time.monotonic()
        return False

    def _quiet(self, now: float) -> bool:
        if now - self._last_input < self.quiet_s:
            return False
        return self.busy is None or not self.busy()

    def collect_due(self) -> int | None:
        """Collect the generation that is due, if any; returns it."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        now = time.monotonic()
        generation: int | None = None
        since_full = now - self._last_full
        if (counts[2] > thresholds[2] and since_full >= self.full_every_s
                and (self._quiet(now) or since_full >= self.full_every_s + self.overdue_s)):
            generation = 2
        elif counts[1] > thresholds[1]:
            generation = 1
        elif counts[0] > thresholds[0]:
            generation = 0
        if generation is None:
            return None
        gc.collect(generation)
        if generation == 2:
            self._last_full = time.monotonic()
        self.collections[generation] += 1
        return generation

    def stop(self) -> None:
        """Hand collection back to CPython (if it had it before)."""
        self._timer.stop()
        if self._app is not None:
            self._app.removeEventFilter(self)
        if self._was_enabled:
            gc.enable()

