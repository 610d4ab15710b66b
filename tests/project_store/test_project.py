"""The project file: every edit committed at once, history across reopen, safe failure modes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import project_store.project as project_module
from project_store.assets import ImportMediaError, file_identity
from project_store.db import (
    CorruptProjectError,
    NewerProjectError,
    NotAProjectError,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
)
from project_store.project import Project
from services.demo_media import (
    write_color_bars_video,
    write_reference_still,
    write_tone_and_clicks_wav,
)
from tests.timeline.test_edit_properties import draw_op
from timeline.model import EditError, SequenceSettings

FPS = Fraction(24000, 1001)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Asset ids 1..4 in a fresh project: video+audio, video only, audio, still — the same
    kinds the model's property tests draw from."""
    d = tmp_path_factory.mktemp("media")
    return [
        write_color_bars_video(d / "av.mp4", seconds=5, fps=FPS, size=(320, 180)),
        write_color_bars_video(d / "v.mp4", seconds=2, fps=FPS, size=(320, 180),
                               with_audio=False),
        write_tone_and_clicks_wav(d / "a.wav", seconds=12),
        write_reference_still(d / "still.png", size=(320, 180)),
    ]


def new_project(path: Path, media: list[Path]) -> Project:
    project = Project.create(path, SequenceSettings(fps=FPS, width=640, height=360))
    assert [a.id for a in project.import_media(media)] == [1, 2, 3, 4]
    return project


def file_state(project: Project) -> tuple[dict, list[str], list[str], int]:
    tl = project.timeline
    return (project.sequence.snapshot(), [c.label for c in tl.undo_stack],
            [c.label for c in tl.redo_stack], tl.ids.next_id)


def test_create_then_open_gives_the_same_empty_sequence(tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(30000, 1001), width=1280,
                                               height=720, sample_rate=44100)) as p:
        created = p.sequence.snapshot()
    with Project.open(path) as p:
        assert p.sequence.snapshot() == created
        assert p.sequence.fps == Fraction(30000, 1001)
        assert [t.name for t in p.sequence.tracks.values()] == ["V1", "V2", "A1", "A2"]
        assert p.name == "p"
    # WAL journal: the mode lives in the file header, so any reader sees it.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    Project.create(path).close()
    before = path.read_bytes()
    with pytest.raises(ProjectExistsError, match="already exists"):
        Project.create(path)
    assert path.read_bytes() == before


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_edits_persist_exactly_across_reopen(
    data: st.DataObject, media: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("prop") / "p.takeline"
    project = new_project(path, media)
    try:
        for _ in range(data.draw(st.integers(1, 15))):
            action = data.draw(st.sampled_from(["edit", "edit", "edit", "undo", "redo"]))
            if action == "undo":
                project.undo()
            elif action == "redo":
                project.redo()
            else:
                try:
                    project.execute(draw_op(data, project.timeline))
                except EditError:
                    pass
        expected = file_state(project)
    finally:
        project.close()
    with Project.open(path) as reopened:
        assert file_state(reopened) == expected
        # And the reopened history still walks back to the empty sequence, step by step.
        while reopened.undo() is not None:
            pass
        assert all(len(t) == 0 for t in reopened.sequence.tracks.values())


def test_undo_redo_survive_reopen(tmp_path: Path, media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    with new_project(path, media) as p:
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 50})
        p.execute({"op": "split", "track": "V1", "at": 20})
        after_split = p.sequence.snapshot()
        p.undo()
        after_undo = p.sequence.snapshot()
    with Project.open(path) as p:
        assert p.sequence.snapshot() == after_undo
        assert p.timeline.redo_label == "Split"
        p.redo()
        assert p.sequence.snapshot() == after_split
    with Project.open(path) as p:
        assert p.sequence.snapshot() == after_split
        assert p.timeline.undo_label == "Split" and p.timeline.redo_label is None
        # A new edit after an undo drops the redo branch, in the file too.
        p.undo()
        p.execute({"op": "add_marker", "at": 5, "name": "x"})
    with Project.open(path) as p:
        assert p.timeline.redo_label is None
        assert [c.label for c in p.timeline.undo_stack] == ["Append", "Add Marker"]


def test_history_older_than_one_page_is_paged_in(
    tmp_path: Path, media: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project_module, "HISTORY_PAGE", 3)
    path = tmp_path / "p.takeline"
    with new_project(path, media) as p:
        for i in range(8):
            p.execute({"op": "add_marker", "at": i, "name": f"m{i}"})
    with Project.open(path) as p:
        assert len(p.timeline.undo_stack) == 3
        undone = 0
        while p.undo() is not None:
            undone += 1
        assert undone == 8 and not p.sequence.markers


def test_a_killed_process_keeps_every_committed_edit(tmp_path: Path, media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    new_project(path, media).close()
    # Edit in a child process that dies without closing anything (as a crash would).
    script = textwrap.dedent(f"""
        import os
        from project_store.project import Project
        p = Project.open({str(path)!r})
        p.execute({{"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40}})
        p.execute({{"op": "add_marker", "at": 10, "name": "before crash"}})
        os._exit(9)
    """)
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True,
                            env={**os.environ, "PYTHONPATH": str(repo)}, timeout=60)
    assert result.returncode == 9, result.stderr.decode()
    with Project.open(path) as p:
        assert [i.duration for i in p.sequence.track("V1")] == [40]
        assert [m.name for m in p.sequence.markers.values()] == ["before crash"]
        assert p.timeline.undo_label == "Add Marker"


def test_a_failed_write_takes_the_edit_back_in_memory(tmp_path: Path, media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    with new_project(path, media) as p:
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40})
        before = file_state(p)
    # A trigger makes the next history insert fail inside the edit's transaction.
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TRIGGER boom BEFORE INSERT ON history "
                    "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with Project.open(path) as p:
        with pytest.raises(ProjectError, match="disk says no"):
            p.execute({"op": "split", "track": "V1", "at": 10})
        assert file_state(p) == before
    with Project.open(path) as p:
        assert file_state(p) == before


def test_batch_is_all_or_nothing_in_memory_and_on_disk(tmp_path: Path, media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    with new_project(path, media) as p:
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40})
        before = file_state(p)
        with pytest.raises(EditError, match=r"operation 2 \(trim\)"):
            p.apply([
                {"op": "split", "track": "V1", "at": 10},
                {"op": "undo"},
                {"op": "trim", "item": 1, "side": "out", "delta": 500, "ripple": False},
            ])
        assert file_state(p) == before
    with Project.open(path) as p:
        assert file_state(p) == before


def test_import_is_all_or_nothing_and_names_each_bad_file(
    tmp_path: Path, media: list[Path]
) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video")
    with Project.create(tmp_path / "p.takeline") as p:
        with pytest.raises(ImportMediaError) as err:
            p.import_media([media[0], tmp_path / "nope.mov", bogus])
        message = str(err.value)
        assert "nope.mov" in message and "no such file" in message
        assert "notes.mp4" in message
        assert "av.mp4" not in message
        assert p.assets == {}
        # The same file twice (or again later) is one asset.
        first = p.import_media([media[0], media[0]])
        assert [a.id for a in first] == [1, 1]
        assert p.import_media([media[0]])[0].id == 1


def test_asset_identity_and_probe_are_stored(tmp_path: Path, media: list[Path]) -> None:
    with new_project(tmp_path / "p.takeline", media) as p:
        av = p.assets[1]
        assert (av.size, av.identity) == file_identity(media[0])
        assert av.probe.fps == FPS and av.probe.kind == "video"
        # The synth writes ceil(5 s * 24000/1001) = 120 frames (5.005 s), which is
        # floor(5.005 * 24000/1001) = 120 whole sequence frames.
        assert p.timeline.media[1].duration_frames == 120
        assert p.timeline.media[4].duration_frames is None  # a still lasts as long as needed
        assert p.timeline.media[2].has_audio is False
        assert p.timeline.media[3].has_video is False


def test_missing_media_is_flagged_not_fatal_and_relinks(tmp_path: Path, media: list[Path]) -> None:
    copy = tmp_path / "clip.mp4"
    copy.write_bytes(media[0].read_bytes())
    path = tmp_path / "p.takeline"
    with Project.create(path) as p:
        (asset,) = p.import_media([copy])
        p.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                   "source_out": 30})
    moved = tmp_path / "moved" / "clip.mp4"
    moved.parent.mkdir()
    copy.rename(moved)
    with Project.open(path) as p:
        assert [a.status for a in p.missing_assets] == ["missing"]
        assert p.sequence.item_count() == 1  # the edit is intact
        # A different file is refused unless forced; the right one relinks.
        with pytest.raises(ProjectError, match="not the same file"):
            p.relink(asset.id, media[1])
        assert p.relink_folder(tmp_path) == {asset.id: str(moved)}
        assert p.missing_assets == []
    with Project.open(path) as p:
        assert p.assets[asset.id].path == str(moved) and p.assets[asset.id].status == "ok"


def test_changed_media_is_detected(tmp_path: Path, media: list[Path]) -> None:
    copy = tmp_path / "clip.mp4"
    copy.write_bytes(media[0].read_bytes())
    path = tmp_path / "p.takeline"
    with Project.create(path) as p:
        p.import_media([copy])
    data = bytearray(copy.read_bytes())
    data[100] ^= 0xFF  # same size, different content: only the identity hash can tell
    copy.write_bytes(bytes(data))
    with Project.open(path) as p:
        assert p.assets[1].status == "ok"  # the cheap check at open looks at size only
        assert [a.status for a in p.refresh_media_status()] == ["changed"]


def test_newer_schema_is_refused_without_touching_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    Project.create(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
        raw.execute("UPDATE meta SET value = 'takeline 9.0' WHERE key = 'writer'")
    before = path.read_bytes()
    with pytest.raises(NewerProjectError) as err:
        Project.open(path)
    assert "newer Takeline (takeline 9.0" in str(err.value)
    assert "Update Takeline" in str(err.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "error", "phrase"),
    [
        (b"", NotAProjectError, "not an SQLite database"),
        (b"hello, I am a text file\n" * 100, NotAProjectError, "not an SQLite database"),
        (b"SQLite format 3\x00" + os.urandom(4096), CorruptProjectError, "damaged"),
    ],
)
def test_junk_files_get_clear_errors(
    tmp_path: Path, content: bytes, error: type[Exception], phrase: str
) -> None:
    path = tmp_path / "junk.takeline"
    path.write_bytes(content)
    with pytest.raises(error, match=phrase) as err:
        Project.open(path)
    assert str(path) in str(err.value)
    assert path.read_bytes() == content


def test_truncated_project_file_is_reported_as_damaged(tmp_path: Path, media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    with new_project(path, media) as p:
        for i in range(200):
            p.execute({"op": "add_marker", "at": i, "name": "x" * 200})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises((CorruptProjectError, NotAProjectError)) as err:
        Project.open(path)
    assert "Restore it from a backup" in str(err.value) or "not a Takeline" in str(err.value)


def test_other_sqlite_databases_are_not_projects(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE t (x)")
    with pytest.raises(NotAProjectError, match="not a Takeline project"):
        Project.open(path)


def test_missing_project_path(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFoundError, match="takeline new"):
        Project.open(tmp_path / "nowhere.takeline")


def test_info_reports_the_layout(tmp_path: Path, media: list[Path]) -> None:
    with new_project(tmp_path / "p.takeline", media) as p:
        p.apply([
            {"op": "append", "track": "V1", "asset": 1, "source_in": 10, "source_out": 70},
            {"op": "add_generated", "track": "V2", "at": 12, "duration": 24, "prompt": "rain"},
            {"op": "add_marker", "at": 30, "name": "beat"},
        ])
        info = json.loads(json.dumps(p.info()))
    assert info["sequence"] == {"name": "Sequence 1", "fps": "24000/1001", "width": 640,
                                "height": 360, "sample_rate": 48000, "duration_frames": 60,
                                "in_point": None, "out_point": None}
    v1 = next(t for t in info["tracks"] if t["name"] == "V1")
    assert v1["items"] == [{"id": 1, "kind": "clip", "start": 0, "duration": 60, "asset": 1,
                            "source_in": 10, "gain_db": 0.0, "opacity": 1.0, "fade_in": 0,
                            "fade_out": 0, "use_proxy": False, "name": "", "reel": ""}]
    v2 = next(t for t in info["tracks"] if t["name"] == "V2")
    assert v2["items"][0]["kind"] == "generated" and v2["items"][0]["prompt"] == "rain"
    assert [m["name"] for m in info["markers"]] == ["beat"]
    av = info["assets"][0]
    assert (av["fps"], av["vfr"], av["rotation"], av["width"], av["height"]) == (
        "24000/1001", False, 0, 320, 180)
    assert (av["sample_rate"], av["channels"]) == (48000, 2)


FIXTURES = Path(__file__).with_name("fixtures")


def test_projects_written_by_schema_0001_still_open(tmp_path: Path) -> None:
    """A project file made by the first schema, kept in the repo: every later migration must
    open it with nothing lost (its media paths are gone, which is flagged, not fatal)."""
    path = tmp_path / "old.takeline"
    path.write_bytes((FIXTURES / "schema_0001.takeline").read_bytes())
    expected = json.loads((FIXTURES / "schema_0001.snapshot.json").read_text())
    # Item fields added since that file was written read back as their defaults.
    added_since: dict[str, dict[str, object]] = {
        "clip": {"fade_in": 0, "fade_out": 0, "transform": [], "use_proxy": False,
                 "name": "", "reel": "", "enabled": True},
        "generated": {"references": [], "camera": None, "poses": None, "cast": [],
                      "enabled": True, "gain_db": 0.0, "fade_in": 0, "fade_out": 0}}
    expected.setdefault("cast", [])  # the sequence's cast (schema 0003)
    for track in expected["tracks"]:
        track["info"].setdefault("label", "")  # schema 0006
        for item in track["items"]:
            for key, value in added_since.get(item["kind"], {}).items():
                item.setdefault(key, value)
    with Project.open(path) as p:
        snapshot = p.sequence.snapshot()
        # Schema 0006: the video clips' sound became linked clips on A1, same frames.
        tracks = {t["info"]["name"]: t for t in snapshot["tracks"]}
        sounds = tracks["A1"]["items"]
        tracks["A1"]["items"] = []
        pictures = tracks["V1"]["items"]
        assert [(a["start"], a["duration"], a["source_in"], a["link"]) for a in sounds] == [
            (v["start"], v["duration"], v["source_in"], v["link"]) for v in pictures]
        assert all(v.pop("link") is not None for v in pictures)
        for item in (i for t in snapshot["tracks"] for i in t["items"]):
            item.pop("link", None)
        assert snapshot == expected
        assert p.timeline.undo_label == "Add Generated Segment"
        assert p.timeline.redo_label == "Add Marker"
        assert [a.status for a in p.assets.values()] == ["missing"]
        p.redo()
        assert [m.name for m in p.sequence.markers.values()] == ["cut"]


def test_transform_keyframes_and_fades_persist(tmp_path: Path, media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    with new_project(path, media) as p:
        p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 50})
        p.execute({"op": "set", "item": 1, "fade_in": 5, "use_proxy": True, "transform": [
            {"frame": 0, "x": 10, "scale": 1.5, "easing": "ease_in_out"},
            [40, -20.5, 3, 0.5, 45, 0.25, "hold"]]})
        expected = p.sequence.snapshot()
    with Project.open(path) as p:
        assert p.sequence.snapshot() == expected
        clip = p.sequence.item(1)
        assert clip.transform[1].rotation == 45.0 and clip.transform[0].easing == "ease_in_out"
        p.undo()
        assert p.sequence.item(1).transform == ()
