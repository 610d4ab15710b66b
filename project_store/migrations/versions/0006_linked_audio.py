"""Linked audio: a video file's sound becomes a clip of its own on an audio track.

Before this revision the mixer played the sound of video clips on video tracks; now only
audio tracks sound, and a video file placed on the timeline lands as its picture plus a
linked audio clip (``link`` in the items' props). So that an existing project keeps its
sound, each clip on a video track whose asset has sound gets a linked audio clip over the
same frames with the same source range, gain and fades: on the audio track of the same
number when that is free there, else the first free audio track, else a new one. A dissolve
between two such clips is copied onto their sounds when those land side by side, as the
mixer crossfaded them before. The undo history's records of those video clips get the same
link, so undoing an old step still finds them as it recorded them.

Also ``tracks.label``: a track's own name (Track > Rename), shown instead of V1 / A1.

Revision ID: 0006_linked_audio
Revises: 0005_take_metrics
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_linked_audio"
down_revision = "0005_take_metrics"
branch_labels = None
depends_on = None

# Props of a video clip that do not belong to its sound.
_PICTURE_ONLY = ("opacity", "transform")


def upgrade() -> None:
    with op.batch_alter_table("tracks", recreate="never") as batch:
        batch.add_column(sa.Column("label", sa.String(), nullable=True))
    conn = op.get_bind()
    row = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'next_id'")).first()
    if row is None:
        return  # not a project file this code wrote: nothing to move
    next_id = int(row[0])
    sound = {r.id: _has_sound(r.probe_json)
             for r in conn.execute(sa.text("SELECT id, probe_json FROM assets"))}
    linked: dict[int, int] = {}  # video item id -> its link id
    for (seq,) in conn.execute(sa.text("SELECT id FROM sequences")).fetchall():
        next_id = _link_sequence(conn, seq, sound, next_id, linked)
    if linked:
        conn.execute(sa.text("UPDATE meta SET value = :v WHERE key = 'next_id'"),
                     {"v": str(next_id)})
        _patch_history(conn, linked)


def _has_sound(probe_json: str) -> bool:
    try:
        probe = json.loads(probe_json)
    except ValueError:
        return False
    return bool(probe.get("audio_codec")) and bool(probe.get("video_codec"))


def _link_sequence(conn: Any, seq: int, sound: dict[int, bool], next_id: int,
                   linked: dict[int, int]) -> int:
    tracks = conn.execute(sa.text("SELECT name, kind, idx FROM tracks WHERE sequence_id = :s"),
                          {"s": seq}).fetchall()
    video_idx = {t.name: t.idx for t in tracks if t.kind == "video"}
    audio = sorted((t.idx, t.name) for t in tracks if t.kind == "audio")
    busy: dict[str, list[tuple[int, int]]] = {name: [] for _idx, name in audio}
    for r in conn.execute(sa.text("SELECT track, start, duration FROM items "
                                  "WHERE sequence_id = :s"), {"s": seq}):
        if r.track in busy:
            busy[r.track].append((r.start, r.start + r.duration))
    clips = [r for r in conn.execute(sa.text(
        "SELECT id, track, start, duration, source_in, asset_id, props_json FROM items "
        "WHERE sequence_id = :s AND kind = 'clip' ORDER BY track, start"), {"s": seq})
        if r.track in video_idx and sound.get(r.asset_id)]
    sounds: dict[int, tuple[str, int]] = {}  # video id -> (audio track, audio item id)
    for r in clips:
        lo, hi = r.start, r.start + r.duration

        def free(name: str, lo: int = lo, hi: int = hi) -> bool:
            return all(e <= lo or s >= hi for s, e in busy[name])

        same = [name for idx, name in audio if idx == video_idx[r.track] and free(name)]
        track = (same or [name for _idx, name in audio if free(name)] or [None])[0]
        if track is None:
            idx = max((i for i, _n in audio), default=0) + 1
            names = {t.name for t in tracks} | set(busy)
            while f"A{idx}" in names:
                idx += 1
            track = f"A{idx}"
            conn.execute(sa.text(
                "INSERT INTO tracks(sequence_id, name, kind, idx, muted, solo, locked, hidden)"
                " VALUES (:s, :n, 'audio', :i, 0, 0, 0, 0)"), {"s": seq, "n": track, "i": idx})
            audio.append((idx, track))
            busy[track] = []
        busy[track].append((lo, hi))
        link, audio_id = next_id, next_id + 1
        next_id += 2
        props = json.loads(r.props_json or "{}")
        props["link"] = link
        conn.execute(sa.text("UPDATE items SET props_json = :p WHERE id = :i"),
                     {"p": json.dumps(props, separators=(",", ":")), "i": r.id})
        for key in _PICTURE_ONLY:
            props.pop(key, None)
        conn.execute(sa.text(
            "INSERT INTO items(id, sequence_id, track, kind, start, duration, source_in, "
            "asset_id, props_json) VALUES (:i, :s, :t, 'clip', :st, :d, :si, :a, :p)"),
            {"i": audio_id, "s": seq, "t": track, "st": r.start, "d": r.duration,
             "si": r.source_in, "a": r.asset_id, "p": json.dumps(props, separators=(",", ":"))})
        linked[r.id] = link
        sounds[r.id] = (track, audio_id)
    ends = {r.id: (r.start + r.duration) for r in clips}
    starts = {r.id: r.start for r in clips}
    for tr in conn.execute(sa.text(
            "SELECT from_item, to_item, duration, kind FROM transitions WHERE sequence_id = :s"),
            {"s": seq}).fetchall():
        a, b = sounds.get(tr.from_item), sounds.get(tr.to_item)
        if a is None or b is None or a[0] != b[0] or ends[tr.from_item] != starts[tr.to_item]:
            continue
        conn.execute(sa.text(
            "INSERT INTO transitions(id, sequence_id, track, from_item, to_item, duration, kind)"
            " VALUES (:i, :s, :t, :f, :to, :d, :k)"),
            {"i": next_id, "s": seq, "t": a[0], "f": a[1], "to": b[1], "d": tr.duration,
             "k": tr.kind})
        next_id += 1
    return next_id


def _patch_history(conn: Any, linked: dict[int, int]) -> None:
    """Give the recorded states of the linked video clips their link: undo checks that
    what it changes back is what it recorded."""
    for h in conn.execute(sa.text("SELECT id, change_json FROM history")).fetchall():
        try:
            change = json.loads(h.change_json)
        except ValueError:
            continue
        touched = False
        for o in change.get("ops", []):
            if not isinstance(o, dict) or o.get("t") != "item":
                continue
            for side in ("before", "after"):
                state = o.get(side)
                if isinstance(state, dict) and state.get("id") in linked and state.get(
                        "kind") == "clip":
                    state["link"] = linked[state["id"]]
                    touched = True
        if touched:
            conn.execute(sa.text("UPDATE history SET change_json = :j WHERE id = :i"),
                         {"j": json.dumps(change, separators=(",", ":")), "i": h.id})


def downgrade() -> None:
    # The sound goes back onto the video clips: the audio clips this revision's code linked
    # to a picture are removed and every link is dropped.
    conn = op.get_bind()
    items = conn.execute(sa.text(
        "SELECT i.id, i.props_json, t.kind FROM items i JOIN tracks t ON "
        "t.sequence_id = i.sequence_id AND t.name = i.track WHERE i.kind = 'clip'")).fetchall()
    pictures = {json.loads(r.props_json).get("link") for r in items if r.kind == "video"}
    for r in items:
        props = json.loads(r.props_json)
        link = props.pop("link", None)
        if link is None:
            continue
        if r.kind == "audio" and link in pictures:
            conn.execute(sa.text("DELETE FROM transitions WHERE from_item = :i OR to_item = :i"),
                         {"i": r.id})
            conn.execute(sa.text("DELETE FROM items WHERE id = :i"), {"i": r.id})
        else:
            conn.execute(sa.text("UPDATE items SET props_json = :p WHERE id = :i"),
                         {"p": json.dumps(props, separators=(",", ":")), "i": r.id})
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("label")
