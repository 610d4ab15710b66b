"""Takes and jobs in the project file: rows, media store, undoable take edits, a queue that
survives reopening."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from project_store.generation_records import GenerationRecords, NewTake, TakeError, file_sha256
from project_store.project import Project
from timeline.conform import Conform
from timeline.model import SequenceSettings


def _project(tmp_path: Path) -> tuple[Project, int]:
    p = Project.create(tmp_path / "p.takeline", SequenceSettings(fps=Fraction(24), width=64,
                                                                  height=36))
    p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12, "prompt": "x"})
    return p, next(i.id for i in p.sequence.all_items())


def _new_take(tmp_path: Path, value: int, seed: int = 1) -> NewTake:
    from generation.take_media import write_take

    frames = [np.full((16, 16, 3), value, np.uint8)] * 3
    w = write_take(frames, Fraction(16), tmp_path / f"run-{value}.mkv")
    return NewTake(media_file=w.path, frames_hash=w.frames_hash, frame_count=3,
                   fps=Fraction(16), width=16, height=16, backend="wan", model="m", seed=seed,
                   recipe={"call": {"num_inference_steps": 2}, "seed": seed},
                   conform=Conform(frame_map="native", take_frames=3, take_fps=Fraction(16),
                                   segment_frames=12, sequence_fps=Fraction(24)))


def test_takes_are_stored_content_addressed_and_become_active(tmp_path: Path) -> None:
    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    [a] = rec.add_takes(seg, [_new_take(tmp_path, 10)])
    [b] = rec.add_takes(seg, [_new_take(tmp_path, 20, seed=2)])
    assert p.sequence.item(seg).takes == (a.id, b.id)  # type: ignore[attr-defined]
    assert p.sequence.item(seg).active_take == b.id  # type: ignore[attr-defined]
    assert a.media_path is not None and a.media_path.is_file()
    assert a.media_path.parent.parent == p.media_root / "takes"
    assert a.media_path.stem == file_sha256(a.media_path)
    assert a.name == "Take 1" and b.name == "Take 2"
    assert not (tmp_path / "run-10.mkv").exists()  # moved into the store
    # Undo takes the take off the segment (one step), the row stays.
    p.undo()
    assert p.sequence.item(seg).takes == (a.id,)  # type: ignore[attr-defined]
    p.redo()
    p.close()
    p = Project.open(tmp_path / "p.takeline")
    rec = GenerationRecords(p)
    assert [t.id for t in rec.takes(seg)] == [a.id, b.id]
    assert rec.take(b.id).recipe == {"call": {"num_inference_steps": 2}, "seed": 2}
    assert rec.take(b.id).conform.take_fps == 16
    assert set(rec.active_take_media()) == {b.id}
    p.close()


def test_set_active_star_rename_delete(tmp_path: Path) -> None:
    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    a, b = rec.add_takes(seg, [_new_take(tmp_path, 10), _new_take(tmp_path, 20)])
    rec.set_active(a.id)
    assert p.sequence.item(seg).active_take == a.id  # type: ignore[attr-defined]
    rec.star(a.id)
    rec.rename(a.id, "hero")
    assert rec.take(a.id).starred and rec.take(a.id).name == "hero"
    path = rec.take(a.id).media_path
    rec.delete(a.id)
    assert path is not None and not path.exists()
    assert p.sequence.item(seg).takes == (b.id,)  # type: ignore[attr-defined]
    assert p.sequence.item(seg).active_take == b.id  # type: ignore[attr-defined]
    assert [t.id for t in rec.takes(seg)] == [b.id]
    assert rec.take(a.id).deleted
    with pytest.raises(TakeError, match="no take 999"):
        rec.take(999)
    p.close()


def test_identical_results_share_one_file_until_both_are_deleted(tmp_path: Path) -> None:
    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    [a] = rec.add_takes(seg, [_new_take(tmp_path, 10)])
    (tmp_path / "again").mkdir()
    [b] = rec.add_takes(seg, [_new_take(tmp_path / "again", 10)])
    assert a.media_path == b.media_path
    rec.delete(a.id)
    assert b.media_path is not None and b.media_path.exists()
    rec.delete(b.id)
    assert not b.media_path.exists()
    p.close()


def test_job_queue_survives_reopen_and_interrupted_jobs_are_requeued(tmp_path: Path) -> None:
    p, seg = _project(tmp_path)
    rec = GenerationRecords(p)
    j1 = rec.queue_job(seg, {"backend": "previz"}, model_key="A", steps_total=5)
    j2 = rec.queue_job(seg, {"backend": "wan"}, model_key="B", steps_total=5)
    j3 = rec.queue_job(seg, {"backend": "previz"}, model_key="A", steps_total=5)
    rec.start_job(j1.id)
    rec.job_progress(j1.id, 2, 5)
    p.close()  # as if the editor died mid-job
    p = Project.open(tmp_path / "p.takeline")
    rec = GenerationRecords(p)
    assert rec.job(j1.id).state == "running" and rec.job(j1.id).steps_done == 2
    assert rec.requeue_interrupted() == [j1.id]
    assert [j.id for j in rec.jobs(["queued"])] == [j1.id, j2.id, j3.id]
    rec.start_job(j1.id)
    rec.finish_job(j1.id, [])
    # The model already loaded (A) goes first: j3 jumps ahead of j2.
    assert rec.next_job(prefer_model_key="A").id == j3.id  # type: ignore[union-attr]
    rec.cancel_job(j2.id)
    with pytest.raises(TakeError, match="already cancelled"):
        rec.cancel_job(j2.id)
    retry = rec.retry_job(j2.id)
    assert retry.state == "queued" and retry.spec == {"backend": "wan"}
    with pytest.raises(TakeError, match="not a generated segment"):
        rec.queue_job(12345, {}, model_key="x", steps_total=1)
    p.close()


def test_a_schema_0001_project_gains_the_generation_tables(tmp_path: Path) -> None:
    import shutil

    src = Path(__file__).parent / "fixtures" / "schema_0001.takeline"
    dst = tmp_path / "old.takeline"
    shutil.copy(src, dst)
    with Project.open(dst) as p:
        assert GenerationRecords(p).takes() == [] and GenerationRecords(p).jobs() == []
