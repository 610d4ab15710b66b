"""The files desktops read: the icon in every size, a desktop entry, AppStream metainfo and
the .takeline MIME type that agree on one id, and `make install-desktop` installing them so
that the MIME database names a project file."""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import resources
from resources.render_icons import SIZES
from tests.conftest import REPO_ROOT

ID = resources.APP_ID
DESKTOP = resources.path("desktop", f"{ID}.desktop")
METAINFO = resources.path("desktop", f"{ID}.metainfo.xml")
MIME = resources.path("desktop", f"{ID}.mime.xml")
MIME_TYPE = "application/x-takeline-project"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_icon_pngs_match_their_size_names() -> None:
    assert ET.parse(resources.app_icon_svg()).getroot().tag.endswith("svg")
    for size in SIZES:
        png = resources.path("icons", "hicolor", f"{size}x{size}", "apps", f"{ID}.png")
        assert _png_size(png) == (size, size)


def test_transport_icons_are_svg_drawn_in_current_colour() -> None:
    for name in ("start", "back", "reverse", "play", "pause", "stop", "forward", "next",
                 "end", "loop"):
        svg = resources.path("icons", "transport", f"{name}.svg")
        root = ET.parse(svg).getroot()
        assert root.get("fill") == "currentColor", name


def test_desktop_entry_metainfo_and_mime_type_agree() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Icon"] == ID
    assert desktop["Exec"].split()[0] == "takeline" and "%f" in desktop["Exec"]
    assert MIME_TYPE in desktop["MimeType"].split(";")
    assert desktop["Categories"].endswith(";")

    meta = ET.parse(METAINFO).getroot()
    assert meta.findtext("id") == ID
    assert meta.findtext("launchable") == DESKTOP.name
    assert meta.findtext("provides/mediatype") == MIME_TYPE

    mime = ET.parse(MIME).getroot().find("m:mime-type", NS)
    assert mime is not None and mime.get("type") == MIME_TYPE
    assert [g.get("pattern") for g in mime.findall("m:glob", NS)] == ["*.takeline"]
    assert mime.find("m:sub-class-of", NS).get("type") == "application/vnd.sqlite3"  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_metainfo_validates() -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_resources_ship_as_package_data() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["package-data"]["resources"] == ["**/*"]
    assert "resources*" in config["tool"]["setuptools"]["packages"]["find"]["include"]


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("update-mime-database") is None,
                    reason="needs Linux with shared-mime-info")
def test_install_desktop_makes_project_files_known(tmp_path: Path) -> None:
    pytest.importorskip("PySide6.QtCore", reason="PySide6 cannot load")
    data = tmp_path / "share"
    exe = tmp_path / "takeline"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    env = {**os.environ, "DATA_HOME": str(data)}
    subprocess.run(["bash", "scripts/install_desktop.sh", str(exe)], cwd=REPO_ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    installed = (data / "applications" / DESKTOP.name).read_text(encoding="utf-8")
    assert f'Exec="{exe}" %f' in installed
    assert (data / "icons/hicolor/256x256/apps" / f"{ID}.png").is_file()
    project = tmp_path / "film.takeline"
    project.write_bytes(b"SQLite format 3\0" + bytes(84))
    probe = ("import sys; from PySide6.QtCore import QMimeDatabase; "
             "m = QMimeDatabase().mimeTypeForFile(sys.argv[1]); "
             "print(m.name(), m.inherits('application/vnd.sqlite3'))")
    out = subprocess.run([sys.executable, "-c", probe, str(project)], capture_output=True,
                         text=True, timeout=60,
                         env={**os.environ, "XDG_DATA_HOME": str(data)}).stdout.split()
    assert out == [MIME_TYPE, "True"]
    subprocess.run(["bash", "scripts/install_desktop.sh", "--uninstall"], cwd=REPO_ROOT,
                   env=env, check=True, capture_output=True, timeout=120)
    assert not (data / "applications" / DESKTOP.name).exists()
