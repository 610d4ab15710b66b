"""Typed job inputs write exactly the JSON the dict inputs were stored as: job rows and take
recipes of existing projects read back unchanged, and take re-runs stay bit for bit."""

from __future__ import annotations

import json

import pytest

from generation.inputs import ControlVideo, JobInputs
from generation.spec import JobSpec

REF = {"path": "/m/a.png", "sha256": "ab" * 32, "source": "shot.png", "role": "first_frame"}
STORED = [
    {"image": REF, "last_image": {"path": "/m/b.png", "sequence_frame": 40}},
    {"image": {"path": "/m/c.png", "source": "/home/c.png", "sha256": "cd" * 32,
               "strength": 0.8}},
    {"reference_images": [REF, {**REF, "role": "style"}],
     "video": {"path": "/m/v.mkv", "sha256": "ef" * 32, "control": "pose"}},
    {"video": {"control": "camera"}},
    {"reference_images": []},
    {"video": {"path": "/t/context.mkv", "frames_hash": "12" * 32},
     "mask": {"keep": [[0, 3], [9, 13]]},
     "splice": {"base": {"take": 4, "path": "/m/t.mkv", "frames_hash": "34" * 32},
                "base_conform": {"frame_map": "native", "take_frames": 17},
                "range": [8, 16], "window": [0, 24], "crossfade": 2,
                "sequence_fps": "24000/1001"}},
    {"scene": {"plate": None, "camera": None, "poses": None, "sequence_fps": "24/1"}},
    {"scene": {"plate": REF, "camera": {"keys": [{"frame": 0}]}, "poses": {"people": []},
               "sequence_fps": "25/1"}},
    {"conditions": [{"path": "/m/k.png", "frame_index": 8}, {"path": "/m/l.png",
                                                             "frame_index": 16,
                                                             "strength": 0.5}]},
]


@pytest.mark.parametrize("stored", STORED)
def test_inputs_json_round_trips_byte_for_byte(stored: dict) -> None:
    inputs = JobInputs.from_json(stored)
    assert json.dumps(inputs.to_json(), sort_keys=True) == json.dumps(stored, sort_keys=True)
    assert sorted(inputs) == sorted(stored) and all(k in inputs for k in stored)
    spec = JobSpec(backend="wan", seed=1, call={}, fps="16/1", inputs=inputs)
    assert JobSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_pending_control_video_and_unknown_inputs() -> None:
    assert JobInputs.from_json({"video": {"control": "pose"}}).video == ControlVideo(
        control="pose")
    with pytest.raises(ValueError, match="unknown conditioning input 'audio'"):
        JobInputs.from_json({"audio": {"path": "x.wav"}})
    with pytest.raises(ValueError, match="newer"):
        JobInputs.from_json({"image": {"path": "x.png", "warp": 1}})
