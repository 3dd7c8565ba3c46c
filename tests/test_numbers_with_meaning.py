"""Numbers with meaning on patient screens (issue 28): each with its band and the healthy range in
words, intervals on the live panel and the recording summary, no trend of a measure that cannot change,
and never "-0.00"."""

from __future__ import annotations

import math

from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter.usecases.trends import METRIC_BY_KEY, Point, compare
from synkimeter.usecases.words import band, change_words, fixed, movement_words, signed


def test_one_formatting_and_the_bands():
    assert fixed(-0.001, 2) == "0.00" and signed(-0.004, 2) == "0.00" and signed(-0.5, 2) == "\u22120.50"
    assert signed(0.25, 2) == "+0.25" and fixed(float("nan")) == "–"
    p = DEFAULT_SETTINGS
    assert [band(v) for v in (0.5, p.healthy_floor_mm, 0.9, 1.5, 2.5)] == \
        ["healthy", "healthy", "mild", "moderate", "severe"]
    assert change_words(2.8, 0.9, "improved") == "0.9 mm – better, still a little above the healthy range"
    assert change_words(2.8, 0.5, "improved") == "0.5 mm – better, now within the healthy range"
    assert movement_words(0.9, 0.7, 1.1) == "0.9 mm (0.7–1.1 mm) – mild: a little above the healthy range (up to 0.75 mm)"


def test_a_measure_that_cannot_change_is_not_trended():
    coupled = METRIC_BY_KEY["coupled_fraction"]
    assert not coupled.can_change() and METRIC_BY_KEY["ocular_oral_average_peak"].can_change()


def test_my_progress_card_in_patient_words(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    from synkimeter.gui.trends import TrendsView

    metric = METRIC_BY_KEY["ocular_oral_average_peak"]
    improved = compare(metric, "right", Point(1, "2026-01-01T10:00:00", "baseline", 2.8, 2.6, 3.0, 8),
                       Point(2, "2026-03-01T10:00:00", "follow-up", 0.9, 0.8, 1.0, 9))
    view = TrendsView()
    qtbot.addWidget(view)
    card = view.cards["right"]
    card.show_change(improved)
    assert card.band.text() == "0.9 mm – better, still a little above the healthy range"
    assert "±" not in card.sentence.text() and "noise" not in card.sentence.text()
    same = compare(metric, "right", Point(1, "2026-01-01T10:00:00", "baseline", 2.8, 2.0, 3.6, 8),
                   Point(2, "2026-03-01T10:00:00", "follow-up", 2.7, 1.9, 3.5, 9))
    card.show_change(same)
    assert "about the same" in card.sentence.text() and "±" not in card.sentence.text()
    # the therapist's numbers only in the therapist's view
    assert "needs ±" in card.detail.text() and card.detail.isHidden() and view.table.isHidden()
    view.therapist_box.setChecked(True)
    assert not card.detail.isHidden() and not view.table.isHidden()


def test_live_panel_shows_the_interval_and_band(qtbot):
    from dataclasses import replace

    from test_plain_states import _snapshot

    from synkimeter.gui.scores import ScoresPanel

    panel = ScoresPanel()
    qtbot.addWidget(panel)
    snap = _snapshot()
    snap = replace(snap, average_mm={"right": 0.9, "left": 0.2}, n_scored={"right": 5, "left": 5},
                   average_ci_mm={"right": (0.7, 1.1), "left": (0.1, 0.3)})
    panel.show_snapshot(snap)
    right = panel.text("median", "right")
    assert right.startswith("0.9 mm\n") and "0.7–1.1 mm" in right and "mild" in right
    assert any("healthy: up to 0.75 mm" in label.text() for label in panel.findChildren(type(panel.level)))
    assert "healthy" in panel.text("median", "left")
    # The last blink's own movement beside what one healthy blink reaches (a single blink's range)
    assert any(label.text() == "Mouth corner at your last blink (healthy: up to 1.5 mm)"
               for label in panel.findChildren(type(panel.level)))


def test_recording_summary_has_the_interval_and_band(tmp_path):
    from test_honest_endings import PARAMS, _run

    from synkimeter.store import Store
    from synkimeter.usecases.protocol import redo_protocol

    with Store(tmp_path / "store") as store:
        patient = store.add_patient("P-31")
        status = _run(store, patient, redo_protocol("home", ("rest", "natural_blinking"), PARAMS))
    text = status.finished[1].text
    right = text.split("right ", 1)[1]
    assert "mm (" in right and "–" in right.split(")")[0]  # its interval
    assert any(w in right.split(")")[0] for w in ("mild", "moderate", "severe"))
    assert not math.isnan(status.finished[1].values["right"])


def test_a_practice_attempt_says_where_its_blink_stands_against_a_healthy_blink():
    from synkimeter.gui.practice import verdict_text
    from synkimeter.usecases.practice import Attempt
    from synkimeter.usecases.words import blink_peak_words

    coupled = Attempt(1, "blink", 1.0, 1.1, 1.5, value=2.8, other_value=0.1, target=0.8, clean=False)
    text, _ = verdict_text(coupled)
    assert text.startswith("Mouth moved 2.8 mm<br>") and "above the healthy range for one blink (up to 1.5 mm)" in text
    assert blink_peak_words(1.2) == "within the healthy range for one blink (up to 1.5 mm)"
