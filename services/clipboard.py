"""The editor's clipboard: copied timeline items, and what pasting them at the playhead
becomes as edit operations. Qt-free (the window's Ctrl+C / X / V and the clip context
menu ask it; the CLI could too).

Rules, in one place:

* Copy keeps each item's media (asset and source range) or, for a generated segment, its
  prompt, negative prompt, seed, model and length, with its place relative to the earliest
  copied item (frames later, and which track). A pasted clip is the same media and range
  with the same properties: gain, fades, opacity, transform, proxy use, name, reel,
  enabled. A picture copied with its linked sound (same frames) pastes as a linked pair.
* Paste puts the earliest item at the playhead on the *target track*: the track of the
  selection when it holds a clip of the same kind of track, else the first track of that
  kind (V1, A1). Items copied from other tracks of that kind keep their distance in tracks
  from it (as far as there are tracks); items of the other kind go to their own track.
* Ctrl+V overwrites what is under the pasted items; Ctrl+Shift+V inserts (what follows on
  each target track moves later; items pasted onto one track go end to end there, since an
  insert cannot leave a gap). A generated segment can be pasted (a new segment, without
  its takes and conditioning, which belong to the original) but not insert-pasted: the model
  has no insert for generated segments.
* Cut is copy, then lift (the gap stays, as Premiere's Ctrl+X); one undo step.
* Every paste and cut is one ``group`` operation: one undo step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from timeline.gestures import kind_tracks
from timeline.model import Clip, EditError, GeneratedSegment, Item, Sequence

PasteMode = Literal["overwrite", "insert"]


@dataclass(frozen=True)
class CopiedItem:
    kind: str  # "clip" | "generated"
    track: str  # where it was copied from
    offset: int  # frames after the earliest copied item's start
    duration: int
    asset: int | None = None
    source_in: int = 0
    # generated: prompt, negative_prompt, seed, model (what ``add_generated`` takes)
    props: dict[str, Any] = field(default_factory=dict)
    link: int | None = None  # the copied clip's link: copied partners paste linked


@dataclass
class Clipboard:
    items: tuple[CopiedItem, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.items

    def copy(self, items: list[Item]) -> int:
        """Copy ``items`` (any order); returns how many were copied."""
        if not items:
            raise EditError("Select a clip to copy")
        first = min(i.start for i in items)
        copied = []
        for item in sorted(items, key=lambda i: (i.start, i.track)):
            if isinstance(item, Clip):
                copied.append(CopiedItem(
                    "clip", item.track, item.start - first, item.duration, item.asset,
                    item.source_in, props=_clip_props(item), link=item.link))
            elif isinstance(item, GeneratedSegment):
                copied.append(CopiedItem(
                    "generated", item.track, item.start - first, item.duration,
                    props={"prompt": item.prompt, "negative_prompt": item.negative_prompt,
                           "seed": item.seed, "model": item.model}))
        self.items = tuple(copied)
        return len(copied)

    def cut_edit(self, items: list[Item]) -> dict[str, Any]:
        """Copy ``items`` and return the edit that lifts them (one undo step)."""
        count = self.copy(items)
        return {"op": "group", "label": f"Cut {count} item{'s' if count != 1 else ''}",
                "steps": [{"op": "lift", "item": i.id, "alone": True}  # linked: selected
                          for i in sorted(items, key=lambda i: i.start, reverse=True)]}

    def paste_edit(self, seq: Sequence, at: int, selected_track: str | None,
                   mode: PasteMode = "overwrite") -> dict[str, Any]:
        """The edit that pastes the clipboard at frame ``at`` (see the module rules)."""
        if not self.items:
            raise EditError("Nothing to paste: copy a clip first (Ctrl+C)")
        if at < 0:
            raise EditError("Cannot paste before frame 0")
        anchor = self.items[0]
        kind = _track_kind(seq, anchor.track)
        names = {k: kind_tracks(seq, k) for k in ("video", "audio")}
        if not names[kind]:
            raise EditError(f"There is no {kind} track to paste onto")
        target = (selected_track if selected_track in names[kind]
                  else names[kind][0])
        shift = names[kind].index(target) - (names[kind].index(anchor.track)
                                             if anchor.track in names[kind] else 0)
        placed: list[tuple[CopiedItem, list[dict[str, Any]]]] = []
        ends: dict[str, int] = {}  # insert: where the next item on a track goes
        for copied in self.items:
            own = _track_kind(seq, copied.track)
            if own == kind:
                index = (names[kind].index(copied.track) if copied.track in names[kind]
                         else 0) + shift
                if not 0 <= index < len(names[kind]):
                    raise EditError(f"Not enough {kind} tracks to paste these items "
                                    f"{shift:+d} track(s) from where they were copied")
                track = names[kind][index]
            elif copied.track in seq.tracks:
                track = copied.track
            elif names[own]:
                track = names[own][0]
            else:
                raise EditError(f"There is no {own} track to paste onto")
            start = at + copied.offset
            if mode == "insert":
                start = max(start, ends.get(track, start))
                ends[track] = start + copied.duration
            placed.append((copied, _paste_steps(copied, track, start, mode)))
        steps = _relink(seq, placed)
        count = len(self.items)
        label = f"{'Insert ' if mode == 'insert' else ''}Paste" + (
            f" {count} items" if count > 1 else "")
        return {"op": "group", "label": label, "steps": steps}


def _relink(seq: Sequence, placed: list[tuple[CopiedItem, list[dict[str, Any]]]]
            ) -> list[dict[str, Any]]:
    """The paste's steps, a picture and its copied linked sound (same frames, same media)
    made one step that places both, linked."""
    def key(c: CopiedItem, step: dict[str, Any]) -> tuple[Any, ...]:
        return (c.link, step["at"], c.duration, c.source_in, c.asset)

    sounds = {key(c, st[0]): st[0] for c, st in placed
              if c.kind == "clip" and c.link is not None and _track_kind(seq, st[0]["track"])
              == "audio"}
    merged: set[int] = set()
    for c, st in placed:
        if c.kind != "clip" or c.link is None or _track_kind(seq, st[0]["track"]) != "video":
            continue
        sound = sounds.pop(key(c, st[0]), None)
        if sound is not None:
            st[0]["audio"] = sound["track"]
            st[0]["audio_props"] = sound.get("props", {})
            merged.add(id(sound))
    return [s for _c, st in placed for s in st if id(s) not in merged]


def _track_kind(seq: Sequence, name: str) -> str:
    track = seq.tracks.get(name)
    if track is not None:
        return track.kind
    return "audio" if name.startswith("A") else "video"


def _paste_steps(copied: CopiedItem, track: str, at: int, mode: PasteMode
                 ) -> list[dict[str, Any]]:
    if copied.kind == "generated":
        if mode == "insert":
            raise EditError("A generated segment cannot be insert-pasted (the model has no "
                            "insert for generated segments); paste it with Ctrl+V")
        return [{"op": "add_generated", "track": track, "at": at, "duration": copied.duration,
                 **{k: v for k, v in copied.props.items() if v is not None}}]
    assert copied.asset is not None
    step = {"op": mode, "track": track, "asset": copied.asset,
            "source_in": copied.source_in, "source_out": copied.source_in + copied.duration,
            "at": at}
    if copied.props:
        step["props"] = copied.props
    return [step]


# What a pasted clip keeps: everything ``set`` can give it, where it differs from a new
# clip's default (so a plain clip's paste step stays plain).
_CLIP_PROPS = ("gain_db", "opacity", "fade_in", "fade_out", "transform", "use_proxy", "name",
               "reel", "enabled")


def _clip_props(clip: Clip) -> dict[str, Any]:
    d = clip.to_dict()
    plain = Clip(id=0, track="", start=0, duration=1, asset=0).to_dict()
    return {k: d[k] for k in _CLIP_PROPS if d[k] != plain[k]}
