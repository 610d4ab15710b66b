"""The media bin: desktop drops import, thumbnails appear, missing files are relinked."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

from app.main import MainWindow  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


def _drop(widget, files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def test_drop_imports_shows_thumbnails_and_relinks(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    media = tmp_path / "media"
    media.mkdir()
    a = write_color_bars_video(media / "a.mp4", seconds=2, fps=Fraction(25), size=(320, 180))
    b = write_color_bars_video(media / "b.mp4", seconds=1, fps=Fraction(25), size=(320, 180))
    path = tmp_path / "bin.takeline"
    Project.create(path, SequenceSettings(fps=Fraction(25), width=320, height=180)).close()
    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    _drop(window.bin, [media])  # a folder: every file in it, probed off the UI thread
    [request] = window.importer.running
    qtbot.waitUntil(lambda: request.finished, timeout=20000)
    assert request.error is None
    assert sorted(x.name for x in window.project.assets.values()) == ["a.mp4", "b.mp4"]
    assert window.bin.count() == 2
    qtbot.waitUntil(lambda: all(not window.bin.item(i).icon().isNull()
                                for i in range(window.bin.count())), timeout=20000)
    # A bin item drags out as its file: dropped on the Brief, it becomes a reference.
    window.project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 10})
    window.refresh()
    seg = next(i for i in window.project.sequence.all_items() if i.kind == "generated")
    window.brief.show_segment(seg)
    mime = window.bin.mimeData([window.bin.item(0)])
    assert [u.toLocalFile() for u in mime.urls()] == [str(a)]
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.brief.references.dropEvent(event)
    refs = window.project.sequence.item(seg.id).references
    assert [(r.kind, r.role, r.name) for r in refs] == [("video", "motion", "a.mp4")]
    window.close()

    # The files move: reopened, both are missing; one is relinked by hand, then the rest
    # from the folder they went to.
    moved = tmp_path / "moved"
    shutil.move(str(media), moved)
    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    assert len(window.project.missing_assets) == 2
    assert "[missing: relink]" in window.bin.item(0).text()
    ids = {Path(x.path).name: x.id for x in window.project.assets.values()}
    assert not window.relink_asset(ids["a.mp4"], str(moved / "b.mp4"))  # another file
    assert window.statusBar().currentMessage().startswith("Not relinked:")
    assert window.project.assets[ids["a.mp4"]].path == str(a)
    assert window.relink_asset(ids["a.mp4"], str(moved / a.name))
    assert [x.name for x in window.project.missing_assets] == [b.name]
    search = window.relink_folder(str(moved))  # walked and hashed off the UI thread
    qtbot.waitUntil(lambda: search.finished, timeout=20000)
    assert search.relinked == 1 and search.error is None
    assert not window.project.missing_assets
    assert "[missing" not in window.bin.item(1).text()
    window.close()


def test_a_bad_file_in_an_import_adds_nothing_and_says_why(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = write_color_bars_video(tmp_path / "good.mp4", seconds=1, fps=Fraction(25),
                                  size=(320, 180))
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    path = tmp_path / "bin.takeline"
    Project.create(path, SequenceSettings(fps=Fraction(25), width=320, height=180)).close()
    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    request = window.import_files([good, bad, tmp_path / "gone.mov"])
    assert not request.finished  # the window goes on while the files are probed
    qtbot.waitUntil(lambda: request.finished, timeout=20000)
    assert request.assets is None and request.error is not None
    assert request.error.startswith("Could not import 2 files; nothing was added")
    assert "notes.mp4" in request.error and "gone.mov: no such file" in request.error
    assert window.import_error is not None and window.import_error.isVisible()
    assert window.project.assets == {} and window.bin.count() == 0
    assert window.statusBar().currentMessage() == "Nothing imported"
    # The same good file alone goes in; importing it again gives the same asset.
    first = window.import_files([good])
    qtbot.waitUntil(lambda: first.finished, timeout=20000)
    again = window.import_files([good])
    qtbot.waitUntil(lambda: again.finished, timeout=20000)
    assert first.assets is not None and first.assets == again.assets
    assert window.bin.count() == 1
    assert window.statusBar().currentMessage() == "Imported 1 file(s)"
    window.close()
