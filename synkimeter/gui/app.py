"""`synkimeter` / `synkimeter gui --source X`: open the window on a camera or a replayed video."""

from __future__ import annotations

import os
import sys
import threading

from synkimeter.usecases.settings import DEFAULT_SETTINGS

__all__ = ["run_app", "sample_clip_path", "create_window"]


def sample_clip_path():
    """gui.session.sample_clip_path, imported when called: run_app starts loading MediaPipe before
    the window's own (heavy) imports."""
    from synkimeter.gui.session import sample_clip_path as find

    return find()


def create_window(source=None, params=DEFAULT_SETTINGS, cameras=None, mesh_factory=None):
    """The window, with `source` (camera number, video path or FrameSource) starting; needs a
    QApplication. Cameras are looked for when `cameras` is None."""
    from synkimeter.gui.main_window import MainWindow

    if cameras is None:
        from synkimeter.capture import list_cameras

        cameras = list_cameras()
    window = MainWindow(params, cameras=cameras, mesh_factory=mesh_factory)
    if source is not None:
        window.open_source(source)
    return window


def _preload_face_mesh() -> None:
    from synkimeter.landmarks.facemesh import preload_face_mesh

    preload_face_mesh()
    import scipy.ndimage  # noqa: F401 - and its first frames this (~0.35 s)
    import scipy.signal  # noqa: F401 - the core's first blink needs it (~1 s to import)


# Qt messages that say nothing is wrong: Qt's offscreen platform (QT_QPA_PLATFORM=offscreen: CI,
# a check that the window starts) says this once for every window it shows; it cannot resize a
# window that is not on any screen, and there is none to resize.
QT_HARMLESS_MESSAGES = frozenset({"This plugin does not support propagateSizeHints()"})


def quiet_harmless_qt_messages() -> None:
    """Route Qt's log through a filter that drops QT_HARMLESS_MESSAGES and prints every other
    message as Qt itself would (its message pattern, on stderr)."""
    from PySide6 import QtCore

    formatted = getattr(QtCore, "qFormatLogMessage", lambda mode, context, message: message)

    def handler(mode, context, message: str) -> None:
        if message in QT_HARMLESS_MESSAGES:
            return
        try:
            sys.stderr.write(formatted(mode, context, message) + "\n")
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):  # no stderr (a windowed app on Windows)
            pass

    QtCore.qInstallMessageHandler(handler)


def run_app(source: str | None = "0", params=DEFAULT_SETTINGS, quit_after: float | None = None) -> int:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # MediaPipe (and OpenCV) load in the background while the window is built: the first picture comes sooner.
    threading.Thread(target=_preload_face_mesh, name="preload-face-mesh", daemon=True).start()
    from PySide6.QtWidgets import QApplication

    quiet_harmless_qt_messages()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("synkimeter")
    from synkimeter.capture import list_cameras
    from synkimeter.gui.first_run import maybe_show_first_run

    cameras = list_cameras()
    window = create_window(source if source not in ("", None) else "0", params, cameras=cameras)
    window.show()
    maybe_show_first_run(window, cameras)  # once, for a new user
    if quit_after is not None:  # `gui --quit-after SECONDS`: closed as if by the user, then quit
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(1000 * quit_after), lambda: (window.close(), app.quit()))
    return int(app.exec())
