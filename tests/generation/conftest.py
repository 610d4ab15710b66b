"""Fixtures for generation tests: tiny real diffusers pipelines (built once per session,
offline, loaded through ``from_pretrained`` like a user's model) and a project with a
generated segment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from project_store.project import Project
from timeline.model import SequenceSettings


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    built: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in built:
            from tests.generation.tiny_pipelines import build_tiny_pipeline

            built[kind] = build_tiny_pipeline(kind, root / kind)
        return built[kind]

    return get


def make_project(path: Path, *, duration: int = 12, prompt: str = "a red fox in snow",
                 fps: Fraction = Fraction(24)) -> tuple[Project, int]:
    project = Project.create(path, SequenceSettings(fps=fps, width=64, height=36))
    project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": duration,
                     "prompt": prompt})
    segment = next(i for i in project.sequence.all_items() if i.kind == "generated")
    return project, segment.id


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Project, int]]:
    project, segment = make_project(tmp_path / "gen.takeline")
    try:
        yield project, segment
    finally:
        project.close()
