"""The model manager: which diffusers video pipelines are on this machine, and getting more.

A model is a diffusers *pipeline folder*: a folder with ``model_index.json`` (whose
``_class_name`` names the pipeline class) and one subfolder per component. It comes from one
of two places:

* the standard Hugging Face cache (``HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
  ``~/.cache/huggingface/hub``; huggingface_hub's own defaults), named by its repo id, e.g.
  ``Wan-AI/Wan2.1-T2V-1.3B-Diffusers``. ``pull_model`` puts models there.
* any local folder, named by its path (for machines without a network: download elsewhere,
  copy the folder, pass its path).

Takeline loads ``.safetensors`` weights only: pickle-based weight files (``.bin``, ``.pt``,
``.pth``, ``.ckpt``, ...) can run code when loaded, so ``resolve_model`` refuses a folder that
holds any, and ``pull_model`` never downloads them.

This module imports neither torch nor diffusers (the UI imports it at start-up; the backends'
declarations it reads import neither either); huggingface_hub is imported inside the
functions that need it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generation.backends import BACKENDS

__all__ = [
    "BACKEND_PIPELINES",
    "PULL_ALLOW_PATTERNS",
    "UNSAFE_WEIGHT_SUFFIXES",
    "InstalledModel",
    "ModelError",
    "ENABLE_MODELS_HINT",
    "GENERATE_PACKAGES",
    "backends_for",
    "format_size",
    "list_installed",
    "missing_generation_packages",
    "pull_model",
    "resolve_model",
]

# Backend name -> the diffusers pipeline classes it can drive (the first is its default), as
# each model backend declares them (``Backend.pipeline_classes``; previz needs no model).
BACKEND_PIPELINES: dict[str, tuple[str, ...]] = {
    b.name: b.pipeline_classes for b in BACKENDS.values() if b.needs_model
}

# Weight formats that are (or may be) Python pickles: loading one can run arbitrary code.
UNSAFE_WEIGHT_SUFFIXES: frozenset[str] = frozenset(
    {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle"}
)

# What ``pull_model`` fetches inside each component folder of a pipeline: configs, safetensors
# weights and tokenizer files. Nothing else of the repo (sample videos, single-file checkpoints
# at the top level, pickled weights) is downloaded.
PULL_ALLOW_PATTERNS: tuple[str, ...] = (
    "*.json", "*.safetensors", "*.txt", "*.model", "tokenizer*", "*.jinja",
)
_PULL_IGNORE_PATTERNS: list[str] = [f"*{suffix}" for suffix in sorted(UNSAFE_WEIGHT_SUFFIXES)]

_MODEL_INDEX = "model_index.json"
_HEX40 = re.compile(r"[0-9a-f]{40}")
# What huggingface_hub accepts as a repo id: "name" or "namespace/name".
_REPO_ID = re.compile(r"(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*")


class ModelError(Exception):
    """A model cannot be found, fetched or used; the message says what to do about it."""


@dataclass(frozen=True)
class InstalledModel:
    """One installed diffusers pipeline (one revision of it, for the Hugging Face cache)."""

    id: str  # repo id ("Org/Name") or, for a local folder, its absolute path
    revision: str  # commit hash (HF cache) or a 12-hex fingerprint of a local folder's files
    path: Path  # the folder holding model_index.json
    size_bytes: int  # every file counted once, symlinks followed
    pipeline_class: str  # model_index.json ``_class_name``
    backends: tuple[str, ...]  # the Takeline backends that can drive it
    safetensors_only: bool  # no pickle-based weight file (.bin/.pt/.pth/.ckpt/...) in it

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (``takeline models list --json``)."""
        return {
            "id": self.id,
            "revision": self.revision,
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "size": format_size(self.size_bytes),
            "pipeline_class": self.pipeline_class,
            "backends": list(self.backends),
            "safetensors_only": self.safetensors_only,
        }


def backends_for(pipeline_class: str) -> tuple[str, ...]:
    """The backends that can drive a pipeline folder whose ``_class_name`` is this (each
    backend's ``drives_folder`` says; e.g. any LTX-Video folder counts for ``ltx``)."""
    return tuple(name for name in BACKEND_PIPELINES
                 if BACKENDS[name].drives_folder(pipeline_class))


def format_size(n: int) -> str:
    """``1536`` -> ``"1.5 KiB"``; binary units, three significant figures from KiB up."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if value < 1024 or unit == "PiB":
            break
    if value >= 100:
        return f"{value:.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


# ---------------------------------------------------------------------------------------------
# Reading a pipeline folder


def _read_index(folder: Path, name: str) -> dict[str, Any]:
    index_path = folder / _MODEL_INDEX
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(
            f"{name}: cannot read {index_path}: {exc}. Re-download or re-copy the model."
        ) from None
    if not isinstance(index, dict) or not isinstance(index.get("_class_name"), str):
        raise ModelError(
            f"{name}: {index_path} has no `_class_name`, so it is not a diffusers pipeline index. "
            "Re-download or re-copy the model."
        )
    return index


def _walk_files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(posix path relative to root, stat following symlinks) of every file under root.

    Hidden entries (``.cache``, ``.git``, ``.gitattributes``, ``.DS_Store``) are skipped;
    symlinked folders are followed once; broken symlinks are skipped.
    """
    seen_dirs: set[tuple[int, int]] = set()

    def walk(folder: Path, prefix: str) -> Iterator[tuple[str, os.stat_result]]:
        try:
            st = folder.stat()
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen_dirs:
            return
        seen_dirs.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{prefix}{entry.name}"
            try:
                if entry.is_dir(follow_symlinks=True):
                    yield from walk(Path(entry.path), rel + "/")
                elif entry.is_file(follow_symlinks=True):
                    yield rel, entry.stat(follow_symlinks=True)
            except OSError:
                continue

    yield from walk(root, "")


def _describe(folder: Path, model_id: str, revision: str | None) -> InstalledModel:
    """The InstalledModel for a pipeline folder; ``revision`` None = fingerprint its files."""
    index = _read_index(folder, model_id)
    files = list(_walk_files(folder))
    blobs: set[tuple[int, int]] = set()
    size = 0
    for _rel, st in files:
        key = (st.st_dev, st.st_ino)
        if key not in blobs:
            blobs.add(key)
            size += st.st_size
    if revision is None:
        digest = hashlib.sha256()
        for rel, st in sorted(files, key=lambda f: f[0]):
            digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        revision = digest.hexdigest()[:12]
    pipeline_class = index["_class_name"]
    return InstalledModel(
        id=model_id,
        revision=revision,
        path=folder,
        size_bytes=size,
        pipeline_class=pipeline_class,
        backends=backends_for(pipeline_class),
        safetensors_only=not any(_is_unsafe_weight(rel) for rel, _st in files),
    )


def _is_unsafe_weight(rel: str) -> bool:
    return os.path.splitext(rel)[1].lower() in UNSAFE_WEIGHT_SUFFIXES


def _components(index: dict[str, Any]) -> list[str]:
    """Components model_index.json lists with a class (``[null, null]`` means "none")."""
    return [
        key for key, value in index.items()
        if not key.startswith("_")
        and isinstance(value, list) and len(value) == 2 and value[1] is not None
    ]


def _completeness_problems(folder: Path) -> list[str]:
    """What keeps diffusers from loading this folder with safetensors weights.

    Every component model_index.json names must have its folder; a model component (one with
    ``config.json``; schedulers and tokenizers have other configs) needs ``.safetensors``
    weights, and a sharded one every shard its ``*.safetensors.index.json`` maps. Broken
    links (blobs missing from the cache) count as missing files.
    """
    problems = []
    for name in _components(_read_index(folder, str(folder))):
        sub = folder / name
        if not sub.is_dir():
            problems.append(f"component folder '{name}' is missing")
            continue
        if not (sub / "config.json").is_file():
            continue
        if not any(p.is_file() for p in sub.glob("*.safetensors")):
            problems.append(f"component '{name}' has no .safetensors weights")
            continue
        missing: set[str] = set()
        for shard_index in sub.glob("*.safetensors.index.json"):
            try:
                weight_map = json.loads(shard_index.read_text(encoding="utf-8"))["weight_map"]
                shards = {str(shard) for shard in weight_map.values()}
            except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError,
                    AttributeError):
                problems.append(f"{name}/{shard_index.name} is unreadable")
                continue
            missing.update(shard for shard in shards if not (sub / shard).is_file())
        if missing:
            problems.append(f"component '{name}' misses weight shards "
                            f"{', '.join(sorted(missing))}")
    return problems


def _check_usable(model: InstalledModel, backend: str | None, how_to_fix: str) -> None:
    if not model.safetensors_only:
        unsafe = [rel for rel, _st in _walk_files(model.path) if _is_unsafe_weight(rel)]
        shown = ", ".join(unsafe[:4]) + (f" and {len(unsafe) - 4} more" if len(unsafe) > 4 else "")
        raise ModelError(
            f"Takeline loads safetensors only, and {model.id} holds pickle-based weight files "
            f"({shown}), which can run code when loaded. Use a copy of the model with "
            f".safetensors weights (`takeline models pull` fetches only those), or delete those "
            "files if .safetensors versions sit beside them."
        )
    if backend is not None:
        if backend not in BACKEND_PIPELINES:
            raise ModelError(
                f"Unknown backend '{backend}'; Takeline has: {', '.join(BACKEND_PIPELINES)}."
            )
        if backend not in model.backends:
            if model.backends:
                hint = f"use --backend {' or --backend '.join(model.backends)}"
            else:
                hint = "no Takeline backend drives that pipeline; choose a Wan or LTX-Video model"
            raise ModelError(
                f"{model.id} is a {model.pipeline_class} model; backend '{backend}' needs one "
                f"of: {', '.join(BACKEND_PIPELINES[backend])}; {hint}"
            )
    problems = _completeness_problems(model.path)
    if problems:
        raise ModelError(
            f"{model.id} is incomplete: {'; '.join(problems)}. {how_to_fix}"
        )


# ---------------------------------------------------------------------------------------------
# Resolving one model


def _looks_like_path(text: str) -> bool:
    return (
        text.startswith(("/", "~", ".", "\\"))
        or "\\" in text
        or text.count("/") > 1
        or (len(text) > 1 and text[1] == ":")
    )


def resolve_model(
    id_or_path: str,
    *,
    backend: str | None = None,
    cache_dir: Path | None = None,
    revision: str | None = None,
) -> InstalledModel:
    """The installed model a user named: a pipeline folder's path, or a repo id in the cache.

    A path that exists as a folder wins over a repo id of the same spelling. ``revision``
    (branch, tag or commit; default ``main``) applies to repo ids only. Never touches the
    network. With ``backend``, the model must be one that backend can drive.

    Raises ``ModelError`` (not installed, not a pipeline folder, wrong backend, pickle-based
    weights, incomplete download) with a message that says what to do.
    """
    text = str(id_or_path).strip()
    if not text:
        raise ModelError("No model named: pass a Hugging Face repo id or a pipeline folder.")
    candidate = Path(text).expanduser()
    if candidate.is_file() and candidate.name == _MODEL_INDEX:
        candidate = candidate.parent
    if candidate.is_dir():
        folder = candidate.resolve()
        if not (folder / _MODEL_INDEX).is_file():
            inner = sorted(p.parent.name for p in folder.glob(f"*/{_MODEL_INDEX}"))
            hint = (
                f" It has pipeline subfolders: {', '.join(inner)}; pass one of those."
                if inner else " Pass the folder that holds model_index.json."
            )
            raise ModelError(
                f"{folder} is not a diffusers pipeline folder: it has no model_index.json.{hint}"
            )
        model = _describe(folder, str(folder), None)
        _check_usable(model, backend, "Copy the whole pipeline folder again.")
        return model
    if candidate.exists():
        raise ModelError(
            f"{text} is a file, not a folder: pass the folder that holds model_index.json."
        )
    if _looks_like_path(text) or not _REPO_ID.fullmatch(text):
        raise ModelError(
            f"No folder {candidate}, and {text!r} is not a Hugging Face repo id "
            "(like Wan-AI/Wan2.1-T2V-1.3B-Diffusers)."
        )
    return _resolve_cached(text, backend=backend, cache_dir=cache_dir, revision=revision)


def _not_installed(repo_id: str, revision: str | None) -> ModelError:
    at = f" (revision {revision})" if revision else ""
    pull = f"{repo_id} --revision {revision}" if revision else repo_id
    return ModelError(
        f"Model {repo_id}{at} is not installed. Run `takeline models pull {pull}` (needs a "
        "network), or pass the path of a local folder that holds model_index.json."
    )


def _resolve_cached(
    repo_id: str, *, backend: str | None, cache_dir: Path | None, revision: str | None
) -> InstalledModel:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HFValidationError,
        IncompleteSnapshotError,
        LocalEntryNotFoundError,
    )

    try:
        # Only model_index.json is required here: a Takeline pull fetches part of a repo by
        # design, so huggingface_hub's check against the whole repo's listing would call it
        # incomplete. _check_usable checks the components the index names instead.
        snapshot = Path(snapshot_download(
            repo_id, revision=revision, cache_dir=cache_dir, local_files_only=True,
            allow_patterns=[_MODEL_INDEX],
        ))
    except IncompleteSnapshotError:
        raise ModelError(
            f"Model {repo_id} is only partly downloaded. Run `takeline models pull {repo_id}` "
            "again (needs a network) to finish it."
        ) from None
    except (LocalEntryNotFoundError, FileNotFoundError):
        raise _not_installed(repo_id, revision) from None
    except HFValidationError as exc:
        raise ModelError(f"{repo_id!r} is not a valid Hugging Face repo id: {exc}") from None
    if not (snapshot / _MODEL_INDEX).is_file():
        raise ModelError(
            f"{repo_id} is in the Hugging Face cache but is not a diffusers pipeline: its "
            "snapshot has no model_index.json. Use the repo's diffusers version (for Wan, the "
            "'-Diffusers' repos, e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers)."
        )
    model = _describe(snapshot, repo_id, snapshot.name)
    _check_usable(model, backend, f"Run `takeline models pull {repo_id}` again to finish it.")
    return model


# What the worker runs models with: the `generate` extra (`pip install 'takeline[generate]'`).
GENERATE_PACKAGES = ("torch", "diffusers", "transformers", "accelerate", "ftfy")
ENABLE_MODELS_HINT = ("Models need the generation packages: pip install 'takeline[generate]' "
                      "(torch, diffusers, transformers, accelerate, ftfy). Previz works "
                      "without them.")


def missing_generation_packages() -> list[str]:
    """Which of ``GENERATE_PACKAGES`` this interpreter cannot import, found without importing
    them (torch alone takes seconds to import)."""
    import importlib.util

    missing = []
    for name in GENERATE_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a finder that refuses it, a broken install
            found = False
        if not found:
            missing.append(name)
    return missing


# ---------------------------------------------------------------------------------------------
# Listing


def _hub_cache(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _cached_snapshots(cache_root: Path) -> Iterator[tuple[str, Path]]:
    """(repo id, snapshot folder) of every cached model revision that has model_index.json.

    Reads the cache layout (``models--Org--Name/snapshots/<commit>/``) directly rather than
    through ``scan_cache_dir``, which drops a whole repo when one blob link is broken or a ref
    points at a commit not downloaded yet (an interrupted pull), and stats every file.
    """
    try:
        repos = sorted(cache_root.glob("models--*"))
    except OSError:
        return
    for repo in repos:
        repo_id = repo.name[len("models--"):].replace("--", "/")
        snapshots = repo / "snapshots"
        if not snapshots.is_dir():
            continue
        for snapshot in sorted(snapshots.iterdir()):
            if snapshot.is_dir() and (snapshot / _MODEL_INDEX).is_file():
                yield repo_id, snapshot


def list_installed(
    *, cache_dir: Path | None = None, extra_folders: Sequence[Path] = ()
) -> list[InstalledModel]:
    """Every diffusers pipeline on this machine: each cached revision, then the extra folders.

    An extra folder counts when it is a pipeline folder itself, else each of its direct
    subfolders that is one. Folders that do not exist are skipped. Nothing is checked beyond
    reading model_index.json: ``resolve_model`` says whether a listed model is usable.
    Unreadable entries are left out rather than failing the whole list.
    """
    found: list[InstalledModel] = []
    for repo_id, snapshot in _cached_snapshots(_hub_cache(cache_dir)):
        try:
            found.append(_describe(snapshot, repo_id, snapshot.name))
        except ModelError:
            continue
    seen: set[Path] = set()
    for extra in extra_folders:
        base = Path(extra).expanduser()
        if not base.is_dir():
            continue
        base = base.resolve()
        if (base / _MODEL_INDEX).is_file():
            folders = [base]
        else:
            folders = sorted(p.parent for p in base.glob(f"*/{_MODEL_INDEX}") if p.is_file())
        for folder in folders:
            folder = folder.resolve()
            if folder in seen:
                continue
            seen.add(folder)
            try:
                found.append(_describe(folder, str(folder), None))
            except ModelError:
                continue
    return found


# ---------------------------------------------------------------------------------------------
# Downloading


def _network_error_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"),
                         ("requests", "ConnectionError"), ("requests", "Timeout")):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        cls = getattr(mod, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            types.append(cls)
    return tuple(types)


def _offline_env() -> bool:
    from huggingface_hub import constants

    env = (os.environ.get("HF_HUB_OFFLINE") or "").strip().upper()
    return bool(constants.is_offline_mode()) or env in {"1", "ON", "YES", "TRUE"}


def _host(endpoint: str | None) -> str:
    from urllib.parse import urlparse

    from huggingface_hub import constants

    return urlparse(endpoint or constants.ENDPOINT).netloc or "huggingface.co"


def _can_connect(endpoint: str | None, timeout: float = 5.0) -> bool:
    """Whether the Hub's host accepts a TCP connection (True when a proxy is configured).

    Without this, a machine with no network waits ~25 s in huggingface_hub's retries (five,
    with exponential backoff) before the error comes.
    """
    import socket
    import urllib.request
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if any(key in urllib.request.getproxies() for key in ("http", "https", "all")):
        return True
    url = urlparse(endpoint or constants.ENDPOINT)
    if not url.hostname:
        return True
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _no_network(endpoint: str | None, cause: BaseException | None = None) -> ModelError:
    if cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__  # huggingface_hub wraps the connection error it got
    why = f" ({type(cause).__name__})" if cause is not None else ""
    return ModelError(
        f"cannot reach {_host(endpoint)}: no network (or HF_HUB_OFFLINE=1){why}. Download on a "
        "machine with a network and copy the folder, then pass its path."
    )


def _hub_error(exc: BaseException, repo_id: str, revision: str | None,
               endpoint: str | None) -> ModelError | None:
    """The ModelError for a huggingface_hub failure, None for one that is not the Hub's."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, GatedRepoError):
        return ModelError(
            f"{repo_id} is gated: accept its terms on its huggingface.co page, then log in "
            "with `hf auth login` and pull again."
        )
    if isinstance(exc, RepositoryNotFoundError):
        return ModelError(
            f"There is no model repo {repo_id} on {_host(endpoint)} (or it is private: log in "
            "with `hf auth login`). Check the spelling, e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers."
        )
    if isinstance(exc, RevisionNotFoundError):
        return ModelError(f"{repo_id} has no revision {revision!r}.")
    if isinstance(exc, RemoteEntryNotFoundError):
        return ModelError(
            f"{repo_id} has no model_index.json, so it is not a diffusers pipeline repo. Use "
            "its diffusers version (for Wan, the '-Diffusers' repos, e.g. "
            "Wan-AI/Wan2.1-T2V-1.3B-Diffusers)."
        )
    if isinstance(exc, (LocalEntryNotFoundError, *_network_error_types())):
        return _no_network(endpoint, exc)
    if isinstance(exc, HFValidationError):
        return ModelError(f"{repo_id!r} is not a valid Hugging Face repo id: {exc}")
    if isinstance(exc, HfHubHTTPError):
        return ModelError(f"{_host(endpoint)} refused the download of {repo_id}: {exc}")
    return None


def _progress_tqdm(progress: Callable[[int, int], None], total: int) -> type:
    """A tqdm class for ``snapshot_download`` that reports bytes written as (done, total).

    ``snapshot_download`` (huggingface_hub 1.x/2.x) feeds every file's bytes into one
    aggregate bar with ``unit="B"`` (plus a network-transfer bar, "Downloading bytes", and a
    file-count bar, both ignored). The bars themselves stay silent.
    """
    from tqdm.auto import tqdm

    lock = threading.Lock()
    state = {"done": 0}

    class _ProgressBar(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            desc = str(kwargs.get("desc") or "")
            self._tl_counts = kwargs.get("unit") == "B" and not desc.startswith("Downloading")
            initial = int(kwargs.get("initial") or 0)
            super().__init__(*args, **kwargs)
            if self._tl_counts and initial:
                self._tl_add(initial)

        def _tl_add(self, n: int) -> None:
            with lock:  # report in order: the callback sees bytes_done never decrease
                state["done"] += n
                progress(min(state["done"], total), total)

        def update(self, n: float | None = 1) -> bool | None:
            if getattr(self, "_tl_counts", False) and n:
                self._tl_add(int(n))
            return super().update(n)

    return _ProgressBar


def pull_model(
    repo_id: str,
    *,
    revision: str | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    endpoint: str | None = None,
) -> InstalledModel:
    """Download a diffusers pipeline repo into the Hugging Face cache and describe it.

    Fetches ``model_index.json``, then in each component folder it lists only
    ``PULL_ALLOW_PATTERNS`` (configs, ``.safetensors``, tokenizer files): never pickled
    weights, and nothing outside the components (sample media, single-file checkpoints). A
    pull that was interrupted resumes; files already cached are not fetched again.

    ``progress(bytes_done, bytes_total)`` is called from the download threads (marshal it to
    the UI thread yourself); ``bytes_total`` is fixed up front (the files still to fetch) and
    the last call is ``(total, total)``. ``endpoint`` overrides ``HF_ENDPOINT`` (a mirror).

    With no network, or ``HF_HUB_OFFLINE=1``, a model already complete in the cache is
    returned as it is; otherwise ``ModelError`` says to copy the folder from a machine with a
    network.
    """
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download
    from huggingface_hub.hf_api import RepoFile
    from huggingface_hub.utils import filter_repo_objects

    if _offline_env():
        try:
            return resolve_model(repo_id, cache_dir=cache_dir, revision=revision)
        except ModelError:
            raise _no_network(endpoint) from None
    if _looks_like_path(repo_id) or not _REPO_ID.fullmatch(repo_id):
        raise ModelError(
            f"{repo_id!r} is not a Hugging Face repo id (like Wan-AI/Wan2.1-T2V-1.3B-Diffusers)."
        )
    if not _can_connect(endpoint):
        raise _no_network(endpoint)

    try:
        index_file = Path(hf_hub_download(
            repo_id, _MODEL_INDEX, revision=revision, cache_dir=cache_dir, endpoint=endpoint,
        ))
        commit = index_file.parent.name
        snapshot = index_file.parent
        index = _read_index(snapshot, repo_id)
        components = _components(index)
        allow = [_MODEL_INDEX] + [f"{c}/{pattern}" for c in components
                                  for pattern in PULL_ALLOW_PATTERNS]

        total = 0
        if _HEX40.fullmatch(commit):
            entries = [
                entry for entry in HfApi(endpoint=endpoint).list_repo_tree(
                    repo_id, revision=commit, recursive=True)
                if isinstance(entry, RepoFile)
            ]
            _refuse_pickle_only(repo_id, components, entries)
            wanted = filter_repo_objects(entries, allow_patterns=allow,
                                         ignore_patterns=_PULL_IGNORE_PATTERNS,
                                         key=lambda entry: entry.path)
            total = sum(entry.size for entry in wanted if not (snapshot / entry.path).exists())
        tqdm_class = _progress_tqdm(progress, total) if progress is not None else None
        folder = Path(snapshot_download(
            repo_id, revision=commit, cache_dir=cache_dir, endpoint=endpoint,
            allow_patterns=allow, ignore_patterns=_PULL_IGNORE_PATTERNS, tqdm_class=tqdm_class,
        ))
    except ModelError:
        raise
    except Exception as exc:
        mapped = _hub_error(exc, repo_id, revision, endpoint)
        if mapped is None:
            raise
        raise mapped from exc
    if progress is not None:
        progress(total, total)
    model = _describe(folder, repo_id, folder.name)
    _check_usable(model, None, f"Run `takeline models pull {repo_id}` again.")
    return model


def _refuse_pickle_only(repo_id: str, components: list[str], entries: list[Any]) -> None:
    """Refuse before downloading when a model component has weights only in pickle formats."""
    for name in components:
        files = [e.path for e in entries if e.path.startswith(f"{name}/")]
        has_config = f"{name}/config.json" in files
        if has_config and not any(p.endswith(".safetensors") for p in files) and any(
            _is_unsafe_weight(p) for p in files
        ):
            raise ModelError(
                f"Takeline loads safetensors only, and {repo_id} ships component '{name}' only "
                "as pickle-based weights (.bin/.pt), which can run code when loaded. Use a "
                "version of the model with .safetensors weights."
            )
