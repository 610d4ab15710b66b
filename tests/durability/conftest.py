"""Helpers for the durability tests: real project files, real processes, kill -9."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A generous bound for a loaded machine; every wait below is for a condition, not a time.
WAIT_S = 120


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("QT_QPA_PLATFORM", "offscreen")
    return e


def takeline(*args: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    """The `takeline` command in its own process."""
    proc = subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=WAIT_S * 3)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


# A writer in its own process, driven line by line over stdin:
#   "mark NAME"  adds a marker (one committed edit), "sniff" opens and closes the project file
#   with plain open() (what a file dialog does), "lockpeek" opens and closes the lock file;
#   each answers "ok" once done. It starts by answering "ready PID".
WRITER = r"""
import sys
from pathlib import Path
from project_store.project import Project
path = Path(sys.argv[1])
p = Project.open(path)
print("ready", __import__("os").getpid(), flush=True)
n = 0
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "mark":
        n += 1
        p.execute({"op": "add_marker", "at": n, "name": arg})
    elif cmd == "sniff":
        with open(path, "rb") as f:
            f.read(16)
    elif cmd == "lockpeek":
        with open(str(path) + ".lock", "rb") as f:
            f.read()
    elif cmd == "close":
        p.close()
    print("ok", flush=True)
"""


class Writer:
    def __init__(self, project: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER, str(project)], cwd=ROOT,
                                     env=env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self._line()
        assert line.startswith("ready"), line
        self.pid = int(line.split()[1])

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"writer ended: {err}")
        return line.strip()

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        assert self._line() == "ok"

    def kill9(self) -> None:
        self.proc.kill()  # SIGKILL: no close, no checkpoint, no lock release by us
        self.proc.wait(timeout=WAIT_S)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()


@pytest.fixture
def writers() -> object:
    started: list[Writer] = []

    def start(project: Path) -> Writer:
        w = Writer(project)
        started.append(w)
        return w

    yield start
    for w in started:
        if w.proc.poll() is None:
            w.kill9()
