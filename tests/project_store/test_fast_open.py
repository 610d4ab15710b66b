"""The project's own SQLite layer (project_store.db.Connection): what it knows without
Alembic or SQLAlchemy is the same as what they say, and opening a current file never
imports them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

import project_store.project as project_module
from project_store import db
from project_store.project import Project
from timeline.model import SequenceSettings

FIXTURES = Path(__file__).parent / "fixtures"


def test_revisions_are_the_migration_scripts_in_order() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config())
    assert script.get_current_head() == db.HEAD_REVISION
    # walk_revisions goes newest first.
    assert tuple(reversed([s.revision for s in script.walk_revisions()])) == db.REVISIONS


def test_row_writers_set_every_column_of_their_table() -> None:
    from project_store import schema

    for table, columns in [
        (schema.ItemRow, (*project_module.ITEM_COLUMNS, "shift_base")),
        (schema.TrackShiftRow, ("id", "sequence_id", "track", "from_frame", "delta")),
        (schema.TransitionRow, project_module.TRANSITION_COLUMNS),
        (schema.MarkerRow, project_module.MARKER_COLUMNS),
        (schema.CastMemberRow, project_module.CAST_COLUMNS),
        (schema.TrackRow, project_module.TRACK_COLUMNS),
    ]:
        assert set(columns) == {c.name for c in table.__table__.columns}, table.__name__


def test_opening_a_current_project_imports_neither_alembic_nor_sqlalchemy(
        tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        p.execute({"op": "add_marker", "at": 3, "name": "m"})
    code = textwrap.dedent(f"""
        import sys
        from project_store.project import Project
        for read_only in (True, False):
            with Project.open({str(path)!r}, read_only=read_only) as p:
                assert [m.name for m in p.sequence.markers.values()] == ["m"]
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("alembic", "sqlalchemy"))
        print(loaded)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "[]", out.stdout


def test_an_old_project_is_migrated_by_alembic_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.takeline"
    path.write_bytes((FIXTURES / "schema_0001.takeline").read_bytes())
    with Project.open(path) as p:
        assert p.query("SELECT version_num FROM alembic_version")[0][0] == db.HEAD_REVISION
        columns = {r[1] for r in p.query("PRAGMA table_info(jobs)")}
        assert {"owner", "claim_token", "heartbeat_at"} <= columns
        p.execute({"op": "add_marker", "at": 1, "name": "after migrating"})
    with Project.open(path, read_only=True) as p:
        assert "after migrating" in [m.name for m in p.sequence.markers.values()]


def _connection(tmp_path: Path) -> db.Connection:
    path = tmp_path / "t.db"
    sqlite3.connect(path).executescript("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);")
    return db.connect(path)


def test_connection_transactions_follow_sqlalchemy_rules(tmp_path: Path) -> None:
    c = _connection(tmp_path)
    assert not c.in_transaction()
    c.execute("SELECT 1").all()
    assert c.in_transaction()  # a read begins a transaction, kept until commit
    with pytest.raises(RuntimeError):
        c.begin()
    c.commit()
    with c.begin():
        c.execute("INSERT INTO t(v) VALUES (:v)", {"v": "kept"})
        with pytest.raises(ValueError), c.begin_nested():
            c.execute("INSERT INTO t(v) VALUES (:v)", {"v": "savepoint, rolled back"})
            raise ValueError
        with c.begin_nested():
            c.execute("INSERT INTO t(v) VALUES (:v)", {"v": "savepoint, released"})
    assert not c.in_transaction()
    with pytest.raises(KeyError), c.begin():
        c.execute("INSERT INTO t(v) VALUES ('whole transaction, rolled back')")
        raise KeyError
    rows = c.execute("SELECT id, v FROM t ORDER BY id").all()
    assert [r.v for r in rows] == ["kept", "savepoint, released"]
    assert dict(rows) == {1: "kept", 2: "savepoint, released"}
    c.commit()
    c.close()


def test_result_one_and_scalar(tmp_path: Path) -> None:
    c = _connection(tmp_path)
    with c.begin():
        c.execute("INSERT INTO t(v) VALUES (:v)", [{"v": "a"}, {"v": "b"}])
    assert c.execute("SELECT count(*) FROM t").scalar() == 2
    assert c.execute("SELECT v FROM t WHERE id = 9").scalar() is None
    assert c.execute("SELECT v FROM t WHERE id = 1").one().v == "a"
    with pytest.raises(db.NoRowError):
        c.execute("SELECT v FROM t").one()
    with pytest.raises(db.NoRowError):
        c.execute("SELECT v FROM t WHERE id = 9").one()
    assert c.execute("UPDATE t SET v = 'c'").rowcount == 2
    c.close()


def test_a_missing_sequence_row_is_a_project_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("DELETE FROM tracks")
        raw.execute("DELETE FROM sequences")
    with pytest.raises(db.ProjectError, match="database error"):
        Project.open(path)
    # The file is left as it was.
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM sequences").fetchone()[0] == 0


def test_items_read_in_bulk_equal_items_read_one_by_one(tmp_path: Path) -> None:
    from timeline.model import ItemTemplate, item_from_dict

    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12,
                   "prompt": "a fox", "seed": 7})
        seg = next(iter(p.sequence.track("V1")))
        p.execute({"op": "set", "item": seg.id, "camera": {"keys": [
            {"frame": 0, "position": [0, 0, 5]}, {"frame": 11, "position": [1, 0, 5]}]}})
        expected = p.sequence.snapshot()
    with Project.open(path, read_only=True) as p:
        assert p.sequence.snapshot() == expected
        for item in p.sequence.all_items():
            d = item.to_dict()
            fields_ = {k: v for k, v in d.items() if k not in (*ItemTemplate.POSITION, "kind",
                                                                "asset")}
            made = ItemTemplate(item.kind, fields_, with_asset="asset" in d).make(
                item.id, item.track, item.start, item.duration, item.source_in, d.get("asset"))
            assert made == item == item_from_dict(d)


def test_an_item_with_an_unknown_field_is_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12})
    with sqlite3.connect(path) as raw:
        raw.execute("""UPDATE items SET props_json = '{"prompt": "", "colour": 3}'""")
    with pytest.raises(db.CorruptProjectError, match="colour"):
        Project.open(path, read_only=True)
