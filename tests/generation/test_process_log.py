"""Each process's rotating log file, with faulthandler writing a native crash's stack into
it (also after a rotation), and the worker logging beside the editor. Each case runs in a
fresh interpreter: faulthandler and the root logger are process-wide."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO_ROOT


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO_ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=60)


def test_native_crash_leaves_its_stack_in_the_log_after_a_rotation(tmp_path: Path) -> None:
    result = _python(f"""
        import faulthandler, logging
        from pathlib import Path
        from generation import process_log
        process_log.MAX_BYTES = 2000  # rotate after a few lines
        path = process_log.start_log("editor", Path({str(tmp_path)!r}))
        for i in range(100):
            logging.getLogger("takeline").info("line %d of padding to force rotations", i)
        def crash_here():
            faulthandler._sigsegv()
        crash_here()
        """)
    assert result.returncode != 0
    log = (tmp_path / "editor.log").read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in log
    assert "crash_here" in log  # the Python stack, not just the signal
    assert (tmp_path / "editor.log.1").exists()
    assert len(list(tmp_path.glob("editor.log.*"))) == 3  # BACKUPS old files, no more
    assert "Segmentation fault" not in result.stderr


def test_worker_logs_beside_the_editor_only_when_told_the_folder(tmp_path: Path) -> None:
    code = """
        import logging
        from generation.process_log import start_worker_log
        print(start_worker_log())
        logging.getLogger("takeline.worker").warning("hello from the worker")
        """
    plain = _python(code, {"TAKELINE_LOG_DIR": ""})
    assert plain.returncode == 0 and plain.stdout.strip() == "None"
    told = _python(code, {"TAKELINE_LOG_DIR": str(tmp_path)})
    assert told.returncode == 0, told.stderr
    assert told.stdout.strip() == str(tmp_path / "worker.log")
    assert "hello from the worker" in (tmp_path / "worker.log").read_text(encoding="utf-8")


def test_unwritable_log_folder_warns_and_carries_on(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = _python(f"""
        import faulthandler
        from pathlib import Path
        from generation.process_log import start_log
        print(start_log("editor", Path({str(blocker / 'log')!r})), faulthandler.is_enabled())
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "True"]
    assert "takeline: warning: no log file" in result.stderr
