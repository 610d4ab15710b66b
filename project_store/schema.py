"""SQLAlchemy 2.x tables of a Takeline project file.

The schema itself is created and evolved only by Alembic migrations (``migrations/``); these
declarations are what the code reads and writes, and what autogenerate compares against.
Positions are integer frames at the sequence rate; rates are stored as num/den pairs.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the file: format marker, writer version, id counter."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SequenceRow(Base):
    __tablename__ = "sequences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    fps_num: Mapped[int] = mapped_column(Integer)
    fps_den: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sample_rate: Mapped[int] = mapped_column(Integer)
    in_point: Mapped[int | None] = mapped_column(Integer, nullable=True)
    out_point: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TrackRow(Base):
    __tablename__ = "tracks"
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    idx: Mapped[int] = mapped_column(Integer)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    solo: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # The track's own name (Track > Rename); NULL: shown by ``name`` (V1, A2, ...).
    label: Mapped[str | None] = mapped_column(String, nullable=True)


class AssetRow(Base):
    """Imported media: where it was, and what it was (to relink moved files and detect
    changed ones)."""

    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    identity: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    probe_json: Mapped[str] = mapped_column(Text)
    added_at: Mapped[str] = mapped_column(String)


class ItemRow(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"))
    track: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    start: Mapped[int] = mapped_column(Integer)
    duration: Mapped[int] = mapped_column(Integer)
    source_in: Mapped[int] = mapped_column(Integer)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), nullable=True)
    # Kind-specific fields (gain, opacity, prompt, seed, takes...) as JSON.
    props_json: Mapped[str] = mapped_column(Text, default="{}")
    # The newest track_shifts id when the row was written (0007): later shifts of its
    # track still apply to ``start`` (project_store.project.apply_shifts).
    shift_base: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (Index("ix_items_track_start", "sequence_id", "track", "start"),)


class TrackShiftRow(Base):
    """A ripple (``timeline.changes.ShiftOp``) not yet folded into the item rows (0007)."""

    __tablename__ = "track_shifts"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"))
    track: Mapped[str] = mapped_column(String)
    from_frame: Mapped[int] = mapped_column(Integer)
    delta: Mapped[int] = mapped_column(Integer)


class TransitionRow(Base):
    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"))
    track: Mapped[str] = mapped_column(String)
    from_item: Mapped[int] = mapped_column(Integer)
    to_item: Mapped[int] = mapped_column(Integer)
    duration: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)


class MarkerRow(Base):
    __tablename__ = "markers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"))
    frame: Mapped[int] = mapped_column(Integer)
    duration: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    color: Mapped[str] = mapped_column(String)
    note: Mapped[str] = mapped_column(Text)
    # Migration 0008: "" a user's marker, "beat" a beat found in the clip ``item``.
    kind: Mapped[str] = mapped_column(String, server_default="")
    item: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HistoryRow(Base):
    """One undo step. ``state`` is 'done' (on the undo stack) or 'undone' (redo stack)."""

    __tablename__ = "history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"))
    label: Mapped[str] = mapped_column(String)
    change_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String)

    __table_args__ = (Index("ix_history_state", "sequence_id", "state", "id"),)


class TakeRow(Base):
    """One generation run's result: a lossless media file in the project's media store and
    the full recipe that re-makes it."""

    __tablename__ = "takes"
    __table_args__ = (Index("ix_takes_segment", "segment_id", "id"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(Text)
    starred: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[str] = mapped_column(String)
    backend: Mapped[str] = mapped_column(String)
    model: Mapped[str] = mapped_column(Text)
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    media_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    frames_hash: Mapped[str] = mapped_column(String)
    frame_count: Mapped[int] = mapped_column(Integer)
    fps_num: Mapped[int] = mapped_column(Integer)
    fps_den: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    conditioning_version: Mapped[str | None] = mapped_column(String, nullable=True)
    recipe_json: Mapped[str] = mapped_column(Text)
    conform_json: Mapped[str] = mapped_column(Text)
    # 0008: "video" or "audio"; an audio take's rate, channels and sample count.
    media_kind: Mapped[str] = mapped_column(String, server_default="video")
    sample_rate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channels: Mapped[int | None] = mapped_column(Integer, nullable=True)
    samples: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # 0010: a joint audio-video run's other take (the picture's sound, the sound's picture).
    partner_take: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TakeMetricRow(Base):
    """One measured figure of a take (0005): see ``generation.metrics`` for the names, units
    and directions. ``value`` is NULL when the metric could not be computed
    (``detail_json`` holds the reason); ``code_version`` is the ``METRICS_VERSION`` that
    measured it, and rows of another version are not read as current."""

    __tablename__ = "take_metrics"
    take_id: Mapped[int] = mapped_column(ForeignKey("takes.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str] = mapped_column(String)
    direction: Mapped[str] = mapped_column(String)
    code_version: Mapped[str] = mapped_column(String)
    detail_json: Mapped[str] = mapped_column(Text)
    measured_at: Mapped[str] = mapped_column(String)


class JobRow(Base):
    """A queued or finished generation job; the queue survives a restart."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state", "state", "id"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String)  # queued, running, done, failed, cancelled
    spec_json: Mapped[str] = mapped_column(Text)
    model_key: Mapped[str] = mapped_column(Text)  # jobs sharing it run back to back
    created_at: Mapped[str] = mapped_column(String)
    started_at: Mapped[str | None] = mapped_column(String, nullable=True)
    finished_at: Mapped[str | None] = mapped_column(String, nullable=True)
    steps_done: Mapped[int] = mapped_column(Integer)
    steps_total: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    take_ids_json: Mapped[str] = mapped_column(Text)
    # The claim of a running job (0004): "pid@host" of the process running it, a token only
    # that run knows (every later write of the run matches it), and the Unix time it last
    # said it is alive. See project_store.generation_records.HEARTBEAT_TIMEOUT_S.
    owner: Mapped[str | None] = mapped_column(String, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String, nullable=True)
    heartbeat_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class CastMemberRow(Base):
    """A character, prop or location of the project (timeline.conditioning.CastMember)."""

    __tablename__ = "cast_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"))
    props_json: Mapped[str] = mapped_column(Text)


class ConditioningVersionRow(Base):
    """An immutable conditioning version, keyed by the sha256 of its canonical JSON."""

    __tablename__ = "conditioning_versions"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String)


class ConditioningLogRow(Base):
    """Each segment's versions in the order they were current."""

    __tablename__ = "conditioning_log"
    __table_args__ = (Index("ix_conditioning_log_segment", "segment_id", "id"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(ForeignKey("conditioning_versions.id"))
    created_at: Mapped[str] = mapped_column(String)
