"""Depth control: a tiny random Depth Anything model built from a config, saved with
``save_pretrained`` and loaded back through ``from_pretrained`` as a user's model folder;
a segment's depth reference clip to the depth maps in a VACE job's control input; the clear
refusal without a depth model; the real model when it is installed."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generation.depth_models import (
    DEFAULT_DEPTH_MODEL,
    DepthModelError,
    list_depth_models,
    resolve_depth_model,
)
from project_store.references import store_reference
from services.demo_media import write_color_bars_video
from tests.generation.conftest import make_project

torch = pytest.importorskip("torch", reason="depth maps need torch (the generate extra)")
transformers = pytest.importorskip("transformers", reason="depth maps need transformers")


def build_tiny_depth_model(folder: Path) -> Path:
    """A real DepthAnythingForDepthEstimation with a 4-layer, 32-wide DINOv2 backbone and
    random weights (seed 0), and its DPT image processor at 56 px, saved as a user would
    have them: config.json, preprocessor_config.json, model.safetensors."""
    from transformers import (
        DepthAnythingConfig,
        DepthAnythingForDepthEstimation,
        Dinov2Config,
        DPTImageProcessor,
    )

    backbone = Dinov2Config(image_size=56, patch_size=14, hidden_size=32, num_hidden_layers=4,
                            num_attention_heads=2, intermediate_size=37,
                            out_features=["stage1", "stage2", "stage3", "stage4"],
                            reshape_hidden_states=False)
    config = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=32,
                                 patch_size=14, neck_hidden_sizes=[8, 16, 32, 32],
                                 fusion_hidden_size=16, head_hidden_size=8)
    torch.manual_seed(0)
    DepthAnythingForDepthEstimation(config).eval().save_pretrained(folder)
    DPTImageProcessor(do_resize=True, size={"height": 56, "width": 56}, keep_aspect_ratio=True,
                      ensure_multiple_of=14, do_rescale=True, do_normalize=True,
                      image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225]
                      ).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def depth_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_depth_model(tmp_path_factory.mktemp("models") / "my-depth-model")


def pictures(n: int = 5, size: tuple[int, int] = (48, 32)) -> list[np.ndarray]:
    """A bright square moving across a gradient: something with edges to see depth in."""
    w, h = size
    out = []
    for i in range(n):
        f = np.tile(np.linspace(20, 200, w, dtype=np.uint8)[None, :, None], (h, 1, 3))
        f[8:24, 4 + 6 * i:20 + 6 * i] = 250
        out.append(f)
    return out


def direct_depth(folder: Path, frames: list[np.ndarray]) -> np.ndarray:
    """The same question asked of transformers directly: processor, model, resize to the
    frame, one 0..1 scale over the clip."""
    from transformers import AutoImageProcessor, DepthAnythingForDepthEstimation

    model = DepthAnythingForDepthEstimation.from_pretrained(folder).eval()
    processor = AutoImageProcessor.from_pretrained(folder)
    with torch.no_grad():
        predicted = model(**processor(images=frames, return_tensors="pt")).predicted_depth
    h, w = frames[0].shape[:2]
    depth = torch.nn.functional.interpolate(predicted[:, None], size=(h, w), mode="bicubic",
                                            align_corners=False)[:, 0].numpy()
    return (depth - depth.min()) / (depth.max() - depth.min())


def test_a_users_depth_model_folder_loads_and_estimates_depth(depth_folder: Path) -> None:
    from generation.backends.depth import depth_control_frames, estimate_depth

    model = resolve_depth_model(str(depth_folder))
    assert model.path == depth_folder.resolve() and model.revision is None
    assert sorted(p.name for p in depth_folder.iterdir()) == [
        "config.json", "model.safetensors", "preprocessor_config.json"]
    frames = pictures()
    depth = estimate_depth(frames, model.path)
    assert depth.shape == (5, 32, 48) and depth.dtype == np.float32
    assert depth.min() == 0.0 and depth.max() == 1.0
    np.testing.assert_allclose(depth, direct_depth(depth_folder, frames), atol=1e-5)
    assert not np.allclose(depth[0], depth[-1])  # the square moved, and so did its depth
    grey = depth_control_frames(depth)
    assert len(grey) == 5 and grey[0].shape == (32, 48, 3) and grey[0].dtype == np.uint8
    assert (grey[2][..., 0] == grey[2][..., 2]).all()
    np.testing.assert_array_equal(estimate_depth(frames, model.path), depth)  # deterministic


def test_a_depth_model_in_the_hugging_face_cache_is_listed_and_found_by_its_id(
        tmp_path: Path, depth_folder: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from huggingface_hub import constants

    from cli.main import main

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--tiny-depth"
    shutil.copytree(depth_folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    model = resolve_depth_model("someone/tiny-depth")
    assert (model.id, model.revision) == ("someone/tiny-depth", commit)
    assert [m.id for m in list_depth_models()] == ["someone/tiny-depth"]
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    assert "someone/tiny-depth  rev 0123456789ab" in capsys.readouterr().out


def test_a_depth_reference_clip_becomes_the_vace_control_input(
        tmp_path: Path, depth_folder: Path) -> None:
    """Segment -> brief (control "depth") -> planned job with the clip's pictures rendered
    at the job's size and frame times -> WanVACE's pipeline inputs: the depth maps."""
    from generation.backends.base import load_video_frames
    from generation.backends.depth import depth_control_frames, estimate_depth
    from generation.backends.wan_vace import WanVaceBackend
    from generation.planner import ResolvedModel
    from services.generation_queue import GenerationRunner

    clip = write_color_bars_video(tmp_path / "ref.mp4", seconds=1, fps=Fraction(24),
                                  size=(320, 180))
    project, seg = make_project(tmp_path / "p.takeline", duration=12)
    ref = store_reference(project, clip, "depth")
    project.execute({"op": "set", "item": seg, "references": [ref.to_json()]})
    runner = GenerationRunner(project, measure=False, depth_model=str(depth_folder))
    request = runner.request_for(
        seg, backend="wan-vace", seed=1, steps=2, guidance=3.0, size=(32, 32),
        model=ResolvedModel(id="tiny/wan-vace", path=str(tmp_path), revision="test",
                            pipeline_class="WanVACEPipeline"))
    assert request.inputs["video"] == {"control": "depth"}
    [spec] = runner._prepare(runner.records.segment(seg), request)
    video = spec.inputs.video
    assert video is not None and video.control == "depth"
    assert video.depth_model == str(depth_folder.resolve())
    n = spec.call["num_frames"]
    sources = [np.asarray(f) for f in load_video_frames(video.path)]
    assert len(sources) == n and sources[0].shape == (32, 32, 3)
    inputs = WanVaceBackend().pipeline_inputs(spec)
    expected = depth_control_frames(estimate_depth(sources, depth_folder))
    assert len(inputs["video"]) == n
    for got, want in zip(inputs["video"], expected, strict=True):
        np.testing.assert_array_equal(np.asarray(got), want)
    assert json.loads(json.dumps(spec.to_json()))["inputs"]["video"]["depth_model"] == str(
        depth_folder.resolve())  # the take's recipe names the depth model
    project.close()


def test_without_a_depth_model_the_job_is_refused_before_anything_loads(
        tmp_path: Path) -> None:
    from generation.backends.base import GenerationError
    from generation.planner import ResolvedModel
    from services.generation_queue import GenerationRunner

    with pytest.raises(DepthModelError, match=f"No depth model installed: pull "
                                              f"{DEFAULT_DEPTH_MODEL}"):
        resolve_depth_model(None, cache_dir=tmp_path / "empty-cache")
    assert list_depth_models(cache_dir=tmp_path / "empty-cache") == []
    not_a_model = tmp_path / "folder"
    not_a_model.mkdir()
    with pytest.raises(DepthModelError, match="not a Depth Anything model folder"):
        resolve_depth_model(str(not_a_model))

    still = tmp_path / "plate.png"
    from PIL import Image

    Image.fromarray(pictures(1)[0]).save(still)
    project, seg = make_project(tmp_path / "p.takeline")
    ref = store_reference(project, still, "depth")
    project.execute({"op": "set", "item": seg, "references": [ref.to_json()]})
    runner = GenerationRunner(project, measure=False, depth_model="nobody/no-such-depth")
    request = runner.request_for(
        seg, backend="wan-vace", seed=1, steps=2, guidance=3.0, size=(32, 32),
        model=ResolvedModel(id="tiny/wan-vace", path=str(tmp_path), revision="test",
                            pipeline_class="WanVACEPipeline"))
    with pytest.raises(GenerationError, match="nobody/no-such-depth is not installed: pull "
                                              f"{DEFAULT_DEPTH_MODEL}"):
        runner.queue(seg, request)
    assert project.query("SELECT count(*) FROM jobs")[0][0] == 0  # nothing was queued
    project.close()


def test_backends_without_a_control_video_refuse_a_depth_reference(tmp_path: Path) -> None:
    from generation.backends.base import UnsupportedRequest
    from services.generation_queue import GenerationRunner

    still = tmp_path / "plate.png"
    from PIL import Image

    Image.fromarray(pictures(1)[0]).save(still)
    project, seg = make_project(tmp_path / "p.takeline")
    ref = store_reference(project, still, "depth")
    project.execute({"op": "set", "item": seg, "references": [ref.to_json()]})
    with pytest.raises(UnsupportedRequest, match="cannot take a depth reference"):
        GenerationRunner(project, measure=False).request_for(seg, backend="wan")
    project.close()


def test_the_real_depth_model_when_installed() -> None:
    try:
        model = resolve_depth_model(None)
    except DepthModelError as exc:
        pytest.skip(f"needs {DEFAULT_DEPTH_MODEL} in the Hugging Face cache ({exc})")
    from generation.backends.depth import estimate_depth

    frames: list[Any] = pictures(2, (224, 168))
    depth = estimate_depth(frames, model.path)
    assert depth.shape == (2, 168, 224) and 0.0 <= depth.min() < depth.max() <= 1.0


def test_a_depth_map_reference_lifts_the_previz_plate_and_drives_vace_without_a_model(
        tmp_path: Path) -> None:
    """A picture and its depth map (made elsewhere): previz draws the plate lifted off its
    plane by the map (a sideways move then differs from the flat plate's), and for VACE the
    map itself, through the camera, is the control video, with no depth model."""
    from PIL import Image

    from generation.backends.base import load_video_frames
    from generation.backends.previz import PrevizBackend
    from generation.backends.wan_vace import WanVaceBackend
    from generation.planner import ResolvedModel, plan
    from services.generation_queue import GenerationRunner
    from timeline.conditioning.camera import CameraKey, CameraPath

    w, h = 64, 36
    picture = tmp_path / "plate.png"
    stripes = (np.arange(w) // 4 * 12 % 250).astype(np.uint8)
    Image.fromarray(np.repeat(np.tile(stripes[None, :, None], (h, 1, 1)), 3, axis=2)).save(
        picture)
    depth_map = tmp_path / "plate-depth.png"
    near_top = np.zeros((h, w), np.uint8)
    near_top[: h // 2] = 255
    Image.fromarray(near_top).save(depth_map)
    project, seg = make_project(tmp_path / "p.takeline", duration=8)
    refs = [store_reference(project, picture, "style"),
            store_reference(project, depth_map, "depth", use="map")]
    move = CameraPath(keys=(CameraKey(0, easing="linear"), CameraKey(7, x=0.4)))
    project.execute({"op": "set", "item": seg, "references": [r.to_json() for r in refs],
                     "camera": move.to_json()})
    runner = GenerationRunner(project, measure=False, depth_model="nobody/never-needed")

    def previz(with_depth: bool) -> list[np.ndarray]:
        request = runner.request_for(seg, backend="previz", seed=1, size=(w, h))
        scene = request.inputs["scene"]
        assert ("depth" in scene) is True
        if not with_depth:
            request.inputs["scene"] = {k: v for k, v in scene.items() if k != "depth"}
        [spec] = plan(request)
        assert (spec.inputs.scene.depth is not None) is with_depth
        return list(PrevizBackend().frames(spec, lambda *_: None, lambda: False))

    lifted, flat = previz(True), previz(False)
    assert len(lifted) == len(flat) == 8
    np.testing.assert_array_equal(lifted[0], flat[0])  # the first key is the plate's view
    top = slice(2, 8)  # the near half moves further than the plane under the dolly
    assert not np.array_equal(lifted[-1][top], flat[-1][top])

    request = runner.request_for(
        seg, backend="wan-vace", seed=1, steps=2, guidance=3.0, size=(32, 32),
        model=ResolvedModel(id="tiny/wan-vace", path=str(tmp_path), revision="test",
                            pipeline_class="WanVACEPipeline"))
    [spec] = runner._prepare(runner.records.segment(seg), request)
    assert spec.inputs.video is not None and spec.inputs.video.depth_model is None
    control = WanVaceBackend().pipeline_inputs(spec)["video"]
    rendered = load_video_frames(spec.inputs.video.path)
    assert [np.asarray(c).tolist() for c in control] == [np.asarray(r).tolist()
                                                         for r in rendered]
    first = np.asarray(control[0])
    assert first[2, 16, 0] > 200 and first[-3, 16, 0] < 50  # the map: near top, far bottom
    project.close()
