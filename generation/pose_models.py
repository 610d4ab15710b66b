"""Pose models: the person detector and the keypoint model that read poses out of a
reference clip, and where they are found.

A pose model is a folder of two ONNX files (run by onnxruntime, no torch):

- a YOLOX person detector (``yolox_*.onnx``, ``det*.onnx``, or mmdeploy's ``end2end.onnx``
  inside a ``yolox_*`` folder), with or without NMS inside;
- an RTMPose / DWPose top-down keypoint model with SimCC outputs (``rtmpose*.onnx``,
  ``dw-ll_ucoco*.onnx``, ``pose*.onnx``, or ``end2end.onnx`` inside an ``rtmpose*`` folder):
  COCO-17 body keypoints first (DWPose's 133 whole-body points start with them).

They come, in this order, from the folder a user names (``--pose-model DIR``), the folder in
``$TAKELINE_POSE_MODELS``, Takeline's own folder (``~/.local/share/takeline/pose-models``,
``POSE_MODELS_DIR``), or the Hugging Face cache (``DEFAULT_POSE_MODEL``, which
``takeline models pull --pose`` puts there). Nothing here imports onnxruntime; the runner is
``generation.pose_extract``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generation.installed_models import ModelError, format_size
from timeline.app_dirs import data_dir

DEFAULT_POSE_MODEL = "yzd-v/DWPose"  # yolox_l.onnx + dw-ll_ucoco_384.onnx
PULL_POSE_PATTERNS = ("*.onnx",)
_DETECTOR_WORDS = ("yolox", "rtmdet")
_POSE_WORDS = ("rtmpose", "dw-ll", "dwpose", "rtmw")


def pose_models_dir() -> Path:
    """Takeline's own folder for pose models (``$TAKELINE_POSE_MODELS`` when set)."""
    env = os.environ.get("TAKELINE_POSE_MODELS")
    if env:
        return Path(env).expanduser()
    return data_dir() / "pose-models"


class PoseModelError(ModelError):
    """No usable pose model; the message says what to pull or where to put the files."""


def no_pose_model(named: str | None = None) -> PoseModelError:
    which = f"{named} has no pose model" if named else "no pose model installed"
    return PoseModelError(
        f"{which}: pull {DEFAULT_POSE_MODEL} (`takeline models pull --pose`, needs a "
        f"network) or put the .onnx files (a YOLOX person detector such as yolox_l.onnx and "
        f"an RTMPose or DWPose model such as dw-ll_ucoco_384.onnx) in {pose_models_dir()} "
        "or a folder passed with --pose-model DIR")


@dataclass(frozen=True)
class PoseModel:
    id: str  # repo id, or the folder's absolute path
    revision: str | None  # the cache snapshot's commit; None for a local folder
    detector: Path
    pose: Path
    size_bytes: int

    @property
    def path(self) -> Path:
        return self.pose.parent

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "revision": self.revision, "path": str(self.path),
                "detector": str(self.detector), "pose": str(self.pose),
                "size_bytes": self.size_bytes, "size": format_size(self.size_bytes),
                "kind": "pose"}


def _role(path: Path, folder: Path) -> str | None:
    words = str(path.relative_to(folder)).lower()
    stem = path.stem.lower()
    if any(w in words for w in _DETECTOR_WORDS) or stem.startswith("det"):
        return "detector"
    if any(w in words for w in _POSE_WORDS) or stem.startswith("pose"):
        return "pose"
    return None


def _check_folder(folder: Path, name: str) -> PoseModel | None:
    """The pose model in ``folder``; None when it has no ONNX files at all;
    PoseModelError when one of the two is missing or ambiguous."""
    files = sorted(p for p in folder.rglob("*.onnx") if p.is_file())
    if not files:
        return None
    found: dict[str, list[Path]] = {"detector": [], "pose": []}
    for f in files:
        role = _role(f, folder)
        if role is not None:
            found[role].append(f)
    for role, what in (("detector", "YOLOX person detector (yolox_*.onnx or det.onnx)"),
                       ("pose", "RTMPose or DWPose model (rtmpose*.onnx, "
                                "dw-ll_ucoco*.onnx or pose.onnx)")):
        if not found[role]:
            raise PoseModelError(f"{name} has no {what}; the .onnx files there are "
                                 f"{', '.join(f.name for f in files)}")
        if len(found[role]) > 1:
            raise PoseModelError(f"{name} has {len(found[role])} {role} models ("
                                 f"{', '.join(f.name for f in found[role])}); keep one")
    detector, pose = found["detector"][0], found["pose"][0]
    size = detector.stat().st_size + pose.stat().st_size
    return PoseModel(name, None, detector, pose, size)


def resolve_pose_model(folder: str | os.PathLike[str] | None = None, *,
                       cache_dir: Path | None = None) -> PoseModel:
    """The pose model in the folder a user named, else the first found in Takeline's own
    folder or the Hugging Face cache. Never touches the network."""
    if folder is not None:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise PoseModelError(f"{path} is not a folder; pass the folder holding the "
                                 "pose model's .onnx files")
        model = _check_folder(path, str(path.resolve()))
        if model is None:
            raise no_pose_model(str(path))
        return model
    own = pose_models_dir()
    if own.is_dir():
        model = _check_folder(own, str(own))
        if model is not None:
            return model
    for model in list_pose_models(cache_dir=cache_dir, include_own=False):
        return model
    raise no_pose_model()


def list_pose_models(*, cache_dir: Path | None = None, include_own: bool = True
                     ) -> list[PoseModel]:
    """Pose models in Takeline's own folder and in the Hugging Face cache (one per cached
    revision); incomplete ones are left out."""
    found: list[PoseModel] = []
    own = pose_models_dir()
    if include_own and own.is_dir():
        try:
            model = _check_folder(own, str(own))
        except PoseModelError:
            model = None
        if model is not None:
            found.append(model)
    if cache_dir is None:
        from huggingface_hub import constants

        cache_dir = Path(constants.HF_HUB_CACHE)
    for repo in sorted(Path(cache_dir).expanduser().glob("models--*")):
        repo_id = repo.name[len("models--"):].replace("--", "/")
        snapshots = repo / "snapshots"
        if not snapshots.is_dir():
            continue
        for snapshot in sorted(snapshots.iterdir()):
            try:
                model = _check_folder(snapshot, repo_id) if snapshot.is_dir() else None
            except PoseModelError:
                continue
            if model is not None:
                found.append(PoseModel(repo_id, snapshot.name, model.detector, model.pose,
                                       model.size_bytes))
    return found


def pull_pose_model(repo_id: str = DEFAULT_POSE_MODEL, *, cache_dir: Path | None = None,
                    revision: str | None = None) -> PoseModel:
    """Download a pose model's ONNX files into the Hugging Face cache."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo_id, revision=revision, cache_dir=cache_dir,
                                        allow_patterns=list(PULL_POSE_PATTERNS)))
    except Exception as exc:
        raise PoseModelError(f"Cannot pull {repo_id}: {str(exc).rstrip('.')}. With no "
                             f"network, copy the .onnx files into {pose_models_dir()} from "
                             "a machine that has one") from None
    model = _check_folder(folder, repo_id)
    if model is None:
        raise PoseModelError(f"{repo_id} has no .onnx pose model files")
    return PoseModel(repo_id, folder.name, model.detector, model.pose, model.size_bytes)
