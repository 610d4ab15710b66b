"""Shared helpers of the fuzz suite: a tiny project, an in-process ``takeline`` runner that
captures stderr, and dumps that tell whether a refused command left the project alone.

Every refusal must be exit 1 with exactly one line ``takeline: error: ...`` on stderr, no
traceback, and the project file's contents unchanged (compared as an SQL dump, so a WAL
checkpoint that rewrites pages without changing a row does not count as a change)."""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from project_store.project import Project
from timeline.model import SequenceSettings

FRAMES = 4  # the fuzz project's length: any valid export range renders in moments


def examples(default: int) -> int:
    """Examples per property: modest by default (the suite runs in CI on two cores);
    TAKELINE_FUZZ_EXAMPLES=2000 for a longer hunt by hand."""
    return int(os.environ.get("TAKELINE_FUZZ_EXAMPLES", default))


@dataclass
class Run:
    rc: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: Any) -> Run:
    capsys.readouterr()
    rc = main([a if isinstance(a, str) else str(a) for a in args])
    out, err = capsys.readouterr()
    return Run(rc, out, err)


def assert_refused(r: Run, *phrases: str) -> None:
    """Exit 1, one clear line on stderr, no traceback; the line holds one of ``phrases``."""
    assert "Traceback" not in r.err and "Traceback" not in r.out, r.err
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert r.rc == 1, (r.rc, r.err, r.out)
    assert len(lines) == 1, r.err
    assert lines[0].startswith("takeline: error: "), r.err
    if phrases:
        assert any(p in lines[0] for p in phrases), (lines[0], phrases)


def assert_usage_or_refused(r: Run) -> None:
    """argparse's own refusal (exit 2, usage + one error line) or ours (exit 1)."""
    assert "Traceback" not in r.err and "Traceback" not in r.out, r.err
    if r.rc == 2:
        assert r.err.strip().splitlines()[-1].startswith("takeline"), r.err
        assert ": error: " in r.err.strip().splitlines()[-1], r.err
    else:
        assert_refused(r)


def dump(path: Path) -> list[str]:
    """The project file's rows, as SQL (only call with no Project open in this process:
    closing this connection would drop that Project's SQLite locks)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def make_project(path: Path) -> Path:
    settings = SequenceSettings(fps=Fraction(24), width=64, height=36, sample_rate=48000)
    with Project.create(path, settings) as p:
        p.apply([
            {"op": "add_generated", "track": "V1", "at": 0, "duration": FRAMES,
             "prompt": "fog"},
            {"op": "add_marker", "at": 1, "name": "m"},
        ])
    return path


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    return make_project(tmp_path / "fuzz.takeline")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    return lambda *args: run_cli(capsys, *args)


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width`` x ``height`` (with one tiny, wrong IDAT): what a
    decoder would allocate for, without writing gigabytes to make the test file."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
    return path


def write_edits(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path
