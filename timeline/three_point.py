"""Three-point editing: the four marks of a source-to-record edit, any three given, the fourth
computed (as in every NLE since the Moviola's successors).

The marks are the source In/Out (frames from the start of the media, at the sequence rate,
Out exclusive) and the record In/Out (sequence frames, Out exclusive). When the record side
has no mark at all, the playhead is its In. Rules, as Premiere and Avid apply them:

* record In and Out both marked: they fix the duration; the source gives one end (its In,
  else its Out, else the media's start) and the other end is computed;
* otherwise the source fixes the duration (its In, else the media's start, to its Out, else
  the media's end) and the record side gives one end: its In (or the playhead) or, with only
  an Out, the edit is back-timed to end there;
* all four marked with durations that differ: refused, saying by how many frames.

Pure arithmetic on integers; the edit operations (``timeline.edits``) check what they place
against the media's length through ``media_length`` like every other edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from timeline.model import EditError


@dataclass(frozen=True)
class EditPoints:
    """The resolved edit: source frames ``[source_in, source_out)`` land on sequence frames
    ``[record_in, record_in + duration)``."""

    source_in: int
    source_out: int
    record_in: int

    @property
    def duration(self) -> int:
        return self.source_out - self.source_in

    @property
    def record_out(self) -> int:
        return self.record_in + self.duration


def _frames(n: int) -> str:
    return f"{n} frame{'s' if n != 1 else ''}"


def resolve_points(*, source_in: int | None, source_out: int | None, record_in: int | None,
                   record_out: int | None, playhead: int, media_frames: int | None
                   ) -> EditPoints:
    """The four points from the marks given (see the module docstring). ``media_frames`` is
    the source's length (None: a still, as long as asked). Refuses, with the reason, marks
    that contradict each other or leave the duration unknown."""
    if source_in is not None and source_out is not None and source_out <= source_in:
        raise EditError(f"The source Out ({source_out}) must be after the source In "
                        f"({source_in})")
    if record_in is not None and record_out is not None and record_out <= record_in:
        raise EditError(f"The timeline Out ({record_out}) must be after the timeline In "
                        f"({record_in})")
    if record_in is not None and record_out is not None:
        wanted = record_out - record_in
        if source_in is not None and source_out is not None:
            have = source_out - source_in
            if have != wanted:
                longer = "longer" if have > wanted else "shorter"
                raise EditError(
                    f"Four points marked and they disagree: the source In/Out is "
                    f"{_frames(abs(have - wanted))} {longer} than the timeline In/Out "
                    f"({have} vs {wanted} frames); clear one of the four marks")
            start = source_in
        elif source_out is not None:
            start = source_out - wanted
            if start < 0:
                raise EditError(
                    f"The timeline In/Out is {_frames(wanted)} but the source Out is at "
                    f"frame {source_out}: {_frames(-start)} short of media before it")
        else:
            start = source_in if source_in is not None else 0
        return EditPoints(start, start + wanted, record_in)
    start = source_in if source_in is not None else 0
    if source_out is not None:
        end = source_out
    elif media_frames is not None:
        end = media_frames
    else:
        raise EditError("A still has no length of its own: mark a source Out, or a timeline "
                        "In and Out")
    if end <= start:
        raise EditError(f"The source In (frame {start}) is at or past the end of the media "
                        f"({end} frames): nothing to edit")
    if record_in is None and record_out is not None:
        first = record_out - (end - start)
        if first < 0:
            raise EditError(f"Back-timed from the timeline Out at frame {record_out}, the "
                            f"{_frames(end - start)} would start {_frames(-first)} before "
                            "frame 0")
        return EditPoints(start, end, first)
    at = record_in if record_in is not None else playhead
    if at < 0:
        raise EditError(f"Cannot edit before frame 0 (at {at})")
    return EditPoints(start, end, at)


def check_media(points: EditPoints, media_frames: int | None, name: str) -> None:
    """Refuse a source range outside the media, saying by how many frames."""
    if points.source_in < 0:
        raise EditError(f"The edit needs {_frames(-points.source_in)} of {name} before its "
                        "first frame")
    if media_frames is not None and points.source_out > media_frames:
        raise EditError(
            f"The edit needs {_frames(points.source_out - media_frames)} more of {name} than "
            f"it has (source frames {points.source_in}-{points.source_out}, the media has "
            f"{media_frames})")
