"""``takeline apply`` places a video file's sound linked to its picture and links and
unlinks clips; a bad link op is one line, exit 1, the project unchanged."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from cli.main import main
from project_store.project import Project
from services.demo_media import write_sync_test_video
from timeline.model import SequenceSettings


def apply(tmp_path: Path, project: Path, ops: list, capsys: pytest.CaptureFixture[str]
          ) -> tuple[int, str]:
    edits = tmp_path / "ops.json"
    edits.write_text(json.dumps(ops))
    capsys.readouterr()
    rc = main(["apply", str(project), str(edits)])
    return rc, capsys.readouterr().err


def test_apply_links_and_unlinks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = write_sync_test_video(tmp_path / "sync.mov", seconds=2, fps=Fraction(25),
                                 size=(160, 90))
    project = tmp_path / "p.takeline"
    with Project.create(project, SequenceSettings(fps=Fraction(25), width=160,
                                                  height=90)) as p:
        p.import_media([clip])
    rc, err = apply(tmp_path, project, [
        {"op": "overwrite", "track": "V1", "asset": 1, "source_in": 0, "source_out": 25,
         "at": 0, "audio": "A1"}], capsys)
    assert rc == 0, err
    with Project.open(project) as p:
        [v], [a] = p.sequence.track("V1").items, p.sequence.track("A1").items
        assert p.sequence.linked(v) == [a]
    rc, err = apply(tmp_path, project, [{"op": "unlink", "items": [v.id]},
                                        {"op": "move", "item": v.id, "track": "V1", "at": 5}],
                    capsys)
    assert rc == 0, err
    with Project.open(project) as p:
        assert p.sequence.item(a.id).start == 0 and p.sequence.item(v.id).link is None
    rc, err = apply(tmp_path, project, [{"op": "link", "items": [v.id, 999]}], capsys)
    assert rc == 1 and err.startswith("takeline: error: ") and "Traceback" not in err
    assert "No item with id 999" in err
    rc, err = apply(tmp_path, project, [{"op": "link", "items": [v.id, a.id]}], capsys)
    assert rc == 0, err
    with Project.open(project) as p:
        assert p.sequence.linked(p.sequence.item(v.id)) == [p.sequence.item(a.id)]
