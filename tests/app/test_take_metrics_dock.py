"""The Takes dock's metrics: badges per take, sorting by a metric, the look-first line, and
a take that ignored its camera brief or flickers saying so on its thumbnail. Two real previz
takes (measured by `takeline generate`), then figures set per take to make the cases."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.takes_browser import TakesBrowser, metric_badges  # noqa: E402
from app.theme import ERROR  # noqa: E402
from cli.main import main  # noqa: E402
from generation.metrics import METRICS_VERSION  # noqa: E402
from project_store.project import Project  # noqa: E402
from project_store.take_metrics import TakeMetrics  # noqa: E402
from services import take_metrics  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


def _figures(warp: float, flicker: float, camera: float) -> list[dict]:
    return [
        {"name": "warping_error", "value": warp, "unit": "grey levels", "direction": "lower"},
        {"name": "flicker", "value": flicker, "unit": "grey levels/frame",
         "direction": "lower"},
        {"name": "camera_error", "value": camera, "unit": "px/frame", "direction": "lower"},
        {"name": "hard_cuts", "value": 0.0, "unit": "cuts", "direction": "lower"},
    ]


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "m.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12,
                   "prompt": "a red fox"})
    assert main(["generate", str(path), "--segment", "1", "--takes", "3", "--seed", "5"]) == 0
    p = Project.open(path)
    yield p
    p.close()


def test_badges_sorting_look_first_and_flagged_thumbnails(qtbot, project: Project  # type: ignore[no-untyped-def]
                                                          ) -> None:
    # generate measured them in the background: real figures are there already.
    ids = [t for t in sorted(take_metrics.current(project))]
    assert len(ids) == 3
    a, b, c = ids
    rows = TakeMetrics(project)
    rows.write(a, _figures(0.5, 0.1, 6.0), METRICS_VERSION)  # steadiest, ignored its camera
    rows.write(b, _figures(1.5, 0.2, 0.3), METRICS_VERSION)
    rows.write(c, _figures(0.9, 8.0, 0.2), METRICS_VERSION)  # flickers
    browser = TakesBrowser(lambda: project)
    qtbot.addWidget(browser)
    browser.resize(900, 600)
    browser.show_segment(project.sequence.find_item(1))
    assert [t.id for t in browser.takes()] == [a, b, c]
    col = TakesBrowser.METRICS_COLUMN
    assert browser.table.item(0, col).text() == metric_badges(
        take_metrics.current(project)[a]) == "warp 0.5 · flicker 0.1 · cam 6 · cuts 0"
    assert "ignored its camera brief" in browser.table.item(0, col).toolTip()
    assert browser.table.item(0, col).foreground().color() == ERROR
    # Look first: not the steadiest (it ignored its brief), not the flickering one.
    assert browser.look_first_id == b
    assert browser.look_first_label.text().startswith("Look first: Take 2: the steadiest")
    # Sort by warping error, best first; back to take order.
    browser.sort_box.setCurrentIndex(1)
    assert browser.sort_box.currentText() == "Sort: best warping error"
    assert [t.id for t in browser.takes()] == [a, c, b]
    browser.sort_box.setCurrentIndex(3)  # camera error
    assert [t.id for t in browser.takes()] == [c, b, a]
    browser.sort_box.setCurrentIndex(0)
    assert [t.id for t in browser.takes()] == [a, b, c]
    # The flagged takes say so on their thumbnails (a red band at the foot), the clean
    # one does not.
    qtbot.waitUntil(lambda: all(thumb for _t, thumb, _a in browser.iter_rows()), timeout=10000)
    for row, flagged in enumerate((True, False, True)):
        icon = browser.table.item(row, 0).icon()
        image = icon.pixmap(browser.thumbnails[browser.takes()[row].id].size()).toImage()
        foot = image.pixelColor(1, image.height() - 2)
        assert (foot == ERROR) == flagged, (row, foot.name())
        assert ("ignored its camera brief" in browser.table.item(row, 0).toolTip()) == (row == 0)
    assert "flickers" in browser.table.item(2, 0).toolTip()


def test_a_dropped_video_becomes_a_measured_take(qtbot, project: Project, testdata: Path  # type: ignore[no-untyped-def]
                                                 ) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    clip = testdata / "video" / "sample_with_vorbis_audio.mkv"
    if not clip.is_file():
        pytest.skip(f"{clip} is not in the shared test data")
    reports: list[str] = []
    browser = TakesBrowser(lambda: project, report=reports.append)
    qtbot.addWidget(browser)
    browser.show_segment(project.sequence.find_item(1))
    before = [t.id for t in browser.takes()]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    browser.dropEvent(event)
    qtbot.waitUntil(lambda: len(browser.takes()) == len(before) + 1, timeout=30000)
    new = browser.takes()[-1]
    assert new.backend == "imported" and new.recipe["imported"] is True
    assert browser.active_take == new.id
    qtbot.waitUntil(lambda: new.id in browser.figures, timeout=60000)
    assert browser.figures[new.id]["warping_error"]["value"] is not None
    assert reports == []
    # Not a video: one message, nothing added.
    bad = Path(project.path).with_name("notes.txt")
    bad.write_text("not a video")
    assert browser.import_files([bad])
    qtbot.waitUntil(lambda: bool(reports), timeout=30000)
    assert "notes.txt" in reports[0]
    assert len(browser.takes()) == len(before) + 1
    browser.shutdown()
