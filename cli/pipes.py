"""A reader that went away: ``takeline info P | head -1`` closes the pipe after one line.
Python then raises BrokenPipeError at the next write (and again when it flushes stdout at
exit); a command line tool stops quietly instead, as if killed by SIGPIPE."""

from __future__ import annotations

import os
import sys

# What a shell reports for a process killed by SIGPIPE (128 + 13), as `yes | head -1` shows
# in PIPESTATUS: the output was cut short, which is not success.
EXIT_CLOSED_PIPE = 141


def stdout_closed() -> int:
    """Call on BrokenPipeError: point stdout at /dev/null, so the flush at exit has nowhere
    to fail, and return the exit status. Nothing is printed (stderr may be the same closed
    pipe, and the user asked for no more output)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file (a test's capture): nothing will flush it at exit
    except Exception:  # io.UnsupportedOperation from fileno() on a captured stream
        pass
    return EXIT_CLOSED_PIPE
