"""A media file whose name holds bytes that are not UTF-8 (issue 14: "file names of any
bytes") is imported and stored exactly: the project reopens onto the very same file, the
commands print its name escaped, --json stays valid, and OTIO round-trips it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from cli.main import main
from project_store.assets import path_from_db, path_to_db
from project_store.project import Project

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "video"
CLIP = TESTDATA / "bbb_prog_10s.mp4"

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not CLIP.is_file(),
    reason="needs a POSIX file system (names of bytes) and ../shared/testdata")


def _weird_copy(folder: Path) -> str:
    # b"\xe9" is Latin-1 e-acute: not valid UTF-8 on its own (an old archive's name).
    raw = os.fsencode(folder) + b"/caf\xe9-\xff.mp4"
    shutil.copyfile(CLIP, raw)
    return os.fsdecode(raw)


def test_path_codec_round_trips_any_bytes() -> None:
    for raw in (b"/a/b.mp4", b"/x/caf\xe9.mp4", b"/\xff\xfe/\x80", "/ü/ñ.mov".encode()):
        path = os.fsdecode(raw)
        stored = path_to_db(path)
        stored.encode("utf-8")  # storable as SQLite text
        assert os.fsencode(path_from_db(stored)) == raw
    assert path_to_db("/plain/clip.mp4") == "/plain/clip.mp4"  # valid text is unchanged


def test_a_non_utf8_name_is_imported_and_stored_exactly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weird = _weird_copy(tmp_path)
    p = tmp_path / "p.takeline"
    assert main(["new", str(p), "--fps", "24", "--size", "320x180"]) == 0
    assert main(["import", str(p), weird]) == 0
    edits = tmp_path / "e.json"
    edits.write_text(json.dumps([{"op": "append", "track": "V1", "asset": 1,
                                  "source_in": 0, "source_out": 12}]))
    assert main(["apply", str(p), str(edits)]) == 0

    with Project.open(p, read_only=True) as project:
        [asset] = project.assets.values()
        assert os.fsencode(asset.path) == os.fsencode(weird)
        assert asset.status == "ok"  # found on disk: the very same file
    # The column holds valid text (any SQLite tool can read the file).
    with sqlite3.connect(p) as c:
        [(stored,)] = c.execute("SELECT path FROM assets").fetchall()
    assert isinstance(stored, str)

    capsys.readouterr()
    assert main(["info", str(p), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["assets"][0]["name"] == "caf\\xe9-\\xff.mp4"
    assert main(["info", str(p)]) == 0
    assert "caf\\xe9-\\xff.mp4" in capsys.readouterr().out
    assert main(["frame", str(p), "3", "-o", str(tmp_path / "f.png")]) == 0

    # OTIO: the URL keeps the bytes; re-imported, the clip is online on the same file.
    otio_file = tmp_path / "cut.otio"
    assert main(["otio", "export", str(p), str(otio_file)]) == 0
    assert "caf%E9-%FF.mp4" in otio_file.read_text()
    q = tmp_path / "q.takeline"
    assert main(["otio", "import", str(otio_file), str(q)]) == 0
    with Project.open(q, read_only=True) as again:
        [asset] = again.assets.values()
        assert os.fsencode(asset.path) == os.fsencode(weird) and asset.status == "ok"
