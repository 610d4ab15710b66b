"""The CLI's progress bars: on stderr and only on a terminal; stdout carries results only."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from cli.main import main
from cli.progress import Progress
from project_store.project import Project
from services.demo_media import write_color_bars_video
from tests.conftest import REPO_ROOT
from timeline.model import SequenceSettings


def test_bar_draws_only_when_enabled() -> None:
    shown, hidden = io.StringIO(), io.StringIO()
    for stream, enabled in ((shown, True), (hidden, False)):
        with Progress("proxy a.mp4", unit="frame", total=24, stream=stream,
                      enabled=enabled) as bar:
            bar.update_to(24)
    assert "proxy a.mp4" in shown.getvalue()
    assert hidden.getvalue() == ""


@pytest.fixture
def video_project(tmp_path: Path) -> Path:
    clip = write_color_bars_video(tmp_path / "bars.mp4", seconds=2, fps=Fraction(25),
                                  size=(320, 180))
    path = tmp_path / "p.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320,
                                               height=180)) as project:
        project.import_media([clip])
    return path


def test_no_terminal_no_bar(video_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proxy", str(video_project)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("bars.mp4: proxy ") and out.count("\n") == 1
    assert "\r" not in out and "\r" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_terminal_gets_the_bar_on_stderr_and_stdout_stays_clean(video_project: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    # A new pseudo-terminal is 0 columns wide, where tqdm draws nothing; a real one is not.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        proc = subprocess.run([sys.executable, "-m", "cli", "proxy", str(video_project)],
                              cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=follower,
                              timeout=120)
        os.close(follower)
        follower = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith("bars.mp4: proxy ") and b"\r" not in proc.stdout
    assert b"bars.mp4" in drawn and b"frame" in drawn
