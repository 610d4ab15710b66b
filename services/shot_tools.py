"""Shot tools shared by the CLI and the window: generative extend (a generated segment that
continues a media clip, its edge frames kept as context) and multi-shot segments (one
segment, several shots, generated as one job and laid out as one segment per shot).

Extend: the clip's edge frames, as the viewer fits them into the sequence frame, become the
kept part of a window ``context + new`` (tail) or ``new + context`` (head). The model sees
the whole window: a VACE model keeps the context frames by its mask, an image-to-video
model (Wan I2V, LTX) is given the edge frame as its first (tail) or last (head) frame, and
previz draws the new frames over the edge frame. The model's frames for the new range are
spliced after (or before) the context frames exactly as decoded (``generation.subrange``),
so the take holds the clip's own frames bit for bit and the new ones; the segment shows the
new ones (its conform skips the context), and the seam is measured like a regenerated
range's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from generation.backends.base import GenerationError
from generation.subrange import SubRange
from services.render_sources import SourcePlan, plan_sources
from timeline.conditioning.shots import ShotError, check_shots
from timeline.engine.compositor import fit
from timeline.model import Clip, GeneratedSegment

# Context frames a VACE model keeps (sequence frames; fewer when the clip is shorter).
DEFAULT_CONTEXT = 8


@dataclass(frozen=True)
class ExtendSource:
    """What an extension is conditioned on, read from the project on the caller's thread
    (plain data: the frames are decoded where it is used)."""

    clip: Clip
    side: str  # "head" | "tail"
    sources: SourcePlan
    sequence_fps: Fraction
    size: tuple[int, int]  # the sequence frame (w, h)

    def edge_frames(self, count: int) -> list[np.ndarray]:
        """The clip's last (tail) or first (head) ``count`` frames at the sequence size,
        fitted as the viewer shows the clip (letterboxed when its aspect differs; its
        transform is not applied: the extension shows the plain picture)."""
        clip = self.clip
        count = max(1, min(count, clip.duration))
        offsets = (range(clip.duration - count, clip.duration) if self.side == "tail"
                   else range(count))
        w, h = self.size
        source = self.sources.frame_source()
        try:
            shown = source.display_size(clip.asset)
            if shown is None:
                raise GenerationError(
                    f"the media of clip {clip.id} is offline or has no picture",
                    "relink it (`takeline relink`) before extending it")
            place = fit(shown, (w, h))
            out = []
            for k in offsets:
                time = Fraction(clip.source_in + k) / self.sequence_fps
                pic = source.picture(clip.asset, time, (place.width, place.height))
                if pic is None:
                    raise GenerationError(
                        f"clip {clip.id} shows no picture at its frame {k}",
                        "check its media (`takeline info`), or extend another clip")
                canvas = np.zeros((h, w, 3), dtype=np.uint8)
                canvas[place.y:place.y + place.height, place.x:place.x + place.width] = \
                    pic[..., :3]
                out.append(canvas)
            return out
        finally:
            source.close()


def extend_source(project: Any, segment: GeneratedSegment) -> ExtendSource | None:
    """The clip an extension segment continues, or None when ``segment`` is no extension.
    Refuses (GenerationError) when the clip is gone."""
    if segment.extends is None:
        return None
    clip_id, side = segment.extends
    clip = project.sequence.find_item(clip_id)
    if not isinstance(clip, Clip):
        raise GenerationError(
            f"segment {segment.id} extends clip {clip_id}, which is no longer in the "
            "sequence", "undo its removal, or clear the link: `takeline apply` with "
            f'{{"op": "set", "item": {segment.id}, "extends": null}}')
    seq = project.sequence
    return ExtendSource(clip=clip, side=side, sources=plan_sources(project, use_proxies=False),
                        sequence_fps=seq.fps, size=(seq.settings.width, seq.settings.height))


def extend_window(context: list[np.ndarray], frames: int, side: str
                  ) -> tuple[list[np.ndarray], SubRange]:
    """The window the model sees (context frames and ``frames`` placeholders repeating the
    edge frame) and the range of it that is new."""
    k = len(context)
    if side == "tail":
        return [*context, *[context[-1]] * frames], SubRange(k, k + frames, handles=k)
    return [*[context[0]] * frames, *context], SubRange(0, frames, handles=k)


def shot_segment(segment: GeneratedSegment, index: int) -> GeneratedSegment:
    """Shot ``index`` of a multi-shot segment as the segment it is laid out as: its own
    frames, prompt, camera and poses; the segment's references, cast and settings."""
    shot = segment.shots[index]
    start = segment.start + sum(s.duration for s in segment.shots[:index])
    return replace(segment, start=start, duration=shot.duration, prompt=shot.prompt,
                   camera=shot.camera, poses=shot.poses, shots=(), shot_of=None,
                   extends=None)


def check_segment_shots(segment: GeneratedSegment) -> None:
    try:
        check_shots(segment.shots, segment.duration)
    except ShotError as exc:
        raise GenerationError(f"segment {segment.id}: {exc}",
                              "set its shots again (`takeline shots`)") from None
