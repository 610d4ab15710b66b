"""``Project``: one SQLite file holding a sequence, its media and its undo history.

There is no "save". Each edit command runs in memory through ``timeline.editor.Timeline``,
then this module writes exactly the rows its primitive ops touched, plus one history row,
in one transaction. If the write fails the in-memory edit is taken back, so memory and file
never disagree. Undo and redo flip a history row's state in the same transaction as the
rows they change, which is why history survives closing and reopening the project.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from collections.abc import Sequence as Seq
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote

from project_store import backups, db
from project_store.assets import (
    Asset,
    ImportMediaError,
    ProbedFile,
    file_identity,
    find_relinks,
    path_from_db,
    path_to_db,
    probe_files,
)
from project_store.db import (
    FORMAT_MARKER,
    Connection,
    CorruptProjectError,
    NotAProjectError,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    SQLError,
)
from project_store.writer_lock import WriterLock, lock_path
from timeline.changes import (
    CastOp,
    Change,
    InOutOp,
    ItemOp,
    MarkerOp,
    ShiftOp,
    TrackOp,
    TransitionOp,
)
from timeline.conditioning.references import CastMember
from timeline.conditioning.version import (
    canonical_json,
    conditioning_payload,
    segments_using,
    version_id,
)
from timeline.editor import ChangeKind, Timeline
from timeline.limits import MAX_OPERATIONS
from timeline.media.probe import MediaProbe, MediaProbeError, probe
from timeline.model import (
    EditError,
    GeneratedSegment,
    Item,
    ItemTemplate,
    Marker,
    Sequence,
    SequenceSettings,
    Track,
    TrackInfo,
    Transition,
)
from timeline.time import format_rate

__all__ = ["Project", "ProjectError", "DEFAULT_TRACKS", "HISTORY_PAGE"]

PROJECT_SUFFIX = ".takeline"
DEFAULT_TRACKS: tuple[tuple[str, str, int], ...] = (
    ("V1", "video", 1),
    ("V2", "video", 2),
    ("A1", "audio", 1),
    ("A2", "audio", 2),
)
# Undo steps read at open; older ones are paged in when the user undoes that far back.
HISTORY_PAGE = 500
# Columns of ``items`` every item has; the rest of ``Item.to_dict()`` goes to props_json.
_ITEM_COLUMNS = ("id", "track", "start", "duration", "source_in")


def writer_version() -> str:
    from importlib import metadata  # ~20 ms of imports that only creating a file needs

    try:
        return f"takeline {metadata.version('takeline')}"
    except metadata.PackageNotFoundError:
        return "takeline (source tree)"


class Project:
    """An open project file. Use ``Project.create`` / ``Project.open``; close when done
    (or use it as a context manager)."""

    def __init__(self, path: Path, conn: Connection, *,
                 lock: WriterLock | None = None) -> None:
        self.path = path
        self._conn = conn
        # One writer per project (project_store.writer_lock): a writer holds the lock from
        # open to close; a read-only project holds none and refuses every change.
        self._lock = lock
        self.read_only = lock is None
        self.lock_notice = lock.notice if lock is not None else None
        # Claim tokens of the generation jobs this opening of the project is running
        # (project_store.generation_records): a job row owned by this pid with a token not
        # here was claimed by an earlier opening, now gone.
        self.job_claims: set[str] = set()
        self._in_batch = False
        self.sequence_id = 1
        self.name = ""
        self.assets: dict[int, Asset] = {}
        self.timeline: Timeline
        self._history_exhausted = False

    # ------------------------------------------------------------------ create / open
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        settings: SequenceSettings | None = None,
        *,
        name: str | None = None,
        tracks: Iterable[tuple[str, str, int]] = DEFAULT_TRACKS,
    ) -> Project:
        path = Path(path)
        if path.exists():
            raise ProjectExistsError(
                f"{path} already exists; open it, or choose another name for the new project."
            )
        if not path.parent.is_dir():
            raise ProjectError(f"Cannot create {path}: folder {path.parent} does not exist.")
        settings = settings or SequenceSettings()
        Sequence(settings)  # validates size and rates before anything touches the disk
        name = name or path.stem
        lock = WriterLock.acquire(path)  # the new file is ours from its first byte
        try:
            return cls._create_locked(path, settings, name, tracks, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _create_locked(cls, path: Path, settings: SequenceSettings, name: str,
                       tracks: Iterable[tuple[str, str, int]], lock: WriterLock) -> Project:
        # Alembic creates the schema (the migrations are its one definition), so creating a
        # file is the one time, besides migrating, that SQLAlchemy is imported.
        from sqlalchemy.exc import SQLAlchemyError

        engine = db.sqlalchemy_engine(path)
        try:
            with engine.connect() as sa_conn:
                raw = sa_conn.connection.driver_connection
                assert raw is not None
                raw.execute("PRAGMA journal_mode=WAL").fetchall()  # outside a transaction
                with sa_conn.begin():
                    db.upgrade(sa_conn)
                    meta = {
                        "format": FORMAT_MARKER,
                        "writer": writer_version(),
                        "created_at": _now(),
                        "name": name,
                        "next_id": "1",
                    }
                    for key, value in meta.items():
                        sa_conn.exec_driver_sql("INSERT INTO meta(key, value) VALUES (:k, :v)",
                                                {"k": key, "v": value})
                    sa_conn.exec_driver_sql(
                        "INSERT INTO sequences(id, name, fps_num, fps_den, width, height, "
                        "sample_rate) VALUES (1, :name, :n, :d, :w, :h, :sr)",
                        {
                            "name": settings.name, "n": settings.fps.numerator,
                            "d": settings.fps.denominator, "w": settings.width,
                            "h": settings.height, "sr": settings.sample_rate,
                        },
                    )
                    for track_name, kind, index in tracks:
                        info = TrackInfo(name=track_name, kind=kind, index=index)  # type: ignore[arg-type]
                        sa_conn.exec_driver_sql(_INSERT_TRACK, _track_row(1, info))
        except (SQLAlchemyError, SQLError) as exc:
            engine.dispose()
            path.unlink(missing_ok=True)
            raise db.translate(exc, path) from None
        engine.dispose()
        return cls._open_locked(path, lock)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False) -> Project:
        """Open for writing (the default: takes the project's writer lock, refusing with
        ``ProjectLockedError`` while another process or ``Project`` holds it), or
        ``read_only``: no lock, every change refused, and the live writer's WAL untouched
        (``db.connect``)."""
        path = Path(path)
        if not path.exists():
            raise ProjectNotFoundError(
                f"No project at {path}. Check the path, or create one with `takeline new {path}`."
            )
        if path.is_dir():
            raise NotAProjectError(f"{path} is a folder, not a Takeline project file.")
        # The lock comes before anything reads the file, so a refused second writer has not
        # touched it at all.
        lock = None if read_only else WriterLock.acquire(path)
        try:
            return cls._open_locked(path, lock)
        except db.OutdatedSchemaError:
            # A reader of an old file: migrate it once as a writer (refused, with the
            # lock's message, if someone is writing it), then read.
            _tidy_after_reader(path)
            cls.open(path).close()
            return cls._open_locked(path, None)
        except BaseException:
            if lock is not None:
                lock.release()
            else:
                _tidy_after_reader(path)
            raise

    @classmethod
    def _open_locked(cls, path: Path, lock: WriterLock | None) -> Project:
        read_only = lock is None
        try:
            if not db.looks_like_sqlite(path):
                raise NotAProjectError(
                    f"{path} is not a Takeline project (not an SQLite database). "
                    "Open a .takeline file, or import media files with `takeline import`."
                )
        except OSError as exc:
            raise ProjectError(f"Cannot read {path}: {exc.strerror}.") from None
        conn: Connection | None = None
        try:
            conn = db.connect(path, read_only=read_only)
            with conn.begin():
                # A damaged file is refused untouched, naming its newest good backup.
                backups.check_integrity(conn, path)
                # Alembic is imported only when a migration is due (it ends this
                # transaction first and migrates on a connection of its own).
                db.check_and_migrate(conn, path, read_only=read_only)
            if not read_only:
                db.enable_wal(conn)  # only now that the file is known to be ours
            project = cls(path, conn, lock=lock)
            with project._reading():
                project._load()
            return project
        except ProjectError:
            _close_quietly(conn)
            raise
        except SQLError as exc:
            _close_quietly(conn)
            raise db.translate(exc, path) from None
        except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
            # Rows that do not decode: the file was edited by hand or damaged.
            _close_quietly(conn)
            raise CorruptProjectError(
                f"{path} holds data this version cannot read ({type(exc).__name__}: {exc}). "
                "Restore it from a backup."
            ) from None

    def close(self) -> None:
        try:
            if not self.read_only:
                try:
                    self._fold_shift_log()
                except SQLError:
                    pass  # the log stays and reads back the same; the next close folds it
            # The writer's close checkpoints the WAL: while it still holds the lock.
            self._conn.close()
        finally:
            if self._lock is not None:
                self._lock.release()
            else:
                _tidy_after_reader(self.path)

    def _require_writable(self) -> None:
        if self.read_only:
            raise ProjectError(
                f"{self.path.name} is open read-only; open it for writing to change it.")

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        c = self._conn
        meta = dict(c.execute("SELECT key, value FROM meta").all())
        self.name = meta.get("name", self.path.stem)
        row = c.execute(
            "SELECT name, fps_num, fps_den, width, height, sample_rate, in_point, out_point "
            "FROM sequences WHERE id = :s",
            {"s": self.sequence_id},
        ).one()
        settings = SequenceSettings(
            name=row.name, fps=Fraction(row.fps_num, row.fps_den), width=row.width,
            height=row.height, sample_rate=row.sample_rate,
        )
        seq = Sequence(settings)
        seq.in_point, seq.out_point = row.in_point, row.out_point
        for t in c.execute(
            "SELECT name, kind, idx, muted, solo, locked, hidden, label FROM tracks "
                 "WHERE sequence_id = :s ORDER BY kind != 'video', idx",
            {"s": self.sequence_id},
        ):
            info = TrackInfo(name=t.name, kind=t.kind, index=t.idx, muted=bool(t.muted),
                             solo=bool(t.solo), locked=bool(t.locked), hidden=bool(t.hidden),
                             label=t.label or "")
            seq.tracks[t.name] = Track(info)
        self._load_items(seq)
        for r in c.execute(
            "SELECT id, track, from_item, to_item, duration, kind FROM transitions "
                 "WHERE sequence_id = :s", {"s": self.sequence_id},
        ):
            tr = Transition(id=r.id, track=r.track, from_item=r.from_item, to_item=r.to_item,
                            duration=r.duration, kind=r.kind)
            seq.tracks[tr.track].transitions[tr.id] = tr
        for r in c.execute(
            "SELECT id, frame, duration, name, color, note, kind, item FROM markers "
                 "WHERE sequence_id = :s", {"s": self.sequence_id},
        ):
            seq.markers[r.id] = Marker(id=r.id, frame=r.frame, duration=r.duration,
                                       name=r.name, color=r.color, note=r.note,
                                       kind=r.kind, item=r.item)
        for r in c.execute("SELECT props_json FROM cast_members WHERE sequence_id = :s",
                           {"s": self.sequence_id}):
            member = CastMember.from_dict(json.loads(r.props_json))
            seq.cast[member.id] = member
        self.assets = {}
        for r in c.execute(
            "SELECT id, path, size, identity, probe_json, added_at FROM assets ORDER BY id"
        ):
            asset = Asset(r.id, path_from_db(r.path), r.size, r.identity,
                          MediaProbe.from_json(json.loads(r.probe_json)), r.added_at)
            self.assets[asset.id] = replace(asset, status=_status_on_disk(asset))
        media = {a.id: a.media_info(settings.fps) for a in self.assets.values()}
        undo = self._history_rows("done", newest_first=True, before_id=None)
        redo = self._history_rows("undone", newest_first=False, before_id=None, limit=None)
        self._history_exhausted = len(undo) < HISTORY_PAGE
        self.timeline = Timeline(
            seq,
            media=media,
            next_id=int(meta.get("next_id", "1")),
            undo_stack=[ch for _, ch in reversed(undo)],
            # The redo stack pops from the end: the next step to redo is the oldest undone.
            redo_stack=[ch for _, ch in reversed(redo)],
            sink=self,
        )
        self._oldest_loaded_done = undo[-1][0] if undo else None

    def _load_items(self, seq: Sequence) -> None:
        """Every item, in start order per track, its start moved by the shifts logged after
        its row was written (``apply_shifts``). The hot loop of opening a big project:
        plain tuples off the cursor, and each distinct ``props_json`` decoded and checked
        once (``ItemTemplate``)."""
        c, s = self._conn, self.sequence_id
        rows = c.execute_raw(
            "SELECT id, track, kind, start, duration, source_in, asset_id, props_json, "
            "shift_base FROM items WHERE sequence_id = :s ORDER BY track, start",
            {"s": s}).fetchall()
        starts = [r[3] for r in rows]
        shifted = apply_shifts(rows, starts, self._shift_log(c))
        templates: dict[tuple[str, str, bool], ItemTemplate] = {}
        by_track: dict[str, list[Item]] = {name: [] for name in seq.tracks}
        by_id = seq._items_by_id
        for (item_id, track, kind, _, duration, source_in, asset_id, props, _base), start \
                in zip(rows, starts, strict=True):
            key = (kind, props, asset_id is not None)
            template = templates.get(key)
            if template is None:
                fields_ = json.loads(props)
                if not isinstance(fields_, dict):
                    raise ValueError(f"item {item_id}: props_json is not an object")
                template = templates[key] = ItemTemplate(kind, fields_,
                                                         with_asset=asset_id is not None)
            item = template.make(item_id, track, start, duration, source_in, asset_id)
            by_track[track].append(item)  # KeyError: an item on a track that does not exist
            by_id[item_id] = item
        for name, items in by_track.items():
            if name in shifted:  # stored order is not start order once shifts apply
                items.sort(key=_start_of)
            seq.tracks[name]._load_sorted(items)

    def _shift_log(self, c: Connection) -> list[tuple[int, str, int, int]]:
        return c.execute_raw(
            "SELECT id, track, from_frame, delta FROM track_shifts WHERE sequence_id = :s "
            "ORDER BY id", {"s": self.sequence_id}).fetchall()

    def _fold_shift_log(self) -> None:
        """Write the logged shifts into the item rows and empty the log (a writer's clean
        close): the next open reads plain starts again. One transaction; if it fails the
        log stays, which reads back the same."""
        c, s = self._conn, self.sequence_id
        if c.in_transaction():
            c.rollback()  # what closing did to a transaction left open: nothing is kept
        with c.begin():
            log = self._shift_log(c)
            if not log:
                return
            tracks = sorted({t for _, t, _, _ in log})
            rows = c.execute_raw(
                f"SELECT id, track, start, shift_base FROM items WHERE sequence_id = ? AND "
                f"track IN ({', '.join('?' * len(tracks))})", (s, *tracks)).fetchall()
            starts = [r[2] for r in rows]
            apply_shifts([(r[0], r[1], None, r[2], None, None, None, None, r[3]) for r in rows],
                         starts, log)
            c.execute("UPDATE items SET start = :start WHERE id = :id",
                      [{"start": new, "id": r[0]} for r, new in zip(rows, starts, strict=True)
                       if new != r[2]])
            c.execute("DELETE FROM track_shifts WHERE sequence_id = :s", {"s": s})

    def _history_rows(
        self, state: str, *, newest_first: bool, before_id: int | None,
        limit: int | None | str = "page",
    ) -> list[tuple[int, Change]]:
        if limit == "page":
            limit = HISTORY_PAGE
        sql = "SELECT id, change_json FROM history WHERE sequence_id = :s AND state = :st"
        params: dict[str, Any] = {"s": self.sequence_id, "st": state}
        if before_id is not None:
            sql += " AND id < :b"
            params["b"] = before_id
        sql += " ORDER BY id " + ("DESC" if newest_first else "ASC")
        if isinstance(limit, int):
            sql += f" LIMIT {int(limit)}"
        return [
            (r.id, Change.from_json(json.loads(r.change_json)))
            for r in self._conn.execute(sql, params)
        ]

    # ------------------------------------------------------------------ properties
    @property
    def sequence(self) -> Sequence:
        return self.timeline.sequence

    @property
    def media_root(self) -> Path:
        """``<project>.media/`` beside the file: proxies, caches, generated takes."""
        return self.path.with_name(self.path.name + ".media")

    @property
    def missing_assets(self) -> list[Asset]:
        return [a for a in self.assets.values() if a.status != "ok"]

    # ------------------------------------------------------------------ editing
    def execute(self, params: dict[str, Any]) -> Change:
        """One edit command = one undo step = one committed transaction."""
        self._require_writable()
        return self.timeline.execute(params)

    @property
    def can_undo(self) -> bool:
        """Something to undo: in memory, or older steps not yet paged in from the file."""
        return self.timeline.can_undo or not self._history_exhausted

    def undo(self) -> Change | None:
        self._require_writable()
        if not self.timeline.undo_stack and not self._history_exhausted:
            self._page_in_history()
        return self.timeline.undo()

    def redo(self) -> Change | None:
        self._require_writable()
        return self.timeline.redo()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Reads outside an edit: end the transaction SQLAlchemy auto-begins for them, so the
        next edit can begin its own (and no read lock lingers on the WAL)."""
        if self._conn.in_transaction():
            yield
            return
        try:
            yield
        finally:
            if self._conn.in_transaction():
                self._conn.commit()

    def _page_in_history(self) -> None:
        with self._reading():
            older = self._history_rows(
                "done", newest_first=True, before_id=self._oldest_loaded_done
            )
        if len(older) < HISTORY_PAGE:
            self._history_exhausted = True
        if older:
            self._oldest_loaded_done = older[-1][0]
            self.timeline.undo_stack[:0] = [ch for _, ch in reversed(older)]

    def apply(self, operations: Seq[dict[str, Any]]) -> list[Change | None]:
        """Run a list of operations (``{"op": "undo"}`` / ``{"op": "redo"}`` allowed), each its
        own undo step, all in one transaction: if any fails, nothing changes, in memory or on
        disk, and the error names the failing operation's index."""
        if not isinstance(operations, list | tuple):
            what = "one object" if isinstance(operations, dict) else type(operations).__name__
            raise EditError(f"the edits must be a list of operations, not {what} (wrap a "
                            'single operation in [ ], e.g. [{"op": "split", "track": "V1", '
                            '"at": 48}])')
        if len(operations) > MAX_OPERATIONS:
            raise EditError(f"{len(operations)} operations in one batch; at most "
                            f"{MAX_OPERATIONS}")
        results: list[Change | None] = []
        with self.batch():
            for index, params in enumerate(operations):
                try:
                    if not isinstance(params, dict) or "op" not in params:
                        raise EditError('each operation must be an object with an "op" field')
                    if params["op"] in ("undo", "redo"):
                        step = params["op"]
                        if len(params) > 1:
                            raise EditError(f"{step} takes no parameters")
                        change = self.undo() if step == "undo" else self.redo()
                        if change is None:
                            raise EditError(f"nothing to {step}")
                    else:
                        change = self.execute(params)
                except EditError as exc:
                    op = params.get("op") if isinstance(params, dict) else params
                    raise EditError(f"operation {index} ({op}): {exc}") from None
                results.append(change)
        return results

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Several commands in one transaction, all or nothing."""
        if self._in_batch:
            yield
            return
        self._require_writable()
        undo_before = list(self.timeline.undo_stack)
        exhausted_before = self._history_exhausted, self._oldest_loaded_done
        tx = self._conn.begin()
        self._in_batch = True
        try:
            with self.timeline.batch():
                yield
        except BaseException:
            tx.rollback()
            # History paged in during the batch is still valid; restoring keeps it simple.
            self.timeline.undo_stack = undo_before
            self._history_exhausted, self._oldest_loaded_done = exhausted_before
            raise
        else:
            try:
                tx.commit()
            except SQLError as exc:
                raise db.translate(exc, self.path) from None
        finally:
            self._in_batch = False

    # The ChangeSink protocol: called by Timeline after each in-memory change.
    def record(self, kind: ChangeKind, change: Change, timeline: Timeline) -> None:
        try:
            if self._in_batch:
                with self._conn.begin_nested():
                    self._write(kind, change, timeline)
            else:
                with self._conn.begin():
                    self._write(kind, change, timeline)
        except SQLError as exc:
            raise db.translate(exc, self.path) from None

    def _write(self, kind: ChangeKind, change: Change, timeline: Timeline) -> None:
        c, s = self._conn, self.sequence_id
        ops = change.ops if kind != "undo" else change.inverted().ops
        for op in ops:
            _write_op(c, s, op)
        self._log_conditioning(c, _conditioning_touched(ops, timeline.sequence))
        if kind == "do":
            c.execute("DELETE FROM history WHERE sequence_id = :s AND state = 'undone'",
                      {"s": s})
            c.execute(
                "INSERT INTO history(sequence_id, label, change_json, state) "
                     "VALUES (:s, :l, :j, 'done')",
                {"s": s, "l": change.label,
                 "j": json.dumps(change.to_json(), separators=(",", ":"))},
            )
            c.execute("UPDATE meta SET value = :v WHERE key = 'next_id'",
                      {"v": str(timeline.ids.next_id)})
        elif kind == "undo":
            c.execute(
                "UPDATE history SET state = 'undone' WHERE id = (SELECT max(id) FROM history "
                     "WHERE sequence_id = :s AND state = 'done')", {"s": s})
        else:
            c.execute(
                "UPDATE history SET state = 'done' WHERE id = (SELECT min(id) FROM history "
                     "WHERE sequence_id = :s AND state = 'undone')", {"s": s})

    # ------------------------------------------------------------------ conditioning
    def _log_conditioning(self, c: Connection, segment_ids: Iterable[int]) -> dict[int, str]:
        """Snapshot each segment's conditioning as a version when it differs from the one
        last logged for it (the database keeps every version; undo logs the old one again
        as current)."""
        seq = self.sequence
        out: dict[int, str] = {}
        for segment_id in sorted(set(segment_ids)):
            segment = seq.find_item(segment_id)
            if not isinstance(segment, GeneratedSegment):
                continue
            payload = conditioning_payload(segment, seq.cast)
            vid = version_id(payload)
            out[segment_id] = vid
            last = c.execute("SELECT version FROM conditioning_log WHERE segment_id = :g "
                                  "ORDER BY id DESC LIMIT 1", {"g": segment_id}).scalar()
            if last == vid:
                continue
            now = _now()
            c.execute("INSERT OR IGNORE INTO conditioning_versions(id, payload_json, "
                           "created_at) VALUES (:id, :p, :t)",
                      {"id": vid, "p": canonical_json(payload), "t": now})
            c.execute("INSERT INTO conditioning_log(segment_id, version, created_at) "
                           "VALUES (:g, :v, :t)", {"g": segment_id, "v": vid, "t": now})
        return out

    def conditioning_version(self, segment_id: int) -> str:
        """The id of the segment's current conditioning version, recorded if it is not yet
        (segments from before versions existed, or never edited since). Read-only: the
        id is computed, not recorded."""
        if self.read_only:
            segment = self.sequence.find_item(segment_id)
            if not isinstance(segment, GeneratedSegment):
                raise EditError(f"item {segment_id} is not a generated segment")
            return version_id(conditioning_payload(segment, self.sequence.cast))
        with self.transaction() as c:
            versions = self._log_conditioning(c, [segment_id])
        if segment_id not in versions:
            raise EditError(f"item {segment_id} is not a generated segment")
        return versions[segment_id]

    def conditioning_payload(self, version: str) -> dict[str, Any] | None:
        rows = self.query("SELECT payload_json FROM conditioning_versions WHERE id = :v",
                          {"v": version})
        return json.loads(rows[0].payload_json) if rows else None

    def conditioning_history(self, segment_id: int) -> list[tuple[str, str]]:
        """(version id, when it became current), oldest first."""
        return [(r.version, r.created_at) for r in self.query(
            "SELECT version, created_at FROM conditioning_log WHERE segment_id = :g "
            "ORDER BY id", {"g": segment_id})]

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write outside the edit commands (takes, jobs): one transaction, or a SAVEPOINT
        inside a batch; database failures come out as ``ProjectError``."""
        self._require_writable()
        try:
            with self._conn.begin_nested() if self._in_batch else self._conn.begin():
                yield self._conn
        except SQLError as exc:
            raise db.translate(exc, self.path) from None

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Rows of a read-only statement, without leaving a read transaction open."""
        try:
            with self._reading():
                return list(self._conn.execute(sql, params or {}))
        except SQLError as exc:
            raise db.translate(exc, self.path) from None

    # ------------------------------------------------------------------ media
    def import_media(self, paths: Iterable[str | os.PathLike[str]]) -> list[Asset]:
        """Probe and add files, returning their assets in the order given. All or nothing:
        if any file cannot be used, ``ImportMediaError`` names each one and its reason.
        A file already in the project (same path and identity) returns the existing asset."""
        return self.add_probed(probe_files(paths, known=self.known_files()))

    def known_files(self) -> frozenset[tuple[str, str]]:
        """(path, identity) of every asset: what ``probe_files`` need not probe again."""
        return frozenset((a.path, a.identity) for a in self.assets.values())

    def add_probed(self, found: Seq[ProbedFile]) -> list[Asset]:
        """Add files checked by ``probe_files`` (in one transaction), returning their
        assets in order; a file the project already holds returns its asset."""
        self._require_writable()
        out: list[Asset] = []
        added: list[Asset] = []
        try:
            with self._conn.begin_nested() if self._in_batch else self._conn.begin():
                for f in found:
                    existing = self._find_asset(str(f.path), f.identity)
                    if existing is not None:
                        out.append(existing)
                        continue
                    # The same file listed twice in one import becomes one asset.
                    twin = next((a for a in added if a.path == str(f.path) and
                                 a.identity == f.identity), None)
                    if twin is not None:
                        out.append(twin)
                        continue
                    what = f.probe if f.probe is not None else probe(f.path)
                    added_at = _now()
                    row = self._conn.execute(
                        "INSERT INTO assets(path, size, identity, kind, probe_json, added_at)"
                             " VALUES (:p, :sz, :i, :k, :j, :t) RETURNING id",
                        {"p": path_to_db(str(f.path)), "sz": f.size, "i": f.identity,
                         "k": what.kind,
                         "j": json.dumps(what.to_json()), "t": added_at},
                    ).one()
                    asset = Asset(row.id, str(f.path), f.size, f.identity, what, added_at)
                    added.append(asset)
                    out.append(asset)
        except SQLError as exc:
            raise db.translate(exc, self.path) from None
        except MediaProbeError as exc:  # a file thought known was not: probed here, failed
            raise ImportMediaError({exc.path or "?": str(exc)}) from None
        for asset in added:
            self.assets[asset.id] = asset
            self.timeline.media[asset.id] = asset.media_info(self.sequence.fps)
        return out

    def add_offline_media(self, path: str, what: MediaProbe) -> Asset:
        """An asset for media that is not on this machine (a clip of a timeline from another
        editor): its identity is unknown (empty), so it stays offline, its clips keep their
        place, and ``relink`` / ``relink_folder`` later accept a file of that name.
        ``what`` describes the media as the timeline states it (kind, rate, length)."""
        self._require_writable()
        added_at = _now()
        try:
            with self._conn.begin_nested() if self._in_batch else self._conn.begin():
                row = self._conn.execute(
                    "INSERT INTO assets(path, size, identity, kind, probe_json, added_at)"
                         " VALUES (:p, 0, '', :k, :j, :t) RETURNING id",
                    {"p": path_to_db(path), "k": what.kind, "j": json.dumps(what.to_json()),
                     "t": added_at},
                ).one()
        except SQLError as exc:
            raise db.translate(exc, self.path) from None
        asset = Asset(row.id, path, 0, "", what, added_at, status="offline")
        self.assets[asset.id] = asset
        self.timeline.media[asset.id] = asset.media_info(self.sequence.fps)
        return asset

    def _find_asset(self, path: str, identity: str) -> Asset | None:
        for asset in self.assets.values():
            if asset.path == path and asset.identity == identity:
                return asset
        return None

    def refresh_media_status(self) -> list[Asset]:
        """Re-check every asset on disk; returns those that are missing or changed."""
        for asset_id, asset in list(self.assets.items()):
            self.assets[asset_id] = replace(asset, status=_status_on_disk(asset, deep=True))
        return self.missing_assets

    def relink(self, asset_id: int, new_path: str | os.PathLike[str], *,
               force: bool = False, probed: ProbedFile | None = None) -> Asset:
        """Point an asset at a moved file. The file must be the same media (same identity)
        unless ``force``; with ``force`` it must at least be long enough for every clip.
        ``probed``: the file already hashed and probed by ``probe_files`` (off the UI
        thread), so nothing is read here."""
        self._require_writable()
        if asset_id not in self.assets:
            raise ProjectError(f"No asset with id {asset_id} in this project.")
        old = self.assets[asset_id]
        p = Path(new_path).expanduser().absolute()
        if probed is not None and probed.path == p and probed.probe is not None:
            size, identity, ready = probed.size, probed.identity, probed.probe
        else:
            ready = None
            try:
                size, identity = file_identity(p)
            except OSError as exc:
                raise ProjectError(f"Cannot relink to {p}: {exc.strerror or exc}.") from None
        # An offline asset (imported from a timeline) has no identity to compare with.
        if identity != old.identity and old.identity and not force:
            raise ProjectError(
                f"{p} is not the same file as {old.path} (different size or content). "
                "Choose the original file, or relink anyway if you mean to replace the media."
            )
        try:
            new_probe = ready if ready is not None else probe(p)
        except MediaProbeError as exc:
            raise ProjectError(f"Cannot relink to {p}: {exc}") from None
        asset = Asset(asset_id, str(p), size, identity, new_probe, old.added_at)
        info = asset.media_info(self.sequence.fps)
        if info.duration_frames is not None:
            for item in self.sequence.all_items():
                uses = getattr(item, "asset", None) == asset_id
                if uses and item.source_out > info.duration_frames:
                    raise ProjectError(
                        f"{p} is too short: clip {item.id} uses frames up to {item.source_out}, "
                        f"the file has {info.duration_frames}."
                    )
        try:
            with self._conn.begin():
                self._conn.execute(
                    "UPDATE assets SET path=:p, size=:sz, identity=:i, kind=:k, "
                         "probe_json=:j WHERE id=:id",
                    {"p": path_to_db(str(p)), "sz": size, "i": identity, "k": new_probe.kind,
                     "j": json.dumps(new_probe.to_json()), "id": asset_id},
                )
        except SQLError as exc:
            raise db.translate(exc, self.path) from None
        self.assets[asset_id] = asset
        self.timeline.media[asset_id] = info
        return asset

    def unused_assets(self) -> list[int]:
        """Assets no clip uses, nor any clip an undo or redo could bring back (the history
        records what it restores), in id order."""
        used = {r[0] for r in self.query(
            "SELECT DISTINCT asset_id FROM items WHERE asset_id IS NOT NULL")}
        for (change_json,) in self.query("SELECT change_json FROM history"):
            try:
                ops = json.loads(change_json).get("ops", [])
            except (ValueError, AttributeError):
                return []  # a history this code cannot read: keep every asset
            for o in ops:
                for side in ("before", "after"):
                    state = o.get(side) if isinstance(o, dict) else None
                    if isinstance(state, dict) and isinstance(state.get("asset"), int):
                        used.add(state["asset"])
        return sorted(set(self.assets) - used)

    def remove_unused_assets(self) -> list[int]:
        """Take the unused assets (``unused_assets``) out of the project: the bin's Remove
        Unused. Not an undo step (nothing on the timeline changes; re-import to get one
        back); the media files are not touched. Returns the ids removed."""
        self._require_writable()
        unused = self.unused_assets()
        if not unused:
            return []
        with self.transaction() as c:
            for asset_id in unused:
                c.execute("DELETE FROM assets WHERE id = :i", {"i": asset_id})
        for asset_id in unused:
            self.assets.pop(asset_id, None)
            self.timeline.media.pop(asset_id, None)
        return unused

    def relink_folder(self, folder: str | os.PathLike[str]) -> dict[int, str]:
        """Relink every missing or changed asset to a file of the same name and identity
        found under ``folder`` (recursively). Returns {asset id: new path}."""
        found = find_relinks(self.missing_assets, folder)
        for asset_id, path in found.items():
            self.relink(asset_id, path)
        done = {asset_id: str(path) for asset_id, path in found.items()}
        done.update(self.relink_by_timecode(folder))
        return done

    def relink_by_timecode(self, folder: str | os.PathLike[str]) -> dict[int, str]:
        """Relink offline assets (clips of an EDL or another editor's timeline, which name
        a tape and source timecode but often no file) to files under ``folder`` whose
        embedded reel and start timecode cover every clip: the reel is the file's
        ``reel_name`` tag, its name, or the name's first 8 letters and digits (how EDLs
        truncate tape names); each clip is slipped so it shows the same source frames,
        counted from the file's start timecode. Returns {asset id: new path}."""
        from timeline.media.probe import source_timecode

        offline = [a for a in self.missing_assets if a.status == "offline"]
        if not offline:
            return {}
        uses: dict[int, list[Any]] = {a.id: [] for a in offline}
        for item in self.sequence.all_items():
            if getattr(item, "asset", None) in uses:
                uses[item.asset].append(item)
        candidates: list[tuple[Path, Any]] = []
        for root, _dirs, files in os.walk(folder):
            for name in sorted(files):
                tc = source_timecode(Path(root) / name)
                if tc is not None:
                    candidates.append((Path(root) / name, tc))
        done: dict[int, str] = {}
        fps = self.sequence.fps
        for asset in offline:
            clips = uses[asset.id]
            reels = {_reel_key(c.reel) for c in clips if c.reel}
            if not clips or len(reels) != 1:
                continue  # no clip, or no single tape to look for
            [reel] = reels
            for path, tc in candidates:
                if reel not in _file_reels(path, tc.reel):
                    continue
                start = tc.frames(fps)
                try:
                    found = probe(path)
                except MediaProbeError:
                    continue
                length = found.frame_count if found.fps is not None else None
                if start is None or any(c.source_in < start for c in clips) or (
                        length is not None and any(c.source_out - start > length
                                                   for c in clips)):
                    continue  # the timecodes the clips use are not in this file
                if start:
                    try:
                        self.apply([{"op": "slip", "item": c.id, "delta": -start}
                                    for c in clips])
                    except EditError:
                        break  # a locked track: left offline, relinked by hand

                self.relink(asset.id, path, force=True)
                done[asset.id] = str(path)
                break
        return done

    # ------------------------------------------------------------------ reporting
    def info(self) -> dict[str, Any]:
        """The project as ``takeline info --json`` prints it."""
        seq = self.sequence
        tracks = []
        for track in seq.tracks.values():
            items = []
            for item in track:
                d: dict[str, Any] = {"id": item.id, "kind": item.kind, "start": item.start,
                                     "duration": item.duration}
                if item.kind == "clip":
                    d["asset"] = item.asset  # type: ignore[attr-defined]
                    d["source_in"] = item.source_in
                    for key in ("gain_db", "opacity", "fade_in", "fade_out", "use_proxy",
                                "name", "reel"):
                        d[key] = getattr(item, key)
                    if item.transform:  # type: ignore[attr-defined]
                        d["transform"] = item.to_dict()["transform"]
                elif item.kind == "generated":
                    for key in ("prompt", "seed", "model", "active_take"):
                        d[key] = getattr(item, key)
                    d["takes"] = list(item.takes)  # type: ignore[attr-defined]
                items.append(d)
            tracks.append({
                **track.info.to_dict(),
                "items": items,
                "transitions": [
                    {"id": t.id, "from_item": t.from_item, "to_item": t.to_item,
                     "duration": t.duration, "kind": t.kind}
                    for t in sorted(track.transitions.values(), key=lambda t: t.id)
                ],
            })
        return {
            "project": {"path": str(self.path), "name": self.name},
            "sequence": {
                "name": seq.settings.name,
                "fps": format_rate(seq.fps),
                "width": seq.settings.width,
                "height": seq.settings.height,
                "sample_rate": seq.sample_rate,
                "duration_frames": seq.duration_frames,
                "in_point": seq.in_point,
                "out_point": seq.out_point,
            },
            "tracks": tracks,
            "markers": [
                m.to_dict() for m in sorted(seq.markers.values(), key=lambda m: (m.frame, m.id))
            ],
            "assets": [a.to_info_json() for a in self.assets.values()],
            "history": {
                "undo": self.timeline.undo_label,
                "redo": self.timeline.redo_label,
            },
        }


# ---------------------------------------------------------------------- row writers


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {table}({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})")


# The columns each row writer sets: those of the tables in schema.py (checked by
# tests/project_store/test_project.py, so the two cannot drift apart). Plain SQL, built
# once: op writes run for every step of every edit.
ITEM_COLUMNS = ("id", "sequence_id", "track", "kind", "start", "duration", "source_in",
                "asset_id", "props_json")  # and shift_base, set by _SHIFT_BASE
TRANSITION_COLUMNS = ("id", "sequence_id", "track", "from_item", "to_item", "duration", "kind")
MARKER_COLUMNS = ("id", "sequence_id", "frame", "duration", "name", "color", "note", "kind",
                  "item")
CAST_COLUMNS = ("id", "sequence_id", "props_json")
TRACK_COLUMNS = ("sequence_id", "name", "kind", "idx", "muted", "solo", "locked", "hidden",
                 "label")


class _RowStatements:
    """One table's delete and insert (rows keyed by ``id``)."""

    def __init__(self, table: str, columns: tuple[str, ...], insert: str | None = None) -> None:
        self.delete = f"DELETE FROM {table} WHERE id = :old_id"
        self.insert = insert or _insert_sql(table, columns)


# An item row is written in the positions of now: no shift logged so far applies to it.
_SHIFT_BASE = "(SELECT coalesce(max(id), 0) FROM track_shifts)"
_ITEM_ROWS = _RowStatements("items", ITEM_COLUMNS, insert=(
    f"INSERT INTO items({', '.join(ITEM_COLUMNS)}, shift_base) "
    f"VALUES ({', '.join(':' + c for c in ITEM_COLUMNS)}, {_SHIFT_BASE})"))
_TRANSITION_ROWS = _RowStatements("transitions", TRANSITION_COLUMNS)
_MARKER_ROWS = _RowStatements("markers", MARKER_COLUMNS)
_CAST_ROWS = _RowStatements("cast_members", CAST_COLUMNS)
_INSERT_TRACK = _insert_sql("tracks", TRACK_COLUMNS)
# An item changed in place (same id): every column set from the row, matched on its id.
_UPDATE_ITEM = ("UPDATE items SET " + ", ".join(f"{c} = :{c}" for c in ITEM_COLUMNS[1:])
                + f", shift_base = {_SHIFT_BASE} WHERE id = :id")
# A whole ripple is one row of the shift log (migration 0007), whatever the track's length.
_LOG_SHIFT = ("INSERT INTO track_shifts(sequence_id, track, from_frame, delta) "
              "VALUES (:s, :t, :f, :d)")


def _start_of(item: Item) -> int:
    return item.start


def apply_shifts(rows: Seq[Seq[Any]], starts: list[int],
                 log: Seq[tuple[int, str, int, int]]) -> set[str]:
    """Move ``starts`` (one per item row: ``row[1]`` its track, ``row[8]`` its shift_base)
    by the logged shifts ``(id, track, from_frame, delta)`` in id order: a shift moves the
    rows of its track written before it (shift_base < id) that start at or after its
    from_frame by then, as ``Track._shift`` moved the items. Returns the tracks that had
    shifts. numpy does the moving: a long log on a long track is rows x shifts."""
    if not log:
        return set()
    by_track: dict[str, list[tuple[int, int, int]]] = {}
    for sid, track, from_frame, delta in log:
        by_track.setdefault(track, []).append((sid, from_frame, delta))
    import numpy as np

    for track, shifts in by_track.items():
        index = [i for i, r in enumerate(rows) if r[1] == track]
        if not index:
            continue
        at = np.array([starts[i] for i in index], dtype=np.int64)
        base = np.array([rows[i][8] for i in index], dtype=np.int64)
        for sid, from_frame, delta in shifts:
            at[(base < sid) & (at >= from_frame)] += delta
        for i, value in zip(index, at.tolist(), strict=True):
            starts[i] = value
    return set(by_track)


def _replace_row(c: Connection, rows: _RowStatements, before: Any,
                 row: dict[str, Any] | None) -> None:
    """An op that replaces one row: delete the one it had, insert its new one (either may be
    absent)."""
    if before is not None:
        c.execute(rows.delete, {"old_id": before.id})
    if row is not None:
        c.execute(rows.insert, row)


def _write_op(c: Connection, s: int, op: Any) -> None:
    if isinstance(op, ItemOp):
        if op.before is not None and op.after is not None and op.before.id == op.after.id:
            c.execute(_UPDATE_ITEM, _item_row(op.after, s))
            return
        _replace_row(c, _ITEM_ROWS, op.before, op.after and _item_row(op.after, s))
    elif isinstance(op, ShiftOp):
        c.execute(_LOG_SHIFT, {"d": op.delta, "s": s, "t": op.track, "f": op.from_frame})
    elif isinstance(op, TransitionOp):
        t = op.after
        _replace_row(c, _TRANSITION_ROWS, op.before, t and {
            "id": t.id, "sequence_id": s, "track": t.track, "from_item": t.from_item,
            "to_item": t.to_item, "duration": t.duration, "kind": t.kind})
    elif isinstance(op, MarkerOp):
        m = op.after
        _replace_row(c, _MARKER_ROWS, op.before, m and {
            "id": m.id, "sequence_id": s, "frame": m.frame, "duration": m.duration,
            "name": m.name, "color": m.color, "note": m.note, "kind": m.kind,
            "item": m.item})
    elif isinstance(op, CastOp):
        cm = op.after
        _replace_row(c, _CAST_ROWS, op.before, cm and {
            "id": cm.id, "sequence_id": s,
            "props_json": json.dumps(cm.to_dict(), separators=(",", ":"))})
    elif isinstance(op, TrackOp):
        if op.before is not None:
            c.execute("DELETE FROM tracks WHERE sequence_id=:s AND name=:n",
                      {"s": s, "n": op.before.name})
        if op.after is not None:
            _write_track(c, s, op.after)
    elif isinstance(op, InOutOp):
        c.execute("UPDATE sequences SET in_point=:i, out_point=:o WHERE id=:s",
                  {"i": op.after[0], "o": op.after[1], "s": s})
    else:  # pragma: no cover - exhaustive over timeline.changes.Op
        raise TypeError(f"unknown op {op!r}")


def _conditioning_touched(ops: Iterable[Any], seq: Sequence) -> set[int]:
    """Segments whose conditioning an edit may have changed: generated items it wrote, and
    every segment linked to a cast member it changed."""
    ids: set[int] = set()
    for op in ops:
        if isinstance(op, ItemOp) and isinstance(op.after, GeneratedSegment):
            ids.add(op.after.id)
        elif isinstance(op, CastOp):
            for member in (op.before, op.after):
                if member is not None:
                    ids.update(i.id for i in segments_using(member.id, seq.all_items()))
    return ids


def _item_row(item: Item, s: int) -> dict[str, Any]:
    d = item.to_dict()
    row = {k: d.pop(k) for k in _ITEM_COLUMNS}
    row["kind"] = d.pop("kind")
    row["asset_id"] = d.pop("asset", None)
    row["sequence_id"] = s
    row["props_json"] = json.dumps(d, separators=(",", ":"))
    return row


def _track_row(s: int, info: TrackInfo) -> dict[str, Any]:
    return {"sequence_id": s, "name": info.name, "kind": info.kind, "idx": info.index,
            "muted": info.muted, "solo": info.solo, "locked": info.locked,
            "hidden": info.hidden, "label": info.label or None}


def _write_track(c: Connection, s: int, info: TrackInfo) -> None:
    c.execute(_INSERT_TRACK, _track_row(s, info))


def _status_on_disk(asset: Asset, *, deep: bool = False) -> str:
    """Cheap at open (exists + size); ``deep`` also re-hashes the identity. An asset with
    no identity was never a file here (``add_offline_media``): offline until relinked."""
    if not asset.identity:
        return "offline"
    try:
        size = os.stat(asset.path).st_size
    except OSError:
        return "missing"
    if size != asset.size:
        return "changed"
    if deep:
        try:
            _size, identity = file_identity(asset.path)
        except OSError:
            return "missing"
        if identity != asset.identity:
            return "changed"
    return "ok"


def _tidy_after_reader(path: Path) -> None:
    """A read-only (``mode=ro``) connection cannot checkpoint, so it leaves an empty
    ``-wal`` and a ``-shm`` beside a project nobody is writing. Remove them the one safe
    way: only while no writer is live and none left a lock to report (we take the writer
    lock ourselves for the moment, so none can start), let SQLite open and close a normal
    connection, which deletes them only if it is the last connection of any process (its
    EXCLUSIVE lock on the file fails while another reader holds its SHARED lock). With the
    writer lock held there is no writer whose POSIX locks may be missing, which is the one
    case where that check lies."""
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    if not (wal.exists() or shm.exists()) or lock_path(path).exists():
        return
    try:
        lock = WriterLock.acquire(path)
    except ProjectError:
        return  # a writer just started: the files are its own now
    try:
        con = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=rw", uri=True)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        pass  # a read-only folder, a damaged file: the files simply stay
    finally:
        lock.release()


def _close_quietly(conn: Connection | None) -> None:
    if conn is not None:
        conn.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _reel_key(reel: str) -> str:
    return "".join(ch for ch in reel.lower() if ch.isalnum())


def _file_reels(path: Path, tagged: str) -> set[str]:
    """The tape names a file answers to: its reel tag, its name, its first 8 letters and
    digits."""
    stem = _reel_key(path.stem)
    return {k for k in (_reel_key(tagged), stem, stem[:8]) if k}
