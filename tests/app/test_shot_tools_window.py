"""Shot tools from the window: Extend Tail… on a real clip's menu extends it by a second,
and the Brief dock's Shots box turns one segment with a character into three shots that
generate as one job and land as three clips (previz: no model needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint  # noqa: E402
from PySide6.QtGui import QContextMenuEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.main import MainWindow  # noqa: E402
from generation.take_media import read_take  # noqa: E402
from project_store.generation_records import GenerationRecords  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.generation_queue import sequence_picture  # noqa: E402
from tests.app.shown import shown  # noqa: E402
from timeline.model import GeneratedSegment  # noqa: E402


def _menu_texts(window: Any, frame: int) -> list[str]:
    view = window.timeline
    rect = view._row_rect("V1")
    pos = QPoint(round(view.x_of(frame)), round(rect.center().y()))
    QApplication.sendEvent(view, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                   view.mapToGlobal(pos)))
    menu = window.edit_actions.last_menu
    texts = [a.text() for a in menu.actions()]
    menu.close()
    return texts


def test_extend_a_clip_by_a_second_and_make_three_shots(
        qtbot: Any, clip_project: Callable[..., Path], run_queue: Callable[..., None],
        tmp_path: Path) -> None:
    from PIL import Image

    path = clip_project("shots", seconds=2, frames=40)
    window = shown(qtbot, MainWindow(Project.open(path), use_audio_device=False))
    try:
        window.timeline.pixels_per_frame = 8.0
        window.timeline.scroll_frames = 0
        [clip] = window.project.sequence.tracks["V1"].items
        assert {"Extend Head…", "Extend Tail…"} <= set(_menu_texts(window, 10))
        actions = window.edit_actions
        made: list[int | None] = []

        def extend() -> bool:
            made.append(actions.extend_clip(clip.id, "tail", frames=25, insert=False))
            return made[-1] is not None

        run_queue(window.generation, extend)
        seg = window.project.sequence.item(made[0])  # type: ignore[arg-type]
        assert isinstance(seg, GeneratedSegment)
        assert (seg.start, seg.duration, seg.extends) == (40, 25, (clip.id, "tail"))
        records = GenerationRecords(window.project)
        take = records.take(seg.active_take)  # type: ignore[arg-type]
        frames = list(read_take(take.media_path))  # type: ignore[arg-type]
        # Previz over the clip's last frame, which the take keeps exactly as decoded.
        assert take.frame_count == 26 and take.recipe["seams"]["in"] >= 0
        assert np.array_equal(frames[0], sequence_picture(window.project, 39))
        assert window.project.timeline.undo_stack[-2].label.startswith("Extend Tail")

        # One segment, one character, three shots.
        assert window.run({"op": "add_generated", "track": "V2", "at": 0, "duration": 36,
                           "prompt": "a fox"})
        seg2 = window.project.sequence.tracks["V2"].items[0]
        window.timeline.select_items([seg2.id])
        brief = window.brief
        assert brief.segment_id == seg2.id
        picture = tmp_path / "mara.png"
        Image.new("RGB", (32, 32), (180, 30, 30)).save(picture)
        member = brief.add_cast_member("Mara", picture)
        assert member is not None and brief.set_cast_link(member, True)
        window.timeline.playhead = 12
        brief.shot_cut.click()
        assert brief.cut_shot_at(24)
        assert brief.shots.count() == 3
        for i, prompt in enumerate(("wide", "close", "Mara runs")):
            brief.shots.item(i).setText(prompt)  # as an edit in the list commits it
        seg2 = window.project.sequence.item(seg2.id)
        assert [(s.duration, s.prompt) for s in seg2.shots] == [
            (12, "wide"), (12, "close"), (12, "Mara runs")]
        run_queue(window.generation, window.generation.generate)
        items = window.project.sequence.tracks["V2"].items
        assert [(i.start, i.duration, i.prompt) for i in items] == [
            (0, 12, "wide"), (12, 12, "close"), (24, 12, "Mara runs")]
        assert all(i.cast == (member,) and i.active_take is not None for i in items)
        window.timeline.select_items([items[1].id])
        assert "Shot 2 of multi-shot take" in brief.shot_text.text()
    finally:
        window.close()
