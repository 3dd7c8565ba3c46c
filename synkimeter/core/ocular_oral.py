"""Ocular-oral synkinesis: how far each mouth corner moves during the eye's blinks, in millimetres.

Per blink and per side, the commissure's position (head motion removed) relative to its own mean
in a pre-blink window; the peak of that displacement within the blink; gates that keep talking,
head turns and lost faces out of the score; per-side summaries with their uncertainty.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from synkimeter.core.align import AlignedPoints
from synkimeter.core.anatomy import COMMISSURE, IRIS_CENTRE, LOWER_LIP_INNER, SIDES, UPPER_LIP_INNER, LandmarkSubset
from synkimeter.core.blinks import Blinks, padded_windows
from synkimeter.core.eyes import _distance_between, _fill_gaps, median_frame_interval_s, window_frames
from synkimeter.core.oral_ocular import event_mask
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams

REASON_VOLUNTARY = "a long, deliberate eye closure, not a blink"
REASON_FACE_LOST = "the face was not found around the blink"
REASON_HEAD_TURNED = "the head was turned away from the camera (face the camera when you blink)"
REASON_MOUTH_MOVING = "the mouth was already moving before the blink"
REASON_TOO_CLOSE = "too close to another blink"
REASON_MOUTH_STAYED = "the mouth moved on its own during the blink (talking or a change of expression)"
REASON_NOT_AT_REST = "the mouth was not at rest before the blink (a smile, pucker or open mouth held)"
REASON_SETTLING = "the face had only just come into view"
REASON_AT_END = "the recording ended before the mouth could be seen to come back"
REASON_IMPLAUSIBLE = "the mouth corner could not be followed (it seemed to move further than a face can)"


@dataclass(frozen=True)
class MouthTraces:
    """Per-frame commissure position per side in mm, relative to its clip median, along the face's
    own axes: `up` (towards the brow) and `out` (away from the midline). Lightly smoothed."""

    up_mm: dict[str, np.ndarray]
    out_mm: dict[str, np.ndarray]
    lip_gap_mm: np.ndarray
    # Frames left out (NaN above) because a corner sat further from rest than a face can move it.
    implausible: np.ndarray | None = None

    def displacement_mm(self, side: str) -> np.ndarray:
        return np.hypot(self.up_mm[side], self.out_mm[side])


def face_axes(reference: np.ndarray, subset: LandmarkSubset) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (image x, y) of the reference face: towards the subject's left, and up."""
    across = reference[subset[IRIS_CENTRE["left"]], :2] - reference[subset[IRIS_CENTRE["right"]], :2]
    norm = np.linalg.norm(across)
    across = across / norm if np.isfinite(norm) and norm > 0 else np.array([1.0, 0.0])
    up = np.array([across[1], -across[0]])  # image y grows downwards
    return across, up


def _smooth(series: np.ndarray, frames: int) -> np.ndarray:
    """Moving average (NaN stays NaN): for gates, where only large slow movement matters."""
    frames = min(frames, series.size)  # absurdly close frame times must not ask for a huge filter
    if frames <= 1:
        return series
    from scipy import ndimage  # loaded at first use: the window starts without it
    smoothed = ndimage.uniform_filter1d(_fill_gaps(series), size=frames, mode="nearest")
    smoothed[~np.isfinite(series)] = np.nan
    return smoothed


def _smooth_keep_peaks(series: np.ndarray, frames: int) -> np.ndarray:
    """Savitzky-Golay (quadratic): lowers jitter while keeping the height of a 100-400 ms peak,
    which a moving average would flatten."""
    from scipy.signal import savgol_filter  # ~1 s to import: loaded at first use, not at start-up
    if frames < 5 or series.size < frames:
        return series
    smoothed = savgol_filter(_fill_gaps(series), frames, 2, mode="interp")
    smoothed[~np.isfinite(series)] = np.nan
    return smoothed


def mouth_traces(aligned: AlignedPoints, reference: np.ndarray, subset: LandmarkSubset, mm_per_px: float,
                 frame_interval_s: float, params: MeasurementParams = DEFAULT_MEASUREMENT) -> MouthTraces:
    across, up = face_axes(reference, subset)
    frames = window_frames(params.commissure_smoothing_s, frame_interval_s)
    deltas = {}
    for side in SIDES:
        # Filled from strided (T,) views, one coordinate each: gathering aligned[:, i, :2] first
        # cost several times the subtraction.
        corner = int(subset[COMMISSURE[side]])
        delta = np.empty((aligned.shape[0], 2))
        delta[:, 0], delta[:, 1] = aligned[:, corner, 0], aligned[:, corner, 1]
        delta -= reference[corner, :2]
        deltas[side] = delta
    with np.errstate(invalid="ignore"):
        implausible = np.zeros(aligned.shape[0], dtype=bool)
        for delta in deltas.values():
            implausible |= np.hypot(delta[:, 0], delta[:, 1]) * mm_per_px > params.max_commissure_excursion_mm
    up_mm, out_mm = {}, {}
    for side in SIDES:
        delta = np.where(implausible[:, None], np.nan, deltas[side])
        outward = across if side == "left" else -across
        up_mm[side] = _smooth_keep_peaks(delta @ up * mm_per_px, frames)
        out_mm[side] = _smooth_keep_peaks(delta @ outward * mm_per_px, frames)
    gap = _distance_between(aligned, int(subset[UPPER_LIP_INNER]), int(subset[LOWER_LIP_INNER]), dims=2)
    gap = np.where(implausible, np.nan, gap.astype(np.float64) * mm_per_px)
    return MouthTraces(up_mm, out_mm, _smooth_keep_peaks(gap, frames), implausible)


def _window_mean(cumsum: np.ndarray, counts: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Mean of finite samples in frames [start, stop) from prefix sums."""
    n = counts[stop] - counts[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (cumsum[stop] - cumsum[start]) / n, np.nan)


def _prefix(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(series)
    return (np.concatenate(([0.0], np.cumsum(np.where(finite, series, 0.0)))),
            np.concatenate(([0], np.cumsum(finite))))


@dataclass(frozen=True)
class EventMouth:
    """Per-event, per-side mouth measures (arrays over events)."""

    peak_mm: dict[str, np.ndarray]
    up_mm: dict[str, np.ndarray]  # components of the displacement at its peak
    out_mm: dict[str, np.ndarray]
    latency_s: dict[str, np.ndarray]  # from the eye's onset to the peak
    pre_motion_mm: np.ndarray  # how much the mouth moved just before the event
    face_lost: np.ndarray
    head_turned: np.ndarray
    implausible: np.ndarray  # a corner beyond a face's reach around the event (tracking failed)
    settling: np.ndarray  # the face had only just been found (the mesh still settling onto it)
    quiet_before_s: np.ndarray  # how much time before the lid the gate could judge (no other blink in it)
    quiet_after_s: np.ndarray  # likewise after the eye reopened, before the next blink (NaN: the data ended)
    # How far a corner sat from its usual place before the blink: a held smile or pucker is not rest.
    away_from_rest_mm: np.ndarray
    # How far the mouth stayed from its pre-blink place once the eye had reopened: a coupled pull
    # goes back with the lid, talking or a new expression does not (NaN: another blink was there).
    unreturned_mm: np.ndarray
    lid_start_s: np.ndarray  # when the lid started to move
    # What the baseline and gates were measured against: the lid start of the burst's first blink.
    baseline_lid_s: np.ndarray
    # In a burst longer than `burst_max_s`: its baseline is too long before to stand for it.
    burst_too_long: np.ndarray
    # The face was found less than the settling time before the baseline: the gate has only the
    # frames since (its minimum quiet time is not asked for).
    just_found: np.ndarray


def baseline_window(t: np.ndarray, lid_s: np.ndarray,
                    params: MeasurementParams = DEFAULT_MEASUREMENT) -> tuple[np.ndarray, np.ndarray]:
    """Each event's rest window for the mouth corners, frames [start, stop): `pre_blink_start_s` to
    `pre_blink_end_s` around the lid's start (at low frame rates, at least the last frame before it)."""
    base_start = np.searchsorted(t, lid_s + params.pre_blink_start_s, side="left")
    base_stop = np.searchsorted(t, lid_s + params.pre_blink_end_s, side="right")
    base_start = np.minimum(base_start, np.maximum(base_stop - 1, 0))
    base_stop = np.maximum(base_stop, base_start + 1)
    return base_start, np.minimum(base_stop, t.size)


def baseline_mean(t: np.ndarray, lid_s: np.ndarray, series: np.ndarray,
                  params: MeasurementParams = DEFAULT_MEASUREMENT) -> np.ndarray:
    """Mean of `series` over each event's rest window (`baseline_window`); NaN where it holds no sample."""
    return _window_mean(*_prefix(series), *baseline_window(t, lid_s, params))


def final_after_offset_s(params: MeasurementParams = DEFAULT_MEASUREMENT) -> float:
    """How long after a blink's offset its measures are final: the peak window, the return gate's
    window and the smoothing's reach ahead of both."""
    return (params.post_blink_s + _smoothing_reach_s(params) + params.mouth_return_window_s
            + 0.5 * params.commissure_smoothing_s)


def _smoothing_reach_s(params: MeasurementParams) -> float:
    """How far ahead (and back) a gate's sample sees: the traces' own peak-keeping filter, then the
    gate's moving average, each reaching half its window."""
    return 0.5 * (params.commissure_smoothing_s + params.mouth_moving_smoothing_s)


def bursts(lid_s: np.ndarray, offset_s: np.ndarray,
           params: MeasurementParams = DEFAULT_MEASUREMENT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blinks that follow one another too closely for a baseline of their own (people blink in
    bursts): per event, the index of its burst's first and last event, and whether its burst has
    run on longer than `burst_max_s` from its first lid (that baseline is then too old to use).

    An event joins the previous one when its baseline window, widened by the smoothing's reach,
    would touch that event's peak window."""
    lid_s, offset_s = np.asarray(lid_s, dtype=np.float64), np.asarray(offset_s, dtype=np.float64)
    if lid_s.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty.copy(), np.zeros(0, dtype=bool)
    reach = _smoothing_reach_s(params)
    previous_end = np.concatenate(([-np.inf], np.maximum.accumulate(offset_s)[:-1])) + params.post_blink_s + reach
    joins = lid_s + params.pre_blink_start_s - reach < previous_end
    starts = np.flatnonzero(~joins)
    if not starts.size or starts[0] != 0:
        starts = np.concatenate(([0], starts))
    group = np.cumsum(np.isin(np.arange(lid_s.size), starts)) - 1
    first_of = starts[group]
    ends = np.append(starts[1:], lid_s.size) - 1
    last_of = ends[group]
    # An event alone has its own baseline however long it lasts (a held eye closure runs for seconds).
    too_long = (last_of != first_of) & ((offset_s[last_of] - lid_s[first_of]) > params.burst_max_s)
    return first_of, last_of, too_long


def measure_events(timestamps_s: np.ndarray, onset_s: np.ndarray, offset_s: np.ndarray, traces: MouthTraces,
                   head_ok: np.ndarray, params: MeasurementParams = DEFAULT_MEASUREMENT,
                   lid_start_s: np.ndarray | None = None, settled_at_start: bool = False) -> EventMouth:
    """Peak commissure displacement per event and side, relative to the pre-event baseline.

    Every "before" window (the baseline, the mouth-already-moving gate) ends before the lid starts to
    move (`lid_start_s`, from `blinks.lid_start_s`; the detected onset when not given), so that a
    movement coupled to the lid is measured, never taken for talking.
    """
    t = np.asarray(timestamps_s, dtype=np.float64)
    onset_s = np.asarray(onset_s, dtype=np.float64)
    offset_s = np.asarray(offset_s, dtype=np.float64)
    lid_s = onset_s if lid_start_s is None else np.minimum(np.asarray(lid_start_s, dtype=np.float64), onset_s)
    n = t.size
    guard_s = _smoothing_reach_s(params)
    first_of, last_of, burst_too_long = bursts(lid_s, offset_s, params)
    # Blinks in a burst share the baseline and the "already moving" gate before the burst's first
    # lid, and the "came back" check after its last: no time between them is needed.
    base_lid_s = lid_s[first_of]
    base_start, base_stop = baseline_window(t, base_lid_s, params)
    peak_first = np.searchsorted(t, lid_s, side="left")
    peak_last = np.maximum(np.searchsorted(t, offset_s + params.post_blink_s, side="right") - 1, peak_first)
    index, mask = padded_windows(peak_first, peak_last, n)
    rows = np.arange(index.shape[0])

    peak, up_at, out_at, latency = {}, {}, {}, {}
    away_from_rest = np.zeros(index.shape[0])
    for side in SIDES:
        base_up = _window_mean(*_prefix(traces.up_mm[side]), base_start, base_stop)
        base_out = _window_mean(*_prefix(traces.out_mm[side]), base_start, base_stop)
        # Where the corner sat before the blink, against the clip's usual (median) face.
        away_from_rest = np.fmax(away_from_rest, np.hypot(base_up, base_out))
        d_up = traces.up_mm[side][index] - base_up[:, None]
        d_out = traces.out_mm[side][index] - base_out[:, None]
        magnitude = np.where(mask, np.hypot(d_up, d_out), np.nan)
        finite_any = np.isfinite(magnitude).any(axis=1) if index.shape[0] else np.zeros(0, dtype=bool)
        col = (np.argmax(np.where(np.isfinite(magnitude), magnitude, -np.inf), axis=1) if index.shape[0]
               else np.zeros(0, dtype=np.intp))
        peak[side] = np.where(finite_any, magnitude[rows, col], np.nan)
        up_at[side] = np.where(finite_any, d_up[rows, col], np.nan)
        out_at[side] = np.where(finite_any, d_out[rows, col], np.nan)
        latency[side] = np.where(finite_any, t[index[rows, col]] - lid_s, np.nan)

    # Gates look at the whole span from the baseline window to the end of the peak window.
    span_index, span_mask = padded_windows(base_start, peak_last, n)
    bad = (traces.implausible if traces.implausible is not None else np.zeros(n, dtype=bool))[span_index] & span_mask
    implausible = bad.any(axis=1)
    face_lost = ~np.where(span_mask & ~bad, np.isfinite(traces.up_mm["right"][span_index])
                          & np.isfinite(traces.up_mm["left"][span_index]), True).all(axis=1)
    # The mesh settles onto a face over its first half second (1.5-6 px at first): a blink whose
    # baseline starts before that is measured against a moving face.
    found = np.isfinite(traces.up_mm["right"]) & np.isfinite(traces.up_mm["left"])
    appeared = found & ~np.concatenate(([False], found[:-1]))
    if settled_at_start and appeared.size:
        appeared[0] = False  # a cut from a longer recording: the mesh had settled before it began
    appeared_s = np.concatenate(([-np.inf], t[appeared]))  # -inf: no appearance before (never settling)
    last_found = appeared_s[np.searchsorted(appeared_s, base_lid_s, side="right") - 1]
    # Its baseline must lie wholly after the face was found; within the settling time after that it
    # is only left out where the mesh was seen settling (below): a still face found 0.3 s before a
    # blink has its baseline all the same.
    before_found = base_lid_s + params.pre_blink_start_s < last_found
    just_found = base_lid_s + params.pre_blink_start_s - last_found < params.optical_flow_settle_s
    head_turned = ~np.where(span_mask, head_ok[span_index], True).all(axis=1)

    # The gate's window ends the smoothing's reach before the (burst's first) lid starts to move, so
    # no sample in it can see the blink's own movement.
    pre_first = np.searchsorted(t, base_lid_s - guard_s - params.mouth_moving_window_s, side="left")
    pre_last = np.maximum(np.searchsorted(t, base_lid_s - guard_s, side="right") - 1, pre_first)
    pre_index, pre_mask = padded_windows(pre_first, pre_last, n)
    # Nor may it see a neighbouring blink's movement (blinks come in bursts): the frames of every
    # event, widened by the smoothing's reach, are left out of every event's gate.
    after_start_s = offset_s + params.post_blink_s + guard_s
    in_events = event_mask(t, lid_s - guard_s, after_start_s)
    pre_mask = pre_mask & ~in_events[pre_index]
    ranges = []
    # duplicated or missing times must not make the frame interval 0 or NaN
    gate_frames = window_frames(params.mouth_moving_smoothing_s, median_frame_interval_s(t))
    for series in (*traces.up_mm.values(), *traces.out_mm.values(), traces.lip_gap_mm):
        values = np.where(pre_mask, _smooth(series, gate_frames)[pre_index], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no frame before the blink
            ranges.append(np.nanmax(values, axis=1) - np.nanmin(values, axis=1))
    pre_motion = np.nan_to_num(np.max(np.vstack(ranges), axis=0), nan=0.0) if index.shape[0] else np.zeros(0)
    settling = before_found | (just_found & (pre_motion > params.mouth_moving_mm))
    quiet_s = pre_mask.sum(axis=1) * median_frame_interval_s(t) if index.shape[0] else np.zeros(0)

    # After the blink (the burst's last): the mean place in a short window once the lid is open
    # again (and the smoothing no longer reaches back into the blink), against the baseline's.
    return_start_s = after_start_s[last_of]
    after_first = np.searchsorted(t, return_start_s, side="left")
    after_last = np.maximum(np.searchsorted(t, return_start_s + params.mouth_return_window_s, side="right") - 1,
                            after_first)
    after_index, after_mask = padded_windows(after_first, after_last, n)
    after_mask = after_mask & ~in_events[after_index]
    quiet_after_s = after_mask.sum(axis=1) * median_frame_interval_s(t) if index.shape[0] else np.zeros(0)
    # Where the recording (or, live, the frames so far) ends before that window does, the after
    # check is not yet possible: that is not another blink's fault.
    quiet_after_s = np.where(return_start_s + params.mouth_return_window_s > t[-1],
                             np.nan, quiet_after_s) if index.shape[0] else quiet_after_s
    unreturned = np.full(index.shape[0], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no frame after the blink: NaN, not judged
        for side in SIDES:
            shift = []
            for series in (traces.up_mm[side], traces.out_mm[side]):
                before = _window_mean(*_prefix(series), base_start, base_stop)
                after = np.nanmean(np.where(after_mask, series[after_index], np.nan), axis=1)
                shift.append(after - before)
            unreturned = np.fmax(unreturned, np.hypot(*shift))
    return EventMouth(peak_mm=peak, up_mm=up_at, out_mm=out_at, latency_s=latency, pre_motion_mm=pre_motion,
                      face_lost=face_lost, head_turned=head_turned, implausible=implausible, settling=settling,
                      quiet_before_s=quiet_s, quiet_after_s=quiet_after_s, away_from_rest_mm=away_from_rest,
                      unreturned_mm=unreturned, lid_start_s=lid_s, baseline_lid_s=base_lid_s,
                      burst_too_long=burst_too_long, just_found=just_found)


def rejection_reasons(blinks: Blinks, mouth: EventMouth,
                      params: MeasurementParams = DEFAULT_MEASUREMENT) -> list[str | None]:
    """Why each event is left out of the score (None: scored). The first reason that applies wins."""
    return first_reasons([(blinks.voluntary, REASON_VOLUNTARY), *gate_checks(blinks, mouth, params)], len(blinks))


def gate_checks(blinks: Blinks, mouth: EventMouth,
                params: MeasurementParams = DEFAULT_MEASUREMENT) -> list[tuple[np.ndarray, str]]:
    """Each gate's flags over the events, with its reason, in the order they are judged: whether the
    mouth's movement during an event (a blink or a held closure) can be read at all."""
    # Too close to another blink: in a burst that ran on too long for one baseline, or too little
    # time is left before the burst to tell a still mouth from a talking one, or after it to see the
    # mouth come back. (Blinks within a burst share its baseline: closeness alone costs nothing.)
    quiet_needed = np.where(mouth.just_found, 0.0, params.mouth_moving_min_s)
    too_close = (mouth.burst_too_long | (mouth.quiet_before_s < quiet_needed)
                 | (np.nan_to_num(mouth.quiet_after_s, nan=np.inf) < 0.5 * params.mouth_return_window_s))
    return [
        (mouth.face_lost, REASON_FACE_LOST),
        (mouth.settling, REASON_SETTLING),
        (mouth.implausible, REASON_IMPLAUSIBLE),
        (mouth.head_turned, REASON_HEAD_TURNED),
        (mouth.pre_motion_mm > params.mouth_moving_mm, REASON_MOUTH_MOVING),
        (np.nan_to_num(mouth.away_from_rest_mm) > params.expression_smile_mm, REASON_NOT_AT_REST),
        (np.nan_to_num(mouth.unreturned_mm) > params.mouth_moving_mm, REASON_MOUTH_STAYED),
        (too_close, REASON_TOO_CLOSE),
        (np.isnan(mouth.quiet_after_s), REASON_AT_END),
    ]


def first_reasons(checks: list[tuple[np.ndarray, str]], n: int) -> list[str | None]:
    """Per event the first reason whose flag is set (None: none is)."""
    reasons: list[str | None] = [None] * n
    for flags, reason in reversed(checks):
        for i in np.flatnonzero(flags):
            reasons[i] = reason
    return reasons


# Resamples whose medians are found at once: their rank counts are (rows, values) arrays, so a
# whole bootstrap at once held several copies of 1000 x the clip's blinks (MB per minute of video).
_RESAMPLE_ROWS = 64


def _resampled_medians(values: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """np.median(values[draws], axis=1) for finite values, the same numbers.

    A resample's k-th smallest value is the sorted values' entry at the k-th smallest rank drawn, so
    counting each row's ranks (one bincount, one cumsum) replaces partitioning every row; a few
    rows at a time (each row's median is its own).
    """
    n_rows, n = draws.shape
    order = np.argsort(values, kind="stable")
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)
    ordered = values[order]
    out = np.empty(n_rows, dtype=values.dtype)
    for lo in range(0, n_rows, _RESAMPLE_ROWS):
        rows = draws[lo:lo + _RESAMPLE_ROWS]
        m = rows.shape[0]
        ranks = rank[rows]
        ranks += (np.arange(m) * n)[:, None]
        # below[r, k]: how many of row r's draws rank at or below k.
        below = np.cumsum(np.bincount(ranks.ravel(), minlength=m * n).reshape(m, n), axis=1)
        # The k-th smallest (from 0) of each row; for an even count, as np.median, the mean of the
        # middle two, (a + b) / 2.
        upper = ordered[np.argmax(below > n // 2, axis=1)]
        out[lo:lo + m] = upper if n % 2 else (ordered[np.argmax(below > n // 2 - 1, axis=1)] + upper) / 2
    return out


def bootstrap_median_ci(values: np.ndarray, resamples: int, seed: int = 0,
                        min_values: int = 3) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of the median; NaN for fewer than `min_values` values
    (the bootstrap median of two blinks is just their range, which no 95 % can be claimed for)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < max(2, min_values):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    medians = _resampled_medians(values, rng.integers(0, values.size, size=(resamples, values.size)))
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(low), float(high)


def bta_grid(params: MeasurementParams = DEFAULT_MEASUREMENT) -> np.ndarray:
    """Times relative to the blink's onset on which blink traces are averaged."""
    return np.arange(params.bta_start_s, params.bta_end_s + 1e-9, params.bta_step_s)


def bta_trigger_s(apex_s: np.ndarray, params: MeasurementParams = DEFAULT_MEASUREMENT) -> np.ndarray:
    """Each blink's time 0 on the blink-triggered average: `bta_apex_lead_s` before its apex, so that
    the coupled movement, which follows the lid's closure, peaks at the same time in every blink."""
    return np.asarray(apex_s, dtype=np.float64) - params.bta_apex_lead_s


def blink_traces(timestamps_s: np.ndarray, onset_s: np.ndarray, traces: MouthTraces, side: str,
                 params: MeasurementParams = DEFAULT_MEASUREMENT,
                 baseline_onset_s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each blink's commissure displacement (up, out components, mm) on `bta_grid`, relative to
    its pre-blink baseline (before `baseline_onset_s`, the burst's first lid, where given): two
    (n_blinks, grid) arrays. The live view keeps these per blink."""
    grid = bta_grid(params)
    t = np.asarray(timestamps_s, dtype=np.float64)
    onset_s = np.asarray(onset_s, dtype=np.float64)
    base_onset = onset_s if baseline_onset_s is None else np.asarray(baseline_onset_s, dtype=np.float64)
    in_baseline = grid[(grid >= params.pre_blink_start_s) & (grid <= params.pre_blink_end_s)]
    times = onset_s[:, None] + grid[None, :]
    base_times = base_onset[:, None] + in_baseline[None, :]
    comps = []
    for series in (traces.up_mm[side], traces.out_mm[side]):
        filled = _fill_gaps(series)
        values = cubic_at(t, filled, times.ravel()).reshape(times.shape)
        base = np.interp(base_times.ravel(), t, filled).reshape(base_times.shape)
        comps.append(values - base.mean(axis=1, keepdims=True))
    return comps[0], comps[1]


def cubic_at(t: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`values` sampled at times `t` (increasing), read at times `x` through the cubic over the four
    nearest samples (linear at the ends, across a repeated time, or where a neighbour is missing).

    Why not linear: a short blink's coupled pull peaks over 2-3 frames at 24 frames/s, and lining the
    blinks up on the eye's apex reads each between its frames. A straight line between two frames
    cuts that peak (the second face's pull averaged to 91 % of itself with perfect landmarks); a
    cubic through four follows it (docs/validation.md, "Reading a short blink between its frames")."""
    t, values, x = (np.asarray(a, dtype=np.float64) for a in (t, values, x))
    linear = np.interp(x, t, values)
    if t.size < 4 or not x.size:
        return linear
    i = np.clip(np.searchsorted(t, x, side="right") - 1, 1, t.size - 3)
    stencil = i[:, None] + np.arange(-1, 3)
    ts, vs = t[stencil], values[stencil]
    gaps = ts[:, :, None] - ts[:, None, :]  # (k, 4, 4): t_j - t_m
    usable = ((np.abs(gaps) > 1e-9) | np.eye(4, dtype=bool)).all(axis=(1, 2)) & np.isfinite(vs).all(axis=1)
    usable &= (x >= t[1]) & (x <= t[-2])
    with np.errstate(divide="ignore", invalid="ignore"):
        # Lagrange weights: w_j = prod over m != j of (x - t_m) / (t_j - t_m).
        factors = np.where(np.eye(4, dtype=bool), 1.0, (x[:, None, None] - ts[:, None, :]) / gaps)
        cubic = (np.prod(factors, axis=2) * vs).sum(axis=1)
    return np.where(usable & np.isfinite(cubic), cubic, linear)


def _t95(n: int) -> float:
    """Student's two-sided 95 % quantile for the mean of n values: a few blinks' spread is itself
    uncertain (2 blinks: 12.7 standard errors, 3: 4.30, not the normal 1.96)."""
    from scipy.special import stdtrit  # loaded at first use, as the filters are

    return float(stdtrit(n - 1, 0.975))


def average_movement(up: np.ndarray, out: np.ndarray, params: MeasurementParams = DEFAULT_MEASUREMENT) -> dict:
    """The blink-averaged movement of one side from its blinks' traces (see blink_traces).

    Averaging the signed components of N blinks lowers landmark jitter by about sqrt(N) before the
    magnitude is taken, so `peak_mm` is far less inflated by noise than a single blink's peak.
    """
    grid = bta_grid(params)
    n = int(up.shape[0])
    if n == 0:
        return {"mm": [float("nan")] * grid.size, "up_mm": [float("nan")] * grid.size,
                "out_mm": [float("nan")] * grid.size, "sem_mm": [float("nan")] * grid.size,
                "peak_mm": float("nan"), "peak_latency_s": float("nan"), "n": 0}
    mean_up, mean_out = up.mean(axis=0), out.mean(axis=0)
    magnitude = np.hypot(mean_up, mean_out)
    spread = np.hypot(up - mean_up, out - mean_out)
    sem = np.sqrt((spread**2).sum(axis=0) / max(n - 1, 1) / n)
    k = int(np.argmax(np.where(grid >= 0, magnitude, -np.inf)))
    # Each blink's movement along the average's direction at its peak: their mean is the peak,
    # their spread its uncertainty.
    direction = np.array([mean_up[k], mean_out[k]]) / max(magnitude[k], 1e-12)
    along = up[:, k] * direction[0] + out[:, k] * direction[1]
    half = _t95(n) * along.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    # A movement's size is never negative: near zero the interval is cut at 0 rather than reading
    # "-0.05 to 0.08 mm".
    return {"mm": magnitude.tolist(), "up_mm": mean_up.tolist(), "out_mm": mean_out.tolist(),
            "sem_mm": sem.tolist(), "peak_mm": float(magnitude[k]),
            "peak_latency_s": float(grid[k]),
            "peak_ci95_mm": [float(np.maximum(0.0, magnitude[k] - half)), float(magnitude[k] + half)],
            "per_blink_mm": along.tolist(), "n": n}


def blink_triggered_average(timestamps_s: np.ndarray, onset_s: np.ndarray, traces: MouthTraces,
                            params: MeasurementParams = DEFAULT_MEASUREMENT, sides: tuple[str, ...] = SIDES,
                            baseline_onset_s: np.ndarray | None = None) -> dict:
    """Blink-averaged commissure movement of each of `sides` over the blinks starting at `onset_s`
    (each against the baseline before its `baseline_onset_s`, where given: see blink_traces)."""
    out = {"time_s": bta_grid(params).tolist(), "n": int(np.size(onset_s))}
    for side in sides:
        if np.size(onset_s) == 0 or not np.isfinite(traces.up_mm[side]).any():
            out[side] = average_movement(np.zeros((0, 0)), np.zeros((0, 0)), params)
            continue
        out[side] = average_movement(*blink_traces(timestamps_s, onset_s, traces, side, params, baseline_onset_s),
                                     params)
    return out


def coupling_correlation(timestamps_s: np.ndarray, onset_s: np.ndarray, offset_s: np.ndarray, closure: np.ndarray,
                         displacement: np.ndarray, params: MeasurementParams = DEFAULT_MEASUREMENT) -> float:
    """Pearson correlation between one eye's closure and its side's commissure displacement over
    the blinks' windows: near 1 when the mouth corner follows the lid."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    if np.size(onset_s) < 2:
        return float("nan")
    first = np.searchsorted(t, np.asarray(onset_s) + params.pre_blink_start_s)
    last = np.searchsorted(t, np.asarray(offset_s) + params.post_blink_s, side="right") - 1
    index, mask = padded_windows(first, np.maximum(last, first), t.size)
    a, b = closure[index][mask], displacement[index][mask]
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def severity(displacement_mm: float, params: MeasurementParams = DEFAULT_MEASUREMENT) -> str:
    if not np.isfinite(displacement_mm) or displacement_mm <= params.healthy_floor_mm:
        return "none"
    if displacement_mm < params.moderate_mm:
        return "mild"
    if displacement_mm < params.severe_mm:
        return "moderate"
    return "severe"
