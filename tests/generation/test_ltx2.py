"""LTX-2 (picture and sound from one denoising pass) through a tiny real ``LTX2Pipeline``
(random weights, saved and loaded through ``from_pretrained`` like a user's model folder),
run in this process: the picture is a video take of the segment, the sound an audio take of
a generated audio segment linked to it (made on the first free audio track, reused by later
takes), each the pipeline's own output frame for frame and sample for sample; picking one
picks its partner; the linked segments move together; an export places the sound's first
sample at the segment's first sample. The worker and CLI path (``takes --json``, ``rerun
--verify``) are in ``tests/cli/test_generate_ltx2_cli.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generation.backends import get_backend
from generation.backends.base import UnsupportedRequest, to_uint8_frames
from generation.execute import RunResult, run_spec
from generation.installed_models import resolve_model
from generation.planner import ResolvedModel, plan
from generation.spec import JobSpec
from generation.take_media import read_audio_take, read_take, samples_hash
from project_store.generation_records import GenerationRecords, Take
from project_store.project import Project
from services.generation_queue import GenerationRunner
from services.render_sources import plan_sources
from tests.generation.conftest import load_pipeline, resolved
from timeline.media.audio import AudioReader
from timeline.model import GeneratedSegment, SequenceSettings
from timeline.time import first_sample_of_frame

FPS = Fraction(24)
START = 24  # the segment starts 1 s in
DURATION = 8  # 1/3 s: LTX-2 makes 9 frames (8k+1) at 24 fps
SIZE = (64, 32)  # multiples of 32, as LTX2Pipeline wants


@pytest.fixture(scope="module")
def ltx2_model(tiny_model: Callable[[str], Path]) -> ResolvedModel:
    path = tiny_model("ltx2")
    m = resolve_model(str(path))
    assert m.pipeline_class == "LTX2Pipeline" and m.backends[0] == "ltx2"
    return resolved(path)


@pytest.fixture(scope="module")
def pipe(ltx2_model: ResolvedModel) -> Any:
    return load_pipeline(ltx2_model)


@pytest.fixture
def shot(tmp_path: Path) -> Iterator[tuple[Project, int]]:
    project = Project.create(tmp_path / "s.takeline",
                             SequenceSettings(fps=FPS, width=64, height=36, sample_rate=48000))
    project.execute({"op": "add_generated", "track": "V1", "at": START, "duration": DURATION,
                     "prompt": "a fox barking in snow", "negative_prompt": "blur"})
    seg = next(i.id for i in project.sequence.all_items() if i.track == "V1")
    try:
        yield project, seg
    finally:
        project.close()


def _direct(pipe: Any, spec: JobSpec) -> tuple[np.ndarray, np.ndarray]:
    import torch

    out = pipe(**spec.call, generator=torch.Generator("cpu").manual_seed(spec.seed),
               output_type="np")
    return to_uint8_frames(out.frames), out.audio[0].numpy()


def _run_and_store(runner: GenerationRunner, seg: int, spec: JobSpec, tmp: Path,
                   cache: dict[str, Any]) -> tuple[RunResult, list[Take]]:
    steps: list[tuple[int, int]] = []
    result = run_spec(spec, tmp, lambda s, t: steps.append((s, t)), lambda: False, cache)
    assert steps[-1] == (spec.call["num_inference_steps"],) * 2
    job = runner.records.queue_job(seg, spec.to_json(), model_key=spec.model_key,
                                   steps_total=spec.call["num_inference_steps"])
    return result, asyncio.run(runner.store_result(job, spec, result))


def _request(runner: GenerationRunner, seg: int, model: ResolvedModel, seed: int,
             steps: int = 2, guidance: float = 3.0) -> Any:
    return runner.request_for(seg, backend="ltx2", model=model, steps=steps,
                              guidance=guidance, seed=seed, size=SIZE, max_sequence_length=16)


def test_one_run_makes_a_video_take_and_a_linked_audio_take(
        shot: tuple[Project, int], ltx2_model: ResolvedModel, pipe: Any,
        tmp_path: Path) -> None:
    project, seg = shot
    runner = GenerationRunner(project, measure=False)
    cache: dict[str, Any] = {}
    # Guidance 1 keeps it fast (no guidance passes); the CLI test runs the guided path.
    [spec] = plan(_request(runner, seg, ltx2_model, 5, guidance=1.0))
    assert spec.call == {"prompt": "a fox barking in snow", "negative_prompt": "blur",
                         "height": 32, "width": 64, "num_frames": 9,
                         "num_inference_steps": 2, "guidance_scale": 1.0,
                         "max_sequence_length": 16, "frame_rate": 24.0}
    result, [picture, sound] = _run_and_store(runner, seg, spec, tmp_path / "a", cache)
    frames, samples = _direct(pipe, spec)
    # The picture: the pipeline's frames, losslessly.
    assert not picture.is_audio and picture.segment_id == seg
    stored = np.stack(list(read_take(picture.media_path)))
    assert stored.shape == frames.shape == (9, 32, 64, 3)
    assert np.array_equal(stored, frames)
    # The sound: the vocoder's samples, bit for bit, at its rate (2960 = what 9 frames at
    # 24 fps make through the tiny audio VAE: 47 latents x 4 mel frames, less the causal 3).
    wav, rate = read_audio_take(sound.media_path)
    assert rate == 8000 and wav.shape == samples.shape == (2, 2960)
    assert np.array_equal(wav, samples)
    assert sound.is_audio and (sound.sample_rate, sound.channels, sound.samples) == (
        8000, 2, 2960)
    assert sound.frames_hash == samples_hash(samples) == picture.recipe["audio"]["samples_hash"]
    # A partner pair, sharing one recipe spec (a re-run makes both).
    assert (picture.partner_take, sound.partner_take) == (sound.id, picture.id)
    assert picture.recipe["spec"] == sound.recipe["spec"]
    assert sound.recipe["pipeline_class"] == "LTX2Pipeline"
    assert sound.recipe["conform_audio"]["to_rate"] == 48000
    # On a new generated audio segment on the first free audio track, linked to the picture.
    seq = project.sequence
    audio_seg = seq.item(sound.segment_id)
    assert isinstance(audio_seg, GeneratedSegment) and audio_seg.track == "A1"
    assert (audio_seg.start, audio_seg.duration) == (START, DURATION)
    assert [i.id for i in seq.linked(seq.item(seg))] == [audio_seg.id]
    records = GenerationRecords(project)
    assert records.segment(seg).active_take == picture.id
    assert records.segment(audio_seg.id).active_take == sound.id
    assert records.stale_segments() == []  # neither is stale for the other's conditioning
    # One undo step takes both takes back, and the audio segment made for them.
    project.undo()
    assert project.sequence.find_item(audio_seg.id) is None
    assert records.segment(seg).takes == () and records.segment(seg).link is None
    project.redo()
    assert records.segment(audio_seg.id).takes == (sound.id,)
    # Another seed is another picture and another sound (or "equal" above proves nothing).
    other_frames, other_samples = _direct(pipe, spec.with_seed(6))
    assert not np.array_equal(other_frames, frames)
    assert not np.array_equal(other_samples, samples)

    # The sound moves and trims with its picture.
    project.execute({"op": "move", "item": seg, "track": "V1", "at": START + 12})
    assert project.sequence.item(audio_seg.id).start == START + 12
    project.execute({"op": "trim", "item": seg, "side": "out", "delta": -2})
    assert project.sequence.item(audio_seg.id).duration == DURATION - 2


def test_sound_goes_to_the_first_free_audio_track(shot: tuple[Project, int],
                                                  tmp_path: Path) -> None:
    """Where the sound lands needs no model: a joint take of real (tiny) files."""
    from generation.take_media import write_audio_take, write_take
    from project_store.generation_records import NewTake
    from timeline.conform import Conform

    project, seg = shot
    # A1 is busy over the segment, A2 is locked: the sound lands on a new A3.
    project.execute({"op": "add_generated", "track": "A1", "at": START - 4, "duration": 6,
                     "prompt": "wind"})
    project.execute({"op": "add_track", "kind": "audio"})
    project.execute({"op": "set_track", "track": "A2", "locked": True})
    records = GenerationRecords(project)
    conform = Conform(frame_map="native", take_frames=DURATION, take_fps=FPS,
                      segment_frames=DURATION, sequence_fps=FPS)

    def pair(seed: int) -> tuple[NewTake, NewTake]:
        rng = np.random.default_rng(seed)
        video = write_take(list(rng.integers(0, 255, (9, 32, 32, 3), dtype=np.uint8)), FPS,
                           tmp_path / f"v{seed}.mkv")
        audio = write_audio_take(rng.standard_normal((2, 3000)).astype(np.float32), 8000,
                                 tmp_path / f"a{seed}.wav")
        common = {"backend": "ltx2", "model": "tiny", "seed": seed, "recipe": {},
                  "conform": conform}
        return (NewTake(media_file=video.path, frames_hash=video.frames_hash, frame_count=9,
                        fps=FPS, width=32, height=32, **common),
                NewTake(media_file=audio.path, frames_hash=audio.samples_hash, frame_count=0,
                        fps=Fraction(8000), width=0, height=0, media_kind="audio",
                        sample_rate=8000, channels=2, samples=3000, **common))

    picture, sound = records.add_joint_takes(seg, *pair(1))
    audio_seg = project.sequence.item(sound.segment_id)
    assert audio_seg.track == "A3" and project.sequence.tracks["A3"].kind == "audio"
    assert (audio_seg.start, audio_seg.duration) == (START, DURATION)
    assert picture.partner_take == sound.id and sound.partner_take == picture.id
    # The next take's sound goes to the same segment, wherever the free tracks are now.
    project.execute({"op": "set_track", "track": "A2", "locked": False})
    picture2, sound2 = records.add_joint_takes(seg, *pair(2))
    assert sound2.segment_id == audio_seg.id
    assert records.segment(audio_seg.id).takes == (sound.id, sound2.id)
    assert len(project.sequence.tracks["A3"].overlapping(0, 10_000)) == 1
    # Picking a take picks its partner, either way round, in one undo step.
    records.set_active(sound.id)
    assert records.segment(seg).active_take == picture.id
    assert records.segment(audio_seg.id).active_take == sound.id
    records.set_active(picture2.id)
    assert records.segment(audio_seg.id).active_take == sound2.id
    project.undo()
    assert records.segment(seg).active_take == picture.id
    assert records.segment(audio_seg.id).active_take == sound.id


def test_export_places_the_first_sample_of_the_sound_at_the_segment(
        shot: tuple[Project, int], ltx2_model: ResolvedModel, tmp_path: Path) -> None:
    from timeline.engine.export import PRESETS, export_sequence

    project, seg = shot
    runner = GenerationRunner(project, measure=False)
    [spec] = plan(_request(runner, seg, ltx2_model, 8, steps=1, guidance=1.0))
    _, [_picture, sound] = _run_and_store(runner, seg, spec, tmp_path / "run", {})
    sources = plan_sources(project, use_proxies=False).open()
    out = tmp_path / "mix.wav"
    try:
        export_sequence(project.sequence, out, PRESETS["wav"], frames=sources.frames,
                        audio=sources.sound)
    finally:
        sources.close()
    with AudioReader(out, sample_rate=48000) as exported_reader:
        exported = exported_reader.read(0, 2 * 48000)
    with AudioReader(sound.media_path, sample_rate=48000) as take_reader:
        conformed = take_reader.read(0, 48000)  # PyAV's resampler, as the mixer's
    first = first_sample_of_frame(START, 48000, FPS)
    last = first_sample_of_frame(START + DURATION, 48000, FPS)
    assert first == 48000 and last == 64000
    assert not exported[:first].any()  # silence before the segment, to the sample
    window = exported[first:last]
    error = np.abs(window - conformed[:last - first]).max()
    assert error < 1e-5  # 24-bit rounding
    shifted = np.abs(exported[first + 1:first + 2001] - conformed[:2000]).max()
    assert shifted > 100 * error  # one sample off would show
    assert not exported[last:].any()  # the picture's end ends the sound


def test_impossible_ltx2_requests_fail_before_loading(
        shot: tuple[Project, int], ltx2_model: ResolvedModel) -> None:
    project, seg = shot
    runner = GenerationRunner(project, measure=False)
    backend = get_backend("ltx2")
    # No model, or a model of another family.
    with pytest.raises(UnsupportedRequest, match="the ltx2 backend needs a model"):
        plan(runner.request_for(seg, backend="ltx2"))
    wan = ResolvedModel(id="wan", path="/nowhere", revision="-", pipeline_class="WanPipeline")
    with pytest.raises(UnsupportedRequest, match="WanPipeline model; the ltx2 backend needs "
                       "one of LTX2Pipeline, LTX2ConditionPipeline"):
        plan(runner.request_for(seg, backend="ltx2", model=wan))
    # Its frame and size rules (the pipeline's: 8k+1 frames, multiples of 32).
    with pytest.raises(UnsupportedRequest, match=r"ltx2 makes 8k\+1 frames; 10 is not one "
                       r"\(nearest valid: 17\)"):
        backend.check_call({"num_frames": 10, "height": 32, "width": 32})
    with pytest.raises(UnsupportedRequest, match="ltx2 needs width to be a multiple of 32; "
                       "got 48"):
        plan(runner.request_for(seg, backend="ltx2", model=ltx2_model, size=(48, 32)))
    long = runner.request_for(seg, backend="ltx2", model=ltx2_model, size=SIZE)
    with pytest.raises(UnsupportedRequest, match="ltx2 makes at most 257 frames"):
        from dataclasses import replace

        plan(replace(long, segment_frames=24 * 12))
    # Pictures with sound go on a video track.
    project.execute({"op": "add_generated", "track": "A1", "at": 0, "duration": 8})
    sound_seg = next(i.id for i in project.sequence.all_items() if i.track == "A1")
    with pytest.raises(UnsupportedRequest, match="audio track; the ltx2 backend makes "
                       "pictures"):
        plan(runner.request_for(sound_seg, backend="ltx2", model=ltx2_model))
    # A range of a joint take is refused before any load (its sound would not match).
    with pytest.raises(UnsupportedRequest, match="regenerates whole segments only"):
        backend.check_inputs(["splice"])
    # Audio references it cannot take are named.
    project.execute({"op": "set", "item": seg, "references": [
        {"sha256": "ab" * 32, "ext": ".wav", "kind": "audio", "role": "audio",
         "use": "speech", "name": "line.wav"}]})
    with pytest.raises(UnsupportedRequest, match=r"ltx2 backend .*cannot take audio "
                       r"references \(line\.wav \(speech\)\)"):
        runner.request_for(seg, backend="ltx2", model=ltx2_model)
