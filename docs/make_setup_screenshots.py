"""Screenshots of the live panel while someone talks and of the set-up check saying to move closer,
taken of the whole (virtual) screen with ImageMagick's `import`, as a person would see them:

    Xvfb :99 -screen 0 1366x768x24 &
    DISPLAY=:99 python docs/make_setup_screenshots.py talking ../shared/realclips/talking_glasses_man.mp4 docs/screenshot_talking.png
    DISPLAY=:99 python docs/make_setup_screenshots.py too_far sample_videos/healthy.mp4 docs/screenshot_too_far.png

`too_far` shrinks the clip to 40 % in the middle of a plain picture (iris ~9 px: the same face far
from the camera) and presses Start recording on "Record a session".
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def shrunk_copy(path: str, factor: float = 0.4) -> str:
    import numpy as np

    from synkimeter.capture._cv import cv2

    cap = cv2.VideoCapture(path)
    w, h, fps = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), cap.get(cv2.CAP_PROP_FPS)
    out_path = str(Path(tempfile.mkdtemp(prefix="synkimeter-far-")) / f"far_{Path(path).name}")
    out = cv2.VideoWriter(out_path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    while True:
        ok, img = cap.read()
        if not ok:
            break
        small = cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        canvas = np.empty_like(img)
        canvas[:] = small[0, 0]  # the clip's own background colour around it
        y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
        canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
        out.write(canvas)
    cap.release()
    out.release()
    return out_path


def main(kind: str, clip: str, target: str) -> None:
    os.environ["SYNKIMETER_DATA_DIR"] = tempfile.mkdtemp(prefix="synkimeter-shots-")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from synkimeter.gui.app import create_window

    app = QApplication(sys.argv[:1])
    window = create_window(shrunk_copy(clip) if kind == "too_far" else clip, cameras=[])
    if kind == "too_far":
        window.resize(1366, 740)  # the live page keeps its own (taller) size: its plots run off the screen
    window.show()

    def record():
        window.modes.setCurrentWidget(window.record_mode)
        window.record_mode.page.picker.set_values("PX-0042", "right", "home", "self-check")
        window.record_mode.start()

    def shoot():
        subprocess.run(["import", "-window", "root", target], check=True)
        window.close()
        app.quit()

    if kind == "too_far":
        QTimer.singleShot(2500, record)
    QTimer.singleShot(9000, shoot)  # the talking clip's first blinks are final by then
    app.exec()


if __name__ == "__main__":
    main(*sys.argv[1:4])
