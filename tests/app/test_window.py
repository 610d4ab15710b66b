"""The editor window drives the real project: shortcuts make committed, undoable edits."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QAction, QKeySequence  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.timeline_view import HEADER_W  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


@pytest.fixture
def project_path(clip_project) -> Path:  # type: ignore[no-untyped-def]
    return clip_project("cut", seconds=4, frames=80)


def test_window_title_names_the_project(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Project.open(project_path))
    qtbot.addWidget(window)
    assert window.windowTitle() == "Takeline — cut"
    assert window.bin.count() == 1


def test_split_shortcut_commits_and_undo_reverts(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Project.open(project_path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.timeline.fit()
    # Click on the ruler above frame 30 to put the playhead there.
    x = int(window.timeline.x_of(30) + window.timeline.pixels_per_frame / 2)
    qtbot.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert window.timeline.playhead == 30
    assert x > HEADER_W

    # The Edit menu action bound to "S" (as in every NLE) splits at the playhead. Offscreen
    # Qt does not activate windows, so key delivery to shortcuts is not testable here; the
    # binding and the action are.
    split = next(a for a in window.findChildren(QAction)
                 if QKeySequence("S") in a.shortcuts())
    assert QKeySequence("Ctrl+K") in split.shortcuts()
    split.trigger()
    durations = [i.duration for i in window.project.sequence.track("V1")]
    assert durations == [30, 50]

    # Committed at once: another connection to the file sees the split already.
    with Project.open(project_path, read_only=True) as other:
        assert [i.duration for i in other.sequence.track("V1")] == [30, 50]

    window.undo_action.trigger()
    assert [i.duration for i in window.project.sequence.track("V1")] == [80]
    assert window.redo_action.text() == "Redo Split"
    window.close()
    with Project.open(project_path) as reopened:
        assert [i.duration for i in reopened.sequence.track("V1")] == [80]
        assert reopened.timeline.redo_label == "Split"


def test_refused_edit_shows_a_message_and_changes_nothing(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Project.open(project_path))
    qtbot.addWidget(window)
    before = window.project.sequence.snapshot()
    assert window.run({"op": "trim", "item": 1, "side": "out", "delta": 500, "ripple": False})\
        is False
    assert "Cannot trim" in window.statusBar().currentMessage()
    assert window.project.sequence.snapshot() == before


def test_viewer_shows_the_playhead_frame_and_plays(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    from services.demo_media import read_frame_index

    # The system clock: tests must not depend on an audio device being present.
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    shown: list[tuple[int, int]] = []
    window.mailbox.arrived.connect(
        lambda n, picture: shown.append((n, read_frame_index(picture[..., :3]))))
    window.timeline.set_playhead(30)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == 30, timeout=5000)
    # The picture is the clip's frame 30 (one clip from source 0 at frame 0).
    assert (30, 30) in shown
    window.toggle_play()
    qtbot.waitUntil(lambda: window.timeline.playhead >= 40, timeout=5000)
    window.toggle_play()
    assert window.playback is not None and window.playback.stats.presented >= 10
    assert all(n == k for n, k in shown)  # every presented picture is its own frame
    window.close()


def test_transport_bar_drives_the_playhead_and_shows_timecode(qtbot, project_path: Path  # type: ignore[no-untyped-def]
                                                               ) -> None:
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    bar = window.transport
    assert bar.duration.text() == "/ 00:00:03:05"  # 80 frames at 25 fps
    bar.buttons["next"].click()
    bar.buttons["next"].click()
    assert window.timeline.playhead == 2 and bar.timecode.text() == "00:00:00:02"
    bar.buttons["end"].click()
    assert window.timeline.playhead == 80 and bar.timecode.text() == "00:00:03:05"
    bar.buttons["back"].click()
    assert window.timeline.playhead == 79
    bar.buttons["start"].click()
    assert window.timeline.playhead == 0
    assert bar.buttons["play"].toolTip() == "Play / Pause (Space)"
    bar.buttons["play"].click()
    qtbot.waitUntil(lambda: bar.buttons["play"].text() == "⏸", timeout=2000)
    qtbot.waitUntil(lambda: window.timeline.playhead >= 5, timeout=5000)
    bar.buttons["play"].click()
    qtbot.waitUntil(lambda: bar.buttons["play"].text() == "▶", timeout=2000)
    bar.buttons["loop"].click()
    assert window.loop_action.isChecked()
    window.close()


def test_asking_for_a_job_brings_the_jobs_dock_to_the_front(qtbot, project_path: Path  # type: ignore[no-untyped-def]
                                                            ) -> None:
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.markers_dock.raise_()  # the Markers tab in front of Jobs
    qtbot.waitUntil(lambda: window.jobs_dock.visibleRegion().isEmpty(), timeout=2000)
    window.generation.generate_button.clicked.emit()  # no segment selected: no job
    qtbot.waitUntil(lambda: not window.jobs_dock.visibleRegion().isEmpty(), timeout=2000)
    assert window.markers_dock.visibleRegion().isEmpty()
    window.close()


def test_build_proxies_in_background_and_switch_a_clip(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.proxies.ready, timeout=30000) as ready:
        window.build_proxies()
    asset_id, path = ready.args
    assert asset_id == 1 and Path(path).is_file()
    assert window._source is not None and window._source.proxies[1] == Path(path)
    window.timeline.select_items([1])  # as a click does: the session follows
    window.toggle_proxy()
    assert window.project.sequence.item(1).use_proxy is True
    assert "plays from its proxy" in window.statusBar().currentMessage()
    # Committed like any edit, and undoable.
    window.undo_action.trigger()
    assert window.project.sequence.item(1).use_proxy is False
    window.close()


def test_a_proxy_of_the_closed_project_is_not_given_to_the_opened_one(  # type: ignore[no-untyped-def]
        qtbot, project_path: Path, tmp_path: Path) -> None:
    other_clip = write_color_bars_video(tmp_path / "other.mp4", seconds=1, fps=Fraction(25),
                                        size=(320, 180))
    other = tmp_path / "other.takeline"
    with Project.create(other, SequenceSettings(fps=Fraction(25), width=640, height=360)) as p:
        p.import_media([other_clip])  # its asset 1 too
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    ready: list[int] = []
    window.proxies.ready.connect(lambda asset_id, _path: ready.append(asset_id))
    window.build_proxies()
    [handle] = window.proxies.handles.values()
    assert window.open_project_path(other)
    qtbot.waitUntil(lambda: handle.finished, timeout=30000)
    qtbot.wait(50)  # let a late update reach the UI thread
    assert ready == [] and window._source is not None and 1 not in window._source.proxies
    window.close()


def test_export_from_the_window_runs_in_the_queue(qtbot, project_path: Path,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    import av

    from timeline.engine.background import JobState

    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    handle = window.start_export("h264", (10, 30), tmp_path / "out.mp4")
    qtbot.waitUntil(lambda: handle.state is JobState.DONE, timeout=30000)
    # The export ran on the queue thread; the file holds exactly frames [10, 30).
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 20
    assert not window.jobs_dock.isHidden()
    # A cancelled export is retried from the same row: the same preset, range and file.
    (tmp_path / "out.mp4").unlink()
    slow = window.start_export("h264", (0, 80), tmp_path / "out.mp4")
    window.exports.queue.cancel(slow)
    qtbot.waitUntil(lambda: slow.state is JobState.CANCELLED, timeout=30000)
    retry = window.exports._rows[id(slow)][3]
    qtbot.waitUntil(lambda: not retry.isHidden(), timeout=5000)
    again = window.exports.retry(slow)
    assert again is not None
    qtbot.waitUntil(lambda: again.state is JobState.DONE, timeout=60000)
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == 80
    failing = window.start_export("h264", (0, 10), tmp_path / "no" / "x.mp4")
    assert failing is None  # refused before queueing
    assert "does not exist" in window.statusBar().currentMessage()
    window.close()


def test_generate_a_previz_take_from_the_window_on_the_qasync_loop(  # type: ignore[no-untyped-def]
        qtbot, project_path: Path, run_queue) -> None:
    from project_store.generation_records import GenerationRecords

    with Project.open(project_path) as p:
        p.execute({"op": "add_generated", "track": "V1", "at": 80, "duration": 20,
                   "prompt": "wide shot"})
    window = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(window)
    seg = next(i for i in window.project.sequence.all_items() if i.kind == "generated")
    window.timeline.selected = seg.id
    window.timeline.selection_changed.emit(seg.id)
    panel = window.generation
    assert panel.generate_button.isEnabled() and panel.prompt.text() == "wide shot"
    panel.prompt.setText("wide shot, dusk")
    panel.count.setValue(2)
    assert panel.generate_button.text() == "Generate 2 takes"
    run_queue(panel, panel.generate, 60)
    takes = GenerationRecords(window.project).takes(seg.id)
    assert len(takes) == 2 and all(t.backend == "previz" for t in takes)
    seg = window.project.sequence.item(seg.id)
    assert seg.prompt == "wide shot, dusk"  # the prompt edit was committed first
    assert seg.active_take == takes[-1].id
    assert panel.takes.count() == 2
    # The viewer now shows the take (no longer the pending card).
    window.timeline.set_playhead(85)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == 85, timeout=5000)
    assert window._source is not None and set(window._source._takes) == {takes[-1].id}
    window.close()
    # Reopened, the panel lists the jobs of the earlier session.
    again = MainWindow(Project.open(project_path), use_audio_device=False)
    qtbot.addWidget(again)
    jobs = [j.id for j in GenerationRecords(again.project).jobs()]
    assert len(jobs) == 2 and sorted(again.generation._rows) == sorted(jobs)
    assert all("done" in row[0].text() for row in again.generation._rows.values())
    again.close()


def test_opening_another_project_rebinds_the_window(qtbot, tmp_path: Path, run_queue  # type: ignore[no-untyped-def]
                                                    ) -> None:
    """File > Open: every panel works on the new project (Generate had kept the first one),
    and the closed project is freed even from the frozen start-up heap."""
    import gc
    import weakref

    from app.ui_thread_gc import settle_heap
    from project_store.generation_records import GenerationRecords

    paths = {}
    for name, prompt in (("harbour", "a harbour at dawn"), ("desert", "a desert road")):
        paths[name] = tmp_path / f"{name}.takeline"
        with Project.create(paths[name],
                            SequenceSettings(fps=Fraction(24), width=64, height=36)) as p:
            p.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 6,
                       "prompt": prompt})
    window = MainWindow(Project.open(paths["harbour"]), use_audio_device=False)
    qtbot.addWidget(window)
    panel = window.generation

    def generate_first_segment() -> None:
        window.timeline.selected = 1
        window.timeline.selection_changed.emit(1)
        run_queue(panel, panel.generate, 60)

    generate_first_segment()
    assert len(panel._rows) == 1
    first = weakref.ref(window.project)
    settle_heap()  # as the editor does once its window is up
    try:
        assert window.open_project_path(paths["desert"])
        assert window.windowTitle() == "Takeline — desert"
        assert panel.runner.project is window.project and panel._rows == {}
        gc.collect()
        assert first() is None, "the closed project is still referenced"
        generate_first_segment()
    finally:
        gc.unfreeze()
    assert panel.prompt.text() == "a desert road"
    assert [row[0].text() for row in panel._rows.values()] == ["Job 1: done"]
    assert len(GenerationRecords(window.project).takes(1)) == 1
    window.close()
    with Project.open(paths["harbour"]) as harbour:  # untouched by the second generation
        assert len(GenerationRecords(harbour).takes(1)) == 1
