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
