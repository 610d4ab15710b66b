"""Files Takeline ships beside its code: the application icon (SVG and PNG sizes under
``icons/hicolor``), the transport icons, the desktop entry, AppStream metainfo and the
``.takeline`` MIME type (``desktop/``). ``pyproject.toml`` ships them as package data, and
the PyInstaller bundle copies the folder, so ``path`` finds them in all three layouts."""

from __future__ import annotations

from pathlib import Path

APP_ID = "org.takeline.Takeline"  # desktop file, icon and AppStream id
ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """A file under ``resources/``; FileNotFoundError names it when it is missing (a
    broken install), instead of a blank icon nobody can explain."""
    target = ROOT.joinpath(*parts)
    if not target.exists():
        raise FileNotFoundError(f"Takeline resource {'/'.join(parts)} is missing from {ROOT}")
    return target


def app_icon_svg() -> Path:
    return path("icons", f"{APP_ID}.svg")
