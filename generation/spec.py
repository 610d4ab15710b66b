"""A generation job as a frozen, JSON-serialisable spec: everything the worker needs to make
one take, nothing live. A take's recipe embeds its spec, so the take can be re-made from its
database row alone (``takeline rerun``).

``call`` holds the pipeline's own keyword arguments (``num_inference_steps``,
``guidance_scale``, ``height``, ``width``, ``num_frames``, ``negative_prompt``,
``max_sequence_length``, ...), so ``pipe(**spec.call, generator=torch.Generator("cpu").
manual_seed(spec.seed))`` is exactly what the worker runs. Conditioning media (images,
control videos, masks) are files named in ``inputs`` with their content hashes; the backend
turns them into pipeline arguments when it runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import Any

MEMORY_MODES = ("auto", "gpu", "model-offload", "group-offload", "sequential-offload")


@dataclass(frozen=True)
class JobSpec:
    backend: str
    seed: int
    call: dict[str, Any]
    fps: str  # the rate the model makes frames at, "num/den"
    model: str | None = None  # as the user named it: a repo id or a folder
    model_path: str | None = None  # the folder it resolved to
    model_revision: str | None = None
    pipeline_class: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    memory_mode: str = "auto"
    vae_tiling: bool = False
    device: str = "auto"
    dtype: str = "auto"
    # Sequence-side facts the take is conformed to (see timeline.takes.Conform).
    conform: dict[str, Any] = field(default_factory=dict)
    conditioning_version: str | None = None

    @property
    def frame_rate(self) -> Fraction:
        return Fraction(self.fps)

    @property
    def model_key(self) -> str:
        """Jobs with the same key reuse a loaded pipeline."""
        return json.dumps([self.backend, self.model_path, self.model_revision,
                           self.pipeline_class, self.memory_mode, self.device, self.dtype])

    def with_seed(self, seed: int) -> JobSpec:
        return replace(self, seed=seed)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> JobSpec:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"job spec has unknown fields {sorted(unknown)} (written by a "
                             "newer Takeline?)")
        return cls(**d)
