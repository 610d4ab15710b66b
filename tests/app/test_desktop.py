"""The editor as a desktop application: its names, icon and desktop file name, the transport
icons, and Help > Open Log Folder opening the log folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QObject, QUrl, Slot  # noqa: E402
from PySide6.QtGui import QAction, QDesktopServices  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolButton  # noqa: E402

import resources  # noqa: E402
from app.desktop import app_icon, identify, tinted_icon  # noqa: E402


class _Opened(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_identity_and_icon(qapp: QApplication) -> None:
    identify(qapp, "1.2.3")
    assert qapp.organizationName() == "Takeline"
    assert qapp.applicationName() == "Takeline"
    assert qapp.applicationVersion() == "1.2.3"
    assert qapp.desktopFileName() == resources.APP_ID
    icon = app_icon()
    assert not icon.isNull()
    assert icon.pixmap(48, 48).width() == 48  # from the rendered PNGs and the SVG
    assert not qapp.windowIcon().isNull()


def test_tinted_icon_draws_in_the_given_colour(qapp: QApplication) -> None:
    image = tinted_icon("transport/stop", "#ff0000").pixmap(24, 24).toImage()
    centre = image.pixelColor(12, 12)
    assert (centre.red(), centre.green(), centre.blue(), centre.alpha()) == (255, 0, 0, 255)
    assert tinted_icon("transport/no-such-icon", "#ff0000").isNull()


def test_transport_buttons_have_icons(one_clip_window: Any) -> None:
    bar = one_clip_window.transport
    for name, button in bar.buttons.items():
        assert isinstance(button, QToolButton)
        assert not button.icon().isNull(), name


def test_help_open_log_folder(one_clip_window: Any, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "logs" / "takeline"
    monkeypatch.setenv("TAKELINE_LOG_DIR", str(folder))
    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")  # no file manager in a test
    try:
        action = next(a for a in one_clip_window.findChildren(QAction)
                      if a.text() == "Open &Log Folder")
        action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in opened.urls] == [str(folder)]
    assert folder.is_dir()
    assert str(folder) in one_clip_window.statusBar().currentMessage()


def test_generate_dock_says_how_to_enable_models(qtbot: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from fractions import Fraction

    from app.generation_panel import GenerationPanel
    from generation import installed_models
    from project_store.project import Project
    from timeline.model import SequenceSettings

    project = Project.create(tmp_path / "g.takeline",
                             SequenceSettings(fps=Fraction(24), width=64, height=36))
    try:
        panel = GenerationPanel(project)
        qtbot.addWidget(panel)
        assert panel.models_hint.isHidden()  # this environment has the generate extra
        monkeypatch.setattr(installed_models, "GENERATE_PACKAGES",
                            ("torch", "takeline_no_such_package"))
        panel.load_models()
        assert not panel.models_hint.isHidden()
        text = panel.models_hint.text()
        assert "pip install 'takeline[generate]'" in text
        assert text.endswith("(missing: takeline_no_such_package)")  # torch is installed
        panel.shutdown()
    finally:
        project.close()
