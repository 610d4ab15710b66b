"""A generated audio segment under a generated shot, as a user makes it with `takeline`:
takes of sound from a tiny real StableAudioPipeline in the worker process, listed, picked,
re-made bit for bit, and refused clearly when the model or the segment cannot do it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from generation.take_media import read_audio_take, samples_hash


def _project(tmp_path: Path, *, duration: int = 48) -> Path:
    p = tmp_path / "shot.takeline"
    assert main(["new", str(p), "--fps", "24", "--size", "64x36"]) == 0
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([
        {"op": "add_generated", "track": "V1", "at": 12, "duration": duration,
         "prompt": "a storm over a shed"},
        {"op": "add_generated", "track": "A1", "at": 12, "duration": duration,
         "prompt": "rain on a tin roof"},
    ]))
    assert main(["apply", str(p), str(edits)]) == 0
    return p


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_audio_takes_from_the_worker_listed_picked_and_verified(
        tmp_path: Path, tiny_model: Callable[[str], Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    model = str(tiny_model("stable-audio"))
    p = _project(tmp_path)
    out = _json(capsys, ["generate", str(p), "--segment", "2", "--model", model, "--takes",
                         "2", "--seed", "7", "--steps", "2", "--json"])
    assert [j["state"] for j in out["jobs"]] == ["done", "done"]
    listed = _json(capsys, ["takes", str(p), "--segment", "2", "--json"])
    takes = listed["takes"]
    assert [t["seed"] for t in takes] == [7, 8]
    for t in takes:
        assert t["media_kind"] == "audio" and t["backend"] == "stable-audio"
        assert (t["sample_rate"], t["channels"], t["samples"]) == (8000, 2, 16000)
        samples, rate = read_audio_take(Path(t["media_path"]))
        assert rate == 8000 and samples.shape == (2, 16000)
        assert samples_hash(samples) == t["frames_hash"] == t["recipe"]["samples_hash"]
        assert t["recipe"]["call"]["audio_end_in_s"] == 2.0
        assert t["recipe"]["call"]["num_inference_steps"] == 2
    assert not np.array_equal(read_audio_take(Path(takes[0]["media_path"]))[0],
                              read_audio_take(Path(takes[1]["media_path"]))[0])
    with sqlite3.connect(p) as db:
        rows = db.execute("SELECT media_kind, sample_rate, channels, samples FROM takes "
                          "ORDER BY id").fetchall()
    assert rows == [("audio", 8000, 2, 16000)] * 2
    # Pick the first, then re-make it from its row alone.
    listed = _json(capsys, ["takes", str(p), "--segment", "2", "--activate",
                            str(takes[0]["id"]), "--json"])
    assert listed["active_take"] == takes[0]["id"]
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(takes[0]["id"]), "--verify"]) == 0
    said = capsys.readouterr().out
    assert "identical" in said and "16000 samples x 2 channels" in said
    # The text listing says what an audio take holds.
    assert main(["takes", str(p), "--segment", "2"]) == 0
    assert "16000 samples (2.000 s) x 2 channels @ 8000 Hz" in capsys.readouterr().out


def test_audio_generation_refusals_are_one_clear_line(
        tmp_path: Path, tiny_model: Callable[[str], Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    model = str(tiny_model("stable-audio"))
    p = _project(tmp_path, duration=24 * 6)  # 6 s: the tiny model makes at most 5.12 s
    cases = [
        (["--segment", "2", "--backend", "stable-audio", "--model", str(tmp_path / "none")],
         "No folder"),
        (["--segment", "2", "--backend", "wan", "--model", model], "StableAudioPipeline"),
        (["--segment", "2", "--model", model], "at most 5.12 s"),
        (["--segment", "2", "--backend", "previz"], "makes pictures only"),
        (["--segment", "1", "--model", model], "makes sound only"),
    ]
    for args, words in cases:
        capsys.readouterr()
        assert main(["generate", str(p), *args]) == 1, args
        err = capsys.readouterr().err
        assert words in err, (args, err)
        assert "Traceback" not in err
    # A video imported as a take is pictures: not for a sound segment.
    assert main(["takes", str(p), "--segment", "2", "--import", str(tmp_path / "x.mp4")]) == 1
    assert "audio track" in capsys.readouterr().err
    with sqlite3.connect(p) as db:
        assert db.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM takes").fetchone() == (0,)
