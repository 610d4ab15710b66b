"""Backends by name. Importing this is cheap: torch and diffusers load only when a backend
runs (in the worker process)."""

from __future__ import annotations

from generation.backends.base import Backend, UnsupportedRequest
from generation.backends.ltx import LtxBackend
from generation.backends.ltx2 import Ltx2Backend
from generation.backends.previz import PrevizBackend
from generation.backends.stable_audio import StableAudio3Backend, StableAudioBackend
from generation.backends.wan import WanBackend
from generation.backends.wan_animate import WanAnimateBackend
from generation.backends.wan_vace import WanVaceBackend

BACKENDS: dict[str, Backend] = {
    b.name: b for b in (PrevizBackend(), WanBackend(), WanVaceBackend(), LtxBackend(),
                        WanAnimateBackend(), StableAudioBackend(), StableAudio3Backend(),
                        Ltx2Backend())
}


def get_backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise UnsupportedRequest(
            f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}") from None
