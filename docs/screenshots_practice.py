"""Screenshots of the practice mode: a set in progress and its summary (offscreen Qt).

    QT_QPA_PLATFORM=offscreen python docs/screenshots_practice.py

A patient whose baseline is sample_videos/right_3mm.mp4 (right side, 2.72 mm), with five weeks of
practice history, replays right_3mm.mp4 (coupled: in progress) and healthy.mp4 (clean: summary).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GLOG_minloglevel", "2")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import synkimeter.gui  # noqa: E402,F401
from synkimeter.cli.practice import create_practice_window  # noqa: E402
from synkimeter.store import Store  # noqa: E402
from synkimeter.usecases.saving import import_video  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PATIENT = "PX-0042"


def wait(app, ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(app, predicate, timeout_ms: int) -> bool:
    for _ in range(timeout_ms // 50):
        if predicate():
            return True
        wait(app, 50)
    return predicate()


def seed_store(folder: Path) -> None:
    from synkimeter.landmarks import extract_landmarks

    with Store(folder) as store:
        npz = extract_landmarks(str(ROOT / "sample_videos" / "right_3mm.mp4")).save_npz(folder / "baseline.npz")
        import_video(store, npz, PATIENT, kind="baseline", affected_side="right", date="2025-01-10")
        patient = store.patient(PATIENT)
        today = date.today()
        # five weeks of practice, getting cleaner; practised the last four days in a row
        days = [today - timedelta(days=d) for d in (33, 31, 29, 26, 24, 20, 18, 17, 13, 11, 10, 8, 6, 4, 3, 2, 1)]
        for i, d in enumerate(days):
            clean = min(20, 6 + i)
            store.add_practice_set(patient, {
                "started_at": f"{d.isoformat()}T18:00:00", "kind": "blink", "affected_side": "right",
                "target": 1.3, "unit": "mm", "attempts": 20, "judged": 20, "clean": clean,
                "median_value": 1.8 - 0.05 * i, "duration_s": 85.0, "source_name": "Camera 0", "attempts_json": []})


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp(prefix="synk-shots-"))
    seed_store(folder)
    clip = ROOT / "sample_videos" / "right_3mm.mp4"
    window = create_practice_window(str(clip), PATIENT, None, 20, "blink", str(folder), start=True)
    window.resize(1280, 720)
    window.show()
    panel = window.panel
    # in progress: a few blinks in, just after a verdict
    wait_for(app, lambda: len(panel.attempts) >= 5, 30000)
    wait(app, 120)
    window.grab().save(str(ROOT / "docs" / "screenshot_practice.png"))
    panel.stop()
    panel.set_source(str(ROOT / "sample_videos" / "healthy.mp4"))
    panel.count_override = 8
    panel.start()
    wait_for(app, lambda: panel.pages.currentIndex() == 1, 40000)
    wait(app, 200)
    window.grab().save(str(ROOT / "docs" / "screenshot_practice_summary.png"))
    window.close()
    print("attempts:", [(a.clean, round(a.value, 2)) for a in panel.last_result.attempts])
    return 0


if __name__ == "__main__":
    sys.exit(main())
