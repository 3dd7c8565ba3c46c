"""The treatment timeline (issue 18): events kept in the store (schema v6, a v5 store migrates) and from
the CLI, botulinum toxin cycles with before/after figures judged against the between-session floor,
weeks since the last injection, practice against outcome, and all of it on the trends and in the report."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from legacy_store import MIGRATIONS
from test_store import make_history  # noqa: E402  (tests/ is on sys.path under pytest)

from synkimeter.cli import main
from synkimeter.store import DB_NAME, SCHEMA_VERSION, Store, StoreError
from synkimeter.usecases.timeline import (
    Event,
    build_timeline,
    patient_timeline,
    place_on_sessions,
    practice_weeks,
    since_injection,
)
from synkimeter.usecases.trends import patient_trends

# make_history's sessions: 2025-01-10 (right 2.6 mm), 2025-03-14 (1.8 mm), 2025-06-02 (0.9 mm)
INJECTIONS = ("2025-02-01", "2025-05-10")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A patient with three sessions and two injections (and a surgery long before the first session)."""
    folder = tmp_path_factory.mktemp("timeline") / "data"
    with Store(folder) as store:
        patient = make_history(store, tasks=("natural_blinking",))
        for day in INJECTIONS:
            store.add_event(patient, "botox", day, side="right", units=15, muscles="orbicularis oculi",
                            product="Botox")
        store.add_event(patient, "surgery", "2023-04-01", side="right", detail="facial nerve repair")
    return folder


def _practice(day: str, clean: int = 15, judged: int = 20) -> dict:
    return {"started_at": f"{day}T18:00:00", "kind": "blink", "affected_side": "right", "target": 1.3, "unit": "mm",
            "attempts": judged, "judged": judged, "clean": clean, "median_value": 0.9, "duration_s": 80.0,
            "source_name": "Camera 0", "attempts_json": []}


# -- store ---------------------------------------------------------------------------------------------
def test_events_round_trip_through_the_store(tmp_path):
    with Store(tmp_path / "data") as store:
        patient = store.add_patient("EV-1", "right")
        n = store.add_event(patient, "botox", "2025-02-01", side="right", units=12.5, muscles="orbicularis oculi",
                            product="Xeomin", detail="first cycle")
        store.add_event(patient, "therapy-start", "2025-01-05", detail="mime therapy")
    with Store(tmp_path / "data") as store:
        patient = store.require_patient("EV-1")
        first, second = store.events(patient)  # by date
        assert (first["kind"], first["detail"], first["side"]) == ("therapy-start", "mime therapy", None)
        assert (second["id"], second["date"], second["units"], second["product"]) == (n, "2025-02-01", 12.5, "Xeomin")
        store.delete_event(patient, first["id"])
        assert [e["id"] for e in store.events(patient)] == [n]
        with pytest.raises(StoreError, match="no treatment event 99"):
            store.delete_event(patient, 99)
        for kwargs, words in ((dict(kind="laser", day="2025-01-01"), "one of botox"),
                              (dict(kind="botox", day="1.2.2025"), "not a date"),
                              (dict(kind="botox", day=(date.today() + timedelta(days=1)).isoformat()), "future"),
                              (dict(kind="botox", day="2025-01-01", side="up"), "right, left or both"),
                              (dict(kind="surgery", day="2025-01-01", units=5), "botulinum toxin"),
                              (dict(kind="botox", day="2025-01-01", units=-5), "above 0")):
            with pytest.raises(StoreError, match=words):
                store.add_event(patient, kwargs.pop("kind"), kwargs.pop("day"), **kwargs)
        store.delete_patient("EV-1")  # the events go with the patient
        assert store.conn.exec_driver_sql("SELECT COUNT(*) FROM treatment_events").fetchone()[0] == 0


def test_a_v5_store_migrates_to_v6(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_NAME)
    for version, step in MIGRATIONS:
        if version <= 5:
            step(conn)
    conn.execute("PRAGMA user_version = 5")
    conn.execute("INSERT INTO patients (pseudonym, affected_side, created) "
                 "VALUES ('OLD-5', 'left', '2025-01-01T00:00:00')")
    conn.commit()
    conn.close()
    with Store(folder) as store:
        assert store.schema_version == SCHEMA_VERSION == 9
        patient = store.require_patient("OLD-5")
        assert store.events(patient) == []
        store.add_event(patient, "botox", "2025-03-01", side="left")
        assert len(store.events(patient)) == 1
    assert (folder / f"{DB_NAME}.v5.bak").is_file()


# -- CLI -----------------------------------------------------------------------------------------------
def test_events_through_the_cli(history, tmp_path, capsys):
    folder = tmp_path / "data"
    shutil.copytree(history, folder)
    d = ["--data-dir", str(folder)]
    assert main(["event", "add", "PX-0042", "--kind", "therapy-start", "--date", "2025-03-20", "--detail",
                 "neuromuscular retraining", *d]) == 0
    # an event before the patient's first session (2025-01-10) is history, and allowed
    assert main(["event", "add", "PX-0042", "--kind", "other", "--date", "2024-11-02", "--detail", "acupuncture",
                 *d]) == 0
    capsys.readouterr()
    assert main(["event", "list", "PX-0042", *d]) == 0
    out = capsys.readouterr().out
    assert "2024-11-02  Other, acupuncture" in out and "Therapy started, neuromuscular retraining" in out
    assert "Botulinum toxin, right side, Botox, 15 units, orbicularis oculi" in out
    with Store(folder) as store:
        number = next(e["id"] for e in store.events(store.require_patient("PX-0042")) if e["kind"] == "other")
    assert main(["event", "delete", "PX-0042", str(number), *d]) == 2  # without --yes
    assert "add --yes" in capsys.readouterr().err
    assert main(["event", "delete", "PX-0042", str(number), "--yes", *d]) == 0
    capsys.readouterr()
    main(["event", "list", "PX-0042", *d])
    assert "acupuncture" not in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [
    (["--kind", "laser", "--date", "2025-01-01"], "is one of botox, therapy-start"),
    (["--kind", "botox", "--date", "2025-02-30"], "'2025-02-30' is not a date: use YYYY-MM-DD."),
    (["--kind", "botox", "--date", "2999-01-01"], "2999-01-01 is in the future"),
    (["--kind", "botox", "--date", "2025-01-01", "--units", "lots"], "--units takes a number"),
    (["--kind", "botox"], "Say what and when"),
])
def test_bad_event_input_is_one_sentence_and_exit_2(history, tmp_path, capsys, args, words):
    folder = tmp_path / "data"
    shutil.copytree(history, folder)
    assert main(["event", "add", "PX-0042", *args, "--data-dir", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    with Store(folder) as store:
        assert len(store.events(store.require_patient("PX-0042"))) == 3  # nothing kept


def test_unknown_patient_for_events(tmp_path, capsys):
    assert main(["event", "list", "NOBODY", "--data-dir", str(tmp_path / "d")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# -- the use case ----------------------------------------------------------------------------------------
def test_three_sessions_two_injections(history):
    with Store(history) as store:
        timeline = patient_timeline(store, "PX-0042", today=date(2025, 12, 1))
    assert [m[2] for m in timeline.markers] == ["surgery", "botox", "botox"]
    assert timeline.markers[1][1] == "BoNT R 15 U"
    # cycle 1 runs to the next injection; cycle 2 to about 4 months (17 weeks) after it
    assert timeline.shading == [("2025-02-01", "2025-05-10"), ("2025-05-10", "2025-09-06")]
    first, second = timeline.cycles
    assert first.end_reason == "next injection" and second.end_reason == "about 4 months"
    right1, right2 = first.effect("right"), second.effect("right")
    assert (right1.before.date, right1.after.date) == ("2025-01-10", "2025-03-14")
    assert (right2.before.date, right2.after.date) == ("2025-03-14", "2025-06-02")
    for eff in (right1, right2):
        ch = eff.change
        assert ch.change < 0 and ch.mdc > 0 and ch.threshold >= ch.mdc  # judged against the between-session floor
        assert eff.verdict == ("lower after (beyond noise)" if abs(ch.change) > ch.threshold else "within noise")
    assert right1.verdict == "lower after (beyond noise)"  # 2.6 -> 1.8 mm simulated
    assert first.effect("left").verdict == "healthy before and after"
    since = timeline.since_injection
    assert since.injection.date == "2025-05-10" and since.session_date == "2025-06-02"
    assert since.short == "3 weeks after injection"  # beside the latest session on the trends
    assert "3 weeks after your last injection" in since.sentence and "not something this recording measured" \
        in since.sentence


def test_an_injection_without_a_session_after_it(history):
    with Store(history) as store:
        trends = patient_trends(store, "PX-0042")
    late = Event(9, "2025-06-20", "botox", "right")
    (cycle,) = build_timeline(trends, [late], [], today=date(2025, 7, 1)).cycles
    assert cycle.end == "2025-07-01" and cycle.end_reason == "today"
    assert cycle.effect("right").change is None and cycle.effect("right").verdict.startswith("no session 7 days")


def test_weeks_since_the_last_injection_wording():
    shot = [Event(1, "2025-01-01", "botox")]
    assert "the effect usually wears off about now" in since_injection(shot, "2025-03-26T10:00:00").sentence  # 12 wk
    assert "usually lasts" in since_injection(shot, "2025-02-12T10:00:00").sentence
    assert "builds up" in since_injection(shot, "2025-01-05T10:00:00").sentence
    assert "worn off" in since_injection(shot, "2025-08-01T10:00:00").sentence
    assert since_injection([], "2025-08-01T10:00:00") is None
    assert since_injection([Event(1, "2025-09-01", "botox")], "2025-08-01T10:00:00") is None  # after the session


def test_practice_weeks_and_outcome(history):
    sets = [_practice((date(2025, 1, 13) + timedelta(days=d)).isoformat(), clean=10 + d // 20)
            for d in range(0, 140) if d % 7 in (0, 2, 4, 5)]
    weeks = practice_weeks(sets + [_practice("2025-06-30")])  # a gap: weeks without sets are counted, as 0
    assert weeks[0].week_start == "2025-01-13" and weeks[0].sets == 4 and weeks[0].clean_pct == 50.0
    assert weeks[-1].sets == 1 and weeks[-2].sets == 0
    with Store(history) as store:
        trends = patient_trends(store, "PX-0042")
    regular = build_timeline(trends, [], sets, today=date(2025, 12, 1))
    (outcome,) = regular.outcomes  # the affected side (right)
    assert outcome.regular and outcome.start == "2025-01-10" and outcome.end == "2025-06-02"
    assert outcome.change.beyond_noise and outcome.change.change < 0
    assert "went with a falling coupling" in outcome.sentence and "injection" not in outcome.sentence
    with_shots = build_timeline(trends, [Event(1, "2025-02-01", "botox")], sets, today=date(2025, 12, 1))
    assert "cannot tell the practice's part from the injections'" in with_shots.outcomes[0].sentence
    sparse = build_timeline(trends, [], sets[::8], today=date(2025, 12, 1)).outcomes[0]
    assert not sparse.regular and "not a regular practice" in sparse.sentence
    assert "went with a falling coupling" not in sparse.sentence


def test_no_fall_claimed_within_noise():
    from synkimeter.usecases.timeline import practice_outcome
    from synkimeter.usecases.trends import METRIC_BY_KEY, Point, Series

    series = Series(METRIC_BY_KEY["ocular_oral_average_peak"], "right",
                    [Point(1, "2025-01-01T10:00:00", "baseline", 1.6, 1.4, 1.8, 9, True),
                     Point(2, "2025-05-01T10:00:00", "follow-up", 1.4, 1.2, 1.6, 9)])
    sets = [_practice((date(2025, 1, 2) + timedelta(days=d)).isoformat()) for d in range(0, 118)]
    outcome = practice_outcome("right", series, sets, [])
    assert outcome.regular and not outcome.change.beyond_noise
    assert "could not be told apart from measurement noise" in outcome.sentence
    assert "went with a falling coupling" not in outcome.sentence


def test_place_on_sessions():
    sessions = ["2025-01-10T10:00:00", "2025-03-14T10:00:00", "2025-06-02T10:00:00"]
    assert place_on_sessions("2025-01-10", sessions) == 1.0
    assert 1.0 < place_on_sessions("2025-02-01", sessions) < 2.0
    assert 2.0 < place_on_sessions("2025-05-10", sessions) < 3.0
    assert 0.5 <= place_on_sessions("2020-01-01", sessions) < 1.0  # before the first session: left of it
    assert 3.0 < place_on_sessions("2025-12-01", sessions) <= 3.5


# -- presented: the report and My progress -----------------------------------------------------------------
@pytest.fixture
def offscreen(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")


def test_report_shows_the_timeline(history, offscreen, tmp_path):
    pytest.importorskip("PySide6")
    from synkimeter.report import render_pdf
    from synkimeter.report.document import build_report

    with Store(history) as store:
        text, images = build_report(store, store.require_patient("PX-0042"))
        pdf = render_pdf(store, "PX-0042")
    assert "<h2>Treatment summary</h2>" in text
    assert "Botulinum toxin, right side, Botox, 15 units, orbicularis oculi" in text
    assert "2025-02-01 to 2025-05-10" in text and "ends: next injection" in text
    assert "lower after (beyond noise)" in text and "needs &plusmn;" in text
    assert "after the last injection" in text and "not a measurement" in text
    assert "Shaded: botulinum toxin cycles." not in text  # the plots say it, in the image
    assert len(images) >= 2 and pdf.startswith(b"%PDF")
    out = tmp_path / "report.pdf"
    out.write_bytes(pdf)
    if shutil.which("pdftotext"):
        words = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert "Treatment summary" in words and "Botulinum toxin cycles" in words


def test_my_progress_shows_the_timeline(history, offscreen, monkeypatch):
    pytest.importorskip("PySide6")
    from PySide6.QtWidgets import QApplication

    import synkimeter.gui  # noqa: F401
    from synkimeter.gui.trends import TrendsView

    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(history))
    app = QApplication.instance() or QApplication([])
    view = TrendsView()
    view.show_patient("PX-0042")
    app.processEvents()
    assert view.timeline is not None and len(view.timeline.cycles) == 2
    assert view.treatments.list.count() == 3 and view.treatments.add_button.isEnabled()
    assert "after your last injection" in view.treatments.since.text()
    assert view.since_note is not None and view.since_note.toPlainText() == "3 weeks after injection"
    assert "Injection 1 (2025-02-01): right:" in view.treatments.cycles.text()
    assert "lower after (beyond noise)" in view.treatments.cycles.text()
    import pyqtgraph as pg

    plot = view.plots["ocular_oral_average_peak"]
    items = plot.getPlotItem().items
    assert sum(isinstance(i, pg.LinearRegionItem) for i in items) == 2
    labels = sorted(i.label.format for i in items if isinstance(i, pg.InfiniteLine) and getattr(i, "label", None))
    assert labels == ["BoNT R 15 U", "BoNT R 15 U", "surgery R"]  # the baseline's dashed line has no label
    view.close()


def test_the_events_command_keeps_the_parser_light():
    from synkimeter.cli import events
    from synkimeter.store.schema import EVENT_KINDS

    assert tuple(events.EVENT_KINDS) == tuple(EVENT_KINDS)
    assert Path(events.__file__).read_text().count("import synkimeter.usecases") == 0


def test_add_and_delete_a_treatment_in_the_window(history, offscreen, monkeypatch, tmp_path):
    pytest.importorskip("PySide6")
    from PySide6.QtWidgets import QApplication, QDialog

    import synkimeter.gui  # noqa: F401
    from synkimeter.gui import timeline as gui_timeline
    from synkimeter.gui.trends import TrendsView

    folder = tmp_path / "data"
    shutil.copytree(history, folder)
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    app = QApplication.instance() or QApplication([])
    view = TrendsView()
    view.show_patient("PX-0042")
    answers = iter(["2999-01-01", "2025-04-01"])  # the future is refused (the dialog stays, with the sentence)
    seen = []

    def fake_exec(dialog):
        seen.append(dialog.error.text())
        dialog.kind.setCurrentIndex(dialog.kind.findData("therapy-start"))
        dialog.detail.setText("mime therapy")
        day = next(answers, None)
        if day is None:
            return QDialog.Rejected
        dialog.day.setMaximumDate(dialog.day.maximumDate().addYears(1000))  # let the test type the future
        dialog.day.setDate(dialog.day.date().fromString(day, "yyyy-MM-dd"))
        return QDialog.Accepted

    monkeypatch.setattr(gui_timeline.TreatmentDialog, "exec", fake_exec)
    assert view.treatments.add_treatment()
    assert "in the future" in seen[1]
    app.processEvents()
    assert view.treatments.list.count() == 4
    assert view.treatments.list.item(0).text().startswith("2025-05-10")  # newest first
    items = [view.treatments.list.item(i) for i in range(4)]
    therapy = next(item for item in items if "mime therapy" in item.text())
    view.treatments.list.setCurrentItem(therapy)
    assert view.treatments.delete_selected(confirm=False)
    assert view.treatments.list.count() == 3
    with Store(folder) as store:
        assert [e["kind"] for e in store.events(store.require_patient("PX-0042"))] == ["surgery", "botox", "botox"]
    view.close()
