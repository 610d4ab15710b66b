"""Depth maps of a reference clip or plate with a Depth Anything model (transformers'
``DepthAnythingForDepthEstimation`` and its image processor), run in the worker.

``estimate_depth`` gives each frame's relative depth, near bright, scaled 0..1 over the
whole clip at once (a per-frame scale would make the control video flicker as things enter
and leave the picture). ``depth_control_frames`` makes them the grey pictures VACE takes as
its control video. The model is loaded from a folder (``generation.depth_models``) offline,
safetensors only, once per worker process; torch and transformers are imported only when a
depth map is asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_loaded: dict[str, tuple[Any, Any]] = {}
_lock = threading.Lock()
BATCH = 8


def load_depth_model(folder: Path) -> tuple[Any, Any]:
    """(model, image processor) from a Depth Anything folder, in eval mode, cached."""
    key = str(Path(folder).resolve())
    with _lock:
        if key not in _loaded:
            from transformers import AutoImageProcessor, DepthAnythingForDepthEstimation

            model = DepthAnythingForDepthEstimation.from_pretrained(
                key, local_files_only=True, use_safetensors=True).eval()
            processor = AutoImageProcessor.from_pretrained(key, local_files_only=True)
            _loaded[key] = (model, processor)
        return _loaded[key]


def estimate_depth(frames: Sequence[np.ndarray], folder: Path) -> np.ndarray:
    """(T, H, W) float32 relative depth of (H, W, 3) uint8 frames, near = 1, far = 0."""
    import torch

    if not frames:
        raise ValueError("no frames to estimate depth of")
    height, width = frames[0].shape[:2]
    model, processor = load_depth_model(folder)
    maps: list[torch.Tensor] = []
    with torch.no_grad():
        for i in range(0, len(frames), BATCH):
            batch = [np.ascontiguousarray(f[..., :3]) for f in frames[i:i + BATCH]]
            inputs = processor(images=batch, return_tensors="pt")
            predicted = model(**inputs).predicted_depth  # (B, h, w): larger is nearer
            maps.append(torch.nn.functional.interpolate(
                predicted[:, None].float(), size=(height, width), mode="bicubic",
                align_corners=False)[:, 0])
    depth = torch.cat(maps).numpy().astype(np.float32)
    lo, hi = float(depth.min()), float(depth.max())
    if not hi > lo:  # a flat answer (a blank picture): all one depth
        return np.zeros_like(depth)
    return (depth - lo) / (hi - lo)


def depth_control_frames(depth: np.ndarray) -> list[np.ndarray]:
    """Depth maps as (H, W, 3) uint8 grey frames: what VACE's depth control looks like."""
    grey = np.clip(np.rint(depth * 255.0), 0, 255).astype(np.uint8)
    return [np.repeat(g[..., None], 3, axis=2) for g in grey]
