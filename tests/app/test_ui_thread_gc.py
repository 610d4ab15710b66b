"""The editor collects cyclic garbage on the UI thread only (app/ui_thread_gc.py)."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QTimer  # noqa: E402

from app.ui_thread_gc import UiThreadCollector  # noqa: E402


class _Holder:
    """A Qt object with a running timer, reachable only through a reference cycle once
    dropped: what a closed qasync loop or panel leaves behind."""

    def __init__(self) -> None:
        self.me = self
        self.timer = QTimer()
        self.timer.setInterval(10_000)
        self.timer.start()


def test_cycles_dropped_on_a_worker_thread_are_freed_on_the_ui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    gc.enable()  # the app tests' own guard turns it off; the collector must do that itself
    collector = UiThreadCollector(interval_ms=5)
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []
        holder = _Holder()
        weakref.finalize(holder, lambda: freed_on.append(threading.current_thread().name))
        del holder

        kept: list[list[int]] = []

        def churn() -> None:  # far more live container allocations than generation 0's threshold
            kept.extend([i] for i in range(20 * gc.get_threshold()[0]))

        worker = threading.Thread(target=churn, name="churn")
        worker.start()
        worker.join()
        assert freed_on == []  # the worker's allocations collected nothing
        qtbot.waitUntil(lambda: bool(freed_on), timeout=5000)
        assert freed_on == [threading.main_thread().name]
        assert collector.collections[0] + collector.collections[1] >= 1
    finally:
        collector.stop()
    assert gc.isenabled()  # handed back


def test_full_collections_are_spaced_out(qtbot) -> None:  # type: ignore[no-untyped-def]
    collector = UiThreadCollector(interval_ms=100_000, full_every_s=3600)
    try:
        for _ in range(gc.get_threshold()[2] + 2):  # make a full collection due by count
            gc.collect(1)
        assert gc.get_count()[2] > gc.get_threshold()[2]
        collector._last_full -= 3600
        assert collector.collect_due() == 2
        for _ in range(gc.get_threshold()[2] + 2):
            gc.collect(1)
        # Due again by count, but the last full one was just now: not another one yet.
        assert collector.collect_due() != 2
        assert collector.collections[2] == 1
    finally:
        collector.stop()


def _make_full_due() -> None:
    for _ in range(gc.get_threshold()[2] + 2):
        gc.collect(1)
    assert gc.get_count()[2] > gc.get_threshold()[2]


def test_a_full_collection_waits_for_a_quiet_moment(qtbot) -> None:  # type: ignore[no-untyped-def]
    # A scrub or a drag (input within quiet_s) or playback (busy) holds a due full
    # collection back; once quiet it runs, and an overdue one runs regardless.
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication, QWidget

    playing = [False]
    collector = UiThreadCollector(interval_ms=100_000, full_every_s=0, quiet_s=3600,
                                  overdue_s=3600, busy=lambda: playing[0])
    widget = QWidget()
    qtbot.addWidget(widget)
    try:
        _make_full_due()
        move = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(5, 5), QPointF(5, 5),
                           Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, move)  # the user drags
        assert collector.collect_due() != 2
        collector.quiet_s = 0.0  # ... and has stopped
        playing[0] = True
        _make_full_due()
        assert collector.collect_due() != 2  # but the sequence plays
        playing[0] = False
        _make_full_due()
        assert collector.collect_due() == 2
        # Overdue: it runs even mid-drag.
        collector.quiet_s, collector.overdue_s = 3600, 0.0
        QApplication.sendEvent(widget, move)
        _make_full_due()
        assert collector.collect_due() == 2
        assert collector.collections[2] == 2
    finally:
        collector.stop()


_CLOSED_LOOP_SCRIPT = """
import asyncio, sys, threading, time
import qasync
from PySide6.QtWidgets import QApplication
from app.ui_thread_gc import UiThreadCollector

app = QApplication([])
collector = UiThreadCollector(app)

loop = qasync.QEventLoop(app)  # used and closed with a timer pending, as a test run does
asyncio.set_event_loop(loop)
with loop:
    loop.run_until_complete(asyncio.sleep(0.01))
    loop.call_later(0.5, print)
asyncio.set_event_loop(None)
del loop
kept = []  # a worker thread allocates enough to cross the collector's threshold
worker = threading.Thread(target=lambda: kept.extend([i] for i in range(100_000)))
worker.start()
worker.join()
end = time.monotonic() + 1.5
while time.monotonic() < end:  # the pending timer comes due
    app.processEvents()
    time.sleep(0.005)
print("survived")
"""


def test_a_closed_qasync_loop_is_never_freed_on_a_worker_thread() -> None:
    """The crash this module exists for: without the collector, the worker thread frees the
    closed loop, its Qt timer stays registered, and firing it is a segfault (the CI run of
    2026-11-24 died that way inside pytest-qt's event processing)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", _CLOSED_LOOP_SCRIPT], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "survived" in done.stdout, (done.returncode, done.stderr)
