"""Render the application icon's PNG sizes from its SVG with Qt's SVG renderer:

    python -m resources.render_icons      (QT_QPA_PLATFORM=offscreen works)

The PNGs are committed (``icons/hicolor/NxN/apps/``), so neither ``pip install`` nor the
bundle needs this; run it after changing the SVG. ``tests/test_resources.py`` checks that
every size exists and matches its name."""

from __future__ import annotations

import sys

from resources import APP_ID, ROOT, app_icon_svg

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(sizes: tuple[int, ...] = SIZES) -> list[str]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(app_icon_svg()))
    if not renderer.isValid():
        raise SystemExit(f"{app_icon_svg()} is not a valid SVG")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ROOT / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out), "PNG"):
            raise SystemExit(f"could not write {out}")
        written.append(str(out.relative_to(ROOT)))
    return written


if __name__ == "__main__":
    for name in render():
        print(name)
