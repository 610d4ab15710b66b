"""Importing a take: a video made in another tool becomes a take of a generated segment,
stored losslessly in the media store like a generated one, conformed to the segment (its
frames spread over it, "retime", the default for generated takes) and marked imported in
its recipe (there is nothing to re-run). Measured like any take afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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


def _frames(path: Path, rotation: int) -> Iterator[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        stream = _pick_video_stream(container)
        if stream is None:
            return
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame_to_array(frame, rotation=rotation)


def import_take(project: Project, segment_id: int, file: str | os.PathLike[str]) -> Take:
    """Add ``file`` as a new take of ``segment_id`` (made active, one undo step). Refuses,
    with the reason, what is not a readable video; the user's file is only read."""
    records = GenerationRecords(project)
    segment = records.segment(segment_id)
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
    fps = info.fps if info.fps and info.fps > 0 else project.sequence.fps
    work = project.media_root / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"import-{os.getpid()}-{uuid.uuid4().hex[:12]}.mkv"
    try:
        written = write_take(_frames(path, info.rotation), Fraction(fps), out)
    except ValueError as exc:  # no frames, or frames that change size mid-file
        out.unlink(missing_ok=True)
        raise TakeError(f"Cannot import {path.name} as a take: {exc}.") from None
    except Exception as exc:  # a decode error deep in the file: one line, nothing stored
        out.unlink(missing_ok=True)
        raise TakeError(f"Cannot import {path.name} as a take: it does not decode "
                        f"({type(exc).__name__}: {exc}).") from None
    seq_fps = project.sequence.fps
    conform = Conform(frame_map="retime", take_frames=written.frame_count,
                      take_fps=Fraction(fps), segment_frames=segment.duration,
                      sequence_fps=seq_fps)
    recipe = {
        "imported": True, "backend": "imported", "source": str(path.resolve()),
        "source_size": path.stat().st_size, "fps": str(Fraction(fps)),
        "vfr": info.vfr, "rotation": info.rotation, "frame_count": written.frame_count,
        "width": written.width, "height": written.height,
        "frames_hash": written.frames_hash,
        "conditioning_version": project.conditioning_version(segment_id),
    }
    (take,) = records.add_takes(segment_id, [NewTake(
        media_file=written.path, frames_hash=written.frames_hash,
        frame_count=written.frame_count, fps=Fraction(fps), width=written.width,
        height=written.height, backend="imported", model=path.name, seed=None,
        recipe=recipe, conform=conform,
        conditioning_version=recipe["conditioning_version"])])
    return take
