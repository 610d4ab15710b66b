"""A generation request's choices are checked by the planner, before a worker starts:
refused clearly rather than ignored (previz has no steps) or failing inside a pipeline."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from generation import planner
from generation.backends.base import UnsupportedRequest
from generation.planner import GenerationRequest, ResolvedModel, check_choices, plan

MODEL = ResolvedModel(id="m", path="/m", revision="r", pipeline_class="WanPipeline")


def _request(**kw: Any) -> GenerationRequest:
    return GenerationRequest(segment_frames=12, sequence_fps=Fraction(24),
                             sequence_size=(64, 36), prompt="fog", **kw)


@pytest.mark.parametrize(("kw", "phrase"), [
    ({"steps": 0}, "steps must be a whole number from 1"),
    ({"steps": 10**9}, "steps must be a whole number from 1"),
    ({"guidance": float("nan")}, "guidance must be a finite number"),
    ({"guidance": float("inf")}, "guidance must be a finite number"),
    ({"guidance": -1.0}, "guidance must be a finite number"),
    ({"dtype": "bogus"}, "dtype must be one of"),
    ({"device": "gpu0"}, "device must be auto, cpu"),
    ({"takes": 0}, "takes must be"),
    ({"takes": 10**6}, "takes must be"),
    ({"size": (30000, 30000)}, "too large"),
    ({"max_sequence_length": 0}, "max sequence length"),
])
def test_out_of_range_choices_are_refused(kw: dict[str, Any], phrase: str) -> None:
    with pytest.raises(UnsupportedRequest, match=phrase):
        check_choices(_request(**kw), needs_model=True)


@pytest.mark.parametrize("kw", [{"steps": 5}, {"guidance": 3.0}, {"device": "cuda"},
                                {"dtype": "float16"}])
def test_previz_refuses_settings_it_would_ignore(kw: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedRequest, match="previz"):
        plan(_request(**kw))


def test_cuda_without_a_gpu_is_refused_before_the_worker(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setattr(planner, "gpu_present", lambda: False)
    with pytest.raises(UnsupportedRequest, match="shows no GPU"):
        check_choices(_request(device="cuda", model=MODEL, backend="wan"), needs_model=True)
    monkeypatch.setattr(planner, "gpu_present", lambda: None)  # unknown: the worker decides
    check_choices(_request(device="cuda:1", model=MODEL, backend="wan"), needs_model=True)


def test_sane_choices_pass() -> None:
    check_choices(_request(steps=30, guidance=5.0, dtype="bfloat16", device="cpu",
                           size=(832, 480), takes=4), needs_model=True)
    assert len(plan(_request(takes=2, seed=1))) == 2
