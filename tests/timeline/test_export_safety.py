"""Exports never delete or replace what the user did not ask for, and refuse ranges, sizes
and settings that would render forever, run out of memory or be silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from project_store.project import Project
from tests.timeline.test_export import FRAMES, project, run, sources  # noqa: F401
from timeline.engine.export import (
    PRESETS,
    ExportCancelled,
    ExportError,
    ExportTargetExists,
    export_range,
    export_sequence,
    export_target,
    preset_with,
)
from timeline.limits import MAX_FRAME_SIDE


def test_png_sequence_refuses_a_folder_holding_other_files(project: Project,  # noqa: F811
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    (folder / "sub" / "keep.png").write_bytes(b"x")
    for overwrite in (False, True):
        with pytest.raises(ExportError, match="already holds other files"):
            run(project, "png-sequence", folder, overwrite=overwrite)
    assert (folder / "notes.txt").read_text() == "mine"
    assert (folder / "sub" / "keep.png").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shots"]


def test_png_sequence_into_an_empty_folder_and_over_an_earlier_one(
        project: Project, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "empty"
    folder.mkdir()
    result = run(project, "png-sequence", folder)
    assert len(list(result.path.glob("frame_*.png"))) == FRAMES
    with pytest.raises(ExportTargetExists):
        run(project, "png-sequence", folder)
    again = run(project, "png-sequence", folder, overwrite=True)
    assert len(list(again.path.glob("frame_*.png"))) == FRAMES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "empty.takeline.json"]


def test_existing_file_is_replaced_only_with_overwrite(project: Project,  # noqa: F811
                                                       tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    out.write_bytes(b"the user's film")
    with pytest.raises(ExportTargetExists, match="already exists"):
        run(project, "h264", out)
    assert out.read_bytes() == b"the user's film"
    # A cancelled export keeps the old file whole and leaves no half file beside it.
    calls: list[int] = []
    with pytest.raises(ExportCancelled):
        run(project, "h264", out, overwrite=True, cancelled=lambda: bool(calls.append(1))
            or len(calls) > 3)
    assert out.read_bytes() == b"the user's film"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]
    result = run(project, "h264", out, overwrite=True)
    assert result.path == out and out.stat().st_size > 1000


def test_a_folder_is_never_replaced_by_a_file(project: Project,  # noqa: F811
                                              tmp_path: Path) -> None:
    (tmp_path / "b.mp4").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        export_target(tmp_path / "b.mp4", PRESETS["h264"], overwrite=True)


def test_ranges_past_the_end_are_refused(project: Project) -> None:  # noqa: F811
    seq = project.sequence
    end = seq.duration_frames
    assert export_range(seq) == (0, end)
    for first, last in ((0, 2**63), (0, end + 1), (end, end + 5), (2**62, 2**63)):
        with pytest.raises(ExportError, match="end of the sequence"):
            export_range(seq, first, last)


def test_sizes_are_checked_before_rendering(project: Project,  # noqa: F811
                                            tmp_path: Path) -> None:
    frames, sound = sources(project)
    try:
        for size in ((20000, 20000), (MAX_FRAME_SIDE + 2, 2)):
            with pytest.raises(ExportError, match="too large"):
                export_sequence(project.sequence, tmp_path / "x.mp4", PRESETS["h264"],
                                frames=frames, audio=sound, size=size)
    finally:
        frames.close()
        sound.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("preset", "kw", "phrase"), [
    ("h264", {"crf": 1000}, "from 0 to 51"),
    ("h264", {"crf": -1}, "from 0 to 51"),
    ("prores-422hq", {"crf": 20}, "no constant-quality"),
    ("wav", {"crf": 20}, "no video"),
    ("h264", {"bitrate": 0}, "bit rate"),
])
def test_settings_out_of_range_are_refused(preset: str, kw: dict[str, int],
                                           phrase: str) -> None:
    with pytest.raises(ExportError, match=phrase):
        preset_with(PRESETS[preset], **kw)  # type: ignore[arg-type]


def test_a_folder_where_the_manifest_goes_is_refused_before_rendering(
        project: Project, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "c.mp4.takeline.json").mkdir()
    with pytest.raises(ExportError, match="manifest"):
        run(project, "h264", tmp_path / "c.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.mp4.takeline.json"]
