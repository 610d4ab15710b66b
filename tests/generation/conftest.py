"""Fixtures for generation tests: a project with a generated segment. (``tiny_model``, the
tiny real pipelines, lives in ``tests/conftest.py``: the app tests use it too.)"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from generation.installed_models import resolve_model
from generation.planner import ResolvedModel
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


def resolved(path: Path) -> ResolvedModel:
    """A tiny model's folder as the planner sees it (what `--model DIR` resolves to)."""
    m = resolve_model(str(path))
    return ResolvedModel(id=m.id, path=str(m.path), revision=m.revision,
                         pipeline_class=m.pipeline_class)


def load_pipeline(model: ResolvedModel) -> Any:
    """The same folder loaded directly, as a user's own diffusers call would."""
    import diffusers

    p = diffusers.DiffusionPipeline.from_pretrained(model.path, local_files_only=True,
                                                    use_safetensors=True)
    p.set_progress_bar_config(disable=True)
    return p
