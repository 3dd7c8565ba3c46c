"""`synkimeter` / `synkimeter gui --source X`: open the window on a camera or a replayed video."""

from __future__ import annotations

import os
import sys
import threading

from synkimeter.params import DEFAULT_PARAMS

__all__ = ["run_app", "sample_clip_path", "create_window"]


def sample_clip_path():
    """gui.session.sample_clip_path, imported when called: run_app starts loading MediaPipe before
    the window's own (heavy) imports."""
    from synkimeter.gui.session import sample_clip_path as find

    return find()


def create_window(source=None, params=DEFAULT_PARAMS, cameras=None, mesh_factory=None):
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


def run_app(source: str | None = "0", params=DEFAULT_PARAMS) -> int:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # MediaPipe (and OpenCV) load in the background while the window is built: the first picture comes sooner.
    threading.Thread(target=_preload_face_mesh, name="preload-face-mesh", daemon=True).start()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("synkimeter")
    window = create_window(source if source not in ("", None) else "0", params)
    window.show()
    return int(app.exec())
