"""The pose detector's real pre- and post-processing on tiny random ONNX models (shapes
and plumbing, not accuracy), finding pose models, and real weights when installed."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from generation.pose_extract import (
    PoseDetector,
    PoseExtractError,
    detect_frames,
    extract_pose_track,
)
from generation.pose_models import (
    DEFAULT_POSE_MODEL,
    PoseModel,
    PoseModelError,
    list_pose_models,
    resolve_pose_model,
)
from tests.generation.tiny_pose_onnx import (
    detector_with_nms,
    pose_model_folder,
    rtmpose_fixed,
    write_clip,
)


@pytest.fixture
def no_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Neither Takeline's pose folder nor the Hugging Face cache holds a pose model."""
    from huggingface_hub import constants

    monkeypatch.setenv("TAKELINE_POSE_MODELS", str(tmp_path / "own-pose-models"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path


@pytest.mark.parametrize("raw", [False, True], ids=["nms-inside", "raw-yolox-head"])
def test_detector_and_keypoints_plumbing(tmp_path: Path, raw: bool) -> None:
    model = resolve_pose_model(pose_model_folder(tmp_path / "m", raw_detector=raw))
    detector = PoseDetector(model)
    assert detector.det_size == (64, 64) and detector.pose_size == (24, 32)
    picture = np.random.default_rng(3).integers(0, 255, (48, 80, 3), dtype=np.uint8)
    boxes = detector.boxes(picture)
    assert boxes.ndim == 2 and boxes.shape[1] == 4 and len(boxes) >= 1
    assert np.all(boxes[:, 0] >= 0) and np.all(boxes[:, 2] <= 80)
    assert np.all(boxes[:, 1] >= 0) and np.all(boxes[:, 3] <= 48)
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    if not raw:
        # The one box (16, 8, 40, 60) on the 64x64 input, shifted by mean/64, back in the
        # picture's pixels (the picture was scaled by 0.8 to fit), clipped to the picture.
        shift = float(np.mean(
            _letterboxed(picture[..., ::-1], 64).astype(np.float32))) / 64
        want = np.array([16 + shift, 8, 40 + shift, 60]) / 0.8
        assert np.allclose(boxes[0], np.minimum(want, [80, 48, 80, 48]), atol=1e-3)
    people = detector.frame(picture)
    assert len(people) == len(boxes)
    for (points, scores), box in zip(people, boxes, strict=True):
        assert points.shape == (17, 2) and scores.shape == (17,)
        assert np.all((scores > 0) & (scores <= 1))  # the mean of two sigmoid maxima
        # Keypoints land inside the padded crop around their box.
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        reach = 1.25 * max(box[2] - box[0], (box[3] - box[1]) * 24 / 32) / 2 + 1
        assert np.all(np.abs(points[:, 0] - cx) <= reach)
        assert np.all(np.abs(points[:, 1] - cy) <= reach * 32 / 24)


def _letterboxed(bgr: np.ndarray, size: int) -> np.ndarray:
    import cv2

    ratio = min(size / bgr.shape[1], size / bgr.shape[0])
    w, h = int(bgr.shape[1] * ratio), int(bgr.shape[0] * ratio)
    canvas = np.full((size, size, 3), 114, dtype=np.uint8)
    canvas[:h, :w] = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR)
    return canvas


def test_extract_in_process_gives_a_valid_track(tmp_path: Path) -> None:
    from timeline.conditioning.pose import PoseTrack, validate_pose_track

    model = resolve_pose_model(pose_model_folder(tmp_path / "m"))
    clip = write_clip(tmp_path / "walk.mp4", frames=10)
    # 16 sequence frames asked at 24 fps; the clip has 10, so 10 are read.
    track, report = extract_pose_track(clip, model, frames=16, fps=Fraction(24), width=96,
                                       height=64, tolerance=3.0, in_child=False)
    assert report["frames_read"] == 10 and report["detections"] == 10
    # Random keypoints jump about, so the tracker may split the one box into people;
    # every frame of the clip is still covered, and no key falls outside it.
    assert report["people"] == len(track.people) >= 1
    keyed = {k.frame for p in track.people for k in p.keys if k.visible}
    assert min(keyed) == 0 and max(keyed) == 9
    assert report["keys"] == sum(len(p.keys) for p in track.people)
    validate_pose_track(track, 16)
    assert PoseTrack.from_json(track.to_json()) == track


def test_simcc_decoding_and_reduction_with_known_peaks(tmp_path: Path) -> None:
    from timeline.conditioning.pose_reduce import coco17_to_coco18

    folder = tmp_path / "fixed"
    folder.mkdir()
    detector_with_nms(folder / "yolox_nms.onnx")
    # Keypoint n peaks at x bin 2n + 7, y bin 3n + 1 (split ratio 2: half a pixel a bin).
    peaks = [(2 * n + 7, 3 * n + 1) for n in range(17)]
    rtmpose_fixed(folder / "rtmpose_fixed.onnx", peaks)
    model = resolve_pose_model(folder)
    detector = PoseDetector(model)
    picture = np.zeros((64, 96, 3), dtype=np.uint8)
    # A 24x32 box has the model's aspect: the crop is the box padded by 1.25, (30, 40).
    points, scores = detector.keypoints(picture, np.array([10.0, 10.0, 34.0, 42.0]))
    want = np.array([(ix / 2 / 24 * 30 + 22 - 15, iy / 2 / 32 * 40 + 26 - 20)
                     for ix, iy in peaks])
    assert np.allclose(points, want) and np.allclose(scores, 0.9)
    # A box twice as tall as the model's aspect widens to it around the same centre.
    points, _ = detector.keypoints(picture, np.array([10.0, 0.0, 34.0, 64.0]))
    assert np.allclose(points[:, 0], [ix / 2 / 24 * 60 + 22 - 30 for ix, _ in peaks])
    # The same pose in every frame of a clip: one person, keyed at its two ends only, at
    # the decoded places scaled to the sequence.
    clip = write_clip(tmp_path / "walk.mp4", frames=12)
    track, report = extract_pose_track(clip, model, frames=12, fps=Fraction(24), width=192,
                                       height=128, tolerance=4.0, in_child=False)
    [person] = track.people
    assert [k.frame for k in person.keys] == [0, 11] and report["keys"] == 2
    [[(first, first_scores)]] = [detect_frames(model, str(clip), [0])[0]]
    joints = coco17_to_coco18(first * 2, first_scores)  # clip 96x64 -> sequence 192x128
    got = np.array([j for j in person.keys[0].skeleton.joints]) * (192, 128)
    assert np.allclose(got, joints)


def test_wrong_models_fail_clearly(tmp_path: Path) -> None:
    folder = pose_model_folder(tmp_path / "m")
    good = resolve_pose_model(folder)
    swapped = PoseModel("swapped", None, good.pose, good.detector, 0)
    with pytest.raises(PoseExtractError, match="YOLOX head on a 24x32 input"):
        PoseDetector(swapped).boxes(np.zeros((32, 32, 3), dtype=np.uint8))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "yolox_l.onnx").write_bytes(b"not onnx")
    (broken / "rtmpose-m.onnx").write_bytes(b"not onnx")
    with pytest.raises(PoseExtractError, match="cannot load yolox_l.onnx"):
        PoseDetector(resolve_pose_model(broken))
    with pytest.raises(PoseExtractError, match="not a file"):
        extract_pose_track(tmp_path / "none.mp4", good, frames=4, fps=Fraction(24),
                           width=64, height=64)


def test_finding_pose_models(tmp_path: Path, no_installed: Path) -> None:
    with pytest.raises(PoseModelError, match=f"no pose model installed: pull "
                       f"{DEFAULT_POSE_MODEL}.*own-pose-models"):
        resolve_pose_model()
    assert list_pose_models() == []
    only_pose = tmp_path / "half"
    only_pose.mkdir()
    (only_pose / "dw-ll_ucoco_384.onnx").write_bytes(b"x")
    with pytest.raises(PoseModelError, match="has no YOLOX person detector.*dw-ll_ucoco_384.onnx"):
        resolve_pose_model(only_pose)
    with pytest.raises(PoseModelError, match="is not a folder"):
        resolve_pose_model(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PoseModelError, match="empty has no pose model: pull"):
        resolve_pose_model(empty)
    # Takeline's own folder, with mmdeploy's layout (end2end.onnx in named folders).
    own = tmp_path / "own-pose-models"
    for name in ("yolox_m_8xb8-300e_humanart", "rtmpose-m_simcc-body7_pt-body7_420e"):
        (own / name).mkdir(parents=True)
        (own / name / "end2end.onnx").write_bytes(b"x" * 10)
    found = resolve_pose_model()
    assert found.detector.parent.name.startswith("yolox")
    assert found.pose.parent.name.startswith("rtmpose") and found.size_bytes == 20
    assert [m.id for m in list_pose_models()] == [str(own)]
    # The Hugging Face cache, as `takeline models pull --pose` leaves it.
    snap = tmp_path / "hf-cache" / "models--yzd-v--DWPose" / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "yolox_l.onnx").write_bytes(b"x")
    (snap / "dw-ll_ucoco_384.onnx").write_bytes(b"x")
    cached = [m for m in list_pose_models() if m.revision == "abc123"]
    assert [m.id for m in cached] == [DEFAULT_POSE_MODEL]
    assert cached[0].to_dict()["kind"] == "pose"


def test_real_pose_model_on_a_real_clip(testdata: Path) -> None:
    try:
        model = resolve_pose_model()
    except PoseModelError as exc:
        pytest.skip(f"needs real pose weights (none on this machine): {exc}")
    clip = testdata / "video" / "chaplin.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} is not in the shared test data")
    track, report = extract_pose_track(clip, model, frames=24, fps=Fraction(24), width=640,
                                       height=360, tolerance=6.0)
    assert report["frames_read"] == 24
    assert report["people"] >= 1, report
    assert sum(len(p.keys) for p in track.people) < report["detections"]
