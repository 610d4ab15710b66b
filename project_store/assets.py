"""Imported media: identity hashing, probe records, and what the edit model needs to know.

A file is referenced by its path plus an identity (size and a hash of its first and last
MiB). The identity lets a moved file be relinked with confidence and a file that changed
under the same name be detected, without hashing gigabytes.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PureWindowsPath
from typing import Any, Literal

from timeline.media.probe import (
    MediaProbe,
    MediaProbeError,
    check_media_path,
    duration_in_frames,
    probe,
)
from timeline.model import MediaInfo
from timeline.time import format_rate

IDENTITY_CHUNK = 1 << 20  # one MiB from each end

# offline: media that never was a file here (a clip of another editor's timeline).
AssetStatus = Literal["ok", "missing", "changed", "offline"]


class ImportMediaError(Exception):
    """One or more files could not be imported; nothing was added. ``failures`` maps each
    offending path to its reason."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        if len(failures) == 1:  # one line, as a command's error should be
            ((path, reason),) = failures.items()
            super().__init__(f"Could not import 1 file; nothing was added: {path}: {reason}")
            return
        lines = [f"  {path}: {reason}" for path, reason in failures.items()]
        super().__init__(
            f"Could not import {len(failures)} files; nothing was added:\n" + "\n".join(lines)
        )


def file_identity(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(size, hex digest of size + first MiB + last MiB)."""
    p = Path(path)
    st = p.stat()
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(p))
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device: opening it would block
        raise OSError(errno.EINVAL, "not a regular file", str(p))
    size = st.st_size
    h = hashlib.sha256()
    h.update(str(size).encode())
    with p.open("rb") as f:
        h.update(f.read(IDENTITY_CHUNK))
        if size > IDENTITY_CHUNK:
            f.seek(max(IDENTITY_CHUNK, size - IDENTITY_CHUNK))
            h.update(f.read(IDENTITY_CHUNK))
    return size, h.hexdigest()


@dataclass(frozen=True)
class ProbedFile:
    """A file checked for import: its identity and, unless the project already holds it
    (``known``), its probe."""

    path: Path
    size: int
    identity: str
    probe: MediaProbe | None


def probe_files(paths: Iterable[str | os.PathLike[str]],
                known: Collection[tuple[str, str]] = (),
                progress: Callable[[int, int, Path], None] | None = None) -> list[ProbedFile]:
    """Hash and probe files for import, touching no project (so a window can run it off
    its UI thread). ``known`` holds (path, identity) pairs already imported: those are not
    probed again. ``progress(done, total, path)`` is called before each file. Raises
    ``ImportMediaError`` naming every file that cannot be used."""
    absolute = [Path(p).expanduser().absolute() for p in paths]
    failures: dict[str, str] = {}
    found: list[ProbedFile] = []
    for i, p in enumerate(absolute):
        if progress is not None:
            progress(i, len(absolute), p)
        try:
            check_media_path(p)  # a FIFO or device would block the hash below
            size, identity = file_identity(p)
        except MediaProbeError as exc:
            failures[_shown(p)] = str(exc)
            continue
        except FileNotFoundError:
            failures[_shown(p)] = "no such file"
            continue
        except IsADirectoryError:
            failures[_shown(p)] = "is a folder; import the files inside it"
            continue
        except OSError as exc:
            failures[_shown(p)] = exc.strerror or str(exc)
            continue
        if (str(p), identity) in known:
            found.append(ProbedFile(p, size, identity, None))
            continue
        try:
            found.append(ProbedFile(p, size, identity, probe(p)))
        except MediaProbeError as exc:
            failures[_shown(p)] = str(exc)
    if failures:
        raise ImportMediaError(failures)
    return found


# A path whose bytes are not UTF-8 (surrogate-escaped in Python: os.fsdecode) cannot be
# stored as SQLite text; it is stored as its bytes in hex behind a NUL, which no real path
# (POSIX or Windows) can hold, so no other path reads back as one of these.
_FS_BYTES = "\x00fsbytes:"


def path_to_db(path: str) -> str:
    """A path as the ``assets.path`` column holds it: itself when it is valid text, else
    its exact bytes (``path_from_db`` gives the same path back)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return _FS_BYTES + os.fsencode(path).hex()
    return path


def path_from_db(stored: str) -> str:
    if stored.startswith(_FS_BYTES):
        return os.fsdecode(bytes.fromhex(stored[len(_FS_BYTES):]))
    return stored


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as printable text: a name of arbitrary bytes shows its undecodable bytes
    escaped (``caf\\xe9.mp4``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _shown(path: Path) -> str:
    """A path as text that can be printed and stored (a name of arbitrary bytes shows its
    undecodable bytes escaped)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def find_relinks(missing: Iterable[Asset], folder: str | os.PathLike[str]
                 ) -> dict[int, Path]:
    """Files under ``folder`` (recursively) with the name and identity of each missing
    asset: {asset id: path}; an offline asset (no identity known) takes the first file of
    its name. Reads files only, so a window runs it off its UI thread."""
    wanted = {a.name: a for a in missing}
    found: dict[int, Path] = {}
    if not wanted:
        return found
    for root, _dirs, files in os.walk(folder):
        for name in files:
            asset = wanted.get(name)
            if asset is None or asset.id in found:
                continue
            candidate = Path(root) / name
            if not asset.identity:
                found[asset.id] = candidate
                continue
            try:
                _size, identity = file_identity(candidate)
            except OSError:
                continue
            if identity == asset.identity:
                found[asset.id] = candidate
    return found


@dataclass(frozen=True)
class Asset:
    id: int
    path: str
    size: int
    identity: str
    probe: MediaProbe
    added_at: str
    status: AssetStatus = "ok"

    @property
    def name(self) -> str:
        if re.match(r"^[A-Za-z]:[\\/]|^\\\\", self.path):  # a Windows path (offline)
            return PureWindowsPath(self.path).name
        return Path(self.path).name

    def media_info(self, fps: Fraction) -> MediaInfo:
        return MediaInfo(
            id=self.id,
            kind=self.probe.kind,  # type: ignore[arg-type]
            duration_frames=duration_in_frames(self.probe, fps),
            has_video=self.probe.video_codec is not None,
            has_audio=self.probe.audio_codec is not None,
            name=self.name,
        )

    def to_info_json(self) -> dict[str, Any]:
        """The asset as ``takeline info --json`` reports it."""
        p = self.probe
        return {
            "id": self.id,
            "path": shown_path(self.path),  # printable (and valid JSON text) for any bytes
            "name": shown_path(self.name),
            "kind": p.kind,
            "status": self.status,
            "size": self.size,
            "container": p.container,
            "video_codec": p.video_codec,
            "audio_codec": p.audio_codec,
            "fps": None if p.fps is None else format_rate(p.fps),
            "vfr": p.vfr,
            "rotation": p.rotation,
            "duration": None if p.duration is None else float(p.duration),
            "duration_exact": (
                None if p.duration is None else f"{p.duration.numerator}/{p.duration.denominator}"
            ),
            "frame_count": p.frame_count,
            "width": p.width,
            "height": p.height,
            "pix_fmt": p.pix_fmt,
            "sample_rate": p.sample_rate,
            "channels": p.channels,
        }
