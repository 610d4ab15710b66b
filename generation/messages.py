"""The messages between the editor and the inference worker (``generation.worker`` <->
``generation.client``), one frozen dataclass each, sent as pickles over a ``multiprocessing``
pipe (spawn: every class here is importable at module level, and so are the ``JobSpec`` and
``RunResult`` they carry).

  editor -> worker: ``RunJob``, ``CancelJob``, ``Quit``
  worker -> editor: ``Ready``, ``Started``, ``Progress``, ``Finished``, ``Failed``,
                    ``Cancelled``
  (the client's reader thread adds ``WorkerDied`` when the pipe closes)

``job`` is the client's own run number, not the project's job id (ids repeat across
projects). Nothing here is stored in a project file: specs and results keep their JSON.

This module imports no torch, no diffusers and no backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generation.execute import RunResult
    from generation.spec import JobSpec


class FailureKind(StrEnum):
    """Why a job failed (a ``str``: compares and prints as its value)."""

    ERROR = "error"  # anything else; the worker's log has the traceback
    UNSUPPORTED = "unsupported"  # the backend cannot take what was asked
    MODEL = "model"  # the model is missing or cannot be loaded
    OOM = "oom"  # out of GPU memory: the client restarts the worker
    CRASH = "crash"  # the worker process died (or did not start)
    HANG = "hang"  # no progress for the stall limit: the worker was killed


# --- editor -> worker --------------------------------------------------------------------


@dataclass(frozen=True)
class RunJob:
    job: int
    spec: JobSpec
    out_dir: Path


@dataclass(frozen=True)
class CancelJob:
    job: int


@dataclass(frozen=True)
class Quit:
    pass


ToWorker = RunJob | CancelJob | Quit


# --- worker -> editor --------------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    pid: int


@dataclass(frozen=True)
class Started:
    job: int


@dataclass(frozen=True)
class Progress:
    job: int
    step: int
    total: int


@dataclass(frozen=True)
class Finished:
    job: int
    result: RunResult


@dataclass(frozen=True)
class Failed:
    job: int
    kind: FailureKind
    message: str
    suggestion: str = ""


@dataclass(frozen=True)
class Cancelled:
    job: int


@dataclass(frozen=True)
class WorkerDied:
    """Not sent by the worker: the client's reader posts it when the pipe closes."""


FromWorker = Ready | Started | Progress | Finished | Failed | Cancelled
