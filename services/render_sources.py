"""The one builder of a project's render sources: its pictures and its sound.

The viewer, the window's exports, the CLI's ``render`` and ``export``, and the generation
queue's continuity frames all draw a project the same way: its online assets, the active
take of every generated segment (pictures; sound for segments on audio tracks), and (for
playback only) the proxies built earlier. This module is the one place that says so.

``SourcePlan`` is what is read from the project (plain data, safe to hand to another
thread); ``SourcePlan.open()`` makes the decoders where they will be used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from project_store.generation_records import GenerationRecords
from project_store.project import Project
from timeline.engine.sources import MediaAudioSource, MediaFrameSource
from timeline.media.probe import MediaProbe
from timeline.media.proxy import proxy_path

__all__ = ["RenderSources", "SourcePlan", "offline_assets", "plan_sources"]


@dataclass
class RenderSources:
    """A frame source and an audio source over one project; close both when done."""

    frames: MediaFrameSource
    sound: MediaAudioSource

    def close(self) -> None:  # with contextlib.closing(plan.open()) as sources: ...
        self.frames.close()
        self.sound.close()


@dataclass(frozen=True)
class SourcePlan:
    """What a project's sources are made of, read once from the project."""

    probes: dict[int, MediaProbe]
    takes: dict[int, Any]  # item id -> (take file, conform), as GenerationRecords gives
    sample_rate: int
    use_proxies: bool
    proxies: dict[int, Path] = field(default_factory=dict)
    offline: dict[int, str] = field(default_factory=dict)  # asset id -> name (the slate)
    audio_takes: dict[int, Path] = field(default_factory=dict)  # take id -> its sound file

    def frame_source(self) -> MediaFrameSource:
        return MediaFrameSource(self.probes, proxies=self.proxies,
                                use_proxies=self.use_proxies, takes=self.takes,
                                offline=self.offline)

    def audio_source(self) -> MediaAudioSource:
        return MediaAudioSource(self.probes, sample_rate=self.sample_rate,
                                takes=self.audio_takes)

    def open(self) -> RenderSources:
        return RenderSources(self.frame_source(), self.audio_source())


def plan_sources(project: Project, *, use_proxies: bool) -> SourcePlan:
    """The sources of ``project``: online assets and active takes; with ``use_proxies``
    (playback, scrubbing) the proxies already built beside the project too. Export and
    generation pass False: they always render the originals."""
    usable = [a for a in project.assets.values() if a.status == "ok"]
    proxies: dict[int, Path] = {}
    if use_proxies:
        # Proxies built earlier (`takeline proxy`, Edit > Build Proxies); a stale one falls
        # back to the original inside the frame source.
        for a in usable:
            if a.probe.kind == "video":
                path = proxy_path(project.media_root, a.identity)
                if path.is_file():
                    proxies[a.id] = path
    records = GenerationRecords(project)
    return SourcePlan(
        probes={a.id: a.probe for a in usable},
        takes=records.active_take_media(),
        audio_takes=records.active_audio_take_media(),
        sample_rate=project.sequence.sample_rate,
        use_proxies=use_proxies,
        proxies=proxies,
        offline={a.id: a.name for a in project.assets.values()
                 if a.status != "ok" and a.probe.kind != "audio"},
    )


def offline_assets(project: Project) -> list[Any]:
    """Assets whose file is missing or changed: their clips render black and silent."""
    return [a for a in project.assets.values() if a.status != "ok"]
