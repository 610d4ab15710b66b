"""Reference assets of a generated segment and the project's cast.

A reference is a file the segment's generation should use, with a *role* saying how: the
first or last frame, a character's or a style's look, a motion to copy, a clip or plate
whose depth drives the shot, an audio track to follow. The bytes live in the project's
content-addressed media store (``sha256`` + ``ext`` name them), so a reference never
changes under a take that was made from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("first_frame", "last_frame", "character", "style", "motion", "depth", "audio")
KINDS = ("image", "video", "audio")
# Which roles each kind of file can play.
KIND_ROLES = {
    # depth: the clip's (or picture's) depth maps are a VACE model's control video, and a
    # depth-warped previz plate.
    "image": ("first_frame", "last_frame", "character", "style", "depth"),
    "video": ("motion", "style", "character", "depth"),
    "audio": ("audio",),
}
# Per segment, as the models of today take them (Wan VACE: a few reference images; the
# audio-driven models: one or two tracks).
LIMITS = {"image": 9, "video": 3, "audio": 3}
AUDIO_USES = ("beat", "speech")
# A depth reference is a picture or clip whose depth the worker estimates, or (use "map") a
# depth map made elsewhere (a grey picture, near bright: a render's Z pass, say).
DEPTH_USES = ("map",)
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mxf"}
AUDIO_EXTS = {".wav", ".mp3", ".flac", ".aac", ".m4a", ".ogg", ".opus", ".aif", ".aiff"}
CAST_KINDS = ("character", "prop", "location")


class ReferenceAssetError(ValueError):
    """Too many references, a role the file cannot play, an unreadable file."""


def kind_for_path(name: str) -> str:
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for kind, exts in (("image", IMAGE_EXTS), ("video", VIDEO_EXTS), ("audio", AUDIO_EXTS)):
        if ext in exts:
            return kind
    raise ReferenceAssetError(
        f"{name}: not a picture, video or audio file Takeline can use as a reference "
        f"(pictures: {', '.join(sorted(IMAGE_EXTS))}; video: {', '.join(sorted(VIDEO_EXTS))}; "
        f"audio: {', '.join(sorted(AUDIO_EXTS))})")


@dataclass(frozen=True)
class Reference:
    sha256: str
    ext: str  # ".png": with the hash, names the file in the media store
    kind: str  # image, video, audio
    role: str
    name: str = ""  # what the editor calls it (the original file name by default)
    source: str = ""  # where it came from: a path, or "sequence frame 120"
    use: str = ""  # audio: "beat" or "speech"; depth: "map" (the file is a depth map)

    @property
    def store_name(self) -> str:
        return f"{self.sha256}{self.ext}"

    def to_json(self) -> dict[str, Any]:
        d = {"sha256": self.sha256, "ext": self.ext, "kind": self.kind, "role": self.role,
             "name": self.name, "source": self.source}
        if self.use:
            d["use"] = self.use
        return d

    @classmethod
    def from_json(cls, d: Any) -> Reference:
        if not isinstance(d, dict):
            raise ReferenceAssetError(f"a reference is an object, not {d!r}")
        try:
            ref = cls(sha256=str(d["sha256"]), ext=str(d["ext"]), kind=str(d["kind"]),
                      role=str(d["role"]), name=str(d.get("name", "")),
                      source=str(d.get("source", "")), use=str(d.get("use", "")))
        except KeyError as exc:
            raise ReferenceAssetError(f"a reference needs {exc.args[0]!r}") from None
        check_reference(ref)
        return ref


def check_reference(ref: Reference) -> None:
    if ref.kind not in KINDS:
        raise ReferenceAssetError(f"reference kind must be one of {', '.join(KINDS)}, not "
                             f"{ref.kind!r}")
    if ref.role not in ROLES:
        raise ReferenceAssetError(f"unknown role {ref.role!r}; roles: {', '.join(ROLES)}")
    if ref.role not in KIND_ROLES[ref.kind]:
        raise ReferenceAssetError(
            f"{ref.name or ref.sha256[:12]}: a {ref.kind} cannot be a {ref.role} reference; "
            f"a {ref.kind} can be {', '.join(KIND_ROLES[ref.kind])}")
    if ref.use and ref.role == "depth":
        if ref.use not in DEPTH_USES or ref.kind != "image":
            raise ReferenceAssetError(f"a depth reference's use is \"map\" (a depth map "
                                      f"picture) or none, not {ref.use!r}")
    elif ref.use and ref.use not in AUDIO_USES:
        raise ReferenceAssetError(f"audio references are used for {' or '.join(AUDIO_USES)}, not "
                             f"{ref.use!r}")
    if len(ref.sha256) != 64 or any(c not in "0123456789abcdef" for c in ref.sha256):
        raise ReferenceAssetError(f"{ref.sha256!r} is not a sha256 content hash")


def check_references(refs: tuple[Reference, ...]) -> None:
    """The per-segment limits (9 images, 3 clips, 3 audio), one first and one last frame."""
    for ref in refs:
        check_reference(ref)
    for kind, limit in LIMITS.items():
        n = sum(r.kind == kind for r in refs)
        if n > limit:
            raise ReferenceAssetError(
                f"a segment takes at most {limit} {kind} references; this would have {n}. "
                f"Remove one first (`takeline conditioning ... --remove-ref N`)")
    for role in ("first_frame", "last_frame"):
        if sum(r.role == role for r in refs) > 1:
            raise ReferenceAssetError(f"a segment has one {role.replace('_', ' ')}; replace the "
                                 f"existing one instead of adding a second")
    keys = [(r.sha256, r.role) for r in refs]
    if len(set(keys)) != len(keys):
        raise ReferenceAssetError("that file is already a reference with the same role")


@dataclass(frozen=True)
class CastMember:
    """A named character, prop or location with its reference pictures; linked to any
    segment, so the same identity goes into every shot that uses it."""

    id: int
    name: str
    kind: str = "character"
    description: str = ""  # said to text-only models: "Mara, a woman in a red coat"
    references: tuple[Reference, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "description": self.description,
                "references": [r.to_json() for r in self.references]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CastMember:
        return cls(id=int(d["id"]), name=str(d["name"]), kind=str(d.get("kind", "character")),
                   description=str(d.get("description", "")),
                   references=tuple(Reference.from_json(r) for r in d.get("references", ())))


def check_cast_member(member: CastMember) -> None:
    if not member.name.strip():
        raise ReferenceAssetError("a cast member needs a name")
    if member.kind not in CAST_KINDS:
        raise ReferenceAssetError(f"a cast member is a {', '.join(CAST_KINDS)}, not "
                             f"{member.kind!r}")
    for ref in member.references:
        check_reference(ref)
        if ref.kind != "image":
            raise ReferenceAssetError(f"{member.name}: cast references are pictures; "
                                 f"{ref.name or ref.sha256[:12]} is a {ref.kind}")
    if len(member.references) > LIMITS["image"]:
        raise ReferenceAssetError(f"{member.name}: at most {LIMITS['image']} pictures per cast "
                             "member")
