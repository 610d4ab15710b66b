"""Worker messages are plain dataclasses that survive the pickle a spawned process's pipe
uses, and failure kinds still read as their strings."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from generation.backends.base import ModelLoadError, OutOfMemory, UnsupportedRequest
from generation.client import WorkerFailed
from generation.execute import RunResult
from generation.messages import (
    CancelJob,
    Cancelled,
    Failed,
    FailureKind,
    Finished,
    Progress,
    Quit,
    Ready,
    RunJob,
    Started,
)
from generation.spec import JobSpec

SPEC = JobSpec(backend="previz", seed=3, call={"num_frames": 2, "width": 8, "height": 8},
               fps="24/1", inputs={"image": {"path": "a.png"}})
RESULT = RunResult(media_file="t.mkv", frames_hash="ab", frame_count=2, width=8, height=8,
                   fps="24/1", facts={"device": "cpu"})


@pytest.mark.parametrize("msg", [
    RunJob(1, SPEC, Path("/tmp/out")), CancelJob(1), Quit(), Ready(42), Started(1),
    Progress(1, 2, 3), Finished(1, RESULT), Failed(1, FailureKind.OOM, "out", "smaller"),
    Cancelled(1),
])
def test_messages_round_trip_through_pickle(msg: object) -> None:
    assert pickle.loads(pickle.dumps(msg)) == msg


def test_failure_kinds_are_their_strings() -> None:
    assert [UnsupportedRequest.kind, ModelLoadError.kind, OutOfMemory.kind] == [
        "unsupported", "model", "oom"]
    failed = WorkerFailed("hang", "stuck", "retry")
    assert failed.kind is FailureKind.HANG and str(failed) == "stuck. retry"
