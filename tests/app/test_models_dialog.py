"""The Model manager dialog: lists a real local pipeline folder, and a pull that cannot
reach the Hub ends as a clear message in the dialog (fast, in the background); progress and
cancel work with a pull function that reports bytes."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 cannot load (missing Qt system libs)")

from app.models_dialog import ModelManagerDialog  # noqa: E402
from generation.installed_models import InstalledModel, format_size, list_installed, pull_model  # noqa: E402


def _dialog(qtbot, tmp_path: Path, **kwargs) -> ModelManagerDialog:  # type: ignore[no-untyped-def]
    dialog = ModelManagerDialog(cache_dir=tmp_path / "hub", **kwargs)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.listing, timeout=10000)
    return dialog


def test_lists_a_local_model_folder(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                    tiny_model: Callable[[str], Path]) -> None:
    folder = tiny_model("wan-t2v")
    dialog = _dialog(qtbot, tmp_path)
    assert dialog.table.rowCount() == 0
    assert "No models installed" in dialog.list_status.text()
    dialog.add_folder(folder)
    qtbot.waitUntil(lambda: not dialog.listing and dialog.table.rowCount() == 1, timeout=10000)
    [expected] = list_installed(cache_dir=tmp_path / "hub", extra_folders=[folder])
    row = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert row == [expected.id, "WanPipeline", "wan", expected.revision[:12],
                   format_size(expected.size_bytes), str(folder.resolve())]
    assert "1 model(s)" in dialog.list_status.text()


def test_pull_without_network_shows_the_error(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A closed local port stands in for an unreachable Hub: the real pull_model refuses at
    # its connection check, so the error comes at once.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    dialog = _dialog(qtbot, tmp_path,
                     pull_fn=functools.partial(pull_model, endpoint="http://127.0.0.1:9"))
    dialog.repo.setText("Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
    dialog.pull_button.click()
    assert dialog.pulling and not dialog.pull_button.isEnabled()
    assert not dialog.progress.isHidden() and dialog.cancel_button.isEnabled()
    # Refused at the connection check, not after a download timeout (the wait would end).
    qtbot.waitUntil(lambda: not dialog.pulling, timeout=15000)
    assert "cannot reach 127.0.0.1:9: no network" in dialog.error_text
    assert dialog.error_text.startswith("Cannot pull:")
    assert dialog.pull_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_pull_offline_mode_is_refused_with_a_message(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dialog = _dialog(qtbot, tmp_path)  # the real pull_model
    dialog.repo.setText("Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
    dialog.pull()
    qtbot.waitUntil(lambda: not dialog.pulling, timeout=10000)
    assert "no network (or HF_HUB_OFFLINE=1)" in dialog.error_text


def test_empty_repo_id_is_a_message(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot, tmp_path)
    assert not dialog.pull()
    assert "repo id" in dialog.error_text


def test_pull_progress_success_and_refresh(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           tiny_model: Callable[[str], Path]) -> None:
    folder = tiny_model("wan-t2v")
    calls: list[tuple[str, str | None]] = []

    def fake_pull(repo_id: str, *, revision: str | None, cache_dir: Path | None,
                  progress: Callable[[int, int], None]) -> InstalledModel:
        calls.append((repo_id, revision))
        assert threading.current_thread() is not threading.main_thread()
        for done in range(0, 11):
            progress(done << 20, 10 << 20)
            time.sleep(0.01)
        [model] = list_installed(cache_dir=cache_dir, extra_folders=[folder])
        return model

    listed_folders: list[Path] = []
    dialog = _dialog(qtbot, tmp_path, pull_fn=fake_pull)
    dialog.extra_folders = listed_folders  # the "pull" makes the folder appear on refresh
    changed: list[bool] = []
    dialog.models_changed.connect(lambda: changed.append(True))
    dialog.repo.setText("Org/Tiny")
    dialog.revision.setText("v1")
    dialog.pull()
    listed_folders.append(folder)
    qtbot.waitUntil(lambda: not dialog.pulling, timeout=10000)
    assert calls == [("Org/Tiny", "v1")]
    assert changed == [True]
    assert dialog.error_text.startswith("Pulled ")
    qtbot.waitUntil(lambda: not dialog.listing and dialog.table.rowCount() == 1, timeout=10000)


def test_cancel_stops_the_pull(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stopped = threading.Event()

    def endless_pull(repo_id: str, *, revision: str | None, cache_dir: Path | None,
                     progress: Callable[[int, int], None]) -> InstalledModel:
        total = 100 << 20
        try:
            for done in range(0, total, 1 << 20):
                progress(done, total)
                time.sleep(0.01)
        finally:
            stopped.set()
        raise AssertionError("the pull was not cancelled")

    dialog = _dialog(qtbot, tmp_path, pull_fn=endless_pull)
    dialog.repo.setText("Org/Huge")
    dialog.pull()
    qtbot.waitUntil(lambda: dialog.progress.maximum() == 100 and dialog.progress.value() > 2,
                    timeout=10000)
    assert dialog.cancel_button.isEnabled()
    dialog.cancel_button.click()
    assert not dialog.pulling and dialog.pull_button.isEnabled()
    assert "cancelled" in dialog.error_text
    assert stopped.wait(5)  # the worker's next progress call raised
    qtbot.wait(50)
    assert "cancelled" in dialog.error_text  # a late result does not overwrite it
