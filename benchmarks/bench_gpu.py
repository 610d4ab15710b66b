"""The GPU table: seconds per denoising step and peak VRAM of real-size Wan 2.1 T2V 1.3B and
LTX-Video 2B (0.9.5) per memory mode, through Takeline's worker against the same diffusers
call made directly. Target: worker / direct <= 1.03x.

    .venv/bin/python benchmarks/bench_gpu.py [--models wan,ltx] [--modes gpu,model-offload]
        [--steps 5] [--size 832x480] [--frames 81] [--scale auto|real|tiny] [--device cuda|cpu]
        [--dtype bf16|fp16|fp32] [--work-dir DIR] [--json FILE] [--timeout-s 900]

    # without a CUDA device --scale auto (the default) is tiny: the script is checked at a
    # reduced size, end to end in under a minute (what `make bench` does on a CPU):
    .venv/bin/python benchmarks/bench_gpu.py --scale tiny --steps 3

Prints a Markdown table to paste into the README (model | memory mode | direct s/step |
worker s/step | ratio | direct peak VRAM | worker peak VRAM) with the device, the torch and
diffusers versions, dtype, size, frames and steps above it; every figure also goes to
``--json`` (default: WORK_DIR/results.json), written after each measurement, so a run cut
short keeps what it measured.

The models are the real diffusers classes at their published sizes with random weights,
built offline from configs (no download) and saved with ``save_pretrained`` into WORK_DIR
(default: TMPDIR/takeline-bench-gpu; reused by a later run with the same configs and dtype):

- Wan 2.1 T2V 1.3B (``WanPipeline``): the transformer config of
  ``Wan-AI/Wan2.1-T2V-1.3B-Diffusers`` (transformer/config.json) as diffusers'
  ``scripts/convert_wan_to_diffusers.py`` writes it for "Wan-T2V-1.3B" (``rope_max_seq_len``
  and ``pos_embed_seq_len`` left at the class defaults there too); the VAE is
  ``AutoencoderKLWan()`` with its defaults, which is how that script builds the published one;
  the scheduler the Wan 2.1 T2V repos ship (UniPC, flow prediction, shift 3.0).
- LTX-Video 2B 0.9.5 (``LTXConditionPipeline``, the class Takeline's ``ltx`` backend drives):
  transformer and VAE configs for "0.9.5" from diffusers' ``scripts/convert_ltx_to_diffusers.py``
  (the 2B transformer is also ``LTXVideoTransformer3DModel``'s defaults), its scheduler
  (``FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False)``).
- The text encoders are small random UMT5 (Wan) / T5 (LTX) encoders with the real output
  width (4096), so the transformers cross-attend correctly shaped embeddings of the real
  length (Wan pads to 512 tokens, LTX to 256). The real UMT5-XXL / T5-XXL encoders are not
  what is measured: they run once per take, before the first step, and their weights would
  only add a fixed amount to every mode's VRAM.

``--scale tiny`` builds the same pipelines with far smaller configs (those of
``tests/generation/tiny_pipelines.py``), to check the script on a CPU in a few minutes.

Each measurement runs in a process of its own (``--one ...``), so nothing one leaves on the
GPU distorts another's peak:

- direct: ``DiffusionPipeline.from_pretrained(folder, local_files_only=True, ...)`` with the
  arguments Takeline's backend loads with, placed by Takeline's own
  ``DiffusersBackend.apply_memory_mode`` (the memory-mode setup under test is then the
  same code), then ``pipe(**spec.call, generator=..., output_type="np")``;
- worker: the same ``JobSpec`` (planned by ``generation.planner.plan``) run by
  ``generation.client.WorkerClient`` in a fresh worker process.

s/step: the median of the intervals between consecutive step ends (steps 2..N; the first
step also pays one-off costs), timestamped by ``callback_on_step_end`` (direct) and by the
worker's progress messages as the client receives them (a constant pipe delay cancels out).
No CUDA synchronisation is added to either: a step's end is when the CPU reaches the
callback, as the worker sees it; over many steps that paces at the GPU's rate.

Peak VRAM: ``torch.cuda.max_memory_allocated`` (the tensor allocator's peak, not the
process's total as nvidia-smi shows it: no CUDA context, no cached free blocks) from
process start to the end of the call, loading included, since that is what the worker
reports (``facts["cuda_peak_bytes"]``: the peak since the job's start, its load included
when it loaded the model; a fresh worker per measurement makes every run load). The direct
run also records the peak of the call alone in the JSON. On a CPU both are "n/a", and every
memory mode places the pipeline the same way (Takeline's backend only applies modes on CUDA),
so only ``gpu`` runs there by default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generation.backends import get_backend  # noqa: E402
from generation.planner import GenerationRequest, ResolvedModel, plan  # noqa: E402
from generation.spec import MEMORY_MODES, JobSpec  # noqa: E402

PROMPT = "a red fox runs through the snow"
SEED = 1
TARGET_RATIO = 1.03
TEXT_WIDTH = 4096  # Wan's text_dim and LTX's caption_channels: UMT5-XXL / T5-XXL width

# --- real-size configs (sources in the module docstring) ----------------------------------

WAN_2_1_T2V_1_3B_TRANSFORMER: dict[str, Any] = {
    "patch_size": [1, 2, 2],
    "num_attention_heads": 12,
    "attention_head_dim": 128,  # inner dim 1536
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": TEXT_WIDTH,
    "freq_dim": 256,
    "ffn_dim": 8960,
    "num_layers": 30,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "eps": 1e-6,
    "image_dim": None,
    "added_kv_proj_dim": None,
    "rope_max_seq_len": 1024,
    "pos_embed_seq_len": None,
}
WAN_2_1_VAE: dict[str, Any] = {}  # AutoencoderKLWan's defaults are the published VAE

LTX_0_9_5_TRANSFORMER: dict[str, Any] = {
    "in_channels": 128,
    "out_channels": 128,
    "patch_size": 1,
    "patch_size_t": 1,
    "num_attention_heads": 32,
    "attention_head_dim": 64,
    "cross_attention_dim": 2048,
    "num_layers": 28,
    "activation_fn": "gelu-approximate",
    "qk_norm": "rms_norm_across_heads",
    "norm_elementwise_affine": False,
    "norm_eps": 1e-6,
    "caption_channels": TEXT_WIDTH,
    "attention_bias": True,
    "attention_out_bias": True,
}
LTX_0_9_5_VAE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 128,
    "block_out_channels": [128, 256, 512, 1024, 2048],
    "down_block_types": ["LTXVideo095DownBlock3D"] * 4,
    "decoder_block_out_channels": [256, 512, 1024],
    "layers_per_block": [4, 6, 6, 2, 2],
    "decoder_layers_per_block": [5, 5, 5, 5],
    "spatio_temporal_scaling": [True, True, True, True],
    "decoder_spatio_temporal_scaling": [True, True, True],
    "decoder_inject_noise": [False, False, False, False],
    "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"],
    "upsample_residual": [True, True, True],
    "upsample_factor": [2, 2, 2],
    "timestep_conditioning": True,
    "patch_size": 4,
    "patch_size_t": 1,
    "resnet_norm_eps": 1e-6,
    "scaling_factor": 1.0,
    "encoder_causal": True,
    "decoder_causal": False,
    "spatial_compression_ratio": 32,
    "temporal_compression_ratio": 8,
}

# --- tiny configs: the structure above at test size ---------------------------------------

# The tiny LTX of tests/generation/tiny_pipelines.py (written inline there): 32x spatial and
# 8x temporal compression like the real VAE, so the same size and frame rules hold.
_TINY_LTX_LATENT = 8
TINY_LTX_TRANSFORMER: dict[str, Any] = {
    "in_channels": _TINY_LTX_LATENT, "out_channels": _TINY_LTX_LATENT, "patch_size": 1,
    "patch_size_t": 1, "num_attention_heads": 2, "attention_head_dim": 8,
    "cross_attention_dim": 16, "num_layers": 1,
}
TINY_LTX_VAE: dict[str, Any] = {
    "in_channels": 3, "out_channels": 3, "latent_channels": _TINY_LTX_LATENT,
    "block_out_channels": [8, 8, 8, 8], "decoder_block_out_channels": [8, 8, 8, 8],
    "layers_per_block": [1, 1, 1, 1, 1], "decoder_layers_per_block": [1, 1, 1, 1, 1],
    "spatio_temporal_scaling": [True, True, True, False],
    "decoder_spatio_temporal_scaling": [True, True, True, False],
    "decoder_inject_noise": [False] * 5, "upsample_residual": [False] * 4,
    "upsample_factor": [1] * 4, "timestep_conditioning": False, "patch_size": 4,
    "patch_size_t": 1, "encoder_causal": True, "decoder_causal": False,
}


@dataclass(frozen=True)
class BenchModel:
    key: str  # what --models names
    label: str  # the table's model column
    backend: str
    pipeline_class: str
    size: dict[str, tuple[int, int]]  # per scale: the published preset, or a tiny one
    frames: dict[str, int]
    # The pipeline's own default, but for tiny runs (a 512-token pad of a 32-wide model
    # only slows the check down).
    max_sequence_length: dict[str, int | None] = field(default_factory=dict)


MODELS: dict[str, BenchModel] = {
    "wan": BenchModel("wan", "Wan 2.1 T2V 1.3B", "wan", "WanPipeline",
                      size={"real": (832, 480), "tiny": (32, 32)},
                      frames={"real": 81, "tiny": 9},
                      max_sequence_length={"real": None, "tiny": 16}),
    "ltx": BenchModel("ltx", "LTX-Video 2B 0.9.5", "ltx", "LTXConditionPipeline",
                      size={"real": (768, 512), "tiny": (32, 32)},
                      frames={"real": 121, "tiny": 9},
                      max_sequence_length={"real": None, "tiny": 16}),
}

DTYPE_NAMES = {"auto": "auto", "bf16": "bfloat16", "bfloat16": "bfloat16", "fp16": "float16",
               "float16": "float16", "fp32": "float32", "float32": "float32"}


# --- building the pipeline folders (child process) ----------------------------------------


def _text_encoder(family: str, vocab_size: int, width: int) -> Any:
    """tiny_pipelines' two-layer random encoders, with the output width a parameter."""
    import torch
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    config_class, model_class = ((UMT5Config, UMT5EncoderModel) if family == "umt5"
                                 else (T5Config, T5EncoderModel))
    config = config_class(vocab_size=vocab_size, d_model=width, d_kv=8, d_ff=37, num_layers=2,
                          num_heads=4, relative_attention_num_buckets=8, dropout_rate=0.0)
    torch.manual_seed(0)
    return model_class(config).eval()  # eval: dropout would make runs differ


def _configs(key: str, scale: str) -> dict[str, Any]:
    from tests.generation.tiny_pipelines import (
        _WAN_TRANSFORMER_CONFIG,
        _WAN_VAE_CONFIG,
        TEXT_DIM,
    )

    if key == "wan":
        if scale == "real":
            return {"transformer": WAN_2_1_T2V_1_3B_TRANSFORMER, "vae": WAN_2_1_VAE,
                    "text_width": TEXT_WIDTH}
        return {"transformer": _WAN_TRANSFORMER_CONFIG, "vae": _WAN_VAE_CONFIG,
                "text_width": TEXT_DIM}
    if scale == "real":
        return {"transformer": LTX_0_9_5_TRANSFORMER, "vae": LTX_0_9_5_VAE,
                "text_width": TEXT_WIDTH}
    return {"transformer": {**TINY_LTX_TRANSFORMER, "caption_channels": TEXT_DIM},
            "vae": TINY_LTX_VAE, "text_width": TEXT_DIM}


def _build_pipeline(key: str, configs: dict[str, Any]) -> Any:
    import diffusers
    import torch

    # The in-memory tokenizer and the Wan scheduler of the test pipelines (no download).
    from tests.generation.tiny_pipelines import _tokenizer, _wan_scheduler

    tokenizer = _tokenizer()
    if key == "wan":
        torch.manual_seed(0)
        transformer = diffusers.WanTransformer3DModel(**configs["transformer"])
        torch.manual_seed(0)
        vae = diffusers.AutoencoderKLWan(**configs["vae"])
        return diffusers.WanPipeline(
            tokenizer=tokenizer, transformer=transformer, vae=vae, scheduler=_wan_scheduler(),
            text_encoder=_text_encoder("umt5", len(tokenizer), configs["text_width"]))
    torch.manual_seed(0)
    transformer = diffusers.LTXVideoTransformer3DModel(**configs["transformer"])
    torch.manual_seed(0)
    vae = diffusers.AutoencoderKLLTXVideo(**configs["vae"])
    return diffusers.LTXConditionPipeline(
        tokenizer=tokenizer, transformer=transformer, vae=vae,
        scheduler=diffusers.FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False),
        text_encoder=_text_encoder("t5", len(tokenizer), configs["text_width"]))


def _environment(device: str) -> dict[str, Any]:
    import diffusers
    import torch

    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(torch.device(device))
    else:
        name = f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    return {"device_name": name, "torch": torch.__version__,
            "diffusers": diffusers.__version__, "torch_threads": torch.get_num_threads()}


def _one_build(job: dict[str, Any]) -> dict[str, Any]:
    """Resolve device and dtype as the worker will, and save the model's folder (reused when
    its stamp matches)."""
    import diffusers
    import torch

    model = MODELS[job["model"]]
    probe = JobSpec(backend=model.backend, seed=0, call={}, fps="24", device=job["device"],
                    dtype=job["dtype"])
    device, dtype = get_backend(model.backend).resolve_device_dtype(probe)
    dtype_name = str(dtype).removeprefix("torch.")
    folder = Path(job["folder"])
    stamp = {"model": model.key, "scale": job["scale"], "dtype": dtype_name,
             "configs": _configs(model.key, job["scale"]), "diffusers": diffusers.__version__}
    stamp_file = folder / "bench_stamp.json"
    t0 = time.perf_counter()
    # Compared as JSON: the configs' tuples come back from the file as lists.
    reused = stamp_file.is_file() and json.loads(stamp_file.read_text()) == json.loads(
        json.dumps(stamp))
    params = None
    if not reused:
        # Random init of billions of parameters: a second on a GPU, ~40 s on two CPU cores.
        with torch.device(device):
            pipe = _build_pipeline(model.key, stamp["configs"])
        # Saved in the run dtype: half the bytes to write and to load for bf16.
        pipe.to("cpu", dtype)
        pipe.save_pretrained(folder, safe_serialization=True)
        stamp_file.write_text(json.dumps(stamp, indent=1))
        params = {name: sum(p.numel() for p in getattr(pipe, name).parameters())
                  for name in ("transformer", "vae", "text_encoder")}
    return {"device": device, "dtype": dtype_name, "reused": reused, "parameters": params,
            "build_s": round(time.perf_counter() - t0, 1), "env": _environment(device)}


# --- the two measurements (child processes) -----------------------------------------------


def _step_seconds(stamps: list[float]) -> float | None:
    """Median step time over steps 2..N (the first also pays one-off costs)."""
    intervals = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return statistics.median(intervals) if intervals else None


def _one_direct(job: dict[str, Any]) -> dict[str, Any]:
    import diffusers
    import torch

    from generation.backends.base import to_uint8_frames
    from generation.take_media import frames_hash

    spec = JobSpec.from_json(job["spec"])
    backend = get_backend(spec.backend)
    device, dtype = backend.resolve_device_dtype(spec)
    cuda = device.startswith("cuda")
    t0 = time.perf_counter()
    # The arguments Takeline's DiffusersBackend.load passes.
    pipe = diffusers.DiffusionPipeline.from_pretrained(
        spec.model_path, dtype=dtype, use_safetensors=True, local_files_only=True,
        trust_remote_code=False)
    if type(pipe).__name__ != spec.pipeline_class:
        raise SystemExit(f"{spec.model_path} loads as {type(pipe).__name__}, not "
                         f"{spec.pipeline_class}")
    # Takeline's own placement per memory mode (importing it has no side effects), so the
    # setup under test is the same code in both runs.
    mode = backend.apply_memory_mode(pipe, spec, device)
    pipe.set_progress_bar_config(disable=True)
    load_s = time.perf_counter() - t0
    load_peak = torch.cuda.max_memory_allocated(device) if cuda else None
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    stamps: list[float] = []

    def on_step(_pipe: Any, _step: int, _t: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        stamps.append(time.perf_counter())
        return kwargs

    t0 = time.perf_counter()
    out = pipe(**spec.call, generator=torch.Generator("cpu").manual_seed(spec.seed),
               output_type="np", callback_on_step_end=on_step)
    frames = to_uint8_frames(out.frames)
    generate_s = time.perf_counter() - t0
    call_peak = torch.cuda.max_memory_allocated(device) if cuda else None
    return {"s_per_step": _step_seconds(stamps), "steps_seen": len(stamps),
            "peak_bytes": None if call_peak is None else max(load_peak or 0, call_peak),
            "call_peak_bytes": call_peak, "load_s": round(load_s, 2),
            "generate_s": round(generate_s, 3), "memory_mode": mode,
            "frames_hash": frames_hash(frames), "frame_shape": list(frames.shape),
            "env": _environment(device)}


def _one_worker(job: dict[str, Any]) -> dict[str, Any]:
    from generation.client import WorkerClient

    spec = JobSpec.from_json(job["spec"])
    out_dir = Path(job["out_dir"])
    client = WorkerClient()

    def on_sigterm(_signum: int, _frame: Any) -> None:
        # A timeout in the parent: take the worker down too (it runs in its own session).
        client.terminate()
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_sigterm)
    stamps: list[float] = []

    def on_progress(_step: int, _total: int) -> None:
        stamps.append(time.perf_counter())

    async def run() -> Any:
        try:
            return await client.run(1, spec, out_dir, on_progress)
        finally:
            await client.close()

    t0 = time.perf_counter()
    result = asyncio.run(run())
    wall_s = time.perf_counter() - t0
    Path(result.media_file).unlink(missing_ok=True)  # a real-size take is tens of MB
    facts = result.facts
    return {"s_per_step": _step_seconds(stamps), "steps_seen": len(stamps),
            "peak_bytes": facts.get("cuda_peak_bytes"),
            "load_s": facts.get("seconds", {}).get("load"),
            "generate_s": facts.get("seconds", {}).get("generate"),
            "job_wall_s": round(wall_s, 2), "memory_mode": facts.get("memory_mode"),
            "frames_hash": result.frames_hash,
            "frame_shape": [result.frame_count, result.height, result.width, 3],
            "device": facts.get("device"), "dtype": facts.get("dtype")}


ROLES = {"build": _one_build, "direct": _one_direct, "worker": _one_worker}


# --- the parent: plan, run each measurement in a child, print the table --------------------


def _child(role: str, job: dict[str, Any], timeout_s: float, label: str) -> dict[str, Any]:
    """Run ``--one role`` in a fresh interpreter; its result, or {"error": why}."""
    with tempfile.TemporaryDirectory(prefix="bench-gpu-") as tmp:
        job_file, result_file = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job_file.write_text(json.dumps(job))
        cmd = [sys.executable, str(Path(__file__).resolve()), "--one", role, "--job",
               str(job_file), "--result", str(result_file)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                output, _ = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
            print(f"  {label}: timed out after {timeout_s:.0f} s", file=sys.stderr)
            return {"error": f"timed out after {timeout_s:.0f} s"}
        took = time.perf_counter() - t0
        if proc.returncode != 0 or not result_file.is_file():
            tail = "\n".join(output.strip().splitlines()[-15:])
            print(f"  {label}: failed (exit {proc.returncode}) after {took:.1f} s\n{tail}",
                  file=sys.stderr)
            last = tail.splitlines()[-1] if tail else f"exit {proc.returncode}"
            return {"error": last[-200:]}
        print(f"  {label}: {took:.1f} s", file=sys.stderr)
        return json.loads(result_file.read_text())


def _plan_spec(model: BenchModel, folder: Path, scale: str, mode: str, device: str,
               dtype: str, steps: int, size: tuple[int, int], frames: int) -> JobSpec:
    """The job as Takeline plans it for a segment of ``frames`` frames at the model's own
    rate (rounded up to its frame rule)."""
    fps = Fraction(get_backend(model.backend).constraints.native_fps)
    [spec] = plan(GenerationRequest(
        segment_frames=frames, sequence_fps=fps, sequence_size=size, prompt=PROMPT,
        backend=model.backend, seed=SEED, steps=steps, size=size, memory_mode=mode,
        model=ResolvedModel(id=f"random-{model.key}-{scale}", path=str(folder),
                            revision="random-weights", pipeline_class=model.pipeline_class),
        max_sequence_length=model.max_sequence_length.get(scale), device=device,
        dtype=dtype))
    return spec


def _gib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**30:.2f} GiB"


def _step_cell(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"failed: {result['error']}"
    s = result.get("s_per_step")
    return "—" if s is None else f"{s:.4g}"


def _table(rows: list[dict[str, Any]], env: dict[str, Any], header: dict[str, Any]) -> str:
    lines = [
        f"Device: {env.get('device_name', '?')}; torch {env.get('torch', '?')}, diffusers "
        f"{env.get('diffusers', '?')}; {header['dtype']}; {header['steps']} steps "
        f"(s/step: median of steps 2-{header['steps']}); seed {SEED}.",
    ]
    for shape in header["shapes"]:
        lines.append(f"{shape['label']} ({header['scale']} size, random weights): "
                     f"{shape['width']}x{shape['height']}, {shape['frames']} frames, "
                     f"guidance {shape['guidance']:g}.")
    lines += ["", "| model | memory mode | direct s/step | worker s/step | ratio | "
              "direct peak VRAM | worker peak VRAM |", "|---|---|---|---|---|---|---|"]
    over, differ = [], []
    for row in rows:
        d, w = row["direct"], row["worker"]
        mode = row["mode"]
        applied = d.get("memory_mode") or w.get("memory_mode")
        if applied and applied != mode:
            mode = f"{mode} (ran as {applied})"
        ratio = "—"
        if d.get("s_per_step") and w.get("s_per_step"):
            r = w["s_per_step"] / d["s_per_step"]
            ratio = f"{r:.3f}×"
            if r > TARGET_RATIO:
                over.append(f"{row['label']} {row['mode']}")
        if d.get("frames_hash") and w.get("frames_hash") and (
                d["frames_hash"] != w["frames_hash"]):
            differ.append(f"{row['label']} {row['mode']}")
        lines.append(f"| {row['label']} | {mode} | {_step_cell(d)} | {_step_cell(w)} | {ratio} | "
                     f"{_gib(d.get('peak_bytes'))} | {_gib(w.get('peak_bytes'))} |")
    lines.append("")
    lines.append(f"Target: worker / direct <= {TARGET_RATIO:.2f}x; "
                 + (f"over it: {', '.join(over)}." if over else "every row within it."))
    compared = [r for r in rows if r["direct"].get("frames_hash")
                and r["worker"].get("frames_hash")]
    if compared:
        lines.append("Frames: " + (f"differ between the two calls in {', '.join(differ)}."
                                   if differ else "bit-identical between the two calls in "
                                   f"all {len(compared)} compared rows."))
    lines.append("Peak VRAM: torch.cuda.max_memory_allocated from process start (loading "
                 "included) to the end of the call, in a fresh process each.")
    if header["scale"] == "tiny":
        lines.append("Tiny scale checks the script: its steps take milliseconds, so its "
                     "ratios are scheduling noise, not the GPU table.")
    return "\n".join(lines)


def _parse_size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    try:
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size is WxH, e.g. 832x480, not {text!r}") from None


def _cuda_available() -> bool:
    """Whether torch sees a CUDA device, asked in a child: this process never imports torch
    (nothing of it may sit on the GPU while a measurement runs)."""
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                           capture_output=True, text=True, timeout=300)
    return probe.stdout.strip() == "True"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", choices=("auto", "real", "tiny"), default="auto",
                    help="auto: real where torch sees a CUDA device, else tiny (so `make "
                    "bench` on a CPU checks the script instead of building 18 GB of models)")
    ap.add_argument("--models", default="wan,ltx", help="comma list of: " + ", ".join(MODELS))
    ap.add_argument("--modes", default=None,
                    help=f"comma list of {', '.join(MEMORY_MODES)}; default every one but "
                    "auto on CUDA, gpu alone on a CPU")
    ap.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto",
                    help="auto: cuda where torch sees one (pick a GPU with "
                    "CUDA_VISIBLE_DEVICES)")
    ap.add_argument("--dtype", choices=sorted(DTYPE_NAMES), default="auto",
                    help="auto: bf16 on CUDA, fp32 on a CPU (as Takeline's worker)")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--size", type=_parse_size, default=None,
                    help="WxH for every model; default: each model's published preset")
    ap.add_argument("--frames", type=int, default=None,
                    help="default: each model's published preset (Wan 81, LTX 121)")
    ap.add_argument("--work-dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "takeline-bench-gpu")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--timeout-s", type=float, default=900.0, help="per measurement")
    ap.add_argument("--one", choices=sorted(ROLES), help=argparse.SUPPRESS)
    ap.add_argument("--job", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:  # a child: one build or one measurement
        result = ROLES[args.one](json.loads(args.job.read_text()))
        args.result.write_text(json.dumps(result))
        return

    if args.scale == "auto":
        args.scale = "real" if args.device != "cpu" and _cuda_available() else "tiny"
        if args.scale == "tiny":
            print("no CUDA device: checking the script at --scale tiny (the GPU table needs "
                  "a GPU; --scale real forces the published sizes)", file=sys.stderr)
    if args.steps < 2:
        ap.error("--steps must be at least 2 (s/step is measured from step 2 on)")
    keys = [k.strip() for k in args.models.split(",") if k.strip()]
    unknown = [k for k in keys if k not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    work_dir = args.work_dir / f"{args.scale}"
    json_path = args.json or work_dir / "results.json"
    work_dir.mkdir(parents=True, exist_ok=True)

    folders: dict[str, Path] = {}
    built: dict[str, Any] = {}
    print(f"building random-weight pipelines ({args.scale}) in {work_dir}", file=sys.stderr)
    for key in keys:
        folders[key] = work_dir / f"{key}-{DTYPE_NAMES[args.dtype]}"
        built[key] = _child("build", {"model": key, "scale": args.scale,
                                      "folder": str(folders[key]), "device": args.device,
                                      "dtype": DTYPE_NAMES[args.dtype]},
                            args.timeout_s, f"build {key}")
        if "error" in built[key]:
            raise SystemExit(f"could not build {key}: {built[key]['error']}")
    first = built[keys[0]]
    device, dtype, env = first["device"], first["dtype"], first["env"]

    cuda = device.startswith("cuda")
    if args.modes:
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        bad = [m for m in modes if m not in MEMORY_MODES]
        if bad:
            ap.error(f"unknown memory mode(s) {', '.join(bad)}; choose from "
                     f"{', '.join(MEMORY_MODES)}")
        if not cuda and modes != ["gpu"]:
            print("note: on a CPU every memory mode places the pipeline the same way",
                  file=sys.stderr)
    else:
        modes = [m for m in MEMORY_MODES if m != "auto"] if cuda else ["gpu"]

    rows: list[dict[str, Any]] = []
    shapes = []
    header = {"dtype": dtype, "steps": args.steps, "scale": args.scale, "shapes": shapes}
    for key in keys:
        model = MODELS[key]
        size = args.size or model.size[args.scale]
        frames = args.frames or model.frames[args.scale]
        for mode in modes:
            spec = _plan_spec(model, folders[key], args.scale, mode, device, dtype,
                              args.steps, size, frames)
            if mode == modes[0]:
                shapes.append({"label": model.label, "width": spec.call["width"],
                               "height": spec.call["height"],
                               "frames": spec.call["num_frames"],
                               "guidance": spec.call["guidance_scale"]})
            label = f"{key} {mode}"
            job = {"spec": spec.to_json(), "out_dir": str(work_dir / "takes")}
            direct = _child("direct", job, args.timeout_s, f"{label} direct")
            worker = _child("worker", job, args.timeout_s, f"{label} worker")
            rows.append({"model": key, "label": model.label, "mode": mode,
                         "direct": direct, "worker": worker, "spec": spec.to_json()})
            json_path.write_text(json.dumps(
                {"env": env, "header": header, "built": built, "rows": rows,
                 "args": {k: str(v) for k, v in vars(args).items()}}, indent=1))
    print(_table(rows, env, header))
    print(f"\n(all figures: {json_path})")


if __name__ == "__main__":
    main()
