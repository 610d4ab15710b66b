"""The editing model: sequence, tracks, clips, generated segments, transitions, markers.

Items are immutable values; a track keeps them sorted by their start in the sequence. The
only way state changes is through primitive operations (``timeline.changes``), which is what
makes every edit exactly invertible and cheap to persist.

All positions are integer frames at the sequence rate. A clip's ``source_in`` is also
counted in sequence frames from the start of its media (frame ``k`` of the clip shows the
media at time ``(source_in + k) / fps``), so edits never need the media's own rate; the
media engine converts to stream time once, at the PyAV boundary.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, field, fields
from fractions import Fraction
from typing import Any, Literal, NamedTuple

from timeline.conditioning.camera import CameraPath
from timeline.conditioning.pose import PoseTrack
from timeline.conditioning.references import CastMember, Reference
from timeline.conditioning.shots import Shot
from timeline.limits import MAX_SAMPLE_RATE, LimitError, check_frame_size
from timeline.time import FrameRange, format_rate, parse_rate

TrackKind = Literal["video", "audio"]
AssetKind = Literal["video", "audio", "image"]


class EditError(ValueError):
    """An edit that cannot be applied; the message says why and what to do instead."""


# --- items -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Item:
    """Something occupying ``[start, start + duration)`` on one track."""

    id: int
    track: str
    start: int
    duration: int
    source_in: int = 0
    # A disabled item stays on its track (and in edits) but is not shown, played or
    # exported (Shift+E, as in Premiere and Resolve).
    enabled: bool = True

    kind = "item"

    @property
    def end(self) -> int:
        return self.start + self.duration

    @property
    def source_out(self) -> int:
        return self.source_in + self.duration

    @property
    def range_in_parent(self) -> FrameRange:
        return FrameRange(self.start, self.duration)

    @property
    def source_range(self) -> FrameRange:
        return FrameRange(self.source_in, self.duration)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):  # JSON-shaped: nested tuples become lists
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            d[f.name] = value
        return d


EASINGS = ("linear", "ease_in", "ease_out", "ease_in_out", "hold")


class TransformKey(NamedTuple):
    """One keyframe of a clip's transform, at ``frame`` frames from the clip's start.

    ``x``/``y`` move the fitted picture in sequence pixels, ``scale`` multiplies its size,
    ``rotation`` turns it clockwise in degrees about its centre, ``opacity`` multiplies the
    clip's opacity. ``easing`` shapes the way *to the next* keyframe.
    """

    frame: int
    x: float = 0.0
    y: float = 0.0
    scale: float = 1.0
    rotation: float = 0.0
    opacity: float = 1.0
    easing: str = "linear"


@dataclass(frozen=True, kw_only=True)
class Clip(Item):
    """A piece of imported media (video, audio or a still) placed on a track."""

    asset: int
    gain_db: float = 0.0
    opacity: float = 1.0
    # Audio fades in frames from the clip's start / to its end (0: none).
    fade_in: int = 0
    fade_out: int = 0
    # Keyframed transform, see ``TransformKey``; empty means the clip is simply fitted.
    transform: tuple[TransformKey, ...] = ()
    # Play from the asset's proxy when one exists (export always uses the original).
    use_proxy: bool = False
    # The clip's own name and tape/reel as another editor gave them (an EDL's FROM CLIP
    # NAME and reel, an FCP clip name); empty: the asset's file name, no reel.
    name: str = ""
    reel: str = ""
    # Linked clips (a video file's picture and its sound) share one link id, given by the
    # edit that linked them; they move, trim, split and delete together unless an edit is
    # asked to act on one ``alone``. None: not linked.
    link: int | None = None

    kind = "clip"


@dataclass(frozen=True, kw_only=True)
class GeneratedSegment(Item):
    """A clip whose media is made by a generation backend; each run adds a take."""

    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    model: str = "previz"
    takes: tuple[int, ...] = ()
    active_take: int | None = None
    opacity: float = 1.0
    # Conditioning (timeline.conditioning): references with roles, a keyframed camera,
    # pose keyframes and links to the sequence's cast members.
    references: tuple[Reference, ...] = ()
    camera: CameraPath | None = None
    poses: PoseTrack | None = None
    cast: tuple[int, ...] = ()
    # Generative extend: the clip this segment continues, (clip id, "head" | "tail"): its
    # edge frames are the kept context of every take (services.shot_tools).
    extends: tuple[int, str] | None = None
    # A multi-shot segment's shots (timeline.conditioning.shots), generated as one job.
    shots: tuple[Shot, ...] = ()
    # A shot laid out from a multi-shot take: (that take's first shot take id, shot index).
    shot_of: tuple[int, int] | None = None
    # A segment on an audio track makes sound (generated audio takes) and mixes like an
    # audio clip: gain in dB, linear fades in frames from its start / to its end.
    gain_db: float = 0.0
    fade_in: int = 0
    fade_out: int = 0
    # Linked like clips (``Clip.link``): a joint audio-video model's (LTX-2) picture segment
    # and the generated audio segment its sound lands on move, trim and delete together.
    link: int | None = None

    kind = "generated"

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["references"] = [r.to_json() for r in self.references]
        d["camera"] = None if self.camera is None else self.camera.to_json()
        d["poses"] = None if self.poses is None else self.poses.to_json()
        # Written only when set: rows of segments without them read as before.
        for name in ("extends", "shots", "shot_of"):
            if not d[name]:
                del d[name]
        if self.shots:
            d["shots"] = [s.to_json() for s in self.shots]
        return d


ITEM_TYPES: dict[str, type[Item]] = {"clip": Clip, "generated": GeneratedSegment}

NEW_SEED_TEXT = "new seed each run"


def seed_text(seed: int | None) -> str:
    """A segment's or take's seed as every panel shows it: "seed 1234", or for a segment
    with none, that each run draws its own."""
    return NEW_SEED_TEXT if seed is None else f"seed {seed}"


def item_from_dict(d: dict[str, Any]) -> Item:
    d = dict(d)
    cls = ITEM_TYPES[d.pop("kind")]
    return _construct(cls, item_fields_from_json(d))


def item_fields_from_json(d: dict[str, Any]) -> dict[str, Any]:
    """An item's JSON fields (``to_dict`` less ``kind``) as its constructor takes them, in
    place. What it makes is immutable, so items read back with the same fields may share
    it (``ItemTemplate``)."""
    if "takes" in d:
        d["takes"] = tuple(d["takes"])
    if "transform" in d:
        d["transform"] = tuple(TransformKey(*k) for k in d["transform"])
    if "references" in d:
        d["references"] = tuple(Reference.from_json(r) for r in d["references"])
    if d.get("camera") is not None:
        d["camera"] = CameraPath.from_json(d["camera"])
    if d.get("poses") is not None:
        d["poses"] = PoseTrack.from_json(d["poses"])
    if "cast" in d:
        d["cast"] = tuple(d["cast"])
    for name in ("extends", "shot_of"):
        if d.get(name) is not None:
            d[name] = tuple(d[name])
    if "shots" in d:
        d["shots"] = tuple(Shot.from_json(s) for s in d["shots"])
    return d


class ItemTemplate:
    """What items read back in bulk share when they have the same kind and JSON fields
    (most clips of a project: default gain, opacity, fades): checked and converted once,
    then ``make`` fills in each item's own position. Items built here equal
    ``item_from_dict`` of the same fields."""

    POSITION = ("id", "track", "start", "duration", "source_in")

    def __init__(self, kind: str, fields_: dict[str, Any], *, with_asset: bool) -> None:
        self.cls = ITEM_TYPES[kind]
        fields_ = item_fields_from_json(dict(fields_))
        info = _field_info(self.cls)
        if info is _FACTORY_FIELDS:  # pragma: no cover - no item class has one
            raise TypeError(f"{self.cls.__name__} cannot be read in bulk")
        keys = set(fields_) | set(self.POSITION) | ({"asset"} if with_asset else set())
        if not keys <= info.names:
            raise TypeError(f"{self.cls.__name__} has no field(s) "
                            f"{', '.join(sorted(keys - info.names))}")
        if not info.required <= keys:
            raise TypeError(f"{self.cls.__name__} is missing field(s) "
                            f"{', '.join(sorted(info.required - keys))}")
        self.template = {**info.defaults, **fields_}

    def make(self, item_id: int, track: str, start: int, duration: int, source_in: int,
             asset: int | None) -> Item:
        item = object.__new__(self.cls)
        d = item.__dict__
        d.update(self.template)
        d["id"], d["track"], d["start"], d["duration"], d["source_in"] = (
            item_id, track, start, duration, source_in)
        if asset is not None:
            d["asset"] = asset
        return item


class _FieldInfo(NamedTuple):
    names: frozenset[str]
    required: frozenset[str]
    defaults: dict[str, Any]


_FIELD_INFO: dict[type, _FieldInfo] = {}
# A class with a default factory is built through its __init__ (none of the items has one).
_FACTORY_FIELDS = _FieldInfo(frozenset(), frozenset(), {})


def _field_info(cls: type) -> _FieldInfo:
    info = _FIELD_INFO.get(cls)
    if info is None:
        fs = fields(cls)
        if any(f.default_factory is not MISSING for f in fs):  # type: ignore[misc]
            _FIELD_INFO[cls] = _FACTORY_FIELDS
            return _FACTORY_FIELDS
        info = _FIELD_INFO[cls] = _FieldInfo(
            frozenset(f.name for f in fs),
            frozenset(f.name for f in fs if f.default is MISSING),
            {f.name: f.default for f in fs if f.default is not MISSING})
    return info


def _construct(cls: type[Item], d: dict[str, Any]) -> Item:
    """``cls(**d)`` for an item read back from a project, without the frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field): opening 100,000 clips spends most
    of its time here. Items have no ``__post_init__`` and no default factories, so the
    result is the same object; unknown or missing fields are refused as ``__init__`` would
    (a ``TypeError``, which opening reports as a damaged file)."""
    info = _field_info(cls)
    if info is _FACTORY_FIELDS:
        return cls(**d)
    keys = d.keys()
    if not keys <= info.names:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(sorted(keys - info.names))}")
    if not info.required <= keys:
        raise TypeError(f"{cls.__name__} is missing field(s) "
                        f"{', '.join(sorted(info.required - keys))}")
    item = object.__new__(cls)
    item.__dict__.update(info.defaults)
    item.__dict__.update(d)
    return item


@dataclass(frozen=True, kw_only=True)
class Transition:
    """A cross-dissolve at the cut between two adjacent items of one track.

    Its position is derived from the cut, so it follows ripples for free. It overlaps
    ``in_offset`` frames of the outgoing item and ``out_offset`` of the incoming one, which
    therefore need that much media beyond their out / before their in (handles).
    """

    id: int
    track: str
    from_item: int
    to_item: int
    duration: int
    kind: str = "cross_dissolve"

    @property
    def in_offset(self) -> int:
        return self.duration // 2

    @property
    def out_offset(self) -> int:
        return self.duration - self.duration // 2

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transition:
        return cls(**d)


BEAT = "beat"  # Marker.kind of a beat found in a music clip
BEAT_COLOUR = "yellow"


@dataclass(frozen=True, kw_only=True)
class Marker:
    """A named frame (or range) of the sequence. ``kind`` "" is a marker the user put
    there; "beat" one of the beats found in a music clip (``takeline beats``), whose
    ``item`` names that clip: finding its beats again replaces them, and they are what
    Cut to Beats and the timeline's snapping treat as beats."""

    id: int
    frame: int
    name: str = ""
    color: str = "blue"
    duration: int = 0
    note: str = ""
    kind: str = ""
    item: int | None = None

    @property
    def is_beat(self) -> bool:
        return self.kind == BEAT

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Marker:
        return cls(**d)


@dataclass(frozen=True, kw_only=True)
class TrackInfo:
    """A track's identity and switches. ``name`` (V1, A2, ...) is its stable id."""

    name: str
    kind: TrackKind
    index: int
    muted: bool = False
    solo: bool = False
    locked: bool = False
    hidden: bool = False
    # What the headers show ("Dialogue"); empty: the name. Edits address tracks by name.
    label: str = ""

    @property
    def shown(self) -> str:
        return self.label or self.name

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrackInfo:
        return cls(**d)


@dataclass(frozen=True)
class MediaInfo:
    """What the model needs to know about an asset to edit with it."""

    id: int
    kind: AssetKind
    # Usable length in sequence frames; None for stills, which last as long as you like.
    duration_frames: int | None
    has_video: bool
    has_audio: bool
    name: str = ""


class IdSource:
    """Monotonic ids for items, transitions and markers. Never reused, so an undo that brings
    back a deleted item can never collide with something made since."""

    def __init__(self, next_id: int = 1) -> None:
        self.next_id = next_id

    def allocate(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value


# --- containers --------------------------------------------------------------------------


def _with_start(item: Item, start: int) -> Item:
    """``replace(item, start=start)`` without re-running ``__init__``: a ripple on a long
    track moves thousands of items, and this is ten times cheaper. Only ``start`` changes,
    so every other field stays as valid as it was."""
    moved = object.__new__(type(item))
    moved.__dict__.update(item.__dict__)
    object.__setattr__(moved, "start", start)
    return moved


class Track:
    """Items of one track, sorted by start, with bisect lookups (10,000 clips stay fast)."""

    def __init__(self, info: TrackInfo) -> None:
        self.info = info
        self._starts: list[int] = []
        self._items: list[Item] = []
        self.transitions: dict[int, Transition] = {}

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def kind(self) -> TrackKind:
        return self.info.kind

    def __iter__(self) -> Iterator[Item]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[Item]:
        return list(self._items)

    @property
    def end_frame(self) -> int:
        """First free frame after the last item (0 when empty)."""
        # Items never overlap, so the last one ends last.
        return self._items[-1].end if self._items else 0

    def _add(self, item: Item) -> None:
        pos = bisect.bisect_right(self._starts, item.start)
        self._starts.insert(pos, item.start)
        self._items.insert(pos, item)

    def _load_sorted(self, items: list[Item]) -> None:
        """Put items read back in start order onto an empty track (opening a project)."""
        if self._items:
            raise ValueError(f"track {self.name} is not empty")
        starts = [i.start for i in items]
        if any(a > b for a, b in zip(starts, starts[1:], strict=False)):
            raise ValueError(f"items of track {self.name} are not in start order")
        self._starts, self._items = starts, list(items)

    def _index_of(self, item: Item) -> int:
        pos = bisect.bisect_left(self._starts, item.start)
        while pos < len(self._items) and self._starts[pos] == item.start:
            if self._items[pos].id == item.id:
                return pos
            pos += 1
        raise KeyError(f"item {item.id} is not at frame {item.start} of track {self.name}")

    def _remove(self, item: Item) -> None:
        pos = self._index_of(item)
        del self._starts[pos]
        del self._items[pos]

    def _shift(self, from_frame: int, delta: int) -> list[Item]:
        """Move every item starting at or after ``from_frame`` by ``delta`` frames."""
        pos = bisect.bisect_left(self._starts, from_frame)
        moved = [_with_start(i, i.start + delta) for i in self._items[pos:]]
        self._items[pos:] = moved
        self._starts[pos:] = [i.start for i in moved]
        return moved

    def first_index_at_or_after(self, frame: int) -> int:
        return bisect.bisect_left(self._starts, frame)

    def item_at(self, frame: int) -> Item | None:
        """The item covering ``frame`` (half-open), if any."""
        pos = bisect.bisect_right(self._starts, frame) - 1
        if pos >= 0 and self._items[pos].end > frame:
            return self._items[pos]
        return None

    def item_ending_at(self, frame: int) -> Item | None:
        pos = bisect.bisect_left(self._starts, frame) - 1
        if pos >= 0 and self._items[pos].end == frame:
            return self._items[pos]
        return None

    def item_starting_at(self, frame: int) -> Item | None:
        pos = bisect.bisect_left(self._starts, frame)
        if pos < len(self._items) and self._starts[pos] == frame:
            return self._items[pos]
        return None

    def overlapping(self, start: int, end: int) -> list[Item]:
        """Items intersecting ``[start, end)``."""
        pos = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out = []
        for item in self._items[pos:]:
            if item.start >= end:
                break
            if item.end > start:
                out.append(item)
        return out

    def neighbours(self, item: Item) -> tuple[Item | None, Item | None]:
        pos = self._index_of(item)
        before = self._items[pos - 1] if pos > 0 else None
        after = self._items[pos + 1] if pos + 1 < len(self._items) else None
        return before, after

    def gaps(self) -> list[FrameRange]:
        """Empty ranges between items (from frame 0 to the last item's end)."""
        out = []
        cursor = 0
        for item in self._items:
            if item.start > cursor:
                out.append(FrameRange(cursor, item.start - cursor))
            cursor = max(cursor, item.end)
        return out


@dataclass
class SequenceSettings:
    name: str = "Sequence 1"
    fps: Fraction = field(default_factory=lambda: Fraction(24000, 1001))
    width: int = 1920
    height: int = 1080
    sample_rate: int = 48000

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fps": format_rate(self.fps),
            "width": self.width,
            "height": self.height,
            "sample_rate": self.sample_rate,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SequenceSettings:
        return cls(
            name=d["name"],
            fps=parse_rate(d["fps"]),
            width=int(d["width"]),
            height=int(d["height"]),
            sample_rate=int(d["sample_rate"]),
        )


class Sequence:
    """A sequence: settings, ordered tracks, markers, in/out points.

    Mutated only through ``timeline.changes.apply_op``; ``version`` counts those mutations
    so background work (decode, render) can tell when its request went stale.
    """

    def __init__(self, settings: SequenceSettings) -> None:
        try:
            check_frame_size(settings.width, settings.height, "the sequence's frame size")
        except LimitError as exc:
            raise EditError(str(exc)) from None
        if not 1 <= settings.sample_rate <= MAX_SAMPLE_RATE:
            raise EditError(f"Invalid sample rate {settings.sample_rate} (1 to "
                            f"{MAX_SAMPLE_RATE} Hz)")
        self.settings = settings
        self.tracks: dict[str, Track] = {}
        self.markers: dict[int, Marker] = {}
        self.cast: dict[int, CastMember] = {}  # the project's characters, props, locations
        self.in_point: int | None = None
        self.out_point: int | None = None
        self._items_by_id: dict[int, Item] = {}
        self.version = 0

    @property
    def fps(self) -> Fraction:
        return self.settings.fps

    @property
    def sample_rate(self) -> int:
        return self.settings.sample_rate

    # --- lookups
    def item(self, item_id: int) -> Item:
        try:
            return self._items_by_id[item_id]
        except KeyError:
            raise EditError(f"No item with id {item_id} in this sequence") from None

    def find_item(self, item_id: int) -> Item | None:
        return self._items_by_id.get(item_id)

    def linked(self, item: Item) -> list[Clip | GeneratedSegment]:
        """The other clips linked to ``item`` (none when it is not linked). A scan: links
        are asked about once per edit or click, and a scan cannot go stale."""
        link = getattr(item, "link", None)
        if link is None:
            return []
        return [i for i in self._items_by_id.values()
                if isinstance(i, Clip | GeneratedSegment) and i.link == link
                and i.id != item.id]

    def track(self, name: str) -> Track:
        try:
            return self.tracks[name]
        except KeyError:
            have = ", ".join(self.tracks) or "none"
            raise EditError(f"No track named {name!r} (tracks: {have})") from None

    def transition(self, transition_id: int) -> Transition:
        for track in self.tracks.values():
            if transition_id in track.transitions:
                return track.transitions[transition_id]
        raise EditError(f"No transition with id {transition_id}")

    @property
    def video_tracks(self) -> list[Track]:
        return [t for t in self.tracks.values() if t.kind == "video"]

    @property
    def audio_tracks(self) -> list[Track]:
        return [t for t in self.tracks.values() if t.kind == "audio"]

    def on_audio_track(self, item: Item) -> bool:
        """The item sits on an audio track (a generated segment there makes sound)."""
        track = self.tracks.get(item.track)
        return track is not None and track.kind == "audio"

    @property
    def duration_frames(self) -> int:
        return max((t.end_frame for t in self.tracks.values()), default=0)

    def all_items(self) -> Iterator[Item]:
        for track in self.tracks.values():
            yield from track

    def item_count(self) -> int:
        return len(self._items_by_id)

    # --- whole-state comparison (tests, undo checks)
    def snapshot(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(),
            "tracks": [
                {
                    "info": t.info.to_dict(),
                    "items": [i.to_dict() for i in t],
                    "transitions": sorted(
                        (tr.to_dict() for tr in t.transitions.values()), key=lambda d: d["id"]
                    ),
                }
                for t in self.tracks.values()
            ],
            "markers": sorted((m.to_dict() for m in self.markers.values()), key=lambda d: d["id"]),
            "cast": [self.cast[k].to_dict() for k in sorted(self.cast)],
            "in_point": self.in_point,
            "out_point": self.out_point,
        }


# --- what shows on a track over a window ---------------------------------------------------


@dataclass(frozen=True)
class Span:
    """An item as it shows on its track: ``[start, end)`` is its own range, extended through
    dissolve handles (the outgoing item runs on past its end, the incoming starts early).
    ``fade_in`` / ``fade_out`` are the dissolves it comes in and goes out by, when they touch
    the window the span was asked for."""

    item: Item
    start: int
    end: int
    fade_in: Transition | None = None
    fade_out: Transition | None = None


def spans(sequence: Sequence, track: Track, first: int, end: int) -> list[Span]:
    """Every item showing on ``track`` somewhere in frames ``[first, end)``, with its
    handles. The compositor, the mixer and the read-ahead all ask this one question."""
    found: dict[int, list[Any]] = {
        i.id: [i, i.start, i.end, None, None] for i in track.overlapping(first, end)
    }
    for tr in track.transitions.values():
        a = sequence.find_item(tr.from_item)
        b = sequence.find_item(tr.to_item)
        if a is None or b is None:
            continue
        lo, hi = a.end - tr.in_offset, a.end + tr.out_offset
        if hi <= first or lo >= end:
            continue
        out = found.setdefault(a.id, [a, a.start, a.end, None, None])
        out[2], out[4] = hi, tr
        come_in = found.setdefault(b.id, [b, b.start, b.end, None, None])
        come_in[1], come_in[3] = lo, tr
    return [Span(*v) for v in found.values()]
