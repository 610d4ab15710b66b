"""`takeline relink`: missing media pointed at files on this machine, from a folder (by name
and content) or one file (--asset), with one clear line when nothing matches."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from cli.main import main
from project_store.project import Project
from services.demo_media import write_color_bars_video
from timeline.model import SequenceSettings


@pytest.fixture()
def moved(tmp_path: Path) -> tuple[Path, Path, int]:
    """A project whose one clip's file has moved to ``elsewhere/``."""
    clip = write_color_bars_video(tmp_path / "shot.mp4", seconds=1, fps=Fraction(24),
                                  size=(320, 180), label="S")
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=320, height=180)) as p:
        (asset,) = p.import_media([clip])
        p.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                   "source_out": 12})
    (tmp_path / "elsewhere").mkdir()
    shutil.move(clip, tmp_path / "elsewhere" / "shot.mp4")
    return path, tmp_path / "elsewhere", asset.id


def status(path: Path, asset: int) -> tuple[str, str]:
    with Project.open(path, read_only=True) as p:
        return p.assets[asset].status, p.assets[asset].path


def test_a_folder_relinks_by_name_and_content(moved: tuple[Path, Path, int],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path, folder, asset = moved
    assert status(path, asset)[0] == "missing"
    assert main(["relink", str(path), str(folder)]) == 0
    assert f"Relinked asset {asset}" in capsys.readouterr().out
    assert status(path, asset) == ("ok", str(folder / "shot.mp4"))
    # Once done, a second run has nothing left to do: said so, and the project is as it was.
    assert main(["relink", str(path), str(folder)]) == 1
    assert "nothing under" in capsys.readouterr().err
    assert status(path, asset) == ("ok", str(folder / "shot.mp4"))


def test_one_file_relinks_one_asset(moved: tuple[Path, Path, int],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    path, folder, asset = moved
    assert main(["relink", str(path), str(folder / "shot.mp4"), "--asset", str(asset)]) == 0
    assert status(path, asset) == ("ok", str(folder / "shot.mp4"))
    assert main(["relink", str(path), str(folder / "shot.mp4")]) == 1
    assert "--asset" in capsys.readouterr().err


def test_bad_paths_are_one_clear_line(moved: tuple[Path, Path, int], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path, _folder, asset = moved
    assert main(["relink", str(path), str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["relink", str(path), str(empty)]) == 1
    err = capsys.readouterr().err
    assert "still missing" in err and "nothing under" in err and "Traceback" not in err
    assert status(path, asset)[0] == "missing"
