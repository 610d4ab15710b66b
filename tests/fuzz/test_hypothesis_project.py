"""Random and garbage operation lists through ``Project.apply`` (hypothesis): every batch
either applies or raises ``EditError``, never another exception; a refused batch leaves
the model and the file exactly as they were; whatever was applied survives reopening."""

from __future__ import annotations

import inspect
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project_store.project import Project
from tests.fuzz.conftest import examples
from timeline.edits import OPERATIONS
from timeline.model import EditError, SequenceSettings

HUGE = [2**31, 2**53 - 1, 2**53, 2**62, 2**63 - 1, 2**63, -2**63, 10**30]
leaves = st.one_of(
    st.integers(-3, 60), st.sampled_from(HUGE), st.integers(-2**70, 2**70), st.none(),
    st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["V1", "V2", "A1", "in", "out", "blue", "linear", "\ud800", "", "x" * 300]),
    st.text(max_size=5))
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                      max_leaves=8)
_PARAMS = {name: [p for p in list(inspect.signature(func).parameters)[2:] if p != "kwargs"]
           for name, func in OPERATIONS.items()}
_EXTRA = ["opacity", "gain_db", "fade_in", "fade_out", "prompt", "seed", "use_proxy", "bogus"]


def _operation(name: str) -> st.SearchStrategy[dict[str, Any]]:
    keys = _PARAMS.get(name, []) + _EXTRA
    return st.dictionaries(st.sampled_from(keys), values, max_size=5).map(
        lambda d: {"op": name, **d})


operations = st.one_of(
    st.sampled_from([*OPERATIONS, "undo", "redo", "nope"]).flatmap(_operation),
    st.builds(lambda steps: {"op": "group", "steps": steps},
              st.lists(st.sampled_from(list(OPERATIONS)).flatmap(_operation), max_size=3)),
    values)
batches = st.one_of(st.lists(operations, max_size=4), values)


def state(p: Project) -> Any:
    seq = p.sequence
    return (repr(sorted(seq.all_items(), key=lambda i: i.id)),
            repr([(t.info, sorted(t.transitions.values(), key=lambda x: x.id))
                  for t in seq.tracks.values()]),
            repr(sorted(seq.markers.values(), key=lambda m: m.id)),
            (seq.in_point, seq.out_point), repr(seq.cast), p.info()["history"])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("api") / "api.takeline"
    p = Project.create(path, SequenceSettings(fps=Fraction(24), width=64, height=36))
    p.apply([{"op": "add_generated", "track": "V1", "at": 0, "duration": 8, "prompt": "a"},
             {"op": "add_generated", "track": "V1", "at": 8, "duration": 8, "prompt": "b"},
             {"op": "add_marker", "at": 2}])
    yield p
    p.close()


@settings(max_examples=examples(150), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=batches)
def test_apply_is_all_or_nothing_and_never_crashes(project: Project, batch: Any) -> None:
    before = state(project)
    try:
        project.apply(batch)
    except EditError as exc:
        assert str(exc) and "\n" not in str(exc)
        assert state(project) == before


def test_what_was_applied_is_what_reopening_reads(project: Project) -> None:
    """Runs after the random batches: the file holds exactly the model in memory."""
    now = state(project)
    path = project.path
    project.close()
    reopened = Project.open(path)
    try:
        assert state(reopened)[:5] == now[:5]
    finally:
        reopened.close()


@pytest.mark.parametrize("batch", [
    {"op": "add_marker", "at": 1},  # one object, not a list
    "add_marker",
    [{"op": "trim", "item": 1, "side": "out", "delta": 2**63 - 1}],
    [{"op": "move", "item": 1, "track": "V1", "at": 2**63 - 8}],
    [{"op": "add_marker", "at": 1, "name": "\ud800"}],
    [{"op": "set", "item": 1, "opacity": float("nan")}],
    [{"op": "add_marker", "at": 3}, {"op": "trim", "item": 1, "side": "in", "delta": 2**62}],
])
def test_hand_picked_batches_are_refused_whole(tmp_path: Path, batch: Any) -> None:
    with Project.create(tmp_path / "h.takeline", SequenceSettings()) as p:
        p.apply([{"op": "add_generated", "track": "V1", "at": 0, "duration": 8}])
        before = state(p)
        with pytest.raises(EditError):
            p.apply(batch)
        assert state(p) == before


def test_a_group_nested_deeply_is_refused() -> None:
    from timeline.edits import check_parameter_types

    deep: dict[str, Any] = {"op": "group", "steps": []}
    for _ in range(5000):
        deep = {"op": "group", "steps": [deep]}
    with pytest.raises(EditError, match="nested more than"):
        check_parameter_types(deep)
