"""Project file speed: open a project of 10,000 and of 100,000 clips, and one edit plus
its commit.

Prints medians (and min / max) over repeated runs in one process. Targets (issue 23): open
<= 1 s at 100,000 clips; every edit plus its commit <= 2 ms median at 10,000 clips, ripple
delete included. A commit waits for its fsync (synchronous=FULL), so the time of a commit
that changes one row of ``meta`` is printed too: the disk's floor under every edit.

    .venv/bin/python benchmarks/bench_project.py [--clips 10000,100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's code

from project_store.project import Project  # noqa: E402
from services.demo_media import write_color_bars_video  # noqa: E402
from timeline.model import SequenceSettings  # noqa: E402


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


def bench_size(tmp: Path, media: Path, clips: int, repeat: int) -> None:
    path = tmp / f"big{clips}.takeline"
    t0 = time.perf_counter()
    build(path, clips, media)
    print(f"built {clips} clips (one batch) in {time.perf_counter() - t0:.2f} s; "
          f"file {path.stat().st_size / 1e6:.1f} MB")

    for read_only in (False, True):
        opens: list[float] = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            p = Project.open(path, read_only=read_only)
            opens.append((time.perf_counter() - t0) * 1000)
            assert p.sequence.item_count() == clips
            p.close()
        report(f"open {'read-only' if read_only else 'for writing'} ({clips} clips + history)",
               opens)

    p = Project.open(path)
    v1 = list(p.sequence.track("V1"))
    middle = v1[len(v1) // 2]
    n = max(repeat, 20)

    counter = iter(range(1 << 30))

    def floor() -> None:
        with p.transaction() as c:  # a real change: an unchanged row is not written
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('bench', :v)",
                      {"v": str(next(counter))})

    def trim_and_back() -> None:
        p.execute({"op": "trim", "item": v1[0].id, "side": "out", "delta": -1,
                   "ripple": False})
        p.undo()

    # Ripple delete in the middle of a long track shifts the half of it after the clip.
    def ripple_and_back() -> None:
        p.execute({"op": "ripple_delete", "item": middle.id})
        p.undo()

    def split_and_back() -> None:
        p.execute({"op": "split", "track": "V1", "at": middle.start + 3})
        p.undo()

    def move_and_back() -> None:
        p.execute({"op": "move", "item": v1[-1].id, "track": "V1", "at": v1[-1].start + 5})
        p.undo()

    def add_marker() -> None:
        p.execute({"op": "add_marker", "at": 100, "name": "m"})

    report("commit of one changed row (fsync floor)", timed(floor, n))
    # Each call is two commands (edit + undo), each committed; report per command.
    for name, fn in [("trim (plain) + commit", trim_and_back),
                     (f"ripple delete mid-track ({len(v1) // 2} clips move) + commit",
                      ripple_and_back),
                     ("split + commit", split_and_back),
                     ("move the last clip + commit", move_and_back)]:
        report(name, [ms / 2 for ms in timed(fn, n)])
    report("add marker + commit", timed(add_marker, n))
    p.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clips", default="10000,100000",
                    help="project sizes, comma-separated (default 10000,100000)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        media = write_color_bars_video(Path(tmp) / "bars.mp4", seconds=3, size=(320, 180))
        for clips in (int(c) for c in args.clips.split(",")):
            bench_size(Path(tmp), media, clips, args.repeat)


if __name__ == "__main__":
    main()
