"""The practice mode's widget, offscreen, on a short real-time replay of the coupled sample clip."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from synkimeter.gui.practice import PracticePanel, verdict_text  # noqa: E402
from synkimeter.store import Store  # noqa: E402
from synkimeter.usecases.settings import DEFAULT_SETTINGS  # noqa: E402

CLIP = Path(__file__).resolve().parents[1] / "sample_videos" / "right_3mm.mp4"


def test_practice_panel_judges_a_short_set_and_keeps_it(qtbot, tmp_path):
    """Two blinks of right_3mm.mp4 (first apexes at 1.8 and 3.9 s): both coupled against the
    default goal (1.0 mm, no baseline stored), shown at once, then the summary, and the set is in
    the patient's history."""
    data = tmp_path / "data"
    panel = PracticePanel(DEFAULT_SETTINGS, store_factory=lambda: Store(data), patient="PX-GUI", side="right",
                          source=str(CLIP), count=2)
    qtbot.addWidget(panel)
    panel.resize(1100, 650)
    panel.show()
    assert "1.0 mm" in panel.goal.text()
    assert "healthy: up to 1.5 mm at one blink" in panel.goal.text()  # the goal beside a healthy blink
    panel.start()
    qtbot.waitUntil(lambda: len(panel.attempts) >= 1, timeout=20000)
    first = panel.attempts[0]
    # The replay runs in real time: on a busy machine the capture may skip frames around a blink,
    # and a blink missing its baseline is rightly "not counted"; every judged one must be coupled.
    assert panel.verdict.text() == verdict_text(first)[0]
    assert panel.dots.attempts[0] is first
    qtbot.waitUntil(lambda: panel.pages.currentIndex() == 1, timeout=20000)
    assert not panel.running
    judged = [a for a in panel.attempts if a.judged]
    assert len(panel.attempts) == 2 and judged
    assert all(a.clean is False and a.value > 1.5 for a in judged)
    assert panel.sum_big.text() == f"0 of {len(judged)} clean"
    with Store(data) as store:
        (row,) = store.practice_sets(store.patient("PX-GUI"))
        assert (row["kind"], row["judged"], row["clean"], row["target"]) == ("blink", len(judged), 0, 1.0)
        assert store.patient("PX-GUI").affected_side == "right"
    assert "Day 1" in panel.sum_streak.text()
    panel.close()


def test_main_window_has_a_practice_mode(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    from synkimeter.gui.app import create_window

    window = create_window(None, cameras=[])
    qtbot.addWidget(window)
    window.show()
    tabs = [window.modes.tabText(i) for i in range(window.modes.count())]
    assert "Practice" in tabs
    window.modes.setCurrentWidget(window.practice_mode)
    assert window.practice_mode.source_spec is not None  # the Live page's source (or camera 0)
    assert not window.practice_mode.running
    window.modes.setCurrentIndex(0)
    window.close()


def test_every_goal_names_the_healthy_range():
    """A goal is a number on a patient screen: it never stands without what a healthy face shows."""
    from synkimeter.gui.practice import goal_text

    assert goal_text("blink", 0.75, "right").endswith("less than 0.75 mm (healthy: up to 1.5 mm at one blink)")
    assert goal_text("pucker", 15, "left").endswith("less than 15 % (healthy: up to 5 %)")
    assert goal_text("smile", 40, "left").endswith("less than 40 % (healthy: up to 25 %)")
