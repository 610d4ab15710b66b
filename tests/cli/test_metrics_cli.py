"""`takeline metrics` and the `metrics` object of `takeline takes --json`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cli.main import main
from generation.metrics import METRICS_VERSION
from tests.cli_projects import segment_project


def _camera_project(folder: Path) -> Path:
    """320x180: at the 64x36 of ``segment_project``'s default the previz's own slate covers
    most of the picture, and no camera can be read from what is left."""
    return segment_project(folder, name="cam.takeline", size="320x180", duration=24)


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_takes_are_measured_listed_and_measured_again(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    p = _camera_project(tmp_path)
    assert main(["conditioning", str(p), "--segment", "1", "--camera-preset", "pan:20"]) == 0
    out = _json(capsys, ["generate", str(p), "--segment", "1", "--json"])
    take = out["takes"][0]["id"]
    listed = _json(capsys, ["takes", str(p), "--segment", "1", "--json"])
    figures = listed["takes"][0]["metrics"]  # measured in the background after generate
    assert set(figures) >= {"flicker", "warping_error", "hard_cuts", "camera_error"}
    assert figures["camera_error"]["unit"] == "px/frame"
    assert figures["camera_error"]["value"] <= 1.0
    assert listed["takes"][0]["metric_warnings"] == []
    again = _json(capsys, ["metrics", str(p), "--take", str(take), "--json"])
    assert again["take"] == take
    assert again["metrics"]["camera_error"]["value"] == pytest.approx(
        figures["camera_error"]["value"], abs=1e-9)
    assert again["metrics"]["reference_similarity"]["value"] is None
    assert "no model" in again["metrics"]["reference_similarity"]["detail"]["reason"]
    # Text: every figure with its unit and direction.
    assert main(["metrics", str(p), "--take", str(take)]) == 0
    text = capsys.readouterr().out
    assert "camera_error:" in text and "px/frame (lower is better)" in text
    # Figures from another measuring code are not shown as current.
    with sqlite3.connect(p) as db:
        db.execute("UPDATE take_metrics SET code_version = 'old'")
    listed = _json(capsys, ["takes", str(p), "--segment", "1", "--json"])
    assert listed["takes"][0]["metrics"] == {}
    assert main(["takes", str(p), "--segment", "1"]) == 0
    assert "not measured yet" in capsys.readouterr().out
    assert METRICS_VERSION != "old"


def test_a_missing_take_is_one_clear_line(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    p = segment_project(tmp_path)
    capsys.readouterr()
    assert main(["metrics", str(p), "--take", "42"]) == 1
    err = capsys.readouterr().err
    assert "no take 42" in err and "Traceback" not in err


def test_a_damaged_take_file_is_one_clear_line(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    p = segment_project(tmp_path)
    take = _json(capsys, ["generate", str(p), "--segment", "1", "--json"])["takes"][0]
    media = Path(take["media_path"])
    media.chmod(0o644)
    media.write_bytes(media.read_bytes()[:200])  # cut short: the header only
    capsys.readouterr()
    assert main(["metrics", str(p), "--take", str(take["id"])]) == 1
    err = capsys.readouterr().err
    assert f"Take {take['id']} cannot be measured" in err and "Traceback" not in err


def test_a_video_made_elsewhere_is_imported_as_a_measured_take(
        tmp_path: Path, testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = testdata / "video" / "sample_with_vorbis_audio.mkv"  # 1 s, 30 fps
    if not clip.is_file():
        pytest.skip(f"{clip} is not in the shared test data")
    p = segment_project(tmp_path)
    before = clip.read_bytes()
    listed = _json(capsys, ["takes", str(p), "--segment", "1", "--import", str(clip),
                            "--json"])
    (take,) = listed["takes"]
    assert listed["active_take"] == take["id"]
    assert take["backend"] == "imported" and take["recipe"]["imported"] is True
    assert take["recipe"]["source"] == str(clip.resolve())
    assert take["conform"]["frame_map"] == "retime" and take["conform"]["segment_frames"] == 12
    assert take["frame_count"] > 10 and Path(take["media_path"]).is_file()
    assert take["metrics"]["warping_error"]["value"] is not None  # measured on import
    assert take["metrics"]["hard_cuts"]["value"] == 0
    assert clip.read_bytes() == before  # the user's file is only read
    # Nothing to re-run: said so in one line.
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(take["id"])]) == 1
    assert "imported, not generated" in capsys.readouterr().err
    # Not a video: refused, nothing added.
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    assert main(["takes", str(p), "--segment", "1", "--import", str(text)]) == 1
    err = capsys.readouterr().err
    assert "notes.txt" in err and "Traceback" not in err
    assert main(["takes", str(p), "--segment", "1", "--import", str(tmp_path / "gone.mp4")]
                ) == 1
    assert "no such file" in capsys.readouterr().err
    listed = _json(capsys, ["takes", str(p), "--segment", "1", "--json"])
    assert [t["id"] for t in listed["takes"]] == [take["id"]]
