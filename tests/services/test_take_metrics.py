"""Takes measured after they are made: a previz take of a camera brief is measured in the
background (a measuring process) once stored, against its own path; what a take is measured
against is read from its records; figures of an older measuring code are not current."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from generation import metrics as gm
from generation.planner import GenerationRequest
from project_store.generation_records import GenerationRecords
from project_store.take_metrics import MetricsError, TakeMetrics
from services import take_metrics
from services.generation_queue import GenerationRunner
from tests.generation.conftest import make_project
from timeline.conditioning.camera import build_path, parse_stages


def _previz_take(tmp_path: Path, *, camera: str | None = "pan:20") -> tuple:
    project, seg = make_project(tmp_path / "p.takeline", duration=24)
    if camera is not None:
        path = build_path(parse_stages(camera), 24)
        project.execute({"op": "set", "item": seg, "camera": path.to_json()})
    heard: list[tuple[int, str | None]] = []
    runner = GenerationRunner(project, on_metrics=lambda t, e: heard.append((t, e)))
    request: GenerationRequest = runner.request_for(seg, backend="previz", size=(160, 96))
    jobs = runner.queue(seg, request)

    async def go() -> list:
        try:
            return await runner.run_queue(only={j.id for j in jobs})
        finally:
            await runner.close()

    [job] = asyncio.run(go())
    assert job.state == "done", job.error
    return project, seg, job.take_ids[0], heard


def test_a_new_take_is_measured_in_the_background_against_its_brief(tmp_path: Path) -> None:
    project, _seg, take_id, heard = _previz_take(tmp_path)
    with project:
        assert heard == [(take_id, None)]
        figures = take_metrics.current(project)[take_id]
        assert figures["camera_error"]["unit"] == "px/frame"
        print(figures["camera_error"])
        assert figures["camera_error"]["value"] <= 1.0
        assert figures["flicker"]["value"] < gm.FLICKER_WARN
        assert figures["hard_cuts"]["value"] == 0
        assert all(f["code_version"] == gm.METRICS_VERSION for f in figures.values())
        assert take_metrics.warnings(figures) == []
        # The brief changes to another move: the same take now reads as ignoring it.
        take = GenerationRecords(project).take(take_id)
        request = take_metrics.measure_request_for(project, take)
        assert request["camera"] is not None
        request["camera"] = build_path(parse_stages("tilt:15"), 24).to_json()
        other = {m["name"]: m["value"] for m in gm.measure_request(request)}
        assert other["camera_error"] > 3.0
        assert any("camera brief" in w for w in gm.warnings_for(other))


def test_figures_of_an_older_measuring_code_are_recomputed(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    project, _seg, take_id, _heard = _previz_take(tmp_path, camera=None)
    with project:
        assert "camera_error" in take_metrics.current(project)[take_id]
        assert take_metrics.current(project)[take_id]["camera_error"]["value"] is None
        monkeypatch.setattr(take_metrics, "METRICS_VERSION", "older-or-newer")
        assert take_metrics.current(project) == {}
        measured = take_metrics.measure_take(project, take_id)
        assert measured["flicker"]["code_version"] == "older-or-newer"
        assert TakeMetrics(project).read(gm.METRICS_VERSION) == {}  # replaced, not mixed


def test_what_a_take_is_measured_against_comes_from_its_records(tmp_path: Path) -> None:
    project, seg, take_id, _heard = _previz_take(tmp_path)
    with project:
        take = GenerationRecords(project).take(take_id)
        assert take_metrics.brief_camera(project, take) == take.recipe["inputs"]["scene"][
            "camera"]
        # A model take has no scene: its conditioning version's camera is the brief.
        bare = type(take)(**{**take.__dict__, "recipe": {}})
        assert take_metrics.brief_camera(project, bare)["keys"] == \
            take.recipe["inputs"]["scene"]["camera"]["keys"]
        spliced = type(take)(**{**take.__dict__, "recipe": {
            "spec": {"inputs": {"splice": {"range": [6, 18]}}},
            "inputs": {"image": {"path": "/x/before.png", "sequence_frame": 40},
                       "last_image": {"path": "/x/ctx.png"}}}})
        assert take_metrics.seam_frames(spliced) == [6, 18]
        assert take_metrics.continuity_neighbours(spliced) == {"before": "/x/before.png"}
        take.media_path.unlink()
        with pytest.raises(MetricsError, match="missing"):
            take_metrics.measure_take(project, take_id)


def _fig(**values: float | None) -> dict:
    units = {"camera_error": "px/frame", "warping_error": "grey levels",
             "flicker": "grey levels/frame", "hard_cuts": "cuts"}
    return {k: {"value": v, "unit": units.get(k, "x"), "direction": "lower"}
            for k, v in values.items()}


def test_ranking_and_the_look_first_suggestion() -> None:
    figures = {
        1: _fig(warping_error=0.9, flicker=0.2, camera_error=6.0, hard_cuts=0),  # ignored cam
        2: _fig(warping_error=1.4, flicker=0.3, camera_error=0.2, hard_cuts=0),
        3: _fig(warping_error=1.1, flicker=0.1, camera_error=0.4, hard_cuts=0),
        4: _fig(warping_error=0.5, flicker=9.0, camera_error=0.1, hard_cuts=1),  # flickers
    }
    ids = [1, 2, 3, 4, 5]  # 5 is not measured yet
    assert take_metrics.sort_by(ids, figures, "warping_error") == [4, 1, 3, 2, 5]
    assert take_metrics.sort_by(ids, figures, "camera_error") == [4, 2, 3, 1, 5]
    best, reason = take_metrics.look_first(ids, figures, {3: "Take 3"})
    # The steadiest take that is not flagged, not the steadiest overall (4 flickers).
    assert best == 3
    assert reason.startswith("Take 3: the steadiest picture (warping error 1.10")
    assert "2 other takes flagged" in reason
    assert take_metrics.thumbnail_flags(figures[1]) == ["camera ignored"]
    assert take_metrics.thumbnail_flags(figures[4]) == ["flickers", "cut"]
    assert take_metrics.thumbnail_flags(figures[3]) == []
    # Every take flagged: still a suggestion, and it says so.
    only_bad = {k: figures[k] for k in (1, 4)}
    best, reason = take_metrics.look_first([1, 4], only_bad)
    assert best == 4 and "every take is flagged" in reason
    assert take_metrics.look_first([5], figures) is None
