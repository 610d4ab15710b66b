"""One error reporter: every failure of background work reaches the user the same way.

Thumbnail and waveform jobs, proxy builds, imports, relinks, renders, generation jobs and
exports run off the UI thread and fail there. Each reports through an ``ErrorReporter``
(``reporter.report("Proxies", "clip.mov: cannot decode ...")``); the window subscribes once
and shows what arrives. Every report also goes to the ``takeline`` logger, so a log file
keeps what the status bar showed for a few seconds.

Subscribers are called on the thread that reported: a Qt subscriber hops to the UI thread
itself (a queued signal).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["ErrorReporter", "Report"]

log = logging.getLogger("takeline")


@dataclass(frozen=True)
class Report:
    """One failure or notice, said in the user's words (never a traceback)."""

    source: str  # what was running: "Proxies", "Import", "Generation", "Playback", ...
    message: str  # what happened and, where there is one, what to do
    level: str = "error"  # "error", "warning" or "info"
    at: float = field(default_factory=time.time)

    def text(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


class ErrorReporter:
    """Fans reports out to subscribers and keeps the latest ``keep`` of them."""

    def __init__(self, keep: int = 200) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[Report], None]] = []
        self.recent: deque[Report] = deque(maxlen=keep)

    def subscribe(self, fn: Callable[[Report], None]) -> Callable[[], None]:
        """Call ``fn`` with every report from now on; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)
        return unsubscribe

    def report(self, source: str, message: str, *, level: str = "error") -> Report:
        report = Report(source, message, level)
        log.log({"error": logging.ERROR, "warning": logging.WARNING}.get(level, logging.INFO),
                 "%s", report.text())
        with self._lock:
            self.recent.append(report)
            subscribers = list(self._subscribers)
        for fn in subscribers:
            try:
                fn(report)
            except Exception:  # a broken subscriber must not take the reporter down
                log.exception("error subscriber failed on %r", report.text())
        return report

    def for_source(self, source: str, *, level: str = "info") -> Callable[[str], None]:
        """A one-argument ``report`` for code that takes a ``report(message)`` callback
        (progress notices and failures alike: "info" unless told otherwise)."""
        def report(message: str) -> None:
            self.report(source, message, level=level)
        return report
