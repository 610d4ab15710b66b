"""A job's conditioning inputs, typed: what ``JobSpec.inputs`` holds and the backends read.

Each input is a file named by path (with its content hash and where it came from) or a small
description the backend turns into pipeline arguments when it runs. ``to_json`` writes
exactly the JSON earlier Takeline wrote for the same inputs (optional fields are left out,
not written as null), so job rows and take recipes read back, and re-make, unchanged;
``from_json`` refuses keys it does not know (written by a newer Takeline?).

  image, last_image   first / last frame picture      FileInput
  reference_images    character / style pictures      tuple[FileInput, ...]
  video               control video (or one to render: ``control`` only)   ControlVideo
  mask                frames a VACE model keeps        TemporalMask
  conditions          LTX pictures at frame indices    tuple[FrameCondition, ...]
  scene               what previz draws                Scene
  splice              how a regenerated range goes back into its take     Splice
  shots               a multi-shot job: one model run per shot            tuple[ShotRun, ...]
  audio_splice        the same for an audio take (samples, crossfades)    AudioSplice

This module imports nothing else of Takeline, and no torch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any


def _known(cls: type, d: Mapping[str, Any], what: str) -> None:
    unknown = set(d) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"{what} has unknown fields {sorted(unknown)} (written by a newer "
                         "Takeline?)")


def _present(obj: Any) -> dict[str, Any]:
    """The fields that are set (None = not given), in declaration order."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)
            if getattr(obj, f.name) is not None}


@dataclass(frozen=True)
class FileInput:
    """A conditioning picture in the media store (or a file the user named)."""

    path: str
    sha256: str | None = None
    source: str | None = None  # where it came from: the user's path, a reference's source
    role: str | None = None  # the reference's role (first_frame, style, character, ...)
    sequence_frame: int | None = None  # a continuity frame: the sequence frame it shows
    frames_hash: str | None = None
    strength: float | None = None  # LTX: how strongly the frame is held (default 1.0)

    def to_json(self) -> dict[str, Any]:
        return _present(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FileInput:
        _known(cls, d, "a conditioning file")
        return cls(**d)


@dataclass(frozen=True)
class ControlVideo:
    """A control video file; before it is rendered (once the job is planned) only
    ``control`` is set: what to render ("pose" maps, the "camera" plate, or "depth" maps).
    For "depth" the file holds the pictures whose depth the worker estimates with
    ``depth_model`` (a repo id or a folder, ``generation.depth_models``)."""

    path: str | None = None
    sha256: str | None = None
    frames_hash: str | None = None
    control: str | None = None
    depth_model: str | None = None

    @property
    def pending(self) -> bool:
        return self.path is None

    def to_json(self) -> dict[str, Any]:
        return _present(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ControlVideo:
        _known(cls, d, "a control video")
        return cls(**d)


@dataclass(frozen=True)
class TemporalMask:
    """Half-open ranges of take frames [start, end) a VACE model keeps as they are."""

    keep: tuple[tuple[int, int], ...]

    def to_json(self) -> dict[str, Any]:
        return {"keep": [[s, e] for s, e in self.keep]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TemporalMask:
        _known(cls, d, "a temporal mask")
        return cls(keep=tuple((s, e) for s, e in d["keep"]))


@dataclass(frozen=True)
class FrameCondition:
    """A picture held at one frame index (LTX conditions)."""

    path: str
    frame_index: int
    strength: float | None = None

    def to_json(self) -> dict[str, Any]:
        return _present(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FrameCondition:
        _known(cls, d, "a frame condition")
        return cls(**d)


@dataclass(frozen=True)
class Scene:
    """What previz draws: the plate through the camera path, skeletons on top. ``camera``
    and ``poses`` are the ``CameraPath`` / ``PoseTrack`` JSON, read when the scene is drawn."""

    plate: FileInput | None = None
    camera: dict[str, Any] | None = None
    poses: dict[str, Any] | None = None
    sequence_fps: str | None = None  # "num/den"; None: the job's own rate
    depth: FileInput | None = None  # a depth map of the plate: it is lifted off its plane

    def to_json(self) -> dict[str, Any]:
        out = {"plate": None if self.plate is None else self.plate.to_json(),
               "camera": self.camera, "poses": self.poses, "sequence_fps": self.sequence_fps}
        if self.depth is not None:  # scenes without one read and write as before
            out["depth"] = self.depth.to_json()
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Scene:
        _known(cls, d, "a previz scene")
        plate = d.get("plate")
        depth = d.get("depth")
        return cls(plate=None if plate is None else FileInput.from_json(plate),
                   camera=d.get("camera"), poses=d.get("poses"),
                   sequence_fps=d.get("sequence_fps"),
                   depth=None if depth is None else FileInput.from_json(depth))


@dataclass(frozen=True)
class Splice:
    """A regenerated range and the take it goes back into (``generation.subrange``). An
    extension (generative extend) has no base take: its base is the clip's edge frames,
    stored as a file of their own."""

    base_take: int | None
    base_path: str
    base_frames_hash: str
    base_conform: dict[str, Any]  # the base take's ``Conform`` JSON
    range: tuple[int, int]  # segment frames, half-open
    window: tuple[int, int]  # the frames the model saw
    crossfade: int
    sequence_fps: str  # "num/den": the rate of the spliced take

    def to_json(self) -> dict[str, Any]:
        return {"base": {"take": self.base_take, "path": self.base_path,
                         "frames_hash": self.base_frames_hash},
                "base_conform": self.base_conform, "range": list(self.range),
                "window": list(self.window), "crossfade": self.crossfade,
                "sequence_fps": self.sequence_fps}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Splice:
        unknown = set(d) - {"base", "base_conform", "range", "window", "crossfade",
                            "sequence_fps"}
        if unknown:
            raise ValueError(f"a splice has unknown fields {sorted(unknown)} (written by a "
                             "newer Takeline?)")
        base = d["base"]
        start, end = d["range"]
        w0, w1 = d["window"]
        return cls(base_take=base["take"], base_path=base["path"],
                   base_frames_hash=base["frames_hash"], base_conform=d["base_conform"],
                   range=(start, end), window=(w0, w1), crossfade=d.get("crossfade", 0),
                   sequence_fps=d["sequence_fps"])


@dataclass(frozen=True)
class ShotRun:
    """One shot of a multi-shot job: its own pipeline call (prompt, frame count) and
    inputs; ``continuity``: its first frame is the previous shot's last frame, handed over
    when the job runs (``generation.execute``)."""

    call: dict[str, Any]
    inputs: JobInputs
    segment_frames: int  # sequence frames the shot fills
    continuity: bool = False
    conditioning_version: str | None = None  # the version of the shot laid out as a segment

    def to_json(self) -> dict[str, Any]:
        out = {"call": self.call, "inputs": self.inputs.to_json(),
               "segment_frames": self.segment_frames, "continuity": self.continuity}
        if self.conditioning_version is not None:
            out["conditioning_version"] = self.conditioning_version
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ShotRun:
        _known(cls, d, "a shot run")
        return cls(call=dict(d["call"]), inputs=JobInputs.from_json(d.get("inputs", {})),
                   segment_frames=d["segment_frames"], continuity=d.get("continuity", False),
                   conditioning_version=d.get("conditioning_version"))


@dataclass(frozen=True)
class AudioSplice:
    """A regenerated range of an audio take: the model made ``samples[1] - samples[0]``
    samples anew; they replace the base take's samples [samples[0], samples[1]), the first
    and last ``crossfade`` of them faded against the base (``generation.subrange``)."""

    base_take: int
    base_path: str
    base_samples_hash: str
    range: tuple[int, int]  # segment frames, half-open
    samples: tuple[int, int]  # take samples at ``sample_rate``, half-open
    crossfade: int  # samples at each seam, inside the range
    sample_rate: int
    mode: str = "crossfade"  # how the backend regenerates a range (Backend.audio_range_mode)

    def to_json(self) -> dict[str, Any]:
        return {"base": {"take": self.base_take, "path": self.base_path,
                         "samples_hash": self.base_samples_hash},
                "range": list(self.range), "samples": list(self.samples),
                "crossfade": self.crossfade, "sample_rate": self.sample_rate,
                "mode": self.mode}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AudioSplice:
        unknown = set(d) - {"base", "range", "samples", "crossfade", "sample_rate", "mode"}
        if unknown:
            raise ValueError(f"an audio splice has unknown fields {sorted(unknown)} (written "
                             "by a newer Takeline?)")
        base = d["base"]
        a, b = d["range"]
        s0, s1 = d["samples"]
        return cls(base_take=base["take"], base_path=base["path"],
                   base_samples_hash=base["samples_hash"], range=(a, b), samples=(s0, s1),
                   crossfade=d["crossfade"], sample_rate=d["sample_rate"],
                   mode=d.get("mode", "crossfade"))


@dataclass(frozen=True)
class JobInputs:
    """A job's conditioning; an input that is None was not given. Iterating yields the
    names of those given (what a backend checks against its capabilities)."""

    image: FileInput | None = None
    last_image: FileInput | None = None
    reference_images: tuple[FileInput, ...] | None = None
    video: ControlVideo | None = None
    mask: TemporalMask | None = None
    conditions: tuple[FrameCondition, ...] | None = None
    scene: Scene | None = None
    splice: Splice | None = None
    shots: tuple[ShotRun, ...] | None = None
    audio_splice: AudioSplice | None = None

    def __iter__(self) -> Iterator[str]:
        return iter(_present(self))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and getattr(self, name, None) is not None

    def __len__(self) -> int:
        return len(_present(self))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in _present(self).items():
            if isinstance(value, tuple):
                out[name] = [v.to_json() for v in value]
            else:
                out[name] = value.to_json()
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> JobInputs:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown conditioning input {sorted(unknown)[0]!r}")
        def files(key: str) -> tuple[FileInput, ...] | None:
            return None if key not in d else tuple(FileInput.from_json(r) for r in d[key])

        return cls(
            image=None if "image" not in d else FileInput.from_json(d["image"]),
            last_image=None if "last_image" not in d else FileInput.from_json(d["last_image"]),
            reference_images=files("reference_images"),
            video=None if "video" not in d else ControlVideo.from_json(d["video"]),
            mask=None if "mask" not in d else TemporalMask.from_json(d["mask"]),
            conditions=None if "conditions" not in d else tuple(
                FrameCondition.from_json(c) for c in d["conditions"]),
            scene=None if "scene" not in d else Scene.from_json(d["scene"]),
            splice=None if "splice" not in d else Splice.from_json(d["splice"]),
            shots=None if "shots" not in d else tuple(ShotRun.from_json(x) for x in d["shots"]),
            audio_splice=None if "audio_splice" not in d else AudioSplice.from_json(
                d["audio_splice"]),
        )
