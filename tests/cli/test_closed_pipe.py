"""`takeline ... | head -1`: the reader closes the pipe; the command stops quietly with
141 (as a tool killed by SIGPIPE), never a BrokenPipeError traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from cli.pipes import EXIT_CLOSED_PIPE

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("args", [["info", "{p}", "--json"], ["info", "{p}"],
                                  ["backups", "{p}", "--json"]])
def test_a_closed_stdout_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    p = tmp_path / "p.takeline"
    assert main(["new", str(p)]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "cli", *(a.format(p=p) for a in args)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes a byte
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_CLOSED_PIPE, err
    assert err == ""  # no traceback, no "Exception ignored" at exit
