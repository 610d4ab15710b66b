"""Keyframe easing shared by transforms, camera paths and poses.

``ease`` shapes the fraction ``t`` of the way from one keyframe to the next with the earlier
keyframe's easing; ``smooth`` is not a shaping curve but a Catmull-Rom spline through the
neighbouring keyframes (see ``catmull_rom``), so callers handle it themselves.
"""

from __future__ import annotations

EASINGS = ("linear", "ease_in", "ease_out", "ease_in_out", "hold", "smooth")


def ease(t: float, easing: str) -> float:
    if easing == "hold":
        return 0.0
    if easing == "ease_in":
        return t * t
    if easing == "ease_out":
        return 1 - (1 - t) * (1 - t)
    if easing == "ease_in_out":
        return t * t * (3 - 2 * t)
    return t


def catmull_rom(p0: float, p1: float, p2: float, p3: float, t: float) -> float:
    """The uniform Catmull-Rom spline from ``p1`` (t=0) to ``p2`` (t=1): passes through
    every keyframe with a continuous velocity, so a multi-key move has no corners."""
    t2, t3 = t * t, t * t * t
    return 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                  + (-p0 + 3 * p1 - 3 * p2 + p3) * t3)
