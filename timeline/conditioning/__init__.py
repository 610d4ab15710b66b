"""Segment conditioning data: references, cast, camera paths, poses and versions.

Qt- and torch-free, like the rest of ``timeline``."""
