"""The editor scripted end to end, as an editor would use it: open the demo, import a real
file, cut it, add a generated segment, brief it (prompt, reference, camera preset),
generate with previz and with a tiny real pipeline, switch takes, undo and redo, play a
second, export H.264 — then check the project file and the exported file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.main import MainWindow  # noqa: E402
from project_store.generation_records import GenerationRecords  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo import build_demo  # noqa: E402


def test_scripted_editing_session(qtbot, tmp_path: Path, testdata: Path,  # type: ignore[no-untyped-def]
                                  tiny_model: Callable[[str], Path],
                                  run_queue: Callable[..., None]) -> None:
    import av

    from generation.installed_models import resolve_model
    from timeline.engine.background import JobState

    path = tmp_path / "demo.takeline"
    build_demo(path).close()
    window = MainWindow(Project.open(path), use_audio_device=False)
    qtbot.addWidget(window)
    window.show()
    seq = window.project.sequence
    fps = seq.fps

    # Import a real camera file and cut it onto V2 at the end of the sequence.
    request = window.import_files([testdata / "video" / "flower.mp4"])
    qtbot.waitUntil(lambda: request.finished, timeout=20000)
    [asset] = request.assets
    assert window.bin.count() == 5
    end = seq.duration_frames
    assert window.run({"op": "overwrite", "track": "V2", "asset": asset.id, "source_in": 0,
                       "source_out": 48, "at": end})
    assert window.run({"op": "split", "track": "V2", "at": end + 24})
    cut = [i for i in seq.tracks["V2"] if i.start >= end]
    assert [(i.start, i.duration) for i in cut] == [(end, 24), (end + 24, 24)]

    # A generated segment after it, briefed in the Brief dock.
    at = end + 48
    assert window.run({"op": "add_generated", "track": "V1", "at": at, "duration": 24,
                       "prompt": ""})
    seg = seq.tracks["V1"].item_at(at)
    assert seg is not None and seg.kind == "generated"
    window.timeline.selected = seg.id
    window.timeline.selection_changed.emit(seg.id)
    brief = window.brief
    brief.prompt.setText("a flower in the wind, slow push in")
    assert brief.commit_prompts()
    assert brief.add_reference(testdata / "images" / "coffee.png", "style")
    assert brief.apply_camera_preset("dolly-in", 0.3)
    seg = seq.item(seg.id)
    assert seg.prompt == "a flower in the wind, slow push in"
    assert [r.role for r in seg.references] == ["style"] and seg.camera is not None

    # Generate with previz, then with a tiny real Wan VACE pipeline from the model list.
    panel = window.generation
    panel.show_segment(seg)
    assert panel.prompt.text() == seg.prompt
    run_queue(panel, panel.generate)
    model = resolve_model(str(tiny_model("wan-vace")))
    panel.model.addItem(f"{model.id} ({model.pipeline_class})", model)
    panel.model.setCurrentIndex(panel.model.count() - 1)
    panel.size.setText("32x32")  # the tiny pipeline is random weights at thumbnail size
    panel.steps.setValue(2)
    run_queue(panel, panel.generate)
    records = GenerationRecords(window.project)
    failed = [j.error for j in records.jobs() if j.state != "done"]
    assert not failed, failed
    takes = records.takes(seg.id)
    assert [t.backend for t in takes] == ["previz", "wan-vace"]
    assert takes[1].recipe["inputs"]["video"]["control"] == "camera"
    assert seq.item(seg.id).active_take == takes[1].id

    # Switch takes in the dock; undo and redo the switch.
    panel.show_segment(seq.item(seg.id))
    panel.takes.activated.emit(0)
    assert seq.item(seg.id).active_take == takes[0].id
    window.undo()
    assert seq.item(seg.id).active_take == takes[1].id
    window.redo()
    assert seq.item(seg.id).active_take == takes[0].id

    # Play from the segment's start until half a second has been shown. On a loaded
    # machine frames are dropped (the clock does not wait), so only "it moves forward and
    # never faster than real time" is asserted; real-time figures are bench_playback.py's.
    window.timeline.set_playhead(at)
    started = time.perf_counter()
    window.toggle_play()
    qtbot.waitUntil(lambda: window.timeline.playhead - at >= float(fps) / 2, timeout=60000)
    window.toggle_play()
    elapsed = time.perf_counter() - started
    played = window.timeline.playhead - at
    assert float(fps) / 2 <= played <= (elapsed + 0.5) * float(fps), (played, elapsed)

    # Export the cut and the segment as H.264.
    out = tmp_path / "cut.mp4"
    handle = window.start_export("h264", (end, at + 24), out)
    assert handle is not None
    qtbot.waitUntil(lambda: handle.state is JobState.DONE, timeout=120000)
    window.close()

    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (seq.settings.width, seq.settings.height)
        assert sum(1 for _ in c.decode(video=0)) == at + 24 - end
    with Project.open(path) as p:
        seg = p.sequence.item(seg.id)
        assert seg.prompt == "a flower in the wind, slow push in"
        assert seg.camera is not None and seg.camera.stages == ("dolly-in 0.3",)
        assert seg.takes == (takes[0].id, takes[1].id) and seg.active_take == takes[0].id
        assert [a.path for a in p.assets.values()][-1].endswith("flower.mp4")
        assert p.timeline.undo_label == "Change Properties"
        assert not GenerationRecords(p).stale_segments()
