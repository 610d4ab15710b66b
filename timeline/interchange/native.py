"""What the OpenTimelineIO adapters lose, read from the timeline file itself.

* FCPXML: the adapter truncates every rate to a whole number (``int(30000 / 1001)`` = 29)
  and truncates times to frames at that rate, so a 29.97 fps sequence comes out at 29 fps
  with clips a frame or more short. ``exact_fcpx_times`` runs the adapter with its timing
  helpers replaced by exact ones (the rate of each ``format``'s ``frameDuration`` as a
  fraction; a time in whole frames by exact arithmetic); ``file_facts`` reads the sequence's
  own format (rate and size) for the sequence settings.
* Kdenlive: the profile (``frame_rate_num``/``frame_rate_den``, ``width``/``height``) is
  the project's rate and size, whatever its first track holds.

Only these two formats are read here; for the rest ``file_facts`` returns None.
"""

from __future__ import annotations

import contextlib
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileFacts:
    """The sequence's rate and size as the file states them, and every rate it uses."""

    fps: Fraction | None = None
    size: tuple[int, int] | None = None
    rates: tuple[Fraction, ...] = field(default=())
    where: str = ""  # the element they were read from, for the report

    def to_json(self) -> dict[str, Any]:
        return {"fps": None if self.fps is None else f"{self.fps.numerator}/{self.fps.denominator}",
                "size": list(self.size) if self.size else None,
                "rates": [f"{r.numerator}/{r.denominator}" for r in self.rates],
                "where": self.where}

    @classmethod
    def from_json(cls, data: Any) -> FileFacts | None:
        if not isinstance(data, dict):
            return None
        try:
            fps = Fraction(data["fps"]) if data.get("fps") else None
            size = data.get("size")
            return cls(fps=fps if fps is None or fps > 0 else None,
                       size=(int(size[0]), int(size[1])) if size else None,
                       rates=tuple(Fraction(r) for r in data.get("rates", []) if Fraction(r) > 0),
                       where=str(data.get("where", "")))
        except (KeyError, ValueError, TypeError, ZeroDivisionError, IndexError):
            return None


def _fraction(text: str | None) -> Fraction | None:
    """``"1001/30000s"``, ``"3s"``, ``"2.5s"`` as exact seconds (None when unreadable)."""
    if not text:
        return None
    num, _, den = text.strip().removesuffix("s").partition("/")
    try:
        value = Fraction(num) / Fraction(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return value


def _time(text: Any) -> Fraction:
    """An FCPXML time attribute; a value that is none is refused (not read as 0)."""
    if text is None or text == "0s":
        return Fraction(0)
    value = _fraction(str(text))
    if value is None:
        raise ValueError(f"{text!r} is not a time")
    return value


_FCPX_CLIPS = ("asset-clip", "clip", "ref-clip", "gap", "video", "audio", "title",
               "mc-clip", "sync-clip", "transition")


def _describe(element: ET.Element, *attrs: str) -> str:
    shown = " ".join(f"{a}={element.get(a)!r}" for a in ("name", *attrs)
                     if element.get(a) is not None)
    return f"<{element.tag}{' ' + shown if shown else ''}>"


def fcpxml_problem(path: Path) -> str | None:
    """Why the FCPXML adapter could not read ``path``, naming the element, for the
    mistakes a reader trips on: a project with no sequence, a reference to a resource or
    format that is not in ``<resources>``, a time that is not one. None when none of these
    is found (the file uses something the adapter does not know)."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError, ValueError):
        return None
    ids = {e.get("id"): e for e in root.iter() if e.get("id") is not None}
    formats = {f.get("id") for f in root.iter("format")}
    for project in root.iter("project"):
        if project.find("sequence") is None:
            return f"{_describe(project)} holds no <sequence>"
    for element in root.iter():
        fmt = element.get("format")
        if fmt is not None and element.tag != "format" and fmt not in formats:
            return (f"{_describe(element, 'format')} names a format that is not in "
                    "<resources>")
        if element.tag == "format" and element.get("frameDuration") is not None:
            duration = _fraction(element.get("frameDuration"))
            if not duration or duration <= 0:
                return f"{_describe(element, 'frameDuration')}: not a frame duration"
        if element.tag in _FCPX_CLIPS:
            ref = element.get("ref")
            if ref is not None and ref not in ids:
                return f"{_describe(element, 'ref')} refers to {ref!r}, which is not in <resources>"
            for attr in ("offset", "start", "duration"):
                value = element.get(attr)
                if value is not None and value != "0s" and _fraction(value) is None:
                    return f"{_describe(element, attr)}: {value!r} is not a time"
    return None


def _size(element: ET.Element) -> tuple[int, int] | None:
    try:
        w, h = int(element.get("width", "")), int(element.get("height", ""))
    except ValueError:
        return None
    return (w, h) if w > 0 and h > 0 else None


def _fcpx_facts(root: ET.Element) -> FileFacts | None:
    formats = {f.get("id"): f for f in root.iter("format")}
    rates: list[Fraction] = []
    for f in formats.values():
        duration = _fraction(f.get("frameDuration"))
        if duration and duration > 0 and 1 / duration not in rates:
            rates.append(1 / duration)
    # The sequence the adapter imports: the first project's (library > event > project).
    sequence = next(iter(root.iter("sequence")), None)
    if sequence is None:
        return FileFacts(rates=tuple(rates)) if rates else None
    fmt = formats.get(sequence.get("format"))
    if fmt is None:
        return FileFacts(rates=tuple(rates)) if rates else None
    duration = _fraction(fmt.get("frameDuration"))
    fps = 1 / duration if duration and duration > 0 else None
    return FileFacts(fps=fps, size=_size(fmt), rates=tuple(rates),
                     where=f"<format id={fmt.get('id')!r} frameDuration="
                           f"{fmt.get('frameDuration')!r}> of the sequence")


def _kdenlive_facts(root: ET.Element) -> FileFacts | None:
    profile = root.find("profile")
    if profile is None:
        return None
    try:
        fps = Fraction(int(profile.get("frame_rate_num", "")),
                       int(profile.get("frame_rate_den", "1")))
    except (ValueError, ZeroDivisionError):
        fps = None
    if fps is not None and fps <= 0:
        fps = None
    return FileFacts(fps=fps, size=_size(profile), rates=(fps,) if fps else (),
                     where="<profile> of the project")


def file_facts(path: Path, adapter: str) -> FileFacts | None:
    """The rate and size ``path`` states for its sequence, for the adapters that lose them
    (``fcpx_xml``, ``kdenlive``); None for other formats or a file that does not parse
    (the adapter then says why)."""
    reader = {"fcpx_xml": _fcpx_facts, "kdenlive": _kdenlive_facts}.get(adapter)
    if reader is None:
        return None
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError, ValueError):
        return None
    return reader(root)


@contextlib.contextmanager
def exact_fcpx_times() -> Iterator[None]:
    """Run the FCPXML adapter with exact timing: each format's rate is its
    ``frameDuration`` inverted (29.97 stays 30000/1001, not 29), and a time becomes whole
    frames by the adapter's own rule (the frames it holds entirely: floor) in exact
    arithmetic: through floats, 3.003 s at 29.97 fps became 89 frames, not 90, and
    17300/3000 s at 30 fps 172, not 173. A time between frames (an asset's length in its
    audio timebase) keeps only its whole frames. Patches the adapter module for the duration of a
    read (reads are not run concurrently)."""
    import opentimelineio as otio

    try:
        # The module OTIO's plugin system loaded (not the package's own import: another
        # module object).
        module = otio.adapters.from_name("fcpx_xml").module()
    except Exception:  # not installed, or a broken manifest: nothing to repair
        yield
        return
    reader = getattr(module, "FcpxXml", None)
    if reader is None or not all(hasattr(reader, n) for n in (
            "_format_frame_duration", "_format_frame_rate", "_number_of_frames")) \
            or not hasattr(module, "to_rational_time"):
        yield  # an adapter version we do not know: leave it alone
        return

    def format_rate(self: Any, format_id: Any) -> float:
        total, rate = self._format_frame_duration(format_id)
        return float(Fraction(rate) / Fraction(total))

    def number_of_frames(self: Any, time_value: Any, format_id: Any) -> int:
        seconds = _time(time_value)
        if not seconds:
            return 0
        total, rate = self._format_frame_duration(format_id)
        return math.floor(seconds * Fraction(rate) / Fraction(total))

    def to_rational_time(rational_number: Any, fps: Any) -> Any:
        from timeline.interchange.otio_io import exact_rate

        seconds = _time(rational_number)
        return otio.opentime.RationalTime(math.floor(seconds * exact_rate(float(fps))),
                                          float(fps))

    saved = (reader._format_frame_rate, reader._number_of_frames, module.to_rational_time)
    reader._format_frame_rate = format_rate
    reader._number_of_frames = number_of_frames
    module.to_rational_time = to_rational_time
    try:
        yield
    finally:
        reader._format_frame_rate, reader._number_of_frames, module.to_rational_time = saved


# ----------------------------------------------------------------------------- FCPXML writer


def _fcpx_time(seconds: Fraction) -> str:
    """An exact FCPXML time: ``0s``, ``2s`` or ``1001/30000s`` (never a rounded decimal)."""
    if seconds == 0:
        return "0s"
    if seconds.denominator == 1:
        return f"{seconds.numerator}s"
    return f"{seconds.numerator}/{seconds.denominator}s"


def write_fcpxml(timeline: Any, fps: Fraction, size: tuple[int, int], path: Path) -> list[str]:
    """Write ``timeline`` (an OTIO timeline as ``sequence_to_otio`` makes it) as FCPXML 1.8,
    every time exact at ``fps`` (the format's ``frameDuration`` is ``1/fps`` exactly: 29.97
    is ``1001/30000s``, which the OTIO adapter's writer cannot say for other rates).

    The first video track is the primary storyline (its gaps as ``<gap>``); the other video
    tracks are connected clips on lanes 1, 2, ... and audio tracks on lanes -1, -2, ...,
    each attached to the storyline element under its start. Sequence markers go on the
    storyline element (or the connected clip) under them. Returns what FCPXML could not
    hold, one sentence each."""
    import opentimelineio as otio

    notes: list[str] = []
    frame = 1 / fps

    def sec(t: Any) -> Fraction:
        from timeline.interchange.otio_io import exact_rate

        value = Fraction(t.value)
        return Fraction(0) if value == 0 else value / exact_rate(t.rate)

    def frames(t: Any) -> int:
        return round(sec(t) * fps)

    def at(n: int) -> str:
        return _fcpx_time(n * frame)

    root = ET.Element("fcpxml", version="1.8")
    resources = ET.SubElement(root, "resources")
    fmt_id = "r1"
    ET.SubElement(resources, "format", id=fmt_id, frameDuration=_fcpx_time(frame),
                  width=str(size[0]), height=str(size[1]),
                  name=f"FFVideoFormat{size[1]}p{float(fps):.2f}".replace(".", ""))
    assets: dict[tuple[str, bool], str] = {}

    def asset_for(clip: Any, audio: bool) -> str:
        ref = clip.media_reference
        src = getattr(ref, "target_url", "") or ""
        key = (src or f"offline:{clip.name}", audio)
        if key not in assets:
            rid = f"r{len(assets) + 2}"
            assets[key] = rid
            rng = getattr(ref, "available_range", None)
            length = frames(rng.duration) if rng is not None else 0
            length = max(length, frames(clip.source_range.start_time
                                        + clip.source_range.duration))
            # One asset per use: FCPXML says picture or sound by the asset's flags.
            ET.SubElement(resources, "asset", id=rid, name=str(clip.name or "clip"),
                          src=src, start="0s", duration=at(length),
                          hasVideo="0" if audio else "1", hasAudio="1" if audio else "0",
                          format=fmt_id)
        return assets[key]

    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    end = max((frames(t.duration()) for t in timeline.tracks), default=0)
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name=str(timeline.name or "Takeline"))
    project = ET.SubElement(event, "project", name=str(timeline.name or "Sequence"))
    sequence = ET.SubElement(project, "sequence", format=fmt_id, duration=at(end),
                             tcStart="0s", tcFormat="NDF")
    spine = ET.SubElement(sequence, "spine")
    # Storyline elements: (start, duration, source start, element).
    story: list[tuple[int, int, int, ET.Element]] = []
    generated = 0

    def clip_element(clip: Any, start: int, lane: int | None, is_audio: bool) -> ET.Element:
        nonlocal generated
        ref = clip.media_reference
        if isinstance(ref, otio.schema.GeneratorReference):
            generated += 1
        src_in = frames(clip.source_range.start_time)
        length = frames(clip.source_range.duration)
        attrs = {"name": str(clip.name or "clip"), "offset": at(start), "duration": at(length),
                 "start": at(src_in)}
        if lane is not None:
            attrs["lane"] = str(lane)
        rid = asset_for(clip, is_audio)
        if is_audio:
            # A sound-only clip: <clip> holding the asset's <audio> (the form the adapter
            # reads as an audio track).
            element = ET.Element("clip", attrs)
            ET.SubElement(element, "audio", ref=rid, offset=at(src_in), start=at(src_in),
                          duration=at(length), role="dialogue")
        else:
            element = ET.Element("asset-clip", {**attrs, "ref": rid, "format": fmt_id})
        return element

    cursor = 0
    primary = video[0] if video else None
    if primary is not None:
        for child in primary:
            if isinstance(child, otio.schema.Transition):
                continue
            n = frames(child.duration())
            if isinstance(child, otio.schema.Clip):
                element = clip_element(child, cursor, None, False)
                story.append((cursor, n, frames(child.source_range.start_time), element))
            else:
                element = ET.Element("gap", name="Gap", offset=at(cursor), duration=at(n),
                                     start="0s")
                story.append((cursor, n, 0, element))
            spine.append(element)
            cursor += n
    if cursor < end or not story:  # connected clips need a storyline element under them
        n = max(end - cursor, 1)
        element = ET.Element("gap", name="Gap", offset=at(cursor), duration=at(n), start="0s")
        story.append((cursor, n, 0, element))
        spine.append(element)
        cursor += n

    def under(f: int) -> tuple[int, int, int, ET.Element]:
        return next((s for s in story if s[0] <= f < s[0] + s[1]), story[-1])

    connected: list[tuple[int, int, int, ET.Element, bool]] = []
    lanes = [(t, i + 1, False) for i, t in enumerate(video[1:])]
    lanes += [(t, -(i + 1), True) for i, t in enumerate(audio)]
    for track, lane, is_audio in lanes:
        t = 0
        for child in track:
            if isinstance(child, otio.schema.Transition):
                continue
            n = frames(child.duration())
            if isinstance(child, otio.schema.Clip):
                s_start, _, s_src, parent = under(t)
                # A connected clip's offset is in its parent's own (source) time.
                element = clip_element(child, s_src + t - s_start, lane, is_audio)
                parent.append(element)
                connected.append((t, n, frames(child.source_range.start_time), element,
                                  parent.tag == "gap"))
            t += n
    transitions = sum(1 for t in timeline.tracks for c in t
                      if isinstance(c, otio.schema.Transition))
    if transitions:
        notes.append(f"{transitions} dissolve(s) left out: the FCPXML reader cannot read "
                     "transitions back (export .xml or .otio to keep them)")
    if generated:
        notes.append(f"{generated} generated segment(s) written as offline clips named by "
                     "their prompt (FCPXML holds no generator)")
    markers = list(timeline.tracks.markers)
    for m in markers:
        f = frames(m.marked_range.start_time)
        # On the clip under the marker; a marker over a storyline gap goes on a connected
        # clip there (a gap's markers are not read back), else on the nearest clip.
        s_start, s_len, s_src, parent = under(f)
        if parent.tag == "gap":
            hit = next((c for c in connected if c[4] and c[0] <= f < c[0] + c[1]), None)
            if hit is not None:
                s_start, s_len, s_src, parent = hit[0], hit[1], hit[2], hit[3]
            else:
                clips = [s for s in story if s[3].tag != "gap"]
                if not clips:
                    notes.append(f"marker {m.name!r} left out: no clip to hold it")
                    continue
                s_start, s_len, s_src, parent = min(
                    clips, key=lambda s: min(abs(f - s[0]), abs(f - s[0] - s[1] + 1)))
        length = max(frames(m.marked_range.duration), 1)  # FCP markers last a frame at least
        attrs = {"start": at(s_src + f - s_start), "duration": at(length),
                 "value": str(m.name or "Marker")}
        if m.comment:
            attrs["note"] = str(m.comment)
        ET.SubElement(parent, "marker", attrs)
    for element in root.iter():  # FCPXML wants a clip's markers before its connected clips
        kids = list(element)
        if any(k.tag == "marker" for k in kids):
            order = sorted(kids, key=lambda k: k.tag != "marker" and k.tag not in (
                "video", "audio"))
            for k in kids:
                element.remove(k)
            element.extend(order)
    ET.indent(root)
    data = ET.tostring(root, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + data
                    + "\n", encoding="utf-8")
    return notes
