"""CPU priorities: the editor's UI thread first, background work after it.

On a busy machine (two cores, an export, a build) the UI thread stalls not because it has
work but because it waits for a CPU behind the editor's own workers: the scrub renderer, the
read-ahead, the decoders they open, an encoder child. These calls only ever *lower*
priorities (no privilege needed), and only where the platform has the call (Linux; the
rest keep their defaults):

* ``background_thread(nice)`` for a worker thread of the editor: nice raised by ``nice``
  for that thread alone (Linux priorities are per thread) and for the threads it starts
  (FFmpeg's decoder threads are created by the thread that opens the decoder);
* ``background_process(nice)`` at the start of a child process's main thread, before it
  starts threads: the same for the whole process, plus the batch policy (a waking batch
  thread never preempts a running one, so an encoder's threads waking each frame cannot
  push the UI thread off a CPU);
* ``own_session()`` for a child process: a session of its own. The kernel's autogroups
  (most desktop kernels) share the CPU between sessions first, so a child in the editor's
  session takes its CPU from the editor's own share, the UI thread's included.

A nice value only weighs threads against others of the same autogroup: a child in a session
of its own at nice 4 still gets as much CPU as the whole editor when both want it. So
``background_process`` also lowers the autogroup's own weight when the process leads its
session (``/proc/self/autogroup``; lowering needs no privilege).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

# How long a thread that wants the GIL waits before the holder must let go (CPython's
# default is 5 ms). The UI thread re-takes the GIL after every Qt call it makes (PySide
# lets it go around each), so a paint of a thousand calls beside a busy decode thread could
# wait up to 5 ms again and again: a take landing while its thumbnails decode stalled the
# window 50-70 ms. At 1 ms those waits shrink fivefold (benchmarks/bench_ui_stall.py).
UI_SWITCH_INTERVAL_S = 0.001


def favour_ui_thread() -> None:
    """For the editor's process, whose main thread is the UI thread: hand the GIL round
    faster, so the UI thread never waits long behind its own workers."""
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)


def background_thread(nice: int = 4) -> None:
    """Lower the calling thread's priority by ``nice`` (and that of threads it starts)."""
    setpriority = getattr(os, "setpriority", None)
    if setpriority is None or not hasattr(threading, "get_native_id"):
        return
    try:
        tid = threading.get_native_id()
        # Linux: PRIO_PROCESS with a thread id sets that thread alone.
        current = os.getpriority(os.PRIO_PROCESS, tid)
        setpriority(os.PRIO_PROCESS, tid, min(19, current + nice))
    except OSError:
        pass


def background_process(nice: int = 4) -> None:
    """Lower the calling process's priority (call on its main thread before it starts any
    other): nice raised by ``nice`` and the batch policy, both inherited by its threads."""
    try:
        os.nice(nice)
    except (AttributeError, OSError):
        pass
    _lower_autogroup(nice)
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is not None:
        try:
            os.sched_setscheduler(0, batch, os.sched_param(0))
        except OSError:
            pass


def _lower_autogroup(nice: int) -> None:
    """Raise the nice of this process's autogroup by ``nice``, when the process leads a
    session of its own (the editor's session is the editor's: never lowered from here)."""
    getsid = getattr(os, "getsid", None)
    if getsid is None or getsid(0) != os.getpid():
        return
    path = "/proc/self/autogroup"
    try:
        with open(path) as fh:  # "/autogroup-967 nice 0"
            current = int(fh.read().split()[-1])
        with open(path, "w") as fh:
            fh.write(str(min(19, current + nice)))
    except (OSError, ValueError, IndexError):
        pass  # no autogroups (disabled, another OS): the plain nice is what counts


def own_session() -> None:
    """Put the calling process (a child of the editor) in a session of its own."""
    setsid = getattr(os, "setsid", None)
    if setsid is None:
        return
    try:
        setsid()
    except OSError:
        pass  # already a session leader (started with start_new_session)


_OPENCV_SET = False


def opencv() -> Any:
    """The ``cv2`` module, single-threaded (set once, for the process). Compositing and
    the previz plate already run beside other busy threads (the decoder's, the encoder's,
    the UI thread); OpenCV splitting each warp across every core then waits for whichever
    core the encoder holds: a 1080p transformed export took 1.49x the plain one on two idle
    cores with OpenCV's pool, 1.20x without it (bench_transform.py)."""
    import cv2

    global _OPENCV_SET
    if not _OPENCV_SET:
        cv2.setNumThreads(1)
        _OPENCV_SET = True
    return cv2
