"""The therapist's home programme (issue 31): the command line, adherence per week, today's programme."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from synkimeter.cli import main
from synkimeter.store import Store
from synkimeter.store.records import Programme
from synkimeter.usecases.practice import plan_target
from synkimeter.usecases.programme import counted, planned, today, weekly_adherence


def _programme(kind="blink", sets=2, reps=20, start="2025-03-03", until=None, goal=None, number=1) -> Programme:
    return Programme(number, 1, kind, sets, reps, goal, "mm" if kind == "blink" else "%", start, until,
                     "2025-03-01T10:00:00")


def _set(day: str, kind="blink", judged=18, hour=9) -> dict:
    return {"started_at": f"{day}T{hour:02d}:00:00", "kind": kind, "judged": judged, "clean": judged // 2}


def test_adherence_per_week_counts_judged_sets_up_to_each_days_prescription():
    """Weeks of 2025-03-03 and 2025-03-10: the programme runs from Wednesday the 5th (2 blink sets a day)
    and is replaced on the 12th by 1 set a day; a set with nothing judged is not a set, a third set on
    a day does not make up for a missed one, sets before the programme and of another kind do not count."""
    programmes = [_programme(start="2025-03-05", until="2025-03-11"),
                  _programme(sets=1, start="2025-03-12", number=2),
                  _programme("pucker", sets=1, reps=10, start="2025-03-10", until="2025-03-11", number=3)]
    sets = [_set("2025-03-04"),  # before the programme
            _set("2025-03-05"), _set("2025-03-05", hour=18), _set("2025-03-05", hour=20),  # 3 sets: 2 count
            _set("2025-03-06"), _set("2025-03-06", judged=0, hour=18),  # nothing judged: not a set
            _set("2025-03-10", kind="pucker"),
            _set("2025-03-10"), _set("2025-03-12"), _set("2025-03-13"), _set("2025-03-13", hour=19)]
    weeks = weekly_adherence(programmes, sets, day=date(2025, 3, 14))
    got = [(w.start.isoformat(), w.kind, w.done, w.prescribed) for w in weeks]
    # Week 1: Wed-Sun 5 days x 2 = 10 prescribed; done 2 (Wed) + 1 (Thu).
    # Week 2: Mon-Tue x 2 + Wed-Fri (up to the 14th) x 1 = 7 prescribed; done 1 (Mon) + 1 (Wed) + 1 (Thu, capped).
    assert got == [("2025-03-03", "blink", 3, 10), ("2025-03-10", "blink", 3, 7),
                   ("2025-03-10", "pucker", 1, 2)]
    assert weeks[0].text == "3 of 10 blink sets (30%)"
    assert weekly_adherence(programmes, sets, day=date(2025, 3, 14), weeks=1) == weeks[1:]
    assert weekly_adherence([], sets) == []
    assert not counted({"judged": 0}) and counted({"judged": 1})


def test_today_and_the_sets_goal_come_from_the_running_programme():
    programmes = [_programme(goal=0.75), _programme("smile", sets=1, reps=10, until="2025-03-04", number=2)]
    sets = [_set("2025-03-05"), _set("2025-03-05", judged=0, hour=12), _set("2025-03-04")]
    (blink,) = today(programmes, sets, date(2025, 3, 5))  # the smile programme ended the day before
    assert blink.text == "Today: 2 sets of 20 blinks, 1 done"
    assert blink.goal_text == "goal under 0.75 mm"
    plan = plan_target("blink", None, [])
    assert planned(plan, blink.programme).target == 0.75 and "therapist" in planned(plan, blink.programme).why
    assert planned(plan, None) == plan
    assert planned(plan, _programme()) == plan  # no goal set: the practice's own


@pytest.fixture()
def data(tmp_path):
    folder = tmp_path / "data"
    with Store(folder) as store:
        store.add_patient("HP-1", "left")
    return ["--data-dir", str(folder)]


def test_programme_through_the_cli(data, capsys):
    until = (date.today() + timedelta(days=30)).isoformat()
    assert main(["programme", "set", "HP-1", "--kind", "blink", "--sets-per-day", "2", "--blinks", "20",
                 "--goal-mm", "0.75", "--until", until, *data]) == 0
    assert main(["programme", "set", "HP-1", "--kind", "pucker", "--sets-per-day", "1", "--repetitions", "10",
                 "--goal-pct", "12", *data]) == 0
    capsys.readouterr()
    assert main(["programme", "list", "HP-1", *data]) == 0
    out = capsys.readouterr().out
    assert "2 a day x 20 blinks, goal 0.75 mm" in out and until in out
    assert "1 a day x 10 puckers, goal 12 %" in out
    assert "0 of 2 blink sets" in out  # today's, nothing done yet
    assert main(["programme", "end", "HP-1", "blink", *data]) == 0
    assert main(["programme", "delete", "HP-1", "2", *data]) == 2  # without --yes
    assert main(["programme", "delete", "HP-1", "2", "--yes", *data]) == 0
    with Store(data[1]) as store:
        patient = store.require_patient("HP-1")
        (blink,) = store.programmes(patient)
        assert (blink.kind, blink.until_date, blink.goal) == ("blink", date.today().isoformat(), 0.75)
        assert any(row["action"] == "delete" for row in store.audit_log("HP-1"))


@pytest.mark.parametrize("words, sentence", [
    (["--kind", "frown", "--sets-per-day", "2", "--blinks", "20"], "--kind is one of blink, pucker, smile"),
    (["--kind", "blink", "--sets-per-day", "0", "--blinks", "20"], "--sets-per-day takes a whole number above 0"),
    (["--kind", "blink", "--sets-per-day", "2", "--blinks", "-5"], "--blinks takes a whole number above 0"),
    (["--kind", "smile", "--sets-per-day", "2", "--repetitions", "many"], "--repetitions takes a whole number"),
    (["--kind", "blink", "--sets-per-day", "2", "--blinks", "20", "--goal-mm", "-1"], "above 0"),
    (["--kind", "blink", "--sets-per-day", "2", "--blinks", "20", "--until", "2020-01-01"], "is in the past"),
    (["--kind", "blink", "--sets-per-day", "2", "--blinks", "20", "--until", "soon"], "not a date"),
    (["--kind", "pucker", "--sets-per-day", "2", "--blinks", "20"], "--blinks is for the blink programme"),
    (["--kind", "blink", "--sets-per-day", "2"], "how many blinks"),
])
def test_bad_programme_input_is_one_sentence_and_writes_nothing(data, capsys, words, sentence):
    assert main(["programme", "set", "HP-1", *words, *data]) == 2
    err = capsys.readouterr().err
    assert sentence in err and err.count("\n") == 1 and "Traceback" not in err
    with Store(data[1]) as store:
        assert store.programmes(store.require_patient("HP-1")) == []


def test_unknown_patient_and_nothing_to_end(data, capsys):
    assert main(["programme", "set", "NOBODY", "--kind", "blink", "--sets-per-day", "2", "--blinks", "20",
                 *data]) == 2
    assert "no patient 'NOBODY'" in capsys.readouterr().err
    assert main(["programme", "end", "HP-1", "smile", *data]) == 2
    assert "no smile programme running" in capsys.readouterr().err
    assert main(["programme", "end", "HP-1", "frown", *data]) == 2


def test_the_report_shows_adherence_beside_the_coupling_trend(tmp_path, monkeypatch):
    """Blink programme 2 a day for the week of 2025-03-10; 3 counted sets done (one more with nothing
    judged); the week's session (2025-03-14, right coupling 1.8 mm simulated) beside it."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    import re

    from test_store import make_history

    from synkimeter.report import report_html

    with Store(tmp_path / "data") as store:
        patient = make_history(store, tasks=("natural_blinking",))
        store.set_programme(patient, "blink", sets_per_day=2, repetitions=20, goal=0.75, start="2025-03-10",
                            until="2025-03-16")
        for day, judged in (("2025-03-11", 20), ("2025-03-11", 19), ("2025-03-14", 20), ("2025-03-15", 0)):
            store.add_practice_set(patient, {**_set(day, judged=judged), "affected_side": "right", "target": 0.75,
                                             "unit": "mm", "attempts": 20})
        html = report_html(store, patient, pictures=False)
    assert "<h2>Home programme</h2>" in html
    assert "blink: 2 sets a day of 20 blinks, goal under 0.75 mm, from 2025-03-10 to 2025-03-16" in html
    row = re.search(r"2025-03-10</td>(.*?)</tr>", html, re.S)
    assert row is not None
    assert "3 of 14 blink sets (21%)" in row.group(1)
    right = re.search(r"(\d\.\d\d) mm \((\d\.\d\d) to (\d\.\d\d)\)", row.group(1))
    assert right is not None and 1.4 < float(right.group(1)) < 2.2  # the 2025-03-14 session's right side
