"""`takeline generate / takes / rerun / jobs / models` as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.main import main
from tests.cli_projects import segment_project


def _project(tmp_path: Path) -> Path:
    return segment_project(tmp_path)


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_previz_generate_list_render_and_verify(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path)
    out = _json(capsys, ["generate", str(p), "--segment", "1", "--takes", "2", "--seed", "5",
                         "--json"])
    assert [t["seed"] for t in out["takes"]] == [5, 6]
    assert all(j["state"] == "done" for j in out["jobs"])
    listed = _json(capsys, ["takes", str(p), "--segment", "1", "--json"])
    assert listed["active_take"] == out["takes"][-1]["id"]
    first = listed["takes"][0]
    assert first["backend"] == "previz" and Path(first["media_path"]).is_file()
    assert first["recipe"]["call"]["num_frames"] == 12 and first["frames_hash"]
    # The frame command shows the active take, not the pending card.
    png = tmp_path / "f.png"
    assert main(["frame", str(p), "3", "-o", str(png)]) == 0 and png.stat().st_size > 0
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(first["id"]), "--verify"]) == 0
    assert "identical" in capsys.readouterr().out
    # A recorded hash that no longer matches: verify says so and exits 1.
    with sqlite3.connect(p) as db:
        db.execute("UPDATE takes SET frames_hash = :h WHERE id = :i",
                   {"h": "0" * 64, "i": first["id"]})
    assert main(["rerun", str(p), "--take", str(first["id"]), "--verify"]) == 1
    assert "different" in capsys.readouterr().out
    # Switch, star, rename, delete through the CLI.
    listed = _json(capsys, ["takes", str(p), "--segment", "1", "--activate",
                            str(first["id"]), "--star", str(first["id"]), "--rename",
                            str(first["id"]), "hero", "--json"])
    assert listed["active_take"] == first["id"]
    assert listed["takes"][0]["starred"] and listed["takes"][0]["name"] == "hero"
    listed = _json(capsys, ["takes", str(p), "--segment", "1", "--delete", str(first["id"]),
                            "--json"])
    assert [t["id"] for t in listed["takes"]] == [out["takes"][1]["id"]]
    assert not Path(first["media_path"]).exists()


def test_model_generate_and_verify(tmp_path: Path, tiny_model: Callable[[str], Path],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path)
    model = tiny_model("wan-t2v")
    out = _json(capsys, ["generate", str(p), "--segment", "1", "--model", str(model),
                         "--size", "32x32", "--steps", "2", "--max-sequence-length", "16",
                         "--seed", "9", "--json"])
    [take] = out["takes"]
    assert take["backend"] == "wan" and take["frame_count"] == 9 and take["fps"] == "16/1"
    assert take["recipe"]["model_revision"] and take["recipe"]["pipeline_class"] == \
        "WanPipeline"
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(take["id"]), "--verify"]) == 0
    assert "identical" in capsys.readouterr().out
    listed = _json(capsys, ["models", "list", "--folder", str(model.parent), "--json"])
    assert any(m["pipeline_class"] == "WanPipeline" and "wan" in m["backends"]
               for m in listed)


@pytest.mark.parametrize("extra, words", [
    (["--model", "Org/Not-Here"], "not installed"),
    (["--backend", "wan"], "needs --model"),
    (["--model", "{wan}", "--backend", "ltx"], "WanPipeline model"),
    (["--first-frame", "/no/such.png"], "no image at"),
])
def test_generate_refuses_clearly(tmp_path: Path, tiny_model: Callable[[str], Path],
                                  capsys: pytest.CaptureFixture[str], extra: list[str],
                                  words: str) -> None:
    p = _project(tmp_path)
    extra = [str(tiny_model("wan-t2v")) if a == "{wan}" else a for a in extra]
    capsys.readouterr()
    assert main(["generate", str(p), "--segment", "1", *extra]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert main(["generate", str(p), "--segment", "99"]) == 1
    assert "not a generated segment" in capsys.readouterr().err


def test_queued_jobs_run_later(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _project(tmp_path)
    assert main(["generate", str(p), "--segment", "1", "--queue-only", "--takes", "2"]) == 0
    jobs = _json(capsys, ["jobs", str(p), "--json"])
    assert [j["state"] for j in jobs] == ["queued", "queued"]
    assert main(["jobs", str(p), "--cancel", str(jobs[0]["id"])]) == 0
    jobs = _json(capsys, ["jobs", str(p), "--run", "--json"])
    assert [j["state"] for j in jobs] == ["cancelled", "done"]
    jobs = _json(capsys, ["jobs", str(p), "--retry", str(jobs[0]["id"]), "--run", "--json"])
    assert [j["state"] for j in jobs] == ["cancelled", "done", "done"]


def test_continuity_and_sub_range_regeneration(tmp_path: Path,
                                               tiny_model: Callable[[str], Path],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np
    from PIL import Image

    from generation.take_media import read_take

    p = _project(tmp_path)  # segment 1: frames [0, 12)
    edits = tmp_path / "e2.json"
    edits.write_text(json.dumps([{"op": "add_generated", "track": "V1", "at": 12,
                                  "duration": 24, "prompt": "the fox runs"}]))
    assert main(["apply", str(p), str(edits)]) == 0
    [before] = _json(capsys, ["generate", str(p), "--segment", "1", "--seed", "1",
                              "--json"])["takes"]
    model = ["--model", str(tiny_model("wan-vace")), "--size", "32x32", "--steps", "2",
             "--max-sequence-length", "16"]
    [base] = _json(capsys, ["generate", str(p), "--segment", "2", *model, "--seed", "3",
                            "--continuity", "before", "--json"])["takes"]
    first = base["recipe"]["inputs"]["image"]
    assert first["sequence_frame"] == 11
    # The conditioning frame is what the viewer shows at frame 11: the previz take's frame.
    shown = np.asarray(Image.open(first["path"]).convert("RGB"))
    assert np.array_equal(shown, list(read_take(Path(before["media_path"])))[11])

    [spliced] = _json(capsys, ["generate", str(p), "--segment", "2", *model, "--seed", "4",
                               "--range", "8:16", "--handles", "4", "--crossfade", "2",
                               "--json"])["takes"]
    assert (spliced["frame_count"], spliced["fps"]) == (24, "24/1")  # one per sequence frame
    assert spliced["recipe"]["inputs"]["mask"]["keep"]  # context frames kept by VACE
    assert set(spliced["recipe"]["seams"]) == {"typical", "in", "out"}
    old = list(read_take(Path(base["media_path"])))
    conform = base["conform"]
    assert conform["frame_map"] == "native"
    base_seg = [old[min(len(old) - 1, i * 16 // 24)] for i in range(24)]
    new = list(read_take(Path(spliced["media_path"])))
    # Outside the range the take is the base, untouched; inside it is new.
    assert all(np.array_equal(new[i], base_seg[i]) for i in [*range(8), *range(16, 24)])
    assert not all(np.array_equal(new[i], base_seg[i]) for i in range(8, 16))
    capsys.readouterr()
    assert main(["rerun", str(p), "--take", str(spliced["id"]), "--verify"]) == 0
    # A text-to-video model cannot keep context: refused before anything runs.
    assert main(["generate", str(p), "--segment", "2", "--model",
                 str(tiny_model("wan-t2v")), "--size", "32x32", "--range", "8:16"]) == 1
    assert "keeps context" in capsys.readouterr().err
