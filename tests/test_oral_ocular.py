"""Oral-ocular synkinesis: eye narrowing during mouth tasks and the eFACE-style ocular score."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synkimeter.core.analysis import analyze_landmarks
from synkimeter.core.oral_ocular import (
    FissureLevel,
    Narrowing,
    clip_fissure_levels,
    event_mask,
    fissure_level,
    narrowing,
    ocular_synkinesis_score,
    oral_ocular_from_analyses,
)
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.simulate import SimBlink, regular_blinks, simulate


def test_event_mask_matches_a_loop():
    t = np.arange(0, 10, 1 / 30)
    on, off = np.array([1.0, 4.0, 4.2, 9.9]), np.array([1.3, 4.5, 4.3, 12.0])
    expected = np.zeros(t.size, bool)
    for a, b in zip(on, off):
        expected |= (t >= a - 0.1) & (t <= b + 0.1)
    assert np.array_equal(event_mask(t, on, off, 0.1), expected)
    assert not event_mask(t, [], []).any()


def _level_pair(rest_mm, task_mm, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 10, 1 / 30)
    rest = fissure_level(t, rest_mm + rng.normal(0, noise, t.size), kind="open")
    task = fissure_level(t, task_mm + rng.normal(0, noise, t.size), kind="active")
    return rest, task


def test_narrowing_is_relative_to_rest_with_an_interval():
    rest, task = _level_pair(10.0, 7.0)
    n = narrowing(rest, task)
    assert n.pct == pytest.approx(30.0, abs=1.0)
    assert n.ci95_pct[0] < n.pct < n.ci95_pct[1]
    assert n.ci95_pct[1] - n.ci95_pct[0] < 3.0
    # no narrowing: near zero (the low task percentile of smoothed jitter adds well under 1 %)
    rest, task = _level_pair(10.0, 10.0)
    assert abs(narrowing(rest, task).pct) < 1.0


def test_missing_data_gives_nan_not_an_error():
    n = narrowing(FissureLevel(float("nan"), float("nan"), 0), FissureLevel(7.0, 0.1, 100))
    assert np.isnan(n.pct)
    score = ocular_synkinesis_score({})
    assert np.isnan(score.score)


def _n(pct, se=0.5):
    return Narrowing(pct, se, (pct - 1.96 * se, pct + 1.96 * se), 10.0, 10.0 * (1 - pct / 100))


def test_score_healthy_synkinetic_and_weights():
    healthy = {"pucker": {"right": _n(2), "left": _n(2)}, "smile": {"right": _n(20), "left": _n(21)}}
    assert ocular_synkinesis_score(healthy, "right").score > 97
    sick = {"pucker": {"right": _n(30), "left": _n(2)}, "smile": {"right": _n(45), "left": _n(20)}}
    score = ocular_synkinesis_score(sick)  # affected side found: the one that narrows more
    assert score.affected_side == "right"
    pucker = 100 * 0.70 / 0.98
    smile = 100 * 0.55 / 0.80
    w = DEFAULT_SETTINGS
    assert score.per_task["pucker"]["score"] == pytest.approx(pucker, abs=0.01)
    assert score.score == pytest.approx((w.pucker_weight * pucker + w.smile_weight * smile)
                                        / (w.pucker_weight + w.smile_weight), abs=0.01)
    assert score.ci95[0] < score.score < score.ci95[1]
    # a missing task: the others' weights renormalised
    only_pucker = ocular_synkinesis_score({"pucker": sick["pucker"]}, "right")
    assert only_pucker.score == pytest.approx(pucker, abs=0.01)
    # the healthy side named by the user: the ratio inverts and is clipped at 100
    assert ocular_synkinesis_score(sick, "left").score == 100.0


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["pucker", "smile", "rest", "brow"]),
                       st.tuples(st.floats(-50, 99), st.floats(-50, 99), st.floats(0, 20)), max_size=4),
       st.sampled_from([None, "right", "left"]))
def test_score_always_within_0_100(tasks, side):
    narrows = {k: {"right": _n(a, se), "left": _n(b, se)} for k, (a, b, se) in tasks.items()}
    s = ocular_synkinesis_score(narrows, side)
    if np.isfinite(s.score):
        assert 0 <= s.ci95[0] <= s.score <= s.ci95[1] <= 100


def _task_clip(depth_right, depth_left, seed, duration=10.0):
    """A task clip: blinks as usual, and each eye narrowed by `depth` of its rest height for most of it."""
    blinks = regular_blinks(duration)
    for side, depth in (("right", depth_right), ("left", depth_left)):
        if depth:
            blinks.append(SimBlink(apex_s=duration / 2, eye=side, depth=depth / 0.85, close_s=0.5,
                                   hold_s=duration - 4, open_s=0.5))
    tr = simulate(duration, blinks=blinks, jitter_px=0.3, seed=seed)
    return analyze_landmarks(tr.timestamps_s, tr.points)


def test_from_landmarks_blinks_excluded_held_narrowing_kept():
    rest = _task_clip(0, 0, seed=1)
    levels = clip_fissure_levels(rest)
    for side in ("right", "left"):
        assert levels[side]["open"].n_frames < rest.timestamps_s.size  # blinks left out
        # the rest clip against itself: no narrowing despite its blinks
        assert abs(narrowing(levels[side]["open"], levels[side]["active"]).pct) < 1.5
    result = oral_ocular_from_analyses(rest, {"pucker": _task_clip(0.30, 0.02, 2), "smile": _task_clip(0.45, 0.20, 3)})
    pucker = result["narrowing"]["pucker"]
    assert pucker["right"]["pct"] == pytest.approx(30, abs=2.5)
    assert pucker["left"]["pct"] == pytest.approx(2, abs=2.0)
    assert result["narrowing"]["smile"]["left"]["pct"] == pytest.approx(20, abs=2.5)
    oc = result["ocular_synkinesis"]
    assert oc["affected_side"] == "right"
    assert 60 < oc["score"] < 80
