"""The timeline repaints only the strips the playhead leaves and enters, and what that
partial paint draws is exactly what a whole repaint draws there."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, QRectF  # noqa: E402
from PySide6.QtGui import QImage, QRegion  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.timeline_view import PLAYHEAD_STRIP  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    clip = write_color_bars_video(tmp_path / "clip.mp4", seconds=4, fps=Fraction(25),
                                  size=(320, 180))
    path = tmp_path / "paint.takeline"
    with Project.create(path, SequenceSettings(fps=Fraction(25), width=320, height=180)) as p:
        p.import_media([clip])
        p.apply([
            {"op": "append", "track": "V1", "asset": 1, "source_in": 0, "source_out": 40},
            {"op": "append", "track": "V1", "asset": 1, "source_in": 40, "source_out": 80,
             "at": 60},
            {"op": "add_marker", "at": 30, "name": "a marker with a long name"},
        ])
    w = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.timeline.pixels_per_frame = 8.0
    w.timeline.scroll_frames = 0
    yield w
    w.close()


def image_of(view, region: QRegion | None = None, base: QImage | None = None) -> QImage:  # type: ignore[no-untyped-def]
    image = base.copy() if base is not None else QImage(view.size(), QImage.Format.Format_RGB32)
    if region is None:
        view.render(image, QPoint())
    else:
        # The region's top-left corner lands at the target offset.
        view.render(image, region.boundingRect().topLeft(), region)
    return image


def test_a_moving_playhead_repaints_two_strips_that_match_a_whole_repaint(window) -> None:  # type: ignore[no-untyped-def]
    view = window.timeline
    damaged: list[QRegion] = []
    original_update = view.update

    def record(*args):  # type: ignore[no-untyped-def]
        damaged.append(QRegion(args[0]) if args else QRegion(view.rect()))
        return original_update(*args)

    view.update = record  # type: ignore[method-assign]
    view.set_playhead(10)
    before = image_of(view)
    for frame in (11, 25, 42, 61, 5):  # over clips, a gap, the marker's label, backwards
        old_x = view.x_of(view.playhead)
        damaged.clear()
        view.set_playhead(frame)
        region = QRegion()
        for r in damaged:
            region = region.united(r)
        # Only two narrow strips were asked for, around the old and the new line.
        assert region.boundingRect().height() == view.height()
        for x in (old_x, view.x_of(frame)):
            strip = QRectF(x - PLAYHEAD_STRIP, 0, 2 * PLAYHEAD_STRIP, view.height())
            assert region.contains(strip.toAlignedRect())
        assert sum(r.width() for r in region) <= 2 * (2 * PLAYHEAD_STRIP + 2)
        # Painting just that region over the old picture gives the whole repaint's.
        partial = image_of(view, region, before)
        whole = image_of(view)
        assert partial == whole, frame
        before = whole
