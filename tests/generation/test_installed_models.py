"""The model manager on fake-but-structurally-real pipeline folders and Hugging Face caches.

No network, no torch: folders are written here (model_index.json, component configs, small
real .safetensors files), the cache layout is the one huggingface_hub writes
(``models--Org--Name/{blobs,snapshots,refs}`` with symlinks into ``blobs/``), and downloads
go to a tiny Hub-like HTTP server on localhost.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
from safetensors.numpy import save_file

from generation.installed_models import (
    BACKEND_PIPELINES,
    InstalledModel,
    ModelError,
    backends_for,
    format_size,
    list_installed,
    pull_model,
    resolve_model,
)

WAN_COMPONENTS = {
    "transformer": ["diffusers", "WanTransformer3DModel"],
    "vae": ["diffusers", "AutoencoderKLWan"],
    "text_encoder": ["transformers", "UMT5EncoderModel"],
    "tokenizer": ["transformers", "T5TokenizerFast"],
    "scheduler": ["diffusers", "UniPCMultistepScheduler"],
    "transformer_2": [None, None],
}


def pipeline_files(class_name: str = "WanPipeline", *, seed: int = 0,
                   tmp: Path) -> dict[str, bytes]:
    """relative path -> content of a small diffusers pipeline folder."""
    rng = np.random.default_rng(seed)

    def tensors(name: str, shape: tuple[int, ...]) -> bytes:
        path = tmp / f"_t{seed}_{name.replace('/', '_')}"
        save_file({"weight": rng.standard_normal(shape).astype(np.float32)}, str(path))
        data = path.read_bytes()
        path.unlink()
        return data

    index = {"_class_name": class_name, "_diffusers_version": "0.35.0", **WAN_COMPONENTS}
    return {
        "model_index.json": json.dumps(index).encode(),
        "transformer/config.json": b'{"_class_name": "WanTransformer3DModel", "num_layers": 2}',
        "transformer/diffusion_pytorch_model.safetensors": tensors("transformer", (16, 8)),
        "vae/config.json": b'{"_class_name": "AutoencoderKLWan", "z_dim": 16}',
        "vae/diffusion_pytorch_model.safetensors": tensors("vae", (4, 4)),
        "text_encoder/config.json": b'{"architectures": ["UMT5EncoderModel"], "d_model": 32}',
        "text_encoder/model.safetensors": tensors("text_encoder", (8, 8)),
        "tokenizer/tokenizer_config.json": b'{"model_max_length": 512}',
        "tokenizer/spiece.model": b"\x0a\x0bfake sentencepiece",
        "scheduler/scheduler_config.json": b'{"_class_name": "UniPCMultistepScheduler"}',
    }


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_cached_repo(cache: Path, repo_id: str, files: dict[str, bytes], *,
                      commit: str | None = None, ref: str | None = "main") -> Path:
    """One revision in huggingface_hub's cache layout; returns its snapshot folder."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    commit = commit or hashlib.sha1(repr(sorted(files.items())).encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    for rel, data in files.items():
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    if ref is not None:
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(commit)  # no newline, as huggingface_hub writes it
    return snapshot


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    path = tmp_path / "hub"
    path.mkdir()
    return path


# ---------------------------------------------------------------------------------------------
# Backends and sizes


def test_backends_for_pipeline_classes() -> None:
    assert backends_for("WanPipeline") == ("wan",)
    assert backends_for("WanImageToVideoPipeline") == ("wan",)
    assert backends_for("WanVACEPipeline") == ("wan-vace",)
    for ltx in ("LTXPipeline", "LTXConditionPipeline", "LTXImageToVideoPipeline",
                "LTXI2VLongMultiPromptPipeline"):
        assert backends_for(ltx) == ("ltx",)
    # LTX-2 (picture and sound) has its own backend; LTX-Video's does not drive it.
    assert backends_for("LTX2Pipeline") == ("ltx2",)
    assert backends_for("LTX2ConditionPipeline") == ("ltx2",)
    assert backends_for("LTXLatentUpsamplePipeline") == ()
    assert backends_for("FluxPipeline") == ()
    assert BACKEND_PIPELINES["ltx"][0] == "LTXConditionPipeline"


def test_format_size() -> None:
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1536) == "1.50 KiB"
    assert format_size(27 * 1024**2) == "27.0 MiB"
    assert format_size(int(16.4 * 1024**3)) == "16.4 GiB"
    assert format_size(300 * 1024**3) == "300 GiB"
    assert format_size(3 * 1024**6) == "3072 PiB"


# ---------------------------------------------------------------------------------------------
# Local folders


def test_resolve_local_folder(tmp_path: Path) -> None:
    files = pipeline_files(tmp=tmp_path)
    folder = write_folder(tmp_path / "wan-1.3b", files)
    model = resolve_model(str(folder), backend="wan")
    assert model.id == str(folder.resolve())
    assert model.path == folder.resolve()
    assert model.pipeline_class == "WanPipeline"
    assert model.backends == ("wan",)
    assert model.safetensors_only
    assert model.size_bytes == sum(len(data) for data in files.values())
    assert len(model.revision) == 12 and int(model.revision, 16) >= 0
    # model_index.json itself names the same folder; the fingerprint is stable...
    assert resolve_model(str(folder / "model_index.json")) == model
    d = model.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["path"] == str(folder.resolve()) and d["backends"] == ["wan"]
    # ...and follows the content: a changed weight file gives a new revision.
    os.utime(folder / "vae" / "diffusion_pytorch_model.safetensors", ns=(1, 1))
    assert resolve_model(str(folder)).revision != model.revision


def test_local_fingerprint_ignores_hidden_metadata(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "m", pipeline_files(tmp=tmp_path))
    before = resolve_model(str(folder))
    write_folder(folder, {".cache/huggingface/download/x.metadata": b"abc", ".DS_Store": b"x"})
    after = resolve_model(str(folder))
    assert (after.revision, after.size_bytes) == (before.revision, before.size_bytes)


def test_folder_without_model_index(tmp_path: Path) -> None:
    empty = tmp_path / "weights"
    write_folder(empty, {"transformer/config.json": b"{}"})
    with pytest.raises(ModelError, match="not a diffusers pipeline folder: it has no "
                                         "model_index.json"):
        resolve_model(str(empty))
    # One level up from real pipeline folders: the message names them.
    write_folder(tmp_path / "models" / "wan", pipeline_files(tmp=tmp_path))
    with pytest.raises(ModelError, match="pipeline subfolders: wan; pass one of those"):
        resolve_model(str(tmp_path / "models"))


def test_missing_path_is_not_taken_for_a_repo_id(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(ModelError, match="No folder .*not a Hugging Face repo id"):
        resolve_model(str(tmp_path / "nowhere" / "model"), cache_dir=cache)


def test_wrong_backend_says_which_to_use(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "wan", pipeline_files(tmp=tmp_path))
    with pytest.raises(ModelError) as info:
        resolve_model(str(folder), backend="ltx")
    message = str(info.value)
    assert "is a WanPipeline model; backend 'ltx' needs one of: LTXConditionPipeline, " \
           "LTXPipeline, LTXImageToVideoPipeline; use --backend wan" in message
    with pytest.raises(ModelError, match="Unknown backend 'cogvideo'; Takeline has: wan, "):
        resolve_model(str(folder), backend="cogvideo")


def test_vace_and_ltx_folders(tmp_path: Path) -> None:
    vace = write_folder(tmp_path / "vace", pipeline_files("WanVACEPipeline", tmp=tmp_path))
    ltx = write_folder(tmp_path / "ltx", pipeline_files("LTXPipeline", tmp=tmp_path))
    assert resolve_model(str(vace), backend="wan-vace").backends == ("wan-vace",)
    assert resolve_model(str(ltx), backend="ltx").pipeline_class == "LTXPipeline"
    with pytest.raises(ModelError, match="use --backend wan-vace"):
        resolve_model(str(vace), backend="wan")


def test_pickle_weights_are_refused(tmp_path: Path) -> None:
    files = pipeline_files(tmp=tmp_path)
    files["text_encoder/pytorch_model.bin"] = b"PK\x03\x04 pickled torch state"
    folder = write_folder(tmp_path / "mixed", files)
    with pytest.raises(ModelError, match=r"Takeline loads safetensors only.*text_encoder/"
                                         r"pytorch_model\.bin"):
        resolve_model(str(folder))
    # Listing still shows it, flagged.
    (listed,) = list_installed(cache_dir=tmp_path / "no-cache", extra_folders=[folder])
    assert listed.safetensors_only is False


def test_incomplete_folder_is_refused(tmp_path: Path) -> None:
    files = pipeline_files(tmp=tmp_path)
    del files["transformer/diffusion_pytorch_model.safetensors"]
    del files["vae/config.json"], files["vae/diffusion_pytorch_model.safetensors"]
    folder = write_folder(tmp_path / "partial", files)
    with pytest.raises(ModelError) as info:
        resolve_model(str(folder))
    message = str(info.value)
    assert message.startswith(f"{folder.resolve()} is incomplete: ")
    assert "component 'transformer' has no .safetensors weights" in message
    assert "component folder 'vae' is missing" in message
    assert message.endswith("Copy the whole pipeline folder again.")


def test_bad_model_index(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bad", {"model_index.json": b"{not json"})
    with pytest.raises(ModelError, match="cannot read .*model_index.json"):
        resolve_model(str(folder))
    (folder / "model_index.json").write_text('{"transformer": ["diffusers", "X"]}')
    with pytest.raises(ModelError, match="has no `_class_name`"):
        resolve_model(str(folder))


# ---------------------------------------------------------------------------------------------
# The Hugging Face cache


def test_resolve_repo_id_from_cache(tmp_path: Path, cache: Path) -> None:
    files = pipeline_files(tmp=tmp_path)
    snapshot = write_cached_repo(cache, "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", files)
    model = resolve_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", backend="wan", cache_dir=cache)
    assert model.id == "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
    assert model.revision == snapshot.name and len(model.revision) == 40
    assert model.path.resolve() == snapshot.resolve()
    assert (model.path / "transformer" / "config.json").is_symlink()
    assert model.size_bytes == sum(len(data) for data in files.values())
    assert model.safetensors_only and model.pipeline_class == "WanPipeline"


def test_resolve_picks_the_named_revision(tmp_path: Path, cache: Path) -> None:
    old = write_cached_repo(cache, "Org/Model", pipeline_files(seed=1, tmp=tmp_path),
                            commit="a" * 40, ref=None)
    new = write_cached_repo(cache, "Org/Model", pipeline_files(seed=2, tmp=tmp_path),
                            commit="b" * 40)
    assert resolve_model("Org/Model", cache_dir=cache).revision == new.name
    assert resolve_model("Org/Model", cache_dir=cache, revision="a" * 40).revision == old.name


def test_not_installed_message(cache: Path) -> None:
    with pytest.raises(ModelError) as info:
        resolve_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache)
    assert str(info.value) == (
        "Model Wan-AI/Wan2.1-T2V-1.3B-Diffusers is not installed. Run `takeline models pull "
        "Wan-AI/Wan2.1-T2V-1.3B-Diffusers` (needs a network), or pass the path of a local "
        "folder that holds model_index.json.")


def test_not_installed_in_missing_cache_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is not installed"):
        resolve_model("Org/Model", cache_dir=tmp_path / "does-not-exist")
    assert list_installed(cache_dir=tmp_path / "does-not-exist") == []


def test_cached_repo_that_is_not_a_pipeline(tmp_path: Path, cache: Path) -> None:
    write_cached_repo(cache, "Wan-AI/Wan2.1-T2V-1.3B", {"config.json": b"{}"})
    with pytest.raises(ModelError, match="not a diffusers pipeline.*'-Diffusers' repos"):
        resolve_model("Wan-AI/Wan2.1-T2V-1.3B", cache_dir=cache)


def test_cached_wrong_backend_and_pickles(tmp_path: Path, cache: Path) -> None:
    write_cached_repo(cache, "Lightricks/LTX-Video",
                      pipeline_files("LTXPipeline", tmp=tmp_path))
    with pytest.raises(ModelError, match="is a LTXPipeline model; backend 'wan' needs one of: "
                                         "WanPipeline, WanImageToVideoPipeline; use --backend ltx"):
        resolve_model("Lightricks/LTX-Video", backend="wan", cache_dir=cache)
    files = pipeline_files(tmp=tmp_path)
    files["transformer/diffusion_pytorch_model.bin"] = b"pickle"
    write_cached_repo(cache, "Org/Pickled", files)
    with pytest.raises(ModelError, match="safetensors only"):
        resolve_model("Org/Pickled", cache_dir=cache)


def test_blobs_shared_by_two_paths_count_once(tmp_path: Path, cache: Path) -> None:
    files = pipeline_files(tmp=tmp_path)
    # Wan 2.2 A14B has two transformers; here both point at one blob (same content).
    index = json.loads(files["model_index.json"])
    index["transformer_2"] = ["diffusers", "WanTransformer3DModel"]
    files["model_index.json"] = json.dumps(index).encode()
    files["transformer_2/config.json"] = files["transformer/config.json"]
    weights = files["transformer/diffusion_pytorch_model.safetensors"]
    files["transformer_2/diffusion_pytorch_model.safetensors"] = weights
    snapshot = write_cached_repo(cache, "Org/Twin", files)
    blobs = {p.resolve() for p in snapshot.rglob("*") if p.is_symlink()}
    unique = sum(b.stat().st_size for b in blobs)
    model = resolve_model("Org/Twin", cache_dir=cache)
    assert model.size_bytes == unique
    assert model.size_bytes == sum(len(d) for d in files.values()) - len(weights) - len(
        files["transformer/config.json"])


def test_list_installed(tmp_path: Path, cache: Path) -> None:
    wan_old = write_cached_repo(cache, "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
                                pipeline_files(seed=1, tmp=tmp_path), commit="1" * 40, ref=None)
    wan_new = write_cached_repo(cache, "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
                                pipeline_files(seed=2, tmp=tmp_path), commit="2" * 40)
    write_cached_repo(cache, "Lightricks/LTX-Video-0.9.7-dev",
                      pipeline_files("LTXConditionPipeline", tmp=tmp_path))
    write_cached_repo(cache, "google/umt5-xxl", {"config.json": b"{}"})  # not a pipeline
    (cache / "datasets--x--y" / "snapshots").mkdir(parents=True)  # not a model
    (cache / ".locks").mkdir()

    single = write_folder(tmp_path / "vace", pipeline_files("WanVACEPipeline", tmp=tmp_path))
    shelf = tmp_path / "shelf"
    write_folder(shelf / "a-ltx", pipeline_files("LTXPipeline", tmp=tmp_path))
    write_folder(shelf / "b-notes", {"README.md": b"not a model"})
    write_folder(shelf / "c-nested" / "deeper", pipeline_files(tmp=tmp_path))  # too deep

    models = list_installed(cache_dir=cache,
                            extra_folders=[single, shelf, tmp_path / "missing", single])
    assert [(m.id, m.revision) for m in models[:3]] == [
        ("Lightricks/LTX-Video-0.9.7-dev", models[0].revision),
        ("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", wan_old.name),
        ("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", wan_new.name),
    ]
    assert [m.id for m in models[3:]] == [str(single.resolve()), str((shelf / "a-ltx").resolve())]
    assert [m.backends for m in models] == [("ltx",), ("wan",), ("wan",), ("wan-vace",), ("ltx",)]
    assert all(isinstance(m, InstalledModel) and m.size_bytes > 0 for m in models)
    # Each listed model resolves to the same description.
    assert resolve_model(str(single)) == models[3]
    assert resolve_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache) == models[2]


def test_list_installed_survives_a_broken_blob_link(tmp_path: Path, cache: Path) -> None:
    snapshot = write_cached_repo(cache, "Org/Model", pipeline_files(tmp=tmp_path))
    weights = snapshot / "vae" / "diffusion_pytorch_model.safetensors"
    weights.resolve().unlink()  # an interrupted or half-deleted download
    (model,) = list_installed(cache_dir=cache)
    assert model.id == "Org/Model"
    with pytest.raises(ModelError, match="component 'vae' has no .safetensors weights"):
        resolve_model("Org/Model", cache_dir=cache)


def test_default_cache_comes_from_huggingface_hub(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path, cache: Path) -> None:
    from huggingface_hub import constants

    write_cached_repo(cache, "Org/Model", pipeline_files(tmp=tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    assert [m.id for m in list_installed()] == ["Org/Model"]
    assert resolve_model("Org/Model").path.parent.parent.parent == cache


# ---------------------------------------------------------------------------------------------
# Pulling


class FakeHub:
    """Enough of the Hub's HTTP API for snapshot_download / hf_hub_download (no xet)."""

    def __init__(self, repos: dict[str, dict[str, bytes]], commit: str = "c" * 40) -> None:
        self.repos = repos
        self.commit = commit
        self.requested: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                path = unquote(urlparse(self.path).path)
                parts = path.strip("/").split("/")
                if parts[:2] == ["api", "models"]:
                    repo_id, rest = "/".join(parts[2:4]), parts[4:]
                    files = hub.repos.get(repo_id)
                    if files is None:
                        self._send(404, b"{}", {"X-Error-Code": "RepoNotFound"})
                    elif rest[:1] == ["revision"]:
                        body = {"id": repo_id, "sha": hub.commit,
                                "siblings": [{"rfilename": f} for f in files]}
                        self._send(200, json.dumps(body).encode(), {})
                    elif rest[:1] == ["tree"]:
                        tree = [{"type": "file", "path": f, "size": len(d),
                                 "oid": hashlib.sha1(d).hexdigest()} for f, d in files.items()]
                        self._send(200, json.dumps(tree).encode(),
                                   {"Content-Type": "application/json"})
                    else:
                        self._send(404, b"", {})
                    return
                # /{org}/{name}/resolve/{revision}/{file...}
                repo_id, filename = "/".join(parts[:2]), "/".join(parts[4:])
                if self.command == "GET":
                    hub.requested.append(filename)
                files = hub.repos.get(repo_id)
                if files is None:
                    self._send(404, b"", {"X-Error-Code": "RepoNotFound"})
                elif filename not in files:
                    self._send(404, b"", {"X-Error-Code": "EntryNotFound",
                                          "X-Repo-Commit": hub.commit})
                else:
                    data = files[filename]
                    self._send(200, data, {"X-Repo-Commit": hub.commit,
                                           "ETag": f'"{hashlib.sha256(data).hexdigest()}"'})

        return Handler

    def __enter__(self) -> FakeHub:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)


@pytest.fixture
def hub(tmp_path: Path, online: None) -> Iterator[FakeHub]:
    files = pipeline_files(tmp=tmp_path)
    files["transformer/diffusion_pytorch_model.bin"] = b"pickled duplicate" * 100
    files["README.md"] = b"# model card"
    files["assets/sample.mp4"] = b"\x00" * 5000
    files["wan2.1_t2v_1.3B_single_file.safetensors"] = b"\x01" * 7000
    pickled = pipeline_files(tmp=tmp_path)
    del pickled["text_encoder/model.safetensors"]
    pickled["text_encoder/pytorch_model.bin"] = b"pickle"
    repos = {
        "Wan-AI/Wan2.1-T2V-1.3B-Diffusers": files,
        "Wan-AI/Wan2.1-T2V-1.3B": {"config.json": b"{}", "README.md": b"#"},
        "Org/PickledEncoder": pickled,
    }
    with FakeHub(repos) as server:
        yield server


def test_pull_fetches_only_pipeline_safetensors(hub: FakeHub, cache: Path) -> None:
    calls: list[tuple[int, int]] = []
    model = pull_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache,
                       endpoint=hub.endpoint, progress=lambda d, t: calls.append((d, t)))
    files = hub.repos["Wan-AI/Wan2.1-T2V-1.3B-Diffusers"]
    wanted = {rel for rel in files if "/" in rel and not rel.endswith(".bin")
              and not rel.startswith("assets/")} | {"model_index.json"}
    got = {p.relative_to(model.path).as_posix() for p in model.path.rglob("*") if p.is_file()}
    assert got == wanted
    assert set(hub.requested) == wanted
    assert model.revision == hub.commit and model.safetensors_only
    assert model.backends == ("wan",)
    assert model.size_bytes == sum(len(files[rel]) for rel in wanted)
    # Progress: a fixed total (everything but model_index.json, fetched first), never
    # decreasing, ending at (total, total).
    total = model.size_bytes - len(files["model_index.json"])
    assert calls and all(t == total for _d, t in calls)
    done = [d for d, _t in calls]
    assert done == sorted(done) and calls[-1] == (total, total)
    assert len(calls) > 1
    # It is now installed: resolvable by id without the network.
    assert resolve_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache) == model
    # A second pull fetches nothing again.
    hub.requested.clear()
    calls.clear()
    again = pull_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache,
                       endpoint=hub.endpoint, progress=lambda d, t: calls.append((d, t)))
    assert again == model
    assert [r for r in hub.requested if r != "model_index.json"] == []
    assert calls == [(0, 0)]


def test_pull_repo_that_is_not_a_pipeline(hub: FakeHub, cache: Path) -> None:
    with pytest.raises(ModelError, match="has no model_index.json, so it is not a diffusers "
                                         "pipeline repo.*Wan2.1-T2V-1.3B-Diffusers"):
        pull_model("Wan-AI/Wan2.1-T2V-1.3B", cache_dir=cache, endpoint=hub.endpoint)


def test_pull_unknown_repo(hub: FakeHub, cache: Path) -> None:
    with pytest.raises(ModelError, match="no model repo Org/Nothing"):
        pull_model("Org/Nothing", cache_dir=cache, endpoint=hub.endpoint)


def test_pull_refuses_pickle_only_component_before_downloading(hub: FakeHub,
                                                               cache: Path) -> None:
    with pytest.raises(ModelError, match="ships component 'text_encoder' only as pickle"):
        pull_model("Org/PickledEncoder", cache_dir=cache, endpoint=hub.endpoint)
    assert hub.requested == ["model_index.json"]


NO_NETWORK = ("cannot reach huggingface.co: no network (or HF_HUB_OFFLINE=1). Download on a "
              "machine with a network and copy the folder, then pass its path.")


def test_pull_offline_constant(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    from huggingface_hub import constants

    # huggingface_hub reads HF_HUB_OFFLINE once, at import: patch the constant it consults.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError) as info:
        pull_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache)
    assert str(info.value) == NO_NETWORK


def test_pull_offline_env_set_after_import(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as info:
        pull_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache)
    assert str(info.value) == NO_NETWORK


def test_pull_offline_returns_a_complete_cached_model(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path, cache: Path) -> None:
    from huggingface_hub import constants

    snapshot = write_cached_repo(cache, "Org/Model", pipeline_files(tmp=tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert pull_model("Org/Model", cache_dir=cache).revision == snapshot.name


def test_pull_with_no_network(monkeypatch: pytest.MonkeyPatch, online: None,
                              cache: Path) -> None:
    import socket

    for var in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ModelError) as info:
        pull_model("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", cache_dir=cache,
                   endpoint=f"http://127.0.0.1:{port}")
    message = str(info.value)
    assert message.startswith(f"cannot reach 127.0.0.1:{port}: no network (or HF_HUB_OFFLINE=1)")
    assert message.endswith("Download on a machine with a network and copy the folder, then "
                            "pass its path.")


def test_pull_connection_failure_inside_huggingface_hub(monkeypatch: pytest.MonkeyPatch,
                                                        online: None, cache: Path) -> None:
    """The connect pre-check passes (e.g. through a proxy) but huggingface_hub cannot connect."""
    import socket
    import time

    import generation.installed_models as models

    monkeypatch.setattr(models, "_can_connect", lambda endpoint: True)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # huggingface_hub's retry backoff
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ModelError) as info:
        pull_model("Org/Model", cache_dir=cache, endpoint=f"http://127.0.0.1:{port}")
    assert str(info.value).startswith(
        f"cannot reach 127.0.0.1:{port}: no network (or HF_HUB_OFFLINE=1) (")
    assert "Download on a machine with a network" in str(info.value)


def test_module_imports_no_torch_or_diffusers() -> None:
    import subprocess
    import sys

    code = ("import sys, generation.installed_models; "
            "print(sorted(m for m in ('torch', 'diffusers', 'huggingface_hub') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
