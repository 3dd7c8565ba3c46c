"""Screenshots of "Record a session" (mid-task), "My progress" (3 imported sessions) and a report page.

    QT_QPA_PLATFORM=offscreen python docs/make_session_screenshots.py docs/
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


def main(out: Path) -> None:
    os.environ["SYNKIMETER_DATA_DIR"] = tempfile.mkdtemp(prefix="synkimeter-shots-")
    from PySide6.QtWidgets import QApplication

    from synkimeter.capture import FrameSource, VideoFileSource
    from synkimeter.capture.sources import Frame
    from synkimeter.gui.main_window import MainWindow
    from synkimeter.store import Store
    from synkimeter.usecases.saving import import_video
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    class Looped(FrameSource):
        """A sample clip replayed in real time, over and over, with times running on."""

        def __init__(self, path, loops):
            super().__init__()
            self.path, self.loops = path, loops
            self.description = "Camera 0"
            self.is_live = True
            self._probe = VideoFileSource(path)

        def open(self):
            self._probe.open()

        def close(self):
            self._probe.close()

        is_open = property(lambda self: self._probe.is_open)
        fps = property(lambda self: self._probe.fps)
        width = property(lambda self: self._probe.width)
        height = property(lambda self: self._probe.height)
        frame_count = property(lambda self: None)

        def __iter__(self):
            offset, i = 0.0, 0
            for _ in range(self.loops):
                last = 0.0
                for f in VideoFileSource(self.path, realtime=True):
                    last = f.timestamp_s
                    yield Frame(i, offset + f.timestamp_s, f.image)
                    i += 1
                offset += last + 1 / 30

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with Store() as store:  # three sessions from the sample clips: baseline, then two follow-ups
        for clip, kind, day in (("right_3mm.mp4", "baseline", "2026-01-12"), ("right_1mm.mp4", "follow-up", "2026-02-23"),
                                ("healthy.mp4", "follow-up", "2026-04-06")):
            import_video(store, SAMPLES / clip, "PX-0042", kind=kind, date=day, affected_side="right")

    window = MainWindow(DEFAULT_SETTINGS, cameras=[])
    window.resize(1366, 860)
    window.show()

    # 2. the trend view, and 3. its report
    window.modes.setCurrentWidget(window.progress_mode)
    window.progress_mode.refresh(select="PX-0042")
    window.progress_mode.report_folder = Path(tempfile.mkdtemp())
    pdf, _html = window.progress_mode.write_report()
    for _ in range(20):
        app.processEvents()
    window.grab().save(str(out / "screenshot_trends.png"))
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(out / "screenshot_report")], check=True)
    # 1. the protocol screen mid-task: home self-check, pucker, second repetition
    mode = window.record_mode
    window.modes.setCurrentWidget(mode)
    mode.page.picker.set_values("PX-0043", "right", "home", "self-check")
    mode.start(source=Looped(SAMPLES / "right_3mm.mp4", 4))

    def wanted():
        s = mode.worker.last_status if mode.worker else None
        return s is not None and s.task_key == "pucker" and s.action and s.repetition == 2 and s.seconds_left < 2.2

    while not wanted():
        app.processEvents()
    for _ in range(20):
        app.processEvents()
    window.grab().save(str(out / "screenshot_protocol.png"))
    mode.stop()
    while mode.running:
        app.processEvents()

    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
