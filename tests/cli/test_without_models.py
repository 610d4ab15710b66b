"""`pip install takeline` without the `generate` extra: the CLI and the editor start, build
and render the demo, and nothing outside the worker imports torch and friends. Run in a
fresh interpreter whose import system refuses those packages, as if they were absent."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

HIDDEN = ("torch", "diffusers", "transformers", "accelerate", "ftfy")

RUN = textwrap.dedent("""
    import sys

    HIDDEN = set(sys.argv[1].split(","))

    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r} (hidden)", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    from cli.__main__ import run
    from generation.installed_models import missing_generation_packages

    code = run(sys.argv[2:])
    leaked = sorted(m for m in sys.modules if m.partition(".")[0] in HIDDEN)
    assert not leaked, leaked
    print("missing:", ",".join(missing_generation_packages()))
    sys.exit(code)
    """)


def _takeline(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TAKELINE_LOG_DIR": str(tmp / "log"),
           "XDG_CONFIG_HOME": str(tmp / "config"), "TAKELINE_DEMO": str(tmp / "d.takeline")}
    return subprocess.run([sys.executable, "-c", RUN, ",".join(HIDDEN), *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cli_and_editor_run_without_the_generate_extra(tmp_path: Path) -> None:
    pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load")
    version = _takeline("--version", tmp=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("takeline ")
    assert f"missing: {','.join(HIDDEN)}" in version.stdout

    # The editor builds the demo on first use, opens it, shows a frame and closes.
    editor = _takeline("--demo", "--quit-after", "3", tmp=tmp_path)
    assert editor.returncode == 0, editor.stderr
    assert (tmp_path / "d.takeline").is_file()
    assert "editor started" in (tmp_path / "log" / "editor.log").read_text(encoding="utf-8")

    png = tmp_path / "f.png"
    frame = _takeline("frame", str(tmp_path / "d.takeline"), "12", "-o", str(png), tmp=tmp_path)
    assert frame.returncode == 0, frame.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    info = _takeline("info", str(tmp_path / "d.takeline"), tmp=tmp_path)
    assert info.returncode == 0 and "Sequence" in info.stdout


def test_version_is_the_package_metadata() -> None:
    from importlib.metadata import PackageNotFoundError, version

    from cli.main import main

    try:
        expected = f"takeline {version('takeline')}"
    except PackageNotFoundError:
        expected = "takeline unknown"
    result = subprocess.run([sys.executable, "-m", "cli", "--version"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith(expected)
    assert main(["--version"]) == 0
