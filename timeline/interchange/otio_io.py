"""OpenTimelineIO export and import.

Export (``sequence_to_otio``): video tracks then audio tracks; empty space as ``Gap``;
clips as ``Clip`` with an ``ExternalReference`` (file URL, available range from the probe);
dissolves as ``Transition`` (SMPTE_Dissolve) with ``in_offset``/``out_offset``; sequence
markers on the timeline's tracks stack; generated segments as ``Clip`` with a
``GeneratorReference`` (kind ``takeline.generated``, parameters prompt / negative prompt /
seed / model). Every time is an exact ``RationalTime`` at ``float(fps)``; what OTIO cannot
say exactly (the rate as ``num/den``, every item field, track switches, in/out points) is
kept in ``metadata["takeline"]`` so our own files round-trip without loss.

Writers (``write_timeline``, by extension; ``WRITERS``): ``.otio``; ``.edl`` (one picture
track); ``.xml`` FCP 7 (marker notes and colours as ``<comment>`` / ``<color>``); ``.fcpxml``
by ``native.write_fcpxml`` (the adapter's writer knows eight rates and fails on 29.97 as
Takeline states it; ours writes ``frameDuration`` exactly); ``.kdenlive`` (its profile set
to the exact rate and size); ``.aaf`` (new mob ids; no markers); ``.otioz`` (media inside;
offline clips without). What a format cannot hold is returned as notes, never silent.

Import (``otio_to_operations``) turns a timeline into an ``ImportPlan``: sequence settings,
the tracks to create, the media files to import and the edit operations (the JSON form
``takeline apply`` takes) that rebuild it; ``apply_plan`` runs it against a new project.
The plan's ``report`` says what was kept and what was dropped. Operations may hold
placeholders resolved by ``apply_plan``: ``{"$media": i}`` (the asset imported from
``plan.media[i]``), ``{"$item": k}`` (the item placed by the operation carrying
``"$ref": k``); other keys starting with ``$`` annotate the operation for the report.

Behaviour for what Takeline cannot represent (the honest, simple choice):

* A clip whose media is not on this machine (a missing file, MissingReference, a foreign
  generator, an image sequence, a file too short to be the one the timeline used) keeps its
  place, name, reel and source range on an *offline* asset (``OfflineMedia``, recorded by
  ``Project.add_offline_media``); it shows as offline until relinked by file name. The
  report lists each one under ``offline``.
* Nested stacks / compound clips are flattened onto the track over the part they show
  (one inner track per track; further inner tracks are reported as dropped).
* Positions are exact rational seconds, rounded to frames once per edit point. EDL
  locators (LOC) are record time and land there; clip markers outside the part of the clip
  that shows stay on the sequence at their time (with a warning).
* Speed changes (LinearTimeWarp, FreezeFrame) and other effects are dropped: the clip plays
  its source range at 100 %.
* Any transition becomes a centred cross-dissolve of the same total length; one without the
  media handles it needs is dropped.
* Adapter metadata (``cmx_3600``, ``fcp_xml``, ...) is not interpreted; the report counts it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import re
import urllib.parse
import urllib.request
import warnings as py_warnings
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import MISSING, dataclass, field, fields
from fractions import Fraction
from pathlib import Path, PureWindowsPath
from typing import Any, Protocol

import opentimelineio as otio

from timeline.interchange import native
from timeline.media.probe import MediaProbe, MediaProbeError, duration_in_frames, probe
from timeline.model import (
    Clip,
    EditError,
    GeneratedSegment,
    Item,
    Sequence,
    SequenceSettings,
)
from timeline.time import format_rate, parse_rate

GENERATOR_KIND = "takeline.generated"
NAMESPACE = "takeline"
FORMAT_VERSION = 1

# Rates people and tools write as decimals; they mean the exact x/1001 rates.
_NTSC_BASES = (24, 30, 48, 60, 120)
_OTIO_COLORS = {"BLACK", "BLUE", "CYAN", "GREEN", "MAGENTA", "ORANGE", "PINK", "PURPLE",
                "RED", "WHITE", "YELLOW"}
_ADAPTERS = {  # suffix -> (adapter name, pip package providing it)
    ".otio": ("otio_json", "opentimelineio"),
    ".edl": ("cmx_3600", "otio-cmx3600-adapter"),
    ".xml": ("fcp_xml", "otio-fcp-adapter"),
    ".fcpxml": ("fcpx_xml", "otio-fcpx-xml-adapter"),
    ".aaf": ("AAF", "otio-aaf-adapter"),
    ".kdenlive": ("kdenlive", "otio-kdenlive-adapter"),
    ".ale": ("ale", "otio-ale-adapter"),
    ".otioz": ("otioz", "opentimelineio"),
}
# Item fields placed by the placing operation itself (never restored with ``set``).
_PLACED = {"kind", "id", "track", "start", "duration", "source_in", "asset", "prompt",
           "negative_prompt", "seed", "model"}


class InterchangeError(Exception):
    """A timeline file cannot be read or written; the message says why and what to do."""


class MediaUnavailable(Exception):
    """Raised by a media resolver: the reference cannot be used (the message says why)."""


# Report kinds that are not items on a track.
_NOT_PLACED = {"tracks", "gaps", "markers", "transitions"}
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")


@dataclass
class OfflineMedia:
    """Media a timeline refers to that is not on this machine: ``apply_plan`` makes it an
    offline asset (``Project.add_offline_media``) so its clips keep their place, name,
    reel and source range until it is relinked. ``path`` is where the file was (or the
    clip's name when the file states no path); lengths are sequence frames."""

    path: str
    reason: str
    frames: int = 1  # covers every clip using it (and the file's stated available range)
    bounded: bool = True  # False: some clip's reference states no length (EDL): unknown
    has_video: bool = False
    has_audio: bool = False

    @property
    def name(self) -> str:
        return media_name(self.path)

    def probe(self, fps: Fraction, size: tuple[int, int], sample_rate: int) -> MediaProbe:
        """What the project records about it: the timeline's statements, no codecs."""
        video = self.has_video or not self.has_audio
        known = self.bounded
        return MediaProbe(
            path=self.path, kind="video" if video else "audio", container="offline",
            duration=Fraction(self.frames) / fps if known else None,
            video_codec="offline" if video else None,
            width=size[0] if video else None, height=size[1] if video else None,
            fps=fps if video else None, vfr=False, rotation=0,
            video_time_base=None, video_start_pts=None,
            frame_count=self.frames if video and known else None, pix_fmt=None,
            audio_codec="offline" if self.has_audio else None,
            sample_rate=sample_rate if self.has_audio else None,
            channels=2 if self.has_audio else None, audio_time_base=None,
        )


def media_name(path: str) -> str:
    """The file name of a path written on any system (a Windows path read on Linux)."""
    if _WINDOWS_PATH.match(path):
        return PureWindowsPath(path).name
    return Path(path).name or path


MediaResolver = Callable[[str], tuple[str, MediaProbe]]


# ----------------------------------------------------------------------------- report


@dataclass
class ImportReport:
    """What an import kept, what it dropped (by kind) and other warnings."""

    source: str = ""
    kept: Counter[str] = field(default_factory=Counter)
    # Kept in place as offline clips (media not on this machine), by kind, with reasons.
    offline: dict[str, list[str]] = field(default_factory=dict)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def keep(self, what: str, n: int = 1) -> None:
        self.kept[what] += n

    def make_offline(self, kind: str, message: str) -> None:
        self.offline.setdefault(kind, []).append(message)

    def drop(self, kind: str, message: str) -> None:
        self.dropped.setdefault(kind, []).append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    @property
    def dropped_count(self) -> int:
        return sum(len(v) for v in self.dropped.values())

    @property
    def offline_count(self) -> int:
        return sum(len(v) for v in self.offline.values())

    @property
    def placed_count(self) -> int:
        """Clips and segments kept on the tracks, online or offline."""
        return sum(n for what, n in self.kept.items() if what not in _NOT_PLACED)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "kept": dict(self.kept), "offline": self.offline,
                "dropped": self.dropped, "warnings": self.warnings}

    def format(self, limit: int = 10) -> str:
        lines = [f"Imported {self.source}" if self.source else "Import report"]
        kept = ", ".join(f"{n} {what}" for what, n in sorted(self.kept.items())) or "nothing"
        lines.append(f"  kept: {kept}")
        for kind, messages in sorted(self.offline.items()):
            lines.append(f"  offline {kind} ({len(messages)}; relink from the bin's "
                         "Relink Missing from Folder… or takeline relink PROJECT FOLDER):")
            lines += [f"    - {m}" for m in messages[:limit]]
            if len(messages) > limit:
                lines.append(f"    ... and {len(messages) - limit} more")
        for kind, messages in sorted(self.dropped.items()):
            lines.append(f"  dropped {kind} ({len(messages)}):")
            lines += [f"    - {m}" for m in messages[:limit]]
            if len(messages) > limit:
                lines.append(f"    ... and {len(messages) - limit} more")
        for w in self.warnings[:limit]:
            lines.append(f"  warning: {w}")
        if len(self.warnings) > limit:
            lines.append(f"  ... and {len(self.warnings) - limit} more warnings")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- helpers


def exact_rate(rate: float) -> Fraction:
    """The exact rate an OTIO float rate means: 23.976/29.97/59.94 (and the float of
    24000/1001 OTIO stores) are the x/1001 rates; whole numbers stay whole."""
    if not math.isfinite(rate) or rate <= 0:
        raise InterchangeError(f"invalid frame rate {rate!r} in the timeline")
    for base in _NTSC_BASES:
        if abs(rate - base * 1000 / 1001) < 0.005:
            return Fraction(base * 1000, 1001)
    if abs(rate - round(rate)) < 1e-6:
        return Fraction(round(rate))
    return Fraction(rate).limit_denominator(1001)


def _frames(t: otio.opentime.RationalTime, fps: Fraction) -> int:
    """``t`` in whole frames at ``fps`` (exact when the rates agree)."""
    value = Fraction(t.value)
    if value == 0:
        return 0
    return round(value * fps / exact_rate(t.rate))


def _plain(value: Any) -> Any:
    """OTIO AnyDictionary / AnyVector values as plain JSON-shaped Python."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "__iter__"):
        return [_plain(v) for v in value]
    return str(value)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _ours(obj: Any) -> dict[str, Any]:
    meta = obj.metadata.get(NAMESPACE) if obj is not None else None
    return _plain(meta) if meta is not None and hasattr(meta, "items") else {}


def _text(path: str) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _url(path: str) -> str:
    p = Path(path)
    return p.as_uri() if p.is_absolute() else path


def url_to_path(url: str, base_dir: Path | None = None) -> Path:
    """A local path for a media reference URL (``file://`` or a plain path)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        # Percent-encoded bytes that are not UTF-8 come back as the same file name
        # (surrogate-escaped, as os.fsdecode gives it), not as U+FFFD.
        local = urllib.request.url2pathname(
            urllib.parse.unquote(parsed.path, errors="surrogateescape"))
        if parsed.netloc and parsed.netloc != "localhost":
            local = f"//{parsed.netloc}{local}"
        return Path(local)
    if re.match(r"^[A-Za-z]:[\\/]|^\\\\", url):  # a Windows path: not relative to us
        return Path(url)
    p = Path(url)
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    return p


def _local_text(url: str) -> str:
    """Where a reference says its file is, as text: a local path for a file URL, else the
    reference as written (a Windows path, a plain path, another scheme's URL)."""
    if urllib.parse.urlparse(url).scheme == "file":
        local = str(url_to_path(url))
        # file://localhost/D:/media/x.mov (Premiere on Windows) is a Windows path.
        return local[1:] if re.match(r"^/[A-Za-z]:/", local) else local
    return url


def _reel(clip: Any) -> str:
    """The tape / reel name another editor stated for a clip (EDL, ALE, FCP 7 XML)."""
    meta = clip.metadata
    for namespace, key in (("cmx_3600", "reel"), ("ALE", "Tape"), ("ale", "Tape")):
        holder = meta.get(namespace)
        if holder is not None and hasattr(holder, "get") and holder.get(key):
            reel = str(holder.get(key))
            return "" if reel.upper() in ("AX", "BL") and namespace == "cmx_3600" else reel
    return ""


def default_media_resolver(base_dir: Path | None = None) -> MediaResolver:
    """Resolve a URL to a local file and probe it; relative paths are taken from
    ``base_dir`` (the timeline file's folder)."""

    def resolve(url: str) -> tuple[str, MediaProbe]:
        if not url:
            raise MediaUnavailable("the reference has no URL")
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("", "file") and len(parsed.scheme) > 1:
            raise MediaUnavailable(f"{parsed.scheme}: URLs are not local files")
        path = url_to_path(url, base_dir)
        if not path.is_file():
            raise MediaUnavailable(f"media not found at {path}")
        try:
            return str(path.absolute()), probe(path)
        except MediaProbeError as exc:
            raise MediaUnavailable(str(exc)) from None

    return resolve


# ----------------------------------------------------------------------------- export


def sequence_to_otio(
    sequence: Sequence,
    assets: Mapping[int, tuple[str, MediaProbe]],
    *,
    name: str | None = None,
) -> otio.schema.Timeline:
    """The sequence as an OTIO timeline; ``assets`` maps asset id -> (path, probe)."""
    fps = sequence.fps
    rate = float(fps)

    def rt(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, rate)

    def time_range(start: int, duration: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(rt(start), rt(duration))

    settings = sequence.settings
    timeline = otio.schema.Timeline(name=name or settings.name)
    timeline.metadata[NAMESPACE] = {
        "format": FORMAT_VERSION,
        "fps": format_rate(fps),
        "settings": settings.to_dict(),
        "in_point": sequence.in_point,
        "out_point": sequence.out_point,
    }
    for track in sequence.tracks.values():  # video tracks first, then audio, each by index
        kind = otio.schema.TrackKind.Video if track.kind == "video" else otio.schema.TrackKind.Audio
        ot = otio.schema.Track(name=track.name, kind=kind)
        ot.enabled = not (track.info.hidden if track.kind == "video" else track.info.muted)
        ot.metadata[NAMESPACE] = {"track": track.info.to_dict()}
        outgoing = {tr.from_item: tr for tr in track.transitions.values()}
        cursor = 0
        for item in track:
            if item.start > cursor:
                ot.append(otio.schema.Gap(source_range=time_range(0, item.start - cursor)))
            ot.append(_export_item(item, assets, fps, time_range))
            tr = outgoing.get(item.id)
            if tr is not None:
                ot.append(otio.schema.Transition(
                    name="Cross Dissolve",
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=rt(tr.in_offset),
                    out_offset=rt(tr.out_offset),
                    metadata={NAMESPACE: tr.to_dict()},
                ))
            cursor = item.end
        timeline.tracks.append(ot)
    for m in sorted(sequence.markers.values(), key=lambda m: (m.frame, m.id)):
        color = m.color.upper() if m.color.upper() in _OTIO_COLORS else "RED"
        timeline.tracks.markers.append(otio.schema.Marker(
            name=m.name, marked_range=time_range(m.frame, m.duration), color=color,
            comment=m.note, metadata={NAMESPACE: m.to_dict()},
        ))
    return timeline


def _export_item(
    item: Item, assets: Mapping[int, tuple[str, MediaProbe]], fps: Fraction,
    time_range: Callable[[int, int], otio.opentime.TimeRange],
) -> otio.schema.Clip:
    meta: dict[str, Any] = {"item": _jsonable(item.to_dict())}
    ref: Any
    if isinstance(item, GeneratedSegment):
        ref = otio.schema.GeneratorReference(
            name="Takeline generated segment",
            generator_kind=GENERATOR_KIND,
            # No media bounds; this range is there for adapters that need one (FCP 7 XML).
            available_range=time_range(0, item.source_out),
            parameters={"prompt": item.prompt, "negative_prompt": item.negative_prompt,
                        "seed": item.seed, "model": item.model},
        )
        name = item.prompt[:60] or "generated segment"
    elif isinstance(item, Clip):
        asset = assets.get(item.asset)
        if asset is None:
            ref = otio.schema.MissingReference()
            name = f"asset {item.asset}"
        else:
            path, media_probe = asset
            length = duration_in_frames(media_probe, fps)
            ref = otio.schema.ExternalReference(
                target_url=_url(path),
                # Stills last as long as you like: their range is what the clip uses.
                available_range=time_range(0, item.source_out if length is None else length),
            )
            # Names and metadata are text; a path of non-UTF-8 bytes shows them escaped
            # here, while the URL (percent-encoded bytes) keeps it exact.
            name = _text(Path(path).name)
            meta["asset"] = {"id": item.asset, "path": _text(path)}
    else:  # pragma: no cover - every item kind is handled above
        raise TypeError(f"cannot export {item!r}")
    return otio.schema.Clip(name=name, media_reference=ref,
                            source_range=time_range(item.source_in, item.duration),
                            metadata={NAMESPACE: meta})


# ----------------------------------------------------------------------------- read/write


@contextlib.contextmanager
def _adapter_output(adapter: str, warnings: list[str]) -> Iterator[None]:
    """Run an adapter with its chatter caught: what it prints (the Kdenlive adapter's
    deprecation banner on stdout would break ``--json``), logs or warns becomes one line
    in ``warnings`` instead of reaching the terminal."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), \
                py_warnings.catch_warnings(record=True) as caught:
            py_warnings.simplefilter("always")
            yield
    finally:
        root.removeHandler(handler)
        lines = [line.strip(" !\t") for line in out.getvalue().splitlines()]
        lines += [str(w.message) for w in caught]
        said = " ".join(dict.fromkeys(line for line in lines if line))  # once each, in order
        if said:
            warnings.append(f"the {adapter} adapter said: {said[:400]}"
                            + ("…" if len(said) > 400 else ""))


def _adapter_available(adapter: str) -> bool:
    try:
        return adapter in {a.name for a in otio.plugins.ActiveManifest().adapters}
    except Exception:  # a broken plugin manifest must not take the import down
        return False


# Writers by extension: (adapter, what the format is called).
WRITERS = {
    ".otio": "OpenTimelineIO", ".edl": "CMX 3600 EDL", ".xml": "Final Cut Pro 7 XML",
    ".fcpxml": "Final Cut Pro X XML", ".kdenlive": "Kdenlive project", ".aaf": "AAF",
    ".otioz": "OpenTimelineIO bundle (timeline and media in one zip)",
}
# Formats an adapter reads but nothing here writes, and why.
_NOT_WRITABLE = {".ale": "an Avid Log Exchange file is a list of media, not a timeline"}


def write_timeline(timeline: otio.schema.Timeline, path: str | Path) -> list[str]:
    """Write by extension (``WRITERS``); returns what the format could not hold, one
    sentence each (empty when it holds everything). A failed write leaves no file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        why = _NOT_WRITABLE.get(suffix)
        known = ", ".join(f"{s} ({n})" for s, n in WRITERS.items())
        raise InterchangeError(f"cannot write {path.name}: "
                               + (f"{why}; " if why else f"{suffix or 'no extension'} is "
                                  "not a timeline format Takeline writes; ")
                               + f"use {known}")
    adapter = "otioz" if suffix == ".otioz" else _ADAPTERS[suffix][0]
    package = "opentimelineio" if suffix == ".otioz" else _ADAPTERS[suffix][1]
    if suffix != ".fcpxml" and not _adapter_available(adapter):
        raise InterchangeError(f"writing {suffix} needs the OTIO adapter {adapter!r}: "
                               f"pip install {package}")
    if not path.parent.is_dir():
        raise InterchangeError(f"cannot write {path}: folder {path.parent} does not exist")
    notes: list[str] = []
    kwargs: dict[str, Any] = {}
    if adapter == "cmx_3600":
        timeline = _for_edl(timeline)
    elif adapter == "fcp_xml":
        timeline = _for_fcp7(timeline)
    elif adapter == "AAF":
        # Our clips carry no Avid mob ids: the writer makes new ones.
        kwargs["use_empty_mob_ids"] = True
        if _all_markers(timeline):
            notes.append(f"{_all_markers(timeline)} marker(s) left out: the AAF writer "
                         "does not write markers")
    elif adapter == "otioz":
        # Clips whose file is not here (offline) go in without media, not as a failure.
        kwargs["media_policy"] = otio.adapters.file_bundle_utils.MediaReferencePolicy \
            .MissingIfNotFile
    # Written beside the target and moved over it once complete: a failed write never
    # leaves half a file, nor destroys the one that was there.
    part = path.with_name(f".{path.name}.part{os.getpid()}{path.suffix}")
    try:
        if suffix == ".fcpxml":
            fps, size = _timeline_fps_size(timeline)
            notes += native.write_fcpxml(timeline, fps, size, part)
        else:
            with _adapter_output(adapter, []):  # a writer's chatter is not the user's business
                otio.adapters.write_to_file(timeline, str(part), adapter_name=adapter,
                                            **kwargs)
            if adapter == "kdenlive":
                _kdenlive_profile(part, *_timeline_fps_size(timeline))
        os.replace(part, path)
    except InterchangeError:
        part.unlink(missing_ok=True)
        raise
    except Exception as exc:
        part.unlink(missing_ok=True)
        raise InterchangeError(f"the {adapter} adapter cannot write this sequence as "
                               f"{path.name}: {type(exc).__name__}: {exc}") from None
    return notes


def _all_markers(timeline: otio.schema.Timeline) -> int:
    return len(timeline.tracks.markers) + sum(len(t.markers) for t in timeline.tracks) + sum(
        len(c.markers) for c in timeline.find_clips())


def _timeline_fps_size(timeline: otio.schema.Timeline) -> tuple[Fraction, tuple[int, int]]:
    """The exact rate and frame size of a timeline we made (our metadata), else its
    clips' rate and 1920x1080."""
    ours = _ours(timeline)
    settings = ours.get("settings") if isinstance(ours.get("settings"), dict) else {}
    try:
        fps = parse_rate(ours["fps"])
    except (KeyError, ValueError, TypeError, Exception):
        fps = _timeline_rate(timeline) or Fraction(24000, 1001)
    try:
        size = (int(settings["width"]), int(settings["height"]))
    except (KeyError, ValueError, TypeError):
        size = (1920, 1080)
    return fps, size


def _kdenlive_profile(path: Path, fps: Fraction, size: tuple[int, int]) -> None:
    """The Kdenlive writer states 1920x1080 and the float rate of the first clip; the
    project's profile is the sequence's exact rate and size."""
    tree = ET.parse(path)
    profile = tree.getroot().find("profile")
    if profile is None:
        return
    profile.set("frame_rate_num", str(fps.numerator))
    profile.set("frame_rate_den", str(fps.denominator))
    profile.set("width", str(size[0]))
    profile.set("height", str(size[1]))
    g = math.gcd(size[0], size[1])
    profile.set("display_aspect_num", str(size[0] // g))
    profile.set("display_aspect_den", str(size[1] // g))
    profile.set("description", f"{size[0]}x{size[1]} {format_rate(fps)} fps")
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _for_edl(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A CMX 3600 EDL holds one picture track: leave out empty tracks, refuse more."""
    copy = timeline.deepcopy()
    for track in list(copy.tracks):
        if not any(isinstance(c, otio.schema.Clip) for c in track):
            copy.tracks.remove(track)
    video = [t.name for t in copy.tracks if t.kind == otio.schema.TrackKind.Video]
    if len(video) > 1:
        raise InterchangeError(f"an EDL (CMX 3600) holds one video track; this sequence uses "
                               f"{len(video)} ({', '.join(video)}): export .otio or .xml, or "
                               "move everything onto one track")
    return copy


def _for_fcp7(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """FCP 7 XML has no media-less clips: generated segments go out as Slug generators
    (placeholders other editors show), their prompt in the clip name."""
    copy = timeline.deepcopy()
    # The sequence's <rate> is the adapter's global start's rate: unset, an empty sequence
    # said <timebase>1</timebase>.
    if copy.global_start_time is None:
        copy.global_start_time = otio.opentime.RationalTime(0, float(_timeline_fps_size(copy)[0]))
    for m in _every_marker(copy):
        # FCP 7 XML markers hold a comment and a colour; the adapter writes what is in
        # their "fcp_xml" metadata (it would otherwise drop the note and the colour).
        ours = _ours(m)
        fcp = _plain(m.metadata.get("fcp_xml")) if "fcp_xml" in m.metadata else {}
        note = str(ours.get("note") or m.comment or "")
        if note:
            fcp["comment"] = note
        rgb = _color_rgb(str(ours.get("color") or _marker_color(m)))
        if rgb is not None:
            fcp["color"] = {"alpha": "0", "red": str(rgb[0]), "green": str(rgb[1]),
                            "blue": str(rgb[2])}
        if fcp:
            m.metadata["fcp_xml"] = fcp
    for clip in copy.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind == GENERATOR_KIND:
            ref.metadata["fcp_xml"] = {"effectid": "Slug", "effecttype": "generator",
                                       "mediatype": "video", "effectcategory": "Matte",
                                       "name": "Slug"}
    return copy


def read_timeline(
    path: str | Path, *, rate: Fraction | None = None
) -> tuple[otio.schema.Timeline, list[str]]:
    """Read any timeline file OTIO has an adapter for; (timeline, warnings).

    EDLs carry no rate: ``rate`` is used when given, else 24, then 25 and 30 are tried.
    """
    path = Path(path)
    warnings: list[str] = []
    if not path.is_file():
        raise InterchangeError(f"cannot read {path}: no such file")
    suffix = path.suffix.lower()
    adapter, package = _ADAPTERS.get(suffix, (None, None))
    if adapter is None:
        known = ", ".join(sorted(_ADAPTERS))
        raise InterchangeError(f"cannot read {path.name}: unknown timeline format {suffix!r} "
                               f"(known: {known})")
    if not _adapter_available(adapter):
        raise InterchangeError(f"cannot read {path.name}: reading {suffix} needs the OTIO "
                               f"adapter {adapter!r}: pip install {package}")
    facts = native.file_facts(path, adapter)
    exact = native.exact_fcpx_times() if adapter == "fcpx_xml" else contextlib.nullcontext()
    try:
        with _adapter_output(adapter, warnings), exact:
            if adapter == "cmx_3600":
                result = _read_edl(path, rate, warnings)
            elif adapter == "otio_json":
                result = _read_otio_json(path, warnings)
            elif adapter == "otioz":
                result = _read_otioz(path, warnings)
            else:
                result = otio.adapters.read_from_file(str(path), adapter_name=adapter)
    except InterchangeError:
        raise
    except Exception as exc:
        raise _reader_failure(path, adapter, exc) from None
    if result is None:  # the FCPXML adapter returns nothing for a file with no project
        raise InterchangeError(f"cannot read {path.name}: no project, event or clips were "
                               f"found in it as {_FORMAT_NAMES.get(adapter, adapter)}; "
                               f"{_REEXPORT}")
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = list(result.find_children(descended_from_type=otio.schema.Timeline))
        if not timelines:
            raise InterchangeError(f"{path.name} holds no timeline")
        if len(timelines) > 1:
            warnings.append(f"{path.name} holds {len(timelines)} timelines; imported the first "
                            f"({timelines[0].name!r})")
        result = timelines[0]
    if not isinstance(result, otio.schema.Timeline):
        raise InterchangeError(f"{path.name} holds a {type(result).__name__}, not a timeline")
    if facts is not None:
        # The file's own rate and size, for otio_to_operations (the adapter lost them).
        ours = _ours(result)
        result.metadata[NAMESPACE] = {**ours, "source_facts": facts.to_json()}
    return result, warnings


_FORMAT_NAMES = {
    "otio_json": "OpenTimelineIO JSON", "cmx_3600": "a CMX 3600 EDL",
    "fcp_xml": "Final Cut Pro 7 XML", "fcpx_xml": "Final Cut Pro X XML (FCPXML)",
    "AAF": "AAF", "kdenlive": "a Kdenlive project", "ale": "an Avid Log Exchange file",
}
_REEXPORT = ("export the timeline again from its editor (or as another format: OTIO, "
             "FCP 7 XML or EDL) and import that")


def _reader_failure(path: Path, adapter: str, exc: Exception) -> InterchangeError:
    """One sentence for a reader that failed: the file, the format it was read as, what
    went wrong in words, and what to do; the library's own words only as a detail at the
    end (never a bare ``AttributeError: 'NoneType' object has no attribute 'tag'``)."""
    what = _FORMAT_NAMES.get(adapter, adapter)
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    if isinstance(exc, ET.ParseError):
        line, column = getattr(exc, "position", (None, None))
        where = f" (line {line}, column {column})" if line is not None else ""
        return InterchangeError(f"cannot read {path.name}: it is not well-formed XML{where}, "
                                f"so it cannot be {what}; {_REEXPORT}")
    if isinstance(exc, UnicodeDecodeError):
        return InterchangeError(f"cannot read {path.name}: it is not text in the encoding it "
                                f"states (byte {exc.start}), so it cannot be {what}; "
                                f"{_REEXPORT}")
    if isinstance(exc, json.JSONDecodeError):
        return InterchangeError(f"cannot read {path.name}: it is not valid JSON (line "
                                f"{exc.lineno}, column {exc.colno}), so it cannot be {what}; "
                                f"{_REEXPORT}")
    if isinstance(exc, (AttributeError, KeyError, IndexError, TypeError, ValueError,
                        ZeroDivisionError, RuntimeError)) and adapter != "otio_json":
        # Inside an adapter these mean an element or value it needs is missing or of a
        # form it does not know (a compound clip, a mix, an effect it was not written for).
        problem = native.fcpxml_problem(path) if adapter == "fcpx_xml" else None
        if problem is not None:
            return InterchangeError(f"cannot read {path.name} as {what}: {problem}; fix that "
                                    f"element, or {_REEXPORT}")
        return InterchangeError(
            f"cannot read {path.name} as {what}: the reader does not know part of what it "
            f"holds (an element or value it was not written for, such as a compound clip, "
            f"a mix or an effect); {_REEXPORT}")
    return InterchangeError(f"cannot read {path.name} as {what}: {detail or type(exc).__name__}"
                            f"; {_REEXPORT}")


def _read_edl(path: Path, rate: Fraction | None, warnings: list[str]) -> Any:
    return _dissolve_media(_read_edl_at(path, rate, warnings))


def _dissolve_media(result: Any) -> Any:
    """In a CMX 3600 dissolve the second event line is the incoming clip, and its comments
    name both sides (``* FROM CLIP:`` the outgoing one, ``* TO CLIP:`` the incoming one);
    the adapter gives the incoming clip the FROM file, so after a round trip the media
    after every dissolve was the clip before it. The TO file is the incoming clip's."""
    timelines = [result] if isinstance(result, otio.schema.Timeline) else list(
        result.find_children(descended_from_type=otio.schema.Timeline))
    for timeline in timelines:
        for clip in timeline.find_clips():
            meta = clip.metadata.get("cmx_3600")
            comments = _plain(meta.get("comments", [])) if hasattr(meta, "get") else []
            to = [c.split(":", 1)[1].strip() for c in comments
                  if isinstance(c, str) and c.upper().startswith("TO CLIP:")]
            ref = clip.media_reference
            if to and to[-1] and isinstance(ref, otio.schema.ExternalReference):
                ref.target_url = to[-1]
    return result


def _read_edl_at(path: Path, rate: Fraction | None, warnings: list[str]) -> Any:
    if rate is not None:
        return otio.adapters.read_from_file(str(path), adapter_name="cmx_3600",
                                            rate=float(rate))
    first_error: Exception | None = None
    for guess in (24, 25, 30):
        try:
            result = otio.adapters.read_from_file(str(path), adapter_name="cmx_3600", rate=guess)
        except Exception as exc:
            if "rate" not in str(exc).lower():
                raise
            first_error = first_error or exc
            continue
        if guess != 24:
            warnings.append(f"an EDL states no frame rate and its timecodes do not fit 24 fps; "
                            f"read at {guess} fps (pass --fps to choose)")
        return result
    assert first_error is not None
    raise first_error


def _read_otioz(path: Path, warnings: list[str]) -> Any:
    """An OTIO bundle: its media are unpacked once into ``NAME.media/`` beside it (a
    project refers to its media where they lie) and its references pointed there."""
    import zipfile

    if not zipfile.is_zipfile(path):
        raise InterchangeError(f"cannot read {path.name}: it is not a zip file, so it "
                               "cannot be an OpenTimelineIO bundle (.otioz)")
    folder = path.with_name(f"{path.stem}.media")
    with zipfile.ZipFile(path) as bundle:
        names = [n for n in bundle.namelist() if n.startswith("media/") and not n.endswith("/")]
        result = otio.adapters.read_from_string(bundle.read("content.otio").decode("utf-8"),
                                                adapter_name="otio_json")
        for name in names:
            target = folder / name
            if Path(name).is_absolute() or ".." in Path(name).parts:
                raise InterchangeError(f"cannot read {path.name}: its entry {name!r} points "
                                       "outside the bundle")
            if target.is_file() and target.stat().st_size == bundle.getinfo(name).file_size:
                continue  # unpacked by an earlier import
            if target.exists():
                raise InterchangeError(f"cannot unpack {path.name}: {target} exists and is "
                                       "another file; move it away and import again")
            target.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(name) as src, open(target, "xb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
    if names:
        warnings.append(f"media of the bundle unpacked into {folder}")
    for clip in result.find_clips():
        ref = clip.media_reference
        url = getattr(ref, "target_url", "") or ""
        if isinstance(ref, otio.schema.ExternalReference) and url.startswith("media/"):
            ref.target_url = (folder / url).absolute().as_uri()
    return result


def _read_otio_json(path: Path, warnings: list[str]) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        return otio.adapters.read_from_string(text, adapter_name="otio_json")
    except Exception as exc:
        if "schema version" not in str(exc):
            raise
        # Written by a newer OTIO: downgrade what we know how to (Marker.3's Color object).
        data = json.loads(text)
        changed = _downgrade_schemas(data)
        if not changed:
            raise
        warnings.append(f"written by a newer OpenTimelineIO; downgraded {changed} "
                        "object(s) (marker colours as names)")
        return otio.adapters.read_from_string(json.dumps(data), adapter_name="otio_json")


def _downgrade_schemas(node: Any) -> int:
    changed = 0
    if isinstance(node, dict):
        if node.get("OTIO_SCHEMA") == "Marker.3":
            node["OTIO_SCHEMA"] = "Marker.2"
            color = node.get("color")
            if isinstance(color, dict):
                node["color"] = str(color.get("name") or "RED").upper()
            changed += 1
        for value in node.values():
            changed += _downgrade_schemas(value)
    elif isinstance(node, list):
        for value in node:
            changed += _downgrade_schemas(value)
    return changed


# ----------------------------------------------------------------------------- import plan


@dataclass
class ImportPlan:
    """Everything needed to rebuild a timeline in a new project."""

    settings: SequenceSettings
    tracks: list[tuple[str, str, int]]  # (name, kind, index) for ``Project.create``
    # files to import or offline media to record; ``{"$media": i}`` is ``media[i]``'s asset
    media: list[str | OfflineMedia]
    operations: list[dict[str, Any]]
    report: ImportReport


@dataclass
class _Placed:
    op: dict[str, Any]
    key: int
    track: str
    start: int
    duration: int
    source_in: int
    media_len: int | None
    label: str

    @property
    def end(self) -> int:
        return self.start + self.duration


class _Planner:
    def __init__(self, timeline: otio.schema.Timeline, resolve_media: MediaResolver,
                 fps: Fraction, report: ImportReport) -> None:
        self.timeline = timeline
        self.resolve = resolve_media
        self.fps = fps
        self.report = report
        self.media: list[str | OfflineMedia] = []
        self.media_index: dict[str, int] = {}
        self.offline_index: dict[str, int] = {}
        self.resolved: dict[str, tuple[str, MediaProbe] | str] = {}
        self.places: list[dict[str, Any]] = []
        self.props: list[dict[str, Any]] = []
        self.transitions: list[dict[str, Any]] = []
        self.markers: list[dict[str, Any]] = []
        self.foreign_meta: Counter[str] = Counter()
        self.next_key = 0
        self.rate_map: dict[float, Fraction] = {}
        self.record_zero = Fraction(0)  # the record timecode of sequence frame 0 (EDL)

    # --- small helpers
    def frames(self, t: otio.opentime.RationalTime) -> int:
        return round(_seconds(t, self.rate_map) * self.fps)

    def note_metadata(self, obj: Any) -> None:
        try:
            keys = [str(k) for k in obj.metadata.keys()]
        except Exception:
            return
        for k in keys:
            if k != NAMESPACE:
                self.foreign_meta[k] += 1

    def resolve_url(self, url: str) -> tuple[str, MediaProbe] | str:
        if url not in self.resolved:
            try:
                self.resolved[url] = self.resolve(url)
            except MediaUnavailable as exc:
                self.resolved[url] = str(exc)
        return self.resolved[url]

    def offline_clip(self, clip: Any, track: str, kind: str, start: int,
                     duration: int, source_in: int, label: str, where: str, reason: str,
                     available: int | None = None) -> _Placed:
        """Keep ``clip`` in place on an offline asset for the media at ``where`` (one asset
        per reference, as long as every clip using it needs)."""
        index = self.offline_index.get(where)
        if index is None:
            index = self.offline_index[where] = len(self.media)
            self.media.append(OfflineMedia(where, reason))
        media = self.media[index]
        assert isinstance(media, OfflineMedia)
        media.frames = max(media.frames, source_in + duration, available or 0)
        media.bounded = media.bounded and available is not None
        if kind == "video":
            media.has_video = True
        else:
            media.has_audio = True
        key = self.new_key()
        op = {"op": "overwrite", "track": track, "asset": {"$media": index},
              "source_in": source_in, "source_out": source_in + duration, "at": start,
              "$ref": key, "$what": label, "$offline": f"{kind} clips"}
        self.places.append(op)
        self.restore_props(key, _ours(clip).get("item", {}) if isinstance(
            _ours(clip).get("item"), dict) else {}, Clip, label)
        self.clip_labels(key, clip, media.name)
        self.report.make_offline(f"{kind} clips", f"{label}: {reason}")
        return _Placed(op, key, track, start, duration, source_in, None, label)

    def clip_labels(self, key: int, clip: Any, file_name: str) -> None:
        """The clip's own name and reel, where they say more than the file name."""
        props: dict[str, Any] = {}
        name = str(clip.name or "")
        if name and name != file_name and not _ours(clip):
            props["name"] = name[:500]
        reel = _reel(clip)
        if reel:
            props["reel"] = reel[:500]
        if props:
            self.props.append({"op": "set", "item": {"$item": key}, **props,
                               "$what": f"{name or 'clip'}: name and reel",
                               "$kind": "item fields"})

    # --- walking
    def track_plan(self, index: int, ot: otio.schema.Track, name: str, kind: str) -> None:
        self.note_metadata(ot)
        sr = ot.source_range
        if sr is not None and sr.start_time.value < 0:
            # The EDL adapter's way of saying where record time starts.
            self.record_zero = -self.seconds(sr.start_time)
        elif sr is not None:
            self.report.warn(f"track {ot.name or name}: its trim range is ignored")
        for effect in getattr(ot, "effects", []):
            self.report.drop("effects", f"track {ot.name or name}: {_effect_name(effect)}")
        placed: list[_Placed] = []
        cuts: list[tuple[int, Any]] = []
        self.walk(ot, name, kind, Fraction(0), None, placed, cuts, nested="")
        for cut, tr in cuts:
            self.transition_plan(name, cut, tr, placed)
        for m in ot.markers:
            self.marker_plan(m, 0, f"track {name}")

    def seconds(self, t: otio.opentime.RationalTime) -> Fraction:
        return _seconds(t, self.rate_map)

    def frame_at(self, seconds: Fraction) -> int:
        """The one rounding of an edit point: exact seconds to the nearest frame."""
        return round(seconds * self.fps)

    def walk(self, ot: Any, name: str, kind: str, offset: Fraction,
             window: tuple[Fraction, Fraction] | None, placed: list[_Placed],
             cuts: list[tuple[int, Any]], nested: str) -> None:
        """Place the children of ``ot`` (a track, or a track inside a nested composition).
        Times stay exact seconds and are rounded once per edit point, so clips at another
        rate than the sequence do not drift. ``window`` (in ``ot``'s own time) is the part
        a nested composition shows; it lands at ``offset`` seconds in the sequence."""
        lo, hi = window if window is not None else (Fraction(0), None)
        t = Fraction(0)
        for child in ot:
            if isinstance(child, otio.schema.Transition):
                if nested:
                    self.report.drop("transitions", f"{name} transition inside {nested}: "
                                     "transitions of nested clips are not flattened")
                else:
                    cuts.append((self.frame_at(offset + t - lo), child))
                continue
            try:
                length = self.seconds(child.trimmed_range().duration)
            except Exception as exc:
                self.report.drop("unreadable items", f"{name}: {child.name or 'item'} "
                                 f"at {float(offset + t - lo):.3f} s: {exc}")
                continue
            own_lo, own_hi = t, t + max(length, Fraction(0))
            t = own_hi
            self.note_metadata(child)
            vis_lo = max(own_lo, lo)
            vis_hi = own_hi if hi is None else min(own_hi, hi)
            if isinstance(child, otio.schema.Gap):
                if not nested:
                    self.report.keep("gaps")
                continue
            start = self.frame_at(offset + vis_lo - lo)
            duration = self.frame_at(offset + vis_hi - lo) - start
            where = f" (in {nested})" if nested else ""
            label = f"{name} {child.name or type(child).__name__} at frame {start}{where}"
            if vis_hi <= vis_lo and nested:
                continue  # outside the part the nested clip shows
            if duration < 1:
                self.report.drop("zero-length items", label)
                continue
            if isinstance(child, otio.schema.Clip):
                trim = vis_lo - own_lo
                p = self.clip_plan(child, name, kind, start, duration, label, trim)
                if p is not None:
                    placed.append(p)
                self.item_markers(child, offset + own_lo - lo, label,
                                  (start, start + duration))
            elif isinstance(child, otio.core.Composition):
                self.flatten(child, name, kind, offset + vis_lo - lo, vis_lo - own_lo,
                             vis_hi - vis_lo, label, placed, cuts, nested)
            else:
                self.report.drop("unsupported items", f"{label}: {type(child).__name__}")

    def flatten(self, comp: Any, name: str, kind: str, at: Fraction, skip: Fraction,
                length: Fraction, label: str, placed: list[_Placed],
                cuts: list[tuple[int, Any]], nested: str) -> None:
        """A nested stack / compound clip: its inner track of this track's kind is laid
        onto this track over the part it shows; further inner tracks are reported."""
        if len(nested.split(" in ")) >= 8:
            self.report.drop("nested stacks", f"{label}: nested more than 8 deep")
            return
        inner_lo = self.seconds(comp.trimmed_range().start_time) + skip
        window = (inner_lo, inner_lo + length)
        here = f"{comp.name or 'nested clip'}" + (f" in {nested}" if nested else "")
        if isinstance(comp, otio.schema.Track):
            tracks = [comp]
        else:
            tracks = [c for c in comp if isinstance(c, otio.schema.Track)]
            same = [c for c in tracks if (c.kind == otio.schema.TrackKind.Audio) ==
                    (kind == "audio")]
            tracks = same or tracks
        if not tracks:  # a stack of items layered directly: the topmost one shows
            layers = [c for c in comp if isinstance(c, otio.schema.Clip | otio.core.Composition)]
            if not layers:  # a nested sequence whose contents the file leaves out
                start, end = self.frame_at(at), self.frame_at(at + length)
                placed.append(self.offline_clip(comp, name, kind, start, end - start,
                                  self.frame_at(inner_lo), label, comp.name or "nested clip",
                                  "a nested sequence whose contents the file does not hold"))
                return
            for under in layers[:-1]:
                self.report.drop("nested stacks", f"{label}: {under.name or 'item'} under "
                                 f"{layers[-1].name or 'the top item'} not flattened")
            self.report.keep("nested clips flattened")
            self.walk(layers[-1:], name, kind, at, window, placed, cuts, here)
            for m in comp.markers:
                self.marker_plan_at(m, at - inner_lo, f"{here}")
            return
        with_items = [c for c in tracks if any(
            isinstance(i, otio.schema.Clip | otio.core.Composition) for i in c)]
        chosen = (with_items or tracks)[0]
        for other in with_items[1:]:
            n = sum(1 for i in other if isinstance(i, otio.schema.Clip))
            self.report.drop("nested stacks", f"{label}: inner track {other.name or '?'} "
                             f"({n} clips) not flattened: only one inner track per track")
        self.report.keep("nested clips flattened")
        self.walk(chosen, name, kind, at, window, placed, cuts, here)
        for m in comp.markers:
            self.marker_plan_at(m, at - inner_lo, f"{here}")

    def clip_plan(self, clip: otio.schema.Clip, track: str, kind: str, start: int,
                  duration: int, label: str, trim: Fraction = Fraction(0)) -> _Placed | None:
        ours = _ours(clip)
        item_meta = ours.get("item", {}) if isinstance(ours.get("item"), dict) else {}
        ref = clip.media_reference
        sr = clip.trimmed_range()
        src_start = self.frame_at(self.seconds(sr.start_time) + trim)
        if not clip.enabled:
            self.report.drop("clip switches", f"{label}: disabled in the source; imported "
                             "enabled")
        self.clip_effects(clip, label)
        if isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind == GENERATOR_KIND:
            return self.generated_plan(ref, item_meta, track, kind, start, duration,
                                       src_start, label)
        name = str(clip.name or "clip")
        has_range = ref is not None and getattr(ref, "available_range", None) is not None
        base = self.frames(ref.available_range.start_time) if has_range else 0
        available = self.frames(ref.available_range.duration) if has_range else None
        source_in = src_start - base
        if source_in < 0:  # the range says the clip starts before its media: trust the clip
            base, source_in, available = 0, src_start, None
        if source_in < 0:
            self.report.drop("media", f"{label}: source range starts at a negative time; "
                             "clip not placed")
            return None
        if isinstance(ref, otio.schema.ExternalReference):
            url = ref.target_url or ""
            resolved = self.resolve_url(url) if url else "the reference has no URL"
            if isinstance(resolved, str):
                where = _local_text(url) or name
                return self.offline_clip(clip, track, kind, start, duration, source_in, label,
                                         where, resolved, available)
            path, media_probe = resolved
            ok_kind = (media_probe.video_codec is not None or media_probe.kind == "image"
                       if kind == "video" else media_probe.audio_codec is not None)
            if not ok_kind:
                what = "picture" if kind == "video" else "sound"
                return self.offline_clip(
                    clip, track, kind, start, duration, source_in, label,
                    f"{path} ({what})", f"{Path(path).name} has no {what} for a {kind} track",
                    available)
            length = duration_in_frames(media_probe, self.fps)
            if length is not None and source_in + duration > length:
                reason = (f"source frames {source_in}-{source_in + duration} lie outside "
                          f"{Path(path).name} ({length} frames): not the file the timeline "
                          "used")
                return self.offline_clip(clip, track, kind, start, duration, source_in, label,
                                         f"{path} (other media)", reason, available)
            index = self.media_index.get(path)
            if index is None:
                index = self.media_index[path] = len(self.media)
                self.media.append(path)
            key = self.new_key()
            op = {"op": "overwrite", "track": track, "asset": {"$media": index},
                  "source_in": source_in, "source_out": source_in + duration, "at": start,
                  "$ref": key, "$what": label, "$keep": f"{kind} clips"}
            self.places.append(op)
            self.restore_props(key, item_meta, Clip, label)
            self.clip_labels(key, clip, Path(path).name)
            self.report.keep(f"{kind} clips")
            return _Placed(op, key, track, start, duration, source_in, length, label)
        if isinstance(ref, otio.schema.GeneratorReference):
            kind_name = ref.generator_kind or ref.name or "?"
            reason = f"generator {kind_name!r} (Takeline makes no such media)"
            where = f"{name} (generator {kind_name})"
        elif isinstance(ref, otio.schema.ImageSequenceReference):
            reason = "image sequence (import its frames as a video to use it)"
            where = _local_text(ref.target_url_base or "") + (ref.name_prefix or name)
        elif ref is None or isinstance(ref, otio.schema.MissingReference):
            reason = "the file names no media for this clip"
            where = name
        else:
            reason = f"{type(ref).__name__} media reference (not supported)"
            where = name
        return self.offline_clip(clip, track, kind, start, duration, source_in, label,
                                 where, reason, available)

    def generated_plan(self, ref: Any, item_meta: dict[str, Any], track: str, kind: str,
                       start: int, duration: int, src_start: int, label: str) -> _Placed | None:
        if kind != "video":
            self.report.drop("generated segments", f"{label}: not on a video track")
            return None
        params = _plain(ref.parameters) if ref.parameters is not None else {}
        op: dict[str, Any] = {"op": "add_generated", "track": track, "at": start,
                              "duration": duration}
        for k in ("prompt", "negative_prompt", "seed", "model"):
            value = item_meta.get(k, params.get(k))
            if value is not None:
                op[k] = value
        if isinstance(op.get("seed"), float) and float(op["seed"]).is_integer():
            op["seed"] = int(op["seed"])
        key = self.new_key()
        op.update({"$ref": key, "$what": label, "$keep": "generated segments"})
        self.places.append(op)
        if src_start:
            self.props.append({"op": "slip", "item": {"$item": key}, "delta": src_start,
                               "$what": f"{label}: source offset"})
        self.restore_props(key, item_meta, GeneratedSegment, label)
        self.report.keep("generated segments")
        return _Placed(op, key, track, start, duration, src_start, None, label)

    def restore_props(self, key: int, item_meta: dict[str, Any], cls: type[Item],
                      label: str) -> None:
        defaults = _jsonable({f.name: f.default for f in fields(cls)
                              if f.default is not MISSING})
        later: list[dict[str, Any]] = []
        for prop, value in item_meta.items():
            if prop in _PLACED or value == defaults.get(prop, object()):
                continue
            op = {"op": "set", "item": {"$item": key}, prop: value, "$what": f"{label}: {prop}",
                  "$kind": "item fields"}
            # A take can be made active only once the segment has its takes.
            (later if prop == "active_take" else self.props).append(op)
        self.props.extend(later)

    def clip_effects(self, clip: otio.schema.Clip, label: str) -> None:
        for effect in clip.effects:
            if isinstance(effect, otio.schema.FreezeFrame):
                self.report.drop("speed changes", f"{label}: freeze frame; plays at 100 %")
            elif isinstance(effect, otio.schema.LinearTimeWarp):
                self.report.drop("speed changes", f"{label}: speed x{effect.time_scalar:g}; "
                                 "plays at 100 %")
            else:
                self.report.drop("effects", f"{label}: {_effect_name(effect)}")

    def transition_plan(self, track: str, cut: int, tr: Any, placed: list[_Placed]) -> None:
        label = f"{track} transition at frame {cut}"
        self.note_metadata(tr)
        a = next((p for p in placed if p.end == cut), None)
        b = next((p for p in placed if p.start == cut), None)
        in_off, out_off = self.frames(tr.in_offset), self.frames(tr.out_offset)
        duration = in_off + out_off
        if a is None or b is None:
            self.report.drop("transitions", f"{label}: a clip on either side was not placed")
            return
        if duration < 1:
            self.report.drop("transitions", f"{label}: zero length")
            return
        ours_in, ours_out = duration // 2, duration - duration // 2
        roll = ours_in - in_off  # move the cut so the dissolve covers the same frames
        if roll and (a.op["op"] != "overwrite" or b.op["op"] != "overwrite"
                     or a.duration + roll < 1 or b.duration - roll < 1):
            roll = 0
        a_dur, b_in, b_dur = a.duration + roll, b.source_in + roll, b.duration - roll
        if (
            ours_in > a_dur or ours_out > b_dur
            or (a.media_len is not None and a.source_in + a_dur + ours_out > a.media_len)
            or b_in - ours_in < 0
        ):
            self.report.drop("transitions", f"{label}: {duration} frames need media handles "
                             "the clips do not have")
            return
        if roll:
            a.duration, b.start, b.source_in, b.duration = a_dur, b.start + roll, b_in, b_dur
            a.op["source_out"] += roll
            b.op.update(at=b.start, source_in=b.source_in)
            cut += roll
            self.report.warn(f"{label}: offsets {in_off}/{out_off} centred on the cut by "
                             f"rolling it to frame {cut} (the same frames dissolve)")
        elif (in_off, out_off) != (ours_in, ours_out):
            self.report.warn(f"{label}: offsets {in_off}/{out_off} re-centred to "
                             f"{ours_in}/{ours_out} on the cut")
        if tr.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve:
            self.report.warn(f"{label}: {tr.transition_type or 'custom'} imported as a "
                             "cross-dissolve")
        self.transitions.append({"op": "add_transition", "track": track, "at": cut,
                                 "duration": duration, "$what": label, "$keep": "transitions"})
        self.report.keep("transitions")

    def item_markers(self, clip: otio.schema.Clip, clip_zero: Fraction, label: str,
                     bounds: tuple[int, int]) -> None:
        """Clip markers are in the clip's source time; ``clip_zero`` is where the clip's
        own (untrimmed by a nested window) start lands, in sequence seconds. A marker
        outside the part of the clip that shows is kept on the sequence at its time."""
        if not clip.markers:
            return
        src_start = self.seconds(clip.trimmed_range().start_time)
        for m in clip.markers:
            if "cmx_3600" in m.metadata:
                # An EDL locator (LOC) states record time, the sequence's own timecode;
                # the adapter puts it on the clip as if it were source time.
                self.marker_plan_at(m, -self.record_zero, label, bounds)
            else:
                self.marker_plan_at(m, clip_zero - src_start, label, bounds)

    def marker_plan(self, m: Any, offset: int, where: str) -> None:
        self.marker_plan_at(m, Fraction(offset) / self.fps, where)

    def marker_plan_at(self, m: Any, offset: Fraction, where: str,
                       bounds: tuple[int, int] | None = None) -> None:
        self.note_metadata(m)
        ours = _ours(m)
        start = self.seconds(m.marked_range.start_time) + offset
        at = self.frame_at(start)
        duration = max(self.frame_at(start + self.seconds(m.marked_range.duration)) - at, 0)
        name = f"marker {m.name!r} on {where}"
        if at < 0:
            self.report.drop("markers", f"{name}: at frame {at}, before the sequence starts")
            return
        if bounds is not None and not bounds[0] <= at < max(bounds[1], bounds[0] + 1):
            self.report.warn(f"{name}: outside the part of the clip that shows; kept on the "
                             f"sequence at frame {at}")
        fcp = _plain(m.metadata.get("fcp_xml")) if "fcp_xml" in m.metadata else {}
        fcp = fcp if isinstance(fcp, dict) else {}
        # FCP 7 XML states a marker's note as <comment> and its colour as <color> RGB; the
        # adapter leaves both in its metadata.
        color = str(ours.get("color") or _rgb_color(fcp.get("color")) or _marker_color(m))
        note = str(ours.get("note") or getattr(m, "comment", "") or fcp.get("comment") or "")
        self.markers.append({"op": "add_marker", "at": at, "duration": duration,
                             "name": str(m.name), "color": color, "note": note,
                             "$what": name, "$keep": "markers"})
        self.report.keep("markers")

    def new_key(self) -> int:
        self.next_key += 1
        return self.next_key


# Marker colours as RGB for formats that state colours as numbers (FCP 7 XML).
_MARKER_RGB = {
    "red": (255, 0, 0), "orange": (255, 128, 0), "yellow": (255, 255, 0),
    "green": (0, 255, 0), "cyan": (0, 255, 255), "blue": (0, 0, 255),
    "purple": (128, 0, 255), "magenta": (255, 0, 255), "pink": (255, 128, 192),
    "white": (255, 255, 255), "black": (0, 0, 0), "teal": (0, 128, 128),
}


def _color_rgb(color: str) -> tuple[int, int, int] | None:
    color = color.strip().lower()
    if color in _MARKER_RGB:
        return _MARKER_RGB[color]
    m = re.fullmatch(r"#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", color)
    return (int(m[1], 16), int(m[2], 16), int(m[3], 16)) if m else None


def _rgb_color(value: Any) -> str | None:
    """A colour element's red/green/blue (0-255) as one of our names, else ``#rrggbb``."""
    if not hasattr(value, "get"):
        return None
    try:
        rgb = tuple(max(0, min(255, int(float(str(value.get(k))))))
                    for k in ("red", "green", "blue"))
    except (TypeError, ValueError):
        return None
    for name, known in _MARKER_RGB.items():
        if known == rgb:
            return name
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _every_marker(timeline: otio.schema.Timeline) -> Iterator[Any]:
    yield from timeline.tracks.markers
    for child in timeline.tracks.find_children():
        yield from getattr(child, "markers", [])


def _marker_color(m: Any) -> str:
    color = m.color
    if color is not None and not isinstance(color, str):  # OTIO 0.18's Color object
        color = getattr(color, "name", None)
    return str(color or "blue").lower()


def _seconds(t: otio.opentime.RationalTime,
             rate_map: Mapping[float, Fraction] | None = None) -> Fraction:
    """``t`` in exact seconds. ``rate_map`` repairs rates an adapter wrote wrongly (FCPXML
    NTSC rates truncated to whole numbers)."""
    value = Fraction(t.value)
    if value == 0:
        return Fraction(0)
    rate = (rate_map or {}).get(t.rate) or exact_rate(t.rate)
    return value / rate


def _effect_name(effect: Any) -> str:
    return effect.effect_name or effect.name or type(effect).__name__


def _timeline_rate(timeline: otio.schema.Timeline) -> Fraction | None:
    for child in timeline.find_children():
        try:
            duration = child.trimmed_range().duration
        except Exception:
            continue
        # An empty track says RationalTime(0, 1): not a rate (a Kdenlive project whose
        # first track is empty came out at 1 fps).
        if duration.rate > 0 and duration.value > 0:
            return exact_rate(duration.rate)
    if timeline.global_start_time is not None:
        return exact_rate(timeline.global_start_time.rate)
    return None


def _rate_text(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else format_rate(rate)


_LOWEST_RATE = 10  # below this a sequence rate is a mistake in the file (timebase 1)


def _plausible_rate(timeline: otio.schema.Timeline) -> tuple[Fraction, str]:
    """The most used clip or media rate of at least ``_LOWEST_RATE``, else 24000/1001."""
    rates: Counter[Fraction] = Counter()
    for clip in timeline.find_clips():
        for rng in (clip.source_range, getattr(clip.media_reference, "available_range", None)):
            if rng is not None and rng.duration.rate >= _LOWEST_RATE:
                rates[exact_rate(rng.duration.rate)] += 1
    if rates:
        return rates.most_common(1)[0][0], "the rate of its clips"
    return Fraction(24000, 1001), "the default"


def otio_to_operations(
    timeline: otio.schema.Timeline,
    *,
    resolve_media: MediaResolver,
    fps: Fraction | None = None,
    size: tuple[int, int] | None = None,
    source: str = "",
) -> ImportPlan:
    """Plan the rebuild of ``timeline`` in a new project (nothing is touched here).

    ``fps``/``size`` override the file's; the rate otherwise comes from our metadata
    (exact ``num/den``) or from the file's rates (23.976 -> 24000/1001 and so on).
    """
    report = ImportReport(source=source or timeline.name or "")
    ours = _ours(timeline)
    stored = ours.get("settings") if isinstance(ours.get("settings"), dict) else None
    # Read from the file itself where the adapter loses it (native.file_facts).
    facts = native.FileFacts.from_json(ours.get("source_facts"))
    settings = SequenceSettings(name=timeline.name or "Sequence 1")
    if stored is not None:
        try:
            settings = SequenceSettings.from_dict(stored)
        except (KeyError, ValueError, TypeError) as exc:
            report.warn(f"Takeline settings in the file are unreadable ({exc}); using defaults")
    else:
        rate = facts.fps if facts is not None and facts.fps else _timeline_rate(timeline)
        if rate is not None and rate < _LOWEST_RATE and fps is None:
            # FCP 7 XML with <timebase>1</timebase> (an empty sequence's export, some
            # scripts): times are still right in seconds, but no sequence runs at that rate.
            better, whose = _plausible_rate(timeline)
            report.warn(f"the file states {_rate_text(rate)} fps for the sequence, which no "
                        f"editor uses; using {_rate_text(better)} fps, {whose} (pass --fps "
                        "to choose)")
            rate = better
        if rate is not None:
            settings.fps = rate
        elif fps is None:
            report.warn("the file states no frame rate; using 24000/1001")
        if facts is not None and facts.size:
            settings.width, settings.height = facts.size
        elif size is None:
            report.warn(f"the file states no frame size; using {settings.width}x"
                        f"{settings.height} (pass --size to choose)")
    if fps is not None:
        settings.fps = parse_rate(fps)
    if size is not None:
        settings.width, settings.height = size
    if timeline.global_start_time is not None and timeline.global_start_time.value:
        report.drop("timeline start", f"start timecode {timeline.global_start_time.value:g} "
                    f"@ {timeline.global_start_time.rate:g} fps (sequences start at frame 0)")

    planner = _Planner(timeline, resolve_media, settings.fps, report)
    if facts is not None:
        planner.rate_map = {float(r): r for r in facts.rates}
    planner.note_metadata(timeline)
    tracks: list[tuple[str, str, int]] = []
    switches: list[dict[str, Any]] = []
    counts = {"video": 0, "audio": 0}
    stack = timeline.tracks
    for child in stack:
        if not isinstance(child, otio.schema.Track):
            report.drop("nested stacks", f"top-level {type(child).__name__} "
                        f"{child.name!r} (not a track)")
            continue
        kind = "audio" if child.kind == otio.schema.TrackKind.Audio else "video"
        if child.kind not in (otio.schema.TrackKind.Audio, otio.schema.TrackKind.Video):
            report.warn(f"track {child.name!r} of kind {child.kind!r} imported as video")
        counts[kind] += 1
        info = _ours(child).get("track", {})
        index = counts[kind]
        name = f"{'V' if kind == 'video' else 'A'}{index}"
        tracks.append((name, kind, index))
        planner.track_plan(len(tracks), child, name, kind)
        flags = {k: bool(info[k]) for k in ("muted", "solo", "locked", "hidden")
                 if isinstance(info, dict) and info.get(k)}
        if not info and not child.enabled:
            flags["hidden" if kind == "video" else "muted"] = True
        if flags:
            switches.append({"op": "set_track", "track": name, **flags,
                             "$what": f"track {name} switches"})
    for kind, prefix in (("video", "V"), ("audio", "A")):
        if counts[kind] == 0:  # a project always has at least one track of each kind
            tracks.append((f"{prefix}1", kind, 1))
    tracks.sort(key=lambda t: (t[1] != "video", t[2]))
    report.keep("tracks", counts["video"] + counts["audio"])
    for m in stack.markers:
        planner.marker_plan(m, 0, "the timeline")
    for effect in getattr(stack, "effects", []):
        report.drop("effects", f"timeline: {_effect_name(effect)}")

    if stored is None and not planner.places and not planner.markers:
        raise InterchangeError(_nothing_to_import(report, stack))
    operations = planner.places + planner.props + planner.transitions + planner.markers
    in_point, out_point = ours.get("in_point"), ours.get("out_point")
    if in_point is not None or out_point is not None:
        operations.append({"op": "set_in_out", "in_point": in_point, "out_point": out_point,
                           "$what": "in/out points"})
    operations += switches  # last: a locked track refuses the edits above
    for namespace, n in sorted(planner.foreign_meta.items()):
        report.drop("metadata", f"{namespace!r} metadata on {n} object(s) not interpreted")
    return ImportPlan(settings=settings, tracks=tracks, media=planner.media,
                      operations=operations, report=report)


def _nothing_to_import(report: ImportReport, stack: Any) -> str:
    """What an import that would keep nothing found, in one sentence (it is refused: an
    empty project from a timeline that held something is a silent loss, and one from a
    timeline that held nothing is not what the user meant to import)."""
    name = Path(report.source).name if report.source else "the timeline"
    tracks = [t for t in stack if isinstance(t, otio.schema.Track)]
    items = sum(len(t) for t in tracks)
    dropped = sum(len(v) for v in report.dropped.values())
    if dropped:
        first = next(f"{kind}: {messages[0]}" for kind, messages in report.dropped.items()
                     if messages)
        return (f"nothing to import from {name}: of its {len(tracks)} track(s), no clip or "
                f"marker could be kept ({dropped} item(s) dropped, e.g. {first})")
    found = ("it holds no tracks" if not tracks else
             f"its {len(tracks)} track(s) hold only gaps ({items})" if items else
             f"its {len(tracks)} track(s) are empty")
    return (f"nothing to import from {name}: {found} and it has no markers; check that "
            "this is the timeline you meant (export it again from its editor with its "
            "clips)")


# ----------------------------------------------------------------------------- apply


class ProjectLike(Protocol):
    """What ``apply_plan`` needs of a project (``project_store.project.Project``)."""

    @property
    def sequence(self) -> Sequence: ...

    def import_media(self, paths: Any) -> list[Any]: ...

    def add_offline_media(self, path: str, what: MediaProbe) -> Any: ...

    def batch(self) -> AbstractContextManager[None]: ...

    def execute(self, params: dict[str, Any]) -> Any: ...


class _Unresolved(Exception):
    pass


def _resolve(value: Any, assets: Mapping[int, int], items: Mapping[int, int]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$media"}:
            if value["$media"] not in assets:
                raise _Unresolved
            return assets[value["$media"]]
        if set(value) == {"$item"}:
            if value["$item"] not in items:
                raise _Unresolved
            return items[value["$item"]]
        return {k: _resolve(v, assets, items) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, assets, items) for v in value]
    return value


def apply_plan(plan: ImportPlan, project: ProjectLike) -> ImportReport:
    """Import the plan's media and run its operations on ``project`` (one transaction for
    the edits). An operation the model refuses is skipped and reported, never fatal."""
    report = plan.report
    asset_ids: dict[int, int] = {}
    s = plan.settings
    for index, path in enumerate(plan.media):
        try:
            if isinstance(path, OfflineMedia):
                what = path.probe(s.fps, (s.width, s.height), s.sample_rate)
                asset_ids[index] = project.add_offline_media(path.path, what).id
            else:
                asset_ids[index] = project.import_media([path])[0].id
        except Exception as exc:  # ImportMediaError and friends: report, carry on
            report.drop("media", f"{path if isinstance(path, str) else path.path}: "
                        f"import failed: {exc}")
    items: dict[int, int] = {}
    with project.batch():
        for op in plan.operations:
            what = op.get("$what", op.get("op"))
            try:
                params = _resolve({k: v for k, v in op.items() if not k.startswith("$")},
                                  asset_ids, items)
            except _Unresolved:
                _unkeep(report, op)
                continue  # depends on something not placed, which is reported already
            try:
                project.execute(params)
            except (EditError, ValueError, TypeError) as exc:
                kind = op.get("$kind", _DROP_KIND.get(str(op.get("op")), "operations"))
                report.drop(kind, f"{what}: {exc}")
                _unkeep(report, op)
                continue
            if "$ref" in op:
                placed = project.sequence.track(params["track"]).item_starting_at(params["at"])
                if placed is not None:
                    items[op["$ref"]] = placed.id
    return report


_DROP_KIND = {"overwrite": "media", "add_generated": "generated segments",
              "add_transition": "transitions", "add_marker": "markers"}


def _unkeep(report: ImportReport, op: dict[str, Any]) -> None:
    if "$offline" in op:
        messages = report.offline.get(op["$offline"], [])
        mine = next((m for m in messages if m.startswith(f"{op.get('$what')}: ")), None)
        if mine is not None:
            messages.remove(mine)
        if not messages:
            report.offline.pop(op["$offline"], None)
    if "$keep" in op:
        report.kept[op["$keep"]] -= 1
        if report.kept[op["$keep"]] <= 0:
            del report.kept[op["$keep"]]
