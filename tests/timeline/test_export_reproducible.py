"""Exports are reproducible: the same sequence gives the same video packets and pictures,
in one process after another, and in a child process whatever its heap holds.

libx264's AVX-512 code read memory it never wrote, so at 320x180 the encoded bytes (and the
decoded pictures, up to 13 grey levels) depended on what the heap held before: exports later
in a process, or in a child, differed from the first. ``MALLOC_PERTURB_`` (glibc) fills
allocated and freed memory with a byte, which makes that garbage differ on purpose."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from project_store.project import Project
from services.demo_media import write_color_bars_video
from services.render_sources import plan_sources
from timeline.engine.export import PRESETS
from timeline.engine.export_process import (
    ExportRequest,
    export_in_process,
    export_in_subprocess,
)
from timeline.media import encoder_options
from timeline.media.encoder_options import reproducible_options
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)
SIZE = (320, 180)  # a width at which x264's AVX-512 code depended on the heap


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    d = tmp_path_factory.mktemp("export-reproducible")
    a = write_color_bars_video(d / "a.mp4", seconds=1, fps=FPS, size=SIZE, label="A")
    p = Project.create(d / "e.takeline", SequenceSettings(fps=FPS, width=SIZE[0],
                                                         height=SIZE[1]))
    asset = p.import_media([a])[0].id
    p.apply([{"op": "append", "track": "V1", "asset": asset, "source_in": 0,
              "source_out": 10}])
    yield p
    p.close()


def request(p: Project, out: Path) -> ExportRequest:
    plan = plan_sources(p, use_proxies=False)
    return ExportRequest(p.sequence, out, PRESETS["h264"], probes=plan.probes,
                         takes=plan.takes, sample_rate=plan.sample_rate,
                         project={"path": str(p.path), "name": p.name})


def packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def pictures(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def dirty_the_heap() -> None:
    """Leave freed memory full of non-zero bytes for the next export's allocations."""
    for size in (1 << 10, 3 << 10, 1 << 13, 5 << 13, 1 << 16, 3 << 16):
        blocks = [np.full(size, 0xA5, np.uint8) for _ in range(8)]
        del blocks


def assert_same_export(first: Path, other: Path) -> None:
    p1, p2 = packets(first), packets(other)
    assert len(p1) == len(p2) == 10
    differ = [i for i, (x, y) in enumerate(zip(p1, p2, strict=True)) if x != y]
    assert differ == [], f"video packets {differ} differ"
    v1, v2 = pictures(first), pictures(other)
    worst = [int(np.abs(x.astype(int) - y).max()) for x, y in zip(v1, v2, strict=True)]
    assert worst == [0] * 10


def test_exports_one_after_another_in_a_process_are_identical(project: Project,
                                                              tmp_path: Path) -> None:
    first = export_in_process(request(project, tmp_path / "0.mp4")).path
    for k in range(1, 5):
        dirty_the_heap()
        again = export_in_process(request(project, tmp_path / f"{k}.mp4")).path
        assert_same_export(first, again)


@pytest.mark.parametrize("perturb", ["17", "200"])
def test_an_export_in_a_child_with_other_heap_contents_is_identical(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        perturb: str) -> None:
    here = export_in_process(request(project, tmp_path / "here.mp4")).path
    monkeypatch.setenv("MALLOC_PERTURB_", perturb)  # the child inherits the environment
    there = export_in_subprocess(request(project, tmp_path / "there.mp4")).path
    assert_same_export(here, there)


def test_x264_is_kept_off_its_avx512_code_and_nothing_else_changes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"crf": "18", "preset": "medium"}
    monkeypatch.setattr(encoder_options, "_AVX512", True)
    assert reproducible_options("libx264", base) == {**base, "x264-params": "asm=AVX2"}
    assert base == {"crf": "18", "preset": "medium"}  # the preset's own dict is untouched
    assert reproducible_options("libx264", {"x264-params": "keyint=1:bframes=0"}) == {
        "x264-params": "keyint=1:bframes=0:asm=AVX2"}
    mine = {"x264-params": "keyint=1:asm=0"}  # what the caller chose stays
    assert reproducible_options("libx264", mine) == mine
    for codec in ("libx265", "prores_ks", "h264_nvenc", None):
        assert reproducible_options(codec, base) == base
    monkeypatch.setattr(encoder_options, "_AVX512", False)  # no AVX-512: x264 picks
    assert reproducible_options("libx264", base) == base
