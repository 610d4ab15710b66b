"""Export in a child process (what the window does): the same file as the in-process export,
progress from the child, cancel, a killed child, and errors that keep their kind."""

from __future__ import annotations

import json
import os
import signal
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from project_store.project import Project
from services.demo_media import write_color_bars_video
from services.render_sources import plan_sources
from timeline.engine.export import (
    PRESETS,
    ExportCancelled,
    ExportError,
    ExportProgress,
    ExportTargetExists,
)
from timeline.engine.export_process import (
    ExportRequest,
    export_in_process,
    export_in_subprocess,
)
from timeline.model import SequenceSettings

FPS = Fraction(24000, 1001)
SIZE = (320, 180)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    d = tmp_path_factory.mktemp("export-process")
    a = write_color_bars_video(d / "a.mp4", seconds=3, fps=FPS, size=SIZE, label="A")
    b = write_color_bars_video(d / "b.mp4", seconds=3, fps=FPS, size=SIZE, label="B")
    p = Project.create(d / "e.takeline", SequenceSettings(fps=FPS, width=SIZE[0],
                                                         height=SIZE[1]))
    ia, ib = (x.id for x in p.import_media([a, b]))
    p.apply([
        {"op": "append", "track": "V1", "asset": ia, "source_in": 0, "source_out": 30},
        {"op": "append", "track": "V1", "asset": ib, "source_in": 12, "source_out": 60},
        {"op": "add_transition", "track": "V1", "at": 30, "duration": 8},
        {"op": "overwrite", "track": "V2", "asset": ib, "source_in": 0, "source_out": 20,
         "at": 40},
        {"op": "add_generated", "track": "V2", "at": 64, "duration": 6, "prompt": "fog"},
    ])
    v2 = p.sequence.track("V2").items[0]
    p.execute({"op": "set", "item": v2.id, "opacity": 0.6})
    yield p
    p.close()


def request(p: Project, out: Path, **kw: object) -> ExportRequest:
    plan = plan_sources(p, use_proxies=False)
    return ExportRequest(p.sequence, out, PRESETS["h264"], probes=plan.probes,
                         takes=plan.takes, sample_rate=plan.sample_rate,
                         project={"path": str(p.path), "name": p.name},
                         **kw)  # type: ignore[arg-type]


def decoded(path: Path) -> tuple[list[np.ndarray], np.ndarray, dict[str, object]]:
    with av.open(str(path)) as c:
        video = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        audio = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    manifest = json.loads(path.with_name(path.name + ".takeline.json").read_text())
    manifest.pop("exported_at")
    return video, audio, manifest


def test_the_child_writes_the_file_the_in_process_export_writes(project: Project,
                                                                tmp_path: Path) -> None:
    n = project.sequence.duration_frames
    here = export_in_process(request(project, tmp_path / "here.mp4"))
    seen: list[ExportProgress] = []
    there = export_in_subprocess(request(project, tmp_path / "there.mp4"),
                                 progress=seen.append)
    assert there.path == tmp_path / "there.mp4" and there.frames == here.frames == n
    assert there.audio_samples == here.audio_samples
    v1, a1, m1 = decoded(here.path)
    v2, a2, m2 = decoded(there.path)
    assert len(v1) == len(v2) == n
    assert all(np.array_equal(x, y) for x, y in zip(v1, v2, strict=True))
    assert np.array_equal(a1, a2)
    assert m1 == m2
    # Progress came from the child, in order, up to the whole range.
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == n and all(p.total == n for p in seen)
    assert sorted(os.listdir(tmp_path)) == ["here.mp4", "here.mp4.takeline.json",
                                            "there.mp4", "there.mp4.takeline.json"]


def test_cancel_stops_the_child_and_leaves_nothing(project: Project, tmp_path: Path) -> None:
    seen: list[int] = []
    with pytest.raises(ExportCancelled):
        export_in_subprocess(request(project, tmp_path / "out.mp4"),
                             progress=lambda p: seen.append(p.done),
                             cancelled=lambda: len(seen) >= 5)
    assert 5 <= len(seen) < project.sequence.duration_frames
    assert os.listdir(tmp_path) == []  # no file, no partial, no sidecar


def test_a_killed_child_fails_the_export_and_its_partial_file_is_removed(
        project: Project, tmp_path: Path) -> None:
    pids: list[int] = []
    seen: list[int] = []

    def progress(p: ExportProgress) -> None:
        seen.append(p.done)
        if len(seen) == 5:
            os.kill(pids[0], signal.SIGKILL)

    with pytest.raises(ExportError, match="stopped unexpectedly.*SIGKILL"):
        export_in_subprocess(request(project, tmp_path / "out.mp4"), progress=progress,
                             on_started=pids.append)
    assert os.listdir(tmp_path) == []


def test_errors_keep_their_kind_across_the_process(project: Project, tmp_path: Path) -> None:
    (tmp_path / "out.mp4").write_bytes(b"keep me")
    with pytest.raises(ExportTargetExists) as info:
        export_in_subprocess(request(project, tmp_path / "out.mp4"))
    assert info.value.path == tmp_path / "out.mp4"
    assert (tmp_path / "out.mp4").read_bytes() == b"keep me"
    with pytest.raises(ExportError, match="reaches past the end"):
        export_in_subprocess(request(project, tmp_path / "x.mp4", first=0, end=500))
    # Replacing is allowed when asked for, as in process.
    result = export_in_subprocess(request(project, tmp_path / "out.mp4", first=0, end=10,
                                          overwrite=True))
    assert result.frames == 10 and (tmp_path / "out.mp4").read_bytes() != b"keep me"


def test_a_relative_target_is_where_the_editor_means_it(project: Project, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = export_in_subprocess(request(project, Path("short.mp4"), first=0, end=6))
    assert result.frames == 6 and (tmp_path / "short.mp4").is_file()


def test_the_child_runs_in_a_session_of_its_own_and_yields_to_the_editor(
        project: Project, tmp_path: Path) -> None:
    # Its own session (so its own autogroup where the kernel has them: the encoder's
    # threads do not take the editor's share of the CPU), nice and batch priority.
    seen: dict[str, int] = {}
    pids: list[int] = []

    def progress(p: ExportProgress) -> None:
        if not seen:  # the child is rendering: its priority is set by now
            pid = pids[0]
            seen["sid"] = os.getsid(pid)
            seen["nice"] = os.getpriority(os.PRIO_PROCESS, pid)
            if hasattr(os, "sched_getscheduler"):
                seen["policy"] = os.sched_getscheduler(pid)

    export_in_subprocess(request(project, tmp_path / "out.mp4"), progress=progress,
                         on_started=pids.append)
    assert seen["sid"] == pids[0] != os.getsid(0)
    assert seen["nice"] >= os.getpriority(os.PRIO_PROCESS, 0) + 4 or seen["nice"] == 19
    if "policy" in seen:
        assert seen["policy"] == os.SCHED_BATCH


def test_a_finished_child_exits_cleanly_while_its_stdin_is_still_open(
        project: Project, tmp_path: Path) -> None:
    # The editor closes the child's stdin only after reading "done": until then the child's
    # cancel watcher is blocked reading it, and an interpreter shutdown under it aborted the
    # child ("Fatal Python error: _enter_buffered_busy") after every successful export.
    import pickle
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen([sys.executable, "-m", "timeline.engine.export_process"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=root, env=env)
    assert child.stdin is not None and child.stdout is not None
    try:
        pickle.dump(request(project, tmp_path / "out.mp4"), child.stdin)
        child.stdin.flush()
        while (message := pickle.load(child.stdout))[0] == "progress":
            pass
        assert message[0] == "done"
        code = child.wait(timeout=60)  # stdin still open
    finally:
        child.kill()
        stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
        child.stdin.close()
    assert code == 0, stderr
    assert "Fatal Python error" not in stderr
