"""Layout at 1366x768 (issue 28): opening Details does not cut off the "not counted" reason, does not
collapse the per-blink chart, and does not grow the window beyond the screen."""

from __future__ import annotations

from types import SimpleNamespace

from synkimeter.core.ocular_oral import REASON_MOUTH_MOVING
from synkimeter.usecases.live import SessionBlink


def test_details_at_1366x768(qtbot, laptop_window):
    window = laptop_window
    talking = SessionBlink(3, "both", 1.0, 1.1, 1.3, {"right": 22.3, "left": 19.8}, False, REASON_MOUTH_MOVING, False)
    both = {"right": 0.9, "left": 0.9}
    window.scores.show_snapshot(SimpleNamespace(
        eye_open=both, blink_count={"right": 3, "left": 3}, latest={"right": talking, "left": talking},
        average_mm={"right": 1.1, "left": 0.2}, median_mm={"right": 1.2, "left": 0.2}, n_scored={"right": 2, "left": 2},
        height_diff_mm=0.1, average_ci_mm={"right": (0.8, 1.4), "left": (0.1, 0.3)}))
    window.details.setText("<br>".join(["Source 640×480, 30.0 frames/s (source clock); measured 29.8/s"] * 12))
    qtbot.wait(50)
    before = window.size()
    window.details_button.setChecked(True)
    qtbot.wait(100)
    assert window.details_area.isVisible()
    assert window.height() <= before.height() and window.height() <= 768  # never grown to the screen
    bars = window.bars.widget
    assert bars.height() >= bars.minimumHeight() >= 90  # the per-blink chart keeps its room
    reason = window.scores.values[("latest", "right")]
    assert "not counted" in reason.text()
    assert reason.height() >= reason.heightForWidth(reason.width())  # the whole reason shows, not cut off
    assert window.details_area.height() <= 96 + 2  # long details scroll instead of pushing the page
