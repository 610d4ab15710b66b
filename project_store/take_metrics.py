"""Take metrics in the project file: one row per (take, metric), written whole per take.

The figures themselves are measured by ``generation.metrics`` (this package does not import
it); rows carry the ``code_version`` that measured them, and only rows of the version the
caller asks for are read back as current: a figure from an older measuring code is
recomputed, never mixed with newer ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from project_store.db import ProjectError
from project_store.project import Project


class MetricsError(ProjectError):
    pass


@dataclass(frozen=True)
class StoredMetric:
    name: str
    value: float | None
    unit: str
    direction: str
    code_version: str
    measured_at: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "direction": self.direction,
                "detail": dict(self.detail), "code_version": self.code_version,
                "measured_at": self.measured_at}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class TakeMetrics:
    """The metrics rows of one open project."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def write(self, take_id: int, metrics: Iterable[Mapping[str, Any]], code_version: str
              ) -> None:
        """Replace every figure of ``take_id`` with ``metrics`` (each a mapping with name,
        value, unit, direction and optionally detail), in one transaction."""
        rows = []
        for m in metrics:
            value = m.get("value")
            if value is not None:
                value = float(value)
                if not math.isfinite(value):
                    raise MetricsError(f"metric {m['name']!r} of take {take_id} is {value}")
            rows.append({"t": take_id, "n": str(m["name"]), "v": value, "u": str(m["unit"]),
                         "d": str(m["direction"]), "c": code_version,
                         "j": json.dumps(m.get("detail") or {}, sort_keys=True),
                         "at": _now()})
        if not self.project.query("SELECT 1 FROM takes WHERE id = :t", {"t": take_id}):
            raise MetricsError(f"There is no take {take_id} in this project.")
        with self.project.transaction() as c:
            c.execute(text("DELETE FROM take_metrics WHERE take_id = :t"), {"t": take_id})
            for r in rows:
                c.execute(text(
                    "INSERT INTO take_metrics(take_id, name, value, unit, direction, "
                    "code_version, detail_json, measured_at) VALUES (:t, :n, :v, :u, :d, :c, "
                    ":j, :at)"), r)

    def read(self, code_version: str, take_ids: Iterable[int] | None = None
             ) -> dict[int, dict[str, StoredMetric]]:
        """Current figures (measured by ``code_version``) per take id; a take measured only
        by another version, or never, is absent."""
        sql = "SELECT * FROM take_metrics WHERE code_version = :c"
        params: dict[str, Any] = {"c": code_version}
        ids = None if take_ids is None else sorted(set(take_ids))
        if ids is not None:
            if not ids:
                return {}
            sql += f" AND take_id IN ({', '.join(str(int(i)) for i in ids)})"
        out: dict[int, dict[str, StoredMetric]] = {}
        for r in self.project.query(sql + " ORDER BY take_id, rowid", params):
            out.setdefault(r.take_id, {})[r.name] = StoredMetric(
                name=r.name, value=r.value, unit=r.unit, direction=r.direction,
                code_version=r.code_version, measured_at=r.measured_at,
                detail=json.loads(r.detail_json))
        return out

    def unmeasured(self, code_version: str, take_ids: Iterable[int]) -> list[int]:
        """Those of ``take_ids`` with no figures of ``code_version`` (never measured, or
        measured by an older code): the ones to (re)compute."""
        ids = list(take_ids)
        current = self.read(code_version, ids)
        return [i for i in ids if i not in current]
