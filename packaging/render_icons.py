"""Renders resources/icons/lambda-studio.svg to the PNG sizes desktops use (and .ico/.icns for the bundle).

Run with the project's Python (any display: it renders offscreen):
    python packaging/render_icons.py
The PNGs are committed, so a build does not need to render them; re-run after editing the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "lambda-studio.svg"


def png_path(size: int) -> Path:
    return ICONS / f"lambda-studio-{size}.png"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        if not image.save(str(png_path(size)), "PNG"):
            print(f"cannot write {png_path(size)}", file=sys.stderr)
            return 1
        print(png_path(size))
    # Windows and macOS bundles want one multi-size file; Qt's ico/icns image plugins write them.
    big = QImage(str(png_path(256)))
    for fmt, name in (("ICO", "lambda-studio.ico"), ("ICNS", "lambda-studio.icns")):
        source = big if fmt == "ICO" else QImage(str(png_path(512)))
        if source.save(str(ICONS / name), fmt):
            print(ICONS / name)
        else:
            print(f"note: this Qt cannot write {fmt}; {name} not refreshed", file=sys.stderr)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
