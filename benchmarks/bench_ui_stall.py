"""UI stalls in the real editor window: how long the GUI thread stops running its loop.

Opens ``MainWindow`` (offscreen unless a display is asked for) on the demo project
(``services.demo.build_demo``: 1280x720 23.976 fps, a dissolve, a still on V2, a WAV on A1, a
generated segment), with the Qt loop as the asyncio loop (qasync, as ``takeline`` runs it),
and measures with ``stall_monitor.StallMonitor`` (a 5 ms timer; a gap over 50 ms is a
stall) while it

* idles (the reference: what the loop and the timer cost on their own),
* plays for 5 s (system clock, no audio device),
* generates a previz take of the generated segment through the Generate dock,
* exports the whole sequence as H.264 through the window's export queue,
* scrubs: the mouse dragged along the ruler for 4 s, a move every 16 ms,
* drags a clip in the timeline for 2 s (ghost, snapping, label), then Escape.

Prints, per phase, the largest gap, the 99th percentile, the mean and the number (and total
time) of gaps over 50 ms; then the same with each gap's wait for a CPU taken off ("own":
what the editor itself took; the rest is other programs on the machine, Linux only), then
the worst stalls with where the GUI thread was and how long of it it waited for a CPU.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_ui_stall.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from stall_monitor import StallMonitor  # noqa: E402

from app.main import MainWindow  # noqa: E402
from app.timeline_view import RULER_H, TimelineView  # noqa: E402
from app.ui_thread_gc import UiThreadCollector, settle_heap  # noqa: E402
from project_store.project import Project  # noqa: E402
from services.demo import build_demo  # noqa: E402
from timeline.engine.background import JobState  # noqa: E402
from timeline.priority import favour_ui_thread  # noqa: E402

PHASES = ("idle", "play", "generate", "export", "scrub", "drag", "idle-after")


def mouse(view: TimelineView, kind: QMouseEvent.Type, x: float, y: float,
          buttons: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    """A mouse event straight to the view, as the window system would deliver it."""
    button = (Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove
              else Qt.MouseButton.LeftButton)
    held = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else buttons
    pos = QPointF(x, y)
    event = QMouseEvent(kind, pos, view.mapToGlobal(pos), button, held,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, event)


async def settle(app: QApplication, seconds: float) -> None:
    await asyncio.sleep(seconds)
    app.processEvents()


async def scenario(app: QApplication, window: MainWindow, monitor: StallMonitor,
                   out_dir: Path, args: argparse.Namespace) -> dict[str, float]:
    """Each phase under its label; returns the wall time of each."""
    walls: dict[str, float] = {}
    view = window.timeline
    seq = window.project.sequence

    async def phase(name: str, body) -> None:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        with monitor.label(name):
            await body()
        walls[name] = time.perf_counter() - t0

    async def idle() -> None:
        await asyncio.sleep(args.idle)

    async def play() -> None:
        view.set_playhead(0)
        await asyncio.sleep(0.3)
        window.toggle_play()
        await asyncio.sleep(args.play)
        window.toggle_play()
        presented = window.playback.stats.presented if window.playback else 0
        print(f"  playback presented {presented} frames in {args.play:.0f} s")

    async def generate() -> None:
        seg = next(i for i in seq.all_items() if i.kind == "generated")
        view.selected = seg.id
        view.selection_changed.emit(seg.id)
        started = window.generation.generate()
        task = window.generation._task
        if not started or task is None:
            raise SystemExit("generation did not start (see the status bar: "
                             f"{window.statusBar().currentMessage()!r})")
        await asyncio.wait_for(task, args.timeout)
        takes = window.project.sequence.item(seg.id).takes
        print(f"  generated previz take(s) for segment {seg.id}: it has {len(takes)} now")

    async def export() -> None:
        out = out_dir / "bench-ui-stall.mp4"
        handle = window.start_export("h264", (0, seq.duration_frames), out)
        if handle is None:
            raise SystemExit(f"export refused: {window.statusBar().currentMessage()!r}")
        end = time.monotonic() + args.timeout
        while handle.state not in (JobState.DONE, JobState.FAILED, JobState.CANCELLED):
            if time.monotonic() > end:
                raise SystemExit("export timed out")
            await asyncio.sleep(0.02)
        if handle.state is not JobState.DONE:
            raise SystemExit(f"export {handle.state.value}: {handle.error}")
        print(f"  exported {seq.duration_frames} frames, {out.stat().st_size // 1024} KiB")

    async def scrub() -> None:
        y = RULER_H / 2
        x0, x1 = view.x_of(0) + 1, view.x_of(seq.duration_frames - 1)
        steps = max(2, int(args.scrub / 0.016))
        mouse(view, QMouseEvent.Type.MouseButtonPress, x0, y)
        for k in range(1, steps + 1):
            # Out and back, like a hand looking for a frame.
            t = k / steps
            frac = 2 * t if t <= 0.5 else 2 - 2 * t
            mouse(view, QMouseEvent.Type.MouseMove, x0 + (x1 - x0) * frac, y)
            await asyncio.sleep(0.016)
        mouse(view, QMouseEvent.Type.MouseButtonRelease, x0, y)
        await asyncio.sleep(0.3)  # the last requested frame arrives
        print(f"  scrubbed with {steps} mouse moves; viewer shows frame "
              f"{window.viewer.shown_frame}")

    async def drag() -> None:
        clip = seq.track("V1").items[0]
        row = view._row_rect("V1")
        assert row is not None
        y = row.center().y()
        x = view.x_of(clip.start + clip.duration / 2)
        mouse(view, QMouseEvent.Type.MouseButtonPress, x, y)
        steps = max(2, int(args.drag / 0.016))
        for k in range(1, steps + 1):
            frac = k / steps
            mouse(view, QMouseEvent.Type.MouseMove, x + 300 * frac, y)
            await asyncio.sleep(0.016)
        view.cancel_drag()
        mouse(view, QMouseEvent.Type.MouseButtonRelease, x + 300, y)

    bodies = {"idle": idle, "play": play, "generate": generate, "export": export,
              "scrub": scrub, "drag": drag, "idle-after": idle}
    monitor.start("startup")
    await settle(app, 1.0)  # the window's first paints, media caches, the first picture
    for name in args.phases.split(","):
        await phase(name, bodies[name])
    return walls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of the idle phases")
    parser.add_argument("--play", type=float, default=5.0, help="seconds of playback")
    parser.add_argument("--scrub", type=float, default=4.0, help="seconds of scrubbing")
    parser.add_argument("--drag", type=float, default=2.0, help="seconds of clip dragging")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="limit for generation and export, seconds")
    parser.add_argument("--threshold", type=float, default=50.0, help="stall threshold, ms")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated, from {','.join(PHASES)}")
    parser.add_argument("--no-stacks", action="store_true",
                        help="do not sample the GUI thread's stack during stalls")
    args = parser.parse_args()

    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="bench-ui-stall-") as tmp:
        out_dir = Path(tmp)
        t0 = time.perf_counter()
        build_demo(out_dir / "demo.takeline").close()
        print(f"demo project built in {time.perf_counter() - t0:.1f} s "
              f"(platform {app.platformName()}, Python {sys.version.split()[0]})")
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        favour_ui_thread()  # as run_editor does
        window = MainWindow(Project.open(out_dir / "demo.takeline"), use_audio_device=False)
        window.resize(1600, 1000)
        window.show()
        window.timeline.fit()
        settle_heap()  # as run_editor does
        collector = UiThreadCollector(app, busy=window.is_playing)  # as run_editor
        monitor = StallMonitor(threshold_ms=args.threshold, sample_stacks=not args.no_stacks)
        try:
            with loop:
                walls = loop.run_until_complete(scenario(app, window, monitor, out_dir, args))
        finally:
            monitor.stop()
            collector.stop()
            window.close()
            app.processEvents()
            asyncio.set_event_loop(None)

    print(f"\nGUI-thread gaps (5 ms timer; stall = gap > {args.threshold:.0f} ms)")
    print(f"{'phase':<12} {'wall s':>7} {'ticks':>6} {'max ms':>8} {'p99 ms':>7} "
          f"{'mean ms':>8} {'stalls':>7} {'stall ms':>9} | {'own max':>7} {'own p99':>7} "
          f"{'own stalls':>10}")
    for name in monitor.labels():
        s = monitor.summary(name)
        wall = walls.get(name, s.seconds)
        print(f"{name:<12} {wall:7.2f} {s.ticks:6d} {s.max_ms:8.1f} {s.p99_ms:7.1f} "
              f"{s.mean_ms:8.2f} {s.stalls:7d} {s.stall_ms:9.1f} | {s.own_max_ms:7.1f} "
              f"{s.own_p99_ms:7.1f} {s.own_stalls:10d}")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    worst = sorted(monitor.stalls, key=lambda st: -st.gap_ms)[:8]
    if worst:
        print("\nworst stalls (where the GUI thread was, innermost last):")
        for st in worst:
            print(f"  {st.gap_ms:7.1f} ms at {st.at:6.2f} s [{st.label}], "
                  f"{st.waited_ms:.1f} ms of it waiting for a CPU")
            # The event loop's own frames (this script, qasync) are the same every time.
            lines = [w for w in st.where
                     if not w.startswith(("bench_ui_stall.py:", "qasync/"))]
            lines = [("      other thread " + w) if w.startswith("[") else w for w in lines]
            none = ("(not sampled: --no-stacks)" if args.no_stacks
                    else "(no sample: native code held the GIL all along)")
            for line in lines or (none,):
                print(f"      {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
