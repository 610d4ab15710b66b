"""Generated audio segments through a tiny real ``StableAudioPipeline`` (random weights, saved
and loaded through ``from_pretrained`` like a user's model folder), run in this process:
the take is the pipeline's own output sample for sample, a regenerated range keeps every
sample outside it, and an export places the take's first sample at the segment's first
sample. The worker and the CLI path are in ``tests/cli/test_generate_audio_cli.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generation.backends.base import UnsupportedRequest
from generation.execute import RunResult, run_spec
from generation.installed_models import resolve_model
from generation.planner import ResolvedModel, plan
from generation.spec import JobSpec
from generation.subrange import SubRange
from generation.take_media import read_audio_take, samples_hash
from project_store.generation_records import GenerationRecords, Take
from project_store.project import Project
from services.generation_queue import GenerationRunner
from services.render_sources import plan_sources
from tests.generation.conftest import load_pipeline, resolved
from timeline.media.audio import AudioReader
from timeline.model import SequenceSettings
from timeline.time import first_sample_of_frame

FPS = Fraction(24)
START = 24  # the segment starts 1 s in
DURATION = 72  # 3 s


@pytest.fixture(scope="module")
def sa_model(tiny_model: Callable[[str], Path]) -> ResolvedModel:
    return resolved(tiny_model("stable-audio"))


@pytest.fixture(scope="module")
def pipe(sa_model: ResolvedModel) -> Any:
    return load_pipeline(sa_model)


@pytest.fixture
def audio_project(tmp_path: Path) -> Iterator[tuple[Project, int]]:
    project = Project.create(tmp_path / "a.takeline",
                             SequenceSettings(fps=FPS, width=64, height=36, sample_rate=48000))
    project.execute({"op": "add_generated", "track": "V1", "at": START, "duration": DURATION,
                     "prompt": "a storm"})
    project.execute({"op": "add_generated", "track": "A1", "at": START,
                     "duration": DURATION, "prompt": "rain on a tin roof",
                     "negative_prompt": "music"})
    seg = next(i.id for i in project.sequence.all_items() if i.track == "A1")
    try:
        yield project, seg
    finally:
        project.close()


def _direct(pipe: Any, spec: JobSpec) -> np.ndarray:
    import torch

    out = pipe(**spec.call, generator=torch.Generator("cpu").manual_seed(spec.seed),
               output_type="np")
    return np.asarray(out.audios)[0]


def _run_and_store(runner: GenerationRunner, seg: int, spec: JobSpec, tmp: Path,
                   cache: dict[str, Any]) -> tuple[RunResult, Take]:
    steps: list[tuple[int, int]] = []
    result = run_spec(spec, tmp, lambda s, t: steps.append((s, t)), lambda: False, cache)
    assert steps[-1] == (spec.call["num_inference_steps"],) * 2
    job = runner.records.queue_job(seg, spec.to_json(), model_key=spec.model_key,
                                   steps_total=spec.call["num_inference_steps"])
    [take] = asyncio.run(runner.store_result(job, spec, result))
    return result, take


def test_audio_take_is_the_pipeline_output_sample_for_sample(
        audio_project: tuple[Project, int], sa_model: ResolvedModel, pipe: Any,
        tmp_path: Path) -> None:
    project, seg = audio_project
    runner = GenerationRunner(project, measure=False)
    request = runner.request_for(seg, backend="stable-audio", model=sa_model, steps=3,
                                 guidance=4.0, seed=21)
    [spec] = plan(request)
    assert spec.call == {"prompt": "rain on a tin roof", "negative_prompt": "music",
                         "audio_end_in_s": 3.0, "num_inference_steps": 3,
                         "guidance_scale": 4.0}
    result, take = _run_and_store(runner, seg, spec, tmp_path / "run", {})
    stored, rate = read_audio_take(take.media_path)
    direct = _direct(pipe, spec)
    assert rate == 8000 and stored.shape == direct.shape == (2, 24000)
    assert np.array_equal(stored, direct)  # bit for bit, peaks above 1.0 included
    assert take.is_audio and take.samples == 24000 and take.channels == 2
    assert take.frames_hash == samples_hash(direct) == take.recipe["samples_hash"]
    assert take.media_path is not None and take.media_path.suffix == ".wav"
    r = take.recipe
    assert r["pipeline_class"] == "StableAudioPipeline" and r["seed"] == 21
    assert r["sample_rate"] == 8000 and r["samples"] == 24000 and r["channels"] == 2
    assert r["conform_audio"] == {"resampler": "pyav-swresample", "from_rate": 8000,
                                  "to_rate": 48000, "first_sample": "segment start"}
    assert r["scheduler"]["class"] == "CosineDPMSolverMultistepScheduler"
    assert GenerationRecords(project).segment(seg).active_take == take.id
    # Another seed is another sound (or "equal" above proves nothing).
    other = _direct(pipe, spec.with_seed(22))
    assert not np.array_equal(other, direct)


def test_range_regeneration_keeps_every_sample_outside_the_range(
        audio_project: tuple[Project, int], sa_model: ResolvedModel, pipe: Any,
        tmp_path: Path) -> None:
    project, seg = audio_project
    runner = GenerationRunner(project, measure=False)
    cache: dict[str, Any] = {}
    request = runner.request_for(seg, backend="stable-audio", model=sa_model, steps=2,
                                 seed=4)
    [spec] = plan(request)
    _, base = _run_and_store(runner, seg, spec, tmp_path / "a", cache)
    old, _ = read_audio_take(base.media_path)
    ranged = runner.request_for(seg, backend="stable-audio", model=sa_model, steps=2,
                                seed=50)
    [job] = runner.queue_range(seg, ranged, SubRange(24, 48, crossfade=2))
    rspec = JobSpec.from_json(job.spec)
    splice = rspec.inputs.audio_splice
    assert splice is not None and splice.mode == "crossfade"
    s0, s1 = 8000, 16000  # frames 24 and 48 at 24 fps, in 8 kHz samples
    xf = first_sample_of_frame(2, 8000, FPS)
    assert splice.samples == (s0, s1) and splice.crossfade == xf
    _, take = _run_and_store(runner, seg, rspec, tmp_path / "b", cache)
    new, _ = read_audio_take(take.media_path)
    assert new.shape == old.shape
    assert np.array_equal(new[:, :s0], old[:, :s0])
    assert np.array_equal(new[:, s1:], old[:, s1:])
    # Inside the range past the crossfades: the model's own samples for the range.
    piece = _direct(pipe, rspec)
    assert piece.shape[1] == s1 - s0
    assert np.array_equal(new[:, s0 + xf:s1 - xf], piece[:, xf:-xf])
    # In the crossfades: between the two.
    t = np.arange(1, xf + 1, dtype=np.float32) / np.float32(xf + 1)
    expected = old[:, s0:s0 + xf] * (1 - t) + piece[:, :xf] * t
    assert np.allclose(new[:, s0:s0 + xf], expected, atol=1e-6)
    assert set(take.recipe["seams"]) == {"typical", "in", "out"}
    assert take.recipe["inputs"]["audio_splice"]["base"]["take"] == base.id


def test_export_places_the_first_sample_of_the_take_at_the_segment(
        audio_project: tuple[Project, int], sa_model: ResolvedModel,
        tmp_path: Path) -> None:
    from timeline.engine.export import PRESETS, export_sequence

    project, seg = audio_project
    runner = GenerationRunner(project, measure=False)
    [spec] = plan(runner.request_for(seg, backend="stable-audio", model=sa_model, steps=2,
                                     seed=8))
    _, take = _run_and_store(runner, seg, spec, tmp_path / "run", {})
    # -12 dB keeps the random model's peaks (above 1.0) inside the 24-bit file's range.
    project.execute({"op": "set", "item": seg, "gain_db": -12.0})
    sources = plan_sources(project, use_proxies=False).open()
    out = tmp_path / "mix.wav"
    try:
        export_sequence(project.sequence, out, PRESETS["wav"], frames=sources.frames,
                        audio=sources.sound)
    finally:
        sources.close()
    with AudioReader(out, sample_rate=48000) as exported_reader:
        exported = exported_reader.read(0, 5 * 48000)
    with AudioReader(take.media_path, sample_rate=48000) as take_reader:
        conformed = take_reader.read(0, 3 * 48000)  # PyAV's resampler, as the mixer's
    first = first_sample_of_frame(START, 48000, FPS)
    assert first == 48000
    gain = np.float32(10 ** (-12 / 20))
    assert not exported[:first].any()  # silence before the segment, to the sample
    window = exported[first:first + len(conformed)]
    error = np.abs(window - conformed * gain).max()
    assert error < 1e-5  # 24-bit rounding
    shifted = np.abs(exported[first + 1:first + 1 + 2000] - conformed[:2000] * gain).max()
    assert shifted > 100 * error  # one sample off would show
    assert not exported[first + len(conformed):].any()  # and silence after it


def test_impossible_audio_requests_fail_before_loading(
        audio_project: tuple[Project, int], sa_model: ResolvedModel) -> None:
    project, seg = audio_project
    runner = GenerationRunner(project, measure=False)
    video = next(i.id for i in project.sequence.all_items() if i.track == "V1")
    # Longer than the model can make (5.12 s: sample_size * hop / sampling_rate).
    long_request = runner.request_for(seg, backend="stable-audio", model=sa_model)
    with pytest.raises(UnsupportedRequest, match=r"6\.00 s.*at most 5\.12 s"):
        plan(replace(long_request, segment_frames=144))
    # Pictures only on a sound segment, sound only on a picture segment.
    with pytest.raises(UnsupportedRequest, match="audio track; the previz backend makes "
                       "pictures only"):
        plan(runner.request_for(seg, backend="previz"))
    wan = ResolvedModel(id="wan", path="/nowhere", revision="-", pipeline_class="WanPipeline")
    with pytest.raises(UnsupportedRequest, match="the wan backend makes pictures only"):
        plan(runner.request_for(seg, backend="wan", model=wan))
    with pytest.raises(UnsupportedRequest, match="video track; the stable-audio backend "
                       "makes sound only"):
        plan(runner.request_for(video, backend="stable-audio", model=sa_model))
    # A model of another family for the stable-audio backend.
    with pytest.raises(UnsupportedRequest, match="WanPipeline model; the stable-audio "
                       "backend needs one of StableAudioPipeline"):
        plan(runner.request_for(seg, backend="stable-audio", model=wan))
    # Audio references it cannot take are named.
    project.execute({"op": "set", "item": seg, "references": [
        {"sha256": "ab" * 32, "ext": ".wav", "kind": "audio", "role": "audio",
         "use": "beat", "name": "drums.wav"}]})
    with pytest.raises(UnsupportedRequest, match=r"stable-audio backend .*cannot take audio "
                       r"references \(drums\.wav \(beat\)\)"):
        runner.request_for(seg, backend="stable-audio", model=sa_model)


def test_stable_audio_3_regenerates_a_range_by_inpainting_with_the_take_as_context(
        audio_project: tuple[Project, int], tiny_model: Callable[[str], Path],
        tmp_path: Path) -> None:
    """Where diffusers has StableAudio3InpaintPipeline: the whole take goes in with the range
    masked (the rest is the model's context); the range it makes is spliced back, so the
    outside is still the take's own samples bit for bit."""
    import diffusers
    import torch

    m = resolve_model(str(tiny_model("stable-audio-3")))
    assert m.backends[0] == "stable-audio-3"
    model = ResolvedModel(id=m.id, path=str(m.path), revision=m.revision,
                          pipeline_class=m.pipeline_class)
    pipe = diffusers.DiffusionPipeline.from_pretrained(m.path, local_files_only=True,
                                                       use_safetensors=True)
    pipe.set_progress_bar_config(disable=True)
    project, seg = audio_project
    runner = GenerationRunner(project, measure=False)
    cache: dict[str, Any] = {}
    [spec] = plan(runner.request_for(seg, backend="stable-audio-3", model=model, steps=2,
                                     seed=4))
    assert spec.call == {"prompt": "rain on a tin roof", "negative_prompt": "music",
                         "duration": 3.0, "num_inference_steps": 2, "guidance_scale": 1.0}
    _, base = _run_and_store(runner, seg, spec, tmp_path / "a", cache)
    old, rate = read_audio_take(base.media_path)
    assert rate == 1000 and np.array_equal(old, _direct(pipe, spec))
    [job] = runner.queue_range(seg, runner.request_for(
        seg, backend="stable-audio-3", model=model, steps=2, seed=60), SubRange(24, 48))
    rspec = JobSpec.from_json(job.spec)
    assert rspec.pipeline_class == "StableAudio3InpaintPipeline"
    assert rspec.inputs.audio_splice is not None and rspec.inputs.audio_splice.mode == "inpaint"
    assert (rspec.call["mask_start_seconds"], rspec.call["mask_end_seconds"]) == (1.0, 2.0)
    s0, s1, xf = 1000, 2000, 20  # 20 ms crossfades by default
    _, take = _run_and_store(runner, seg, rspec, tmp_path / "b", cache)
    new, _ = read_audio_take(take.media_path)
    assert np.array_equal(new[:, :s0], old[:, :s0]) and np.array_equal(new[:, s1:], old[:, s1:])
    inpaint = diffusers.StableAudio3InpaintPipeline.from_pipe(pipe)

    def inpainted(context: np.ndarray) -> np.ndarray:
        out = inpaint(**rspec.call, audio=torch.from_numpy(context)[None],
                      generator=torch.Generator("cpu").manual_seed(60), output_type="np")
        return np.asarray(out.audios)[0]

    made = inpainted(old)
    assert np.array_equal(new[:, s0 + xf:s1 - xf], made[:, s0 + xf:s1 - xf])
    # The outside is context: other audio around the range makes another range.
    other = inpainted(np.zeros_like(old))
    assert not np.array_equal(other[:, s0:s1], made[:, s0:s1])
