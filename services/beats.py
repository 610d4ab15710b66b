"""Finding the beats of a music clip, for the window (Clip > Find Beats, on a background
thread) and ``takeline beats``.

``beat_request`` reads what the tracker needs from the open project (on the thread that owns
it) into a frozen ``BeatRequest``; its ``run`` decodes and listens (seconds: librosa, on any
thread, touching no project) and answers the ``set_beats`` edit that puts the markers on
the timeline, replacing that clip's earlier beats, as one undo step.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from project_store.assets import shown_path
from project_store.project import Project
from timeline.media.audio import AudioDecodeError
from timeline.media.beats import BeatTrackingError, ClipBeats, clip_beats
from timeline.media.probe import MediaProbeError
from timeline.model import Clip, EditError


@dataclass(frozen=True)
class BeatRequest:
    """What finding one clip's beats needs, read from the project."""

    item: int
    path: str
    name: str
    start: int
    source_in: int
    duration: int
    fps: Fraction

    def run(self) -> BeatResult:
        """Decode the clip's sound and track its beats (raises ``BeatTrackingError`` with
        what to do)."""
        try:
            found = clip_beats(self.path, start=self.start, source_in=self.source_in,
                               duration=self.duration, fps=self.fps, name=self.name)
        except (AudioDecodeError, MediaProbeError) as exc:
            raise BeatTrackingError(f"Cannot read the sound of clip {self.item}: {exc}"
                                    ) from None
        if not found.frames:
            raise BeatTrackingError(f"No beats found in clip {self.item} ({self.name}): is "
                                    "it music with a beat?")
        return BeatResult(self.item, found)


@dataclass(frozen=True)
class BeatResult:
    item: int
    beats: ClipBeats

    @property
    def edit(self) -> dict[str, Any]:
        """The edit that puts these beats on the timeline (replacing the clip's old ones)."""
        return {"op": "set_beats", "item": self.item, "frames": list(self.beats.frames),
                "tempo": round(self.beats.tempo_bpm, 2)}

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item, "tempo_bpm": round(self.beats.tempo_bpm, 2),
                "beats": [{"frame": f, "seconds": round(t, 4)}
                          for f, t in zip(self.beats.frames, self.beats.seconds, strict=True)]}


def beat_request(project: Project, item_id: int) -> BeatRequest:
    """What to listen to for clip ``item_id``: refused (``EditError``) for a segment, a
    clip without sound, or one whose file is missing or offline."""
    item = project.sequence.item(item_id)
    if not isinstance(item, Clip):
        raise EditError(f"Item {item_id} is a {item.kind}; beats are found in clips of music")
    asset = project.assets.get(item.asset)
    if asset is None:
        raise EditError(f"Clip {item_id}'s asset {item.asset} is not in this project")
    if asset.probe.audio_codec is None:
        raise EditError(f"Clip {item_id} ({asset.name}) has no sound to find beats in")
    if asset.status != "ok":
        raise EditError(f"Clip {item_id}'s file {shown_path(asset.path)} is {asset.status}; "
                        "relink it first (takeline relink PROJECT FOLDER)")
    return BeatRequest(item=item.id, path=asset.path, name=shown_path(asset.name),
                       start=item.start, source_in=item.source_in, duration=item.duration,
                       fps=project.sequence.fps)
