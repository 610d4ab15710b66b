"""Primitive operations and the ``Change`` that bundles them into one undo step.

Every edit is recorded as a list of primitive operations, each holding both its before and
after values. Inverting is reversing the list and swapping before/after, so undo is exact by
construction, and persisting an edit writes only the rows the operations touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timeline.conditioning.references import CastMember
from timeline.model import (
    Item,
    Marker,
    Sequence,
    Track,
    TrackInfo,
    Transition,
    item_from_dict,
)


@dataclass(frozen=True)
class ItemOp:
    """Add (before None), remove (after None) or replace an item; may change its track."""

    before: Item | None
    after: Item | None

    def inverted(self) -> ItemOp:
        return ItemOp(self.after, self.before)


@dataclass(frozen=True)
class ShiftOp:
    """Move every item of ``track`` starting at or after ``from_frame`` by ``delta``.

    ``from_frame`` is the first shifted item's start, and a shift may not jump items past
    unshifted ones, so the inverse (``from_frame + delta``, ``-delta``) selects exactly the
    same items. One op instead of thousands keeps a ripple on a long track cheap to store.
    """

    track: str
    from_frame: int
    delta: int

    def inverted(self) -> ShiftOp:
        return ShiftOp(self.track, self.from_frame + self.delta, -self.delta)


@dataclass(frozen=True)
class TransitionOp:
    before: Transition | None
    after: Transition | None

    def inverted(self) -> TransitionOp:
        return TransitionOp(self.after, self.before)


@dataclass(frozen=True)
class MarkerOp:
    before: Marker | None
    after: Marker | None

    def inverted(self) -> MarkerOp:
        return MarkerOp(self.after, self.before)


@dataclass(frozen=True)
class CastOp:
    """Add, change or remove a cast member of the sequence."""

    before: CastMember | None
    after: CastMember | None

    def inverted(self) -> CastOp:
        return CastOp(self.after, self.before)


@dataclass(frozen=True)
class TrackOp:
    before: TrackInfo | None
    after: TrackInfo | None

    def inverted(self) -> TrackOp:
        return TrackOp(self.after, self.before)


@dataclass(frozen=True)
class InOutOp:
    before: tuple[int | None, int | None]
    after: tuple[int | None, int | None]

    def inverted(self) -> InOutOp:
        return InOutOp(self.after, self.before)


Op = ItemOp | ShiftOp | TransitionOp | MarkerOp | CastOp | TrackOp | InOutOp


@dataclass(frozen=True)
class Change:
    """One undo step: a label for menus, the operation that made it, and its primitive ops."""

    label: str
    ops: tuple[Op, ...]
    params: dict[str, Any] = field(default_factory=dict)

    def inverted(self) -> Change:
        return Change(self.label, tuple(op.inverted() for op in reversed(self.ops)), self.params)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "params": self.params,
            "ops": [op_to_json(o) for o in self.ops],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Change:
        return cls(d["label"], tuple(op_from_json(o) for o in d["ops"]), d.get("params", {}))


# --- applying ----------------------------------------------------------------------------


def apply_op(seq: Sequence, op: Op) -> None:
    """Apply one primitive op. Checks that ``before`` matches the live state, so a stale or
    corrupt history raises instead of silently diverging."""
    seq.version += 1
    if isinstance(op, ItemOp):
        if op.before is not None:
            live = seq._items_by_id.get(op.before.id)
            if live != op.before:
                raise RuntimeError(f"history out of step: item {op.before.id} is {live}")
            seq.tracks[op.before.track]._remove(op.before)
            del seq._items_by_id[op.before.id]
        if op.after is not None:
            if op.after.id in seq._items_by_id:
                raise RuntimeError(f"history out of step: item {op.after.id} exists")
            seq.tracks[op.after.track]._add(op.after)
            seq._items_by_id[op.after.id] = op.after
    elif isinstance(op, ShiftOp):
        for moved in seq.tracks[op.track]._shift(op.from_frame, op.delta):
            seq._items_by_id[moved.id] = moved
    elif isinstance(op, TransitionOp):
        if op.before is not None:
            del seq.tracks[op.before.track].transitions[op.before.id]
        if op.after is not None:
            seq.tracks[op.after.track].transitions[op.after.id] = op.after
    elif isinstance(op, MarkerOp):
        if op.before is not None:
            del seq.markers[op.before.id]
        if op.after is not None:
            seq.markers[op.after.id] = op.after
    elif isinstance(op, CastOp):
        if op.before is not None:
            del seq.cast[op.before.id]
        if op.after is not None:
            seq.cast[op.after.id] = op.after
    elif isinstance(op, TrackOp):
        if op.before is not None and op.after is not None:
            seq.tracks[op.after.name].info = op.after
        elif op.after is not None:
            seq.tracks[op.after.name] = Track(op.after)
            _reorder_tracks(seq)
        elif op.before is not None:
            if len(seq.tracks[op.before.name]):
                raise RuntimeError(f"track {op.before.name} is not empty")
            del seq.tracks[op.before.name]
    elif isinstance(op, InOutOp):
        seq.in_point, seq.out_point = op.after
    else:  # pragma: no cover - exhaustive
        raise TypeError(op)


def _reorder_tracks(seq: Sequence) -> None:
    # Video tracks first (V1 at the bottom of the stack), then audio, each by index.
    ordered = sorted(seq.tracks.values(), key=lambda t: (t.kind != "video", t.info.index))
    seq.tracks = {t.name: t for t in ordered}


def apply_change(seq: Sequence, change: Change) -> None:
    for op in change.ops:
        apply_op(seq, op)


# --- JSON ---------------------------------------------------------------------------------


def op_to_json(op: Op) -> dict[str, Any]:
    if isinstance(op, ShiftOp):
        return {"t": "shift", "track": op.track, "from": op.from_frame, "delta": op.delta}
    if isinstance(op, InOutOp):
        return {"t": "inout", "before": list(op.before), "after": list(op.after)}
    tag = {ItemOp: "item", TransitionOp: "transition", MarkerOp: "marker", CastOp: "cast",
           TrackOp: "track"}[type(op)]
    return {
        "t": tag,
        "before": None if op.before is None else op.before.to_dict(),
        "after": None if op.after is None else op.after.to_dict(),
    }


_DECODERS = {
    "item": (ItemOp, item_from_dict),
    "transition": (TransitionOp, Transition.from_dict),
    "marker": (MarkerOp, Marker.from_dict),
    "cast": (CastOp, CastMember.from_dict),
    "track": (TrackOp, TrackInfo.from_dict),
}


def op_from_json(d: dict[str, Any]) -> Op:
    tag = d["t"]
    if tag == "shift":
        return ShiftOp(d["track"], d["from"], d["delta"])
    if tag == "inout":
        return InOutOp(tuple(d["before"]), tuple(d["after"]))  # type: ignore[arg-type]
    cls, decode = _DECODERS[tag]
    before = None if d["before"] is None else decode(d["before"])
    after = None if d["after"] is None else decode(d["after"])
    return cls(before, after)  # type: ignore[operator]
