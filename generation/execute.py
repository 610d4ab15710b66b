"""Run one job spec to a take file: the backend makes frames, they are written losslessly and
hashed as they stream. Used by the worker process for model backends and in-process for
previz (which needs no torch)."""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from generation.backends import get_backend
from generation.backends.base import CancelFn, ProgressFn
from generation.inputs import Splice
from generation.spec import JobSpec
from generation.take_media import write_take
from timeline.time import format_rate


@dataclass(frozen=True)
class RunResult:
    """A finished run as it crosses the process boundary (plain data)."""

    media_file: str
    frames_hash: str
    frame_count: int
    width: int
    height: int
    fps: str
    facts: dict[str, Any]
    # An audio take: what its WAV holds (``frames_hash`` is then the samples hash).
    media_kind: str = "video"
    sample_rate: int | None = None
    channels: int | None = None
    samples: int | None = None
    # A joint audio-video model's (LTX-2) sound made with these frames: the audio take's
    # own ``RunResult`` as JSON (its WAV, samples hash, rate, channels, samples).
    audio: dict[str, Any] | None = None

    @property
    def sound(self) -> RunResult | None:
        return None if self.audio is None else RunResult.from_json(self.audio)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RunResult:
        return cls(**d)


def run_spec(spec: JobSpec, out_dir: Path, progress: ProgressFn, cancelled: CancelFn,
             cache: dict[str, Any]) -> RunResult:
    backend = get_backend(spec.backend)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    output = sound = None
    if spec.inputs.shots:
        frames, facts = _run_shots(spec, out_dir, progress, cancelled, cache)
    else:
        output = backend.run(spec, progress, cancelled, cache)
        facts = dict(output.facts)
        if output.audio is not None and "video" not in backend.makes:
            return _audio_result(spec, output, facts, out_dir, t0)
        frames = output.frames
        if output.audio is not None:  # a picture with its sound (LTX-2)
            sound = _audio_result(spec, output, dict(facts), out_dir, t0).to_json()
    fps = spec.frame_rate
    splice_info = spec.inputs.splice
    if splice_info is not None:
        frames, facts["seams"] = _splice(list(frames), splice_info, spec.frame_rate)
        fps = Fraction(splice_info.sequence_fps)
    path = out_dir / f"take-{os.getpid()}-{uuid.uuid4().hex[:12]}.mkv"
    written = write_take(frames, fps, path)
    # Where it ran (a farm node, or this machine): the recipe keeps it beside the device.
    facts.setdefault("host", socket.gethostname())
    facts.setdefault("seconds", {})["total"] = round(time.perf_counter() - t0, 3)
    return RunResult(media_file=str(written.path), frames_hash=written.frames_hash,
                     frame_count=written.frame_count, width=written.width,
                     height=written.height, fps=format_rate(fps),
                     facts=facts, audio=sound)


def _run_shots(spec: JobSpec, out_dir: Path, progress: ProgressFn, cancelled: CancelFn,
               cache: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Every shot of a multi-shot job in order, through one loaded pipeline (the cache),
    each shot's first frame taken from the previous shot's last where ``continuity``: the
    handed-over picture is written as a PNG (a re-run makes it again from the same frames)
    and its take frame recorded."""
    from dataclasses import replace

    from generation.inputs import FileInput
    from timeline.media.images import write_png

    backend = get_backend(spec.backend)
    shots = spec.inputs.shots or ()
    totals = [backend.steps_total(s.call) for s in shots]
    grand = sum(totals)
    sequence_fps = Fraction(spec.conform.get("sequence_fps", spec.fps))
    last_shown = 0
    frames: list[Any] = []
    facts: dict[str, Any] = {}
    made: list[dict[str, Any]] = []
    for index, shot in enumerate(shots):
        done = sum(totals[:index])

        def shot_progress(step: int, _total: int, done: int = done) -> None:
            progress(done + step, grand)

        inputs = shot.inputs
        handed = None
        if shot.continuity and made:
            handed = last_shown
            png = out_dir / f"shot-{index}-first.png"
            write_png(png, frames[handed])
            inputs = replace(inputs, image=FileInput(path=str(png), role="continuity"))
        output = backend.run(replace(spec, call=shot.call, inputs=inputs), shot_progress,
                             cancelled, cache)
        shot_frames = list(output.frames)
        if not facts:
            facts = dict(output.facts)
        made.append({"frames": [len(frames), len(frames) + len(shot_frames)],
                     "continuity_from": handed})
        # The shot's last frame as the timeline shows it (a model rounds its frame count
        # up, so frames past the shot's end are made but never seen): the next shot
        # continues from there, as regenerating that shot alone does.
        shown = int(Fraction(shot.segment_frames - 1) * spec.frame_rate / sequence_fps)
        last_shown = len(frames) + max(0, min(len(shot_frames) - 1, shown))
        frames.extend(shot_frames)
    facts["shots"] = made
    return frames, facts


def _audio_result(spec: JobSpec, output: Any, facts: dict[str, Any], out_dir: Path,
                  t0: float) -> RunResult:
    from generation.take_media import write_audio_take

    audio, rate = output.audio, int(output.sample_rate)
    info = spec.inputs.audio_splice
    if info is not None:
        audio, facts["seams"] = _splice_audio(audio, info, rate)
    path = out_dir / f"take-{os.getpid()}-{uuid.uuid4().hex[:12]}.wav"
    written = write_audio_take(audio, rate, path)
    facts.setdefault("seconds", {})["total"] = round(time.perf_counter() - t0, 3)
    return RunResult(media_file=str(written.path), frames_hash=written.samples_hash,
                     frame_count=0, width=0, height=0, fps=format_rate(Fraction(rate)),
                     facts=facts, media_kind="audio", sample_rate=rate,
                     channels=written.channels, samples=written.samples)


def _splice_audio(generated: Any, info: Any, rate: int) -> tuple[Any, dict[str, float]]:
    from generation.backends.base import GenerationError
    from generation.subrange import splice_audio
    from generation.take_media import read_audio_take, samples_hash

    base_path = Path(info.base_path)
    if not base_path.is_file():
        raise GenerationError(
            f"the take this range was regenerated over is gone ({base_path})",
            "regenerate the whole segment instead")
    base, base_rate = read_audio_take(base_path)
    if samples_hash(base) != info.base_samples_hash:
        raise GenerationError(
            f"the take this range was regenerated over was changed on disk ({base_path})",
            "regenerate the whole segment instead")
    if base_rate != rate or rate != info.sample_rate:
        raise GenerationError(
            f"the model makes sound at {rate} Hz; the take it goes into is at {base_rate} Hz",
            "regenerate the range with the model that made the take")
    s0, s1 = info.samples
    if info.mode == "inpaint":  # the model remade the whole take around the range
        if generated.shape[1] < s1:
            raise GenerationError(
                f"the inpainting model made {generated.shape[1]} samples; the range ends at "
                f"{s1}", "regenerate the whole segment instead")
        generated = generated[:, s0:s1]
    return splice_audio(base, generated, s0, s1, info.crossfade)


def _splice(generated: list[Any], info: Splice, model_fps: Fraction
            ) -> tuple[list[Any], dict[str, float]]:
    from generation.backends.base import GenerationError
    from generation.subrange import SubRange, conformed_frames, splice
    from timeline.conform import Conform

    base_path = Path(info.base_path)
    if not base_path.is_file():
        raise GenerationError(
            f"the take this range was regenerated over is gone ({base_path})",
            "regenerate the whole segment instead")
    base = conformed_frames(base_path, Conform.from_json(info.base_conform))
    start, end = info.range
    sub = SubRange(start, end, crossfade=info.crossfade)
    return splice(base, generated, sub, window_start=info.window[0], model_fps=model_fps,
                  sequence_fps=Fraction(info.sequence_fps))
