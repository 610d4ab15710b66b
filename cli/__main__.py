"""``python -m cli [--demo] [PROJECT]``: open the editor. ``--demo`` opens ``demo/demo.takeline``,
building it from synthesised media on first run (this is what ``make run`` does)."""

from __future__ import annotations

import sys
from pathlib import Path

from cli.main import main

DEMO_PROJECT = Path("demo") / "demo.takeline"


def run(argv: list[str]) -> int:
    if "--demo" in argv:
        argv = [a for a in argv if a != "--demo"]
        if not DEMO_PROJECT.exists():
            DEMO_PROJECT.parent.mkdir(parents=True, exist_ok=True)
            print(f"Creating the demo project {DEMO_PROJECT} (first run)...", flush=True)
            code = main(["demo", str(DEMO_PROJECT)])
            if code:
                return code
        argv = ["open", str(DEMO_PROJECT), *argv]
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
