"""Media engine: probing and decoding source files with PyAV. Qt-free and torch-free.

Submodules are imported explicitly (``from timeline.media.probe import probe``) so that
importing this package stays cheap.
"""
