"""The therapist's home programme in the window (issue 31): a programme kept in the store (the clinic's
PostgreSQL one or the home SQLite one) appears on the patient's Practice page with the sets done today,
sets the set's length and goal, and My progress shows the sets done against prescribed per week."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from datetime import date, datetime, timedelta  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from synkimeter.gui.practice import PracticePanel  # noqa: E402
from synkimeter.store import Store  # noqa: E402
from synkimeter.usecases.settings import DEFAULT_SETTINGS  # noqa: E402


def _practice_set(when: datetime, judged: int) -> dict:
    return {"started_at": when.replace(microsecond=0).isoformat(), "kind": "blink", "affected_side": "left",
            "target": 0.75, "unit": "mm", "attempts": 20, "judged": judged, "clean": judged // 2}


@pytest.fixture(params=["home", "clinic"])
def programme_store(tmp_path, request, monkeypatch):
    """A patient whose therapist set 2 blink sets of 20 a day (goal 0.75 mm) from yesterday; one counted
    set done today, one with nothing judged, one yesterday: in a home SQLite store, and in a clinic's
    PostgreSQL store (the window then opens that one, as SYNKIMETER_DATABASE_URL says). Returns what
    opens the store."""
    data = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(data))
    if request.param == "clinic":
        url = request.getfixturevalue("postgres_db").url
        monkeypatch.setenv("SYNKIMETER_DATABASE_URL", url)
    now = datetime.now()
    with Store() as store:
        patient = store.add_patient("HOME-1", "left")
        store.set_programme(patient, "blink", sets_per_day=2, repetitions=20, goal=0.75,
                            start=(date.today() - timedelta(days=1)).isoformat())
        store.add_practice_set(patient, _practice_set(now.replace(hour=0, minute=1), 18))
        store.add_practice_set(patient, _practice_set(now.replace(hour=0, minute=2), 0))
        store.add_practice_set(patient, _practice_set(now - timedelta(days=1), 20))
    return Store


def test_the_programme_appears_on_the_practice_page_and_sets_the_set(qtbot, programme_store):
    panel = PracticePanel(DEFAULT_SETTINGS, store_factory=programme_store, patient="HOME-1")
    qtbot.addWidget(panel)
    panel.show()
    assert panel.programme_today.isVisible()
    assert panel.programme_today.text() == "Today: 2 sets of 20 blinks, 1 done (goal under 0.75 mm)"
    assert "0.75 mm" in panel.goal.text() and panel.plan.target == 0.75  # the therapist's goal, not the default
    assert panel.programme_count == 20
    panel.kind_box.setCurrentIndex(panel.kind_box.findData("pucker"))
    panel.refresh_plan()
    assert panel.programme_count is None  # no pucker programme: the practice's own length
    assert "blinks, 1 done" in panel.programme_today.text()  # today's programme stays in view
    panel.set_patient("")
    assert not panel.programme_today.isVisible()
    panel.close()


def test_my_progress_shows_adherence_per_week(qtbot, programme_store):
    from synkimeter.gui.trends import TrendsView

    view = TrendsView()
    qtbot.addWidget(view)
    view.show_patient("HOME-1")
    assert not view.adherence.isHidden()
    text = view.adherence.text()
    # Yesterday and today, 2 a day: 4 prescribed (in one week or two), 2 counted sets done.
    assert "Home programme" in text and "blink sets" in text
    if date.today().weekday() == 0:  # yesterday was last week
        assert "1 of 2 blink sets (50%)" in text
    else:
        assert "2 of 4 blink sets (50%)" in text
    view.show_patient("NOBODY")
    assert view.adherence.isHidden()
