"""Children started with multiprocessing's spawn method get a clean sys.path even while
another thread is importing OpenCV (whose loader puts its own folders first for a while)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import sys, threading
from timeline.spawning import spawn_context

importer = threading.Thread(target=lambda: __import__("cv2"))
importer.start()  # OpenCV's loader runs on this thread now
context = spawn_context()
cv2 = sys.modules["cv2"]
# On return the import is complete and sys.path is what it was: a child spawned now
# starts from the right path.
assert hasattr(cv2, "warpAffine"), "cv2 still loading"
assert not any(p.rstrip("/").endswith("cv2") for p in sys.path), sys.path
importer.join()

from concurrent.futures import ProcessPoolExecutor
import json
with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
    print(pool.submit(json.dumps, [1, 2]).result())
"""


def test_a_spawned_child_starts_while_another_thread_imports_opencv() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[1, 2]"
