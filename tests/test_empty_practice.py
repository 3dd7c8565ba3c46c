"""A practice set in which nothing was counted is not a practice set (issue 28): it is kept as an
attempt but not counted in the week, the streak, the goal or the timeline, and its advice names what
actually went wrong."""

from __future__ import annotations

from datetime import date, datetime

from synkimeter.core.ocular_oral import REASON_FACE_LOST, REASON_MOUTH_MOVING
from synkimeter.usecases.practice import (
    Attempt,
    PracticeSetResult,
    counted_sets,
    history,
    nothing_counted_advice,
    plan_target,
)
from synkimeter.usecases.settings import DEFAULT_SETTINGS

TODAY = date(2026, 3, 4)


def _attempt(i, clean=None, reason=None, value=float("nan")):
    return Attempt(i, "blink", i * 3.0, i * 3.0 + 0.1, i * 3.0 + 0.5, value, float("nan"), 1.0, clean, reason)


def _talked() -> PracticeSetResult:
    """A set in which the person talked: every blink 'mouth already moving', one face lost."""
    attempts = [_attempt(i, reason=REASON_MOUTH_MOVING) for i in range(1, 7)] + [_attempt(7, reason=REASON_FACE_LOST)]
    return PracticeSetResult("blink", "right", 1.0, attempts, datetime(2026, 3, 4, 10).isoformat(), 30.0)


def _clean_set(day: str) -> dict:
    return {"started_at": f"{day}T09:00:00", "kind": "blink", "target": 1.0, "judged": 10, "clean": 10}


def test_a_set_with_nothing_counted_does_not_count():
    talked = _talked().record()
    assert talked["judged"] == 0 and talked["attempts"] == 7
    sets = [_clean_set("2026-03-02"), _clean_set("2026-03-03"), talked]
    assert counted_sets(sets) == sets[:2]
    hist = history(sets, TODAY)
    assert hist.weeks[-1].sets == 2 and hist.total_sets == 2 and hist.uncounted_sets == 1
    assert hist.sets_today == 0 and hist.streak_days == 2  # today's empty set starts no day
    # the goal carries on from the last counted set, not the empty one
    plan = plan_target("blink", None, [*sets[:2], {**talked, "target": 0.5}], DEFAULT_SETTINGS)
    assert plan == plan_target("blink", None, sets[:2], DEFAULT_SETTINGS)


def test_the_advice_names_what_went_wrong():
    text = nothing_counted_advice(_talked())
    assert "mouth was already moving" in text and "6 of 7 blinks" in text and "mouth still" in text
    assert "Stay in view" not in text
    empty = PracticeSetResult("blink", "right", 1.0, [], "2026-03-04T10:00:00", 30.0)
    assert nothing_counted_advice(empty).startswith("No blink was seen")


def test_the_summary_of_an_empty_set(qtbot):
    from synkimeter.gui.practice import PracticePanel

    panel = PracticePanel(DEFAULT_SETTINGS, store_factory=lambda: None, patient="", side="right")
    qtbot.addWidget(panel)
    result = _talked()
    panel.show_summary(result, history([_clean_set("2026-03-02"), result.record()], TODAY))
    assert panel.sum_big.text() == "Nothing counted"
    assert "mouth" in panel.sum_line.text() and "Stay in view" not in panel.sum_line.text()
    assert not panel.sum_detail.text().startswith(";") and "does not count" in panel.sum_detail.text()
    assert panel.sum_week.text().startswith("This week: 1 set,")
