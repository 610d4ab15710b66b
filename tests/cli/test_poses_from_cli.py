"""`takeline conditioning --poses-from` as a user runs it: a reference clip read by a pose
model (tiny random ONNX models here, in the detector's child process) into one new
conditioning version; a missing model refused before anything is touched; `takeline models
list` shows the pose model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from tests.generation.tiny_pose_onnx import pose_model_folder, write_clip
from timeline.conditioning.pose import PoseKey, PoseTrack, validate_pose_track
from timeline.media.images import write_png


@pytest.fixture
def no_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from huggingface_hub import constants

    monkeypatch.setenv("TAKELINE_POSE_MODELS", str(tmp_path / "own-pose-models"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path / "own-pose-models"


def _project(tmp_path: Path, clip: Path) -> Path:
    p = tmp_path / "p.takeline"
    assert main(["new", str(p), "--fps", "24", "--size", "96x64"]) == 0
    assert main(["import", str(p), str(clip)]) == 0
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([{"op": "add_generated", "track": "V1", "at": 0,
                                  "duration": 12, "prompt": "a dancer"}]))
    assert main(["apply", str(p), str(edits)]) == 0
    return p


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _segment_id(capsys: pytest.CaptureFixture[str], p: Path) -> int:
    info = _json(capsys, ["info", str(p), "--json"])
    return next(i["id"] for t in info["tracks"] for i in t["items"]
                if i.get("kind") == "generated" or "prompt" in i)


def test_poses_from_a_clip_one_new_version_editable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_installed: Path) -> None:
    clip = write_clip(tmp_path / "walk.mp4", frames=12)
    p = _project(tmp_path, clip)
    seg = _segment_id(capsys, p)
    before = _json(capsys, ["conditioning", str(p), "--segment", str(seg), "--json"])
    models = pose_model_folder(tmp_path / "pose-model")
    capsys.readouterr()
    assert main(["conditioning", str(p), "--segment", str(seg), "--poses-from", str(clip),
                 "--pose-model", str(models), "--tolerance", "3", "--json"]) == 0
    out = capsys.readouterr()
    after = json.loads(out.out)
    assert "Poses from walk.mp4:" in out.err and "tolerance 3 px" in out.err
    assert len(after["history"]) == len(before["history"]) + 1
    assert after["version"] != before["version"]
    track = PoseTrack.from_json(after["poses"])
    validate_pose_track(track, 12)  # what the pose editor and generation accept
    assert track.people and all(len(s.joints) == 18 for pp in track.people
                                for s in (k.skeleton for k in pp.keys))
    keyed = {k.frame for pp in track.people for k in pp.keys}
    assert min(keyed) == 0 and max(keyed) <= 11
    # Editable afterwards: a key moved like the pose editor does, saved as a new version.
    person = track.people[0]
    edited = track.with_key(person.id, PoseKey(5, person.keys[0].skeleton))
    posefile = tmp_path / "edited.json"
    posefile.write_text(json.dumps({"format": "takeline-poses", "version": 1,
                                    **edited.to_json()}))
    again = _json(capsys, ["conditioning", str(p), "--segment", str(seg), "--pose-json",
                           str(posefile), "--json"])
    assert PoseTrack.from_json(again["poses"]) == edited
    # asset:ID names the bin's clip (asset 1); the same clip gives the same poses.
    from_asset = _json(capsys, ["conditioning", str(p), "--segment", str(seg),
                                "--poses-from", "asset:1", "--pose-model", str(models),
                                "--tolerance", "3", "--json"])
    assert PoseTrack.from_json(from_asset["poses"]) == track


def test_missing_pose_model_is_clear_and_touches_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_installed: Path) -> None:
    clip = write_clip(tmp_path / "walk.mp4", frames=4)
    p = _project(tmp_path, clip)
    seg = _segment_id(capsys, p)
    before = _json(capsys, ["conditioning", str(p), "--segment", str(seg), "--json"])
    media = sorted(x.relative_to(tmp_path) for x in tmp_path.rglob("*")
                   if "p.takeline" in str(x))
    capsys.readouterr()
    picture = tmp_path / "ref.png"
    write_png(picture, np.zeros((8, 8, 3), dtype=np.uint8))
    assert main(["conditioning", str(p), "--segment", str(seg), "--add-ref", str(picture),
                 "--role", "style", "--poses-from", str(clip)]) == 1
    err = capsys.readouterr().err
    assert "no pose model installed: pull yzd-v/DWPose" in err
    assert str(no_installed) in err and "Traceback" not in err
    after = _json(capsys, ["conditioning", str(p), "--segment", str(seg), "--json"])
    assert after == before
    assert sorted(x.relative_to(tmp_path) for x in tmp_path.rglob("*")
                  if "p.takeline" in str(x) and "-wal" not in x.name
                  and "-shm" not in x.name) == [m for m in media if "-wal" not in m.name
                                                and "-shm" not in m.name]
    # A folder without both models, a missing clip and a bad tolerance: clear refusals.
    half = tmp_path / "half"
    half.mkdir()
    (half / "rtmpose-s.onnx").write_bytes(b"x")
    for argv, message in (
            (["--poses-from", str(clip), "--pose-model", str(half)],
             "has no YOLOX person detector"),
            (["--poses-from", str(tmp_path / "nope.mp4")], "no such file"),
            (["--poses-from", "asset:99"], "asset:99: no such asset"),
            (["--poses-from", str(clip), "--tolerance", "0"], "--tolerance 0"),
            (["--poses-from", str(clip), "--clear-poses"], "give one of")):
        capsys.readouterr()
        assert main(["conditioning", str(p), "--segment", str(seg), *argv]) == 1
        assert message in capsys.readouterr().err
    assert _json(capsys, ["conditioning", str(p), "--segment", str(seg), "--json"]) == before


def test_models_list_shows_the_pose_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], no_installed: Path) -> None:
    pose_model_folder(no_installed)
    listed = json.loads(_json_text(capsys, ["models", "list", "--json"]))
    [pose] = [m for m in listed if m.get("kind") == "pose"]
    assert pose["id"] == str(no_installed)
    assert pose["detector"].endswith("yolox_tiny_nms.onnx")
    assert pose["pose"].endswith("rtmpose_tiny.onnx")
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    assert "pose model (yolox_tiny_nms.onnx + rtmpose_tiny.onnx" in capsys.readouterr().out


def _json_text(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    return capsys.readouterr().out
