"""Guided recordings (issue 5): protocol definitions, the Qt-free runner (every frame recorded, clips
analysed and stored, interruptions keep finished tasks), a recording killed mid-task, and the window:
a protocol recorded from a replayed sample clip, reopened after a restart, trended over three sessions
and reported (CSV, HTML, PDF)."""

from __future__ import annotations

import csv
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from fakes import UnpluggedCamera

from synkimeter.capture import VideoFileSource
from synkimeter.store import DB_NAME, Store
from synkimeter.usecases.protocol import PROTOCOL_KEYS, ProtocolRunner, protocol, record_protocol
from synkimeter.usecases.settings import DEFAULT_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
# The protocols shortened so that they fit in one 22 s sample clip.
SHORT = dict(protocol_countdown_s=0.3, protocol_rest_s=2.0, protocol_blinking_s=5.0, protocol_repetitions=2,
             protocol_lead_in_s=0.5, protocol_hold_s=0.6, protocol_forceful_hold_s=0.4, protocol_relax_s=0.6,
             # the set-up check passes at the first right frame, so the tasks fall where the clips' blinks
             # are (the check itself: test_setup_check.py)
             protocol_setup_hold_s=0.0)
PARAMS = DEFAULT_SETTINGS.with_overrides(**SHORT)
# The full protocol's eight tasks in 20.9 s (with countdowns): each task's clip is 2.1 s, over the 2 s a
# clip needs to be measured.
FULL = DEFAULT_SETTINGS.with_overrides(**{**SHORT, **dict(
    protocol_countdown_s=0.15, protocol_rest_s=2.1, protocol_lead_in_s=0.3, protocol_hold_s=0.45,
    protocol_forceful_hold_s=0.45, protocol_relax_s=0.45)})


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    return folder


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in (folder / "clips").rglob(".*") if ".part" in p.name or p.name.endswith(".tmp")]


def _video_frames(path: Path) -> int:
    from synkimeter.capture._cv import cv2

    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


# --- definitions ---------------------------------------------------------------------------------
def test_protocols_are_defined_once_from_params():
    home, full = protocol("home"), protocol("full")
    assert set(PROTOCOL_KEYS) == {"home", "full"}
    assert [t.key for t in home.tasks] == ["rest", "natural_blinking", "pucker"]
    # Sunnybrook's five voluntary movements, in its order, after the rest and blinks
    assert [t.key for t in full.tasks] == ["rest", "natural_blinking", "brow_lift", "gentle_closure", "forceful_blink",
                                          "smile", "snarl", "pucker"]
    assert home.default_kind == "self-check"
    blinking = full.tasks[1]
    assert blinking.duration_s == DEFAULT_SETTINGS.protocol_blinking_s == 20.0
    by_key = {t.key: t for t in full.tasks}
    for key in ("brow_lift", "snarl"):  # held and repeated like the smile, in plain words
        assert by_key[key].repetitions == 3 and sum(s.action for s in by_key[key].steps) == 3
        assert by_key[key].steps[1].action and not by_key[key].steps[2].action
    assert by_key["brow_lift"].instruction == "Raise your eyebrows as high as you can and hold it. Then relax."
    assert "upper lip" in by_key["snarl"].instruction and "nose" in by_key["snarl"].instruction
    smile = by_key["smile"]
    assert smile.repetitions == 3 and sum(s.action for s in smile.steps) == 3
    assert smile.duration_s == pytest.approx(DEFAULT_SETTINGS.protocol_lead_in_s + 3 * (
        DEFAULT_SETTINGS.protocol_hold_s + DEFAULT_SETTINGS.protocol_relax_s))
    # the step shown at a time
    i, step, left = smile.step_at(DEFAULT_SETTINGS.protocol_lead_in_s + 0.5)
    assert step.action and step.repetition == 1 and left == pytest.approx(DEFAULT_SETTINGS.protocol_hold_s - 0.5)
    short = protocol("full", FULL)
    assert short.duration_s(FULL) == pytest.approx(20.9)
    assert all(t.repetitions == 2 for t in short.tasks[2:])


def test_every_task_the_store_knows_is_worded_and_checked():
    """The import command's task list (the store's) and the protocol's words agree; each of Sunnybrook's
    movements is checked before it is scored."""
    from synkimeter.core.task_check import CHECKED
    from synkimeter.store.choices import TASKS
    from synkimeter.usecases.protocol import TASK_TEXT

    assert set(TASKS) == set(TASK_TEXT)
    assert {"brow_lift", "gentle_closure", "smile", "snarl", "pucker"} <= set(CHECKED)


# --- the runner without Qt -----------------------------------------------------------------------
def test_full_protocol_records_every_frame_and_stores_each_task(tmp_path):
    with Store(tmp_path / "store") as store:
        patient = store.add_patient("P-1", "right")
        runner = ProtocolRunner(store, patient, protocol("full", FULL), "baseline", FULL, source_name="right_3mm.mp4")
        seen = []
        status = record_protocol(VideoFileSource(SAMPLES / "right_3mm.mp4"), runner, FULL, on_status=seen.append)
        # The sample face only blinks: its eye closures, smiles and puckers never happen, so those
        # tasks are flagged and not scored (core.task_check, the expression finder's definition).
        assert status.phase == "done" and [r.ok for r in status.finished] == [True, True] + [False] * 6
        assert all(r.text.endswith("not seen - try again") for r in status.finished[2:]), [r.text for r in status.finished]
        assert {s.phase for s in seen} >= {"countdown", "recording", "done"}
        assert any(s.cue.startswith("Smile big") and s.action and s.repetition == 2 for s in seen)
        (session,) = store.sessions(patient)
        assert session.status == "complete" and session.protocol == "full" and session.kind == "baseline"
        assert session.ocular_score is None  # no smile or pucker happened: nothing to score
        clips = store.clips(session)
        assert [c.task for c in clips] == [t.key for t in protocol("full").tasks]
        assert [c.status for c in clips] == ["complete", "complete"] + ["failed"] * 6
        assert all("not seen" in c.error for c in clips[2:])
        for clip, task in zip(clips[:2], protocol("full", FULL).tasks):
            series = store.load_series(clip)
            # every frame of the task: the file's 30 frames/s, no gaps, times from 0
            assert len(series) == pytest.approx(task.duration_s * 30, abs=1.5)
            assert series.timestamps_s[0] == 0.0
            assert np.allclose(np.diff(series.timestamps_s), 1 / 30, atol=2e-3)
            assert series.face_fraction == 1.0
            # the video holds the same frames as the landmarks
            assert _video_frames(store.folder / clip.video_path) == len(series)
        blink = store.summary(clips[1])["ocular_oral"]
        assert blink["right"]["average_peak_mm"] > blink["left"]["average_peak_mm"] + 0.8
        assert not _leftovers(store.folder)

def test_camera_unplugged_mid_task_keeps_finished_tasks(tmp_path):
    # home protocol: countdown 0.3 s, rest 2 s, countdown, natural blinking 5 s: frame 150 is mid-blinking
    with Store(tmp_path / "store") as store:
        patient = store.add_patient("P-2")
        runner = ProtocolRunner(store, patient, protocol("home", PARAMS), None, PARAMS)
        status = record_protocol(UnpluggedCamera(SAMPLES / "healthy.mp4", fail_after=150, realtime=False), runner, PARAMS)
        assert status.phase == "interrupted"
        assert "unplugged" in status.message and "1 finished task was kept" in status.message
        (session,) = store.sessions(patient)
        assert session.status == "incomplete" and session.kind == "self-check"
        rest, blinking = store.clips(session)
        assert rest.status == "complete" and store.load_series(rest) is not None
        assert blinking.status == "failed" and "unplugged" in blinking.error
        assert not _leftovers(store.folder)
    with Store(tmp_path / "store") as store:  # reopens cleanly
        assert store.problems == [] and store.integrity_check() == "ok"


def test_stopping_keeps_finished_tasks(tmp_path):
    import threading

    stop = threading.Event()
    with Store(tmp_path / "store") as store:
        patient = store.add_patient("P-3")
        runner = ProtocolRunner(store, patient, protocol("home", PARAMS), None, PARAMS)

        def on_status(status):
            if status.phase == "recording" and status.task_key == "natural_blinking":
                stop.set()

        status = record_protocol(VideoFileSource(SAMPLES / "healthy.mp4"), runner, PARAMS, stop=stop, on_status=on_status)
        assert status.phase == "interrupted" and "stopped before the end" in status.message
        session = store.sessions(patient)[0]
        assert session.status == "incomplete"
        assert [(c.task, c.status) for c in store.clips(session)] == [("rest", "complete"), ("natural_blinking", "failed")]


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from synkimeter.capture import VideoFileSource
    from synkimeter.usecases.settings import DEFAULT_SETTINGS
    from synkimeter.usecases.protocol import ProtocolRunner, protocol, record_protocol
    from synkimeter.store import Store
    params = DEFAULT_SETTINGS.with_overrides(**{short!r})
    store = Store(sys.argv[1])
    patient = store.add_patient("KILLED-1", "right")
    runner = ProtocolRunner(store, patient, protocol("full", params), "baseline", params)
    # replayed in real time, like a camera: the parent kills this process mid-task
    record_protocol(VideoFileSource(sys.argv[2], realtime=True), runner, params)
    print("finished")
""").format(short=SHORT)


def test_recording_killed_mid_task_keeps_finished_tasks(tmp_path):
    folder = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(folder), str(SAMPLES / "right_3mm.mp4")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def state():
        try:
            with sqlite3.connect(f"file:{folder / DB_NAME}?mode=ro", uri=True, timeout=5) as conn:
                return conn.execute("SELECT task, status FROM clips ORDER BY id").fetchall()
        except sqlite3.Error:
            return []

    try:
        deadline = time.monotonic() + 120
        # wait until two tasks are stored and the third is being recorded, with its video growing
        while time.monotonic() < deadline:
            rows = state()
            if len(rows) >= 3 and [s for _t, s in rows[:2]] == ["complete", "complete"] and rows[2][1] == "recording":
                parts = list((folder / "clips").rglob(".*.part.mp4"))
                if parts and parts[0].stat().st_size > 0:
                    break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            pytest.fail(f"the recording did not reach its third task: {state()}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with Store(folder) as store:
        assert any("interrupted" in p for p in store.problems)
        assert store.integrity_check() == "ok"
        patient = store.require_patient("KILLED-1")
        (session,) = store.sessions(patient)
        assert session.status == "incomplete"
        clips = store.clips(session)
        assert [(c.task, c.status) for c in clips[:2]] == [("rest", "complete"), ("natural_blinking", "complete")]
        assert clips[2].status == "incomplete"
        for clip in clips[:2]:
            assert len(store.load_series(clip)) > 0 and (store.folder / clip.video_path).is_file()
        assert store.summary(clips[1])["ocular_oral"]["right"]["average_peak_mm"] > 1.0
        assert store.verify(deep=True) == []
        assert not _leftovers(folder)  # the half-written video is gone


# --- the window ----------------------------------------------------------------------------------
def _record(qtbot, window, clip: str, protocol_key: str, kind: str, patient="GUI-7", side="right"):
    window.modes.setCurrentWidget(window.record_mode)
    window.record_mode.page.picker.set_values(patient, side, protocol_key, kind)
    assert window.record_mode.start(source=VideoFileSource(SAMPLES / clip))
    assert not window.modes.isTabEnabled(0)  # other modes wait while recording
    qtbot.waitUntil(lambda: not window.record_mode.running, timeout=180_000)
    return window.record_mode


def _window(qtbot, params=PARAMS):
    from synkimeter.gui.main_window import MainWindow

    window = MainWindow(params, cameras=[])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)  # its first look at the store, on a worker thread
    return window


def test_window_records_reopens_trends_and_reports(qtbot, data_dir, tmp_path):
    window = _window(qtbot, FULL)
    # Each tab's whole name (its tooltip: a narrow window shows "Record", "Progress" on the tab itself).
    tabs = [window.modes.tabToolTip(i) or window.modes.tabText(i) for i in range(window.modes.count())]
    assert tabs[0] == "Live" and {"Record a session", "My progress"} <= set(tabs)
    mode = _record(qtbot, window, "right_3mm.mp4", "full", "baseline")
    screen = mode.page.screen_view
    # the sample face only blinks: six tasks not recorded, said so, with a redo offered
    assert screen.cue.text() == "2 of 8 tasks recorded" and "saved" in screen.message.text()
    assert "Brow lift, Gentle eye closure, Forceful blink, Big smile, Snarl and Pucker" in screen.message.text()
    assert mode.page.progress_button.isVisible() and mode.page.redo_button.isVisible()
    assert "mouth corners moved right 2." in screen.tasks.text()
    window.close()

    with Store() as store:  # the data is where SYNKIMETER_DATA_DIR says, and complete
        patient = store.require_patient("GUI-7")
        assert patient.affected_side == "right"
        (session,) = store.sessions(patient)
        assert session.status == "complete" and len(store.clips(session)) == 8

    # restart: a new window and new stores see the patient and add two follow-ups
    window = _window(qtbot)
    window.modes.setCurrentWidget(window.record_mode)
    assert window.current.pseudonym == "GUI-7"  # the current patient is remembered between launches
    assert "GUI-7" in window.windowTitle() and window.record_mode.page.picker.values()["patient"] == "GUI-7"
    _record(qtbot, window, "right_1mm.mp4", "home", "follow-up")
    _record(qtbot, window, "healthy.mp4", "home", "follow-up")
    mode = window.record_mode
    assert mode.page.progress_button.isVisible()
    qtbot.mouseClick(mode.page.progress_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.LeftButton)
    view = window.progress_mode
    assert window.modes.currentWidget() is view and view.pseudonym == "GUI-7"
    right = view.trends.get("ocular_oral_average_peak", "right").points
    assert len(right) == 3 and right[0].baseline and right[0].ci_low is not None
    assert right[0].value > right[1].value > right[2].value
    assert "a real improvement" in view.cards["right"].sentence.text()
    assert "less when you blink than at your first visit" in view.cards["right"].sentence.text()
    assert "mm" in view.cards["right"].detail.text() and "noise" in view.cards["right"].detail.text()
    assert "improved" in view.table.text()

    pdf, html = view.write_report()
    assert pdf.parent == data_dir / "reports" and str(pdf.parent) in view.report_label.text()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
    text = html.read_text(encoding="utf-8")
    assert "GUI-7" in text and "blink-averaged" in text and "improved" in text
    from synkimeter.report import write_csv

    with Store() as store:
        rows = write_csv(store, "GUI-7", tmp_path / "gui7.csv")
    assert rows == 8 + 3 + 3
    with open(tmp_path / "gui7.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    blinks = [r for r in table if r["task"] == "natural_blinking"]
    assert [r["kind"] for r in blinks] == ["baseline", "follow-up", "follow-up"]
    assert all(r["right_average_ci_low_mm"] for r in blinks)
    window.close()


def test_closing_the_window_mid_recording_keeps_finished_tasks(qtbot, data_dir):
    window = _window(qtbot)
    window.modes.setCurrentWidget(window.record_mode)
    window.record_mode.page.picker.set_values("GUI-8", None, "home", "self-check")
    assert window.record_mode.start(source=VideoFileSource(SAMPLES / "healthy.mp4", realtime=True))
    qtbot.waitUntil(lambda: (window.record_mode.worker is not None and window.record_mode.worker.last_status is not None
                             and window.record_mode.worker.last_status.task_key == "natural_blinking"
                             and window.record_mode.worker.last_status.phase == "recording"), timeout=60_000)
    # the screen shows the prompt and a countdown meanwhile (the worker's status reaches the screen
    # through a queued signal, a moment after the worker has it)
    qtbot.waitUntil(lambda: window.record_mode.page.screen_view.cue.text() == "Blink naturally", timeout=5_000)
    assert window.record_mode.page.screen_view.countdown.text().isdigit()
    window.close()
    with Store() as store:
        (session,) = store.sessions(store.require_patient("GUI-8"))
        assert session.status == "incomplete"
        assert [(c.task, c.status) for c in store.clips(session)] == [("rest", "complete"), ("natural_blinking", "failed")]
