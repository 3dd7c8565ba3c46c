"""Render packaging/synkimeter.svg to packaging/synkimeter.png (256 px) with Qt's SVG renderer.

    QT_QPA_PLATFORM=offscreen python packaging/render_icon.py
"""

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent


def main(size: int = 256) -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts need it
    renderer = QSvgRenderer(str(HERE / "synkimeter.svg"))
    if not renderer.isValid():
        print("synkimeter.svg could not be read", file=sys.stderr)
        return 2
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter)
    painter.end()
    return 0 if image.save(str(HERE / "synkimeter.png")) else 2


if __name__ == "__main__":
    raise SystemExit(main())
