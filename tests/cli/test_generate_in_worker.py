"""`takeline generate --in-worker`: previz through the generation worker process, as the
editor runs it (the bundle's smoke test uses it to prove the worker starts from inside)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from cli.main import main
from project_store.generation_records import GenerationRecords
from project_store.project import Project
from tests.cli_projects import segment_project


def test_previz_in_the_worker_makes_the_same_take(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    here, there = segment_project(tmp_path / "a"), segment_project(tmp_path / "b")
    assert main(["generate", str(here), "--segment", "1", "--seed", "5"]) == 0
    assert main(["generate", str(there), "--segment", "1", "--seed", "5", "--in-worker"]) == 0
    assert not [p for p in multiprocessing.active_children() if p.name == "takeline-worker"]
    hashes = []
    for path in (here, there):
        with Project.open(path, read_only=True) as project:
            [take] = GenerationRecords(project).takes(1)
            hashes.append(take.frames_hash)
    assert hashes[0] == hashes[1]
