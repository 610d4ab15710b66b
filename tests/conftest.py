"""Shared test helpers: the real-world media in ``../shared/testdata`` (outside the repo).

The folder sits next to the repository checkout, or wherever ``TAKELINE_TESTDATA`` points.
CI clones the repository on its own, without it; tests that need it skip with the reason.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTDATA_ENV = "TAKELINE_TESTDATA"


@functools.cache
def _testdata_location() -> tuple[Path | None, str]:
    """(folder holding media.json, "") or (None, why it is not available)."""
    configured = os.environ.get(TESTDATA_ENV)
    if configured:
        folder = Path(configured).expanduser().resolve()
        source = f"${TESTDATA_ENV}={configured}"
    else:
        folder = REPO_ROOT.parent / "shared" / "testdata"
        source = f"the default location (set ${TESTDATA_ENV} to use another)"
    if (folder / "media.json").is_file():
        return folder, ""
    return None, f"real-world test media not found: no media.json in {folder}, from {source}"


def locate_testdata() -> Path | None:
    """The shared test data folder, or None when this checkout has none."""
    return _testdata_location()[0]


def missing_testdata_reason() -> str:
    """Why ``locate_testdata()`` is None ("" when it is available)."""
    return _testdata_location()[1]


@functools.cache
def _load_media_json() -> dict[str, Any] | None:
    folder = locate_testdata()
    if folder is None:
        return None
    with open(folder / "media.json", encoding="utf-8") as fh:
        return json.load(fh)


def media_facts() -> list[dict[str, Any]]:
    """The ffprobe facts of every media file (``media.json`` → ``files``); [] without data.

    Each record's ``path`` is relative to the test data folder. Callers get copies, so a
    test cannot change what another one sees.
    """
    data = _load_media_json()
    if data is None:
        return []
    return [json.loads(json.dumps(record)) for record in data["files"]]


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The shared test data folder; skips the test when it is absent."""
    folder = locate_testdata()
    if folder is None:
        pytest.skip(missing_testdata_reason())
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """kind -> folder of a tiny real diffusers pipeline with random weights, built offline
    once per session (see tests/generation/tiny_pipelines.py)."""
    root = tmp_path_factory.mktemp("tiny-models")
    built: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in built:
            # Without the `generate` extra (pip install takeline) there is no model to build.
            pytest.importorskip("diffusers", reason="needs the generate extra (diffusers)")
            from tests.generation.tiny_pipelines import build_tiny_pipeline

            built[kind] = build_tiny_pipeline(kind, root / kind)
        return built[kind]

    return get
