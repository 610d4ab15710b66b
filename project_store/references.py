"""Reference files of a project: copied into the content-addressed media store
(``<project>.media/inputs/``) so a take always finds the very bytes it was made from, even
when the original moves or is edited."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from project_store.generation_records import MediaStore
from project_store.project import Project
from timeline.conditioning.references import (
    AUDIO_USES,
    Reference,
    ReferenceAssetError,
    check_reference,
    kind_for_path,
)
from timeline.media.probe import MediaProbeError, probe


def store(project: Project) -> MediaStore:
    return MediaStore(project.media_root)


def reference_path(project: Project, ref: Reference) -> Path:
    return store(project).path(f"inputs/{ref.sha256[:2]}/{ref.store_name}")


def _check_readable(path: Path, kind: str) -> None:
    """Refuse a file the models could not read, now rather than at generation time."""
    if kind == "image":
        from PIL import Image, UnidentifiedImageError

        from timeline.media.images import PictureError, check_picture_file

        try:
            check_picture_file(path)  # its size, before decoding it
        except PictureError as exc:
            raise ReferenceAssetError(str(exc)) from None
        try:
            with Image.open(path) as im:
                im.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise ReferenceAssetError(f"{path}: not a readable picture ({exc})") from None
        return
    try:
        facts = probe(path)
    except MediaProbeError as exc:
        raise ReferenceAssetError(f"{path}: {exc}") from None
    if kind == "video" and facts.width is None:
        raise ReferenceAssetError(f"{path}: has no video stream to use as a clip reference")
    if kind == "audio" and facts.sample_rate is None:
        raise ReferenceAssetError(f"{path}: has no audio stream")


def store_reference(project: Project, file: str | os.PathLike[str], role: str, *,
                    use: str = "", name: str | None = None, source: str | None = None
                    ) -> Reference:
    """Check ``file`` can play ``role``, copy it into the media store and return the
    reference (not yet on any segment: set it with the ``set`` edit)."""
    path = Path(file)
    if not path.is_file():
        raise ReferenceAssetError(f"{path}: no such file")
    kind = kind_for_path(path.name)
    if kind == "audio" and not use:
        use = AUDIO_USES[0]
    ref = Reference(sha256="0" * 64, ext=path.suffix.lower(), kind=kind, role=role,
                    name=name or path.name, source=source or str(path.resolve()), use=use)
    check_reference(ref)  # the role before the copy: no stray file for a refused one
    _check_readable(path, kind)
    tmp_dir = project.media_root / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, suffix=ref.ext)
    os.close(fd)
    shutil.copyfile(path, tmp)
    rel = store(project).put(Path(tmp), kind="inputs")
    return Reference(sha256=Path(rel).stem, ext=ref.ext, kind=kind, role=role,
                     name=ref.name, source=ref.source, use=use)
