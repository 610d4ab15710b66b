"""Project files made through the real CLI, for tests of CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

from cli.main import main


def segment_project(folder: Path, *, name: str = "p.takeline", size: str = "64x36",
                    duration: int = 12) -> Path:
    """``folder/NAME``: SIZE @ 24 fps with one DURATION-frame generated segment (id 1,
    "a red fox") on V1, made with `takeline new` and `takeline apply`."""
    p = folder / name
    assert main(["new", str(p), "--fps", "24", "--size", size]) == 0
    edits = folder / "e.json"
    edits.write_text(json.dumps([{"op": "add_generated", "track": "V1", "at": 0,
                                  "duration": duration, "prompt": "a red fox"}]))
    assert main(["apply", str(p), str(edits)]) == 0
    return p
