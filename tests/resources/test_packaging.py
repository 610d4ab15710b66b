"""The bundle recipe and its make targets exist and hold together (building the bundle
takes a minute or more; `make package` does it, and `make package-smoke` runs it)."""

from __future__ import annotations

import ast
import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT

PACKAGING = REPO_ROOT / "packaging"


def test_spec_is_python_naming_every_file_it_ships() -> None:
    spec = (PACKAGING / "takeline.spec").read_text(encoding="utf-8")
    ast.parse(spec)  # PyInstaller execs it as Python
    for needed in ('"resources"', '"migrations"', 'copy_metadata("takeline")',
                   "takeline_entry.py", "otio_fcp_adapter"):
        assert needed in spec, needed
    entry = (PACKAGING / "takeline_entry.py").read_text(encoding="utf-8")
    tree = ast.parse(entry)
    calls = [ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert calls[0] == "multiprocessing.freeze_support"  # before anything can spawn
    assert (REPO_ROOT / "project_store" / "migrations").is_dir()


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make not installed")
@pytest.mark.parametrize("target", ["package", "package-smoke", "test-lowest",
                                    "install-desktop", "uninstall-desktop"])
def test_make_targets_exist(target: str) -> None:
    # -n: print the recipe without running it (or building the venv it depends on).
    result = subprocess.run(["make", "-n", target], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "No rule to make target" not in result.stderr
