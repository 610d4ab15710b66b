"""Shot tools end to end with tiny real Wan VACE pipelines (random weights, loaded through
``from_pretrained``) in a real worker: generative extend keeps the clip's own frames bit for
bit and splices only the new ones; a three-shot segment is one job whose shots continue
from the right frames and are laid out as three clips with real cuts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from generation.client import WorkerClient
from generation.inputs import FileInput
from generation.planner import GenerationRequest, ResolvedModel
from generation.spec import JobSpec
from generation.take_media import read_take
from project_store.generation_records import GenerationRecords
from project_store.project import Project
from services.demo_media import write_color_bars_video
from services.generation_queue import GenerationRunner, sequence_picture
from services.shot_tools import DEFAULT_CONTEXT, extend_source
from services.take_metrics import seam_frames
from timeline.model import GeneratedSegment, SequenceSettings

SIZE = (256, 144)  # the smallest the bars' frame-index strip fits


@pytest.fixture(scope="module")
def client() -> Iterator[WorkerClient]:
    c = WorkerClient(stall_timeout_s=120)
    yield c
    asyncio.run(c.close())


def _vace(model_dir: Path) -> ResolvedModel:
    return ResolvedModel(id="tiny/wan-vace", path=str(model_dir), revision="test",
                         pipeline_class="WanVACEPipeline")


def _choices(model_dir: Path) -> dict[str, object]:
    return dict(backend="wan-vace", model=_vace(model_dir), seed=5, steps=2, guidance=3.0,
                size=(32, 32), max_sequence_length=16)


def _run(runner: GenerationRunner, segment: int, request: GenerationRequest) -> list:
    jobs = runner.queue(segment, request)
    return asyncio.run(runner.run_queue(only={j.id for j in jobs}))


def _clip_project(tmp_path: Path) -> tuple[Project, int]:
    bars = write_color_bars_video(tmp_path / "bars.mp4", seconds=1, fps=Fraction(24),
                                  size=SIZE, with_audio=False)
    project = Project.create(tmp_path / "x.takeline",
                             SequenceSettings(fps=Fraction(24), width=SIZE[0], height=SIZE[1]))
    [asset] = project.import_media([bars])
    project.execute({"op": "append", "track": "V1", "asset": asset.id, "source_in": 0,
                     "source_out": 24})
    [clip] = project.sequence.tracks["V1"].items
    return project, clip.id


def test_extend_tail_keeps_the_clip_frames_bit_exact_and_splices_the_new_ones(
        tmp_path: Path, tiny_model: Callable[[str], Path], client: WorkerClient) -> None:
    project, clip_id = _clip_project(tmp_path)
    try:
        shown_before = [sequence_picture(project, n) for n in range(24 - DEFAULT_CONTEXT, 24)]
        project.execute({"op": "extend", "item": clip_id, "side": "tail", "frames": 12})
        seg = next(i for i in project.sequence.all_items() if isinstance(i, GeneratedSegment))
        assert (seg.start, seg.duration, seg.extends) == (24, 12, (clip_id, "tail"))
        runner = GenerationRunner(project, client=client, measure=False)
        [job] = _run(runner, seg.id, runner.request_for(seg.id, **_choices(tiny_model(
            "wan-vace"))))
        assert job.state == "done", job.error
        take = runner.records.take(job.take_ids[0])
        frames = list(read_take(take.media_path))
        # The take: the clip's last 8 frames exactly as the viewer shows them, then 12 new.
        assert take.frame_count == DEFAULT_CONTEXT + 12 and take.fps == 24
        assert all(np.array_equal(a, b) for a, b in zip(frames[:DEFAULT_CONTEXT],
                                                        shown_before, strict=True))
        source = extend_source(project, project.sequence.item(seg.id))
        assert source is not None
        assert all(np.array_equal(a, b) for a, b in zip(
            frames[:DEFAULT_CONTEXT], source.edge_frames(DEFAULT_CONTEXT), strict=True))
        assert not np.array_equal(frames[DEFAULT_CONTEXT], frames[DEFAULT_CONTEXT - 1])
        # VACE kept the context by its mask; the seam is measured at the first new frame.
        inputs = take.recipe["inputs"]
        assert inputs["mask"]["keep"][0][0] == 0 and inputs["splice"]["base"]["take"] is None
        assert set(take.recipe["seams"]) == {"typical", "in"}
        assert seam_frames(take) == [DEFAULT_CONTEXT]
        # The segment shows the new frames, frame for frame; the clip is unchanged.
        assert take.conform.take_offset == DEFAULT_CONTEXT
        assert [take.conform.take_frame(i) for i in range(12)] == list(range(8, 20))
        shown = sequence_picture(project, 24)
        assert shown.shape == (SIZE[1], SIZE[0], 3)
        assert all(np.array_equal(sequence_picture(project, n), shown_before[k])
                   for k, n in enumerate(range(24 - DEFAULT_CONTEXT, 24)))
        # Re-made from its recipe alone, bit for bit.
        again = asyncio.run(runner.rerun(take))
        assert again.frames_hash == take.frames_hash
    finally:
        project.close()


def test_a_three_shot_segment_is_one_job_laid_out_as_three_clips_with_continuity(
        tmp_path: Path, tiny_model: Callable[[str], Path], client: WorkerClient) -> None:
    from PIL import Image

    from generation.backends.wan_vace import WanVaceBackend
    from timeline.media.images import write_png

    model_dir = tiny_model("wan-vace")
    project = Project.create(tmp_path / "s.takeline",
                             SequenceSettings(fps=Fraction(24), width=64, height=36))
    try:
        hero = tmp_path / "hero.png"
        Image.new("RGB", (32, 32), (200, 40, 40)).save(hero)
        from project_store.references import store_reference

        ref = store_reference(project, hero, role="character")
        project.execute({"op": "add_cast", "name": "Mara", "kind": "character",
                         "references": [ref.to_json()]})
        [member] = project.sequence.cast.values()
        project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 36,
                         "prompt": "a fox"})
        [seg] = project.sequence.tracks["V1"].items
        shots = [{"duration": 10, "prompt": "wide"}, {"duration": 14, "prompt": "close"},
                 {"duration": 12, "prompt": "runs"}]
        project.execute({"op": "set", "item": seg.id, "shots": shots, "cast": [member.id]})
        runner = GenerationRunner(project, client=client, measure=False)
        request = runner.request_for(seg.id, **_choices(model_dir))
        assert len(request.shots) == 3
        [job] = _run(runner, seg.id, request)
        assert job.state == "done", job.error
        # Three clips with real cuts at the shots' frames, each with its shot's take.
        items = project.sequence.tracks["V1"].items
        assert [(i.start, i.duration, i.prompt) for i in items] == [
            (0, 10, "wide"), (10, 14, "close"), (24, 12, "runs")]
        assert all(isinstance(i, GeneratedSegment) and not i.shots for i in items)
        takes = [runner.records.take(i.active_take) for i in items]  # type: ignore[attr-defined]
        assert [i.shot_of for i in items] == [(takes[0].id, k) for k in range(3)]  # type: ignore[attr-defined]
        assert [t.segment_id for t in takes] == [i.id for i in items]
        assert all(i.cast == (member.id,) for i in items)  # type: ignore[attr-defined]
        assert len({t.media_path for t in takes}) == 1  # one multi-shot take file
        # Wan at 16 fps: 10 frames -> 9 made, 14 -> 13, 12 -> 9; the next shot continues
        # from the last frame each shot shows on the timeline.
        assert [t.recipe["shot"]["frames"] for t in takes] == [[0, 9], [9, 22], [22, 31]]
        assert [t.recipe["shot"]["continuity_from"] for t in takes] == [None, 6, 17]
        assert [(t.conform.take_offset, t.conform.take_frames) for t in takes] == [
            (0, 9), (9, 22), (22, 31)]
        # Not stale: each take was made from its shot's brief.
        assert not runner.records.stale_segments()
        # Shot 2's frames are exactly a run of the model given take frame 6 as its first.
        frames = list(read_take(takes[0].media_path))
        spec = JobSpec.from_json(takes[1].recipe["spec"])
        run = spec.inputs.shots[1]  # type: ignore[index]
        assert "reference_images" in run.inputs  # the character is in every shot
        png = write_png(tmp_path / "first.png", frames[6])
        direct = WanVaceBackend().run(
            replace(spec, call=run.call, inputs=replace(run.inputs, image=FileInput(
                path=str(png)))), lambda _s, _t: None, lambda: False, {})
        assert all(np.array_equal(a, b) for a, b in zip(direct.frames, frames[9:22],
                                                        strict=True))
        # One shot regenerated alone continues from the clip before it (frame 9 of the
        # sequence: shot 1's last frame as shown).
        alone = runner.request_for(items[1].id, **_choices(model_dir))
        assert alone.inputs["image"]["sequence_frame"] == 9
        [job2] = _run(runner, items[1].id, alone)
        assert job2.state == "done", job2.error
        assert project.sequence.item(items[1].id).active_take == job2.take_ids[0]
        # Undoing the new take and the layout brings the multi-shot segment back.
        project.undo()
        project.undo()
        [back] = project.sequence.tracks["V1"].items
        assert back.id == seg.id and len(back.shots) == 3  # type: ignore[attr-defined]
    finally:
        project.close()


def test_extend_refuses_a_model_that_cannot_keep_frames(
        tmp_path: Path, tiny_model: Callable[[str], Path]) -> None:
    from generation.backends.base import GenerationError

    project, clip_id = _clip_project(tmp_path)
    try:
        project.execute({"op": "extend", "item": clip_id, "side": "tail", "frames": 6})
        seg = project.sequence.tracks["V1"].items[-1]
        runner = GenerationRunner(project, measure=False)
        t2v = ResolvedModel(id="tiny/wan-t2v", path=str(tiny_model("wan-t2v")),
                            revision="test", pipeline_class="WanPipeline")
        request = runner.request_for(seg.id, backend="wan", model=t2v, size=(32, 32))
        with pytest.raises(GenerationError, match="keeps its frames|keep its frames"):
            runner.queue(seg.id, request)
        assert GenerationRecords(project).jobs() == []
    finally:
        project.close()


def _poses(frames: int) -> dict[str, object]:
    """One person stepping right: two keys, 18 COCO joints each (x, y normalised)."""
    stand = [[0.5, 0.2], [0.5, 0.3], [0.4, 0.3], [0.35, 0.45], [0.3, 0.6], [0.6, 0.3],
             [0.65, 0.45], [0.7, 0.6], [0.45, 0.6], [0.45, 0.75], [0.45, 0.9], [0.55, 0.6],
             [0.55, 0.75], [0.55, 0.9], [0.48, 0.18], [0.52, 0.18], [0.46, 0.2], [0.54, 0.2]]
    moved = [[x + 0.2, y] for x, y in stand]
    return {"people": [{"id": 1, "name": "Mara", "keys": [
        {"frame": 0, "skeleton": stand}, {"frame": frames - 1, "skeleton": moved}]}]}


def test_wan_animate_drives_the_cast_character_with_the_segment_poses(
        tmp_path: Path, tiny_model: Callable[[str], Path], client: WorkerClient) -> None:
    from PIL import Image

    from generation.backends.base import GenerationError
    from project_store.references import store_reference
    from timeline.conditioning.pose import PoseTrack, render_pose_frames

    model = ResolvedModel(id="tiny/wan-animate", path=str(tiny_model("wan-animate")),
                          revision="test", pipeline_class="WanAnimatePipeline")
    project = Project.create(tmp_path / "a.takeline",
                             SequenceSettings(fps=Fraction(24), width=64, height=36))
    try:
        hero = tmp_path / "hero.png"
        Image.new("RGB", (32, 32), (200, 40, 40)).save(hero)
        ref = store_reference(project, hero, role="character")
        project.execute({"op": "add_cast", "name": "Mara", "references": [ref.to_json()]})
        [member] = project.sequence.cast
        project.execute({"op": "add_generated", "track": "V1", "at": 0, "duration": 12,
                         "prompt": "Mara steps right"})
        [seg] = project.sequence.tracks["V1"].items
        runner = GenerationRunner(project, client=client, measure=False)
        choices = dict(backend="wan-animate", model=model, seed=2, steps=2, size=(32, 32),
                       max_sequence_length=16)
        # No picture, nothing to drive it: refused, naming what to add.
        with pytest.raises(GenerationError, match="character picture"):
            runner.request_for(seg.id, **choices)
        project.execute({"op": "set", "item": seg.id, "cast": [member]})
        with pytest.raises(GenerationError, match="pose keyframes or a motion clip"):
            runner.request_for(seg.id, **choices)
        project.execute({"op": "set", "item": seg.id, "poses": _poses(12)})
        with pytest.raises(GenerationError, match="replace mode"):
            runner.queue(seg.id, runner.request_for(seg.id, **choices,
                                                    animate_mode="replace"))
        [job] = _run(runner, seg.id, runner.request_for(seg.id, **choices))
        assert job.state == "done", job.error
        take = runner.records.take(job.take_ids[0])
        assert take.backend == "wan-animate" and take.frame_count == 9
        assert take.recipe["pipeline_class"] == "WanAnimatePipeline"
        assert take.recipe["call"]["mode"] == "animate"
        inputs = take.recipe["inputs"]
        assert inputs["image"]["sha256"] == ref.sha256  # the cast member's picture
        # The pose video is the segment's keyframes drawn as pose maps.
        control = list(read_take(Path(inputs["video"]["path"])))
        assert inputs["video"]["control"] == "pose" and len(control) == 9
        track = PoseTrack.from_json(_poses(12))
        drawn = render_pose_frames(track, [0.0], 32, 32)
        assert np.array_equal(control[0], np.asarray(list(drawn)[0])[..., :3])
        again = asyncio.run(runner.rerun(take))
        assert again.frames_hash == take.frames_hash
    finally:
        project.close()
