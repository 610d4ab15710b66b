"""The CLI's one progress bar: tqdm on stderr, drawn only when stderr is a terminal, so
stdout carries nothing but results (``--json`` output, the lines scripts parse) and a log or
a pipe gets no carriage-return litter. The lines that say how a step ended are printed by
the caller, on whichever stream they belong."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, Any

from tqdm import tqdm


def on_terminal(stream: IO[str] | None = None) -> bool:
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class Progress:
    """``with Progress("proxy a.mp4", unit="frame") as bar: bar.update_to(done, total)``.

    ``enabled=False`` (``--json``, quiet modes) or a stderr that is no terminal draws
    nothing; ``stream`` is for tests."""

    def __init__(self, desc: str, *, unit: str = "it", total: int | None = None,
                 bytes_: bool = False, enabled: bool = True,
                 stream: IO[str] | None = None) -> None:
        out = sys.stderr if stream is None else stream
        on = enabled and (stream is not None or on_terminal(out))
        extra: dict[str, Any] = ({"unit": "B", "unit_scale": True, "unit_divisor": 1024}
                                 if bytes_ else {"unit": f" {unit}"})
        self._bar = tqdm(desc=desc, total=total, file=out, disable=not on, leave=False,
                         dynamic_ncols=True, **extra)

    def update_to(self, done: int, total: int | None = None) -> None:
        """Set the count to ``done`` (of ``total``, which may grow or arrive late)."""
        if total is not None and total != self._bar.total:
            self._bar.total = total
        if done != self._bar.n:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
