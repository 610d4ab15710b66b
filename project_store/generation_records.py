"""Takes and generation jobs in the project file, and the content-addressed media store.

A take's media is a file under ``<project>.media/takes/`` named by the SHA-256 of its bytes,
so the same result stored twice is one file and a file's name proves its content. The row
holds everything else: the recipe that re-makes it, the hash of its decoded frames, and how
it is conformed to its segment.

Adding a take to a segment and making it active is a timeline edit (one undo step), done in
the same transaction as the row insert, so the file and the project never disagree.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from project_store.db import ProjectError
from project_store.project import Project
from project_store.writer_lock import pid_alive, this_host
from timeline.conform import Conform
from timeline.model import GeneratedSegment
from timeline.time import format_rate

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")

# A running job's owner writes ``heartbeat_at`` at least every HEARTBEAT_S seconds (and at
# every progress write). A job whose heartbeat is older than HEARTBEAT_TIMEOUT_S counts as
# orphaned even if its owner's pid looks alive (another machine, a hung process, a reused
# pid); on this host a dead owner pid is noticed at once, with no wait.
HEARTBEAT_S = 10.0
HEARTBEAT_TIMEOUT_S = 120.0


def owner_id() -> str:
    """This process as a job owner: ``pid@host``."""
    return f"{os.getpid()}@{this_host()}"



class TakeError(ProjectError):
    pass


@dataclass(frozen=True)
class Take:
    id: int
    segment_id: int
    job_id: int | None
    name: str
    starred: bool
    deleted: bool
    created_at: str
    backend: str
    model: str
    seed: int | None
    media_path: Path | None  # absolute; None once deleted
    frames_hash: str
    frame_count: int
    fps: Fraction
    width: int
    height: int
    conditioning_version: str | None
    recipe: dict[str, Any]
    conform: Conform
    # "video" (frames) or "audio" (samples: a float WAV of what the model made).
    media_kind: str = "video"
    sample_rate: int | None = None
    channels: int | None = None
    samples: int | None = None
    # A joint audio-video run (LTX-2): the other take of the pair (this picture's sound, or
    # this sound's picture); None for every other take.
    partner_take: int | None = None

    @property
    def is_audio(self) -> bool:
        return self.media_kind == "audio"

    def to_json(self) -> dict[str, Any]:
        audio = {"sample_rate": self.sample_rate, "channels": self.channels,
                 "samples": self.samples} if self.is_audio else {}
        partner = {"partner_take": self.partner_take} if self.partner_take else {}
        return {
            "media_kind": self.media_kind, **audio, **partner,
            "id": self.id, "segment": self.segment_id, "job": self.job_id, "name": self.name,
            "starred": self.starred, "deleted": self.deleted, "created_at": self.created_at,
            "backend": self.backend, "model": self.model, "seed": self.seed,
            "media_path": str(self.media_path) if self.media_path else None,
            "frames_hash": self.frames_hash, "frame_count": self.frame_count,
            "fps": format_rate(self.fps),
            "width": self.width, "height": self.height,
            "conditioning_version": self.conditioning_version,
            "recipe": self.recipe, "conform": self.conform.to_json(),
        }


@dataclass(frozen=True)
class Job:
    id: int
    segment_id: int
    state: str
    spec: dict[str, Any]
    model_key: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    steps_done: int
    steps_total: int
    error: str | None
    take_ids: tuple[int, ...] = field(default=())
    owner: str | None = None  # pid@host of the process running it (while running)
    claim_token: str | None = None
    heartbeat_at: float | None = None

    def owner_gone(self, ours: set[str], now: float | None = None) -> bool:
        """A running job whose runner is no longer there: no owner recorded (a row from
        before claims, or a claim never completed), its pid dead on this host (or this
        process's, but not among ``ours``, the claims the open project holds: an earlier
        opening of it claimed the job), or no heartbeat for HEARTBEAT_TIMEOUT_S."""
        if self.state != "running":
            return False
        if not self.owner or not self.claim_token:
            return True
        now = time.time() if now is None else now
        if self.heartbeat_at is None or now - self.heartbeat_at > HEARTBEAT_TIMEOUT_S:
            return True
        pid_text, _, host = self.owner.partition("@")
        if host != this_host():
            return False  # another machine: only its heartbeat can tell
        try:
            pid = int(pid_text)
        except ValueError:
            return True
        if pid == os.getpid():
            return self.claim_token not in ours
        return not pid_alive(pid)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "segment": self.segment_id, "state": self.state,
            "model_key": self.model_key, "created_at": self.created_at,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "steps_done": self.steps_done, "steps_total": self.steps_total,
            "error": self.error, "takes": list(self.take_ids),
        }


@dataclass(frozen=True)
class NewTake:
    """A finished run as the worker reports it, before it is stored."""

    media_file: Path  # a file outside the store; moved in
    frames_hash: str
    frame_count: int
    fps: Fraction
    width: int
    height: int
    backend: str
    model: str
    seed: int | None
    recipe: dict[str, Any]
    conform: Conform
    conditioning_version: str | None = None
    media_kind: str = "video"
    sample_rate: int | None = None
    channels: int | None = None
    samples: int | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class MediaStore:
    """Content-addressed files under ``<project>.media/``; paths in rows are relative."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, file: Path, kind: str = "takes") -> str:
        """Move ``file`` into the store and return its relative path. An identical file
        already there is kept and ``file`` removed."""
        digest = file_sha256(file)
        rel = f"{kind}/{digest[:2]}/{digest}{file.suffix}"
        dest = self.root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            file.unlink()
        else:
            # Same folder as the destination first, so the final rename is atomic.
            tmp = dest.with_name(dest.name + ".part")
            shutil.move(os.fspath(file), tmp)
            os.replace(tmp, dest)
        return rel

    def path(self, rel: str) -> Path:
        return self.root / rel

    def remove(self, rel: str) -> None:
        try:
            (self.root / rel).unlink()
        except FileNotFoundError:
            pass


class GenerationRecords:
    """Takes and jobs of one open project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.store = MediaStore(project.media_root)

    # ------------------------------------------------------------------ takes
    def _take(self, r: Any) -> Take:
        return Take(
            id=r.id, segment_id=r.segment_id, job_id=r.job_id, name=r.name,
            starred=bool(r.starred), deleted=bool(r.deleted), created_at=r.created_at,
            backend=r.backend, model=r.model, seed=r.seed,
            media_path=self.store.path(r.media_path) if r.media_path else None,
            frames_hash=r.frames_hash, frame_count=r.frame_count,
            fps=Fraction(r.fps_num, r.fps_den), width=r.width, height=r.height,
            conditioning_version=r.conditioning_version, recipe=json.loads(r.recipe_json),
            conform=Conform.from_json(json.loads(r.conform_json)),
            media_kind=r.media_kind or "video", sample_rate=r.sample_rate,
            channels=r.channels, samples=r.samples, partner_take=r.partner_take,
        )

    def takes(self, segment_id: int | None = None, *, include_deleted: bool = False
              ) -> list[Take]:
        sql = "SELECT * FROM takes WHERE 1=1"
        params: dict[str, Any] = {}
        if segment_id is not None:
            sql += " AND segment_id = :s"
            params["s"] = segment_id
        if not include_deleted:
            sql += " AND deleted = 0"
        return [self._take(r) for r in self.project.query(sql + " ORDER BY id", params)]

    def take(self, take_id: int) -> Take:
        rows = self.project.query("SELECT * FROM takes WHERE id = :i", {"i": take_id})
        if not rows:
            raise TakeError(f"There is no take {take_id} in this project; "
                            "`takeline takes PROJECT --segment ID` lists them.")
        return self._take(rows[0])

    def segment(self, segment_id: int) -> GeneratedSegment:
        item = self.project.sequence.find_item(segment_id)
        if not isinstance(item, GeneratedSegment):
            raise TakeError(
                f"Item {segment_id} is not a generated segment of this project; "
                "`takeline info PROJECT` lists the items (kind \"generated\")."
            )
        return item

    def store_files(self, new: Iterable[NewTake]) -> list[str]:
        """Move the runs' files into the media store, returning their relative paths. It
        hashes every byte (slow for a long 1080p take) and touches no row, so a window runs
        it off its UI thread and passes the result to ``add_takes(stored=...)``."""
        return [self.store.put(t.media_file) for t in new]

    def add_takes(self, segment_id: int, new: Iterable[NewTake], *, job_id: int | None = None,
                  make_active: bool = True, stored: list[str] | None = None) -> list[Take]:
        """Store finished runs as takes of ``segment_id``: files into the media store
        (unless ``stored`` holds what ``store_files`` returned for them), rows into the
        file, and one undoable edit that adds them to the segment (the last one becomes
        active)."""
        new = list(new)
        segment = self.segment(segment_id)
        rels = self.store_files(new) if stored is None else stored
        if len(rels) != len(new):
            raise TakeError(f"{len(new)} takes but {len(rels)} stored files")
        stored_takes: list[tuple[NewTake, str]] = list(zip(new, rels, strict=True))
        ids: list[int] = []
        with self.project.batch(), self.project.transaction() as c:
            first_number = len(self.takes(segment_id, include_deleted=True)) + 1
            for number, (t, rel) in enumerate(stored_takes, start=first_number):
                ids.append(self._insert_take(c, segment_id, job_id, f"Take {number}", t, rel))
            if ids:
                params: dict[str, Any] = {"op": "set", "item": segment_id,
                                          "takes": [*segment.takes, *ids]}
                if make_active or segment.active_take is None:
                    params["active_take"] = ids[-1]
                self.project.execute(params)
        return [self.take(i) for i in ids]

    @staticmethod
    def _insert_take(c: Any, segment_id: int, job_id: int | None, name: str, t: NewTake,
                     rel: str) -> int:
        return c.execute(
            "INSERT INTO takes(segment_id, job_id, name, starred, deleted, created_at, "
            "backend, model, seed, media_path, frames_hash, frame_count, fps_num, "
            "fps_den, width, height, conditioning_version, recipe_json, conform_json, "
            "media_kind, sample_rate, channels, samples) "
            "VALUES (:s, :j, :n, 0, 0, :t, :b, :m, :seed, :p, :h, :fc, :fn, :fd, :w, "
            ":hh, :cv, :r, :c, :mk, :sr, :ch, :ns) RETURNING id", {
                "s": segment_id, "j": job_id, "n": name, "t": _now(),
                "b": t.backend, "m": t.model, "seed": t.seed, "p": rel,
                "h": t.frames_hash, "fc": t.frame_count, "fn": t.fps.numerator,
                "fd": t.fps.denominator, "w": t.width, "hh": t.height,
                "cv": t.conditioning_version, "r": json.dumps(t.recipe, sort_keys=True),
                "c": json.dumps(t.conform.to_json()), "mk": t.media_kind,
                "sr": t.sample_rate, "ch": t.channels, "ns": t.samples,
            }).one().id

    def add_shot_takes(self, segment_id: int, shots: list[NewTake], rel: str, *,
                       job_id: int | None = None) -> list[Take]:
        """Store a multi-shot run (one media file, ``rel`` in the store, already moved in):
        one take per shot, each showing its shot's frames of the file (its conform), then
        one undoable edit (``split_shots``) that lays the shots out as segments with real
        cuts, each with its take active. Rows and edit in one transaction."""
        segment = self.segment(segment_id)
        if len(shots) != len(segment.shots):
            raise TakeError(f"segment {segment_id} has {len(segment.shots)} shots; the run "
                            f"made {len(shots)} (its shots were changed while it ran: "
                            "generate it again)")
        with self.project.batch(), self.project.transaction() as c:
            number = len(self.takes(segment_id, include_deleted=True)) + 1
            ids = [self._insert_take(c, segment_id, job_id,
                                     f"Take {number} shot {i + 1}/{len(shots)}", t, rel)
                   for i, t in enumerate(shots)]
            self.project.execute({"op": "split_shots", "item": segment_id, "takes": ids})
            # Each shot's take belongs to the segment that now shows it.
            by_take = {s.active_take: s.id for s in self.project.sequence.all_items()
                       if isinstance(s, GeneratedSegment) and s.active_take in ids}
            for take_id in ids[1:]:
                c.execute("UPDATE takes SET segment_id = :s WHERE id = :i",
                          {"s": by_take[take_id], "i": take_id})
        return [self.take(i) for i in ids]

    def linked_sound_segment(self, segment_id: int) -> GeneratedSegment | None:
        """The generated audio segment linked to video segment ``segment_id`` (where a joint
        audio-video model's sound goes), if it has one."""
        seq = self.project.sequence
        segment = self.segment(segment_id)
        return next((p for p in seq.linked(segment) if isinstance(p, GeneratedSegment)
                     and seq.tracks[p.track].kind == "audio"), None)

    def add_joint_takes(self, segment_id: int, picture: NewTake, sound: NewTake, *,
                        job_id: int | None = None, stored: list[str] | None = None
                        ) -> list[Take]:
        """Store one joint audio-video run (LTX-2): ``picture`` as a take of video segment
        ``segment_id``, ``sound`` as a take of the generated audio segment linked to it. That
        segment is made on the first audio track free over the segment's frames (a new audio
        track when none is) and linked to the picture the first time; later runs reuse it.
        Each take names the other (``partner_take``); both become active. One transaction,
        one undo step. Returns [picture take, sound take]."""
        segment = self.segment(segment_id)
        rels = self.store_files([picture, sound]) if stored is None else stored
        if len(rels) != 2:
            raise TakeError(f"a joint take is two files, not {len(rels)}")
        with self.project.batch(), self.project.transaction() as c:
            steps: list[dict[str, Any]] = []
            sound_segment = self.linked_sound_segment(segment_id)
            if sound_segment is None:
                sound_id, sound_takes, made = self._sound_segment_steps(segment, picture.model)
                steps += made
            else:
                sound_id, sound_takes = sound_segment.id, list(sound_segment.takes)
            ids = []
            for seg_id, t, rel in ((segment_id, picture, rels[0]), (sound_id, sound, rels[1])):
                number = len(self.takes(seg_id, include_deleted=True)) + 1
                ids.append(self._insert_take(c, seg_id, job_id, f"Take {number}", t, rel))
            for a, b in (ids, ids[::-1]):
                c.execute("UPDATE takes SET partner_take = :p WHERE id = :i", {"p": b, "i": a})
            steps += [{"op": "set", "item": segment_id, "takes": [*segment.takes, ids[0]],
                       "active_take": ids[0]},
                      {"op": "set", "item": sound_id, "takes": [*sound_takes, ids[1]],
                       "active_take": ids[1]}]
            self.project.execute({"op": "group", "label": "Add Takes", "steps": steps})
            # The sound take was made from the picture's conditioning; it stands for its
            # own segment's (the prompt copied), so that segment is not stale at once.
            c.execute("UPDATE takes SET conditioning_version = :v WHERE id = :i",
                      {"v": self.project.conditioning_version(sound_id), "i": ids[1]})
        return [self.take(i) for i in ids]

    def _sound_segment_steps(self, segment: GeneratedSegment, model: str
                             ) -> tuple[int, list[int], list[dict[str, Any]]]:
        """The steps that make a generated audio segment under ``segment`` (same frames),
        linked to it, on the first unlocked audio track free over them (a new audio track
        when none is): (its id, its takes (none), the steps)."""
        seq = self.project.sequence
        start, end = segment.start, segment.end
        usable = sorted((t for t in seq.audio_tracks if not t.info.locked),
                        key=lambda t: t.info.index)
        free = next((t for t in usable if not t.overlapping(start, end)), None)
        steps: list[dict[str, Any]] = []
        if free is None:
            new = max((t.info.index for t in seq.audio_tracks), default=0) + 1
            steps.append({"op": "add_track", "kind": "audio"})
            track = f"A{new}"
        else:
            track = free.name
        # add_generated takes the next item id (nothing before it in the group takes one).
        made = self.project.timeline.ids.next_id
        steps += [{"op": "add_generated", "track": track, "at": start,
                   "duration": segment.duration, "prompt": segment.prompt,
                   "negative_prompt": segment.negative_prompt, "seed": segment.seed,
                   "model": model or segment.model},
                  {"op": "link", "items": [segment.id, made]}]
        return made, [], steps

    def set_active(self, take_id: int) -> None:
        """Make ``take_id`` its segment's active take; a joint audio-video take's partner
        becomes active on its own segment too (one undo step)."""
        take = self.take(take_id)
        segment = self.segment(take.segment_id)
        if take.id not in segment.takes:
            raise TakeError(f"Take {take_id} is no longer one of segment {segment.id}'s takes "
                            "(it was removed); undo the removal to use it again.")
        partner = None
        if take.partner_take is not None:
            other = self.take(take.partner_take)
            seg = self.project.sequence.find_item(other.segment_id)
            if isinstance(seg, GeneratedSegment) and other.id in seg.takes \
                    and seg.active_take != other.id:
                partner = (seg.id, other.id)
        if partner is None:
            self.project.execute({"op": "set", "item": segment.id, "active_take": take_id})
            return
        self.project.execute({"op": "group", "label": "Pick Take", "steps": [
            {"op": "set", "item": segment.id, "active_take": take_id},
            {"op": "set", "item": partner[0], "active_take": partner[1]}]})

    def rename(self, take_id: int, name: str) -> None:
        self.take(take_id)
        with self.project.transaction() as c:
            c.execute("UPDATE takes SET name = :n WHERE id = :i", {"n": name, "i": take_id})

    def star(self, take_id: int, starred: bool = True) -> None:
        self.take(take_id)
        with self.project.transaction() as c:
            c.execute("UPDATE takes SET starred = :v WHERE id = :i",
                      {"v": starred, "i": take_id})

    def delete(self, take_id: int) -> None:
        """Remove a take from its segment (an undoable edit; the active take passes to the
        newest remaining one), mark its row deleted and delete its media file unless another
        take still uses the same file. Undoing the removal brings the id back, but not the
        media: the segment then shows it as pending."""
        take = self.take(take_id)
        segment = self.segment(take.segment_id)
        remaining = [t for t in segment.takes if t != take_id]
        with self.project.batch(), self.project.transaction() as c:
            if take_id in segment.takes:
                active = segment.active_take
                if active == take_id:
                    active = remaining[-1] if remaining else None
                self.project.execute({"op": "set", "item": segment.id, "takes": remaining,
                                      "active_take": active})
            c.execute("UPDATE takes SET deleted = 1, media_path = NULL WHERE id = :i",
                      {"i": take_id})
            rel = None if take.media_path is None else \
                take.media_path.relative_to(self.store.root).as_posix()
            shared = rel is not None and c.execute(
                "SELECT count(*) FROM takes WHERE media_path = :p AND deleted = 0",
                {"p": rel}).scalar()
        if rel is not None and not shared:
            self.store.remove(rel)

    # ------------------------------------------------------------------ staleness
    def staleness(self, segment_id: int) -> dict[str, Any]:
        """Whether the segment's active take was made from its current conditioning:
        ``{"stale": bool, "current": version, "take_version": version or None}``. A take
        made before conditioning versions existed counts as stale (unknown brief)."""
        segment = self.segment(segment_id)
        current = self.project.conditioning_version(segment_id)
        if segment.active_take is None:
            return {"stale": False, "current": current, "take_version": None,
                    "active_take": None}
        take = self.take(segment.active_take)
        return {"stale": take.conditioning_version != current, "current": current,
                "take_version": take.conditioning_version, "active_take": take.id}

    def stale_segments(self) -> list[int]:
        """Ids of segments whose active take no longer matches their conditioning."""
        return [item.id for item in self.project.sequence.all_items()
                if isinstance(item, GeneratedSegment) and item.active_take is not None
                and self.staleness(item.id)["stale"]]

    def active_take_media(self) -> dict[int, tuple[Path, Conform]]:
        """Take id -> (media file, conform) for every active take of the sequence whose file
        is present: what the compositor needs to show generated segments."""
        wanted = {
            item.active_take for item in self.project.sequence.all_items()
            if isinstance(item, GeneratedSegment) and item.active_take
        }
        out: dict[int, tuple[Path, Conform]] = {}
        for take in self.takes(include_deleted=False):
            if take.is_audio:
                continue  # sound: active_audio_take_media
            if take.id in wanted and take.media_path is not None and take.media_path.exists():
                out[take.id] = (take.media_path, take.conform)
        return out

    def active_audio_take_media(self) -> dict[int, Path]:
        """Take id -> its sound file for every active audio take of the sequence whose file
        is present: what the mixer sounds for generated segments on audio tracks."""
        wanted = {
            item.active_take for item in self.project.sequence.all_items()
            if isinstance(item, GeneratedSegment) and item.active_take
        }
        return {take.id: take.media_path for take in self.takes(include_deleted=False)
                if take.is_audio and take.id in wanted and take.media_path is not None
                and take.media_path.exists()}

    # ------------------------------------------------------------------ jobs
    @staticmethod
    def _job(r: Any) -> Job:
        return Job(
            id=r.id, segment_id=r.segment_id, state=r.state, spec=json.loads(r.spec_json),
            model_key=r.model_key, created_at=r.created_at, started_at=r.started_at,
            finished_at=r.finished_at, steps_done=r.steps_done, steps_total=r.steps_total,
            error=r.error, take_ids=tuple(json.loads(r.take_ids_json)),
            owner=r.owner, claim_token=r.claim_token, heartbeat_at=r.heartbeat_at,
        )

    def queue_job(self, segment_id: int, spec: dict[str, Any], *, model_key: str,
                  steps_total: int) -> Job:
        self.segment(segment_id)
        with self.project.transaction() as c:
            row = c.execute(
                "INSERT INTO jobs(segment_id, state, spec_json, model_key, created_at, "
                "steps_done, steps_total, take_ids_json) VALUES (:s, 'queued', :j, :k, :t, 0, "
                ":n, '[]') RETURNING id", {
                "s": segment_id, "j": json.dumps(spec, sort_keys=True), "k": model_key,
                "t": _now(), "n": steps_total}).one()
        return self.job(row.id)

    def job(self, job_id: int) -> Job:
        rows = self.project.query("SELECT * FROM jobs WHERE id = :i", {"i": job_id})
        if not rows:
            raise TakeError(f"There is no job {job_id} in this project.")
        return self._job(rows[0])

    def jobs(self, states: Iterable[str] | None = None) -> list[Job]:
        sql = "SELECT * FROM jobs"
        params: dict[str, Any] = {}
        if states is not None:
            states = list(states)
            sql += " WHERE state IN (" + ", ".join(f":s{i}" for i in range(len(states))) + ")"
            params = {f"s{i}": s for i, s in enumerate(states)}
        return [self._job(r) for r in self.project.query(sql + " ORDER BY id", params)]

    def next_job(self, prefer_model_key: str | None = None) -> Job | None:
        """The oldest queued job, preferring one for the model already loaded (so jobs for
        the same model run back to back instead of reloading it)."""
        queued = self.jobs(["queued"])
        if not queued:
            return None
        for job in queued:
            if prefer_model_key is not None and job.model_key == prefer_model_key:
                return job
        return queued[0]

    def _set_job(self, job_id: int, *, token: str | None = None, state: str | None = None,
                 **values: Any) -> bool:
        """Update a job row; with ``token``, only while that claim still holds it (and
        ``state``, when given, only from that state). True if the row was changed."""
        if state is not None:
            values["state"] = state
        sets = ", ".join(f"{k} = :{k}" for k in values)
        sql = f"UPDATE jobs SET {sets} WHERE id = :id"
        params: dict[str, Any] = {**values, "id": job_id}
        if token is not None:
            sql += " AND claim_token = :tok AND state = 'running'"
            params["tok"] = token
        with self.project.transaction() as c:
            return bool(c.execute(sql, params).rowcount)

    def claim_job(self, job_id: int) -> str | None:
        """Atomically take a queued job to run it: one UPDATE ... WHERE state = 'queued'
        (under BEGIN IMMEDIATE), so of any number of claimants exactly one gets it. Returns
        the claim token (every later write of the run passes it), or None when the job was
        no longer queued."""
        token = secrets.token_hex(8)
        claimed = self._set_job_where_queued(job_id, token)
        if claimed:
            self.project.job_claims.add(token)
            return token
        return None

    def _set_job_where_queued(self, job_id: int, token: str) -> bool:
        with self.project.transaction() as c:
            return bool(c.execute(
                "UPDATE jobs SET state = 'running', started_at = :t, error = NULL, "
                "steps_done = 0, owner = :o, claim_token = :tok, heartbeat_at = :hb "
                "WHERE id = :id AND state = 'queued'",
                {"t": _now(), "o": owner_id(), "tok": token, "hb": time.time(),
                 "id": job_id}).rowcount)

    def start_job(self, job_id: int) -> str:
        """Claim ``job_id`` or raise (``claim_job`` for callers that may lose the race)."""
        token = self.claim_job(job_id)
        if token is None:
            raise TakeError(f"Job {job_id} is not queued ({self.job(job_id).state}); "
                            "another run has it.")
        return token

    def heartbeat(self, job_id: int, token: str) -> bool:
        """The owner is alive; False when the claim was lost (the job re-queued by someone
        who thought the owner gone)."""
        return self._set_job(job_id, token=token, heartbeat_at=time.time())

    def job_progress(self, job_id: int, steps_done: int, steps_total: int,
                     token: str | None = None) -> bool:
        if token is None:
            return self._set_job(job_id, steps_done=steps_done, steps_total=steps_total)
        return self._set_job(job_id, token=token, steps_done=steps_done,
                             steps_total=steps_total, heartbeat_at=time.time())

    def release_claim(self, token: str | None) -> None:
        if token is not None:
            self.project.job_claims.discard(token)

    def finish_job(self, job_id: int, take_ids: Iterable[int],
                   token: str | None = None) -> bool:
        self.release_claim(token)
        return self._set_job(job_id, token=token, state="done", finished_at=_now(),
                             take_ids_json=json.dumps(list(take_ids)))

    def fail_job(self, job_id: int, error: str, token: str | None = None) -> bool:
        self.release_claim(token)
        return self._set_job(job_id, token=token, state="failed", finished_at=_now(),
                             error=error)

    def requeue_job(self, job_id: int, token: str) -> bool:
        """Give a claimed job back to the queue (its runner stops before it finished)."""
        self.release_claim(token)
        return self._set_job(job_id, token=token, state="queued", started_at=None,
                             steps_done=0, owner=None, claim_token=None, heartbeat_at=None)

    def cancel_job(self, job_id: int) -> None:
        job = self.job(job_id)
        if job.state in ("done", "failed", "cancelled"):
            raise TakeError(f"Job {job_id} is already {job.state}.")
        self.release_claim(job.claim_token)
        self._set_job(job_id, state="cancelled", finished_at=_now())

    def retry_job(self, job_id: int) -> Job:
        """Queue a failed or cancelled job again (same spec, so the same seeds)."""
        job = self.job(job_id)
        if job.state not in ("failed", "cancelled"):
            raise TakeError(f"Job {job_id} is {job.state}; only failed or cancelled jobs can "
                            "be retried.")
        return self.queue_job(job.segment_id, job.spec, model_key=job.model_key,
                              steps_total=job.steps_total)

    def requeue_interrupted(self, now: float | None = None) -> list[int]:
        """Running jobs whose owner is gone (``Job.owner_gone``) go back in the queue at
        once (nothing was stored for them); a job another live process is running is left
        alone. Each re-queue matches the claim it saw, so a job whose owner just finished
        or re-claimed it is not touched."""
        ids: list[int] = []
        for job in self.jobs(["running"]):
            if not job.owner_gone(self.project.job_claims, now):
                continue
            with self.project.transaction() as c:
                changed = c.execute(
                    "UPDATE jobs SET state = 'queued', started_at = NULL, steps_done = 0, "
                    "owner = NULL, claim_token = NULL, heartbeat_at = NULL "
                    "WHERE id = :id AND state = 'running' AND claim_token IS :tok",
                    {"id": job.id, "tok": job.claim_token}).rowcount
            if changed:
                ids.append(job.id)
        return ids

    def remove_orphan_parts(self, work_dir: Path, now: float | None = None) -> list[Path]:
        """Delete half-written ``.part`` files under ``work_dir`` (``<project>.media/tmp``)
        that no live job owns. A run writes into ``job-<id>-<token>/`` there, so a file in
        such a folder is kept only while that job is running under that claim with its
        owner alive; a loose ``.part`` (a control video, an input copy) is kept only while
        it changed within HEARTBEAT_TIMEOUT_S (someone may still be writing it)."""
        now = time.time() if now is None else now
        live = {(j.id, j.claim_token) for j in self.jobs(["running"])
                if not j.owner_gone(self.project.job_claims, now)}
        live_dirs = {f"job-{i}-{t}" for i, t in live}
        removed: list[Path] = []
        if not work_dir.is_dir():
            return removed
        for part in sorted(work_dir.rglob("*.part")):
            try:
                rel = part.relative_to(work_dir)
                if len(rel.parts) > 1 and rel.parts[0].startswith("job-"):
                    if rel.parts[0] in live_dirs:
                        continue
                elif now - part.stat().st_mtime <= HEARTBEAT_TIMEOUT_S:
                    continue
                part.unlink()
                removed.append(part)
            except OSError:
                continue
        for folder in sorted(work_dir.glob("job-*")):
            if folder.is_dir() and folder.name not in live_dirs:
                try:
                    folder.rmdir()  # only once empty: finished files are the user's
                except OSError:
                    pass
        return removed
