"""A project written before linked audio (schema 0004) keeps its sound: opening it moves
each video clip's sound onto a linked audio clip, and its undo history still undoes.

``fixtures/schema_0004_video_sound.takeline`` was written by the 0004 code: V1 holds
chaplin.mp4 [0, 48) (gain -6 dB, fade in 4) and flower.mp4 [48, 72) from source frame 10,
both with sound; A1 holds a bit of chaplin.mp4's sound at [10, 20); four undo steps. Its
media paths need not exist: the sound is found from the stored probe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from alembic import command
from sqlalchemy import create_engine, text

from project_store import db
from project_store.project import Project
from timeline.engine.mixer import mix_audio
from timeline.model import Clip
from timeline.time import first_sample_of_frame

FIXTURE = Path(__file__).with_name("fixtures") / "schema_0004_video_sound.takeline"


def old_project(tmp_path: Path) -> Path:
    path = tmp_path / "old.takeline"
    path.write_bytes(FIXTURE.read_bytes())
    return path


class Ones:
    def has_audio(self, asset: int) -> bool:
        return True

    def samples(self, asset: int, first: int, count: int) -> np.ndarray:
        return np.full((count, 1), float(asset), np.float32)


def test_the_fixture_is_at_schema_0004(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+pysqlite:///{old_project(tmp_path)}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "0004_job_claims")
    engine.dispose()


def test_a_0004_project_keeps_its_sound_as_linked_audio_clips(tmp_path: Path) -> None:
    path = old_project(tmp_path)
    with Project.open(path) as p:
        assert p.query("SELECT version_num FROM alembic_version")[0][0] == db.head_revision()
        seq = p.sequence
        chaplin, flower = seq.track("V1").items
        assert isinstance(chaplin, Clip) and isinstance(flower, Clip)
        # A1 is busy under chaplin (the clip at [10, 20)): its sound goes to A2. flower's
        # sound goes to A1, V1's own number.
        [sound_c] = seq.track("A2").items
        sound_f = seq.track("A1").items[-1]
        assert seq.linked(chaplin) == [sound_c] and seq.linked(flower) == [sound_f]
        assert (sound_c.start, sound_c.duration, sound_c.source_in, sound_c.asset) == (0, 48,
                                                                                       0, 1)
        assert (sound_f.start, sound_f.duration, sound_f.source_in) == (48, 24, 10)
        assert isinstance(sound_c, Clip) and (sound_c.gain_db, sound_c.fade_in) == (-6.0, 4)
        # The mixer hears them where the video clips sounded before (V tracks are silent).
        at = first_sample_of_frame(30, seq.sample_rate, seq.fps)
        assert np.isclose(mix_audio(seq, at, 1, Ones())[0, 0], 10 ** (-6 / 20))
        at = first_sample_of_frame(60, seq.sample_rate, seq.fps)
        assert mix_audio(seq, at, 1, Ones())[0, 0] == 2.0
        # New ids do not collide with the added clips; the old steps still undo.
        p.execute({"op": "add_marker", "at": 5})
        assert max(m.id for m in seq.markers.values()) > sound_c.id
        for label in ("Add Marker", "Change Properties", "Overwrite", "Append"):
            change = p.undo()
            assert change is not None and change.label == label
        assert seq.find_item(chaplin.id) is not None and seq.find_item(flower.id) is None
        # The linked pair still moves together after the migration.
        p.execute({"op": "move", "item": chaplin.id, "track": "V1", "at": 100})
        assert seq.item(sound_c.id).start == 100
    with Project.open(path) as again:  # written back as it was shown
        assert again.sequence.item(sound_c.id).start == 100


def test_downgrade_gives_the_sound_back_to_the_video_clips(tmp_path: Path) -> None:
    path = old_project(tmp_path)
    Project.open(path).close()
    engine = create_engine(f"sqlite+pysqlite:///{path}")
    with engine.begin() as conn:
        cfg = db.alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004_job_claims")
        rows = conn.execute(text("SELECT track, props_json FROM items ORDER BY id")).fetchall()
        assert [r.track for r in rows] == ["V1", "V1", "A1"]
        assert all('"link"' not in r.props_json for r in rows)
    engine.dispose()
