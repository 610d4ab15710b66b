"""What a `takeline` command line imports: only the module of the command it runs, and for
reading a project neither SQLAlchemy, Alembic nor the edit operations (issue 23: `takeline
info` spent most of its time importing what it does not use)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from cli.main import COMMAND_MODULES, COMMANDS, main
from cli.pipes import EXIT_CLOSED_PIPE
from project_store.project import Project
from timeline.model import SequenceSettings

ROOT = Path(__file__).resolve().parents[2]


def test_each_command_module_runs_the_commands_named_for_it() -> None:
    for name, commands in COMMAND_MODULES.items():
        assert importlib.import_module(name).COMMANDS == commands
        assert set(commands) <= set(COMMANDS)


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def _loaded_by(args: list[str]) -> set[str]:
    code = textwrap.dedent(f"""
        import contextlib, io, sys
        from cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main({args!r})
        print(code)
        print(" ".join(sorted(sys.modules)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.splitlines()
    assert out[0] == "0", out
    return set(out[1].split())


def test_info_imports_no_database_library_and_no_other_command(tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12})
    loaded = _loaded_by(["info", str(path)])
    unwanted = {m for m in loaded if m.split(".")[0] in ("sqlalchemy", "alembic")}
    unwanted |= loaded & {"cli.generate", "cli.brief", "cli.backups", "timeline.edits",
                          "generation"}
    assert not unwanted


def test_a_lazily_imported_command_still_reports_its_failures(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.takeline"
    Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)).close()
    capsys.readouterr()
    # cli.brief's ConditioningFailure, raised from a module cli.main imported for it.
    assert main(["cast", str(path), "--remove", "Nobody"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("takeline: error: no cast member called 'Nobody'")
    assert "Traceback" not in err


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        with p.batch():  # more lines than a pipe holds
            for i in range(1500):
                p.execute({"op": "add_generated", "track": "V1", "at": i * 2, "duration": 2})
    proc = subprocess.Popen([sys.executable, "-m", "cli", "info", str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"Project")
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_CLOSED_PIPE  # as a shell reports SIGPIPE
    assert "Traceback" not in err and "BrokenPipe" not in err
