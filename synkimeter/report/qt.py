"""A Qt application for headless rendering (report plots and PDF), created only when none exists."""

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
