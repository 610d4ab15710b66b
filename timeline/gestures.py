"""The limits and snapping of the timeline's mouse gestures, decided by the model.

The timeline view turns pixels into frames, asks these functions what a drag would do, paints
the answer and, on release, sends the edit (``timeline.edits``) through its ``run``. Nothing
here edits the sequence or knows about Qt: every function reads the model and returns frames.

A gesture is asked with ``raw``, the mouse's travel in whole frames since the press, and
answers a ``DragResult``: the ``delta`` the edit would be made with and the frame it is
snapped to (``snap``, None when it is not; the view draws a snap line there). ``tolerance``
is the snapping tolerance in frames (``timeline.snapping.tolerance_frames``), or None when
snapping is switched off. A delta is clamped to what the edit can do, so the preview never
shows an edit the model would refuse for these reasons; a snap the clamp moves off its
target is dropped.

Rules, in one place (the media-length rule is ``timeline.edits.media_length``):

* move: the clip (or, for a selection, its earliest item) stops at frame 0; over other
  clips it overwrites them, as ``op_move`` does, so neighbours do not stop it. It snaps by
  whichever of its edges is nearer a target. It stays on tracks of its own kind
  (``move_track``); a selection shifts across the tracks of the dragged item's kind as far
  as every item can (``group_offset``).
* trim: an item keeps a frame at least; the in edge stops at the start of the media (source
  frame 0) and, without ripple, at frame 0 and at the item before it; the out edge stops at
  the end of the media and, without ripple, at the item after it.
* roll: both items keep a frame at least; the cut stops where either runs out of media.
* slip: the source range stays inside the media (no snapping; the media follows the
  mouse, so the delta is the negated travel).
* slide: the clip keeps its media and length; the neighbour it moves into keeps a frame at
  least, the one it leaves grows within its media; with a gap on a side, the clip moves
  into the gap and no further, and never before frame 0.
* marker and in/out range: snapped, never before frame 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from timeline.edits import media_length
from timeline.model import Item, MediaInfo, Sequence, Track
from timeline.snapping import SnapTargets


@dataclass(frozen=True, slots=True)
class DragResult:
    """What a gesture would do now: the edit's ``delta`` in frames, and the frame it is
    snapped to (None: not snapped)."""

    delta: int
    snap: int | None = None


# --- snapping -------------------------------------------------------------------------------


def snap_frame(targets: SnapTargets, frame: int, tolerance: int | None) -> tuple[int, int | None]:
    """(frame to use, the target frame it snapped to or None). ``tolerance`` None: snapping
    is off and ``frame`` comes back as it is."""
    if tolerance is None:
        return frame, None
    result = targets.snap(frame, tolerance)
    return result.frame, (result.target.frame if result.target is not None else None)


def _snap_start(targets: SnapTargets, start: int, duration: int,
                tolerance: int | None) -> tuple[int, int | None]:
    """A dragged range's start after snapping either of its edges (``snap_range``)."""
    if tolerance is None:
        return start, None
    result = targets.snap_range(start, duration, tolerance)
    if result.target is None:
        return start, None
    return result.start, result.target.frame


def _clamp(lo: int, hi: int, delta: int) -> int:
    """``delta`` within [lo, hi]; 0 (no edit) when nothing is possible."""
    return max(lo, min(hi, delta)) if lo <= hi else 0


# --- limits ---------------------------------------------------------------------------------


def clamp_trim(seq: Sequence, item: Item, side: str | None, delta: int,
               media: Mapping[int, MediaInfo], *, ripple: bool = False) -> int:
    """The nearest delta to ``delta`` a trim of ``item``'s ``side`` ("in" or "out") can make."""
    track = seq.track(item.track)
    before, after = track.neighbours(item)
    length = media_length(item, media)
    if side == "in":
        hi = item.duration - 1
        lo = -item.source_in
        if not ripple:
            lo = max(lo, -item.start, (before.end - item.start) if before else -item.start)
    else:
        lo = 1 - item.duration
        hi = delta if length is None else length - item.source_out
        if not ripple and after is not None:
            hi = min(hi, after.start - item.end)
    return _clamp(lo, hi, delta)


def clamp_roll(a: Item, b: Item, delta: int, media: Mapping[int, MediaInfo]) -> int:
    """The nearest delta to ``delta`` the cut between ``a`` (outgoing) and ``b`` (incoming)
    can roll by."""
    lo = max(1 - a.duration, -b.source_in)
    hi = b.duration - 1
    length = media_length(a, media)
    if length is not None:
        hi = min(hi, length - a.source_out)
    return _clamp(lo, hi, delta)


def clamp_slip(item: Item, delta: int, media: Mapping[int, MediaInfo]) -> int:
    """The nearest delta to ``delta`` ``item``'s source range can slip by."""
    lo = -item.source_in
    length = media_length(item, media)
    hi = delta if length is None else length - item.source_out
    return _clamp(lo, hi, delta)


def clamp_slide(seq: Sequence, item: Item, delta: int, media: Mapping[int, MediaInfo]) -> int:
    """The nearest delta to ``delta`` ``item`` can slide by between its neighbours."""
    track = seq.track(item.track)
    left, right = track.item_ending_at(item.start), track.item_starting_at(item.end)
    before, after = track.neighbours(item)
    if delta > 0:
        hi = delta
        if right is not None:
            hi = min(hi, right.duration - 1)
        elif after is not None:
            hi = min(hi, after.start - item.end)
        length = None if left is None else media_length(left, media)
        if left is not None and length is not None:
            hi = min(hi, length - left.source_out)
        return max(0, hi)
    lo = max(delta, -item.start)
    if left is not None:
        lo = max(lo, 1 - left.duration)
    elif before is not None:
        lo = max(lo, before.end - item.start)
    if right is not None:
        lo = max(lo, -right.source_in)
    return min(0, lo)


# --- gestures: the mouse's travel in frames -> the edit's delta ------------------------------


def drag_move(item: Item, raw: int, targets: SnapTargets, tolerance: int | None,
              group: Iterable[Item] = ()) -> DragResult:
    """A move of ``item`` (with the rest of ``group``, the selection, if given) by ``raw``
    frames: stopped so the earliest of them stays at or after frame 0, then snapped."""
    earliest = min((i.start for i in group), default=item.start)
    start = max(item.start - earliest, item.start + raw)
    start, snap = _snap_start(targets, start, item.duration, tolerance)
    return DragResult(start - item.start, snap)


def drag_trim(seq: Sequence, item: Item, side: str | None, raw: int, targets: SnapTargets,
              tolerance: int | None, media: Mapping[int, MediaInfo], *,
              ripple: bool = False) -> DragResult:
    """A trim of ``item``'s ``side`` edge dragged by ``raw``: snapped, then clamped."""
    edge = item.start if side == "in" else item.end
    frame, snap = snap_frame(targets, edge + raw, tolerance)
    delta = clamp_trim(seq, item, side, frame - edge, media, ripple=ripple)
    return DragResult(delta, snap if delta == frame - edge else None)


def drag_roll(a: Item, b: Item, raw: int, targets: SnapTargets, tolerance: int | None,
              media: Mapping[int, MediaInfo]) -> DragResult:
    """A roll of the cut at ``a.end`` dragged by ``raw``: snapped, then clamped."""
    cut = a.end
    frame, snap = snap_frame(targets, cut + raw, tolerance)
    delta = clamp_roll(a, b, frame - cut, media)
    return DragResult(delta, snap if delta == frame - cut else None)


def drag_slip(item: Item, raw: int, media: Mapping[int, MediaInfo]) -> DragResult:
    """A slip dragged by ``raw``: the media follows the mouse (dragging right shows earlier
    source frames), within the media; never snapped."""
    return DragResult(clamp_slip(item, -raw, media))


def drag_slide(seq: Sequence, item: Item, raw: int, targets: SnapTargets,
               tolerance: int | None, media: Mapping[int, MediaInfo]) -> DragResult:
    """A slide of ``item`` dragged by ``raw``: snapped by either edge, then clamped."""
    start, snap = _snap_start(targets, item.start + raw, item.duration, tolerance)
    wanted = start - item.start
    delta = clamp_slide(seq, item, wanted, media)
    return DragResult(delta, snap if delta == wanted else None)


def drag_marker(frame: int, raw: int, targets: SnapTargets,
                tolerance: int | None) -> DragResult:
    """A marker at ``frame`` dragged by ``raw``: never before frame 0, then snapped."""
    to, snap = snap_frame(targets, max(0, frame + raw), tolerance)
    return DragResult(to - frame, snap)


def drag_range(anchor: int, frame: int, targets: SnapTargets,
               tolerance: int | None) -> tuple[tuple[int, int], int | None]:
    """An in/out range dragged from ``anchor`` to ``frame`` (snapped): ((in, out), snap)."""
    to, snap = snap_frame(targets, frame, tolerance)
    return (min(anchor, to), max(anchor, to)), snap


def razor_frame(item: Item, frame: int, targets: SnapTargets,
                tolerance: int | None) -> int:
    """Where a razor click at ``frame`` on ``item`` cuts: the snapped frame (a cut is made
    only strictly inside the item, ``item.start < frame < item.end``)."""
    return snap_frame(targets, frame, tolerance)[0]


# --- tracks ---------------------------------------------------------------------------------


def cut_at(track: Track, frame: int) -> tuple[Item, Item] | None:
    """The two items meeting at ``frame`` on ``track``, (outgoing, incoming), if a cut is
    there (a roll needs both)."""
    a, b = track.item_ending_at(frame), track.item_starting_at(frame)
    return (a, b) if a is not None and b is not None else None


def move_track(seq: Sequence, item: Item, row: str | None, current: str) -> str:
    """The track a dragged ``item`` lands on with the mouse over ``row``: that track if it
    is of the item's kind (a picture does not go on an audio track), else ``current``."""
    if row is not None and seq.track(row).kind == seq.track(item.track).kind:
        return row
    return current


def kind_tracks(seq: Sequence, kind: str) -> list[str]:
    """The names of the tracks of ``kind``, by index (V1, V2, ...)."""
    tracks = [t for t in seq.tracks.values() if t.kind == kind]
    return [t.info.name for t in sorted(tracks, key=lambda t: t.info.index)]


def group_offset(names: list[str], item: Item, group: Iterable[Item], dest: str) -> int:
    """How many tracks a selection moves when its dragged ``item`` goes to ``dest``: the
    items on ``names`` (the tracks of its kind) shift by as many tracks, as far as every
    one of them can."""
    offset = names.index(dest) - names.index(item.track)
    for other in group:
        if other.track in names:
            i = names.index(other.track)
            offset = max(-i, min(len(names) - 1 - i, offset))
    return offset


def group_track(names: list[str], offset: int, other: Item) -> str:
    """The track ``other`` (in a selection shifted by ``offset`` tracks) lands on."""
    if other.track not in names or offset == 0:
        return other.track
    return names[names.index(other.track) + offset]


def group_move_steps(group: Iterable[Item], names: list[str], offset: int,
                     delta: int) -> list[dict[str, Any]]:
    """The ``move`` operations of a selection moved by ``delta`` frames and ``offset``
    tracks, in a safe order: the item ahead in the direction of travel (across tracks, then
    in time) moves first, into space the others never reach, so no step overwrites another
    selected item that has yet to move."""
    up, later = (offset > 0) - (offset < 0), (delta > 0) - (delta < 0)

    def order(i: Item) -> tuple[int, int]:
        index = names.index(i.track) if i.track in names else 0
        return -index * up, -i.start * later

    # Each moves alone: the selection holds the linked clips that are to move with it.
    return [{"op": "move", "item": i.id, "track": group_track(names, offset, i),
             "at": i.start + delta, "alone": True} for i in sorted(group, key=order)]


# --- drops: media dragged onto the timeline (from the bin, or files just imported) ---------

DropMode = Literal["overwrite", "insert"]
# A still dropped on the timeline lasts this long (Premiere's default still duration).
STILL_SECONDS = 5


@dataclass(frozen=True, slots=True)
class DropSource:
    """Part of an asset to drop: source frames ``[source_in, source_out)`` (``source_out``
    None: to the end of the media, or ``STILL_SECONDS`` of a still). A bare asset id drops
    all of it; a source monitor drags its In/Out this way."""

    asset: int
    source_in: int = 0
    source_out: int | None = None


@dataclass(frozen=True, slots=True)
class DropPlan:
    """What a drop of assets at a frame on a track becomes.

    ``track`` and ``start`` say where the first clip lands (the rest follow it, end to
    start), ``lengths`` how long each clip is, ``snap`` the frame the drop snapped to (None:
    not snapped). ``refusal`` is why the drop cannot be made (None: it can); ``edit`` is the
    operation to run, one undo step however many clips are dropped."""

    mode: DropMode
    track: str | None
    start: int
    lengths: tuple[int, ...] = ()
    snap: int | None = None
    refusal: str | None = None
    edit: dict[str, Any] | None = None

    @property
    def duration(self) -> int:
        return sum(self.lengths)

    @property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) in the sequence of each dropped clip, in order."""
        out, at = [], self.start
        for length in self.lengths:
            out.append((at, at + length))
            at += length
        return out


def drop_length(info: MediaInfo, fps: Fraction) -> int:
    """Frames a dropped asset fills: all of its media, or ``STILL_SECONDS`` for a still."""
    if info.duration_frames is None:
        return max(1, round(STILL_SECONDS * fps))
    return info.duration_frames


def drop_fits(track: Track, info: MediaInfo) -> str | None:
    """Why ``info`` cannot go on ``track`` (None: it can). The same rule as the edits'
    (``timeline.edits``: a picture on a video track, sound on an audio track), worded for
    someone dragging: a video file with sound fits both kinds."""
    name = info.name or f"asset {info.id}"
    if track.kind == "video" and not info.has_video:
        return f"{name} has no picture: drop it on an audio track (A1, A2, ...)"
    if track.kind == "audio" and not info.has_audio:
        what = "a still" if info.kind == "image" else "a video without sound"
        return f"{name} is {what}: drop it on a video track (V1, V2, ...)"
    return None


def linked_audio_track(seq: Sequence, video_track: str, at: int, length: int,
                       ) -> tuple[str, list[dict[str, Any]]]:
    """The audio track a video file's sound lands on beside its picture dropped on
    ``video_track`` over ``[at, at + length)``, and the steps to run first (adding an audio
    track when the sequence has none it may use). As Premiere: V2's sound goes to A2 when
    there is one; otherwise the first unlocked audio track free over the drop, else the first
    unlocked one (which the drop's mode then overwrites or pushes along)."""
    index = seq.track(video_track).info.index
    usable = sorted((t for t in seq.audio_tracks if not t.info.locked),
                    key=lambda t: t.info.index)
    same = next((t for t in usable if t.info.index == index), None)
    free = next((t for t in usable if not t.overlapping(at, at + length)), None)
    chosen = same or free or (usable[0] if usable else None)
    if chosen is not None:
        return chosen.name, []
    # add_track names the new track A<highest index + 1>.
    new = max((t.info.index for t in seq.audio_tracks), default=0) + 1
    return f"A{new}", [{"op": "add_track", "kind": "audio"}]


def plan_drop(seq: Sequence, media: Mapping[int, MediaInfo],
              assets: Iterable[int | DropSource], row: str | None, frame: int,
              mode: DropMode, targets: SnapTargets, tolerance: int | None) -> DropPlan:
    """A drop of ``assets`` (ids or ``DropSource`` ranges, in order) with the mouse at
    ``frame`` over track ``row``
    (None: not over a track): the clips go end to end from ``frame``, snapped by the
    edges of the whole run (``snap_range``), never before frame 0.

    ``overwrite`` replaces what is under them; ``insert`` pushes what follows on that track
    later (an item under the drop frame is split there first). Refused: no track under the
    mouse, an asset the project does not have, an asset whose kind the track does not take
    (``drop_fits``), a locked track, a source range outside the media."""
    sources = [a if isinstance(a, DropSource) else DropSource(a) for a in assets]
    start = max(0, frame)
    if not sources:
        return DropPlan(mode, row, start, refusal="Nothing to drop")
    missing = [s.asset for s in sources if s.asset not in media]
    if missing:
        return DropPlan(mode, row, start, refusal=f"No asset with id {missing[0]} in this "
                        "project; import it first")
    infos = [media[s.asset] for s in sources]
    ranges = []
    for source, info in zip(sources, infos, strict=True):
        if source.source_out is not None:
            end = source.source_out
        elif info.duration_frames is None:  # a still: its default length from source_in
            end = source.source_in + drop_length(info, seq.fps)
        else:
            end = info.duration_frames
        if not 0 <= source.source_in < end or (
                info.duration_frames is not None and end > info.duration_frames):
            return DropPlan(mode, row, start, refusal=(
                f"Source frames {source.source_in}-{end} are not inside "
                f"{info.name or f'asset {info.id}'} ({info.duration_frames} frames)"))
        ranges.append((source.source_in, end))
    lengths = tuple(b - a for a, b in ranges)
    if row is None or row not in seq.tracks:
        return DropPlan(mode, None, start, lengths,
                        refusal="Drop onto a track (V1, V2, ... for pictures, A1, A2, ... "
                                "for sound)")
    track = seq.track(row)
    start, snap = _snap_start(targets, start, sum(lengths), tolerance)
    start = max(0, start)
    refusal = next((r for r in (drop_fits(track, info) for info in infos) if r), None)
    if refusal is None and track.info.locked:
        refusal = f"Track {row} is locked; unlock it first"
    if refusal is not None:
        return DropPlan(mode, row, start, lengths, snap, refusal)
    steps: list[dict[str, Any]] = []
    audio = None
    if track.kind == "video" and any(i.has_video and i.has_audio for i in infos):
        # A video file's sound lands linked to its picture on an audio track.
        audio, steps = linked_audio_track(seq, row, start, sum(lengths))
    at = start
    for source, info, (source_in, source_out) in zip(sources, infos, ranges, strict=True):
        step = {"op": mode, "track": row, "asset": source.asset, "source_in": source_in,
                "source_out": source_out, "at": at}
        if audio is not None and info.has_audio:
            step["audio"] = audio
        steps.append(step)
        at += source_out - source_in
    label = ("Insert" if mode == "insert" else "Overwrite") + (
        f" {len(sources)} clips" if len(sources) > 1 else f" {infos[0].name or 'clip'}")
    edit = {"op": "group", "label": label, "steps": steps}
    return DropPlan(mode, row, start, lengths, snap, None, edit)
