"""Take metrics rows (schema 0005): written whole per take, read back only for the code
version that measured them, refused clearly when they cannot be stored."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from generation.take_media import write_take
from project_store import db
from project_store.db import ProjectError
from project_store.generation_records import GenerationRecords, NewTake
from project_store.project import Project
from project_store.take_metrics import MetricsError, TakeMetrics
from tests.generation.conftest import make_project
from timeline.conform import Conform


def _take(project: Project, segment: int, tmp: Path) -> int:
    frames = [np.full((8, 8, 3), i * 20, np.uint8) for i in range(3)]
    w = write_take(frames, Fraction(24), tmp / "t.mkv")
    (take,) = GenerationRecords(project).add_takes(segment, [NewTake(
        media_file=w.path, frames_hash=w.frames_hash, frame_count=3, fps=Fraction(24),
        width=8, height=8, backend="previz", model="previz", seed=1, recipe={},
        conform=Conform(take_frames=3, segment_frames=12))])
    return take.id


FIGURES = [
    {"name": "flicker", "value": 0.25, "unit": "grey levels/frame", "direction": "lower",
     "detail": {"max": 0.5}},
    {"name": "camera_error", "value": None, "unit": "px/frame", "direction": "lower",
     "detail": {"reason": "not computed: the brief has no camera path"}},
]


def test_rows_round_trip_per_code_version(tmp_path: Path) -> None:
    project, seg = make_project(tmp_path / "p.takeline")
    with project:
        take = _take(project, seg, tmp_path)
        rows = TakeMetrics(project)
        assert rows.read("1") == {} and rows.unmeasured("1", [take]) == [take]
        rows.write(take, FIGURES, "1")
        got = rows.read("1", [take])[take]
        assert list(got) == ["flicker", "camera_error"]
        assert got["flicker"].value == 0.25 and got["flicker"].detail == {"max": 0.5}
        assert got["camera_error"].value is None
        assert got["camera_error"].detail["reason"].startswith("not computed")
        # A newer measuring code does not read the older figures as its own.
        assert rows.read("2", [take]) == {}
        assert rows.unmeasured("2", [take]) == [take]
        # Writing again replaces the take's figures whole (no stale metric left behind).
        rows.write(take, FIGURES[:1], "2")
        assert list(rows.read("2")[take]) == ["flicker"]
        assert rows.read("1") == {}
        assert rows.read("2", []) == {}


def test_bad_figures_and_unknown_takes_are_refused(tmp_path: Path) -> None:
    project, seg = make_project(tmp_path / "p.takeline")
    with project:
        take = _take(project, seg, tmp_path)
        rows = TakeMetrics(project)
        with pytest.raises(MetricsError, match="nan"):
            rows.write(take, [{**FIGURES[0], "value": math.nan}], "1")
        with pytest.raises(MetricsError, match="no take 99"):
            rows.write(99, FIGURES, "1")
        assert rows.read("1") == {}
    with Project.open(tmp_path / "p.takeline", read_only=True) as reader:
        with pytest.raises(ProjectError):
            TakeMetrics(reader).write(take, FIGURES, "1")


def test_a_0004_project_gains_the_table_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.takeline"
    project, _seg = make_project(path)
    project.close()
    engine = db.make_engine(path)
    with engine.begin() as conn:
        cfg = db.alembic_config()
        cfg.attributes["connection"] = conn
        from alembic import command

        command.downgrade(cfg, "0004_job_claims")
        tables = {r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table'"))}
        assert "take_metrics" not in tables
    engine.dispose()
    with Project.open(path) as p:
        # Upgraded through 0005_take_metrics to whatever the head is now.
        assert p.query("SELECT version_num FROM alembic_version")[0][0] == db.head_revision()
        assert "0005_take_metrics" in db.known_revisions()
        assert p.query("SELECT count(*) FROM take_metrics")[0][0] == 0
