"""The two window actions of issue 31, for the README: docs/screenshot_share_send.png (the patient's
"Send to my therapist...") and docs/screenshot_share_receive.png (the therapist's patient manager with
"Take in a patient's file..." done).

    xvfb-run -s "-screen 0 1366x768x24" python docs/make_share_screenshots.py

Temporary stores only (simulated clips, no MediaPipe); nothing of the user's is read or changed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def home_store(folder: Path) -> None:
    import numpy as np

    from synkimeter.core.analysis import analyze_landmarks
    from synkimeter.landmarks.series import LandmarkSeries
    from synkimeter.store import Store
    from synkimeter.usecases.saving import save_clip
    from synkimeter_dev.simulate import regular_blinks, simulate

    with Store(folder) as store:
        patient, _ = store.get_or_create_patient("PX-0042", "right")
        for i, (day, coupling) in enumerate((("2026-03-02", 2.1), ("2026-03-16", 1.6), ("2026-03-30", 1.2))):
            session = store.start_session(patient, "self-check", started_at=f"{day}T19:00:00")
            tr = simulate(10.0, blinks=regular_blinks(10.0), coupling_mm={"right": coupling}, seed=i)
            analysis = analyze_landmarks(tr.timestamps_s, tr.points, affected_side="right")
            series = LandmarkSeries(tr.timestamps_s, tr.points, np.ones(tr.timestamps_s.size), 640, 480, 30.0, "sim")
            save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series)
            store.finish_session(session)
        store.add_questionnaire(patient, "2026-03-02", [3, 2, 4, 1, 5, 2, 3, 1, 2])


def main() -> int:
    sys.path.insert(0, str(ROOT))
    tmp = Path(tempfile.mkdtemp(prefix="synkimeter-share-shots-"))
    os.environ["SYNKIMETER_CONFIG_DIR"] = str(tmp / "config")
    from PySide6.QtWidgets import QApplication

    from synkimeter.gui.patients import CurrentPatient, PatientManager
    from synkimeter.gui.share import SendDialog
    from synkimeter.store import Store

    app = QApplication.instance() or QApplication(sys.argv)
    home, clinic, target = tmp / "home", tmp / "clinic", tmp / "PX-0042.synk"
    home_store(home)
    with Store(clinic) as store:
        for code in ("PX-0007", "PX-0019"):
            store.add_patient(code, "left")
    passphrase = "blue heron at dawn"

    def wait(done) -> None:
        while not done():
            app.processEvents()

    send = SendDialog("PX-0042", lambda: Store(home))
    send.path_edit.setText(str(Path.home() / "PX-0042.synk"))
    send.passphrase_edit.setText(passphrase)
    send.again_edit.setText(passphrase)
    send.no_video.setChecked(True)
    send.show()
    send.path_edit.setText(str(target))
    send.start()
    wait(lambda: send.outcome is not None)
    send.path_edit.setText("~/PX-0042.synk")
    send.status.setText(send.status.text().replace(str(target), "~/PX-0042.synk"))
    app.processEvents()
    send.grab().save(str(ROOT / "docs" / "screenshot_share_send.png"))

    manager = PatientManager(CurrentPatient("PX-0007"), store_factory=lambda: Store(clinic))
    manager.show()
    receive = manager.receive_dialog()
    receive.path_edit.setText(str(target))
    receive.passphrase_edit.setText(passphrase)
    receive.show()
    receive.start()
    wait(lambda: receive.outcome is not None)
    receive.path_edit.setText("~/Downloads/PX-0042.synk")
    receive.move(manager.x() + 320, manager.y() + 380)
    app.processEvents()
    canvas = manager.grab()
    from PySide6.QtGui import QPainter

    painter = QPainter(canvas)
    shot = receive.grab()
    painter.drawPixmap(300, 330, shot)
    painter.drawRect(300, 330, shot.width() - 1, shot.height() - 1)
    painter.end()
    canvas.save(str(ROOT / "docs" / "screenshot_share_receive.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
