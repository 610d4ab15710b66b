"""``with`` support for the media readers: entering gives the object, leaving closes it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class ClosesOnExit:
    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
