"""Random command lines (hypothesis): whatever the flags, ``takeline`` either succeeds or
refuses with one line and exit 1 (2 for argparse's own usage errors), never a traceback,
and a refused command leaves the project as it was.

Deterministic under the ``ci`` profile (derandomized); the example counts keep the whole
module to well under a minute on two cores."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import (
    assert_usage_or_refused,
    dump,
    examples,
    make_project,
    run_cli,
)
from timeline.engine.export import PRESETS

SETTINGS = settings(max_examples=examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

BIG = [0, 1, 2, 3, 4, 5, 2**31, 2**53 - 1, 2**53, 2**63 - 1, 2**63, 2**64, 10**30]
numbers = st.one_of(st.sampled_from(BIG), st.integers(-10, 10),
                    st.integers(-2**70, 2**70)).map(str)
odd = st.one_of(st.sampled_from(["", " ", "nan", "inf", "-inf", "1e9", "0x10",
                                            "１２", "٣", "\u200b1", "1_000"]),
                st.text(alphabet="0123456789x:-. ", max_size=12))
small = st.integers(-2, 12).map(str)
texts = st.one_of(small, numbers, small, odd)  # mostly numbers argparse takes
# Sides kept small or refused, so a valid size renders the 4-frame project in moments.
sides = st.one_of(st.integers(-1, 40).map(lambda n: 2 * n), st.integers(1, 9),
                  st.sampled_from([16384 + 2, 20000, 2**40]))
sizes = st.one_of(st.tuples(sides, sides).map(lambda s: f"{s[0]}x{s[1]}"), odd)
def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    """Left out two times in three: a few flags at a time, so most lines parse."""
    return st.one_of(st.none(), st.none(), strategy)


ranges = st.one_of(st.tuples(small, small).map(":".join),
                   st.tuples(numbers, numbers).map(":".join), odd)
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.floats(0, 20).map(repr), odd)


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("hyp") / "p.takeline")


@SETTINGS
@given(preset=st.sampled_from(["h264", "png-sequence", "wav", *PRESETS, "nope", ""]),
       frame_range=maybe(ranges), size=maybe(sizes),
       crf=maybe(texts), bitrate=maybe(texts), overwrite=st.booleans())
def test_export_flags(capsys: pytest.CaptureFixture[str], project_copy: Path, preset: str,
                      frame_range: str | None, size: str | None, crf: str | None,
                      bitrate: str | None, overwrite: bool) -> None:
    before = dump(project_copy)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        args: list[object] = ["export", project_copy, "-o", out, "--preset", preset]
        for flag, value in (("--range", frame_range), ("--size", size), ("--crf", crf),
                            ("--bitrate", bitrate)):
            if value is not None:
                args += [f"{flag}={value}"]
        if overwrite:
            args.append("--overwrite")
        r = run_cli(capsys, *args)
        if r.rc == 0:
            written = list(Path(tmp).iterdir())
            assert written and not [p for p in written if p.name.endswith(".partial")]
        else:
            assert_usage_or_refused(r)
            assert not [p for p in Path(tmp).iterdir() if p.name.endswith(".partial")]
    assert dump(project_copy) == before


@SETTINGS
@given(steps=maybe(texts), guidance=maybe(floats),
       dtype=maybe(st.sampled_from(["auto", "float16", "bogus", "", "FLOAT32"])),
       device=maybe(st.sampled_from(["auto", "cpu", "cuda", "cuda:0", "cuda:x", ""])),
       size=maybe(sizes), takes=maybe(texts))
def test_generate_flags_are_refused_or_run(capsys: pytest.CaptureFixture[str],
                                           project_copy: Path, steps: str | None,
                                           guidance: str | None, dtype: str | None,
                                           device: str | None, size: str | None,
                                           takes: str | None) -> None:
    before = dump(project_copy)
    args: list[object] = ["generate", project_copy, "--segment", "1", "--queue-only"]
    for flag, value in (("--steps", steps), ("--guidance", guidance), ("--dtype", dtype),
                        ("--device", device), ("--size", size), ("--takes", takes)):
        if value is not None:
            args += [f"{flag}={value}"]
    r = run_cli(capsys, *args)
    if r.rc != 0:
        assert_usage_or_refused(r)
        assert dump(project_copy) == before


json_leaves = st.one_of(
    st.none(), st.booleans(), st.sampled_from(BIG), st.integers(-2**70, 2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
    st.sampled_from(["V1", "V2", "A1", "in", "out", "blue", "group"]))
json_values = st.recursive(
    json_leaves, lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=12)
ops = st.fixed_dictionaries(
    {"op": st.sampled_from(["split", "trim", "move", "lift", "add_marker", "set_in_out",
                            "add_generated", "set", "group", "undo", "redo", "nope"])},
    optional={key: st.one_of(st.integers(-1, 12), st.sampled_from(["V1", "A1", "in", "out"]),
                             json_values)
              for key in ("item", "track", "at", "delta", "side", "steps",
                                           "duration", "in_point", "out_point", "name")})


@SETTINGS
@given(edits=st.one_of(json_values, st.lists(ops, max_size=4)))
def test_apply_random_json(capsys: pytest.CaptureFixture[str], project_copy: Path,
                           edits: object) -> None:
    before = dump(project_copy)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edits.json"
        path.write_text(json.dumps(edits))
        r = run_cli(capsys, "apply", project_copy, path)
    if r.rc != 0:
        assert_usage_or_refused(r)
        assert dump(project_copy) == before
