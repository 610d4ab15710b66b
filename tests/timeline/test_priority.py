"""Background work yields the CPU to the UI thread: a worker thread's own nice, a child
process's nice, batch policy and session."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from timeline.priority import background_thread

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="per-thread priorities and SCHED_BATCH are Linux's")


@linux_only
def test_background_thread_lowers_that_thread_alone() -> None:
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: dict[str, int] = {}

    def work() -> None:
        background_thread(3)
        tid = threading.get_native_id()
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, tid)

        def child_thread() -> None:  # started by the lowered thread: inherits it
            seen["its thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        t = threading.Thread(target=child_thread)
        t.start()
        t.join()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen["worker"] == min(19, mine + 3)
    assert seen["its thread"] == seen["worker"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine


@linux_only
def test_a_background_process_in_its_own_session() -> None:
    code = ("import os; from timeline.priority import background_process, own_session; "
            "before = os.getpriority(os.PRIO_PROCESS, 0); own_session(); "
            "background_process(4); "
            "print(os.getsid(0) == os.getpid(), os.sched_getscheduler(0) == os.SCHED_BATCH, "
            "os.getpriority(os.PRIO_PROCESS, 0) - before)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
                         check=True).stdout.split()
    start = os.getpriority(os.PRIO_PROCESS, 0)
    assert out[:2] == ["True", "True"]
    assert int(out[2]) == min(4, 19 - start)


AUTOGROUP = Path("/proc/self/autogroup")


@linux_only
@pytest.mark.skipif(not AUTOGROUP.exists()
                    or Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip()
                    != "1", reason="this kernel shares the CPU without autogroups")
def test_a_session_leader_lowers_its_autogroup_and_the_editors_stays() -> None:
    # Nice weighs threads of one autogroup only: a child leading its own session must lower
    # its group's weight too, or it competes with the whole editor as an equal.
    code = ("import os; from timeline.priority import background_process, own_session; "
            "read = lambda: int(open('/proc/self/autogroup').read().split()[-1]); "
            "own_session(); before = read(); background_process(4); print(before, read())")
    editor_before = AUTOGROUP.read_text()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
                         check=True).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert after == min(19, before + 4)
    # A process that does not lead its session (the editor itself) leaves the group alone.
    code_in_session = ("import os; from timeline.priority import background_process; "
                       "background_process(4); print(open('/proc/self/autogroup').read())")
    subprocess.run([sys.executable, "-c", code_in_session], capture_output=True, text=True,
                   cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
                   check=True)
    assert AUTOGROUP.read_text() == editor_before
