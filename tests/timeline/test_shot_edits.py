"""The shot tools' edits: generative extend (a segment abutting a clip; refused where the
frames are taken, or pushed along with ``insert``) and laying out a multi-shot segment."""

from __future__ import annotations

from tests.timeline.test_edits import A, B, C, M, lay, refused, tl, undoes_exactly
from timeline.editor import Timeline
from timeline.model import GeneratedSegment

__all__ = ["tl"]  # the fixture, used by name


def _segments(t: Timeline, track: str = "V1") -> list[GeneratedSegment]:
    return [i for i in t.sequence.tracks[track].items if isinstance(i, GeneratedSegment)]


def test_extend_fills_the_frames_beside_the_clip(tl: Timeline) -> None:  # noqa: F811
    undoes_exactly(tl, {"op": "extend", "item": B, "side": "tail", "frames": 10,
                        "prompt": "more"})
    [seg] = _segments(tl)
    assert (seg.start, seg.duration, seg.extends, seg.prompt) == (30, 10, (B, "tail"), "more")
    assert tl.undo_stack[-1].label == f"Extend Tail of Clip {B} by 10 Frames"
    refused(tl, {"op": "extend", "item": B, "side": "tail", "frames": 1}, "are taken by item")
    refused(tl, {"op": "extend", "item": A, "side": "head", "frames": 1},
            "there are not 1 frames before it")
    refused(tl, {"op": "extend", "item": M, "side": "tail", "frames": 1},
            "only pictures can be extended")
    refused(tl, {"op": "extend", "item": seg.id, "side": "tail", "frames": 1},
            "not a media clip")
    refused(tl, {"op": "extend", "item": C, "side": "middle", "frames": 1}, "head or tail")
    refused(tl, {"op": "extend", "item": C, "side": "tail", "frames": 0}, ">= 1")


def test_extend_with_insert_pushes_what_follows_along(tl: Timeline) -> None:  # noqa: F811
    undoes_exactly(tl, {"op": "extend", "item": A, "side": "head", "frames": 5,
                        "insert": True})
    [seg] = _segments(tl)
    assert (seg.start, seg.duration) == (0, 5)
    assert [(i, s) for i, s, _d, _src in lay(tl)] == [(seg.id, 0), (A, 5), (B, 15), (C, 45)]
    tl.execute({"op": "extend", "item": B, "side": "tail", "frames": 20, "insert": True})
    assert [(i.start, i.duration) for i in tl.sequence.tracks["V1"].items] == [
        (0, 5), (5, 10), (15, 20), (35, 20), (65, 10)]


def test_set_shots_and_lay_them_out(tl: Timeline) -> None:  # noqa: F811
    tl.execute({"op": "add_generated", "track": "V2", "at": 0, "duration": 30,
                "prompt": "fox"})
    [seg] = _segments(tl, "V2")
    refused(tl, {"op": "set", "item": seg.id, "shots": [{"duration": 10}, {"duration": 10}]},
            "the shots last 20 frames")
    refused(tl, {"op": "set", "item": seg.id, "shots": [{"duration": 30}]}, "at least two")
    refused(tl, {"op": "split_shots", "item": seg.id, "takes": [1, 2]},
            "not a multi-shot segment")
    shots = [{"duration": 10, "prompt": "a"}, {"duration": 20, "prompt": "b"}]
    undoes_exactly(tl, {"op": "set", "item": seg.id, "shots": shots})
    refused(tl, {"op": "split_shots", "item": seg.id, "takes": [7]}, "2 shots need 2")
    undoes_exactly(tl, {"op": "split_shots", "item": seg.id, "takes": [7, 8]})
    first, second = _segments(tl, "V2")
    assert (first.id, first.start, first.duration, first.prompt, first.shots) == (
        seg.id, 0, 10, "a", ())
    assert (second.start, second.duration, second.prompt, second.active_take) == (
        10, 20, "b", 8)
    assert (first.shot_of, second.shot_of) == ((7, 0), (7, 1))
    assert first.takes == (7,) and second.takes == (8,)
