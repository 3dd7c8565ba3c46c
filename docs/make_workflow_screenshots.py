"""Every page of the window at the screen's size: docs/screens/<W>x<H>_<page>.png.

Run it on a display of the size to show (an X server such as Xvfb), once per size:

    Xvfb :95 -screen 0 1366x768x24 &  Xvfb :96 -screen 0 1920x1080x24 &
    DISPLAY=:95 python docs/make_workflow_screenshots.py docs/screens [--store FOLDER]
    DISPLAY=:96 python docs/make_workflow_screenshots.py docs/screens [--store FOLDER]
    DISPLAY=:95 python docs/make_workflow_screenshots.py docs/screens --text-size large

With --text-size large (or larger) the window starts with that remembered text size and the pictures
are named <W>x<H>_large_<page>.png; the report's pages are written at normal size only.

The window opens at the size it picks for that screen (what a user gets), and each picture is the
whole screen, so a window larger than the screen would show cut off. The data are a temporary store
(a copy of --store, or the sample clips imported: PX-0042 with a baseline, a follow-up and a
self-check on one day, and a last follow-up; PX-0043 with one session); the config folder is
temporary too, so nothing of the user's is read or changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
IMPORTS = (("right_3mm.mp4", "PX-0042", "baseline", "2026-01-12T09:30", "right"),
           ("right_1mm.mp4", "PX-0042", "follow-up", "2026-02-23T10:00", "right"),
           ("right_1mm.mp4", "PX-0042", "self-check", "2026-02-23T16:45", "right"),
           ("healthy.mp4", "PX-0042", "follow-up", "2026-04-06T11:15", "right"),
           ("left_2mm.mp4", "PX-0043", "baseline", "2026-03-01T09:00", "left"))


def looped_source():
    from synkimeter.capture import FrameSource, VideoFileSource
    from synkimeter.capture.sources import Frame

    class Looped(FrameSource):
        """A sample clip replayed in real time, over and over, as if from a camera."""

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

    return Looped


def small(path: Path) -> None:
    """A screenshot in 256 colours (a third of the bytes; text and plots stay sharp)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    reduced.save(path, optimize=True)


def report_pages(out: Path, pdf: Path) -> None:
    """The report's pages as pictures (poppler's pdftoppm, 60 dpi), when it is installed."""
    import subprocess

    if shutil.which("pdftoppm") is None:
        return
    for old in out.glob("report_page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(out / "report_page")], check=True)
    for path in sorted(out.glob("report_page-*.png")):
        small(path)
        print(path)


def seed(folder: Path) -> None:
    from synkimeter.store import Store
    from synkimeter.usecases.saving import import_video

    with Store(folder) as store:
        for clip, who, kind, when, side in IMPORTS:
            import_video(store, SAMPLES / clip, who, kind=kind, date=when, affected_side=side)


def annotate(folder: Path) -> None:
    """A clinician's note and a corrected session note, as a therapist would leave them."""
    from synkimeter.store import Store

    with Store(folder) as store:
        patient = store.require_patient("PX-0042")
        sessions = store.sessions(patient)
        store.add_note(patient, "Mirror therapy started; review in six weeks.")
        store.add_note(patient, "Botulinum toxin to the right orbicularis oculi two weeks before.", sessions[1],
                       day="2026-02-23")
        store.update_session(sessions[2], notes="Same-day home self-check after the clinic visit.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=str(ROOT / "docs" / "screens"))
    ap.add_argument("--store", help="a prepared store to copy instead of importing the sample clips")
    ap.add_argument("--portrait", help="a portrait (upright phone) video for the live page's side badges")
    ap.add_argument("--text-size", default="normal", choices=("normal", "large", "larger"),
                    help="the window's text size (the setting at the top right)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="synkimeter-screens-"))
    data = work / "data"
    if args.store:
        shutil.copytree(args.store, data)
    os.environ["SYNKIMETER_DATA_DIR"] = str(data)
    os.environ["SYNKIMETER_CONFIG_DIR"] = str(work / "config")
    os.environ.setdefault("GLOG_minloglevel", "2")
    if not args.store:
        seed(data)
    annotate(data)

    from PySide6.QtCore import QEventLoop, QPoint, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QToolTip

    import synkimeter.gui  # noqa: F401 - Qt workarounds
    from synkimeter.gui.first_run import FirstRunDialog
    from synkimeter.gui.main_window import MainWindow
    from synkimeter.gui.patients import PatientManager, remember_patient
    from synkimeter.gui.text_size import remember_text_size

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - kept alive for the windows below
    Looped = looped_source()  # noqa: N806
    screen = QGuiApplication.primaryScreen()
    size = f"{screen.size().width()}x{screen.size().height()}"
    if args.text_size != "normal":
        size += f"_{args.text_size}"
    remember_text_size(args.text_size)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for(predicate, timeout_ms: int) -> None:
        for _ in range(timeout_ms // 50):
            if predicate():
                return
            wait(50)

    def shot(name: str) -> None:
        wait(300)
        path = out / f"{size}_{name}.png"
        screen.grabWindow(0).save(str(path))
        small(path)
        print(path)

    # First run, then the window with no patient chosen yet (as after Skip)
    window = MainWindow(cameras=[])
    window.move(0, 0)
    window.show()
    first = FirstRunDialog([], data, sample_available=True, parent=window)
    first.open()
    shot("first_run")
    first.skip_button.click()
    window.guide_to_patient()
    mode = window.record_mode
    mode.page.start_button.click()  # no patient yet: what to do, in big words
    shot("record_no_patient")
    window.close()

    remember_patient("PX-0042")
    window = MainWindow(cameras=[])
    window.move(0, 0)
    window.show()
    wait(500)
    print(f"screen {size}, window {window.frameGeometry().width()}x{window.frameGeometry().height()}, "
          f"minimum {window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}")

    # Live, on the sample clip, after a few blinks
    window.open_source(str(SAMPLES / "right_3mm.mp4"))
    wait(9000)
    shot("live")
    big = window.scores.findChildren(type(window.status))  # a big number's tooltip stays in the normal font
    label = next((w for w in big if w.toolTip() and "30pt" in w.styleSheet()), None)
    if label is not None:
        QToolTip.showText(label.mapToGlobal(QPoint(10, 10)), label.toolTip(), label)
        shot("live_tooltip")
        QToolTip.hideText()
    if args.portrait:
        window.open_source(args.portrait)
        wait(4000)
        shot("live_portrait")
    window.session.stop()

    # Details for the therapist, at the same size
    window.details_button.setChecked(True)
    shot("live_details")
    window.details_button.setChecked(False)

    # My progress (before anything else is recorded), and with the therapist's numbers
    window.modes.setCurrentWidget(window.progress_mode)
    shot("progress")
    window.progress_mode.therapist_box.setChecked(True)
    shot("progress_therapist")
    window.progress_mode.therapist_box.setChecked(False)

    # Record: the full protocol's plan (every task listed), then the home self-check mid-pucker
    mode = window.record_mode
    window.modes.setCurrentWidget(mode)
    mode.page.picker.set_values(protocol_key="full", kind="follow-up")
    mode.page.screen_view.show_plan(__import__("synkimeter.usecases.protocol", fromlist=["protocol"]).protocol("full"))
    shot("record")
    mode.page.picker.set_values(protocol_key="home", kind="self-check")
    mode.start(source=Looped(SAMPLES / "right_3mm.mp4", 8))

    def mid_task():
        s = mode.worker.last_status if mode.worker else None
        return s is not None and s.task_key == "pucker" and s.action and s.repetition == 2

    wait_for(mid_task, 120_000)
    shot("record_running")
    # the sample face never puckers: the ending says so, with the task to redo
    wait_for(lambda: not mode.running, 120_000)
    shot("record_done")

    # Practice, before a set and during one
    window.modes.setCurrentWidget(window.practice_mode)
    window.practice_mode.set_source(str(SAMPLES / "right_3mm.mp4"))
    shot("practice")
    window.practice_mode.start()
    wait(9000)
    shot("practice_running")
    window.practice_mode.stop()
    shot("practice_stopped")

    # The questionnaire (the patient's own answers)
    window.modes.setCurrentWidget(window.questionnaire_mode)
    shot("questionnaire")

    # The patient manager
    dialog = PatientManager(window.current, parent=window)
    dialog.show()
    dialog.session_table.selectRow(1)
    shot("patients")
    dialog.close()

    # The report, now with the guided self-check recorded above (camera, protocol, dropped frames)
    window.modes.setCurrentWidget(window.progress_mode)
    window.progress_mode.report_folder = work / "reports"
    written = window.progress_mode.write_report() if args.text_size == "normal" else None
    if written:
        shot("progress_report_written")
        report_pages(out, written[0])
    window.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
