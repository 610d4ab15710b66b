"""Poses out of a reference clip: a YOLOX person detector and an RTMPose / DWPose keypoint
model run by onnxruntime (no torch), in a child process, frame by frame; then the people
tracked and reduced to keys (``timeline.conditioning.pose_reduce``).

The pre- and post-processing follow mmpose / rtmlib (the models' own reference code):

- detector: the picture (BGR, as mmdet's YOLOX is trained) scaled to fit the model's input
  keeping its aspect, at the top-left of a grey (114) canvas, not normalised. Models with
  NMS inside (mmdeploy's ``dets`` (1, N, 5) + ``labels``) are read as they are; raw YOLOX
  heads (1, N, 5 + classes) are decoded on their stride-8/16/32 grids and NMS'd here,
  person class only;
- keypoints: each box's centre and size, padded by 1.25 and widened to the model's aspect,
  cropped by an affine warp to the model's input (RGB, normalised with ImageNet's mean and
  std); the SimCC outputs ``simcc_x`` (1, K, W * r) and ``simcc_y`` (1, K, H * r) decoded by
  their argmax (split ratio r from their length), score the mean of the two maxima, mapped
  back through the crop.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from generation.pose_models import PoseModel
from timeline.conditioning.pose import PoseTrack
from timeline.conditioning.pose_reduce import track_from_detections

_MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
_STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)
_PAD = 1.25
_DET_SCORE = 0.5
_NMS_IOU = 0.45
_MAX_PEOPLE = 8

Detection = tuple[np.ndarray, np.ndarray]  # (K, 2) pixel points, (K,) scores


class PoseExtractError(RuntimeError):
    """The clip or the model cannot be used; the message says why."""


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise PoseExtractError(f"cannot load {path.name} with onnxruntime: {exc}") from None


def _input_size(session: Any, default: tuple[int, int]) -> tuple[int, int]:
    """The model's (width, height) input, from its (1, 3, H, W) input; ``default`` where
    those dimensions are dynamic."""
    shape = session.get_inputs()[0].shape
    h, w = (shape[2], shape[3]) if len(shape) == 4 else (None, None)
    if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
        return w, h
    return default


def _nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    order = list(np.argsort(-scores))
    keep: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order:
        i = order.pop(0)
        keep.append(int(i))
        if not order:
            break
        rest = np.array(order)
        x1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        y1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        x2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        y2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        overlap = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = [int(j) for j, o in zip(rest, overlap, strict=True) if o <= iou]
    return keep


@dataclass
class PoseDetector:
    """Both models loaded, ready to read frames."""

    model: PoseModel

    def __post_init__(self) -> None:
        self.det = _session(self.model.detector)
        self.pose = _session(self.model.pose)
        self.det_size = _input_size(self.det, (640, 640))
        self.pose_size = _input_size(self.pose, (192, 256))

    # --- person boxes -------------------------------------------------------------------

    def boxes(self, rgb: np.ndarray) -> np.ndarray:
        """Person boxes ``(N, 4)`` x1, y1, x2, y2 in the picture's pixels, best first."""
        import cv2

        w, h = self.det_size
        ratio = min(w / rgb.shape[1], h / rgb.shape[0])
        size = (max(1, int(rgb.shape[1] * ratio)), max(1, int(rgb.shape[0] * ratio)))
        canvas = np.full((h, w, 3), 114, dtype=np.uint8)
        canvas[:size[1], :size[0]] = cv2.resize(rgb[..., ::-1], size,
                                                interpolation=cv2.INTER_LINEAR)
        blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        outputs = self.det.run(None, {self.det.get_inputs()[0].name: blob})
        first = np.asarray(outputs[0], dtype=np.float32)
        if first.ndim != 3 or first.shape[-1] < 5:
            raise PoseExtractError(f"{self.model.detector.name} is not a YOLOX detector: its "
                                   f"first output has shape {list(first.shape)}, expected "
                                   "(1, N, 5) boxes or (1, N, 5 + classes) predictions")
        if first.shape[-1] == 5:  # NMS inside: dets + labels
            boxes, scores = first[0, :, :4], first[0, :, 4]
            if len(outputs) > 1:
                labels = np.asarray(outputs[1]).reshape(-1)
                person = labels == 0
                boxes, scores = boxes[person], scores[person]
            keep = np.flatnonzero(scores > _DET_SCORE)
            keep = keep[np.argsort(-scores[keep])]
        else:
            boxes, scores = self._decode_yolox(first[0].copy(), (w, h))
            keep = np.flatnonzero(scores > _DET_SCORE)
            keep = keep[_nms(boxes[keep], scores[keep], _NMS_IOU)] if len(keep) else keep
        boxes = boxes[keep][:_MAX_PEOPLE] / ratio
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, rgb.shape[1])
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, rgb.shape[0])
        return boxes[(boxes[:, 2] - boxes[:, 0] > 1) & (boxes[:, 3] - boxes[:, 1] > 1)]

    @staticmethod
    def _decode_yolox(pred: np.ndarray, size: tuple[int, int]
                      ) -> tuple[np.ndarray, np.ndarray]:
        w, h = size
        grids, strides = [], []
        for stride in (8, 16, 32):
            xv, yv = np.meshgrid(np.arange(w // stride), np.arange(h // stride))
            grids.append(np.stack((xv, yv), 2).reshape(-1, 2))
            strides.append(np.full((grids[-1].shape[0], 1), stride))
        grid, stride = np.concatenate(grids), np.concatenate(strides)
        if len(grid) != len(pred):
            raise PoseExtractError(f"the detector gives {len(pred)} predictions; a YOLOX "
                                   f"head on a {w}x{h} input gives {len(grid)}")
        xy = (pred[:, :2] + grid) * stride
        wh = np.exp(np.clip(pred[:, 2:4], -20, 20)) * stride
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], axis=1)
        return boxes, pred[:, 4] * pred[:, 5]  # objectness x person

    # --- keypoints ----------------------------------------------------------------------

    def keypoints(self, rgb: np.ndarray, box: np.ndarray) -> Detection:
        """One person's keypoints ``(K, 2)`` in the picture's pixels and their scores."""
        import cv2

        w, h = self.pose_size
        center = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], dtype=np.float64)
        bw, bh = (box[2] - box[0]) * _PAD, (box[3] - box[1]) * _PAD
        aspect = w / h
        scale = np.array([bw, bw / aspect] if bw > bh * aspect else [bh * aspect, bh])
        k = w / scale[0]
        warp = np.array([[k, 0, w / 2 - k * center[0]], [0, k, h / 2 - k * center[1]]])
        crop = cv2.warpAffine(rgb, warp, (w, h), flags=cv2.INTER_LINEAR)
        blob = ((crop.astype(np.float32) - _MEAN) / _STD).transpose(2, 0, 1)[None]
        outputs = self.pose.run(None, {self.pose.get_inputs()[0].name: blob})
        if len(outputs) < 2 or np.asarray(outputs[0]).ndim != 3:
            raise PoseExtractError(f"{self.model.pose.name} is not an RTMPose/DWPose SimCC "
                                   "model: expected outputs simcc_x (1, K, W*r) and simcc_y "
                                   "(1, K, H*r)")
        simcc_x, simcc_y = np.asarray(outputs[0])[0], np.asarray(outputs[1])[0]
        if simcc_x.shape[0] < 17:
            raise PoseExtractError(f"{self.model.pose.name} gives {simcc_x.shape[0]} "
                                   "keypoints; a body model gives the 17 COCO ones")
        ratio = simcc_x.shape[1] / w
        locs = np.stack([np.argmax(simcc_x, 1), np.argmax(simcc_y, 1)], 1) / ratio
        scores = (np.max(simcc_x, 1) + np.max(simcc_y, 1)) / 2
        points = locs / np.array([w, h]) * scale + center - scale / 2
        return points[:17], scores[:17]

    def frame(self, rgb: np.ndarray) -> list[Detection]:
        rgb = np.ascontiguousarray(rgb[..., :3])
        return [self.keypoints(rgb, box) for box in self.boxes(rgb)]


def _clip_frames(video: Path, count: int, fps: Fraction) -> tuple[list[int], tuple[int, int]]:
    """The clip's frame index for each of the first ``count`` sequence frames at ``fps``
    (fewer when the clip is shorter), and the clip's (width, height)."""
    from timeline.media.decode import VideoDecoder

    with VideoDecoder(str(video)) as dec:
        duration = dec.duration
        indices = []
        for n in range(count):
            t = Fraction(n) / fps
            if t >= duration:
                break
            indices.append(dec.index_at_time(t))
        h, w = dec.shape[:2]
    return indices, (w, h)


def detect_frames(model: PoseModel, video: str, indices: Sequence[int]
                  ) -> list[list[Detection]]:
    """Every person's COCO-17 keypoints in each of the clip's frames ``indices``, in the
    clip's pixels (runs here; ``detect_in_child`` runs it in a child process)."""
    from timeline.media.decode import VideoDecoder

    detector = PoseDetector(model)
    out: list[list[Detection]] = []
    cache: dict[int, list[Detection]] = {}
    with VideoDecoder(video) as dec:
        for i in indices:
            if i not in cache:  # a slower clip repeats frames
                cache = {i: detector.frame(dec.frame(i))}
            out.append(cache[i])
    return out


def _child_start() -> None:
    """The detector's process yields the CPU to the editor's UI thread."""
    from timeline.priority import background_process, own_session

    own_session()
    background_process(4)


def detect_in_child(model: PoseModel, video: Path, indices: Sequence[int]
                    ) -> list[list[Detection]]:
    """``detect_frames`` in a fresh child process, so the models' memory and threads go
    when it ends and a crash in onnxruntime cannot take the caller with it; at background
    priority, in a session of its own (``timeline.priority``)."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from timeline.spawning import spawn_context

    context = spawn_context()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context,
                                 initializer=_child_start) as pool:
            return pool.submit(detect_frames, model, str(video), list(indices)).result()
    except BrokenProcessPool:
        raise PoseExtractError("the pose detector's process died (out of memory?); try a "
                               "shorter clip or a smaller pose model") from None


def extract_pose_track(video: str | os.PathLike[str], model: PoseModel, *, frames: int,
                       fps: Fraction, width: int, height: int, tolerance: float = 4.0,
                       in_child: bool = True) -> tuple[PoseTrack, dict[str, Any]]:
    """The poses of ``video``'s first ``frames`` frames at sequence rate ``fps`` as a
    track for a ``width`` x ``height`` sequence, with the fewest keys within ``tolerance``
    sequence pixels; and a report (frames read, people, keys)."""
    video = Path(video)
    if not video.is_file():
        raise PoseExtractError(f"{video} is not a file; give a video file or asset:ID")
    indices, (clip_w, clip_h) = _clip_frames(video, frames, Fraction(fps))
    if not indices:
        raise PoseExtractError(f"{video.name} has no frames to read poses from")
    detections = (detect_in_child(model, video, indices) if in_child
                  else detect_frames(model, str(video), indices))
    to_seq = np.array([width / clip_w, height / clip_h])
    scaled = [[(p * to_seq, s) for p, s in frame] for frame in detections]
    track = track_from_detections(scaled, width=width, height=height, tolerance=tolerance)
    report = {
        "frames_read": len(indices),
        "detections": sum(len(f) for f in detections),
        "people": len(track.people),
        "keys": sum(len(p.keys) for p in track.people),
        "tolerance_px": tolerance,
        "model": model.id,
    }
    return track, report
