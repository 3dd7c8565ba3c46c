"""The patient's Synkinesis Assessment Questionnaire (SAQ, issue 27): the total and its checks, the answers
kept per day on both store backends, the command line (each bad input one sentence, exit 2, nothing
written), the window's page (nine answers, save, in the store and on My progress) and the report."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from datetime import date  # noqa: E402

import pytest  # noqa: E402
from test_robustness import one_sentence, run_cli  # noqa: E402

from synkimeter.core.questionnaire import (  # noqa: E402
    SAQ_ANSWERS,
    SAQ_ITEMS,
    SAQ_SDC_POINTS,
    SaqChange,
    SaqError,
    check_saq,
    parse_saq,
    saq_total,
)
from synkimeter.store import Store  # noqa: E402

EXAMPLE = (3, 2, 4, 1, 5, 2, 3, 1, 2)  # sum 23 -> 23 / 45 x 100 = 51.1


# -- the total and its checks (core) ------------------------------------------------------------------
def test_the_total_runs_from_20_to_100_and_is_the_sum_over_45():
    assert len(SAQ_ITEMS) == 9 and len(SAQ_ANSWERS) == 5
    assert saq_total([1] * 9) == pytest.approx(20.0)
    assert saq_total([5] * 9) == pytest.approx(100.0)
    assert saq_total(EXAMPLE) == pytest.approx(23 / 45 * 100)
    assert parse_saq("3,2,4,1,5,2,3,1,2") == EXAMPLE == parse_saq(" 3 2 4 1 5 2 3 1 2 ")


@pytest.mark.parametrize("answers, words", [
    ([1] * 8, "9 answers"), ([1] * 10, "9 answers"), ([1] * 8 + [6], "Answer 9 .* 1 to 5, not 6"),
    ([0] + [1] * 8, "Answer 1 .* not 0"), ([1, 2.5] + [1] * 7, "Answer 2 .* whole number"),
    ([1] * 8 + ["x"], "Answer 9 .* whole number")])
def test_wrong_answers_are_refused_in_one_sentence(answers, words):
    with pytest.raises(SaqError, match=words) as caught:
        check_saq(answers)
    assert str(caught.value).endswith(".") and "\n" not in str(caught.value)


def test_a_change_is_called_only_beyond_the_smallest_detectable_change():
    inside = SaqChange("2025-01-01", 60.0, "2025-06-01", 60.0 - SAQ_SDC_POINTS + 0.1)
    assert inside.verdict == "within repeat variation" and "no change can be called" in inside.sentence
    assert "improved" not in inside.sentence and "fewer" not in inside.sentence
    lower = SaqChange("2025-01-01", 60.0, "2025-06-01", 60.0 - SAQ_SDC_POINTS - 0.1)
    assert lower.verdict == "fewer symptoms reported" and "beyond" in lower.sentence
    higher = SaqChange("2025-01-01", 30.0, "2025-06-01", 30.0 + SAQ_SDC_POINTS + 0.1)
    assert higher.verdict == "more symptoms reported"


# -- the store on a clinic's PostgreSQL server (both backends: tests/test_store_backends.py) -------------
def test_a_clinic_reader_sees_the_answers_but_cannot_write_them_and_copy_carries_them(postgres_db, tmp_path,
                                                                                      monkeypatch):
    from synkimeter.store.clinic import copy_store, init_clinic

    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    with Store(tmp_path / "single") as single:
        patient = single.add_patient("COPY-1", "right")
        single.add_questionnaire(patient, "2025-04-01", EXAMPLE)
        with Store(url=postgres_db.url, folder=tmp_path / "admin") as clinic_store:
            init_clinic(clinic_store)
            report = copy_store(single, clinic_store)
            assert report.counts["saq_answers"] == 1 and "1 questionnaire" in report.lines
            (copied,) = clinic_store.questionnaires(clinic_store.require_patient("COPY-1"))
            assert copied.items == EXAMPLE and copied.date == "2025-04-01"
            grants = clinic_store.conn.exec_driver_sql(
                "SELECT privilege_type, grantee FROM information_schema.role_table_grants "
                "WHERE table_name = 'saq_answers'").all()
    assert {("INSERT", "synkimeter_rw"), ("DELETE", "synkimeter_rw"), ("SELECT", "synkimeter_ro")} <= set(grants)
    assert ("INSERT", "synkimeter_ro") not in set(grants)


# -- the command line -----------------------------------------------------------------------------------
@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    monkeypatch.delenv("SYNKIMETER_DATABASE_URL", raising=False)
    with Store(folder) as store:
        store.add_patient("PX-1", "right")
    return folder


def _rows(folder) -> list:
    with Store(folder) as store:
        return store.questionnaires(store.require_patient("PX-1"))


def test_cli_adds_lists_and_deletes(cli_store, capsys):
    code, out, err = run_cli(["questionnaire", "add", "PX-1", "--saq", "3,2,4,1,5,2,3,1,2", "--date", "2025-01-10"],
                             capsys)
    assert code == 0, err
    assert "51.1" in out and "2025-01-10" in out
    code, out, err = run_cli(["questionnaire", "add", "PX-1", "--saq", "1,1,1,1,1,1,1,1,1"], capsys)
    assert code == 0, err
    assert date.today().isoformat() in out  # the date defaults to today
    code, out, err = run_cli(["questionnaire", "list", "PX-1"], capsys)
    assert code == 0, err
    assert "3 2 4 1 5 2 3 1 2" in out and " 51.1 " in out and " 20.0 " in out
    assert "on average 'sometimes'" in out and "on average 'seldom or not at all'" in out
    assert "31 points lower than on 2025-01-10" in out and "fewer symptoms reported" in out  # 51.1 -> 20.0
    first = _rows(cli_store)[0]
    code, _out, err = run_cli(["questionnaire", "delete", "PX-1", first.id], capsys)
    assert code == 2 and "--yes" in one_sentence(err) and len(_rows(cli_store)) == 2
    code, out, err = run_cli(["questionnaire", "delete", "PX-1", first.id, "--yes"], capsys)
    assert code == 0, err
    assert [r.items for r in _rows(cli_store)] == [(1,) * 9]
    with Store(cli_store) as store:
        actions = [r["action"] for r in store.audit_log("PX-1")]
    assert actions == ["read", "delete"]  # the list was read, the answers deleted


@pytest.mark.parametrize("args, words", [
    (["--saq", "1,2,3"], "9 answers, each 1 to 5; 3 were given"),
    (["--saq", "1,2,3,4,5,1,2,3,4,5"], "10 were given"),
    (["--saq", "1,2,3,4,6,1,2,3,4"], "Answer 5 of the SAQ must be from 1 to 5, not 6"),
    (["--saq", "1,2,3,4,0,1,2,3,4"], "not 0"),
    (["--saq", "1,2,three,4,5,1,2,3,4"], "Answer 3 .* not 'three'"),
    (["--saq", "1,2,3,4,5,1,2,3,4", "--date", "2999-01-01"], "in the future"),
    (["--saq", "1,2,3,4,5,1,2,3,4", "--date", "2025-13-40"], "not a date"),
    ([], "Give the nine answers"),
])
def test_cli_bad_input_is_one_sentence_exit_2_and_nothing_written(cli_store, capsys, args, words):
    import re

    code, _out, err = run_cli(["questionnaire", "add", "PX-1", *args], capsys)
    assert code == 2
    assert re.search(words, one_sentence(err))
    assert _rows(cli_store) == []


def test_cli_unknown_patient_or_number_is_one_sentence(cli_store, capsys):
    code, _out, err = run_cli(["questionnaire", "add", "NOBODY", "--saq", "1,1,1,1,1,1,1,1,1"], capsys)
    assert code == 2 and "NOBODY" in one_sentence(err)
    code, _out, err = run_cli(["questionnaire", "delete", "PX-1", "7", "--yes"], capsys)
    assert code == 2 and "no questionnaire 7" in one_sentence(err)
    code, _out, err = run_cli(["questionnaire", "list", "NOBODY"], capsys)
    assert code == 2 and "NOBODY" in one_sentence(err)
    assert _rows(cli_store) == []


# -- the report -----------------------------------------------------------------------------------------
def test_the_report_shows_each_days_answers_total_and_change(tmp_path, monkeypatch):
    from synkimeter.report import write_html

    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    with Store(tmp_path / "data") as store:
        patient = store.add_patient("REP-1", "right")
        store.add_questionnaire(patient, "2025-01-10", EXAMPLE)
        store.add_questionnaire(patient, "2025-05-10", (1, 1, 1, 1, 1, 2, 1, 1, 1))
        out = tmp_path / "report.html"
        write_html(store, patient, out)
    html = out.read_text(encoding="utf-8")
    assert "Patient's questionnaire (SAQ)" in html
    assert "3 2 4 1 5 2 3 1 2" in html and ">51<" in html and ">22<" in html
    assert "29 points lower than on 2025-01-10" in html and "fewer symptoms reported" in html
    assert "When I eat, my eye waters." in html


# -- the window -----------------------------------------------------------------------------------------
def test_the_window_page_asks_the_nine_and_saves_them_into_the_store_and_my_progress(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import Qt

    from synkimeter.gui.main_window import MainWindow

    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SYNKIMETER_DATABASE_URL", raising=False)
    with Store() as store:
        store.add_patient("WIN-1", "right")
        store.add_questionnaire(store.require_patient("WIN-1"), "2025-01-10", [5] * 9)
    window = MainWindow(cameras=[])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)
    page = window.questionnaire_mode
    assert window.modes.indexOf(page) >= 0 and window.modes.tabText(window.modes.indexOf(page)) == "Questionnaire"
    assert not page.save_button.isEnabled()  # no patient chosen yet
    window.current.set("WIN-1")
    window.modes.setCurrentWidget(page)
    assert [row.label.text() for row in page.rows] == [f"{i}. {t}" for i, t in enumerate(SAQ_ITEMS, 1)]
    assert all(b.accessibleName() and b.minimumHeight() >= 56 for row in page.rows for b in row.buttons)
    for row, value in zip(page.rows[:8], EXAMPLE[:8]):
        qtbot.mouseClick(row.buttons[value - 1], Qt.MouseButton.LeftButton)
    assert not page.save_button.isEnabled() and "still to answer: 9" in page.status.text()
    assert page.rows[8].buttons[0].hasFocus()  # each answer moves on to the next question
    qtbot.keyClick(page.rows[8].buttons[0], Qt.Key.Key_2)  # the keys 1-5 answer the focused question
    assert page.answers == list(EXAMPLE)
    assert page.save_button.isEnabled() and "total 51 of 100" in page.status.text()
    assert page.save_button.hasFocus()  # the last answer leads to Save
    with qtbot.waitSignal(page.saved, timeout=10000):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert "Saved" in page.status.text() and page.answers == [None] * 9
    with Store() as store:
        records = store.questionnaires(store.require_patient("WIN-1"))
    assert [(r.date, r.items) for r in records] == [("2025-01-10", (5,) * 9), (date.today().isoformat(), EXAMPLE)]
    window.modes.setCurrentWidget(window.progress_mode)
    panel = window.progress_mode.saq
    assert panel.isVisible() and [r.total for r in panel.records] == pytest.approx([100.0, 23 / 45 * 100])
    assert "49 points lower" in panel.sentence.text() and "fewer symptoms reported" in panel.sentence.text()
    window.close()
