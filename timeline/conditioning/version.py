"""Conditioning versions: the whole brief of a segment as one immutable, content-addressed
value.

A version covers everything that shapes what a model makes of the segment: prompt,
negative prompt, model choice, references (by content hash and role), camera path, poses
and the linked cast members *with their own references*. Display-only details (a
reference's name, where a file came from, how a camera path was built) are left out, so
renaming does not make a take stale, while changing a cast member's picture makes every
segment that uses it stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from timeline.conditioning.references import CastMember, Reference

FORMAT = 1


def _ref(r: Reference) -> dict[str, Any]:
    d = {"sha256": r.sha256, "ext": r.ext, "kind": r.kind, "role": r.role}
    if r.use:
        d["use"] = r.use
    return d


def conditioning_payload(segment: Any, cast: Mapping[int, CastMember]) -> dict[str, Any]:
    """The version's content for a ``GeneratedSegment`` (duck-typed: the model imports this
    package, not the other way round)."""
    camera = None
    if segment.camera is not None:
        camera = segment.camera.to_json()
        camera.pop("stages", None)
    members = []
    for member_id in segment.cast:
        m = cast.get(member_id)
        if m is None:  # a dangling link (cannot happen through edits) counts as absent
            continue
        members.append({"id": m.id, "name": m.name, "kind": m.kind,
                        "description": m.description,
                        "references": [_ref(r) for r in m.references]})
    payload = {
        "format": FORMAT,
        "prompt": segment.prompt,
        "negative_prompt": segment.negative_prompt,
        "model": segment.model,
        "references": [_ref(r) for r in segment.references],
        "camera": camera,
        "poses": None if segment.poses is None else segment.poses.to_json(),
        "cast": members,
    }
    # Only multi-shot segments carry shots, so every other version id stays what it was.
    shots = getattr(segment, "shots", ())
    if shots:
        payload["shots"] = [s.to_json() for s in shots]
    return payload


def canonical_json(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def version_id(payload: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON: equal briefs are the same version."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def segments_using(cast_member: int, items: Any) -> list[Any]:
    return [i for i in items if getattr(i, "kind", "") == "generated" and cast_member in i.cast]
