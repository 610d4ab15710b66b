"""Recent projects and the crash-recovery notice, with the config folder in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from project_store.project import Project
from services import session_record as session
from timeline.model import SequenceSettings


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def _touch(path: Path) -> Path:
    path.write_bytes(b"x")
    return path


def test_config_dir_follows_xdg(config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert session.recent_file() == config_home / "takeline" / "recent.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert session.config_dir() == Path.home() / ".config" / "takeline"


def test_recent_most_recent_first_limited_and_missing_dropped(tmp_path: Path) -> None:
    files = [_touch(tmp_path / f"p{i}.takeline") for i in range(12)]
    for f in files:
        session.add_recent(f)
    recent = session.recent_projects()
    assert recent == [f.resolve() for f in reversed(files)][:session.MAX_RECENT]
    # Opening one again moves it to the front, without a duplicate.
    session.add_recent(files[5])
    recent = session.recent_projects()
    assert recent[0] == files[5].resolve() and recent.count(files[5].resolve()) == 1
    assert len(recent) == session.MAX_RECENT
    # A deleted project drops out of the list (and out of the file at the next add).
    files[11].unlink()
    assert files[11].resolve() not in session.recent_projects()
    session.add_recent(files[0])
    stored = json.loads(session.recent_file().read_text())
    assert str(files[11].resolve()) not in stored and stored[0] == str(files[0].resolve())


def test_damaged_recent_file_is_ignored(tmp_path: Path) -> None:
    session.recent_file().parent.mkdir(parents=True)
    session.recent_file().write_text("{not json")
    assert session.recent_projects() == []
    session.add_recent(_touch(tmp_path / "a.takeline"))
    assert [p.name for p in session.recent_projects()] == ["a.takeline"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_session_marker_tells_a_crash_from_a_clean_close(tmp_path: Path) -> None:
    project = tmp_path / "p.takeline"
    marker = session.session_file(project)
    assert session.begin_session(project) == session.SessionStart()
    data = json.loads(marker.read_text())
    assert data["pid"] == os.getpid() and data["opened_at"]
    session.end_session(project)
    assert not marker.exists()
    assert not session.begin_session(project).crashed
    # A marker left by a process that is gone: the last run did not close.
    marker.write_text(json.dumps({"pid": _dead_pid(), "opened_at": "2024-01-01T00:00:00"}))
    found = session.begin_session(project)
    assert found.crashed and found.opened_at == "2024-01-01T00:00:00"
    assert json.loads(marker.read_text())["pid"] == os.getpid()  # ours now


# --- in the window ------------------------------------------------------------------------


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    path = tmp_path / "cut.takeline"
    Project.create(path, SequenceSettings(fps=Fraction(25), width=320, height=180)).close()
    return path


def test_window_shows_the_notice_after_a_crash_and_not_after_a_clean_close(  # type: ignore[no-untyped-def]
        qtbot, project_path: Path) -> None:
    pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load")
    from app.main import MainWindow

    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    assert window.recovery_notice is None
    assert session.session_file(project_path).is_file()
    window.close()
    assert not session.session_file(project_path).exists()

    again = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(again)
    assert again.recovery_notice is None  # closed cleanly last time
    again.close()

    session.session_file(project_path).write_text(
        json.dumps({"pid": _dead_pid(), "opened_at": "2024-01-01T00:00:00"}))
    crashed = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(crashed)
    notice = crashed.recovery_notice
    assert notice is not None and notice.isVisible() and not notice.isModal()
    assert "did not close normally" in notice.text() and "Nothing is lost" in notice.text()
    assert "did not close normally" in crashed.statusBar().currentMessage()
    crashed.close()
    assert not session.session_file(project_path).exists()


def test_open_recent_menu_lists_and_opens(qtbot, project_path: Path, tmp_path: Path  # type: ignore[no-untyped-def]
                                          ) -> None:
    pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load")
    from app.main import MainWindow

    other = tmp_path / "other.takeline"
    Project.create(other, SequenceSettings(fps=Fraction(25), width=320, height=180),
                   name="other").close()
    session.add_recent(other)
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    window._fill_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.toolTip() == str(other.resolve())]
    assert len(entries) == 1
    entries[0].trigger()
    assert window.project.path.resolve() == other.resolve()
    assert window.windowTitle().endswith("other")
    assert session.recent_projects()[0] == other.resolve()
    # The first project's marker went with it; the new one has its own.
    assert not session.session_file(project_path).exists()
    assert session.session_file(other).is_file()
    window.close()
    assert not session.session_file(other).exists()
