"""The editor session and the error reporter, without a display or a sound device."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from project_store.project import Project
from services import session_record
from services.demo_media import write_color_bars_video
from services.editor_session import EditorSession
from services.errors import ErrorReporter
from timeline.model import SequenceSettings


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def _project(tmp_path: Path, name: str, colour_seconds: int = 1) -> Path:
    clip = write_color_bars_video(tmp_path / f"{name}.mp4", seconds=colour_seconds,
                                  fps=Fraction(25), size=(320, 180))
    path = tmp_path / f"{name}.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320, height=180)) as p:
        [asset] = p.import_media([clip])
        p.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                   "source_out": 25})
    return path


def test_engines_render_the_sequence_at_preview_size(tmp_path: Path) -> None:
    session = EditorSession(Project.open(_project(tmp_path, "a")), use_audio_device=False)
    try:
        session.start_engines()
        assert session.preview_size() == (160, 90)  # half size, even
        picture = session.render(3)
        assert picture.shape[:2] == (90, 160)
        assert int(np.asarray(picture).max()) > 0  # colour bars, not offline black
        assert session.playback is not None and session.sound is not None
        session.stop_engines()
        assert session.frames is None and session.playback is None
    finally:
        session.close()


def test_one_selection_reaches_every_subscriber_and_a_switch_clears_it(
        tmp_path: Path) -> None:
    first, second = _project(tmp_path, "a"), _project(tmp_path, "b")
    session = EditorSession(Project.open(first), use_audio_device=False)
    seen: list[list[int | None]] = [[], []]
    for log in seen:
        session.on_selection(lambda item, log=log: log.append(item.id if item else None))
    [item] = list(session.project.sequence.all_items())
    session.select(item.id)
    assert session.selected_item is item
    session.select(999)  # an id that is not in the sequence selects nothing
    assert session.selected is None

    assert session.begin().crashed is False
    old = session.project
    session.start_engines()
    session.select(item.id)
    session.switch_to(Project.open(second))
    try:
        assert session.selected is None and seen == [[item.id, None, item.id, None]] * 2
        assert session.frames is None  # the old project's engines stopped before it closed
        assert session.project.path == second and old.path == first
        assert session_record.recent_projects()[0] == second
        # The old project was closed cleanly: the next open finds no crash to report.
        assert session_record.begin_session(first).crashed is False
    finally:
        session.close()


def test_reports_reach_subscribers_and_the_log(caplog: pytest.LogCaptureFixture) -> None:
    reporter = ErrorReporter(keep=2)
    got: list[str] = []

    def broken(_report: object) -> None:
        raise RuntimeError("subscriber bug")

    reporter.subscribe(broken)  # a broken subscriber does not stop the others
    stop = reporter.subscribe(lambda r: got.append(r.text()))
    with caplog.at_level(logging.INFO, logger="takeline"):
        reporter.report("Proxies", "clip.mov: cannot decode")
        reporter.for_source("Import")("2 files imported")
    assert got == ["Proxies: clip.mov: cannot decode", "Import: 2 files imported"]
    logged = {r.getMessage(): r.levelname for r in caplog.records if r.name == "takeline"}
    assert logged["Proxies: clip.mov: cannot decode"] == "ERROR"
    assert logged["Import: 2 files imported"] == "INFO"
    stop()
    reporter.report("Export", "disk full")
    assert len(got) == 2
    assert [r.source for r in reporter.recent] == ["Import", "Export"]  # keeps the latest
