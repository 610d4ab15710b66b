"""`takeline farm PROJECT --address local:N`: the queue drained by N worker processes on this
machine, the same takes as `takeline jobs --run`; a bad address refused in one line."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from cli.main import main
from project_store.generation_records import GenerationRecords
from project_store.project import Project
from tests.cli_projects import segment_project


def _queued(folder: Path) -> Path:
    folder.mkdir()
    p = segment_project(folder)
    assert main(["generate", str(p), "--segment", "1", "--takes", "3", "--seed", "21",
                 "--queue-only"]) == 0
    return p


def _hashes(p: Path) -> dict[int, str]:
    with Project.open(p, read_only=True) as project:
        return {t.seed: t.frames_hash for t in GenerationRecords(project).takes(1)}


def test_local_workers_drain_the_queue_with_the_same_takes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import generation.workers

    monkeypatch.setattr(generation.workers, "local_gpus", list)  # as on a CPU-only machine
    farm, here = _queued(tmp_path / "farm"), _queued(tmp_path / "here")
    capsys.readouterr()
    assert main(["farm", str(farm), "--address", "local:2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [w["name"] for w in out["workers"]] == ["cpu0", "cpu1"]
    assert [j["state"] for j in out["jobs"]] == ["done"] * 3
    assert all(t["recipe"]["host"] for t in out["takes"])
    assert not [c for c in multiprocessing.active_children() if c.name == "takeline-worker"]
    assert main(["jobs", str(here), "--run"]) == 0
    assert _hashes(farm) == _hashes(here) and len(_hashes(farm)) == 3
    # Nothing left to do: said so, nothing started.
    assert main(["farm", str(farm), "--address", "local:2"]) == 0
    assert "Nothing queued" in capsys.readouterr().err


@pytest.mark.parametrize("address", ["bogus", "ray://nohost", "local:0"])
def test_a_bad_address_is_refused_in_one_line(tmp_path: Path, address: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    p = _queued(tmp_path / "p")
    capsys.readouterr()
    assert main(["farm", str(p), "--address", address]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    with Project.open(p, read_only=True) as project:
        assert [j.state for j in GenerationRecords(project).jobs()] == ["queued"] * 3
