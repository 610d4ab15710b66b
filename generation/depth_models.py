"""Depth models: which Depth Anything models (transformers' ``depth_anything`` type) are on
this machine, and getting one.

A depth model is a transformers model folder: ``config.json`` whose ``model_type`` is
``depth_anything``, its ``preprocessor_config.json`` and ``.safetensors`` weights. As for
the diffusers pipelines (``generation.installed_models``) it comes from the Hugging Face
cache, named by its repo id (``DEFAULT_DEPTH_MODEL``; ``takeline models pull --depth``
puts it there), or from any local folder, named by its path. Pickle-based weights are
refused. The worker runs it (``generation.backends.depth``); nothing here imports torch or
transformers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generation.installed_models import UNSAFE_WEIGHT_SUFFIXES, ModelError, format_size

DEFAULT_DEPTH_MODEL = "depth-anything/Depth-Anything-V2-Small-hf"
DEPTH_MODEL_TYPES = ("depth_anything",)
_FILES = ("config.json", "preprocessor_config.json")
PULL_DEPTH_PATTERNS = ("config.json", "preprocessor_config.json", "*.safetensors")


class DepthModelError(ModelError):
    """No usable depth model; the message says which to pull or pass."""


def no_depth_model(named: str | None = None) -> DepthModelError:
    which = f"{named} is not installed" if named else "No depth model installed"
    return DepthModelError(
        f"{which}: pull {DEFAULT_DEPTH_MODEL} (`takeline models pull --depth "
        f"{DEFAULT_DEPTH_MODEL}`, needs a network) or pass the folder of a Depth Anything "
        "model (config.json, preprocessor_config.json, .safetensors weights)")


@dataclass(frozen=True)
class DepthModel:
    id: str  # repo id, or a local folder's absolute path
    revision: str | None  # the cache snapshot's commit; None for a local folder
    path: Path
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "revision": self.revision, "path": str(self.path),
                "size_bytes": self.size_bytes, "size": format_size(self.size_bytes),
                "kind": "depth"}


def _check_folder(folder: Path, name: str) -> DepthModel | None:
    """The depth model in ``folder``; None when it is not one; DepthModelError when it is
    one that cannot be used."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        return None
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or config.get("model_type") not in DEPTH_MODEL_TYPES:
        return None
    files = [p for p in folder.iterdir() if p.is_file()]
    if any(p.suffix in UNSAFE_WEIGHT_SUFFIXES for p in files) and not any(
            p.suffix == ".safetensors" for p in files):
        raise DepthModelError(f"{name} has only pickle-based weights (.bin/.pt), which can "
                              "run code when loaded; use its .safetensors version")
    if not any(p.suffix == ".safetensors" for p in files):
        raise DepthModelError(f"{name} has no .safetensors weights (an interrupted copy or "
                              "pull?); pull or copy it again")
    if not (folder / "preprocessor_config.json").is_file():
        raise DepthModelError(f"{name} has no preprocessor_config.json; pull or copy the "
                              "whole model folder again")
    size = sum(p.stat().st_size for p in files)
    return DepthModel(name, None, folder.resolve(), size)


def resolve_depth_model(id_or_path: str | None = None, *, cache_dir: Path | None = None
                        ) -> DepthModel:
    """The depth model a user named (a folder, or a repo id in the Hugging Face cache), or
    the default one when none is named. Never touches the network."""
    text = (id_or_path or DEFAULT_DEPTH_MODEL).strip()
    folder = Path(text).expanduser()
    if folder.is_dir():
        model = _check_folder(folder, str(folder.resolve()))
        if model is None:
            raise DepthModelError(f"{folder} is not a Depth Anything model folder (its "
                                  "config.json must say model_type depth_anything)")
        return model
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        snapshot = Path(snapshot_download(text, cache_dir=cache_dir, local_files_only=True,
                                          allow_patterns=list(_FILES)))
    except (LocalEntryNotFoundError, FileNotFoundError, HFValidationError):
        raise no_depth_model(None if id_or_path is None else text) from None
    except Exception as exc:  # IncompleteSnapshotError and the like
        raise DepthModelError(f"{text} is only partly in the Hugging Face cache ({exc}); "
                              f"pull it again: `takeline models pull --depth {text}`") from None
    model = _check_folder(snapshot, text)
    if model is None:
        raise DepthModelError(f"{text} is in the Hugging Face cache but is not a Depth "
                              "Anything model")
    return DepthModel(text, snapshot.name, model.path, model.size_bytes)


def list_depth_models(*, cache_dir: Path | None = None) -> list[DepthModel]:
    """Every depth model in the Hugging Face cache (one per cached revision)."""
    if cache_dir is None:
        from huggingface_hub import constants

        cache_dir = Path(constants.HF_HUB_CACHE)
    found: list[DepthModel] = []
    for repo in sorted(Path(cache_dir).expanduser().glob("models--*")):
        repo_id = repo.name[len("models--"):].replace("--", "/")
        snapshots = repo / "snapshots"
        if not snapshots.is_dir():
            continue
        for snapshot in sorted(snapshots.iterdir()):
            try:
                model = _check_folder(snapshot, repo_id) if snapshot.is_dir() else None
            except DepthModelError:
                continue  # incomplete: `takeline models pull --depth` finishes it
            if model is not None:
                found.append(DepthModel(repo_id, snapshot.name, model.path, model.size_bytes))
    return found


def pull_depth_model(repo_id: str = DEFAULT_DEPTH_MODEL, *, cache_dir: Path | None = None,
                     revision: str | None = None) -> DepthModel:
    """Download a depth model's config, preprocessor and safetensors weights into the
    Hugging Face cache (never pickled weights)."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo_id, revision=revision, cache_dir=cache_dir,
                                        allow_patterns=list(PULL_DEPTH_PATTERNS)))
    except Exception as exc:
        raise DepthModelError(f"Cannot pull {repo_id}: {str(exc).rstrip('.')}. With no "
                              "network, copy the "
                              "model folder from a machine that has one and pass its "
                              "path") from None
    model = _check_folder(folder, repo_id)
    if model is None:
        raise DepthModelError(f"{repo_id} is not a Depth Anything model")
    return DepthModel(repo_id, folder.name, model.path, model.size_bytes)
