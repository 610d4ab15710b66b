"""`takeline proxy`: builds proxies once, switches clips to them, and renders from them."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from cli.main import main as cli
from project_store.project import Project
from services.demo_media import read_frame_index, write_color_bars_video
from timeline.media.images import read_png
from timeline.model import SequenceSettings


def test_proxy_command_builds_switches_and_renders(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    clip = write_color_bars_video(tmp_path / "c.mp4", seconds=2, fps=Fraction(25),
                                  size=(640, 360), with_audio=False)
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=640, height=360)) as p:
        p.import_media([clip])
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 3, "source_out": 40})
    assert cli(["proxy", str(path), "--use"]) == 0
    out = capsys.readouterr().out
    assert "proxy 640x360, 50 frames" in out and "1 clip(s) now play from their proxy" in out
    assert cli(["proxy", str(path)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert cli(["info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["tracks"][0]["items"][0]["use_proxy"] is True
    with Project.open(path) as p:
        assert len(list((p.media_root / "proxies").glob("*.mp4"))) == 1
    # `takeline frame` renders for delivery: from the original, whatever the clip says.
    assert cli(["frame", str(path), "10", "-o", str(tmp_path / "f.png")]) == 0
    assert read_frame_index(read_png(tmp_path / "f.png")[..., :3]) == 13
    assert cli(["proxy", str(path), "7"]) == 1
    assert "no asset with id 7" in capsys.readouterr().err
