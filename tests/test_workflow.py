"""Issue 16: one current patient across the window (remembered), the patient manager, and the same
record management from the CLI (rename, delete, sessions, notes), with one-sentence errors and exit 2."""

from __future__ import annotations

import json
import os
import stat

import pytest

from synkimeter.cli import main
from synkimeter.store import Store
from synkimeter.usecases.saving import save_clip


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    return folder


def _session(store, pseudonym, started_at, kind="follow-up", clip=True, side="right"):
    patient, _ = store.get_or_create_patient(pseudonym, side)
    session = store.start_session(patient, kind, protocol="home", started_at=started_at)
    if clip:
        c = store.begin_clip(session, "natural_blinking", source_name="Camera 0")
        save_clip(store, c, summary={"fps": 30.0, "frames": 300, "face_frames": 297, "ocular_oral": {}})
        (store.session_dir(patient.id, session.id) / "0001-extra.mp4").write_bytes(b"x")
    return store.finish_session(session, "complete")


@pytest.fixture
def filled(data_dir):
    with Store() as store:
        _session(store, "PX-1", "2026-01-10T09:00:00", "baseline")
        _session(store, "PX-1", "2026-02-10T09:00:00")
        _session(store, "PX-1", "2026-02-10T17:30:00", "self-check")
        _session(store, "PX-2", "2026-03-01T10:00:00", "baseline", side="left")
    return data_dir


# --- store ---------------------------------------------------------------------------------------
def test_store_rename_delete_correct_and_note(filled):
    with Store() as store:
        renamed = store.rename_patient("PX-1", "PX-9")
        assert store.patient("PX-1") is None and len(store.sessions(renamed)) == 3
        with pytest.raises(Exception, match="already exists"):
            store.rename_patient("PX-9", "PX-2")
        with pytest.raises(Exception, match="pseudonym"):
            store.rename_patient("PX-9", "")
        first = store.sessions(renamed)[0]
        fixed = store.update_session(first, kind="follow-up", started_at="2026-01-11", notes="camera moved")
        assert (fixed.kind, fixed.started_at, fixed.notes) == ("follow-up", "2026-01-11T09:00:00", "camera moved")
        store.add_note(renamed, "Mirror therapy started.")
        store.add_note(renamed, "Botox two weeks before.", fixed)
        notes = store.notes(renamed)
        assert [n["text"] for n in notes] == ["Mirror therapy started.", "Botox two weeks before."]
        assert notes[1]["session_id"] == fixed.id
        folder = store.folder / "clips" / f"p{renamed.id:04d}"
        assert folder.is_dir()
        assert store.delete_patient("PX-9") == 3
        assert store.patient("PX-9") is None and not folder.exists()
        assert store.conn.exec_driver_sql("SELECT COUNT(*) FROM notes").fetchone()[0] == 0  # the notes went too
        assert [p.pseudonym for p in store.patients()] == ["PX-2"]


def test_a_stopped_recording_that_kept_nothing_leaves_no_session(data_dir):
    from synkimeter.usecases.protocol import ProtocolRunner, protocol
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    with Store() as store:
        patient, _ = store.get_or_create_patient("PX-STOP")
        runner = ProtocolRunner(store, patient, protocol("home", DEFAULT_SETTINGS), record_video=False)
        runner.begin()
        runner.skip_setup()  # the session now exists, the first task not yet finished
        assert len(store.sessions(patient)) == 1
        status = runner.interrupt("Stopped.")
        assert "Nothing was recorded" in status.message and runner.session is None
        assert store.sessions(patient) == []


# --- CLI -----------------------------------------------------------------------------------------
def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_rename_delete_sessions_and_notes(filled, capsys):
    code, out, _ = _run(capsys, "sessions", "PX-1")
    assert code == 0 and out.count("\n") == 4 and "2026-02-10 17:30" in out and "self-check" in out
    code, out, _ = _run(capsys, "patients", "rename", "PX-1", "PX-7")
    assert code == 0 and "'PX-1' is now 'PX-7'" in out
    code, out, _ = _run(capsys, "note", "PX-7", "Started", "mirror", "therapy.")
    assert code == 0
    sid = 2  # the patient's second session: #2, as the patient manager and the report number it
    code, out, _ = _run(capsys, "note", "PX-7", "Botox before this one.", "--session", f"#{sid}", "--date",
                        "2026-02-09")
    assert code == 0 and f"session #{sid}" in out
    code, out, _ = _run(capsys, "patients", "PX-7")
    assert "Started mirror therapy." in out and f"note 2026-02-09 (session #{sid}): Botox" in out
    code, out, _ = _run(capsys, "sessions", "edit", "PX-7", str(sid), "--kind", "baseline", "--date", "2026-02-11",
                        "--notes", "new camera")
    assert code == 0 and "2026-02-11 09:00" in out and "baseline" in out and "new camera" in out
    code, _, err = _run(capsys, "sessions", "delete", "PX-7", str(sid))
    assert code == 2 and "--yes" in err and err.count("\n") == 1
    code, out, _ = _run(capsys, "sessions", "delete", "PX-7", str(sid), "--yes")
    assert code == 0
    with Store() as store:
        assert len(store.sessions(store.require_patient("PX-7"))) == 2
    code, _, err = _run(capsys, "patients", "delete", "PX-7")
    assert code == 2 and "--yes" in err
    code, out, _ = _run(capsys, "patients", "delete", "PX-7", "--yes")
    assert code == 0 and "2 session(s)" in out
    code, out, _ = _run(capsys, "patients")
    assert "PX-7" not in out and "PX-2" in out


@pytest.mark.parametrize("argv, words", [
    (("patients", "rename", "PX-1", "PX-2"), "already exists"),
    (("patients", "rename", "NOBODY", "PX-5"), "no patient 'NOBODY'"),
    (("patients", "rename", "PX-1"), "old and the new id"),
    (("patients", "rename", "PX-1", "\u200bPX"), "visible characters"),
    (("patients", "delete", "NOBODY", "--yes"), "no patient 'NOBODY'"),
    (("sessions", "NOBODY"), "no patient 'NOBODY'"),
    (("sessions", "delete", "PX-1", "99", "--yes"), "has no session 99"),
    (("sessions", "delete", "PX-1", "x", "--yes"), "not a session number"),
    (("sessions", "edit", "PX-1", "1"), "--kind, --date and/or --notes"),
    (("sessions", "edit", "PX-1", "1", "--date", "2026-13-40"), "is not a date"),
    (("note", "PX-1", "  "), "needs some text"),
    (("note", "PX-2", "x", "--session", "9"), "has no session 9"),  # numbered per patient: #1 is its own
])
def test_cli_bad_input_is_one_sentence_and_exit_2(filled, capsys, argv, words):
    code, _, err = _run(capsys, *argv)
    assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err


# --- the window ----------------------------------------------------------------------------------
def _window(qtbot):
    from synkimeter.gui.main_window import MainWindow

    window = MainWindow(cameras=[])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)  # its first look at the store, on a worker thread
    return window


def test_one_current_patient_across_the_window_remembered_between_launches(qtbot, filled):
    from synkimeter.gui.patients import window_state_path

    window = _window(qtbot)
    # two patients and none remembered: nobody's data is shown (not the alphabetically first)
    assert window.current.pseudonym == "" and "no patient" in window.windowTitle()
    window.modes.setCurrentWidget(window.progress_mode)
    assert window.progress_mode.trends is None and "Patients…" in window.progress_mode.summary.text()
    assert window.record_mode.start(values={**window.record_mode.page.picker.values()}, source="x.mp4") is False

    window.current.set("PX-1")
    assert "PX-1" in window.windowTitle() and "PX-1" in window.patient_label.text()
    assert window.progress_mode.pseudonym == "PX-1" and window.progress_mode.trends is not None
    assert window.record_mode.page.picker.values()["patient"] == "PX-1"
    assert window.practice_mode.patient == "PX-1" and "PX-1" in window.practice_mode.patient_label.text()
    window.modes.setCurrentWidget(window.record_mode)
    assert window.record_mode.page.picker.values()["affected_side"] == "right"  # the stored side follows
    path = window_state_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["current_patient"][str(filled.resolve())] == "PX-1"
    window.close()

    again = _window(qtbot)  # a new launch opens on the same patient
    assert again.current.pseudonym == "PX-1" and "PX-1" in again.windowTitle()
    again.close()


def test_patient_manager_adds_renames_deletes_and_corrects(qtbot, filled):
    from synkimeter.gui.patients import CurrentPatient, PatientManager

    current = CurrentPatient("PX-1")
    seen = []
    current.changed.connect(seen.append)
    dialog = PatientManager(current)
    qtbot.addWidget(dialog)
    assert dialog.selected == "PX-1" and dialog.session_table.rowCount() == 3
    assert dialog.session_table.item(2, 1).text() == "2026-02-10 17:30"

    assert dialog.add_patient("PX-1") is None and "already exists" in dialog.message.text()
    assert dialog.add_patient("PX-3") == "PX-3" and dialog.selected == "PX-3" and dialog.session_table.rowCount() == 0

    dialog.refresh(select="PX-1")
    dialog.ask_text = lambda *a, **k: "PX-11"
    assert dialog.rename_patient() and current.pseudonym == "PX-11" and seen[-1] == "PX-11"

    dialog.session_table.selectRow(0)
    assert dialog.edit_session({"kind": "follow-up", "started_at": "2026-01-09T08:15:00", "notes": "wrong day fixed"})
    assert dialog.session_table.item(0, 1).text() == "2026-01-09 08:15"
    assert dialog.session_table.item(0, 2).text() == "Follow-up" and dialog.session_table.item(0, 5).text() == "wrong day fixed"

    dialog.session_table.selectRow(0)
    dialog.ask_note = lambda *a, **k: ("Patient reports less tightness.", "2026-01-09")  # text, clinical date
    assert dialog.add_note() and "2026-01-09 (session #1): Patient reports less tightness." in \
        dialog.clinician_notes.text()

    dialog.confirm = lambda *a: False  # "Cancel": nothing happens
    dialog.session_table.selectRow(1)
    assert not dialog.delete_session() and dialog.session_table.rowCount() == 3
    dialog.confirm = lambda *a: True
    assert dialog.delete_session() and dialog.session_table.rowCount() == 2

    with Store() as store:
        patient = store.require_patient("PX-11")
        folder = store.folder / "clips" / f"p{patient.id:04d}"
        assert store.notes(patient)[0]["session_id"] == store.sessions(patient)[0].id
    assert folder.is_dir()
    assert dialog.delete_patient() and current.pseudonym == "" and not folder.exists()
    names = [dialog.patient_list.item(i).data(0x0100) for i in range(dialog.patient_list.count())]
    assert "PX-11" not in names and "PX-2" in names

    dialog.refresh(select="PX-2")
    dialog.use_selected()
    assert current.pseudonym == "PX-2"


def test_session_editor_gives_the_corrected_values(qtbot, filled):
    from synkimeter.gui.patients import SessionEditor

    with Store() as store:
        session = store.sessions(store.require_patient("PX-1"))[2]
    editor = SessionEditor(session)
    qtbot.addWidget(editor)
    assert editor.values() == {"kind": "self-check", "started_at": "2026-02-10T17:30:00", "notes": ""}
    editor.kind_box.setCurrentIndex(editor.kind_box.findData("follow-up"))
    editor.notes.setText("  at the clinic ")
    assert editor.values()["kind"] == "follow-up" and editor.values()["notes"] == "at the clinic"


def test_window_state_file_is_private_even_with_a_loose_umask(tmp_path, monkeypatch, filled):
    from synkimeter.gui.patients import remember_patient, remembered_patient, window_state_path

    monkeypatch.setenv("SYNKIMETER_CONFIG_DIR", str(tmp_path / "cfg"))
    old = os.umask(0)
    try:
        remember_patient("PX-2")
    finally:
        os.umask(old)
    assert remembered_patient() == "PX-2"
    assert stat.S_IMODE(window_state_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(window_state_path().parent.stat().st_mode) == 0o700
    window_state_path().write_text("not json")
    assert remembered_patient() == ""  # a damaged file forgets, never fails


# --- the display and Qt's system libraries ----------------------------------------------------------
def test_display_check_names_what_is_missing():
    from synkimeter.cli.display import display_problem

    everything = lambda soname: True  # noqa: E731
    assert display_problem({"DISPLAY": ":0"}, everything, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, everything, "linux") is None
    assert display_problem({}, everything, "darwin") is None
    no_display = display_problem({}, everything, "linux")
    assert "no display" in no_display and "DISPLAY" in no_display and no_display.count(". ") == 0
    assert "no display" in display_problem({"QT_QPA_PLATFORM": "xcb"}, everything, "linux")
    lacking = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    text = display_problem({"DISPLAY": ":0"}, lambda s: s not in lacking, "linux")
    assert "libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1" in text and "sudo apt install" in text
    # a Wayland session uses Qt's wayland plugin: the X libraries are not needed
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"},
                           lambda s: False, "linux") is None


def test_gui_without_a_display_exits_2_with_one_sentence(monkeypatch, capsys):
    import sys

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    for argv in (["gui"], ["practice"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "no display" in err and err.count("\n") == 1


# --- the report ------------------------------------------------------------------------------------
def test_report_shows_sources_quality_notes_and_same_day_sessions(filled):
    from synkimeter.report.document import build_report

    with Store() as store:
        patient = store.require_patient("PX-1")
        store.add_note(patient, "Mirror therapy <started>.")
        text, images = build_report(store, patient)
    assert "Recordings: source and quality" in text and "Camera 0" in text
    assert "Clinician's notes" in text and "Mirror therapy &lt;started&gt;." in text
    assert "guided: home self-check" in text  # the protocol used
    assert "99 %" in text  # 297 of 300 frames with a face
    assert text.count("<thead>") >= 3 and "page-break-inside: avoid" in text  # headers repeat on every page
    assert "Ocular score (100 = none)" in text


def test_report_plot_gives_same_day_sessions_their_own_place():
    from types import SimpleNamespace as NS

    from synkimeter.report.figures import svg_bytes, trend_figure

    pts = [NS(started_at=t, session_id=i, value=v, ci_low=None, ci_high=None, baseline=i == 1, date=t[:10])
           for i, (t, v) in enumerate((("2026-02-10T09:00:00", 1.0), ("2026-02-10T17:30:00", 2.0)), 1)]
    fig = trend_figure([NS(points=pts, side="right")], "A title long enough to need a second line when the plot is "
                       "narrow, as the report's first trend title is", "mm")
    line = next(ln for ln in fig.axes[0].lines if len(ln.get_xdata()) == 2)
    first, second = (float(x) for x in line.get_xdata())  # matplotlib's date numbers: days
    assert second - first == pytest.approx(8.5 / 24)  # at their times of day, not on one place
    assert svg_bytes(fig).lstrip().startswith(b"<?xml")
