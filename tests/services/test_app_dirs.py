"""The user's folders come from platformdirs, follow the XDG variables, ignore a relative
one (as the spec says), and the log folder and demo project can be pointed elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from services import session_record
from timeline import app_dirs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="XDG folders are Linux's")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
                 app_dirs.LOG_DIR_ENV, app_dirs.DEMO_ENV):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_defaults_under_home(home: Path) -> None:
    assert app_dirs.config_dir() == home / ".config" / "takeline"
    assert app_dirs.data_dir() == home / ".local" / "share" / "takeline"
    assert app_dirs.log_dir() == home / ".local" / "state" / "takeline" / "log"
    assert app_dirs.cache_dir() == home / ".cache" / "takeline"
    assert app_dirs.demo_project() == home / ".local/share/takeline/demo/demo.takeline"
    assert session_record.recent_file() == home / ".config" / "takeline" / "recent.json"


def test_xdg_variables_are_followed(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "d"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "s"))
    assert app_dirs.data_dir() == home / "d" / "takeline"
    assert app_dirs.log_dir() == home / "s" / "takeline" / "log"


def test_relative_xdg_values_are_ignored(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    assert app_dirs.config_dir() == home / ".config" / "takeline"
    assert app_dirs.log_dir() == home / ".local" / "state" / "takeline" / "log"


def test_overrides(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(app_dirs.LOG_DIR_ENV, str(home / "logs"))
    monkeypatch.setenv(app_dirs.DEMO_ENV, str(home / "x" / "my.takeline"))
    assert app_dirs.log_dir() == home / "logs"
    assert app_dirs.demo_project() == home / "x" / "my.takeline"
