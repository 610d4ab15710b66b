"""Fixtures for generation tests: a project with a generated segment. (``tiny_model``, the
tiny real pipelines, lives in ``tests/conftest.py``: the app tests use it too.)"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from project_store.project import Project
from timeline.model import SequenceSettings


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
