"""A generated shot with its sound from LTX-2, as a user makes it with `takeline`: one job in
the worker process (a tiny real LTX2Pipeline) gives the segment a video take and a linked
audio segment an audio take; `takes --json` names both files; `rerun --verify` re-makes the
pair bit for bit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.main import main
from generation.take_media import read_audio_take, read_take, samples_hash


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_ltx2_take_pair_from_the_worker_listed_and_verified(
        tmp_path: Path, tiny_model: Callable[[str], Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    model = str(tiny_model("ltx2"))
    p = tmp_path / "shot.takeline"
    assert main(["new", str(p), "--fps", "24", "--size", "64x36"]) == 0
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([{"op": "add_generated", "track": "V1", "at": 12,
                                  "duration": 8, "prompt": "a dog barks"}]))
    assert main(["apply", str(p), str(edits)]) == 0
    out = _json(capsys, ["generate", str(p), "--segment", "1", "--model", model, "--seed",
                         "3", "--steps", "2", "--size", "64x32", "--max-sequence-length",
                         "16", "--json"])
    assert [j["state"] for j in out["jobs"]] == ["done"]
    [picture] = _json(capsys, ["takes", str(p), "--segment", "1", "--json"])["takes"]
    assert picture["backend"] == "ltx2" and picture["media_kind"] == "video"
    assert picture["frame_count"] == 9 and (picture["width"], picture["height"]) == (64, 32)
    assert len(list(read_take(Path(picture["media_path"])))) == 9
    sound_seg = picture["partner_segment"]
    listed = _json(capsys, ["takes", str(p), "--segment", str(sound_seg), "--json"])
    [sound] = listed["takes"]
    assert listed["active_take"] == sound["id"] == picture["partner_take"]
    assert sound["partner_take"] == picture["id"]
    assert picture["audio_media_path"] == sound["media_path"]
    assert sound["video_media_path"] == picture["media_path"]
    samples, rate = read_audio_take(Path(picture["audio_media_path"]))
    assert (sound["sample_rate"], sound["channels"], sound["samples"]) == (8000, 2, 2960)
    assert rate == 8000 and samples.shape == (2, 2960)
    assert samples_hash(samples) == sound["frames_hash"]
    # Re-made from the sound take's row alone: the one run checks both files.
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(sound["id"]), "--verify"]) == 0
    said = capsys.readouterr().out
    assert f"identical: take {sound['id']} re-made bit for bit (2960 samples x 2 channels" \
        in said
    assert f"identical: take {picture['id']} re-made bit for bit (9 frames" in said
