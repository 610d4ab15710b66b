"""``Timeline``: a sequence plus its undo/redo history and the id counter.

Persistence hooks in through a ``ChangeSink``: it is told about every do / undo / redo
and may refuse it by raising, in which case the in-memory state is put back exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, Protocol

from timeline.changes import Change, apply_change
from timeline.model import IdSource, MediaInfo, Sequence

ChangeKind = Literal["do", "undo", "redo"]


class ChangeSink(Protocol):
    def record(self, kind: ChangeKind, change: Change, timeline: Timeline) -> None: ...


class Timeline:
    def __init__(
        self,
        sequence: Sequence,
        *,
        media: dict[int, MediaInfo] | None = None,
        next_id: int = 1,
        undo_stack: list[Change] | None = None,
        redo_stack: list[Change] | None = None,
        sink: ChangeSink | None = None,
    ) -> None:
        self.sequence = sequence
        self.media: dict[int, MediaInfo] = media if media is not None else {}
        self.ids = IdSource(next_id)
        self.undo_stack: list[Change] = undo_stack or []
        self.redo_stack: list[Change] = redo_stack or []
        self.sink = sink
        self._batch_log: list[tuple[ChangeKind, Change]] | None = None

    # --- editing
    def execute(self, params: dict[str, Any]) -> Change:
        """Run one operation (``{"op": ..., ...}``) as one undo step."""
        # Imported here: reading a project (takeline info, export) runs no edit, and the
        # operations module is the largest of the model's.
        from timeline.edits import run_operation

        next_id_before = self.ids.next_id
        change = run_operation(self.sequence, self.ids, self.media, params)
        if not change.ops:
            # A no-op (a zero-frame trim, in/out set to what they were) is not an undo step
            # and must not throw away the redo branch.
            return change
        redo_before = self.redo_stack
        self.undo_stack.append(change)
        self.redo_stack = []
        try:
            self._record("do", change)
        except BaseException:
            apply_change(self.sequence, change.inverted())
            self.undo_stack.pop()
            self.redo_stack = redo_before
            self.ids.next_id = next_id_before
            raise
        return change

    def undo(self) -> Change | None:
        return self._step("undo")

    def redo(self) -> Change | None:
        return self._step("redo")

    def _step(self, kind: ChangeKind) -> Change | None:
        """Undo or redo one change: move it between the stacks, apply it (inverted for
        undo) and record it; if recording fails, everything is put back as it was."""
        undo = kind == "undo"
        source, target = (self.undo_stack, self.redo_stack) if undo else \
            (self.redo_stack, self.undo_stack)
        if not source:
            return None
        change = source.pop()
        forward, backward = (change.inverted(), change) if undo else \
            (change, change.inverted())
        apply_change(self.sequence, forward)
        target.append(change)
        try:
            self._record(kind, change)
        except BaseException:
            apply_change(self.sequence, backward)
            target.pop()
            source.append(change)
            raise
        return change

    def _record(self, kind: ChangeKind, change: Change) -> None:
        if self.sink is not None:
            self.sink.record(kind, change, self)
        if self._batch_log is not None:
            self._batch_log.append((kind, change))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """All or nothing: if the block raises, every step it made is taken back exactly
        (the sink is expected to roll back its own transaction)."""
        if self._batch_log is not None:
            yield
            return
        saved = (list(self.undo_stack), list(self.redo_stack), self.ids.next_id)
        self._batch_log = []
        try:
            yield
        except BaseException:
            for kind, change in reversed(self._batch_log):
                apply_change(self.sequence, change if kind == "undo" else change.inverted())
            self.undo_stack, self.redo_stack, self.ids.next_id = (
                saved[0], saved[1], saved[2]
            )
            raise
        finally:
            self._batch_log = None

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    @property
    def can_redo(self) -> bool:
        return bool(self.redo_stack)

    @property
    def undo_label(self) -> str | None:
        return self.undo_stack[-1].label if self.undo_stack else None

    @property
    def redo_label(self) -> str | None:
        return self.redo_stack[-1].label if self.redo_stack else None
