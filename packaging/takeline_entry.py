"""The bundle's entry point: the ``takeline`` command (editor and CLI in one executable).

``freeze_support`` comes first: the generation worker is started with the *spawn* start
method (``generation/client.py``), which re-runs this executable with multiprocessing's own
arguments; in a frozen program this call turns such a run into the worker instead of a
second editor. The PyInstaller runtime hook for multiprocessing does the rest."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from cli.__main__ import main

    sys.exit(main())
