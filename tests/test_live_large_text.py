"""The Live page at large text on a 1366x768 screen (issue 28): big numbers with their unit on one line,
the reason a blink is not counted and the per-blink chart in full view, every tab's name shown, the
resting height difference with its healthy range, and rich text re-sized the moment the setting changes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QRect

from synkimeter.core.ocular_oral import REASON_TOO_CLOSE
from synkimeter.usecases.live import SessionBlink

BOTH = {"right": 1.0, "left": 1.0}


def _snapshot(latest, height_diff_mm=-1.2):
    return SimpleNamespace(eye_open=BOTH, blink_count={"right": 3, "left": 3}, latest={"right": latest, "left": latest},
                           average_mm={"right": 2.8, "left": 0.1}, median_mm={"right": 2.8, "left": 0.1},
                           n_scored={"right": 3, "left": 3}, height_diff_mm=height_diff_mm,
                           average_ci_mm={"right": (2.1, 3.6), "left": (0.0, 0.2)})


COUNTED = SessionBlink(4, "both", 1.0, 1.1, 1.3, {"right": 2.9, "left": 0.1}, True, None, False)
TOO_SOON = SessionBlink(5, "both", 2.0, 2.1, 2.3, {"right": 2.9, "left": 0.1}, False, REASON_TOO_CLOSE, False)


@pytest.fixture
def window(laptop_window):
    return laptop_window


def _in_view(widget, area) -> bool:
    """The widget's whole rectangle inside the scroll area's visible part."""
    top_left = widget.mapTo(area.viewport(), widget.rect().topLeft())
    return area.viewport().rect().contains(QRect(top_left, widget.size()))


def _one_line(label) -> bool:
    from PySide6.QtGui import QFont, QFontMetrics

    from synkimeter.gui.theme import BIG_PT, pt

    font = QFont(label.font())
    font.setPointSizeF(pt(BIG_PT))
    return label.heightForWidth(label.width()) < 1.5 * QFontMetrics(font).height()


def test_large_text_at_1366x768_shows_numbers_reasons_and_the_chart_in_full(qtbot, window):
    window.set_text_size("large")
    window.scores.show_snapshot(_snapshot(COUNTED))
    qtbot.wait(100)
    number = window.scores.values[("latest", "right")]
    assert window.scores.text("latest", "right") == "2.9 mm"
    assert _one_line(number)  # "2.9" never above "mm"
    assert window.scores.text("median", "right").startswith("2.8 mm\n")

    window.scores.show_snapshot(_snapshot(TOO_SOON))
    qtbot.wait(100)
    reason = window.scores.values[("latest", "right")]
    area = window.scores_area
    assert "not counted: too soon after a blink" in window.scores.text("latest", "right")
    assert reason.height() >= reason.heightForWidth(reason.width())  # every wrapped line has its room
    assert _in_view(reason, area)  # and it is in sight, not scrolled or cut off below
    band = window.scores.values[("median", "right")]
    assert band.height() >= band.heightForWidth(band.width()) and _in_view(band, area)

    bars = window.bars.widget
    assert bars.height() >= 140  # a chart, not a sliver
    assert _in_view(bars, area)  # the whole per-blink chart in sight at large text
    assert window.height() <= 768 and window.minimumSizeHint().height() <= 730  # the status line stays on screen

    tabs = window.modes.tabBar()
    assert tabs.sizeHint().width() <= tabs.width()  # every tab's name shown, no scroll arrows
    assert window.modes.tabToolTip(window.modes.indexOf(window.questionnaire_mode)) == "Questionnaire"


def test_larger_text_scrolls_the_scores_rather_than_cutting_them(qtbot, window):
    window.set_text_size("larger")
    window.scores.show_snapshot(_snapshot(TOO_SOON))
    qtbot.wait(100)
    reason = window.scores.values[("latest", "right")]
    assert reason.height() >= reason.heightForWidth(reason.width())
    assert window.bars.widget.height() >= 140
    area = window.scores_area
    bar = area.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert _in_view(window.bars.widget, area)  # scrolled to, the chart is whole
    assert window.minimumSizeHint().height() <= 730 and window.minimumSizeHint().width() <= 1366
    tabs = window.modes.tabBar()
    assert tabs.sizeHint().width() <= tabs.width()


def test_resting_height_difference_comes_with_its_healthy_range(qtbot, window):
    from synkimeter.gui.scores import level_text
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    limit = DEFAULT_SETTINGS.resting_height_healthy_mm
    window.scores.show_snapshot(_snapshot(COUNTED, height_diff_mm=-1.2))
    text = window.scores.level.text()
    assert "1.2&nbsp;mm higher" in text and f"within the healthy range (up to {limit:.1f} mm)" in text
    assert "above the healthy range" in level_text(limit + 1.0)
    assert level_text(0.2) == "Mouth corners are level"


def test_a_text_size_change_resizes_rich_text_at_once(qtbot, window):
    window.scores.show_snapshot(_snapshot(TOO_SOON))
    reason = window.scores.values[("latest", "right")]
    assert "font-size:11pt" in reason.text().replace(" ", "")
    window.set_text_size("large")  # no new snapshot: the label is re-sized by the setting itself
    assert "font-size:13.8pt" in reason.text().replace(" ", "")
    window.set_text_size("normal")
    assert "font-size:11pt" in reason.text().replace(" ", "")
