"""One session numbering everywhere (issue 28): a per-patient #1, #2 ... with the date and time, in the
patient manager and the CLI; clinician's notes with a clinical date (default today, editable; schema
v8); imported sessions without a time show none."""

from __future__ import annotations

import sqlite3
from datetime import date

from legacy_store import MIGRATIONS

from synkimeter.cli import main
from synkimeter.store import DB_NAME, Store
from synkimeter.store.records import session_label, session_numbers, session_when


def _fill(folder):
    with Store(folder) as store:
        other = store.add_patient("PX-OTHER")
        for day in ("2026-01-02T09:00:00", "2026-01-03T09:00:00"):
            store.finish_session(store.start_session(other, "follow-up", started_at=day))
        patient = store.add_patient("PX-28")
        late = store.start_session(patient, "follow-up", started_at="2026-02-10T17:30:00")
        store.finish_session(late)
        early = store.start_session(patient, "baseline", started_at="2026-01-20")  # imported: a date alone
        store.finish_session(early)
        return late.id, early.id


def test_one_numbering_and_no_made_up_time(tmp_path, monkeypatch, capsys, qtbot):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    late, early = _fill(folder)
    assert late > 2  # the store's ids are not the patient's numbers
    with Store() as store:
        sessions = store.sessions(store.require_patient("PX-28"))
        assert session_numbers(sessions) == {early: 1, late: 2}
        assert session_when(sessions[0].started_at) == "2026-01-20"  # never "00:00"
        assert session_label(2, sessions[1]) == "#2 · 2026-02-10 17:30"
    assert main(["sessions", "PX-28"]) == 0
    out = capsys.readouterr().out
    assert "   #1  2026-01-20  " in out and "   #2  2026-02-10 17:30" in out and "00:00" not in out
    assert main(["note", "PX-28", "Botox", "given.", "--session", "#2", "--date", "2026-02-01"]) == 0
    assert "(session #2)" in capsys.readouterr().out
    assert main(["patients", "PX-28"]) == 0
    out = capsys.readouterr().out
    assert "#1 · 2026-01-20" in out and "note 2026-02-01 (session #2): Botox given." in out

    from synkimeter.gui.patients import CurrentPatient, NoteDialog, PatientManager

    manager = PatientManager(CurrentPatient("PX-28"))
    qtbot.addWidget(manager)
    table = manager.session_table
    assert [table.item(r, 0).text() for r in range(2)] == ["#1", "#2"]
    assert [table.item(r, 1).text() for r in range(2)] == ["2026-01-20", "2026-02-10 17:30"]
    table.selectRow(0)
    assert manager.selected_session_id == early
    assert manager.add_note("Started mirror therapy.", day="2026-01-15")
    notes = manager.clinician_notes.text()
    assert "2026-01-15 (session #1): Started mirror therapy." in notes
    assert notes.index("2026-01-15") < notes.index("2026-02-01")  # by clinical date
    from synkimeter.report.document import build_report

    with Store() as store:  # the report numbers and dates them alike
        html, _ = build_report(store, store.require_patient("PX-28"), pictures=False, grades_for=lambda st, sid: None)
    assert "00:00" not in html and "Session 1" not in html.replace("Session 1 ", "")
    assert "<td>2026-02-01</td>\n<td>#2</td>\n<td>Botox given.</td>" in html  # the clinical date, #2
    dialog = NoteDialog("A note")
    qtbot.addWidget(dialog)
    assert dialog.values() == ("", date.today().isoformat())  # the clinical date is today unless changed


def test_a_v6_store_gains_note_dates(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_NAME)
    for _version, step in MIGRATIONS:
        step(conn)
    conn.execute("PRAGMA user_version = 6")
    conn.execute("INSERT INTO patients (pseudonym, affected_side, created) VALUES ('OLD-6', 'left', '2025-01-01')")
    conn.execute("INSERT INTO notes (patient_id, session_id, created, text) VALUES (1, NULL, '2025-03-04T10:00:00', 'x')")
    conn.commit()
    conn.close()
    with Store(folder) as store:
        patient = store.require_patient("OLD-6")
        (old,) = store.notes(patient)
        assert old["day"] == "2025-03-04"  # a note kept before v8: the day it was typed
        store.add_note(patient, "y", day="2025-02-01")
        assert [n["text"] for n in store.notes(patient)] == ["y", "x"]
