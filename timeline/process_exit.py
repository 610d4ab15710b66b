"""How a child process ended, in words for a message ("killed by signal SIGKILL"): one
place for the generation worker (``generation/client.py``) and the export process
(``timeline/engine/export_process.py``)."""

from __future__ import annotations

import signal


def describe_exit(code: int | None) -> str:
    """``code`` as ``Popen.returncode`` / ``Process.exitcode`` give it (negative: the
    signal that killed it; None: still running, i.e. it stopped answering)."""
    if code is None:
        return "it stopped responding"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
