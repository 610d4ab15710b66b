"""Planning (segment -> valid model parameters), conforming and lossless take media: pure,
no model loaded."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from generation.backends import BACKENDS
from generation.backends.base import UnsupportedRequest
from generation.planner import GenerationRequest, ResolvedModel, plan
from generation.spec import JobSpec
from generation.take_media import frames_hash, read_take, write_take
from timeline.conform import Conform

WAN = ResolvedModel(id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers", path="/models/wan",
                    revision="abc", pipeline_class="WanPipeline")
LTX = ResolvedModel(id="Lightricks/LTX-Video", path="/models/ltx", revision="def",
                    pipeline_class="LTXConditionPipeline")


def request(**kw: object) -> GenerationRequest:
    base: dict[str, object] = dict(segment_frames=72, sequence_fps=Fraction(24000, 1001),
                                   sequence_size=(1920, 1080), prompt="a fox", seed=11)
    base.update(kw)
    return GenerationRequest(**base)  # type: ignore[arg-type]


def test_wan_plan_follows_the_model_rules_and_covers_the_segment() -> None:
    [spec] = plan(request(backend="wan", model=WAN))
    # 72 frames at 23.976 = 3.003 s -> 48.05 frames at 16 fps -> 49 (4k+1), covering it.
    assert spec.call["num_frames"] == 49
    assert (spec.call["num_frames"] - 1) % 4 == 0
    assert spec.call["width"] % 16 == 0 and spec.call["height"] % 16 == 0
    assert abs(spec.call["width"] / spec.call["height"] - 16 / 9) < 0.05
    assert spec.fps == "16/1"
    conform = Conform.from_json(spec.conform)
    assert conform.frame_map == "native"
    # The last segment frame lies within the take at the take's own rate.
    assert conform.take_frame(71) == int(Fraction(71) * 16 / Fraction(24000, 1001)) <= 48
    assert spec.call["num_inference_steps"] == BACKENDS["wan"].default_steps
    assert spec.seed == 11 and spec.model_revision == "abc"


def test_ltx_plan_uses_8k_plus_1_and_multiples_of_32() -> None:
    [spec] = plan(request(backend="ltx", model=LTX, segment_frames=48,
                          sequence_fps=Fraction(24)))
    assert spec.call["num_frames"] == 49 and spec.call["frame_rate"] == 24
    assert spec.call["width"] % 32 == 0 and spec.call["height"] % 32 == 0


def test_n_takes_get_n_consecutive_seeds_and_random_ones_differ() -> None:
    specs = plan(request(takes=3))
    assert [s.seed for s in specs] == [11, 12, 13]
    randoms = plan(request(seed=None, takes=2))
    assert randoms[0].seed != randoms[1].seed


def test_previz_renders_the_segment_frame_for_frame_at_the_sequence_size() -> None:
    [spec] = plan(request())
    assert spec.call["num_frames"] == 72 and (spec.call["width"], spec.call["height"]) == (
        1920, 1080)
    assert Fraction(spec.fps) == Fraction(24000, 1001)


@pytest.mark.parametrize("kw, words", [
    (dict(backend="wan"), "needs a model"),
    (dict(backend="ltx", model=WAN), "WanPipeline model"),
    (dict(backend="wan", model=WAN, inputs={"image": {"path": "x.png"}}), "text-to-video"),
    (dict(backend="wan", model=WAN, inputs={"reference_images": []}), "reference images"),
    (dict(backend="wan", model=WAN, segment_frames=24 * 10), "at most 121 frames"),
    (dict(backend="wan", model=WAN, size=(100, 64)), "multiple of 16"),
    (dict(backend="wan", model=WAN, memory_mode="turbo"), "memory mode"),
])
def test_impossible_requests_fail_before_loading_and_say_why(kw: dict, words: str) -> None:
    with pytest.raises(UnsupportedRequest, match=words):
        plan(request(**kw))


def test_spec_json_round_trip_and_newer_fields_are_refused() -> None:
    [spec] = plan(request(backend="wan", model=WAN))
    assert JobSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError, match="newer"):
        JobSpec.from_json({**spec.to_json(), "warp_drive": 1})


def test_conform_maps_frames_exactly() -> None:
    native = Conform(frame_map="native", take_frames=17, take_fps=Fraction(16),
                     segment_frames=24, sequence_fps=Fraction(24))
    assert [native.take_frame(i) for i in (0, 1, 2, 3, 23)] == [0, 0, 1, 2, 15]
    retime = Conform(frame_map="retime", take_frames=9, segment_frames=18)
    assert [retime.take_frame(i) for i in (0, 1, 2, 17, 40)] == [0, 0, 1, 8, 8]
    offset = Conform(frame_map="retime", take_frames=12, segment_frames=8, take_offset=4)
    assert offset.take_frame(0) == 4 and offset.take_frame(7) == 11
    assert Conform.from_json(native.to_json()) == native


def test_take_media_is_lossless_and_hashes_match(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 256, (48, 80, 3), dtype=np.uint8) for _ in range(5)]
    written = write_take(iter(frames), Fraction(16), tmp_path / "t.mkv")
    back = list(read_take(written.path))
    assert len(back) == 5 and all(np.array_equal(a, b) for a, b in zip(frames, back,
                                                                          strict=True))
    assert frames_hash(back) == written.frames_hash == frames_hash(frames)
    frames[2][0, 0, 0] ^= 1  # one bit in one pixel changes the hash
    assert frames_hash(frames) != written.frames_hash
    assert not list(tmp_path.glob("*.part"))
