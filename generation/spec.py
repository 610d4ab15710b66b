"""A generation job as a frozen, JSON-serialisable spec: everything the worker needs to make
one take, nothing live. A take's recipe embeds its spec, so the take can be re-made from its
database row alone (``takeline rerun``).

``call`` holds the pipeline's own keyword arguments (``num_inference_steps``,
``guidance_scale``, ``height``, ``width``, ``num_frames``, ``negative_prompt``,
``max_sequence_length``, ...), so ``pipe(**spec.call, generator=torch.Generator("cpu").
manual_seed(spec.seed))`` is exactly what the worker runs. Conditioning media (images,
control videos, masks) are files named in ``inputs`` (a ``generation.inputs.JobInputs``)
with their content hashes; the backend turns them into pipeline arguments when it runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import Any

from generation.inputs import JobInputs

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
    inputs: JobInputs = field(default_factory=JobInputs)  # a JSON dict is read into one
    memory_mode: str = "auto"
    vae_tiling: bool = False
    device: str = "auto"
    dtype: str = "auto"
    # Sequence-side facts the take is conformed to (see timeline.conform.Conform).
    conform: dict[str, Any] = field(default_factory=dict)
    conditioning_version: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.inputs, Mapping):
            object.__setattr__(self, "inputs", JobInputs.from_json(self.inputs))

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
        return {**asdict(replace(self, inputs=JobInputs())), "inputs": self.inputs.to_json()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> JobSpec:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"job spec has unknown fields {sorted(unknown)} (written by a "
                             "newer Takeline?)")
        return cls(**d)
