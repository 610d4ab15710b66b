"""render_frame over real decoded media: a cut shows exactly the source frame it names."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from cli.main import main as cli
from project_store.project import Project
from services.demo_media import read_frame_index, write_color_bars_video
from timeline.engine.compositor import render_frame
from timeline.engine.sources import MediaFrameSource
from timeline.media.decode import VideoDecoder
from timeline.media.images import read_png
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)
SIZE = (320, 180)


@pytest.fixture(scope="module")
def cut_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("render")
    a = write_color_bars_video(d / "a.mp4", seconds=4, fps=FPS, size=SIZE, label="A")
    b = write_color_bars_video(d / "b.mp4", seconds=4, fps=FPS, size=SIZE, label="B")
    path = d / "cut.takeline"
    with Project.create(path, SequenceSettings(fps=FPS, width=SIZE[0], height=SIZE[1])) as p:
        p.import_media([a, b])
        p.apply([
            {"op": "append", "track": "V1", "asset": 1, "source_in": 5, "source_out": 30},
            {"op": "append", "track": "V1", "asset": 2, "source_in": 60, "source_out": 90},
            {"op": "append", "track": "V1", "asset": 1, "source_in": 2, "source_out": 40},
        ])
    return path


def test_cut_frames_are_bit_exact_source_frames(cut_project: Path) -> None:
    with Project.open(cut_project) as p:
        source = MediaFrameSource({a.id: a.probe for a in p.assets.values()})
        try:
            decoders = {a.id: VideoDecoder(a.probe) for a in p.assets.values()}
            # Around each cut, and inside each clip.
            expected = {0: (1, 5), 24: (1, 29), 25: (2, 60), 54: (2, 89), 55: (1, 2),
                        70: (1, 17), 92: (1, 39)}
            for n, (asset, k) in expected.items():
                frame = render_frame(p.sequence, n, source)
                assert read_frame_index(frame[..., :3]) == k, n
                assert np.array_equal(frame[..., :3], decoders[asset].frame(k)), n
                assert (frame[..., 3] == 255).all()
            for d in decoders.values():
                d.close()
        finally:
            source.close()


def test_sequential_render_reads_ahead_and_keeps_exactness(cut_project: Path) -> None:
    with Project.open(cut_project) as p:
        source = MediaFrameSource({a.id: a.probe for a in p.assets.values()})
        try:
            source.prefetch(p.sequence, 0, 40)
            source.read_ahead.wait_idle(timeout=30)
            indexes = [read_frame_index(render_frame(p.sequence, n, source)[..., :3])
                       for n in range(0, 40)]
            assert indexes == list(range(5, 30)) + list(range(60, 75))
            assert source.cache.stats().hits >= 39  # served from the read-ahead
        finally:
            source.close()


def test_frame_command_writes_the_rendered_png(cut_project: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.png"
    assert cli(["frame", str(cut_project), "25", "-o", str(out)]) == 0
    picture = read_png(out)
    assert picture.shape == (180, 320, 4)
    assert read_frame_index(picture[..., :3]) == 60
    # Replacing the file needs --overwrite (without it the command refuses, file untouched).
    assert cli(["frame", str(cut_project), "30", "-o", str(out), "--size", "160x90"]) == 1
    assert read_png(out).shape == (180, 320, 4)
    assert cli(["frame", str(cut_project), "30", "-o", str(out), "--size", "160x90",
                "--overwrite"]) == 0
    assert read_png(out).shape == (90, 160, 4)
    assert cli(["frame", str(cut_project), "5", "-o", str(tmp_path / "no" / "f.png")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_rotated_phone_video_is_pillarboxed_upright(testdata: Path, tmp_path: Path) -> None:
    clip = testdata / "video" / "portrait_4k60.mp4"
    with Project.create(tmp_path / "p.takeline",
                        SequenceSettings(fps=Fraction(60), width=640, height=360)) as p:
        (asset,) = p.import_media([clip])
        p.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                   "source_out": 5})
        source = MediaFrameSource({asset.id: asset.probe})
        try:
            frame = render_frame(p.sequence, 2, source)
        finally:
            source.close()
    # A portrait picture in a landscape frame: full height, black bars left and right.
    w = round(360 * 9 / 16 / 2) * 2  # 202
    x0 = (640 - w) // 2
    assert (frame[:, : x0 - 1, :3] == 0).all() and (frame[:, x0 + w + 1 :, :3] == 0).all()
    assert frame[:, x0 + 2 : x0 + w - 2, :3].mean() > 10
