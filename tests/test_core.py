"""The numpy core against constructed landmark tracks whose truth is known."""

import numpy as np
import pytest

from synkimeter.core.align import align_to_reference, similarity_transforms
from synkimeter.core.analysis import MeasurementError, analyze_landmarks
from synkimeter.core.blinks import hysteresis
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings
from synkimeter_dev.simulate import SimBlink, base_face, regular_blinks, simulate


def test_known_head_motion_is_removed_below_a_hundredth_of_a_mm():
    still = simulate(10.0)
    moving = simulate(10.0, head_motion={"yaw_deg": 12, "pitch_deg": 8, "roll_deg": 10, "translate_px": 40,
                                         "scale": 0.08, "period_s": 3.0}, dtype=np.float64)
    aligned = align_to_reference(moving.points).aligned.astype(np.float64)
    reference = align_to_reference(still.points.astype(np.float64)).reference
    # Same face, so after alignment every frame equals the reference up to one fixed similarity.
    s, r, t = similarity_transforms(aligned[:1], reference)
    back = s[0] * aligned @ r[0].T + t[0]
    err_mm = np.linalg.norm(back - reference, axis=2).max() * still.mm_per_px
    assert err_mm < 0.01


def test_head_pose_is_reported_and_flags_large_turns():
    track = simulate(6.0, head_motion={"yaw_deg": 25, "period_s": 3.0}, dtype=np.float64)
    a = align_to_reference(track.points)
    assert np.nanmax(np.abs(a.yaw_deg)) == pytest.approx(25, abs=1.5)
    assert np.nanmax(np.abs(a.pitch_deg)) < 2
    result = analyze_landmarks(track.timestamps_s, track.points)
    assert result.summary["head_pose"]["frames_out_of_range"] > 0


def test_similarity_rejects_wrong_shapes():
    with pytest.raises(ValueError):
        similarity_transforms(np.zeros((4, 5, 2)), np.zeros((5, 2)))


def test_hysteresis_holds_between_thresholds():
    x = np.array([0, 0.2, 0.12, 0.12, 0.05, 0.12, 0.2, np.nan, 0.3])
    assert hysteresis(x, 0.15, 0.10).tolist() == [False, True, True, True, False, False, True, False, True]


def test_blink_timing_is_recovered_within_one_frame():
    blinks = [SimBlink(1.5), SimBlink(4.2, depth=0.5), SimBlink(7.0, eye="right"), SimBlink(9.1, eye="left")]
    track = simulate(11.0, blinks=blinks)
    result = analyze_landmarks(track.timestamps_s, track.points)
    found = result.summary["blinks"]
    assert [b["eye"] for b in found] == ["both", "both", "right", "left"]
    frame = 1 / 30
    for truth, got in zip(blinks, found):
        assert got["apex_s"] == pytest.approx(truth.apex_s, abs=frame)
        closing_starts = truth.apex_s - truth.hold_s / 2 - truth.close_s
        opened = truth.apex_s + truth.hold_s / 2 + truth.open_s
        assert closing_starts - frame <= got["onset_s"] <= truth.apex_s
        assert truth.apex_s <= got["offset_s"] <= opened + frame
    assert [b["complete"] for b in found] == [True, False, True, True]
    # The eye that stayed open barely moves during a wink.
    assert found[2]["closure"]["left"] < 0.1 and found[2]["closure"]["right"] > 0.6


def test_irregular_frame_times_are_used_not_frame_counts():
    track = simulate(8.0, fps=25.0, blinks=[SimBlink(2.0), SimBlink(5.5)], frame_time_jitter_s=0.01)
    found = analyze_landmarks(track.timestamps_s, track.points).summary["blinks"]
    assert [round(b["apex_s"], 1) for b in found] == [2.0, 5.5]


def test_long_closure_is_reported_apart_from_blinks():
    track = simulate(10.0, blinks=[SimBlink(2.0), SimBlink(6.0, hold_s=1.2)])
    s = analyze_landmarks(track.timestamps_s, track.points).summary
    assert len(s["blinks"]) == 1 and len(s["eye_closures"]) == 1
    assert s["eye_closures"][0]["duration_s"] > 1.0


# A patient at a webcam: the head drifts a few degrees and a centimetre over several seconds.
SITTING_STILL = {"yaw_deg": 4, "pitch_deg": 3, "roll_deg": 3, "translate_px": 15, "scale": 0.03, "period_s": 8.0}


@pytest.mark.parametrize("jitter_px, head_motion, tolerance_mm", [
    (0.0, None, 0.1),
    (0.0, SITTING_STILL, 0.15),
    (0.3, SITTING_STILL, 0.25),
])
def test_known_commissure_coupling_is_recovered_on_the_right_side_only(jitter_px, head_motion, tolerance_mm):
    track = simulate(40.0, blinks=regular_blinks(40.0, 3.0), coupling_mm={"right": 2.5}, jitter_px=jitter_px,
                     head_motion=head_motion)
    s = analyze_landmarks(track.timestamps_s, track.points).summary["ocular_oral"]
    assert s["right"]["median_mm"] == pytest.approx(2.5, abs=tolerance_mm)
    assert s["right"]["average_peak_mm"] == pytest.approx(2.5, abs=tolerance_mm)
    assert s["left"]["average_peak_mm"] < 0.05 + 0.5 * jitter_px + (0.1 if head_motion else 0.0)
    assert s["affected_side"] == "right"
    assert s["severity"] == "severe"
    assert s["right"]["correlation"] > 0.9
    low, high = s["right"]["ci95_mm"]
    assert low <= s["right"]["median_mm"] <= high


def test_healthy_face_with_head_motion_has_no_coupling():
    track = simulate(40.0, blinks=regular_blinks(40.0, 3.0), jitter_px=0.3,
                     head_motion={**SITTING_STILL, "yaw_deg": 8, "roll_deg": 6, "translate_px": 30})
    s = analyze_landmarks(track.timestamps_s, track.points).summary["ocular_oral"]
    assert s["severity"] == "none" and s["affected_side"] is None


def test_mm_scale_comes_from_the_iris():
    track = simulate(5.0, blinks=[SimBlink(2.0)])
    s = analyze_landmarks(track.timestamps_s, track.points).summary
    assert s["mm_per_px"] == pytest.approx(track.mm_per_px, rel=0.01)


def test_a_mouth_moving_before_the_blink_is_not_scored():
    track = simulate(12.0, blinks=[SimBlink(3.0), SimBlink(8.0)], coupling_mm={"right": 1.0})
    pts = track.points.copy()
    talking = (track.timestamps_s > 7.2) & (track.timestamps_s < 7.9)
    pts[talking, 61, 1] += 8.0 * np.sin(np.linspace(0, 3 * np.pi, talking.sum()))
    blinks = analyze_landmarks(track.timestamps_s, pts).summary["blinks"]
    assert blinks[0]["scored"] and not blinks[1]["scored"]
    assert "mouth" in blinks[1]["reason"]


def test_no_face_and_tiny_face_are_clear_errors():
    t = np.arange(30) / 30
    with pytest.raises(MeasurementError, match="No face"):
        analyze_landmarks(t, np.full((30, 478, 3), np.nan, dtype=np.float32))
    tiny = base_face() * 0.3
    with pytest.raises(MeasurementError, match="too small"):
        analyze_landmarks(t, np.broadcast_to(tiny, (30, 478, 3)))


def test_frames_without_face_are_excluded_and_counted():
    track = simulate(12.0, blinks=regular_blinks(12.0, 3.0), coupling_mm={"left": 1.5})
    pts = track.points.copy()
    pts[100:160] = np.nan
    s = analyze_landmarks(track.timestamps_s, pts).summary
    assert s["face_frames"] == s["frames"] - 60
    assert any("No usable face" in w for w in s["warnings"])
    assert s["ocular_oral"]["affected_side"] == "left"


def test_params_have_one_home():
    assert Settings.from_dict(DEFAULT_SETTINGS.to_dict()) == DEFAULT_SETTINGS


def test_blink_averaged_interval_is_never_below_zero():
    from synkimeter.core.ocular_oral import average_movement, bta_grid

    # Three blinks that disagree (up 0.5, down 0.4, still): the average is small and its interval,
    # +-0.5 mm wide, starts at 0 rather than below it.
    n_grid = bta_grid(DEFAULT_SETTINGS).size
    up = np.repeat(np.array([[0.5], [-0.4], [0.0]]), n_grid, axis=1)
    out = np.zeros_like(up)
    still = average_movement(up, out, DEFAULT_SETTINGS)
    low, high = still["peak_ci95_mm"]
    assert low == 0.0 < still["peak_mm"] < high
    # A clear 2 mm pull keeps its symmetric interval.
    pulled = average_movement(up + 2.0, out, DEFAULT_SETTINGS)
    low, high = pulled["peak_ci95_mm"]
    assert 0 < low < pulled["peak_mm"] < high
    assert pulled["peak_mm"] - low == pytest.approx(high - pulled["peak_mm"])


def test_an_interval_allows_for_few_blinks():
    """The blink-averaged interval is as wide as Student's t allows for the blinks it has (12.7
    standard errors for two, 4.30 for three), not the normal 1.96; the median's bootstrap gives none
    below three blinks (for two it is just their range)."""
    from synkimeter.core.ocular_oral import average_movement, bootstrap_median_ci, bta_grid

    n_grid = bta_grid(DEFAULT_SETTINGS).size
    peaks = np.array([1.8, 2.0, 2.3])
    up = np.repeat(peaks[:, None], n_grid, axis=1)
    two = average_movement(up[:2], np.zeros_like(up[:2]), DEFAULT_SETTINGS)
    half_two = 12.706 * peaks[:2].std(ddof=1) / np.sqrt(2)
    assert two["peak_ci95_mm"] == pytest.approx([1.9 - half_two, 1.9 + half_two], abs=1e-3)
    three = average_movement(up, np.zeros_like(up), DEFAULT_SETTINGS)
    low, high = three["peak_ci95_mm"]
    half = 4.303 * peaks.std(ddof=1) / np.sqrt(3)
    assert (low, high) == pytest.approx((peaks.mean() - half, peaks.mean() + half), abs=1e-3)
    assert np.isnan(bootstrap_median_ci(peaks[:2], 200, min_values=3)).all()
    assert np.isfinite(bootstrap_median_ci(peaks, 200, min_values=3)).all()


@pytest.mark.parametrize("axis", ["yaw_deg", "pitch_deg"])
def test_head_turns_up_to_20_degrees_create_no_coupling(axis):
    """A healthy face turning +/-20 degrees (yaw or pitch) while it blinks: no side is named and no
    grade given. Blinks beyond the 15 degree gate are not scored, the rest must not pick up the turn
    as mouth movement; with 2 mm of coupling and turns up to 15 degrees the pull reads 2 mm on its side."""
    motion = {axis: 20.0, "period_s": 6.0}
    healthy = simulate(40.0, blinks=regular_blinks(40.0), jitter_px=0.3, head_motion=motion, seed=7)
    s = analyze_landmarks(healthy.timestamps_s, healthy.points).summary["ocular_oral"]
    assert s["severity"] in ("none", "undetermined") and s["affected_side"] is None
    for side in ("right", "left"):
        assert s[side]["average_peak_mm"] is None or s[side]["average_peak_mm"] < 0.4
    coupled = simulate(40.0, blinks=regular_blinks(40.0), coupling_mm={"right": 2.0}, jitter_px=0.3,
                       head_motion={axis: 15.0, "period_s": 6.0}, seed=7)
    c = analyze_landmarks(coupled.timestamps_s, coupled.points).summary["ocular_oral"]
    assert c["affected_side"] == "right"
    assert c["right"]["average_peak_mm"] == pytest.approx(2.0, abs=0.4)


def test_a_blink_just_after_the_face_is_found_is_left_out_only_where_the_mesh_was_settling():
    """The mesh settles onto a face over its first frames: a blink whose baseline window begins
    before the face was found, or while the mouth's points were still settling, is not scored; a
    blink 0.45 s after a still face came into view has its baseline all the same and is scored
    (it was left out as "the face had only just come into view" before, whatever the face did)."""
    from synkimeter.core.anatomy import COMMISSURE
    from synkimeter.core.ocular_oral import REASON_FACE_LOST, REASON_SETTLING

    track = simulate(12.0, blinks=[SimBlink(2.45), SimBlink(5.0), SimBlink(7.5), SimBlink(10.0)],
                     coupling_mm={"right": 2.0}, jitter_px=0.2, seed=9)
    t = track.timestamps_s
    still = track.points.copy()
    still[t < 2.0] = np.nan  # the face comes into view at 2 s
    a = analyze_landmarks(t, still)
    first = int(np.argmin(np.abs(a.blinks.apex_s - 2.45 - 0.06)))
    assert a.reasons[first] is None
    assert sum(r is None for r in a.reasons) == 4
    assert a.result.ocular_oral.right.n == 4

    settling = still.copy()
    for side in ("right", "left"):  # the mesh's mouth corners settling by 6 px over 0.3 s
        settling[:, COMMISSURE[side], 1] += np.where(t >= 2.0, 6.0 * np.exp(-(t - 2.0) / 0.1), 0.0)
    a = analyze_landmarks(t, settling)
    assert a.reasons[first] == REASON_SETTLING
    assert sum(r is None for r in a.reasons) == 3

    late = track.points.copy()
    late[t < 2.2] = np.nan  # found 0.25 s before the blink: its baseline window is not all there
    a = analyze_landmarks(t, late)
    assert a.reasons[int(np.argmin(np.abs(a.blinks.apex_s - 2.45 - 0.06)))] in (REASON_SETTLING, REASON_FACE_LOST)


def test_a_still_face_blinking_in_bursts_has_its_blinks_scored():
    """The still recording of the issue: 14 s, six ordinary 300 ms blinks, the first 0.38 s in and a
    pair 0.78 s apart. Before, the first was "the face had only just come into view" and both of the
    pair "too close to another blink" (3 of 6 scored); the pair now shares the baseline before its
    first blink, and the first has its baseline from the clip's start."""
    apexes = [0.5, 3.0, 6.2, 6.98, 9.6, 12.4]
    track = simulate(14.0, blinks=[SimBlink(a, close_s=0.1, hold_s=0.05, open_s=0.15) for a in apexes],
                     coupling_mm={"right": 2.0}, jitter_px=0.3, seed=3)
    a = analyze_landmarks(track.timestamps_s, track.points)
    assert len(a.blinks) == 6
    assert sum(r is None for r in a.reasons) >= 5, a.reasons
    right = a.result.ocular_oral.right
    assert right.n >= 5 and right.average_peak_mm == pytest.approx(2.0, abs=0.3)
    # The second of the pair, measured against the baseline before the first, reads its own pull.
    second = int(np.argmin(np.abs(a.blinks.apex_s - 6.98)))
    assert a.mouth.baseline_lid_s[second] < a.blinks.apex_s[second - 1]
    assert a.mouth.peak_mm["right"][second] == pytest.approx(2.0, abs=0.4)


def test_a_blink_that_reopens_slowly_is_a_blink_and_a_held_closure_is_not():
    """A blink whose lid lingers near the threshold as it reopens (glasses, a reopening seen through
    camera motion) outlasts max_blink_duration_s by its thresholds, yet is closed past half its depth
    only briefly: it is a blink (it was a "deliberate eye closure" before, and not scored). A closure
    held for a second is still a deliberate one."""
    slow = SimBlink(3.0, close_s=0.08, hold_s=0.05, open_s=0.55)
    held = SimBlink(7.0, close_s=0.1, hold_s=1.0, open_s=0.2)
    track = simulate(12.0, blinks=[slow, held, SimBlink(10.0)], coupling_mm={"right": 2.0}, jitter_px=0.2, seed=5)
    a = analyze_landmarks(track.timestamps_s, track.points)
    i_slow = int(np.argmin(np.abs(a.blinks.apex_s - 3.0)))
    i_held = int(np.argmin(np.abs(a.blinks.apex_s - 7.5)))
    assert a.blinks.duration_s[i_slow] > DEFAULT_SETTINGS.max_blink_duration_s
    assert not a.blinks.voluntary[i_slow]
    assert a.blinks.voluntary[i_held]


def test_a_short_peak_is_read_between_its_frames():
    """A pull lasting ~3 frames at 24 frames/s, its top between two frames: read there through the
    cubic over four frames it keeps 95 % of its height, where a straight line keeps 87 %."""
    from synkimeter.core.ocular_oral import cubic_at

    t = np.arange(48) / 24.0
    top_s = t[24] + 0.5 / 24.0  # halfway between two frames
    pulse = 2.0 * np.exp(-0.5 * ((t - top_s) / 0.04) ** 2)
    at_top = cubic_at(t, pulse, np.array([top_s]))[0]
    assert 0.93 * 2.0 < at_top <= 2.0
    assert np.interp(top_s, t, pulse) < 0.88 * 2.0
    # Smooth movement reads as it is; the ends and a repeated time fall back to a straight line.
    slow = np.sin(t)
    x = np.linspace(t[1], t[-2], 97)
    assert np.abs(cubic_at(t, slow, x) - np.sin(x)).max() < 1e-4
    twice = t.copy()
    twice[10] = twice[9]
    assert cubic_at(twice, slow, np.array([twice[9] + 0.01]))[0] == pytest.approx(
        np.interp(twice[9] + 0.01, twice, slow))
