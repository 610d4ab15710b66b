"""Tiny pose models with random weights, built with the ``onnx`` package, with the input
and output names and shapes of the real ones, so the real pre- and post-processing runs:

- ``yolox_tiny_nms.onnx``: mmdeploy's end2end YOLOX, ``input`` (1, 3, 64, 64) ->
  ``dets`` (1, 1, 5) + ``labels`` (1, 1): one person box, which follows the picture's mean
  brightness a little (so the graph reads its input);
- ``yolox_raw.onnx``: a raw YOLOX head: three random strided convolutions (stride 8/16/32)
  -> (1, 84, 6) predictions (x, y, log w, log h, objectness, person);
- ``rtmpose_tiny.onnx``: ``input`` (1, 3, 32, 24) -> ``simcc_x`` (1, 17, 48) and
  ``simcc_y`` (1, 17, 64) (split ratio 2) through a random 1x1 convolution, a mean along
  one axis and a random projection, then a sigmoid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_OPSET = [helper.make_opsetid("", 17)]


def _init(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(array, name)


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=_OPSET)
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def detector_with_nms(path: Path, box: tuple[float, float, float, float] = (16, 8, 40, 60),
                      size: int = 64) -> Path:
    """One person box at ``box`` (detector input pixels), score 0.9, moved right by the
    picture's mean brightness / 64."""
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Div", ["mean", "k64"], ["shift"]),
        helper.make_node("Mul", ["shift", "xmask"], ["move"]),
        helper.make_node("Add", ["box", "move"], ["dets"]),
        helper.make_node("Identity", ["label"], ["labels"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_yolox_nms",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("dets", TensorProto.FLOAT, [1, 1, 5]),
         helper.make_tensor_value_info("labels", TensorProto.INT64, [1, 1])],
        [_init("box", np.array([[[*box, 0.9]]], dtype=np.float32)),
         _init("k64", np.array(64.0, dtype=np.float32)),
         _init("xmask", np.array([[[1, 0, 1, 0, 0]]], dtype=np.float32)),
         _init("label", np.zeros((1, 1), dtype=np.int64))])
    return _save(graph, path)


def detector_raw(path: Path, size: int = 64, seed: int = 0) -> Path:
    """A raw YOLOX head with random weights: 84 predictions on a 64x64 input."""
    rng = np.random.default_rng(seed)
    nodes, inits, parts = [], [], []
    for stride in (8, 16, 32):
        w = rng.normal(0, 1e-4, (6, 3, stride, stride)).astype(np.float32)
        # Objectness and person logits start high, so boxes pass the score threshold and
        # the NMS has overlaps to prune.
        bias = np.array([0, 0, 0, 0, 3, 3], dtype=np.float32)
        inits += [_init(f"w{stride}", w), _init(f"b{stride}", bias)]
        nodes += [
            helper.make_node("Conv", ["input", f"w{stride}", f"b{stride}"], [f"c{stride}"],
                             kernel_shape=[stride, stride], strides=[stride, stride]),
            helper.make_node("Reshape", [f"c{stride}", "shape"], [f"r{stride}"]),
        ]
        parts.append(f"r{stride}")
    inits.append(_init("shape", np.array([1, 6, -1], dtype=np.int64)))
    nodes += [
        helper.make_node("Concat", parts, ["cat"], axis=2),
        helper.make_node("Transpose", ["cat"], ["pred"], perm=[0, 2, 1]),
        helper.make_node("Split", ["pred", "splits"], ["boxes", "logits"], axis=2),
        helper.make_node("Sigmoid", ["logits"], ["probs"]),
        helper.make_node("Concat", ["boxes", "probs"], ["output"], axis=2),
    ]
    inits.append(_init("splits", np.array([4, 2], dtype=np.int64)))
    n = sum((size // s) ** 2 for s in (8, 16, 32))
    graph = helper.make_graph(
        nodes, "tiny_yolox_raw",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, n, 6])], inits)
    return _save(graph, path)


def rtmpose(path: Path, width: int = 24, height: int = 32, keypoints: int = 17,
            seed: int = 1) -> Path:
    """A random SimCC model on a ``width`` x ``height`` input, split ratio 2."""
    rng = np.random.default_rng(seed)
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w"], ["feat"], kernel_shape=[1, 1]),
            helper.make_node("ReduceMean", ["feat"], ["along_x"], axes=[2], keepdims=0),
            helper.make_node("ReduceMean", ["feat"], ["along_y"], axes=[3], keepdims=0),
            helper.make_node("MatMul", ["along_x", "px"], ["lx"]),
            helper.make_node("MatMul", ["along_y", "py"], ["ly"]),
            helper.make_node("Sigmoid", ["lx"], ["simcc_x"]),
            helper.make_node("Sigmoid", ["ly"], ["simcc_y"]),
        ],
        "tiny_rtmpose",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, height, width])],
        [helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, [1, keypoints, width * 2]),
         helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT,
                                       [1, keypoints, height * 2])],
        [_init("w", rng.normal(0, 1, (keypoints, 3, 1, 1)).astype(np.float32)),
         _init("px", rng.normal(0, 1, (width, width * 2)).astype(np.float32)),
         _init("py", rng.normal(0, 1, (height, height * 2)).astype(np.float32))])
    return _save(graph, path)


def rtmpose_fixed(path: Path, peaks: list[tuple[int, int]], width: int = 24,
                  height: int = 32) -> Path:
    """A SimCC model whose outputs peak at ``peaks`` (SimCC bins, x in 0..2w-1, y in
    0..2h-1) for every input (the input is read, times 0): keypoints at known places in the
    crop, to check the decoding and the reduction exactly."""
    k = len(peaks)
    sx = np.full((1, k, width * 2), 0.1, dtype=np.float32)
    sy = np.full((1, k, height * 2), 0.1, dtype=np.float32)
    for n, (ix, iy) in enumerate(peaks):
        sx[0, n, ix] = sy[0, n, iy] = 0.9
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1, 2, 3], keepdims=0),
            helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
            helper.make_node("Add", ["cx", "nothing"], ["simcc_x"]),
            helper.make_node("Add", ["cy", "nothing"], ["simcc_y"]),
        ],
        "fixed_rtmpose",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, height, width])],
        [helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, [1, k, width * 2]),
         helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, [1, k, height * 2])],
        [_init("zero", np.zeros((), dtype=np.float32)), _init("cx", sx),
         _init("cy", sy)])
    return _save(graph, path)


def write_clip(path: Path, frames: int = 12, size: tuple[int, int] = (96, 64),
               fps: int = 24) -> Path:
    """A short H.264 clip of a bright figure walking right on a dark ground."""
    import av

    w, h = size
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for n in range(frames):
            picture = np.full((h, w, 3), 20, dtype=np.uint8)
            x = 10 + 3 * n
            picture[10:h - 6, x:x + 16] = (230, 200, 180)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def pose_model_folder(folder: Path, *, raw_detector: bool = False) -> Path:
    """A pose model folder as a user would lay it out: a detector and a keypoint model."""
    folder.mkdir(parents=True, exist_ok=True)
    if raw_detector:
        detector_raw(folder / "yolox_raw.onnx")
    else:
        detector_with_nms(folder / "yolox_tiny_nms.onnx")
    rtmpose(folder / "rtmpose_tiny.onnx")
    return folder
