"""``python -m cli [--demo] [PROJECT]`` (and the ``takeline`` command): ``--demo`` opens the
demo project in the user's data folder (``~/.local/share/takeline/demo/`` on Linux, or
``$TAKELINE_DEMO``), building it from synthesised media on first run (this is what
``make run`` does). Everything else is ``cli.main``."""

from __future__ import annotations

import sys

from cli.main import main as cli_main
from timeline.app_dirs import demo_project


def run(argv: list[str]) -> int:
    if "--demo" in argv:
        argv = [a for a in argv if a != "--demo"]
        demo = demo_project()
        if not demo.exists():
            try:
                demo.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                print(f"takeline: error: cannot create {demo.parent}: {exc.strerror or exc}; "
                      "set TAKELINE_DEMO to a writable path", file=sys.stderr)
                return 1
            print(f"Creating the demo project {demo} (first run)...", flush=True)
            code = cli_main(["demo", str(demo)])
            if code:
                return code
        argv = ["open", str(demo), *argv]
    return cli_main(argv)


def main() -> int:
    """The ``takeline`` console script."""
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
