"""Ripples stored as a shift log (migration 0007): a file read while its log is unfolded
(a live writer, a crash) holds the same sequence as the writer's memory, a clean close
folds the log into the rows, and the migration's downgrade folds it the same way in SQL."""

from __future__ import annotations

import shutil
import sqlite3
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project_store import db
from project_store.project import Project
from services.demo_media import write_color_bars_video, write_tone_and_clicks_wav
from tests.project_store.test_project import file_state
from tests.timeline.test_edit_properties import draw_op
from timeline.model import EditError, SequenceSettings

FPS = Fraction(24000, 1001)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("media")
    return [
        write_color_bars_video(d / "av.mp4", seconds=5, fps=FPS, size=(320, 180)),
        write_tone_and_clicks_wav(d / "a.wav", seconds=12),
    ]


def _project(path: Path, media: list[Path]) -> Project:
    p = Project.create(path, SequenceSettings(fps=FPS, width=640, height=360))
    p.import_media(media)
    return p


def _log_length(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as raw:
        return int(raw.execute("SELECT count(*) FROM track_shifts").fetchone()[0])


def _ripple_track(p: Project, clips: int = 12) -> list[int]:
    with p.batch():
        for i in range(clips):
            p.execute({"op": "append", "track": "V1", "asset": 1, "source_in": i,
                       "source_out": i + 10})
    return [i.id for i in p.sequence.track("V1")]


def test_a_ripple_writes_one_log_row_not_every_moved_item(tmp_path: Path,
                                                           media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    p = _project(path, media)
    ids = _ripple_track(p)
    before = {r.id: r.start for r in p.query("SELECT id, start FROM items")}
    p.execute({"op": "ripple_delete", "item": ids[3]})
    after = {r.id: r.start for r in p.query("SELECT id, start FROM items")}
    assert ids[3] not in after
    # The eight clips after it moved in the model, not in their rows...
    assert all(after[i] == before[i] for i in ids[4:])
    assert [i.start for i in p.sequence.track("V1")][3:] == [before[i] - 10 for i in ids[4:]]
    assert _log_length(path) == 1
    # ...and a reader of the live file sees them moved.
    with Project.open(path, read_only=True) as r:
        assert r.sequence.snapshot() == p.sequence.snapshot()
    p.close()
    assert _log_length(path) == 0  # folded on close
    folded = {r[0]: r[1] for r in sqlite3.connect(path).execute("SELECT id, start FROM items")}
    assert all(folded[i] == before[i] - 10 for i in ids[4:])
    with Project.open(path) as again:
        assert [i.id for i in again.sequence.track("V1")] == ids[:3] + ids[4:]


def test_a_crashed_writer_leaves_a_log_that_reads_back(tmp_path: Path,
                                                       media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    p = _project(path, media)
    ids = _ripple_track(p)
    p.execute({"op": "ripple_delete", "item": ids[2]})
    p.execute({"op": "ripple_delete", "item": ids[7]})
    p.undo()
    p.execute({"op": "insert", "track": "V1", "asset": 1, "at": 30, "source_in": 0,
               "source_out": 4})
    expected = file_state(p)
    # A copy of the live file (database plus WAL) is what a crash leaves behind.
    crashed = tmp_path / "crashed.takeline"
    for suffix in ("", "-wal"):
        shutil.copy(path.with_name(path.name + suffix), crashed.with_name(crashed.name + suffix))
    p.close()
    assert _log_length(crashed) > 0
    with Project.open(crashed) as reopened:
        assert file_state(reopened) == expected
    assert _log_length(crashed) == 0


def test_the_downgrade_folds_the_log_like_the_loader(tmp_path: Path,
                                                    media: list[Path]) -> None:
    path = tmp_path / "p.takeline"
    p = _project(path, media)
    ids = _ripple_track(p)
    p.execute({"op": "ripple_delete", "item": ids[1]})
    p.execute({"op": "ripple_delete", "item": ids[5]})
    p.undo()
    p.execute({"op": "ripple_delete", "item": ids[9]})
    expected = {i.id: i.start for i in p.sequence.all_items()}
    live = tmp_path / "live.takeline"
    for suffix in ("", "-wal"):
        shutil.copy(path.with_name(path.name + suffix), live.with_name(live.name + suffix))
    p.close()
    from alembic import command

    engine = db.sqlalchemy_engine(live)
    with engine.begin() as conn:
        cfg = db.alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006_linked_audio")
    engine.dispose()
    with sqlite3.connect(live) as raw:
        assert {r[0]: r[1] for r in raw.execute("SELECT id, start FROM items")} == expected
        assert "track_shifts" not in {r[0] for r in raw.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
    # And the 0004 file upgrades again.
    with Project.open(live) as again:
        assert {i.id: i.start for i in again.sequence.all_items()} == expected


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_edits_read_back_the_same_while_the_log_is_unfolded(
    data: st.DataObject, media: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("shifts") / "p.takeline"
    p = _project(path, media)
    try:
        for _ in range(data.draw(st.integers(1, 20))):
            action = data.draw(st.sampled_from(["edit", "edit", "edit", "undo", "redo"]))
            if action == "undo":
                p.undo()
            elif action == "redo":
                p.redo()
            else:
                try:
                    p.execute(draw_op(data, p.timeline))
                except EditError:
                    pass
            if data.draw(st.booleans()):
                with Project.open(path, read_only=True) as r:
                    assert r.sequence.snapshot() == p.sequence.snapshot()
        expected = file_state(p)
    finally:
        p.close()
    with Project.open(path) as reopened:
        assert file_state(reopened) == expected


FIXTURES = Path(__file__).parent / "fixtures"


def without_migrated_sound(snapshot: dict) -> dict:
    """The snapshot less what migration 0006 adds to a project of video clips with sound
    (a linked audio clip per clip, and the links; tests/project_store/
    test_linked_audio_migration.py checks those): the rest must be as it was written."""
    linked = {i["id"] for t in snapshot["tracks"] for i in t["items"] if i.get("link")}
    added = {i for i in linked if any(i == x["id"] for t in snapshot["tracks"]
                                      if t["info"]["kind"] == "audio" for x in t["items"])}
    # Fields added since, at their defaults, were not in the file written then.
    new_defaults = {"link": None, "enabled": True, "label": ""}
    # A generated segment's sound fields (issue 17); clips had them all along.
    new_generated = {"gain_db": 0.0, "fade_in": 0, "fade_out": 0}

    def old_fields(d: dict) -> dict:
        out = {k: v for k, v in d.items()
               if k not in new_defaults or (k != "link" and v != new_defaults[k])}
        if d.get("kind") == "generated":
            out = {k: v for k, v in out.items()
                   if k not in new_generated or v != new_generated[k]}
        return out

    out = dict(snapshot)
    out["tracks"] = [{**t, "info": old_fields(t["info"]),
                      "items": [old_fields(i) for i in t["items"] if i["id"] not in added]}
                     for t in snapshot["tracks"]]
    return out


def test_a_project_written_before_the_shift_log_opens_and_ripples(tmp_path: Path) -> None:
    """schema_0004.takeline was written by the version before migration 0007 (ripples in
    its history, one undone): it opens with the same sequence and history, and its
    ripples redo and undo through the log."""
    import json

    path = tmp_path / "old.takeline"
    path.write_bytes((FIXTURES / "schema_0004.takeline").read_bytes())
    expected = json.loads((FIXTURES / "schema_0004.snapshot.json").read_text())
    for marker in expected["snapshot"]["markers"]:  # schema 0008: a user's marker, no clip
        marker.update(kind="", item=None)
    with Project.open(path) as p:
        assert p.query("SELECT version_num FROM alembic_version")[0][0] == db.HEAD_REVISION
        assert without_migrated_sound(p.sequence.snapshot()) == expected["snapshot"]
        assert (p.timeline.undo_label, p.timeline.redo_label) == (expected["undo"],
                                                                  expected["redo"])
        assert p.redo() is not None  # the undone ripple delete
        p.undo()
        p.undo()  # the insert, a ripple of its own
        state = file_state(p)
    with Project.open(path, read_only=True) as r:
        assert file_state(r) == state
