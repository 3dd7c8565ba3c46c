"""No camera, talking, and nothing stale from a previous patient (issue 28): one prominent sentence of
what to do, never a "Starting the camera…" left up, small print, or another patient's colours."""

from __future__ import annotations

from dataclasses import replace

from fakes import MissingCamera

from synkimeter.usecases.settings import DEFAULT_SETTINGS


def test_record_page_without_a_camera_says_what_to_do(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    from synkimeter.gui.recorder import NO_CAMERA, NO_SOURCE, RecordMode

    camera = MissingCamera(0)
    mode = RecordMode(DEFAULT_SETTINGS, source_spec=lambda: camera, mesh_factory=lambda params: None)
    qtbot.addWidget(mode)
    mode.show()
    assert "Picture from: Camera 0" in mode.page.source_label.text()
    mode.page.picker.set_values("P-30", "right", "home", "self-check")
    assert mode.start()
    qtbot.waitUntil(lambda: not mode.running, timeout=10_000)
    cue = mode.page.screen_view.cue
    assert cue.text() == NO_CAMERA and "Starting the camera" not in cue.text()
    assert "font-size: 20pt" in cue.styleSheet()  # prominent, not small red print
    assert "not connected" in mode.page.screen_view.instruction.text()  # the camera's own sentence below
    assert "Picture from" not in mode.page.source_label.text()
    assert mode.page.source_label.text() == "No picture from Camera 0"

    nothing = RecordMode(DEFAULT_SETTINGS, source_spec=lambda: None)
    qtbot.addWidget(nothing)
    nothing.show()
    assert nothing.page.screen_view.cue.text() == NO_SOURCE and nothing.page.source_label.text() == ""


def _snapshot():
    from synkimeter.usecases.live import LiveEngine
    from synkimeter_dev.simulate import simulate

    track = simulate(3.0)
    engine = LiveEngine(DEFAULT_SETTINGS)
    for t, points in zip(track.timestamps_s, track.points):
        engine.push(float(t), points)
    return engine.update()


def test_talking_is_one_prominent_sentence(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    from synkimeter.gui.main_window import MainWindow
    from synkimeter.usecases.live import NOTICE_TEXT

    window = MainWindow(DEFAULT_SETTINGS, cameras=[])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.store_settled)  # its look at the store (a thread) is over before the next test
    snap = _snapshot()
    window.session.state = "running"
    window._on_snapshot(replace(snap, notice="talking", expression="Talking", height_diff_mm=6.4))
    assert window.notice.text() == NOTICE_TEXT["talking"] and "mouth still" in window.notice.text()
    assert "Face found" not in window.notice.text()
    assert "higher" not in window.scores.level.text()
    window._on_snapshot(replace(snap, notice="ok", height_diff_mm=6.4))
    assert window.notice.text() == NOTICE_TEXT["ok"] and "6.4&nbsp;mm higher" in window.scores.level.text()


def test_a_previous_patients_colours_never_carry_over(qtbot):
    from synkimeter.gui.trends import SideCard
    from synkimeter.usecases.trends import METRIC_BY_KEY, Point, compare

    card = SideCard("right")
    qtbot.addWidget(card)
    metric = METRIC_BY_KEY["ocular_oral_average_peak"]
    worse = compare(metric, "right", Point(1, "2026-01-01T10:00:00", "baseline", 1.0, 0.9, 1.1),
                    Point(2, "2026-02-01T10:00:00", "follow-up", 3.0, 2.9, 3.1))
    card.show_change(worse)
    assert "#b3261e" in card.sentence.styleSheet()
    card.show_change(None)  # the next patient has no blinking recording
    assert "#b3261e" not in card.sentence.styleSheet()
    assert card.sentence.text() == "No natural-blinking recording yet."
    card.show_change(None, blink_recordings=2)  # ... or two in which no blink could be scored
    assert "No blink could be scored in your 2 natural-blinking recordings" in card.sentence.text()
