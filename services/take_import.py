"""Importing a take: a video made in another tool becomes a take of a generated segment,
stored losslessly in the media store like a generated one, conformed to the segment (its
frames spread over it, "retime", the default for generated takes) and marked imported in
its recipe (there is nothing to re-run). Measured like any take afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from generation.take_media import write_take
from project_store.generation_records import GenerationRecords, NewTake, Take, TakeError
from project_store.project import Project
from timeline.conform import Conform
from timeline.limits import LimitError, check_frame_size
from timeline.media.decode import _pick_video_stream, frame_to_array
from timeline.media.probe import MediaProbeError, check_media_path, probe
from timeline.model import GeneratedSegment


def _frames(path: Path, rotation: int) -> Iterator[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        stream = _pick_video_stream(container)
        if stream is None:
            return
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame_to_array(frame, rotation=rotation)


@dataclass(frozen=True)
class PreparedImport:
    """A video decoded and written losslessly into the work folder, not yet a take."""

    source: Path
    media_file: Path
    frames_hash: str
    frame_count: int
    width: int
    height: int
    fps: Fraction
    vfr: bool
    rotation: int


def prepare_import(file: str | os.PathLike[str], work_dir: Path,
                   fallback_fps: Fraction) -> PreparedImport:
    """Decode ``file`` and write it as a lossless take file in ``work_dir``: the slow part,
    touching no project row, so a window runs it on a thread. Refuses, with the reason,
    what is not a readable video; the user's file is only read."""
    path = Path(os.fspath(file)).expanduser()
    try:
        check_media_path(path)
        if not path.is_file():
            raise TakeError(f"Cannot import {path}: no such file.")
        info = probe(path)
    except MediaProbeError as exc:
        raise TakeError(str(exc)) from None
    if info.kind != "video" or info.width is None or info.height is None:
        raise TakeError(f"Cannot import {path.name} as a take: it has no video "
                        f"(it is {info.kind}).")
    try:
        check_frame_size(info.width, info.height, "the take's frame size")
    except LimitError as exc:
        raise TakeError(str(exc)) from None
    fps = Fraction(info.fps) if info.fps and info.fps > 0 else Fraction(fallback_fps)
    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / f"import-{os.getpid()}-{uuid.uuid4().hex[:12]}.mkv"
    try:
        written = write_take(_frames(path, info.rotation), fps, out)
    except ValueError as exc:  # no frames, or frames that change size mid-file
        out.unlink(missing_ok=True)
        raise TakeError(f"Cannot import {path.name} as a take: {exc}.") from None
    except Exception as exc:  # a decode error deep in the file: one line, nothing stored
        out.unlink(missing_ok=True)
        raise TakeError(f"Cannot import {path.name} as a take: it does not decode "
                        f"({type(exc).__name__}: {exc}).") from None
    return PreparedImport(source=path, media_file=written.path,
                          frames_hash=written.frames_hash, frame_count=written.frame_count,
                          width=written.width, height=written.height, fps=fps, vfr=info.vfr,
                          rotation=info.rotation)


def _picture_segment(project: Project, segment_id: int) -> GeneratedSegment:
    """The segment, refused when it is on an audio track: an imported take is pictures."""
    segment = GenerationRecords(project).segment(segment_id)
    if project.sequence.on_audio_track(segment):
        raise TakeError(f"Segment {segment_id} is on an audio track (it makes sound); an "
                        "imported take is a video. Import the file as a clip instead.")
    return segment


def add_import(project: Project, segment_id: int, prepared: PreparedImport) -> Take:
    """The prepared file as a new take of ``segment_id`` (made active, one undo step)."""
    records = GenerationRecords(project)
    segment = _picture_segment(project, segment_id)
    conform = Conform(frame_map="retime", take_frames=prepared.frame_count,
                      take_fps=prepared.fps, segment_frames=segment.duration,
                      sequence_fps=project.sequence.fps)
    version = project.conditioning_version(segment_id)
    source = prepared.source
    recipe = {
        "imported": True, "backend": "imported", "source": str(source.resolve()),
        "source_size": source.stat().st_size if source.is_file() else None,
        "fps": str(prepared.fps), "vfr": prepared.vfr, "rotation": prepared.rotation,
        "frame_count": prepared.frame_count, "width": prepared.width,
        "height": prepared.height, "frames_hash": prepared.frames_hash,
        "conditioning_version": version,
    }
    (take,) = records.add_takes(segment_id, [NewTake(
        media_file=prepared.media_file, frames_hash=prepared.frames_hash,
        frame_count=prepared.frame_count, fps=prepared.fps, width=prepared.width,
        height=prepared.height, backend="imported", model=source.name, seed=None,
        recipe=recipe, conform=conform, conditioning_version=version)])
    return take


def import_take(project: Project, segment_id: int, file: str | os.PathLike[str]) -> Take:
    """Add ``file`` as a new take of ``segment_id`` (made active, one undo step)."""
    _picture_segment(project, segment_id)  # refuse a wrong segment before decoding
    prepared = prepare_import(file, project.media_root / "tmp", project.sequence.fps)
    try:
        return add_import(project, segment_id, prepared)
    finally:
        prepared.media_file.unlink(missing_ok=True)  # moved into the store unless it failed
