"""The one way Takeline starts a Python child with multiprocessing: ``spawn_context()``.

A spawned child starts from the parent's ``sys.path`` as it is at that moment. OpenCV's
import puts its own folders first on ``sys.path`` while it loads, then puts the old path
back; a child spawned from another thread in between (the measuring process started as a
CLI previz thread first imports OpenCV) copies that path, finds ``cv2/typing`` where
Python's ``typing`` is, and dies at start. So before spawning, OpenCV is imported here:
that waits for an import in progress on another thread (module locks), or does it now
(every child that spawns here uses it anyway, or is a generation worker started seconds
before the first take).
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import SpawnContext


def spawn_context() -> SpawnContext:
    """multiprocessing's spawn context (no inherited threads, Qt or CUDA state), once no
    import is changing ``sys.path`` under it."""
    from timeline.priority import opencv

    opencv()
    context = multiprocessing.get_context("spawn")
    assert isinstance(context, SpawnContext)
    return context
