"""Run one job spec to a take file: the backend makes frames, they are written losslessly and
hashed as they stream. Used by the worker process for model backends and in-process for
previz (which needs no torch)."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generation.backends import get_backend
from generation.backends.base import CancelFn, ProgressFn
from generation.spec import JobSpec
from generation.take_media import write_take


@dataclass(frozen=True)
class RunResult:
    """A finished run as it crosses the process boundary (plain data)."""

    media_file: str
    frames_hash: str
    frame_count: int
    width: int
    height: int
    fps: str
    facts: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RunResult:
        return cls(**d)


def run_spec(spec: JobSpec, out_dir: Path, progress: ProgressFn, cancelled: CancelFn,
             cache: dict[str, Any]) -> RunResult:
    backend = get_backend(spec.backend)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    output = backend.run(spec, progress, cancelled, cache)
    path = out_dir / f"take-{os.getpid()}-{uuid.uuid4().hex[:12]}.mkv"
    written = write_take(output.frames, spec.frame_rate, path)
    facts = dict(output.facts)
    facts.setdefault("seconds", {})["total"] = round(time.perf_counter() - t0, 3)
    return RunResult(media_file=str(written.path), frames_hash=written.frames_hash,
                     frame_count=written.frame_count, width=written.width,
                     height=written.height, fps=spec.fps, facts=facts)
