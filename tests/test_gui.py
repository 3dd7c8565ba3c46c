"""The live window, offscreen, on a short synthetic clip replayed in real time as if it were a camera.

Tolerances against the offline analysis (`synkimeter.usecases.analyze.analyze_clip`) of the same clip:
blink counts per eye within 1, per-side median mouth movement within 0.3 mm. (The live engine sees
the same frames unless inference falls behind; its re-measure works on a 30-s buffer rather than
the whole clip, so its open-eye baseline, reference face and scale differ slightly.)
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import math  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("pytestqt")
pytest.importorskip("pyqtgraph")

from fakes import UnpluggedCamera  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from synkimeter.gui.app import create_window, sample_clip_path  # noqa: E402
from synkimeter.gui.session import make_source  # noqa: E402

COUNT_TOL = 1
MEDIAN_TOL_MM = 0.3
CLIP_S = 12.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 12-s clip: five blinks, the right mouth corner pulled 2 mm with the right eye."""
    pytest.importorskip("skimage", reason="the synthetic clip generator needs scikit-image")
    from synkimeter_dev.synth.generate import write_clip
    from synkimeter_dev.synth.spec import ClipSpec

    spec = ClipSpec("gui_test", seed=211, duration_s=CLIP_S, coupling_mm={"right": 2.0, "left": 0.0},
                    onsets_s=(1.5, 3.6, 5.8, 7.9, 10.0))
    video, _, truth = write_clip(spec, tmp_path_factory.mktemp("clip"))
    return str(video)


@pytest.fixture(scope="module")
def offline(clip):
    from synkimeter.usecases.analyze import analyze_clip

    return analyze_clip(clip).summary


@pytest.fixture
def window(qtbot):
    w = create_window(None, cameras=[])
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_live_window_agrees_with_offline_analysis(qtbot, window, clip, offline):
    window.open_source(clip)
    qtbot.waitUntil(lambda: window.session.state == "running", timeout=10000)
    qtbot.waitUntil(lambda: window.session.state == "ended", timeout=int(CLIP_S * 1000) + 20000)
    snap = window.last_snapshot
    assert snap is not None
    counts = offline["blink_counts"]
    assert counts["right_eye"] == 5
    assert abs(snap.blink_count["right"] - counts["right_eye"]) <= COUNT_TOL
    assert abs(snap.blink_count["left"] - counts["left_eye"]) <= COUNT_TOL
    for side in ("right", "left"):
        expected = offline["ocular_oral"][side]["median_mm"]
        assert snap.median_mm[side] == pytest.approx(expected, abs=MEDIAN_TOL_MM), side
    assert snap.median_mm["right"] > snap.median_mm["left"] + 0.5  # the coupled side stands out
    # what the person sees
    assert window.scores.text("blinks", "right") == str(snap.blink_count["right"])
    # the big "usually moves" figure is the blink-averaged movement, not the median of peaks
    assert window.scores.text("median", "right").startswith(f"{snap.average_mm['right']:.1f} mm\n")  # then its interval and band
    assert "ended" in window.notice.text()
    assert window.start_button.text() == "Start"
    assert window.preview.frames_shown > CLIP_S * 10
    assert math.isfinite(window.preview.latency_s) and window.preview.latency_s < 1.0
    # a bar for every scored blink of the side (a blink the gates set aside has none; under load a
    # replayed clip can drop the frames one needs)
    scored = [b for b in snap.recent_blinks if b.involves("right") and b.scored and math.isfinite(b.mouth_mm["right"])]
    assert window.bars.bars["right"].opts["height"].size == len(scored) >= snap.blink_count["right"] - COUNT_TOL


def test_switching_source_and_stopping(qtbot, window, clip):
    window.open_source(clip)
    qtbot.waitUntil(lambda: window.session.state == "running", timeout=10000)
    first = window.session.worker
    qtbot.waitUntil(lambda: first.frames > 30, timeout=10000)
    window.open_source(make_source(clip))  # another source while running: the first one stops
    second = window.session.worker
    assert second is not first and first.isFinished()
    qtbot.waitUntil(lambda: window.session.state == "running", timeout=10000)
    qtbot.waitUntil(lambda: second.frames > 15, timeout=10000)
    assert second.engine.blinks == [] and window.scores.text("blinks", "right") in ("–", "0")
    qtbot.keyClick(window, Qt.Key_Space)  # stop
    assert window.session.state == "stopped" and window.session.worker is None
    assert second.isFinished()
    assert window.start_button.text() == "Start"
    # the window stays usable: start the clip again from the picker's current choice
    window.open_source(clip)
    qtbot.waitUntil(lambda: window.session.state == "running", timeout=10000)
    qtbot.keyClick(window, Qt.Key_M)
    assert window.preview.mirror is False
    qtbot.keyClick(window, Qt.Key_R)
    assert window.scores.text("blinks", "right") == "–"
    window.toggle_running()
    assert window.session.state == "stopped"


def test_source_failing_mid_stream_shows_a_message(qtbot, window, clip):
    window.open_source(UnpluggedCamera(clip, fail_after=45, description="Flaky camera"))
    qtbot.waitUntil(lambda: window.session.state == "failed", timeout=15000)
    assert "stopped sending pictures" in window.notice.text()
    assert "stopped sending pictures" in window.preview.message
    assert window.start_button.text() == "Start"
    assert window.session.worker is None
    # still usable
    window.open_source(clip)
    qtbot.waitUntil(lambda: window.session.state == "running", timeout=10000)
    assert window.preview.message == ""
    window.toggle_running()
    assert window.session.state == "stopped"


def test_missing_camera_says_so_and_offers_the_sample(qtbot, window):
    window.open_source("9")
    qtbot.waitUntil(lambda: window.session.state == "failed", timeout=10000)
    assert "Camera 9 is not connected" in window.notice.text()
    assert "No camera picture" in window.preview.message
    sample = sample_clip_path()
    assert window.sample_button.isVisibleTo(window) == (sample is not None)
    assert window.open_button.isVisibleTo(window)
    if sample is not None:
        window.sample_button.click()
        qtbot.waitUntil(lambda: window.session.state == "running", timeout=10000)
        assert not window.sample_button.isVisibleTo(window)
        window.toggle_running()


def test_unreadable_file_is_a_plain_message(qtbot, window, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    window.open_source(str(bad))
    qtbot.waitUntil(lambda: window.session.state == "failed", timeout=10000)
    assert "broken.mp4" in window.notice.text()
    assert window.start_button.text() == "Start"


class _BusyCamera:
    """cv2.VideoCapture stand-in for a camera another program holds: it opens, but every read fails."""

    def isOpened(self):
        return True

    def grab(self):
        return False

    def retrieve(self):
        return False, None

    def get(self, prop):
        return 0.0

    def set(self, prop, value):
        return True

    def release(self):
        pass


def test_busy_camera_says_so_and_the_window_stays_usable(qtbot, window, clip, monkeypatch):
    from synkimeter.capture import CameraSource

    monkeypatch.setattr(CameraSource, "_make_capture", lambda self: _BusyCamera())
    window.open_source("0")
    qtbot.waitUntil(lambda: window.session.state == "failed", timeout=10000)
    assert "used by another program" in window.notice.text()
    assert window.start_button.text() == "Start" and window.session.worker is None
    window.open_source(clip)  # still usable
    qtbot.waitUntil(lambda: window.session.state == "running", timeout=10000)
    window.toggle_running()
    assert window.session.state == "stopped"


def test_a_blink_that_does_not_count_shows_no_number(qtbot):
    """A blink during talking: the panel says why in words and shows no millimetres for it."""
    from types import SimpleNamespace

    from synkimeter.core.ocular_oral import REASON_MOUTH_MOVING
    from synkimeter.gui.scores import DASH, ScoresPanel
    from synkimeter.usecases.live import SessionBlink

    panel = ScoresPanel()
    qtbot.addWidget(panel)
    talking = SessionBlink(3, "both", 1.0, 1.1, 1.3, {"right": 22.3, "left": 19.8}, False, REASON_MOUTH_MOVING, False)
    clean = SessionBlink(4, "both", 4.0, 4.1, 4.3, {"right": 1.2, "left": 0.1}, True, None, False)
    both = {"right": 0.9, "left": 0.9}
    snap = SimpleNamespace(eye_open=both, blink_count={"right": 3, "left": 3}, latest={"right": talking, "left": talking},
                           average_mm={"right": 1.1, "left": 0.2}, median_mm={"right": 1.2, "left": 0.2},
                           n_scored={"right": 2, "left": 2}, height_diff_mm=0.1)
    panel.show_snapshot(snap)
    text = panel.values[("latest", "right")].text()
    assert DASH in text and "talking" in text and "22" not in text
    panel.show_snapshot(SimpleNamespace(**{**vars(snap), "latest": {"right": clean, "left": clean}}))
    assert panel.values[("latest", "right")].text().startswith("1.2")


def _usual_movement_snapshot(blinks: int, right_mm: float, right_ci_mm: tuple[float, float]):
    """A live snapshot after `blinks` clean blinks of both eyes, the right side's usual movement
    `right_mm` with that interval, the left's 0.1 mm."""
    from types import SimpleNamespace

    from synkimeter.usecases.live import SessionBlink

    clean = SessionBlink(blinks, "both", 4.0, 4.1, 4.3, {"right": right_mm, "left": 0.1}, True, None, False)
    return SimpleNamespace(eye_open={"right": 0.9, "left": 0.9}, blink_count={"right": blinks, "left": blinks},
                           latest={"right": clean, "left": clean}, average_mm={"right": right_mm, "left": 0.1},
                           median_mm={"right": right_mm, "left": 0.1}, n_scored={"right": blinks, "left": blinks},
                           height_diff_mm=0.1, average_ci_mm={"right": right_ci_mm, "left": (0.0, 0.2)})


def test_the_usual_movement_waits_for_three_blinks_before_a_range_and_a_band(qtbot):
    """Two blinks give no verdict in the tool (`min_scored_blinks`): the live panel says how many it
    has instead of a 95 % range from 0 to several mm and a word such as "healthy"; from three, both."""
    from types import SimpleNamespace

    from synkimeter.gui.scores import ScoresPanel

    panel = ScoresPanel()
    qtbot.addWidget(panel)
    snap = _usual_movement_snapshot(2, 0.2, (0.0, 4.1))
    panel.show_snapshot(snap)
    two = panel.values[("median", "right")].text()
    assert "2&nbsp;blinks so&nbsp;far (3&nbsp;needed)" in two and "4.1" not in two and "healthy" not in two
    panel.show_snapshot(SimpleNamespace(**{**vars(snap), "n_scored": {"right": 3, "left": 3},
                                           "average_ci_mm": {"right": (0.1, 0.3), "left": (0.0, 0.2)}}))
    three = panel.values[("median", "right")].text()
    assert "0.1–0.3&nbsp;mm" in three and "healthy" in three and "so&nbsp;far" not in three


def test_the_live_panel_grades_with_the_settings_in_force(qtbot):
    """A settings file that asks for more blinks or another healthy range changes what the analysis
    grades by; the live panel says the same (its rows' healthy ranges, the blinks needed, the band),
    not the defaults."""
    from types import SimpleNamespace

    from synkimeter.gui.scores import ScoresPanel
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    params = DEFAULT_SETTINGS.with_overrides(min_scored_blinks=4, healthy_floor_mm=1.0)
    panel = ScoresPanel(params=params)
    qtbot.addWidget(panel)
    names = [panel._grid.itemAtPosition(row, 0).widget().text() for row in range(1, 5)]
    assert "Usually moves (healthy: up to 1.00 mm)" in names, names
    snap = _usual_movement_snapshot(3, 0.9, (0.8, 1.0))
    panel.show_snapshot(snap)
    assert "3&nbsp;blinks so&nbsp;far (4&nbsp;needed)" in panel.values[("median", "right")].text()
    panel.show_snapshot(SimpleNamespace(**{**vars(snap), "n_scored": {"right": 4, "left": 4}}))
    # 0.9 mm is over the default floor (0.75 mm, "mild") but within this one
    assert "healthy" in panel.values[("median", "right")].text()
