"""Property tests (hypothesis) over the numpy core's inputs: whatever arrays arrive, the core answers
with a result or a clear ValueError (MeasurementError is one), never another exception."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from synkimeter.cli.summary import format_blink_table, format_summary  # noqa: E402
from synkimeter.core.align import align_to_reference  # noqa: E402
from synkimeter.core.analysis import MeasurementError, analyze_landmarks  # noqa: E402
from synkimeter.core.anatomy import HEAD_ANCHORS, MEASURED  # noqa: E402
from synkimeter.core.blinks import Blinks, detect_blinks  # noqa: E402
from synkimeter.core.ocular_oral import MouthTraces, blink_triggered_average  # noqa: E402
from synkimeter.core.results import jsonable  # noqa: E402
from synkimeter.usecases.settings import DEFAULT_SETTINGS  # noqa: E402
from synkimeter_dev.simulate import base_face, regular_blinks, simulate  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])
N_SUBSET = len(MEASURED)
_TRACK = simulate(8.0, blinks=regular_blinks(8.0, 2.0, start_s=1.0), coupling_mm={"right": 1.5}, jitter_px=0.2)
SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, 1e300, -1e300, 1e30, 1e-30])


def _quietly(fn, *args, **kwargs):
    """Call fn; a ValueError is an accepted answer. Numpy RuntimeWarnings are fine, errors are not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return fn(*args, **kwargs)
        except ValueError as exc:
            assert str(exc), "a ValueError must say what is wrong"
            return exc


def _check_summary(result):
    if isinstance(result, ValueError):
        return
    s = result.summary
    assert s["frames"] == result.timestamps_s.size
    assert 0 <= s["face_frames"] <= s["frames"]
    json.dumps(jsonable(s), allow_nan=False)  # what --json writes
    format_summary(result.result)  # what `analyze` prints
    format_blink_table(result.result)


# --------------------------------------------------------------------------------------------------
# analyze_landmarks


@st.composite
def landmark_tracks(draw):
    """A real track, cut to a random length, with random corruptions of points and times."""
    n = draw(st.integers(0, 90))
    use_subset = draw(st.booleans())
    start = draw(st.integers(0, _TRACK.timestamps_s.size - n))
    t = _TRACK.timestamps_s[start:start + n].astype(np.float64).copy()
    pts = _TRACK.points[start:start + n].astype(np.float64).copy()
    if use_subset:
        pts = MEASURED.take(pts)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["special_cells", "special_frames", "scale", "constant", "noise",
                                     "dup_times", "time_special", "reverse_times", "shift_times"]))
        if n == 0:
            break
        if kind == "special_cells":
            k = draw(st.integers(1, 50))
            value = draw(SPECIAL)
            idx = tuple(rng.integers(0, s, k) for s in pts.shape)
            pts[idx] = value
        elif kind == "special_frames":
            rows = rng.integers(0, n, draw(st.integers(1, max(1, n))))
            pts[rows] = draw(SPECIAL)
        elif kind == "scale":
            pts = pts * draw(st.sampled_from([1e-12, 1e-6, 1e-3, 1e3, 1e9, 1e150, -1.0]))
        elif kind == "constant":
            pts[:] = pts[:1] if draw(st.booleans()) else draw(st.floats(-1e6, 1e6))
        elif kind == "noise":
            pts = pts + rng.normal(0, draw(st.sampled_from([0.01, 1.0, 50.0, 1e4])), pts.shape)
        elif kind == "dup_times":
            t[:] = t[0] if draw(st.booleans()) else np.repeat(t[::2], 2)[:n]
        elif kind == "time_special":
            t[rng.integers(0, n, draw(st.integers(1, 3)))] = draw(SPECIAL)
        elif kind == "reverse_times":
            t = t[::-1].copy()
        elif kind == "shift_times":
            t = t * draw(st.sampled_from([1e-6, 1e-3, 10.0, 1e6])) + draw(st.sampled_from([0.0, -5.0, 1e9]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    with np.errstate(over="ignore"):  # 1e300 in float32 is inf: one more special value
        return t, pts.astype(dtype)


@FUZZ
@given(landmark_tracks(), st.sampled_from([None, "left", "right", "up"]))
def test_analyze_landmarks_answers_or_raises_value_error(track, side):
    t, pts = track
    _check_summary(_quietly(analyze_landmarks, t, pts, affected_side=side))


@FUZZ
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, max_side=6),
                  elements=st.floats(allow_nan=True, allow_infinity=True)),
       hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=6),
                  elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_analyze_landmarks_random_shapes(points, times):
    result = _quietly(analyze_landmarks, times, points)
    _check_summary(result)


@FUZZ
@given(st.integers(0, 40), st.sampled_from([N_SUBSET, 478]), SPECIAL)
def test_analyze_landmarks_all_special_or_tiny(n, width, value):
    pts = np.full((n, width, 3), value)
    t = np.arange(n) / 30.0
    result = _quietly(analyze_landmarks, t, pts)
    assert isinstance(result, MeasurementError) or n and np.isfinite(value)


def test_single_and_zero_frames():
    one = _quietly(analyze_landmarks, _TRACK.timestamps_s[:1], _TRACK.points[:1])
    _check_summary(one)
    none = _quietly(analyze_landmarks, np.zeros(0), np.zeros((0, 478, 3)))
    assert isinstance(none, MeasurementError)
    # without require_face, zero frames still give a (empty) result or a ValueError
    _check_summary(_quietly(analyze_landmarks, np.zeros(0), np.zeros((0, 478, 3)), require_face=False))


def test_wrong_shapes_raise_value_error():
    for t, pts in [(np.zeros(3), np.zeros((3, 478, 2))), (np.zeros(3), np.zeros((4, 478, 3))),
                   (np.zeros((3, 1)), np.zeros((3, 478, 3))), (np.zeros(3), np.zeros((3, 100, 3))),
                   (np.zeros(3), np.zeros((3, 478))), (np.zeros(3), np.zeros(3))]:
        with pytest.raises(ValueError):
            analyze_landmarks(t, pts)


# --------------------------------------------------------------------------------------------------
# detect_blinks, align_to_reference, blink_triggered_average


closures = hnp.arrays(np.float64, st.integers(0, 200),
                      elements=st.one_of(st.floats(-2, 3), st.just(np.nan), st.just(np.inf), st.just(-np.inf)))


@st.composite
def timelines(draw, n):
    kind = draw(st.sampled_from(["regular", "jitter", "duplicates", "gaps", "constant"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fps = draw(st.sampled_from([5.0, 10.0, 30.0, 60.0, 240.0]))
    t = np.arange(n) / fps
    if kind == "jitter":
        t = np.sort(t + rng.uniform(-0.4 / fps, 0.4 / fps, n))
    elif kind == "duplicates":
        t = np.repeat(t[::2], 2)[:n]
    elif kind == "gaps":
        t = np.cumsum(rng.choice([1 / fps, 1 / fps, 5 / fps, 0.0], n))
    elif kind == "constant":
        t = np.zeros(n)
    return t


@st.composite
def closure_pairs(draw):
    right = draw(closures)
    n = right.size
    left = draw(hnp.arrays(np.float64, n, elements=st.one_of(st.floats(-2, 3), st.just(np.nan))))
    if draw(st.booleans()) and n:  # a realistic signal with blinks mixed in
        t = np.arange(n) / 30.0
        bumps = np.maximum(0, 1 - np.abs((t[:, None] - np.arange(0.5, 7, 1.3)[None]) / 0.12)).max(axis=1)
        right = np.where(np.isfinite(right), right * 0.05, right) + bumps
    return draw(timelines(n)), {"right": right, "left": left}


def _check_blinks(b: Blinks, n_frames: int):
    assert isinstance(b, Blinks)
    fields = [b.eye, b.onset_s, b.apex_s, b.offset_s, b.closure_right, b.closure_left, b.complete, b.voluntary]
    assert len({f.shape for f in fields}) == 1
    assert set(np.unique(b.eye)) <= {0, 1, 2}
    ok = np.isfinite(b.onset_s) & np.isfinite(b.offset_s)
    assert (b.offset_s[ok] >= b.onset_s[ok] - 1e-9).all()


@FUZZ
@given(closure_pairs())
def test_detect_blinks_on_random_closure(pair):
    t, c = pair
    result = _quietly(detect_blinks, t, c)
    if not isinstance(result, ValueError):
        _check_blinks(result, t.size)


@FUZZ
@given(st.integers(0, 30), st.data())
def test_align_to_reference_on_random_points(n, data):
    face = base_face().astype(np.float64)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    pts = np.broadcast_to(face, (n, *face.shape)).copy()
    pts += rng.normal(0, data.draw(st.sampled_from([0.0, 0.5, 100.0])), pts.shape)
    if n:
        mode = data.draw(st.sampled_from(["none", "nan_rows", "cells", "collapse", "huge", "tiny", "inf"]))
        if mode == "nan_rows":
            pts[rng.integers(0, n, max(1, n // 2))] = np.nan
        elif mode == "cells":
            pts[tuple(rng.integers(0, s, 40) for s in pts.shape)] = data.draw(SPECIAL)
        elif mode == "collapse":  # every anchor on one point: no transform exists
            pts[:, HEAD_ANCHORS] = pts[:, HEAD_ANCHORS[:1]]
        elif mode == "huge":
            pts *= 1e150
        elif mode == "tiny":
            pts *= 1e-150
        elif mode == "inf":
            pts[0, HEAD_ANCHORS[0], 0] = np.inf
    hold = data.draw(hnp.arrays(bool, n))
    result = _quietly(align_to_reference, pts, hold=hold if data.draw(st.booleans()) else None)
    if not isinstance(result, ValueError):
        assert result.aligned.shape == pts.shape
        assert result.yaw_deg.shape == (n,)


@FUZZ
@given(st.data())
def test_blink_triggered_average_on_random_traces(data):
    n = data.draw(st.integers(0, 150))
    t = data.draw(timelines(n))
    elements = st.one_of(st.floats(-1e6, 1e6), st.just(np.nan))
    traces = MouthTraces(
        up_mm={s: data.draw(hnp.arrays(np.float64, n, elements=elements)) for s in ("left", "right")},
        out_mm={s: data.draw(hnp.arrays(np.float64, n, elements=elements)) for s in ("left", "right")},
        lip_gap_mm=data.draw(hnp.arrays(np.float64, n, elements=elements)),
    )
    onsets = data.draw(hnp.arrays(np.float64, st.integers(0, 8),
                                  elements=st.one_of(st.floats(-10, 20), st.just(np.nan), st.just(np.inf))))
    result = _quietly(blink_triggered_average, t, onsets, traces, DEFAULT_SETTINGS)
    if not isinstance(result, ValueError):
        assert set(result) >= {"time_s", "n", "left", "right"}
        for side in ("left", "right"):
            assert len(result[side]["mm"]) == len(result["time_s"])


# --------------------------------------------------------------------------------------------------
# what the fuzzing found, kept as plain cases


@pytest.mark.parametrize("case", ["equal_times", "scalar_time", "femtosecond_frames", "collapsed_face",
                                  "nan_last_time"])
def test_cases_found_by_fuzzing(case):
    t = _TRACK.timestamps_s[:60].astype(np.float64).copy()
    pts = _TRACK.points[:60].astype(np.float64).copy()
    if case == "equal_times":  # ZeroDivisionError in the mouth-moving gate
        t[:] = 0.0
    elif case == "scalar_time":  # IndexError before the shape check
        with pytest.raises(ValueError):
            analyze_landmarks(np.float64(0.0), pts[:1])
        return
    elif case == "femtosecond_frames":  # a 10^13-frame moving average: MemoryError
        t *= 1e-12
    elif case == "collapsed_face":  # an iris of 0 px: ZeroDivisionError
        pts = (pts * 1e-22).astype(np.float32)
    elif case == "nan_last_time":
        t[-1] = np.nan
    _check_summary(_quietly(analyze_landmarks, t, pts))


def test_frame_times_a_hair_apart_are_answered_not_overflowed():
    """Found by the fuzzer: frames 1e-300 s apart asked find_peaks for a window of ~1e298 frames."""
    pts = simulate(0.1, blinks=[], seed=0).points[:3]
    t = np.array([0.0, 1e-300, 1e-300])
    _check_summary(_quietly(analyze_landmarks, t, pts))
