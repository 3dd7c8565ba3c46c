"""The live engine (synkimeter.usecases.live): fed frame by frame it agrees with the offline analysis of the
whole track, counts each blink once, and keeps its memory bounded."""

from __future__ import annotations

import numpy as np
import pytest

from synkimeter.core.analysis import analyze_landmarks
from synkimeter.core.anatomy import MEASURED
from synkimeter.core.symmetry import facing_yaw_deg, iris_diameter_image_px, symmetry
from synkimeter.usecases.live import NOTICE_NO_FACE, NOTICE_OK, NOTICE_TOO_FAR, LiveEngine
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.simulate import SimBlink, regular_blinks, simulate

MEDIAN_TOL_MM = 0.2


def feed(engine: LiveEngine, track, every: int = 8, start: int = 0, stop: int | None = None):
    snapshot = None
    stop = track.timestamps_s.size if stop is None else stop
    for i in range(start, stop):
        engine.push(track.timestamps_s[i], track.points[i])
        if i % every == every - 1:
            snapshot = engine.update()
    return engine.update() if snapshot is None or (stop - 1) % every != every - 1 else snapshot


def offline(track):
    a = analyze_landmarks(track.timestamps_s, track.points)
    return a.summary


@pytest.mark.parametrize("duration_s,jitter_px", [(40.0, 0.3), (75.0, 0.5)])
def test_engine_matches_offline_analysis(duration_s, jitter_px):
    track = simulate(duration_s, blinks=regular_blinks(duration_s), coupling_mm={"right": 2.0},
                     jitter_px=jitter_px, seed=3)
    summary = offline(track)
    snap = feed(LiveEngine(), track)
    # The clip ends 1 s after its last blink, so every blink is final by then.
    assert snap.blink_count["right"] == summary["blink_counts"]["right_eye"] == len(track.blinks)
    assert snap.blink_count["left"] == summary["blink_counts"]["left_eye"]
    for side in ("right", "left"):
        assert snap.median_mm[side] == pytest.approx(summary["ocular_oral"][side]["median_mm"], abs=MEDIAN_TOL_MM)
        assert snap.n_scored[side] == summary["ocular_oral"][side]["n"]
        # The headline, blink-averaged movement, is the same figure `analyze` leads with.
        assert snap.average_mm[side] == pytest.approx(summary["ocular_oral"][side]["average_peak_mm"],
                                                      abs=MEDIAN_TOL_MM)
    assert snap.median_mm["right"] == pytest.approx(2.0, abs=0.3)
    # The uncoupled side's per-blink peaks are its jitter's: 0.66 mm at 0.5 px since the peak-keeping
    # filter no longer flattens short blinks (commissure_smoothing_s 0.2 -> 0.1 s; it was under 0.6),
    # still well under the per-blink healthy floor (healthy_blink_peak_mm, 1.5 mm).
    assert snap.median_mm["left"] < 0.75
    assert snap.notice == NOTICE_OK


def test_each_blink_is_counted_once_however_often_it_updates():
    track = simulate(20.0, blinks=regular_blinks(20.0), coupling_mm={"right": 2.0}, jitter_px=0.3, seed=4)
    engine = LiveEngine()
    seen = []
    for t, p in zip(track.timestamps_s, track.points):
        engine.push(t, p)
        snap = engine.update()  # every frame: the most chances to double-count
        seen.extend(snap.new_blinks)
    assert len(seen) == len(track.blinks) == len(engine.blinks)
    apexes = np.array([b.apex_s for b in seen])
    truth = np.array([b.apex_s for b in track.blinks])
    assert np.all(np.abs(apexes - truth) < 0.05)
    assert [b.number for b in seen] == list(range(1, len(seen) + 1))


def test_blink_is_final_only_after_its_post_window():
    track = simulate(6.0, blinks=[SimBlink(apex_s=3.0)], seed=5)
    engine = LiveEngine()
    t = track.timestamps_s
    end_of_blink = np.searchsorted(t, 3.0 + 0.2)
    snap = feed(engine, track, every=1, stop=end_of_blink)
    assert snap.blink_count == {"right": 0, "left": 0}
    snap = feed(engine, track, every=1, start=end_of_blink)
    assert snap.blink_count == {"right": 1, "left": 1}
    assert snap.latest["right"] is not None and snap.latest["right"].eye == "both"


def test_one_sided_blinks_count_for_their_eye():
    blinks = [SimBlink(apex_s=2.0), SimBlink(apex_s=4.5, eye="right"), SimBlink(apex_s=7.0, eye="left"),
              SimBlink(apex_s=9.5)]
    track = simulate(11.0, blinks=blinks, jitter_px=0.2, seed=6)
    snap = feed(LiveEngine(), track)
    assert snap.blink_count == {"right": 3, "left": 3}
    assert snap.latest["right"].apex_s == pytest.approx(9.5, abs=0.05)


def test_memory_stays_bounded_over_a_long_feed():
    params = DEFAULT_SETTINGS
    engine = LiveEngine(params)
    buffer_bytes = engine.nbytes
    track = simulate(240.0, blinks=regular_blinks(240.0), coupling_mm={"right": 2.0}, jitter_px=0.3, seed=7)
    lengths = []
    for i, (t, p) in enumerate(zip(track.timestamps_s, track.points)):
        engine.push(t, p)
        if i % 30 == 29:
            lengths.append(len(engine))
            if i % 300 == 299:
                snap = engine.update()
                assert snap.frames <= params.live_buffer_s * 30 + 1  # analyses only the last 30 s
    assert engine.nbytes == buffer_bytes
    assert len(engine) == engine.capacity
    assert lengths[-1] == lengths[len(lengths) // 2] == engine.capacity  # constant once full
    snap = engine.update()
    assert snap.blink_count["right"] == len(track.blinks)
    assert len(snap.recent_blinks) == params.live_bar_blinks
    assert snap.series.time_s[0] >= -params.live_plot_window_s - 1e-9 and snap.series.time_s[-1] == 0.0


def test_notices_and_missing_faces():
    track = simulate(8.0, blinks=[SimBlink(apex_s=3.0)], seed=8)
    engine = LiveEngine()
    assert engine.update().notice == "waiting"
    for i in range(60):
        engine.push(track.timestamps_s[i], None)
    snap = engine.update()
    assert snap.notice == NOTICE_NO_FACE and not snap.face_found
    feed(engine, track, start=60)
    engine.push(track.timestamps_s[-1] + 0.033, None)
    assert engine.update().notice == NOTICE_NO_FACE
    # a small face: the same track shrunk to a quarter
    small = LiveEngine()
    for t, p in zip(track.timestamps_s, track.points):
        small.push(t, p * 0.25)
    assert small.update().notice == NOTICE_TOO_FAR
    # out-of-order frames are ignored
    assert not small.push(0.0, track.points[0])


def test_reset_forgets_the_session():
    track = simulate(8.0, blinks=regular_blinks(8.0), seed=9)
    engine = LiveEngine()
    assert feed(engine, track).blink_count["right"] == 2
    engine.reset()
    assert len(engine) == 0 and engine.blinks == []
    assert feed(engine, track).blink_count["right"] == 2


def test_symmetry_measures():
    track = simulate(2.0, seed=10)
    a = analyze_landmarks(track.timestamps_s, track.points)
    packed = MEASURED.take(a.alignment.aligned)
    sym = symmetry(packed, a.alignment.reference, MEASURED, a.mm_per_px)
    assert sym.openness_ratio.shape == track.timestamps_s.shape
    assert np.nanmedian(sym.openness_ratio) == pytest.approx(1.0, abs=0.25)
    assert abs(np.nanmedian(sym.height_diff_mm)) < 3.0
    for side in ("right", "left"):
        assert 15.0 < np.nanmedian(sym.excursion_mm[side]) < 40.0  # half a mouth's width, in mm
    # raising the right corner by 2 mm shows as +2 mm height difference
    raised = symmetry_with_corner_shift(track, a, up_mm=2.0)
    assert np.nanmedian(raised - sym.height_diff_mm) == pytest.approx(2.0, abs=0.05)
    iris = iris_diameter_image_px(MEASURED.take(track.points), MEASURED)
    assert np.all(iris > DEFAULT_SETTINGS.min_iris_diameter_px)
    assert np.all(np.abs(facing_yaw_deg(MEASURED.take(track.points), MEASURED)) < 10)


def symmetry_with_corner_shift(track, a, up_mm):
    from synkimeter.core.anatomy import COMMISSURE
    from synkimeter.core.ocular_oral import face_axes

    aligned = MEASURED.take(a.alignment.aligned).copy()
    _, up = face_axes(a.alignment.reference, MEASURED)
    aligned[:, MEASURED[COMMISSURE["right"]], :2] += up * up_mm / a.mm_per_px
    return symmetry(aligned, a.alignment.reference, MEASURED, a.mm_per_px).height_diff_mm


def test_per_frame_scores_agree_with_the_update_and_follow_the_frame():
    track = simulate(12.0, blinks=[SimBlink(4.0)], coupling_mm={"right": 2.0})
    engine = LiveEngine()
    closed = int(np.argmin(np.abs(track.timestamps_s - 4.0)))
    assert engine.instant(0.0, track.points[0]) is None  # nothing to judge against yet
    for t, points in zip(track.timestamps_s[:closed - 30], track.points[:closed - 30]):
        engine.push(t, points)
    snapshot = engine.update()
    last = closed - 31
    instant = engine.instant(track.timestamps_s[last], track.points[last])
    assert instant.height_diff_mm == pytest.approx(snapshot.height_diff_mm, abs=0.05)
    for side in ("right", "left"):
        assert instant.eye_open[side] == pytest.approx(snapshot.eye_open[side], abs=0.02)
    # A later frame, at the blink's apex, is judged at once, without another update.
    at_apex = engine.instant(track.timestamps_s[closed], track.points[closed])
    assert at_apex.eye_open["right"] < 0.5 and at_apex.eye_open["left"] < 0.5
    # The right corner is pulled up at the apex: it now sits higher than before the blink.
    assert at_apex.height_diff_mm - instant.height_diff_mm > 1.0


def test_the_live_engine_names_the_expression_it_sees():
    """A smile on the subject's left, held at the newest frame, is named as such; at rest nothing."""
    from test_expressions import _track

    t, pts = _track([("smile", 6.0, 12.0, "left")], duration_s=10.0)
    engine = LiveEngine()
    for i in range(t.size):
        engine.push(t[i], pts[i])
        if i == int(5.5 * 30):
            assert engine.update().expression == ""
    assert engine.update().expression == "Smiling on your left"
