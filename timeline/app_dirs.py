"""Where Takeline keeps its own files, in the platform's standard places (platformdirs):

    config  recent projects, window layout     ~/.config/takeline        ($XDG_CONFIG_HOME)
    data    the demo project                   ~/.local/share/takeline   ($XDG_DATA_HOME)
    logs    editor.log, worker.log (rotated)   ~/.local/state/takeline/log ($XDG_STATE_HOME)
    cache   nothing global yet                 ~/.cache/takeline         ($XDG_CACHE_HOME)

(on macOS ~/Library/..., on Windows %LOCALAPPDATA%\\takeline\\...). A project's own caches
(thumbnails, waveforms, proxies, takes) stay in ``<project>.media/`` beside it, so they move
and are deleted with the project. ``TAKELINE_LOG_DIR`` and ``TAKELINE_DEMO`` override the
log folder and the demo project's path. Nothing here creates a folder; the writers do.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "takeline"
LOG_DIR_ENV = "TAKELINE_LOG_DIR"
DEMO_ENV = "TAKELINE_DEMO"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().absolute() if value else None


# Where the XDG spec says to look when a variable is unset, or set to a relative path (which
# the spec says is invalid and must be ignored; platformdirs would use it as given).
_XDG_DEFAULTS = {"user_config_dir": ".config", "user_data_dir": ".local/share",
                 "user_cache_dir": ".cache", "user_log_dir": ".local/state"}


def _resolve(attr: str) -> Path:
    path = Path(getattr(platformdirs.PlatformDirs(APP, appauthor=False), attr))
    if path.is_absolute():
        return path
    tail = ("log",) if attr == "user_log_dir" else ()
    return Path.home().joinpath(_XDG_DEFAULTS[attr], APP, *tail)


def config_dir() -> Path:
    return _resolve("user_config_dir")


def data_dir() -> Path:
    return _resolve("user_data_dir")


def cache_dir() -> Path:
    return _resolve("user_cache_dir")


def log_dir() -> Path:
    return _env_path(LOG_DIR_ENV) or _resolve("user_log_dir")


def demo_project() -> Path:
    """The project ``takeline --demo`` (and ``make run``) opens, built on first use."""
    return _env_path(DEMO_ENV) or data_dir() / "demo" / "demo.takeline"
