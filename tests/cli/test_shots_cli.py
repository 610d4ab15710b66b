"""`takeline extend` and `takeline shots` as a user runs them (previz: no model needed)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from generation.take_media import read_take
from project_store.project import Project
from services.demo_media import write_color_bars_video
from services.generation_queue import sequence_picture
from tests.cli_projects import segment_project


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _clip_project(tmp_path: Path) -> Path:
    """A 1 s colour-bars clip (id 2) with its sound (id 3) at frame 0 of V1 / A1."""
    bars = write_color_bars_video(tmp_path / "bars.mp4", seconds=1, fps=Fraction(24),
                                  size=(256, 144))
    p = tmp_path / "c.takeline"
    assert main(["new", str(p), "--fps", "24", "--size", "256x144"]) == 0
    assert main(["import", str(p), str(bars)]) == 0
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([{"op": "append", "track": "V1", "asset": 1, "source_in": 0,
                                  "source_out": 24, "audio": "A1"}]))
    assert main(["apply", str(p), str(edits)]) == 0
    return p


def test_extend_head_and_tail_with_previz(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    p = _clip_project(tmp_path)
    out = _json(capsys, ["extend", str(p), "--item", "2", "--tail", "0.5s", "--seed", "1",
                         "--json"])
    tail = out["segment"]
    [take] = out["takes"]
    assert take["frame_count"] == 1 + 12 and take["conform"]["take_offset"] == 1
    assert set(take["recipe"]["seams"]) == {"typical", "in"}
    # The head has no room before frame 0: refused, nothing changed.
    capsys.readouterr()
    assert main(["extend", str(p), "--item", "2", "--head", "6"]) == 1
    assert "not 6 frames before it" in capsys.readouterr().err
    # With --insert the clip, its sound and what follows move along.
    out = _json(capsys, ["extend", str(p), "--item", "2", "--head", "6", "--insert",
                         "--json"])
    head = out["segment"]
    with Project.open(p, read_only=True) as project:
        seq = project.sequence
        assert [(i.id, i.start, i.duration) for i in seq.tracks["V1"].items] == [
            (head, 0, 6), (2, 6, 24), (tail, 30, 12)]
        assert [(i.id, i.start) for i in seq.tracks["A1"].items] == [(3, 6)]
        # The kept frame is the clip's first frame, as the viewer shows it, bit for bit.
        [take] = out["takes"]
        frames = list(read_take(Path(take["media_path"])))
        assert len(frames) == 7 and take["conform"]["take_offset"] == 0
        assert np.array_equal(frames[6], sequence_picture(project, 6))
    # The occupied tail is refused without --insert, naming the way out.
    capsys.readouterr()
    assert main(["extend", str(p), "--item", "2", "--tail", "4"]) == 1
    assert f"taken by item {tail}" in capsys.readouterr().err
    # One undo step per extend (and one for its take).
    assert main(["undo", str(p)]) == 0 and main(["undo", str(p)]) == 0
    with Project.open(p, read_only=True) as project:
        assert [i.id for i in project.sequence.tracks["V1"].items] == [2, tail]


def test_extend_refusals_leave_the_project_unchanged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fuzz.conftest import dump

    p = _clip_project(tmp_path)
    before = dump(p)
    for argv, says in (
            (["--item", "2", "--tail", "zero"], "frames (24) or seconds"),
            (["--item", "3", "--tail", "4"], "only pictures can be extended"),
            (["--item", "2", "--tail", "4", "--model", str(tmp_path / "no-such-model")],
             "no-such-model")):
        capsys.readouterr()
        assert main(["extend", str(p), *argv]) == 1
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err
    assert dump(p) == before


def test_shots_split_generate_and_lay_out(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    p = segment_project(tmp_path, duration=36)
    capsys.readouterr()
    assert main(["shots", str(p), "--segment", "1", "--split", "10,40"]) == 1
    assert "strictly inside the segment" in capsys.readouterr().err
    assert main(["shots", str(p), "--segment", "1", "--split", "10,24", "--prompt", "a"]) == 1
    assert "one prompt per shot" in capsys.readouterr().err
    shown = _json(capsys, ["shots", str(p), "--segment", "1", "--split", "10,24",
                           "--prompt", "wide", "--prompt", "close", "--prompt", "runs",
                           "--json"])
    assert [(s["start"], s["duration"], s["prompt"]) for s in shown["shots"]] == [
        (0, 10, "wide"), (10, 14, "close"), (24, 12, "runs")]
    out = _json(capsys, ["generate", str(p), "--segment", "1", "--seed", "2", "--json"])
    [job] = out["jobs"]
    assert len(job["takes"]) == 3 and job["steps_total"] == 36
    with Project.open(p, read_only=True) as project:
        items = project.sequence.tracks["V1"].items
        assert [(i.start, i.duration, i.prompt) for i in items] == [
            (0, 10, "wide"), (10, 14, "close"), (24, 12, "runs")]
        assert [i.shot_of for i in items] == [(job["takes"][0], k) for k in range(3)]
        # Previz draws each shot from its own brief: no continuity frame is handed over.
        assert [s["continuity_from"] for s in out["takes"][0]["recipe"]["shots"]] == [
            None, None, None]
        # Each clip shows its own shot's frames of the one take file.
        frames = list(read_take(Path(out["takes"][0]["media_path"])))
        for n, k in ((0, 0), (9, 9), (10, 10), (35, 35)):
            assert np.array_equal(sequence_picture(project, n), frames[k])
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(job["takes"][1]), "--verify"]) == 0
    assert "identical" in capsys.readouterr().out
    # A shot's take is measured on its own frames of the file, not across the cuts.
    from project_store.generation_records import GenerationRecords
    from services.take_metrics import measure_request_for

    with Project.open(p, read_only=True) as project:
        take = GenerationRecords(project).take(job["takes"][1])
        request = measure_request_for(project, take)
        assert request["frames"] == [10, 24] and len(request["camera_times"]) == 14
    measured = _json(capsys, ["metrics", str(p), "--take", str(job["takes"][1]), "--json"])
    assert measured["metrics"]["hard_cuts"]["value"] == 0
