"""Encoder options that make an encode reproducible: the same frames give the same bytes.

libx264's AVX-512 code reads memory it never wrote: at small widths (320 pixels wide, e.g.
320x180 or 320x192; 640x360 and 1280x720 were not affected when measured) its output then
depends on whatever the heap held before, so two exports of the same sequence, or an export
in a child process and one in the editor, decode to different pictures (up to 13 grey levels
apart). The dependence goes with mbtree=0, rc-lookahead=0 or bframes=0, i.e. it lies in the
AVX-512 MB-tree propagation. Rather than give up MB-tree (quality), x264 is kept to its AVX2
code, which (like its C code) gives the same bytes whatever the heap holds. That applies only
on a CPU with AVX-512; elsewhere x264 picks its own (``asm=AVX2`` on a CPU without AVX2
would crash it).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

# What x264 needs for its AVX-512 path (x264's own check); numpy has done the CPUID and
# XGETBV (OS support) work already, on every platform.
_X264_AVX512 = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")


def _cpu_has_x264_avx512() -> bool:
    features: Mapping[str, bool] = {}
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # 2.x, 1.x
        try:
            features = importlib.import_module(name).__cpu_features__
            break
        except (ImportError, AttributeError):
            continue
    return bool(features.get("AVX2")) and all(features.get(f) for f in _X264_AVX512)


_AVX512 = _cpu_has_x264_avx512()


def reproducible_options(codec: str | None, options: Mapping[str, str]) -> dict[str, str]:
    """``options`` for ``codec``, with what makes its output depend on its input only.

    Only libx264 needs anything (see the module docstring); an ``asm`` the caller set in
    ``x264-params`` is kept."""
    out = dict(options)
    if codec != "libx264" or not _AVX512:
        return out
    params = out.get("x264-params", "")
    if any(p.split("=", 1)[0].strip() == "asm" for p in params.split(":") if p):
        return out
    out["x264-params"] = f"{params}:asm=AVX2" if params else "asm=AVX2"
    return out


__all__ = ["reproducible_options"]
