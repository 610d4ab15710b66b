"""Edit operations of a non-linear editor, each producing one exactly-invertible ``Change``.

An ``EditSession`` applies primitive ops to the live sequence as it goes and records them;
when the operation finishes it checks the invariants (no overlaps, transitions still sit on
a cut with enough media) on what it touched. If anything fails, the recorded ops are undone
in reverse and the sequence is exactly as before, so a failed edit changes nothing.

Vocabulary follows NLE conventions:
  lift            remove, leave a gap          ripple delete  remove, close the gap
  overwrite       replace what is under it     insert         push later items right
  trim (ripple)   move one edge (and ripple)   roll           move a cut between two clips
  slip            change the source range      slide          move a clip between neighbours
"""

from __future__ import annotations

import bisect
import functools
import inspect
import json
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from timeline.changes import (
    CastOp,
    Change,
    InOutOp,
    ItemOp,
    MarkerOp,
    Op,
    ShiftOp,
    TrackOp,
    TransitionOp,
    apply_op,
)
from timeline.conditioning.camera import CameraError, CameraPath
from timeline.conditioning.pose import PoseError, PoseTrack, validate_pose_track
from timeline.conditioning.references import (
    CastMember,
    Reference,
    ReferenceAssetError,
    check_cast_member,
    check_references,
)
from timeline.conditioning.shots import Shot, ShotError, check_shots, shot_starts
from timeline.limits import MAX_FRAMES, LimitError, check_json_value
from timeline.model import (
    BEAT,
    BEAT_COLOUR,
    EASINGS,
    Clip,
    EditError,
    GeneratedSegment,
    IdSource,
    Item,
    Marker,
    MediaInfo,
    Sequence,
    Track,
    TrackInfo,
    TrackKind,
    TransformKey,
    Transition,
)
from timeline.three_point import EditPoints, check_media, resolve_points
from timeline.time import timecode


class EditSession:
    """Records the primitive ops of one edit; rolls them back if the edit fails."""

    def __init__(self, seq: Sequence, id_source: IdSource) -> None:
        self.seq = seq
        self.ids = id_source
        self.ops: list[Op] = []
        self._touched_items: set[int] = set()
        self._touched_tracks: set[str] = set()
        # An undo label that says what this edit did ("Insert bars.mp4 on V1, ..."); None:
        # the operation's registered label.
        self.label: str | None = None

    def _do(self, op: Op) -> None:
        apply_op(self.seq, op)
        self.ops.append(op)

    def rollback(self) -> None:
        for op in reversed(self.ops):
            apply_op(self.seq, op.inverted())
        self.ops.clear()

    # --- primitive helpers
    def add(self, item: Item) -> Item:
        self._do(ItemOp(None, item))
        self._touched_items.add(item.id)
        self._touched_tracks.add(item.track)
        return item

    def remove(self, item: Item) -> None:
        self._do(ItemOp(item, None))
        self._touched_tracks.add(item.track)

    def update(self, item: Item, **changes: Any) -> Item:
        new = replace(item, **changes)
        if new != item:
            self._do(ItemOp(item, new))
            self._touched_items.add(new.id)
            self._touched_tracks.update((item.track, new.track))
        return new

    def shift(self, track: Track, from_frame: int, delta: int) -> None:
        """Ripple: move items starting at/after ``from_frame`` by ``delta``."""
        if delta == 0:
            return
        pos = track.first_index_at_or_after(from_frame)
        items = track.items
        if pos >= len(items):
            return
        first = items[pos]
        if first.start + delta < 0:
            raise EditError(f"The ripple would move item {first.id} before frame 0")
        if delta > 0 and items[-1].end + delta >= MAX_FRAMES:
            raise EditError(f"The ripple would move item {items[-1].id} past frame 2^53-1, "
                            "the last frame a sequence can hold")
        if delta < 0 and pos > 0:
            limit = max(i.end for i in items[max(0, pos - 4) : pos])
            if first.start + delta < limit:
                raise EditError(
                    f"The ripple would move item {first.id} over the item ending at frame {limit}"
                )
        self._do(ShiftOp(track.name, first.start, delta))
        self._touched_tracks.add(track.name)

    def new_id(self) -> int:
        return self.ids.allocate()

    # --- compound helpers shared by several edits
    def split_at(self, track: Track, frame: int) -> tuple[Item, Item] | None:
        """Cut the item strictly spanning ``frame`` in two; the right half gets a new id."""
        item = track.item_at(frame)
        if item is None or item.start == frame:
            return None
        left_len = frame - item.start
        left = self.update(item, duration=left_len)
        right = self.add(
            replace(
                item,
                id=self.new_id(),
                start=frame,
                duration=item.duration - left_len,
                source_in=item.source_in + left_len,
            )
        )
        # A transition on the original's out-cut now belongs to the right half.
        for tr in list(track.transitions.values()):
            if tr.from_item == item.id:
                self.replace_transition(tr, from_item=right.id)
        return left, right

    def clear_range(self, track: Track, start: int, end: int) -> None:
        """Make ``[start, end)`` empty, trimming or splitting what overlaps (overwrite/lift)."""
        for item in track.overlapping(start, end):
            if start <= item.start and item.end <= end:
                self.remove(item)
            elif item.start < start and item.end > end:
                self.split_at(track, end)
                self.update(track.item_at(start), duration=start - item.start)  # type: ignore[arg-type]
            elif item.start < start:
                self.update(item, duration=start - item.start)
            else:
                cut = end - item.start
                self.update(
                    item, start=end, source_in=item.source_in + cut, duration=item.duration - cut
                )

    def replace_transition(self, tr: Transition, **changes: Any) -> None:
        self._do(TransitionOp(tr, replace(tr, **changes)))
        self._touched_tracks.add(tr.track)

    # --- invariants
    def validate(self, media: dict[int, MediaInfo]) -> None:
        seq = self.seq
        for item_id in self._touched_items:
            item = seq.find_item(item_id)
            if item is None:
                continue
            _check_item_bounds(item, media)
            before, after = seq.tracks[item.track].neighbours(item)
            if before is not None and before.end > item.start:
                raise EditError(
                    f"Item {item.id} would overlap item {before.id} on {item.track} "
                    f"(frames {item.start}-{before.end})"
                )
            if after is not None and item.end > after.start:
                raise EditError(
                    f"Item {item.id} would overlap item {after.id} on {item.track} "
                    f"(frames {after.start}-{item.end})"
                )
        for name in self._touched_tracks:
            track = seq.tracks.get(name)
            if track is None:
                continue
            for tr in list(track.transitions.values()):
                a = seq.find_item(tr.from_item)
                b = seq.find_item(tr.to_item)
                if a is None or b is None or a.track != name or b.track != name or a.end != b.start:
                    # The cut it dissolved across is gone: an NLE drops the transition.
                    self._do(TransitionOp(tr, None))
                    continue
                _check_transition_handles(tr, a, b, media)


def media_length(item: Item, media: Mapping[int, MediaInfo]) -> int | None:
    """Frames of media behind ``item``: how far its source range may reach (source_out).

    None means unbounded: generated segments, stills, and clips whose asset ``media`` does
    not know. The one place this rule lives: the edit invariants below and the gesture
    limits (``timeline.gestures``) both ask it."""
    if isinstance(item, Clip):
        info = media.get(item.asset)
        return None if info is None else info.duration_frames
    return None  # generated segments and stills can be any length


def _check_item_bounds(item: Item, media: dict[int, MediaInfo]) -> None:
    if item.duration < 1:
        raise EditError(f"Item {item.id} would be shorter than one frame")
    if item.start < 0:
        raise EditError(f"Item {item.id} would start before frame 0")
    if item.source_in < 0:
        raise EditError(f"Item {item.id} would start before the beginning of its media")
    if item.end >= MAX_FRAMES or item.source_out >= MAX_FRAMES:
        raise EditError(f"Item {item.id} would reach past frame 2^53-1, the last frame a "
                        "sequence can hold")
    length = media_length(item, media)
    if length is not None and item.source_out > length:
        raise EditError(
            f"Item {item.id} would run past the end of its media "
            f"(needs source frame {item.source_out}, media has {length})"
        )


def _check_transition_handles(
    tr: Transition, a: Item, b: Item, media: dict[int, MediaInfo]
) -> None:
    length_a = media_length(a, media)
    if tr.in_offset > a.duration or tr.out_offset > b.duration:
        raise EditError(f"The dissolve {tr.id} ({tr.duration} frames) is longer than its clips")
    if length_a is not None and a.source_out + tr.out_offset > length_a:
        raise EditError(
            f"The dissolve {tr.id} needs {tr.out_offset} frames of media after item {a.id}'s "
            "out point; shorten the dissolve or trim the clip first"
        )
    if b.source_in - tr.in_offset < 0:
        raise EditError(
            f"The dissolve {tr.id} needs {tr.in_offset} frames of media before item {b.id}'s "
            "in point; shorten the dissolve or trim the clip first"
        )


# --- operations -----------------------------------------------------------------------------
# Each takes the session and plain values and applies itself. They are looked up by name so
# the CLI, the UI and the history share one vocabulary (see ``OPERATIONS``).


def _compatible(track: Track, info: MediaInfo) -> None:
    if track.kind == "video" and not info.has_video:
        raise EditError(f"Asset {info.id} has no picture; put it on an audio track (A1, A2, ...)")
    if track.kind == "audio" and not info.has_audio:
        raise EditError(f"Asset {info.id} has no sound; put it on a video track (V1, V2, ...)")


def _new_clip(
    s: EditSession, media: dict[int, MediaInfo], track: Track, asset: int,
    source_in: int, source_out: int, at: int, link: int | None = None,
) -> Clip:
    info = media.get(asset)
    if info is None:
        raise EditError(f"No asset with id {asset} in this project; import it first")
    _compatible(track, info)
    if source_out <= source_in:
        raise EditError(f"source_out ({source_out}) must be after source_in ({source_in})")
    if at < 0:
        raise EditError(f"Cannot place a clip before frame 0 (at={at})")
    return Clip(
        id=s.new_id(), track=track.name, start=at, duration=source_out - source_in,
        source_in=source_in, asset=asset, link=link,
    )


def _sound_track(s: EditSession, media: dict[int, MediaInfo], track: Track, asset: int,
                 audio: str | None) -> Track | None:
    """The audio track a video clip's linked sound goes on (``audio``), checked; None when
    none was asked for."""
    if audio is None:
        return None
    a = s.seq.track(audio)
    if track.kind != "video" or a.kind != "audio":
        raise EditError(f"audio={audio!r} puts a video clip's sound on an audio track; "
                        f"{track.name} and {audio} are not a video and an audio track")
    info = media.get(asset)
    if info is not None:
        _compatible(a, info)
    return a


def _partners(s: EditSession, it: Item, alone: bool) -> list[Clip | GeneratedSegment]:
    """The clips an edit of ``it`` also acts on: its linked clips, unless ``alone``."""
    return [] if alone else s.seq.linked(it)


# ``audio`` (append / insert / overwrite of a video clip): also put the file's sound on that
# audio track over the same frames, linked to the picture.


def op_append(s: EditSession, media: dict[int, MediaInfo], *, track: str, asset: int,
              source_in: int, source_out: int, at: int | None = None,
              audio: str | None = None) -> None:
    t = s.seq.track(track)
    a = _sound_track(s, media, t, asset, audio)
    start = t.end_frame if at is None else max(at, t.end_frame)
    if a is not None:
        start = max(start, a.end_frame)
    link = None if a is None else s.new_id()
    s.add(_new_clip(s, media, t, asset, source_in, source_out, start, link))
    if a is not None:
        s.add(_new_clip(s, media, a, asset, source_in, source_out, start, link))


def _with_props(clip: Clip, props: dict | None) -> Clip:
    """A new clip with a copied clip's properties (a paste keeps gain, fades, opacity,
    transform, ...), checked as ``set`` checks them."""
    if not props:
        return clip
    props = dict(props)
    unknown = set(props) - _SETTABLE["clip"]
    if unknown:
        raise EditError(f"props: cannot set {sorted(unknown)} on a clip; settable: "
                        f"{sorted(_SETTABLE['clip'])}")
    _check_props(clip, props)
    return replace(clip, **props)


def op_insert(s: EditSession, media: dict[int, MediaInfo], *, track: str, asset: int,
              source_in: int, source_out: int, at: int, audio: str | None = None,
              props: dict | None = None, audio_props: dict | None = None) -> None:
    t = s.seq.track(track)
    a = _sound_track(s, media, t, asset, audio)
    link = None if a is None else s.new_id()
    for dest in [t] if a is None else [t, a]:
        clip = _with_props(_new_clip(s, media, dest, asset, source_in, source_out, at, link),
                           audio_props if dest is a and audio_props is not None else props)
        s.split_at(dest, at)
        s.shift(dest, at, clip.duration)
        s.add(clip)


def op_overwrite(s: EditSession, media: dict[int, MediaInfo], *, track: str, asset: int,
                 source_in: int, source_out: int, at: int, audio: str | None = None,
                 props: dict | None = None, audio_props: dict | None = None) -> None:
    """``props``: the new clip's properties (gain, fades, ...: what ``set`` takes);
    ``audio_props`` those of its linked sound (default: ``props``)."""
    t = s.seq.track(track)
    a = _sound_track(s, media, t, asset, audio)
    link = None if a is None else s.new_id()
    for dest in [t] if a is None else [t, a]:
        clip = _with_props(_new_clip(s, media, dest, asset, source_in, source_out, at, link),
                           audio_props if dest is a and audio_props is not None else props)
        s.clear_range(dest, at, clip.end)
        s.add(clip)


def op_lift(s: EditSession, media: dict[int, MediaInfo], *, item: int,
            alone: bool = False) -> None:
    it = s.seq.item(item)
    for x in [it, *_partners(s, it, alone)]:
        s.remove(x)


def op_ripple_delete(s: EditSession, media: dict[int, MediaInfo], *, item: int,
                     alone: bool = False) -> None:
    """Remove the item (and its linked clips) and close the gap by the item's length on
    each of their tracks, so linked tracks stay in sync."""
    it = s.seq.item(item)
    for x in [it, *_partners(s, it, alone)]:
        s.remove(x)
        s.shift(s.seq.track(x.track), x.end, -it.duration)


def op_split(s: EditSession, media: dict[int, MediaInfo], *, track: str, at: int,
             alone: bool = False) -> None:
    """Cut the item under ``at`` in two, and its linked clips at the same frame; the right
    halves are linked to each other, the left halves stay linked."""
    t = s.seq.track(track)
    it = t.item_at(at)
    halves = s.split_at(t, at)
    if it is None or halves is None:
        raise EditError(
            f"No item on {track} spans frame {at}; a split point must fall inside a clip"
        )
    partners = _partners(s, it, alone)
    rights = [halves[1]]
    for p in partners:
        cut = s.split_at(s.seq.track(p.track), at)
        if cut is not None:
            rights.append(cut[1])
    if len(rights) > 1:
        link = s.new_id()
        for r in rights:
            s.update(s.seq.item(r.id), link=link)
    elif getattr(it, "link", None) is not None:  # nothing linked spans the cut (or the
        s.update(s.seq.item(halves[1].id), link=None)  # split was alone): it stands alone


def op_trim(s: EditSession, media: dict[int, MediaInfo], *, item: int, side: str, delta: int,
            ripple: bool = False, alone: bool = False) -> None:
    """Move an edge of the item and of its linked clips by ``delta`` frames; ``alone`` trims
    this one only (a J or L cut: the sound starts before or runs on after the picture)."""
    it = s.seq.item(item)
    if side not in ("in", "out"):
        raise EditError(f"Trim side must be 'in' or 'out', not {side!r}")
    if delta == 0:
        return
    for x in [it, *_partners(s, it, alone)]:
        _trim_one(s, s.seq.item(x.id), side, delta, ripple)


def _trim_one(s: EditSession, it: Item, side: str, delta: int, ripple: bool) -> None:
    t = s.seq.track(it.track)
    # Refuse a zero/negative length before any op: a ripple would otherwise shift the next
    # item onto the empty one's start, and rolling that shift back would move both.
    if (it.duration - delta if side == "in" else it.duration + delta) < 1:
        raise EditError(f"Item {it.id} would be shorter than one frame (trim {side} by {delta} "
                        f"of a {it.duration}-frame item)")
    if side == "in":
        if not ripple:
            s.update(it, start=it.start + delta, source_in=it.source_in + delta,
                     duration=it.duration - delta)
            return
        # Ripple trim of the head keeps the clip's start; everything after it moves.
        if delta > 0:
            s.update(it, source_in=it.source_in + delta, duration=it.duration - delta)
            s.shift(t, it.end, -delta)
        else:
            s.shift(t, it.end, -delta)
            s.update(it, source_in=it.source_in + delta, duration=it.duration - delta)
    else:
        if not ripple:
            s.update(it, duration=it.duration + delta)
            return
        if delta > 0:
            s.shift(t, it.end, delta)
            s.update(it, duration=it.duration + delta)
        else:
            s.update(it, duration=it.duration + delta)
            s.shift(t, it.end, delta)


def op_roll(s: EditSession, media: dict[int, MediaInfo], *, track: str, at: int,
            delta: int) -> None:
    t = s.seq.track(track)
    a = t.item_ending_at(at)
    b = t.item_starting_at(at)
    if a is None or b is None:
        raise EditError(f"No cut between two adjacent items on {track} at frame {at}")
    if delta == 0:
        return
    # Order the two updates so they never overlap each other on the way.
    if delta > 0:
        s.update(b, start=b.start + delta, source_in=b.source_in + delta,
                 duration=b.duration - delta)
        s.update(a, duration=a.duration + delta)
    else:
        s.update(a, duration=a.duration + delta)
        s.update(b, start=b.start + delta, source_in=b.source_in + delta,
                 duration=b.duration - delta)


def op_slip(s: EditSession, media: dict[int, MediaInfo], *, item: int, delta: int,
            alone: bool = False) -> None:
    it = s.seq.item(item)
    for x in [it, *_partners(s, it, alone)]:
        s.update(x, source_in=x.source_in + delta)


def op_slide(s: EditSession, media: dict[int, MediaInfo], *, item: int, delta: int) -> None:
    it = s.seq.item(item)
    t = s.seq.track(it.track)
    if delta == 0:
        return
    left = t.item_ending_at(it.start)
    right = t.item_starting_at(it.end)
    # Across a gap the clip slides into the gap, never past the next item on the track
    # (which would land it on the far side of clips it never touched).
    before, after = t.neighbours(it)
    if delta > 0 and right is None and after is not None and it.start + delta >= after.start:
        raise EditError(f"Cannot slide item {it.id} past item {after.id}")
    if delta < 0 and left is None and before is not None and it.end + delta <= before.end:
        raise EditError(f"Cannot slide item {it.id} past item {before.id}")

    def move_right_neighbour() -> None:
        if right is not None:
            s.update(right, start=right.start + delta, source_in=right.source_in + delta,
                     duration=right.duration - delta)

    def move_left_neighbour() -> None:
        if left is not None:
            s.update(left, duration=left.duration + delta)

    if delta > 0:
        move_right_neighbour()
        s.update(it, start=it.start + delta)
        move_left_neighbour()
    else:
        move_left_neighbour()
        s.update(it, start=it.start + delta)
        move_right_neighbour()


def op_move(s: EditSession, media: dict[int, MediaInfo], *, item: int, track: str,
            at: int, alone: bool = False) -> None:
    """Move the item to ``track`` at ``at``; its linked clips move by as many frames on
    their own tracks (``alone``: this one only, which slips it out of sync)."""
    it = s.seq.item(item)
    target = s.seq.track(track)
    if target.kind != s.seq.track(it.track).kind:
        raise EditError(f"Cannot move item {it.id} from a {s.seq.track(it.track).kind} track "
                        f"to the {target.kind} track {track}")
    if at < 0:
        raise EditError(f"Cannot move an item before frame 0 (at={at})")
    delta = at - it.start
    partners = _partners(s, it, alone)
    if any(p.start + delta < 0 for p in partners):
        raise EditError(f"The move would put a clip linked to item {it.id} before frame 0")
    # All of them leave first, so none overwrites another of the group on its way.
    moves = [(it, target)] + [(p, s.seq.track(p.track)) for p in partners]
    for x, _dest in moves:
        s.remove(x)
    for x, dest in moves:
        start = x.start + delta
        # Dropping a clip on others overwrites them, as in every NLE's default drag.
        s.clear_range(dest, start, start + x.duration)
        s.add(replace(x, track=dest.name, start=start))


def _clips(s: EditSession, items: list[int], verb: str) -> list[Clip | GeneratedSegment]:
    if not isinstance(items, list) or not items or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise EditError(f"{verb} needs a list of clip ids, not {items!r}")
    out = []
    for item_id in _unique(items):
        it = s.seq.item(item_id)
        if not isinstance(it, Clip | GeneratedSegment):
            raise EditError(f"Only clips and generated segments can be linked; item {it.id} "
                            f"is a {it.kind}")
        out.append(it)
    return out


def op_link(s: EditSession, media: dict[int, MediaInfo], *, items: list) -> None:
    """Link clips (and whatever they are already linked to) so they edit together."""
    clips = _clips(s, items, "Link")
    group = {c.id: c for c in clips}
    for c in clips:
        group.update((p.id, p) for p in s.seq.linked(c))
    if len(group) < 2:
        raise EditError("Link needs at least two clips")
    link = s.new_id()
    for c in group.values():
        s.update(s.seq.item(c.id), link=link)
    s.label = f"Link {len(group)} clips"


def op_unlink(s: EditSession, media: dict[int, MediaInfo], *, items: list) -> None:
    """Unlink clips from each other (every clip linked to one of ``items`` too)."""
    clips = _clips(s, items, "Unlink")
    group = {c.id: c for c in clips}
    for c in clips:
        group.update((p.id, p) for p in s.seq.linked(c))
    if all(c.link is None for c in group.values()):
        raise EditError("Nothing to unlink: the clips are not linked")
    for c in group.values():
        s.update(s.seq.item(c.id), link=None)
    s.label = f"Unlink {len(group)} clips"


def op_add_marker(s: EditSession, media: dict[int, MediaInfo], *, at: int, name: str = "",
                  color: str = "blue", duration: int = 0, note: str = "") -> None:
    if at < 0 or duration < 0:
        raise EditError("A marker needs a frame >= 0 and a duration >= 0")
    _check_marker_span(at, duration)
    s._do(MarkerOp(None, Marker(id=s.new_id(), frame=at, name=name, color=color,
                                duration=duration, note=note)))


def _marker(s: EditSession, marker: int) -> Marker:
    try:
        return s.seq.markers[marker]
    except KeyError:
        raise EditError(f"No marker with id {marker}") from None


def op_remove_marker(s: EditSession, media: dict[int, MediaInfo], *, marker: int) -> None:
    s._do(MarkerOp(_marker(s, marker), None))


def op_set_marker(s: EditSession, media: dict[int, MediaInfo], *, marker: int,
                  name: str | None = None, color: str | None = None,
                  duration: int | None = None, note: str | None = None) -> None:
    """Change a marker's name, colour, duration (frames) or note."""
    m = _marker(s, marker)
    if duration is not None and duration < 0:
        raise EditError("A marker needs a duration >= 0")
    changes = {k: v for k, v in (("name", name), ("color", color), ("duration", duration),
                                 ("note", note)) if v is not None}
    new = replace(m, **changes)
    _check_marker_span(new.frame, new.duration)
    if new != m:
        s._do(MarkerOp(m, new))


def op_move_marker(s: EditSession, media: dict[int, MediaInfo], *, marker: int, at: int) -> None:
    m = _marker(s, marker)
    if at < 0:
        raise EditError("A marker needs a frame >= 0")
    _check_marker_span(at, m.duration)
    s._do(MarkerOp(m, replace(m, frame=at)))


def _check_marker_span(at: int, duration: int) -> None:
    if at + duration >= MAX_FRAMES:
        raise EditError("A marker must end before frame 2^53-1, the last frame a sequence "
                        "can hold")


def op_set_beats(s: EditSession, media: dict[int, MediaInfo], *, item: int, frames: list,
                 tempo: int | float | None = None) -> None:
    """Put beat markers on ``frames`` (sequence frames, inside the clip) for the music clip
    ``item``, replacing the beats found in it before (an empty list removes them). What
    ``takeline beats`` and Clip > Find Beats apply once the tracker has listened."""
    it = s.seq.item(item)
    if not isinstance(it, Clip):
        raise EditError(f"Beats are found in clips of music; item {it.id} is a {it.kind}")
    info = media.get(it.asset)
    if info is not None and not info.has_audio:
        raise EditError(f"Clip {it.id} has no sound to find beats in")
    if not all(isinstance(f, int) and not isinstance(f, bool) for f in frames):
        raise EditError("frames must be a list of whole sequence frames")
    outside = [f for f in frames if not it.start <= f < it.end]
    if outside:
        raise EditError(f"beat frame {outside[0]} is outside clip {it.id} (frames "
                        f"{it.start}-{it.end - 1})")
    if tempo is not None and not (math.isfinite(tempo) and 0 < tempo < 10_000):
        raise EditError(f"tempo must be beats per minute above 0, not {tempo!r}")
    for m in sorted(s.seq.markers.values(), key=lambda m: m.id):
        if m.is_beat and m.item == it.id:
            s._do(MarkerOp(m, None))
    note = "" if tempo is None else f"{tempo:.1f} BPM"
    beats = sorted(set(frames))
    for n, frame in enumerate(beats, start=1):
        s._do(MarkerOp(None, Marker(id=s.new_id(), frame=frame, name=f"beat {n}",
                                    color=BEAT_COLOUR, note=note, kind=BEAT, item=it.id)))
    s.label = (f"Beat Markers: {len(beats)} beat{'s' if len(beats) != 1 else ''} on clip "
               f"{it.id}" + (f" ({note})" if note else ""))


def _cut_members(s: EditSession, track: Track, frame: int) -> list[tuple[str, Item, Item | None]]:
    """What moving the cut at ``frame`` on ``track`` moves: ("roll", outgoing, incoming)
    for a cut between two items, ("out", item, None) / ("in", item, None) for an edge by a
    gap; and the same edit point of the clips linked to them (a picture's sound), so a
    picture and its sound stay in step."""
    seq = s.seq
    a, b = track.item_ending_at(frame), track.item_starting_at(frame)
    members: list[tuple[str, Item, Item | None]] = []
    seen: set[str] = set()

    def add_point(t: Track) -> None:
        if t.name in seen:
            return
        seen.add(t.name)
        x, y = t.item_ending_at(frame), t.item_starting_at(frame)
        if x is not None and y is not None:
            members.append(("roll", x, y))
        elif x is not None:
            members.append(("out", x, None))
        elif y is not None:
            members.append(("in", y, None))

    add_point(track)
    for it in (a, b):
        for partner in ([] if it is None else seq.linked(it)):
            if frame in (partner.start, partner.end):
                add_point(seq.track(partner.track))
    return members


def op_cut_to_beats(s: EditSession, media: dict[int, MediaInfo], *, items: list) -> None:
    """Move the cuts of the selected items (each one's in and out, and the same cut of
    the clips linked to them) onto the nearest beat marker, as rolls (a cut between two
    clips) or trims (an edge beside a gap). A cut moves only as far as the gesture limits
    allow (media handles, a frame kept on each side): when the nearest beat is beyond them
    it takes the nearest beat on its other side, and when neither can be reached it stays,
    named in the undo label with how far it could move. One undo step."""
    # timeline.gestures holds the limits of every trim and roll and imports this module.
    from timeline.gestures import clamp_roll, clamp_trim

    seq = s.seq
    if not isinstance(items, list) or not items or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise EditError(f"Cut to Beats needs a list of item ids, not {items!r}")
    chosen = [seq.item(i) for i in dict.fromkeys(items)]
    beats = sorted({m.frame for m in seq.markers.values() if m.is_beat})
    if not beats:
        raise EditError("There are no beat markers in this sequence; find a music clip's "
                        "beats first (Clip > Find Beats, or takeline beats PROJECT --item ID)")
    cuts = sorted({(f, it.track) for it in chosen for f in (it.start, it.end) if f > 0})
    done: set[tuple[str, int]] = set()
    moved = on_beat = 0
    stuck: list[str] = []
    huge = MAX_FRAMES

    def clamp(kind: str, x: Item, y: Item | None, delta: int) -> int:
        """The nearest move to ``delta`` the gesture limits allow this member."""
        x = seq.item(x.id)
        if kind == "roll":
            assert y is not None
            return clamp_roll(x, seq.item(y.id), delta, media)
        return clamp_trim(seq, x, kind, delta, media)

    for frame, name in cuts:
        if (name, frame) in done:
            continue
        track = seq.track(name)
        members = _cut_members(s, track, frame)
        points = {(x.track, frame) for _k, x, _y in members}
        done |= points
        where = f"the cut at {timecode(frame, seq.fps)} (frame {frame}) on {name}"
        if frame in beats:
            on_beat += 1
            continue
        locked = sorted({t for t, _f in points if seq.track(t).info.locked})
        if locked:
            stuck.append(f"{where}: track {', '.join(locked)} is locked")
            continue
        if any(kind == "roll" and any(tr.from_item == x.id
                                      for tr in seq.track(x.track).transitions.values())
               for kind, x, _y in members):
            stuck.append(f"{where}: it has a dissolve, which Cut to Beats leaves alone")
            continue
        pos = bisect.bisect_left(beats, frame)
        candidates = sorted((abs(b - frame), b) for b in beats[max(0, pos - 1):pos + 1])
        delta = next((b - frame for _d, b in candidates
                      if all(clamp(*m, b - frame) == b - frame for m in members)), None)
        if delta is None:
            lo = max(min(0, clamp(*m, -huge)) for m in members)
            hi = min(max(0, clamp(*m, huge)) for m in members)
            nearest = " or ".join(f"{b - frame:+d}" for _d, b in candidates)
            room = f"{lo:+d} to {hi:+d} frames" if lo < hi else "no frames"
            beat = "beats are" if len(candidates) > 1 else "beat is"
            stuck.append(f"{where}: the nearest {beat} {nearest} frames away and the "
                         f"media handles let it move {room}")
            continue
        for kind, x, _y in members:
            if kind == "roll":
                op_roll(s, media, track=x.track, at=frame, delta=delta)
            else:
                _trim_one(s, seq.item(x.id), kind, delta, ripple=False)
        moved += 1
    if not moved:
        if stuck:
            raise EditError("No cut could move to a beat: " + "; ".join(stuck))
        raise EditError(f"Every cut of the selection is already on a beat ({on_beat})")
    s.label = (f"Cut to Beats: {moved} cut{'s' if moved != 1 else ''} moved"
               + (f", {on_beat} already on a beat" if on_beat else "")
               + (f"; {len(stuck)} could not move: " + "; ".join(stuck) if stuck else ""))


def op_set_in_out(s: EditSession, media: dict[int, MediaInfo], *, in_point: int | None = None,
                  out_point: int | None = None, clear: bool = False) -> None:
    new_in = None if clear else (s.seq.in_point if in_point is None else in_point)
    new_out = None if clear else (s.seq.out_point if out_point is None else out_point)
    if new_in is not None and new_in < 0:
        raise EditError("The in point cannot be before frame 0")
    if new_out is not None and new_out < 0:
        raise EditError("The out point cannot be before frame 0")
    if any(p is not None and p >= MAX_FRAMES for p in (new_in, new_out)):
        raise EditError("In and out points must be before frame 2^53-1, the last frame a "
                        "sequence can hold")
    if new_in is not None and new_out is not None and new_out <= new_in:
        raise EditError(f"The out point ({new_out}) must be after the in point ({new_in})")
    s._do(InOutOp((s.seq.in_point, s.seq.out_point), (new_in, new_out)))


def op_add_generated(s: EditSession, media: dict[int, MediaInfo], *, track: str, at: int,
                     duration: int, prompt: str = "", negative_prompt: str = "",
                     seed: int | None = None, model: str = "previz") -> None:
    # On a video track it makes pictures; on an audio track, sound (generated audio takes).
    t = s.seq.track(track)
    if duration < 1 or at < 0:
        raise EditError("A generated segment needs at >= 0 and a duration of at least 1 frame")
    seg = GeneratedSegment(id=s.new_id(), track=t.name, start=at, duration=duration,
                           prompt=prompt, negative_prompt=negative_prompt, seed=seed, model=model)
    s.clear_range(t, at, at + duration)
    s.add(seg)


EXTEND_SIDES = ("head", "tail")


def extension_range(clip: Item, side: str, frames: int) -> tuple[int, int]:
    """Where an extension of ``frames`` frames of ``clip`` goes when nothing is pushed
    along: [start, end) sequence frames abutting the clip's head or tail."""
    if side == "tail":
        return clip.end, clip.end + frames
    return clip.start - frames, clip.start


def op_extend(s: EditSession, media: dict[int, MediaInfo], *, item: int, side: str,
              frames: int, insert: bool = False, prompt: str = "",
              seed: int | None = None) -> None:
    """Generative extend: a generated segment of ``frames`` frames abutting the clip's head
    or tail on its track, conditioned on the clip's own edge frames when generated (its
    ``extends``). Where those frames are taken, the edit is refused unless ``insert``, which
    pushes the clip's track (and the tracks of its linked clips, to keep them in sync)
    along by ``frames`` from the cut, as an insert edit does."""
    it = s.seq.item(item)
    if not isinstance(it, Clip):
        raise EditError(f"Item {item} is not a media clip; only clips can be extended "
                        "(a generated segment is made longer by trimming and regenerating)")
    t = s.seq.tracks[it.track]
    if t.kind != "video":
        raise EditError(f"Clip {item} is on audio track {it.track}; only pictures can be "
                        "extended")
    if side not in EXTEND_SIDES:
        raise EditError(f"side must be head or tail, not {side!r}")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise EditError(f"Extend by a whole number of frames >= 1, not {frames!r}")
    start, end = extension_range(it, side, frames)
    if not insert:
        if start < 0:
            raise EditError(f"Clip {item} starts at frame {it.start}: there are not {frames} "
                            "frames before it. Extend it with insert (the clip and what "
                            "follows move later), or move it first")
        taken = t.overlapping(start, end)
        if taken:
            raise EditError(f"Frames {start}-{end} of {t.name} are taken by item "
                            f"{taken[0].id}. Extend with insert to push what follows along "
                            f"by {frames} frames, or make room first")
    else:
        cut = it.end if side == "tail" else it.start
        tracks = [t] + [s.seq.tracks[p.track] for p in s.seq.linked(it)]
        for track in dict.fromkeys(tracks):  # each once, in order
            s.split_at(track, cut)
            s.shift(track, cut, frames)
        start, end = cut, cut + frames
    seg = GeneratedSegment(id=s.new_id(), track=t.name, start=start, duration=end - start,
                           prompt=prompt, seed=seed, extends=(it.id, side))
    s.add(seg)
    s.label = f"Extend {side.capitalize()} of Clip {item} by {frames} Frames"


def op_split_shots(s: EditSession, media: dict[int, MediaInfo], *, item: int,
                   takes: list) -> None:
    """Lay out a generated multi-shot take: the segment becomes its first shot and each
    further shot a segment of its own right after it (real cuts), each with its shot's
    prompt, camera and poses, the shared cast and references, and its take (``takes``: one
    take id per shot, the first one of the multi-shot take naming them all)."""
    seg = s.seq.item(item)
    if not isinstance(seg, GeneratedSegment) or not seg.shots:
        raise EditError(f"Item {item} is not a multi-shot segment")
    shots = seg.shots
    if len(takes) != len(shots) or not all(
            isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in takes):
        raise EditError(f"{len(shots)} shots need {len(shots)} take ids, not {takes!r}")
    first = takes[0]
    starts = shot_starts(shots)
    for index, (shot, at, take) in enumerate(zip(shots, starts, takes, strict=True)):
        fields_ = {"duration": shot.duration, "prompt": shot.prompt, "camera": shot.camera,
                   "poses": shot.poses, "shots": (), "shot_of": (first, index),
                   "active_take": take}
        if index == 0:
            s.update(seg, takes=(*seg.takes, take), **fields_)
        else:
            s.add(replace(seg, id=s.new_id(), start=seg.start + at, takes=(take,),
                          extends=None, **fields_))
    s.label = f"Lay Out {len(shots)} Shots of Segment {item}"


_SETTABLE = {
    "clip": {"gain_db", "opacity", "fade_in", "fade_out", "transform", "use_proxy", "name",
             "reel", "enabled"},
    "generated": {"prompt", "negative_prompt", "seed", "model", "takes", "active_take",
                  "opacity", "references", "camera", "poses", "cast", "enabled", "shots",
                  "extends", "gain_db", "fade_in", "fade_out"},
}


def _check_conditioning(s: EditSession, item: Item, props: dict[str, Any]) -> None:
    """Conditioning arrives as JSON (CLI, scripts, history) and is stored as values."""
    try:
        if "references" in props:
            refs = props["references"]
            if not isinstance(refs, list | tuple):
                raise EditError("references must be a list")
            props["references"] = tuple(r if isinstance(r, Reference) else
                                        Reference.from_json(r) for r in refs)
            check_references(props["references"])
        if "camera" in props and props["camera"] is not None and not isinstance(
                props["camera"], CameraPath):
            props["camera"] = CameraPath.from_json(props["camera"])
        if "poses" in props and props["poses"] is not None:
            if not isinstance(props["poses"], PoseTrack):
                props["poses"] = PoseTrack.from_json(props["poses"])
            validate_pose_track(props["poses"], item.duration)
    except (ReferenceAssetError, CameraError, PoseError) as exc:
        raise EditError(str(exc)) from None
    if "shots" in props:
        raw = props["shots"]
        if not isinstance(raw, list | tuple):
            raise EditError("shots must be a list of {duration, prompt, camera, poses}")
        try:
            props["shots"] = tuple(Shot.from_json(v) for v in raw)
            check_shots(props["shots"], props.get("duration", item.duration))
        except ShotError as exc:
            raise EditError(str(exc)) from None
    if "extends" in props and props["extends"] is not None:
        raise EditError("extends can only be cleared (null): a segment extends the clip it "
                        "was made beside (`takeline extend`)")
    if "cast" in props:
        cast = props["cast"]
        if not isinstance(cast, list | tuple) or not all(
                isinstance(c, int) and not isinstance(c, bool) for c in cast) or len(
                set(cast)) != len(cast):
            raise EditError(f"cast must be a list of distinct cast member ids, not {cast!r}")
        missing = [c for c in cast if c not in s.seq.cast]
        if missing:
            raise EditError(f"no cast member with id {missing[0]}; `takeline cast PROJECT` "
                            "lists them")
        props["cast"] = tuple(cast)


def _transform_keys(raw: Any, duration: int) -> tuple[TransformKey, ...]:
    """Keyframes from JSON (lists or objects), validated and sorted by frame."""
    if not isinstance(raw, list | tuple):
        raise EditError("transform must be a list of keyframes")
    keys: list[TransformKey] = []
    for k in raw:
        try:
            key = TransformKey(**k) if isinstance(k, dict) else TransformKey(*k)
        except TypeError as exc:
            raise EditError(f"bad transform keyframe {k!r}: {exc}") from None
        numbers = (key.x, key.y, key.scale, key.rotation, key.opacity)
        if not isinstance(key.frame, int) or isinstance(key.frame, bool) or not (
            0 <= key.frame < duration
        ):
            raise EditError(f"keyframe frame must be whole frames 0..{duration - 1} from the "
                            f"clip's start, not {key.frame!r}")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                   for v in numbers):
            raise EditError(f"keyframe values must be finite numbers: {k!r}")
        if key.scale <= 0 or not 0 <= key.opacity <= 1:
            raise EditError(f"keyframe scale must be > 0 and opacity 0..1: {k!r}")
        if key.easing not in EASINGS:
            raise EditError(f"easing must be one of {', '.join(EASINGS)}, not {key.easing!r}")
        keys.append(key._replace(x=float(key.x), y=float(key.y), scale=float(key.scale),
                                 rotation=float(key.rotation), opacity=float(key.opacity)))
    frames = [k.frame for k in keys]
    if len(set(frames)) != len(frames):
        raise EditError("two transform keyframes on the same frame")
    return tuple(sorted(keys))


def _check_props(item: Item, props: dict[str, Any]) -> None:
    if "opacity" in props and not (
        isinstance(props["opacity"], int | float) and 0.0 <= props["opacity"] <= 1.0
    ):
        raise EditError(f"opacity must be a number from 0 to 1, not {props['opacity']!r}")
    if "gain_db" in props and not (
        isinstance(props["gain_db"], int | float) and -96.0 <= props["gain_db"] <= 24.0
    ):
        raise EditError(f"gain_db must be a number from -96 to +24 dB, not {props['gain_db']!r}")
    for label in ("name", "reel"):
        if label in props and not (isinstance(props[label], str) and len(props[label]) <= 500):
            raise EditError(f"{label} must be text of at most 500 characters, not "
                            f"{props[label]!r}")
    if "enabled" in props and not isinstance(props["enabled"], bool):
        raise EditError(f"enabled must be true or false, not {props['enabled']!r}")
    if "use_proxy" in props and not isinstance(props["use_proxy"], bool):
        raise EditError(f"use_proxy must be true or false, not {props['use_proxy']!r}")
    if "transform" in props:
        props["transform"] = _transform_keys(props["transform"], item.duration)
    for fade in ("fade_in", "fade_out"):
        if fade in props and not (
            isinstance(props[fade], int) and 0 <= props[fade] <= item.duration
        ):
            raise EditError(f"{fade} must be whole frames from 0 to the clip's length "
                            f"({item.duration}), not {props[fade]!r}")
    if "seed" in props and props["seed"] is not None and not (
        isinstance(props["seed"], int) and 0 <= props["seed"] < 2**63
    ):
        raise EditError(f"seed must be a whole number >= 0 or null, not {props['seed']!r}")
    if "takes" in props:
        takes = props["takes"]
        if not isinstance(takes, list | tuple) or not all(
            isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in takes
        ) or len(set(takes)) != len(takes):
            raise EditError(f"takes must be a list of distinct take ids, not {takes!r}")
        props["takes"] = tuple(takes)
        active = props.get("active_take", getattr(item, "active_take", None))
        if active is not None and active not in props["takes"]:
            raise EditError(f"the active take {active} would no longer be one of the takes")
    if props.get("active_take") is not None and props["active_take"] not in props.get(
        "takes", getattr(item, "takes", ())
    ):
        raise EditError(f"take {props['active_take']} is not one of this segment's takes")


def op_set(s: EditSession, media: dict[int, MediaInfo], *, item: int, **props: Any) -> None:
    it = s.seq.item(item)
    allowed = _SETTABLE[it.kind]
    unknown = set(props) - allowed
    if unknown:
        raise EditError(f"Cannot set {sorted(unknown)} on a {it.kind}; settable: {sorted(allowed)}")
    _check_props(it, props)
    _check_conditioning(s, it, props)
    s.update(it, **props)


def _cast_member(s: EditSession, member_id: int) -> CastMember:
    try:
        return s.seq.cast[member_id]
    except KeyError:
        raise EditError(f"No cast member with id {member_id}") from None


def _new_cast_member(member: CastMember) -> CastMember:
    try:
        check_cast_member(member)
    except ReferenceAssetError as exc:
        raise EditError(str(exc)) from None
    return member


def op_add_cast(s: EditSession, media: dict[int, MediaInfo], *, name: str,
                kind: str = "character", description: str = "",
                references: list[Any] | None = None) -> None:
    if any(m.name.casefold() == name.strip().casefold() for m in s.seq.cast.values()):
        raise EditError(f"the cast already has a member called {name!r}")
    try:
        refs = tuple(Reference.from_json(r) for r in references or ())
    except ReferenceAssetError as exc:
        raise EditError(str(exc)) from None
    s._do(CastOp(None, _new_cast_member(CastMember(
        id=s.new_id(), name=name.strip(), kind=kind, description=description,
        references=refs))))


def op_set_cast(s: EditSession, media: dict[int, MediaInfo], *, member: int,
                name: str | None = None, kind: str | None = None,
                description: str | None = None, references: list[Any] | None = None) -> None:
    old = _cast_member(s, member)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name.strip()
    if kind is not None:
        changes["kind"] = kind
    if description is not None:
        changes["description"] = description
    if references is not None:
        try:
            changes["references"] = tuple(Reference.from_json(r) for r in references)
        except ReferenceAssetError as exc:
            raise EditError(str(exc)) from None
    s._do(CastOp(old, _new_cast_member(replace(old, **changes))))


def op_remove_cast(s: EditSession, media: dict[int, MediaInfo], *, member: int) -> None:
    """Unlinks the member from every segment in the same undo step."""
    old = _cast_member(s, member)
    for item in list(s.seq.all_items()):
        if isinstance(item, GeneratedSegment) and member in item.cast:
            s.update(item, cast=tuple(c for c in item.cast if c != member))
    s._do(CastOp(old, None))


def op_add_transition(s: EditSession, media: dict[int, MediaInfo], *, track: str, at: int,
                      duration: int) -> None:
    t = s.seq.track(track)
    a = t.item_ending_at(at)
    b = t.item_starting_at(at)
    if a is None or b is None:
        raise EditError(f"A dissolve needs a cut between two adjacent clips; {track} has none "
                        f"at frame {at}")
    if duration < 1:
        raise EditError("A dissolve needs a duration of at least 1 frame")
    if any(tr.from_item == a.id for tr in t.transitions.values()):
        raise EditError(f"The cut at frame {at} on {track} already has a transition")
    tr = Transition(id=s.new_id(), track=t.name, from_item=a.id, to_item=b.id, duration=duration)
    s._do(TransitionOp(None, tr))
    s._touched_tracks.add(t.name)


def op_remove_transition(s: EditSession, media: dict[int, MediaInfo], *,
                         transition: int) -> None:
    s._do(TransitionOp(s.seq.transition(transition), None))


def op_add_track(s: EditSession, media: dict[int, MediaInfo], *, kind: TrackKind) -> None:
    existing = [t.info.index for t in s.seq.tracks.values() if t.kind == kind]
    index = max(existing, default=0) + 1
    prefix = "V" if kind == "video" else "A"
    s._do(TrackOp(None, TrackInfo(name=f"{prefix}{index}", kind=kind, index=index)))


def op_rename_track(s: EditSession, media: dict[int, MediaInfo], *, track: str,
                    label: str) -> None:
    """Give a track its own name in the headers ("Dialogue"); empty: back to V1 / A1.
    Edits keep addressing it as V1 / A1."""
    t = s.seq.track(track)
    label = label.strip()
    if len(label) > 100 or any(ch in label for ch in "\n\r\t"):
        raise EditError("A track name is one line of at most 100 characters")
    s._do(TrackOp(t.info, replace(t.info, label=label)))
    s.label = f"Rename Track {track} to {label or track}"


def op_delete_track(s: EditSession, media: dict[int, MediaInfo], *, track: str) -> None:
    """Delete a track and everything on it; a clip linked to one of them alone is
    unlinked."""
    t = s.seq.track(track)
    if t.info.locked:
        raise EditError(f"Track {track} is locked; unlock it first")
    if sum(1 for other in s.seq.tracks.values() if other.kind == t.kind) == 1:
        raise EditError(f"{track} is the only {t.kind} track; a sequence keeps one")
    for tr in list(t.transitions.values()):
        s._do(TransitionOp(tr, None))
    gone = t.items
    for item in gone:
        s.remove(item)
    for item in gone:
        rest = [p for p in s.seq.linked(item) if p.track != track]
        if len(rest) == 1:
            s.update(rest[0], link=None)
    s._do(TrackOp(t.info, None))
    s.label = f"Delete Track {t.info.shown}" + (
        f" and {len(gone)} item{'s' if len(gone) > 1 else ''}" if gone else "")


def op_set_track(s: EditSession, media: dict[int, MediaInfo], *, track: str,
                 **switches: bool) -> None:
    t = s.seq.track(track)
    allowed = {"muted", "solo", "locked", "hidden"}
    if set(switches) - allowed:
        raise EditError(f"Track switches are {sorted(allowed)}")
    s._do(TrackOp(t.info, replace(t.info, **switches)))


# --- source-to-record edits (three-point editing) and range edits ----------------------------
# The source's marks come as parameters (the source monitor is not part of the model); the
# record marks are the sequence's own In/Out, cleared by the edit that uses them (as Avid and
# Premiere do), in the same undo step. ``video`` / ``audio`` name the tracks the source's
# picture / sound are patched to; ``tracks`` the other targeted tracks, which an insert
# ripples too so they stay in sync and which lift / extract act on.


def _source_tracks(s: EditSession, media: dict[int, MediaInfo], asset: int,
                   video: str | None, audio: str | None) -> tuple[MediaInfo, list[Track]]:
    info = media.get(asset)
    if info is None:
        raise EditError(f"No asset with id {asset} in this project; import it first")
    dest = [s.seq.track(name) for name in (video, audio) if name is not None]
    if not dest:
        raise EditError("No track patched for the source: target a video or audio track in "
                        "the track headers")
    for t, kind in zip(dest, [k for k, n in (("video", video), ("audio", audio)) if n],
                       strict=True):
        if t.kind != kind:
            raise EditError(f"The source's {'picture' if kind == 'video' else 'sound'} must "
                            f"be patched to {'a video' if kind == 'video' else 'an audio'} "
                            f"track, not {t.name}")
        _compatible(t, info)
    return info, dest


def _points(s: EditSession, info: MediaInfo, *, source_in: int | None, source_out: int | None,
            at: int, use_record_marks: bool = True) -> EditPoints:
    record_in, record_out = (s.seq.in_point, s.seq.out_point) if use_record_marks else (None,
                                                                                        None)
    points = resolve_points(source_in=source_in, source_out=source_out, record_in=record_in,
                            record_out=record_out, playhead=at,
                            media_frames=info.duration_frames)
    check_media(points, info.duration_frames, info.name or f"asset {info.id}")
    return points


def _clear_marks(s: EditSession) -> None:
    if s.seq.in_point is not None or s.seq.out_point is not None:
        s._do(InOutOp((s.seq.in_point, s.seq.out_point), (None, None)))


def _place(s: EditSession, media: dict[int, MediaInfo], dest: list[Track], asset: int,
           points: EditPoints) -> None:
    # The source's picture and sound placed together are linked, as in every NLE.
    link = s.new_id() if len(dest) > 1 else None
    for t in dest:
        s.add(_new_clip(s, media, t, asset, points.source_in, points.source_out,
                        points.record_in, link))


def _say(s: EditSession, verb: str, info: MediaInfo, dest: list[Track], points: EditPoints,
         ) -> None:
    name = info.name or f"asset {info.id}"
    s.label = (f"{verb} {name} on {', '.join(t.name for t in dest)}: {points.duration} "
               f"frames at {timecode(points.record_in, s.seq.fps)}")


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def op_insert_edit(s: EditSession, media: dict[int, MediaInfo], *, asset: int, at: int,
                   video: str | None = None, audio: str | None = None,
                   tracks: list[str] | None = None, source_in: int | None = None,
                   source_out: int | None = None) -> None:
    """Insert the source at the record In (or the playhead): the patched and targeted tracks
    open up from there by the edit's length."""
    info, dest = _source_tracks(s, media, asset, video, audio)
    points = _points(s, info, source_in=source_in, source_out=source_out, at=at)
    _clear_marks(s)
    for name in _unique([t.name for t in dest] + list(tracks or ())):
        t = s.seq.track(name)
        s.split_at(t, points.record_in)
        s.shift(t, points.record_in, points.duration)
    _place(s, media, dest, asset, points)
    _say(s, "Insert", info, dest, points)


def op_overwrite_edit(s: EditSession, media: dict[int, MediaInfo], *, asset: int, at: int,
                      video: str | None = None, audio: str | None = None,
                      source_in: int | None = None, source_out: int | None = None) -> None:
    """Overwrite the patched tracks from the record In (or the playhead)."""
    info, dest = _source_tracks(s, media, asset, video, audio)
    points = _points(s, info, source_in=source_in, source_out=source_out, at=at)
    _clear_marks(s)
    for t in dest:
        s.clear_range(t, points.record_in, points.record_out)
    _place(s, media, dest, asset, points)
    _say(s, "Overwrite", info, dest, points)


def op_replace_edit(s: EditSession, media: dict[int, MediaInfo], *, asset: int, at: int,
                    video: str | None = None, audio: str | None = None,
                    source_in: int | None = None, source_out: int | None = None,
                    source_position: int | None = None) -> None:
    """Replace what is between the record In/Out, or else the item under the playhead on the
    (first) patched track, with as much of the source. The source starts at its In; with no
    In, the source frame at ``source_position`` lands under the playhead (Avid's replace,
    Premiere's "Replace with Clip, Match Frame"). A clip replaced whole keeps its id and
    properties (opacity, transform, dissolves); only its media changes."""
    info, dest = _source_tracks(s, media, asset, video, audio)
    seq = s.seq
    item: Item | None = None
    if seq.in_point is not None and seq.out_point is not None:
        first, end = seq.in_point, seq.out_point
    else:
        item = dest[0].item_at(at)
        if item is None:
            raise EditError(f"Nothing under the playhead on {dest[0].name} to replace; mark "
                            "a timeline In and Out, or move the playhead onto a clip")
        first, end = item.start, item.end
    if source_in is None and source_position is not None:
        source_in = source_position - (at - first)
        if source_out is not None and source_out != source_in + (end - first):
            source_out = None  # the source Out gives way to the matched frame
    points = resolve_points(source_in=source_in, source_out=source_out, record_in=first,
                            record_out=end, playhead=at, media_frames=info.duration_frames)
    check_media(points, info.duration_frames, info.name or f"asset {info.id}")
    _clear_marks(s)
    for t in dest:
        whole = t.item_at(first)
        if (isinstance(whole, Clip) and whole.start == first and whole.end == end):
            s.update(whole, asset=asset, source_in=points.source_in)
            continue
        s.clear_range(t, first, end)
        s.add(_new_clip(s, media, t, asset, points.source_in, points.source_out, first))
    _say(s, "Replace", info, dest, points)


def _track_on_top(s: EditSession, kind: TrackKind, first: int, end: int) -> Track:
    """The lowest track of ``kind`` above every one holding something in ``[first, end)``;
    a new track when there is none."""
    ordered = sorted((t for t in s.seq.tracks.values() if t.kind == kind),
                     key=lambda t: t.info.index)
    busy = [t.info.index for t in ordered if t.overlapping(first, end)]
    above = max(busy, default=0)
    for t in ordered:
        if t.info.index > above:
            return t
    index = max((t.info.index for t in ordered), default=0) + 1
    info = TrackInfo(name=f"{'V' if kind == 'video' else 'A'}{index}", kind=kind, index=index)
    s._do(TrackOp(None, info))
    return s.seq.track(info.name)


def op_place_on_top(s: EditSession, media: dict[int, MediaInfo], *, asset: int, at: int,
                    video: str | None = None, audio: str | None = None,
                    source_in: int | None = None, source_out: int | None = None) -> None:
    """Put the source on the first free track above everything between the record points
    (a new track if every one is taken): nothing under it is touched."""
    info, patched = _source_tracks(s, media, asset, video, audio)
    points = _points(s, info, source_in=source_in, source_out=source_out, at=at)
    _clear_marks(s)
    dest = [_track_on_top(s, t.kind, points.record_in, points.record_out) for t in patched]
    _place(s, media, dest, asset, points)
    _say(s, "Place on Top", info, dest, points)


def op_append_edit(s: EditSession, media: dict[int, MediaInfo], *, asset: int,
                   video: str | None = None, audio: str | None = None,
                   source_in: int | None = None, source_out: int | None = None) -> None:
    """Put the source after the end of the sequence on the patched tracks (the timeline's
    marks and playhead play no part)."""
    info, dest = _source_tracks(s, media, asset, video, audio)
    points = _points(s, info, source_in=source_in, source_out=source_out,
                     at=s.seq.duration_frames, use_record_marks=False)
    _place(s, media, dest, asset, points)
    _say(s, "Append", info, dest, points)


def _marked_range(s: EditSession, verb: str, tracks: list[str] | None) -> tuple[int, int,
                                                                                list[Track]]:
    seq = s.seq
    if seq.in_point is None or seq.out_point is None:
        raise EditError(f"{verb} needs a timeline In and Out (I and O) around what to remove")
    if not tracks:
        raise EditError(f"{verb}: no track targeted; target tracks in the track headers")
    targets = [seq.track(name) for name in _unique(list(tracks))]
    first, end = seq.in_point, seq.out_point
    if not any(t.overlapping(first, end) for t in targets):
        raise EditError(f"{verb}: nothing between the In and Out on "
                        f"{', '.join(t.name for t in targets)}")
    return first, end, targets


def op_lift_range(s: EditSession, media: dict[int, MediaInfo], *,
                  tracks: list[str] | None = None) -> None:
    """Remove what is between the timeline In/Out on the targeted tracks, leaving a gap."""
    first, end, targets = _marked_range(s, "Lift", tracks)
    _clear_marks(s)
    for t in targets:
        s.clear_range(t, first, end)
    s.label = (f"Lift {end - first} frames at {timecode(first, s.seq.fps)} from "
               f"{', '.join(t.name for t in targets)}")


def op_extract_range(s: EditSession, media: dict[int, MediaInfo], *,
                     tracks: list[str] | None = None) -> None:
    """Remove what is between the timeline In/Out on the targeted tracks and close the gap
    (what follows on those tracks moves back by the range's length)."""
    first, end, targets = _marked_range(s, "Extract", tracks)
    _clear_marks(s)
    for t in targets:
        s.clear_range(t, first, end)
        s.shift(t, end, first - end)
    s.label = (f"Extract {end - first} frames at {timecode(first, s.seq.fps)} from "
               f"{', '.join(t.name for t in targets)}")


def op_group(s: EditSession, media: dict[int, MediaInfo], *, steps: list,
             label: str = "") -> None:
    """Several operations as one undo step (the window's multi-item delete and move).
    Each step sees the sequence as the steps before it left it; if one fails, the whole
    group is taken back and the error names the step."""
    if not steps:
        raise EditError("a group needs at least one step")
    for index, step in enumerate(steps):
        try:
            check_parameter_types(step)
            params = dict(step)
            name = params.pop("op")
            func = OPERATIONS.get(name)
            if func is None or name == "group":
                raise EditError(f"unknown or nested operation {name!r}")
            try:
                inspect.signature(func).bind(None, None, **params)
            except TypeError as exc:
                raise EditError(f"bad parameters: {exc}") from None
            func(s, media, **params)
        except EditError as exc:
            raise EditError(f"step {index} ({step.get('op') if isinstance(step, dict) else step}"
                            f"): {exc}") from None


# Each edit operation once: its name (the JSON "op" and the history key), its undo label,
# its function. OPERATIONS and LABELS are views of this table.
_REGISTRY: tuple[tuple[str, str, typing.Callable[..., Any]], ...] = (
    ("append", "Append", op_append),
    ("insert", "Insert", op_insert),
    ("overwrite", "Overwrite", op_overwrite),
    ("lift", "Lift", op_lift),
    ("ripple_delete", "Ripple Delete", op_ripple_delete),
    ("split", "Split", op_split),
    ("trim", "Trim", op_trim),
    ("roll", "Roll", op_roll),
    ("slip", "Slip", op_slip),
    ("slide", "Slide", op_slide),
    ("move", "Move", op_move),
    ("link", "Link", op_link),
    ("unlink", "Unlink", op_unlink),
    ("add_marker", "Add Marker", op_add_marker),
    ("remove_marker", "Remove Marker", op_remove_marker),
    ("move_marker", "Move Marker", op_move_marker),
    ("set_marker", "Change Marker", op_set_marker),
    ("set_in_out", "Set In/Out", op_set_in_out),
    ("set_beats", "Beat Markers", op_set_beats),
    ("cut_to_beats", "Cut to Beats", op_cut_to_beats),
    ("add_generated", "Add Generated Segment", op_add_generated),
    ("extend", "Generative Extend", op_extend),
    ("split_shots", "Lay Out Shots", op_split_shots),
    ("set", "Change Properties", op_set),
    ("add_transition", "Add Dissolve", op_add_transition),
    ("remove_transition", "Remove Dissolve", op_remove_transition),
    ("add_track", "Add Track", op_add_track),
    ("set_track", "Track Switch", op_set_track),
    ("rename_track", "Rename Track", op_rename_track),
    ("delete_track", "Delete Track", op_delete_track),
    ("insert_edit", "Insert Edit", op_insert_edit),
    ("overwrite_edit", "Overwrite Edit", op_overwrite_edit),
    ("replace_edit", "Replace Edit", op_replace_edit),
    ("place_on_top", "Place on Top", op_place_on_top),
    ("append_edit", "Append Edit", op_append_edit),
    ("lift_range", "Lift In/Out", op_lift_range),
    ("extract_range", "Extract In/Out", op_extract_range),
    ("add_cast", "Add Cast Member", op_add_cast),
    ("set_cast", "Change Cast Member", op_set_cast),
    ("remove_cast", "Remove Cast Member", op_remove_cast),
    ("group", "Edit", op_group),
)
OPERATIONS = {name: func for name, _label, func in _REGISTRY}
LABELS = {name: label for name, label, _func in _REGISTRY}

# Edits that touch locked tracks are refused; these name the track(s) they touch.
def _tracks_touched(change: Change) -> set[str]:
    names: set[str] = set()
    for op in change.ops:
        if isinstance(op, ItemOp | TransitionOp):
            for v in (op.before, op.after):
                if v is not None:
                    names.add(v.track)
        elif isinstance(op, ShiftOp):
            names.add(op.track)
    return names


# --- parameter types -------------------------------------------------------------------------
# Operations arrive as JSON from the CLI and scripts; their type hints are the schema.


@functools.cache
def _parameter_types(name: str) -> tuple[dict[str, Any], Any]:
    """({parameter: type hint}, hint for **keywords or None) of an edit operation."""
    func = typing.cast(typing.Callable[..., Any], OPERATIONS[name])
    hints = typing.get_type_hints(func)
    named: dict[str, Any] = {}
    var_keyword: Any = None
    for param in list(inspect.signature(func).parameters.values())[2:]:  # after (s, media)
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword = hints.get(param.name, Any)
        else:
            named[param.name] = hints.get(param.name, Any)
    return named, var_keyword


def _matches(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin is Literal:
        return any(value == arg and type(value) is type(arg) for arg in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:  # SQLite integers are 64-bit
        return isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63
    if isinstance(hint, type) and hint is not object:
        return isinstance(value, hint)
    return True  # a hint too loose to check


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(arg) for arg in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    return {int: "a whole number", str: "a string", bool: "true or false",
            type(None): "null"}.get(hint, getattr(hint, "__name__", str(hint)))


def check_parameter_types(params: Any) -> None:
    """Operations arrive as JSON from the CLI and scripts: refuse a wrongly typed parameter
    (a fractional frame, a list for a track name, true for a frame) before it reaches the
    model, where it would either crash with a TypeError or be written into the file."""
    if not isinstance(params, dict):
        raise EditError('an operation must be an object with an "op" field')
    try:
        check_json_value(params, "the operation")
    except LimitError as exc:
        raise EditError(str(exc)) from None
    name = params.get("op")
    if not isinstance(name, str):
        raise EditError(f'"op" must be an operation name, not {json.dumps(name)}')
    if name not in OPERATIONS:
        return  # run_operation names the unknown operation and lists the known ones
    named, var_keyword = _parameter_types(name)
    for key, value in params.items():
        if key == "op":
            continue
        hint = named.get(key, var_keyword)
        if hint is not None and not _matches(value, hint):
            raise EditError(f"{key} must be {_describe(hint)}, not {json.dumps(value)}")


def run_operation(seq: Sequence, ids: IdSource, media: dict[int, MediaInfo],
                  params: dict[str, Any]) -> Change:
    """Apply one operation given as ``{"op": name, ...}``; returns its Change.

    On any error the sequence (and the id counter) is left exactly as it was.
    """
    check_parameter_types(params)
    params = dict(params)
    name = params.pop("op", None)
    func = OPERATIONS.get(name)  # type: ignore[arg-type]
    if func is None:
        raise EditError(f"Unknown operation {name!r}; known: {', '.join(OPERATIONS)}")
    try:
        inspect.signature(func).bind(None, None, **params)
    except TypeError as exc:
        raise EditError(f"Bad parameters for {name!r}: {exc}") from None
    next_id_before = ids.next_id
    session = EditSession(seq, ids)
    try:
        func(session, media, **params)
        session.validate(media)
        label = params.get("label") if name == "group" else session.label
        change = Change(label or LABELS[name], tuple(session.ops), {"op": name, **params})
        if name != "set_track":
            locked = [t for t in _tracks_touched(change)
                      if t in seq.tracks and seq.tracks[t].info.locked]
            if locked:
                raise EditError(f"Track {', '.join(sorted(locked))} is locked; unlock it first")
    except Exception:
        session.rollback()
        ids.next_id = next_id_before
        raise
    return change
