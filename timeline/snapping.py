"""Snapping, computed by the model so the timeline view and the CLI agree on it.

``snap_targets`` collects every frame a drag (or the playhead) may stick to: item edges on
all tracks, the playhead, markers (and the end of a ranged marker), the beats found in music
clips (beat markers, ``takeline beats``) and the in/out points.
The result keeps one sorted list of distinct frames, so building it is O(n log n) and each
query is two bisects, O(log n); 10,000 clips are no problem.

Rules, in one place:

* Tolerance is in frames and inclusive: a target ``tolerance`` frames away still snaps.
  ``tolerance_frames`` turns the UI's pixel tolerance into frames (ceil, never negative).
* The nearest target wins. On equal distance the kind decides: the playhead, then markers
  (start or end) and beats, then in/out points, then item edges; then the earlier frame. Several
  targets on one frame are reported by the highest-priority one (see ``targets_at`` for all).
* ``snap_range`` snaps a dragged item: whichever of its start or end edge is nearer to a
  target moves onto it (equal distance: the better target kind, then the start edge), and
  it never proposes a start before frame 0. Exclude the dragged items from the targets
  (``exclude_items``) or they snap to themselves.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from timeline.model import Sequence

SnapKind = Literal["playhead", "marker", "marker_end", "beat", "in", "out", "edge"]
RangeEdge = Literal["start", "end"]

# Lower wins a tie in distance.
PRIORITY: dict[str, int] = {
    "playhead": 0,
    "marker": 1,
    "marker_end": 1,
    "beat": 1,
    "in": 2,
    "out": 2,
    "edge": 3,
}


@dataclass(frozen=True, slots=True)
class SnapTarget:
    """A frame something may snap to, and where it comes from.

    ``source`` names the origin: ``("playhead",)``, ``("in",)``, ``("out",)``,
    ``("marker", marker_id)``, ``("marker_end", marker_id)`` (a ranged marker's end),
    ``("beat", marker_id)`` (a beat marker) or ``("edge", item_id, "start" | "end")``.
    """

    frame: int
    source: tuple[str | int, ...]

    def __post_init__(self) -> None:
        if not self.source or self.source[0] not in PRIORITY:
            raise ValueError(
                f"Unknown snap target source {self.source!r}; the kind must be one of "
                f"{', '.join(PRIORITY)}"
            )

    @property
    def kind(self) -> str:
        return str(self.source[0])

    @property
    def priority(self) -> int:
        """0 is the strongest (playhead); used only to break ties in distance."""
        return PRIORITY[str(self.source[0])]

    @property
    def item_id(self) -> int | None:
        """The item whose edge this is, for ``edge`` targets."""
        return int(self.source[1]) if self.source[0] == "edge" else None


@dataclass(frozen=True, slots=True)
class SnapResult:
    """Outcome of ``SnapTargets.snap``: the frame to use and how far it moved.

    Without a target in tolerance, ``frame`` is the query unchanged, ``delta`` 0 and
    ``target`` None.
    """

    frame: int
    delta: int
    target: SnapTarget | None

    @property
    def snapped(self) -> bool:
        return self.target is not None


@dataclass(frozen=True, slots=True)
class RangeSnapResult:
    """Outcome of ``SnapTargets.snap_range``: the dragged item's new start.

    ``edge`` says which of its edges landed on ``target`` (None when nothing snapped, in
    which case ``start`` is unchanged and ``delta`` 0).
    """

    start: int
    delta: int
    edge: RangeEdge | None
    target: SnapTarget | None

    @property
    def snapped(self) -> bool:
        return self.target is not None


def _sort_key(t: SnapTarget) -> tuple[int, int, tuple[str | int, ...]]:
    return (t.frame, PRIORITY[str(t.source[0])], t.source)


class SnapTargets:
    """Snap targets sorted by frame, for bisect lookups.

    Build it once per drag (``snap_targets``) and query it on every mouse move.
    """

    def __init__(self, targets: Iterable[SnapTarget]) -> None:
        ordered = sorted(targets, key=_sort_key)
        self._count = len(ordered)
        # One entry per distinct frame; each group is sorted best-first.
        self._frames: list[int] = []
        self._groups: list[tuple[SnapTarget, ...]] = []
        start = 0
        for i in range(1, len(ordered) + 1):
            if i == len(ordered) or ordered[i].frame != ordered[start].frame:
                self._frames.append(ordered[start].frame)
                self._groups.append(tuple(ordered[start:i]))
                start = i

    def __len__(self) -> int:
        """Number of targets (not of distinct frames)."""
        return self._count

    def __iter__(self) -> Iterator[SnapTarget]:
        """Every target, by frame, best first within a frame."""
        for group in self._groups:
            yield from group

    @property
    def frames(self) -> list[int]:
        """The distinct target frames, ascending (a copy)."""
        return list(self._frames)

    def targets_at(self, frame: int) -> tuple[SnapTarget, ...]:
        """All targets on exactly ``frame``, best first (empty if none)."""
        i = bisect.bisect_left(self._frames, frame)
        if i < len(self._frames) and self._frames[i] == frame:
            return self._groups[i]
        return ()

    def _nearest(self, frame: int, tolerance: int, lowest: int | None = None) -> SnapTarget | None:
        """Best target within ``tolerance`` of ``frame`` whose frame is >= ``lowest``."""
        if tolerance < 0:
            raise ValueError(f"A snap tolerance cannot be negative ({tolerance})")
        frames = self._frames
        best: SnapTarget | None = None
        best_key: tuple[int, int, int] | None = None
        below = bisect.bisect_left(frames, frame) - 1  # last frame < query
        above = bisect.bisect_left(frames, frame if lowest is None else max(frame, lowest))
        for j in (below, above):
            if j < 0 or j >= len(frames) or (lowest is not None and frames[j] < lowest):
                continue
            distance = abs(frames[j] - frame)
            if distance > tolerance:
                continue
            target = self._groups[j][0]
            key = (distance, target.priority, target.frame)
            if best_key is None or key < best_key:
                best, best_key = target, key
        return best

    def snap(self, frame: int, tolerance: int) -> SnapResult:
        """Snap ``frame`` to the nearest target at most ``tolerance`` frames away.

        Ties in distance go to the playhead, then markers, then in/out points, then item
        edges, then the earlier frame. O(log n).
        """
        target = self._nearest(frame, tolerance)
        if target is None:
            return SnapResult(frame, 0, None)
        return SnapResult(target.frame, target.frame - frame, target)

    def snap_range(self, start: int, duration: int, tolerance: int) -> RangeSnapResult:
        """Snap an item being dragged to ``start``: its start or its end edge, whichever is
        nearer to a target (within ``tolerance``), lands on that target.

        Equal distances prefer the better target kind, then the start edge. A snap that
        would put the start before frame 0 is never proposed. O(log n).
        """
        if duration < 0:
            raise ValueError(f"A dragged range cannot have a negative duration ({duration})")
        end = start + duration
        options: list[tuple[int, int, int, int, RangeEdge, SnapTarget]] = []
        head = self._nearest(start, tolerance, lowest=0)
        if head is not None:
            delta = head.frame - start
            options.append((abs(delta), head.priority, 0, delta, "start", head))
        tail = self._nearest(end, tolerance, lowest=duration)
        if tail is not None:
            delta = tail.frame - end
            options.append((abs(delta), tail.priority, 1, delta, "end", tail))
        if not options:
            return RangeSnapResult(start, 0, None, None)
        _, _, _, delta, edge, target = min(options, key=lambda o: o[:3])
        return RangeSnapResult(start + delta, delta, edge, target)


def snap_targets(
    sequence: Sequence,
    *,
    playhead: int | None = None,
    exclude_items: Iterable[int] = (),
    include_markers: bool = True,
    include_beats: bool = True,
    include_in_out: bool = True,
) -> SnapTargets:
    """Collect the snap targets of ``sequence``.

    Item start and end edges on every track (except ``exclude_items``, typically the items
    being dragged), the playhead when given, markers (plus ``frame + duration`` for a
    marker with a duration), the beat markers (``include_beats``) and the in/out points
    that are set. O(n log n).
    """
    excluded = set(exclude_items)
    targets: list[SnapTarget] = []
    add = targets.append
    for item in sequence.all_items():
        if item.id in excluded:
            continue
        add(SnapTarget(item.start, ("edge", item.id, "start")))
        add(SnapTarget(item.start + item.duration, ("edge", item.id, "end")))
    if playhead is not None:
        add(SnapTarget(playhead, ("playhead",)))
    for marker in sequence.markers.values():
        if marker.is_beat:
            if include_beats:
                add(SnapTarget(marker.frame, ("beat", marker.id)))
        elif include_markers:
            add(SnapTarget(marker.frame, ("marker", marker.id)))
            if marker.duration > 0:
                add(SnapTarget(marker.frame + marker.duration, ("marker_end", marker.id)))
    if include_in_out:
        if sequence.in_point is not None:
            add(SnapTarget(sequence.in_point, ("in",)))
        if sequence.out_point is not None:
            add(SnapTarget(sequence.out_point, ("out",)))
    return SnapTargets(targets)


def tolerance_frames(pixels: float, pixels_per_frame: float) -> int:
    """Frames within ``pixels`` on screen at a zoom of ``pixels_per_frame``.

    Rounds up (a target closer than ``pixels`` on screen always snaps, one up to a frame's
    width further may too) and never goes below 0. The division is exact (``Fraction`` of
    the given numbers), so e.g. 6 px at 0.1 px/frame is 60 frames, not 61.
    """
    if not math.isfinite(pixels_per_frame) or pixels_per_frame <= 0:
        raise ValueError(f"pixels_per_frame must be a positive number, not {pixels_per_frame}")
    if not math.isfinite(pixels):
        raise ValueError(f"pixels must be a finite number, not {pixels}")
    if pixels <= 0:
        return 0
    return max(0, math.ceil(Fraction(pixels) / Fraction(pixels_per_frame)))
