"""A Qt application for headless rendering (the PDF report), created only when none exists, and the
SVG figures painted onto the PDF's pages as vectors."""

from __future__ import annotations

import os
import sys

_app = None


def ensure_gui_app():
    """The running QGuiApplication (or QApplication), creating one if needed.

    With no display (no DISPLAY / WAYLAND_DISPLAY on Linux, e.g. a server or a test run) the
    'offscreen' platform is chosen, so reports render anywhere.
    """
    global _app
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    if app is not None:
        return app
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:  # a QApplication, so that widgets (the GUI, pytest-qt) can share it later in this process
        from PySide6.QtWidgets import QApplication as App
    except ImportError:  # pragma: no cover
        App = QGuiApplication
    _app = App(sys.argv[:1] or ["synkimeter"])
    return _app


def place_svg_figures(doc, figures: dict[str, bytes], dpi: float) -> object:
    """Put each `<img src='NAME.svg'>` of a laid-out QTextDocument back as a vector drawing: Qt's text
    document takes raster images only, so each such image becomes a text object that QtSvg paints
    straight onto the page (lines and letters stay vectors in the PDF). Returns the handler, which
    must live as long as the document."""
    from PySide6.QtCore import QByteArray, QSizeF
    from PySide6.QtGui import QPyTextObject, QTextCharFormat, QTextCursor, QTextFormat
    from PySide6.QtSvg import QSvgRenderer

    object_type = int(QTextFormat.ObjectTypes.UserObject) + 1
    name_key, width_key = int(QTextFormat.Property.UserProperty) + 1, int(QTextFormat.Property.UserProperty) + 2

    class SvgFigure(QPyTextObject):
        renderers: dict[str, QSvgRenderer] = {}

        def intrinsicSize(self, doc, pos, fmt):  # noqa: N802 (Qt's name)
            box = self.renderers[fmt.property(name_key)].viewBoxF()
            width = float(fmt.property(width_key))
            return QSizeF(width, width * box.height() / max(box.width(), 1e-6))

        def drawObject(self, painter, rect, doc, pos, fmt):  # noqa: N802 (Qt's name)
            self.renderers[fmt.property(name_key)].render(painter, rect)

    handler = SvgFigure(doc)
    handler.renderers = {name: QSvgRenderer(QByteArray(data)) for name, data in figures.items()}
    doc.documentLayout().registerHandler(object_type, handler)
    found = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fragment.isValid() and fmt.isImageFormat() and fmt.toImageFormat().name() in figures:
                image = fmt.toImageFormat()
                found.append((fragment.position(), fragment.length(), image.name(), image.width()))
            it += 1
        block = block.next()
    for position, length, name, width in reversed(found):
        cursor = QTextCursor(doc)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setObjectType(object_type)
        fmt.setProperty(name_key, name)
        fmt.setProperty(width_key, float(width) * dpi / 96.0)  # <img width> is in 96-dpi pixels
        cursor.insertText("\ufffc", fmt)
    return handler
