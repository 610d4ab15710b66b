"""Project file speed: open a 10,000-clip project, and one edit plus its commit.

Prints medians (and min / max) over repeated runs in one process. Targets from the
foundation issue: open "well under a second", edit + commit "a few milliseconds".

    .venv/bin/python benchmarks/bench_project.py [--clips 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from project_store.project import Project
from services.demo_media import write_color_bars_video
from timeline.model import SequenceSettings


def build(path: Path, clips: int, media: Path) -> None:
    project = Project.create(path, SequenceSettings(fps=Fraction(24000, 1001)))
    (asset,) = project.import_media([media])
    tracks = ["V1", "V2", "A1", "A2"]
    # One transaction for the whole build; each append is still its own undo step.
    with project.batch():
        for i in range(clips):
            length = 10 + i % 30
            project.execute({"op": "append", "track": tracks[i % 4], "asset": asset.id,
                             "source_in": i % 7, "source_out": i % 7 + length})
    project.close()


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    print(f"{name:<44} median {statistics.median(ms):8.2f} ms   "
          f"min {min(ms):8.2f}   max {max(ms):8.2f}   (n={len(ms)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        media = write_color_bars_video(Path(tmp) / "bars.mp4", seconds=3, size=(320, 180))
        path = Path(tmp) / "big.takeline"
        t0 = time.perf_counter()
        build(path, args.clips, media)
        print(f"built {args.clips} clips (one batch) in {time.perf_counter() - t0:.2f} s; "
              f"file {path.stat().st_size / 1e6:.1f} MB")

        opens: list[float] = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            p = Project.open(path)
            opens.append((time.perf_counter() - t0) * 1000)
            assert p.sequence.item_count() == args.clips
            p.close()
        report(f"open project ({args.clips} clips + history)", opens)

        p = Project.open(path)
        v1 = list(p.sequence.track("V1"))
        middle = v1[len(v1) // 2]
        n = max(args.repeat, 20)

        def trim_and_back() -> None:
            p.execute({"op": "trim", "item": v1[0].id, "side": "out", "delta": -1,
                       "ripple": False})
            p.undo()

        # Ripple delete in the middle of a 2,500-clip track shifts ~1,250 clips.
        def ripple_and_back() -> None:
            p.execute({"op": "ripple_delete", "item": middle.id})
            p.undo()

        def split_and_back() -> None:
            p.execute({"op": "split", "track": "V1", "at": middle.start + 3})
            p.undo()

        def add_marker() -> None:
            p.execute({"op": "add_marker", "at": 100, "name": "m"})

        # Each call is two commands (edit + undo), each committed; report per command.
        for name, fn in [("trim (plain) + commit", trim_and_back),
                         ("ripple delete mid-track + commit", ripple_and_back),
                         ("split + commit", split_and_back)]:
            report(name, [ms / 2 for ms in timed(fn, n)])
        report("add marker + commit", timed(add_marker, n))
        p.close()


if __name__ == "__main__":
    main()
