"""`takeline conditioning / cast` as a user runs them: references, camera paths, poses and
cast; versions and staleness; compiled inputs through previz and a tiny real VACE
pipeline; refusals before any model loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from timeline.conditioning.scene import default_plate
from timeline.media.images import write_png

POSE = {"version": 1.3, "canvas_width": 320, "canvas_height": 180, "people": [{
    "pose_keypoints_2d": [
        160, 40, 1, 160, 60, 1, 145, 60, 1, 140, 85, 1, 137, 105, 1, 175, 60, 1, 180, 85, 1,
        182, 105, 1, 150, 105, 1, 150, 135, 1, 150, 165, 1, 170, 105, 1, 170, 135, 1, 170,
        165, 1, 156, 36, 1, 164, 36, 1, 152, 38, 1, 168, 38, 1]}]}


def _project(tmp_path: Path, duration: int = 48, size: str = "320x180") -> Path:
    p = tmp_path / "p.takeline"
    assert main(["new", str(p), "--fps", "24", "--size", size]) == 0
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([{"op": "add_generated", "track": "V1", "at": 0,
                                  "duration": duration, "prompt": "a lighthouse at dusk"}]))
    assert main(["apply", str(p), str(edits)]) == 0
    return p


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict | list:
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], match: str) -> None:
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert match in err, err


@pytest.fixture
def pictures(tmp_path: Path) -> dict[str, Path]:
    """A textured plate (the camera must be measurable on it) and two portraits."""
    out = {"plate": write_png(tmp_path / "plate.png", default_plate(480, 270))}
    rng = np.random.default_rng(1)
    for name in ("mara", "coat"):
        out[name] = write_png(tmp_path / f"{name}.png",
                              rng.integers(0, 255, (64, 48, 3), dtype=np.uint8))
    pose = tmp_path / "pose.json"
    pose.write_text(json.dumps(POSE))
    out["pose"] = pose
    return out


def test_brief_set_up_versions_and_staleness(tmp_path: Path, pictures: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path)
    cast = _json(capsys, ["cast", str(p), "--add", "Mara", "--description",
                          "a woman in a red coat", "--ref", str(pictures["mara"]), "--json"])
    assert cast[0]["name"] == "Mara" and len(cast[0]["references"]) == 1
    v = _json(capsys, ["conditioning", str(p), "--segment", "1", "--add-ref",
                       str(pictures["plate"]), "--role", "first_frame", "--add-ref",
                       str(pictures["coat"]), "--role", "character", "--camera-preset",
                       "static,dolly-in:0.3,orbit:20", "--pose-json", str(pictures["pose"]),
                       "--cast", "Mara", "--json"])
    assert [(r["role"], r["kind"]) for r in v["references"]] == [
        ("first_frame", "image"), ("character", "image")]
    assert all(Path(r["path"]).is_file() and r["sha256"] in r["path"]
               for r in v["references"])
    assert v["camera"]["description"] == "static wide shot, then dolly in, then orbit " \
                                         "left 20 degrees"
    assert v["camera"]["keys"][0] == {"frame": 0, "x": 0.0, "y": 0.0, "z": 0.0, "pan": 0.0,
                                      "tilt": 0.0, "roll": 0.0, "focal": 35.0,
                                      "easing": "ease_in_out"}
    joints = v["poses"]["people"][0]["keys"][0]["skeleton"]
    assert joints[0] == [0.5, pytest.approx(40 / 180)]
    assert v["cast"][0]["name"] == "Mara" and not v["stale"]
    history = len(v["history"])
    # The same call again changes nothing: same version, no new history entry.
    again = _json(capsys, ["conditioning", str(p), "--segment", "1", "--json"])
    assert again["version"] == v["version"] and len(again["history"]) == history

    gen = _json(capsys, ["generate", str(p), "--segment", "1", "--seed", "3", "--json"])
    [take] = gen["takes"]
    assert take["conditioning_version"] == v["version"]
    assert "Cast: Mara, a woman in a red coat" in take["recipe"]["call"]["prompt"]
    info = _json(capsys, ["info", str(p), "--json"])
    assert info["stale_segments"] == []

    # A new prompt is a new version; the take is now stale; undo makes it current again.
    v2 = _json(capsys, ["conditioning", str(p), "--segment", "1", "--prompt",
                        "a lighthouse at night", "--json"])
    assert v2["version"] != v["version"] and v2["stale"]
    assert len(v2["history"]) == history + 1
    assert _json(capsys, ["info", str(p), "--json"])["stale_segments"] == [1]
    capsys.readouterr()
    assert main(["info", str(p)]) == 0
    assert "Stale (conditioning changed since the active take): segments 1" in \
        capsys.readouterr().out
    assert main(["undo", str(p)]) == 0
    assert _json(capsys, ["info", str(p), "--json"])["stale_segments"] == []
    # Changing a cast member's picture makes every segment that uses it stale.
    cast = _json(capsys, ["cast", str(p), "--update", "Mara", "--ref", str(pictures["coat"]),
                          "--json"])
    assert cast[0]["stale_segments"] == [1]
    assert _json(capsys, ["info", str(p), "--json"])["stale_segments"] == [1]
    # Removing the member unlinks it and is one undo step.
    _json(capsys, ["cast", str(p), "--remove", "Mara", "--json"])
    assert _json(capsys, ["conditioning", str(p), "--segment", "1", "--json"])["cast"] == []
    assert main(["undo", str(p)]) == 0
    assert _json(capsys, ["conditioning", str(p), "--segment", "1", "--json"])["cast"]


def test_previz_renders_the_camera_path_recoverably(
        tmp_path: Path, pictures: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's own test: the previz of a path estimates back to that path."""
    p = _project(tmp_path, duration=36)
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--add-ref",
                   str(pictures["plate"]), "--role", "first_frame", "--camera-preset",
                   "dolly-in:0.25,orbit:15", "--pose-json", str(pictures["pose"]), "--json"])
    _json(capsys, ["generate", str(p), "--segment", "1", "--json"])
    check = _json(capsys, ["conditioning", str(p), "--segment", "1", "--check-camera",
                           "--json"])["camera_check"]
    assert check["frames"] == 36
    assert check["rotation_deg_max"] < 1.0, check
    assert check["position_frac_max"] < 0.05, check
    assert check["reprojection_px_max"] < 3.0, check
    # And the previz frames really move: first and last frame differ a lot.
    takes = _json(capsys, ["takes", str(p), "--segment", "1", "--json"])
    from generation.take_media import read_take

    frames = list(read_take(Path(takes["takes"][0]["media_path"])))
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 10


def test_vace_takes_pose_maps_references_and_cast(
        tmp_path: Path, pictures: dict[str, Path], tiny_model: Callable[[str], Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path, duration=12, size="64x36")
    _json(capsys, ["cast", str(p), "--add", "Mara", "--ref", str(pictures["mara"]), "--json"])
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--add-ref",
                   str(pictures["coat"]), "--role", "style", "--pose-json",
                   str(pictures["pose"]), "--camera-preset", "pan:20", "--cast", "Mara",
                   "--json"])
    model = tiny_model("wan-vace")
    gen = _json(capsys, ["generate", str(p), "--segment", "1", "--model", str(model),
                         "--size", "32x32", "--steps", "2", "--max-sequence-length", "16",
                         "--seed", "4", "--json"])
    [take] = gen["takes"]
    inputs = take["recipe"]["inputs"]
    assert inputs["video"]["control"] == "pose" and Path(inputs["video"]["path"]).is_file()
    assert [r["role"] for r in inputs["reference_images"]] == ["style", "character"]
    # Poses took the control video, so the camera move is said in the prompt.
    assert "Camera: pan right 20 degrees." in take["recipe"]["call"]["prompt"]
    from generation.take_media import read_take

    control = list(read_take(Path(inputs["video"]["path"])))
    assert len(control) == take["frame_count"] == 9
    assert control[0].shape == (32, 32, 3) and control[0].max() == 255  # limbs on black
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(take["id"]), "--verify"]) == 0
    assert "identical" in capsys.readouterr().out
    # Without poses the camera plate becomes the control video.
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--clear-poses", "--json"])
    gen = _json(capsys, ["generate", str(p), "--segment", "1", "--model", str(model),
                         "--size", "32x32", "--steps", "2", "--max-sequence-length", "16",
                         "--json"])
    assert gen["takes"][0]["recipe"]["inputs"]["video"]["control"] == "camera"
    assert "Camera:" not in gen["takes"][0]["recipe"]["call"]["prompt"]


def test_unsupported_combinations_fail_before_any_model_loads(
        tmp_path: Path, pictures: dict[str, Path], tiny_model: Callable[[str], Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path, duration=12, size="64x36")
    t2v = str(tiny_model("wan-t2v"))
    args = ["generate", str(p), "--segment", "1", "--model", t2v, "--size", "32x32",
            "--steps", "2", "--max-sequence-length", "16"]
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--add-ref",
                   str(pictures["coat"]), "--role", "character", "--json"])
    _fails(capsys, args, "cannot take character / style reference pictures (coat.png)")
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--remove-ref", "1",
                   "--pose-json", str(pictures["pose"]), "--json"])
    _fails(capsys, args, "cannot take pose keyframes")
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--clear-poses", "--add-ref",
                   str(pictures["plate"]), "--role", "first_frame", "--json"])
    _fails(capsys, args, "cannot take a first frame (it is text-to-video)")
    jobs = _json(capsys, ["jobs", str(p), "--json"])
    assert jobs == [] or jobs.get("jobs") == []  # nothing was queued
    # A text-only model gets the camera move in words.
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--remove-ref", "1",
                   "--camera-preset", "dolly-in", "--json"])
    gen = _json(capsys, args + ["--json"])
    assert gen["takes"][0]["recipe"]["call"]["prompt"] == \
        "a lighthouse at dusk. Camera: fast dolly in."


def test_bad_reference_input_is_refused_and_changes_nothing(
        tmp_path: Path, pictures: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path, duration=12, size="64x36")
    before = _json(capsys, ["conditioning", str(p), "--segment", "1", "--json"])
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture at all")
    seg = ["conditioning", str(p), "--segment", "1"]
    _fails(capsys, seg + ["--add-ref", str(tmp_path / "gone.png"), "--role", "style"],
           "no such file")
    _fails(capsys, seg + ["--add-ref", str(broken), "--role", "style"],
           "not a readable picture")
    _fails(capsys, seg + ["--add-ref", str(pictures["pose"]), "--role", "style"],
           "not a picture, video or audio file")
    _fails(capsys, seg + ["--add-ref", str(pictures["mara"])], "one --role after each")
    _fails(capsys, seg + ["--camera-preset", "zoom-wobble"], "unknown camera preset")
    many = []
    for _ in range(10):
        many += ["--add-ref", str(pictures["mara"]), "--role", "style"]
    _fails(capsys, seg + many, "a segment takes at most 9 image references; this would "
                               "have 10")
    _fails(capsys, seg + many[:8], "already a reference with the same role")
    _fails(capsys, seg + ["--cast", "Nobody"], "no cast member called 'Nobody'")
    after = _json(capsys, ["conditioning", str(p), "--segment", "1", "--json"])
    assert after == before


def test_references_from_the_bin_and_from_a_sequence_frame(
        tmp_path: Path, pictures: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path, duration=12, size="64x36")
    [asset] = _json(capsys, ["import", str(p), str(pictures["mara"]), "--json"])
    _json(capsys, ["generate", str(p), "--segment", "1", "--seed", "1", "--json"])
    v = _json(capsys, ["conditioning", str(p), "--segment", "1", "--add-ref",
                       f"asset:{asset['id']}", "--role", "style", "--add-ref", "frame:5",
                       "--role", "first_frame", "--json"])
    style, first = v["references"]
    assert style["source"] == f"asset {asset['id']}" and style["sha256"] in style["path"]
    assert first["name"] == "sequence frame 5"
    # The grabbed picture is the viewer's frame 5 (the previz take), byte for byte.
    png = tmp_path / "f5.png"
    assert main(["frame", str(p), "5", "-o", str(png)]) == 0
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(png).convert("RGB")),
                          np.asarray(Image.open(first["path"]).convert("RGB")))
    _fails(capsys, ["conditioning", str(p), "--segment", "1", "--add-ref", "frame:99",
                    "--role", "style"], "the sequence has frames 0...11")
    _fails(capsys, ["conditioning", str(p), "--segment", "1", "--add-ref", "asset:42",
                    "--role", "style"], "no such asset in the bin")


def test_pose_export_round_trip(tmp_path: Path, pictures: dict[str, Path],
                                capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path, duration=4)
    _json(capsys, ["conditioning", str(p), "--segment", "1", "--pose-json",
                   str(pictures["pose"]), "--json"])
    out = tmp_path / "poses"
    capsys.readouterr()
    assert main(["conditioning", str(p), "--segment", "1", "--export-poses", str(out)]) == 0
    files = sorted(out.glob("*_keypoints.json"))
    assert len(files) == 4
    data = json.loads(files[0].read_text())
    assert data["people"][0]["pose_keypoints_2d"][:3] == pytest.approx([160, 40, 1.0])
