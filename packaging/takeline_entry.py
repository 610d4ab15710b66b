"""The bundle's entry point: the ``takeline`` command (editor and CLI in one executable).

``freeze_support`` comes first: the generation worker (and the take-metrics process) are
started with the *spawn* start method, which re-runs this executable with multiprocessing's
own arguments; in a frozen program this call turns such a run into that child instead of a
second editor. The PyInstaller runtime hook for multiprocessing does the rest.

The window's exports run ``sys.executable -m timeline.engine.export_process``: in the bundle
``sys.executable`` is this program, so ``-m`` of a module named below runs that module as
``python -m`` would; any other ``-m`` is refused (the bundle is not a Python interpreter)."""

import multiprocessing
import runpy
import sys

CHILD_MODULES = ("timeline.engine.export_process",)

if __name__ == "__main__":
    multiprocessing.freeze_support()
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        if module not in CHILD_MODULES:
            print(f"takeline: error: -m {module}: the bundle runs only "
                  f"{', '.join(CHILD_MODULES)} this way", file=sys.stderr)
            sys.exit(2)
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        sys.exit(0)
    from cli.__main__ import main

    sys.exit(main())
