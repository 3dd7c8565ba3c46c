"""Blink events from per-eye closure traces: hysteresis, apex, duration, depth, pairing of the eyes.

Everything is in seconds from the frames' own timestamps (webcams drop frames and vary their rate),
and vectorised over frames and events.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from synkimeter.core.align import runs
from synkimeter.core.eyes import window_frames
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams

EYE_CODES = {"both": 0, "right": 1, "left": 2}
EYE_NAMES = {code: name for name, code in EYE_CODES.items()}


@dataclass(frozen=True)
class EyeEvents:
    """One eye's closure events; arrays of equal length, in time order."""

    onset_s: np.ndarray
    apex_s: np.ndarray
    offset_s: np.ndarray
    onset_index: np.ndarray  # first frame above the onset threshold
    offset_index: np.ndarray  # last frame of the event
    depth: np.ndarray  # closure at the apex

    def __len__(self) -> int:
        return int(self.onset_s.size)

    def select(self, keep: np.ndarray) -> "EyeEvents":
        return EyeEvents(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class Blinks:
    """Both eyes' events merged: one row per blink (or one-sided closure), in time order."""

    eye: np.ndarray  # EYE_CODES
    onset_s: np.ndarray
    apex_s: np.ndarray
    offset_s: np.ndarray
    closure_right: np.ndarray  # peak closure of each eye within the event
    closure_left: np.ndarray
    complete: np.ndarray  # bool
    voluntary: np.ndarray  # bool: longer than a blink, a deliberate eye closure
    # bool: a deliberate closure with the eye(s) shut through most of it (the deeper eye's median
    # closure a complete one's), not an eye narrowed by a smile for as long
    shut: np.ndarray

    def __len__(self) -> int:
        return int(self.onset_s.size)

    def select(self, keep: np.ndarray) -> "Blinks":
        return Blinks(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    @property
    def duration_s(self) -> np.ndarray:
        return self.offset_s - self.onset_s


def hysteresis(signal: np.ndarray, high: float, low: float) -> np.ndarray:
    """True from where `signal` rises above `high` until it falls below `low` (NaN ends a run)."""
    signal = np.asarray(signal, dtype=np.float64)
    finite = np.isfinite(signal)
    above = finite & (signal > high)
    below = ~finite | (signal < low)
    decided = np.where(above | below, np.arange(signal.size), -1)
    last = np.maximum.accumulate(decided) if signal.size else decided
    return np.where(last >= 0, above[np.maximum(last, 0)], False)


def _frame_interval(t: np.ndarray) -> float:
    steps = np.diff(t)
    steps = steps[np.isfinite(steps) & (steps > 0)]
    return float(np.median(steps)) if steps.size else 1.0 / 30.0


def _crossing_time(t: np.ndarray, c: np.ndarray, before: np.ndarray, after: np.ndarray, level) -> np.ndarray:
    """Time where c crosses `level` between frames `before` and `after` (linear interpolation);
    the time of `after` where the neighbour is missing."""
    n = t.size
    b = np.clip(before, 0, n - 1)
    a = np.clip(after, 0, n - 1)
    cb, ca = c[b], c[a]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (level - cb) / (ca - cb)
    ok = (before >= 0) & (after < n) & np.isfinite(frac) & (frac >= 0) & (frac <= 1)
    return np.where(ok, t[b] + np.where(ok, frac, 0.0) * (t[a] - t[b]), t[a])


def padded_windows(start: np.ndarray, stop: np.ndarray, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame-index matrix (events, longest window) covering [start, stop] inclusive, with its mask.

    Lets per-event reductions (max, mean, argmax) run as one array operation.
    """
    start = np.asarray(start, dtype=np.intp)
    stop = np.asarray(stop, dtype=np.intp)
    lengths = np.maximum(stop - start + 1, 0)
    width = int(lengths.max()) if lengths.size else 0
    offsets = np.arange(max(width, 1))
    index = start[:, None] + offsets[None, :]
    mask = (offsets[None, :] < lengths[:, None]) & (index >= 0) & (index < n_frames)
    return np.clip(index, 0, max(n_frames - 1, 0)), mask


def _apex(t: np.ndarray, c: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apex index per [start, end] window (max closure) and its time refined with a parabola."""
    index, mask = padded_windows(starts, ends, t.size)
    values = np.where(mask, c[index], -np.inf)
    values = np.where(np.isfinite(values), values, -np.inf)
    apex_i = index[np.arange(index.shape[0]), values.argmax(axis=1)]
    prev_i = np.maximum(apex_i - 1, 0)
    next_i = np.minimum(apex_i + 1, t.size - 1)
    y0, y1, y2 = c[prev_i], c[apex_i], c[next_i]
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    usable = np.isfinite(shift) & (np.abs(shift) <= 0.5) & (prev_i < apex_i) & (next_i > apex_i)
    shift = np.where(usable, shift, 0.0)
    step = np.where(shift >= 0, t[next_i] - t[apex_i], t[apex_i] - t[prev_i])
    return apex_i, t[apex_i] + shift * step


def _held_closures(t: np.ndarray, c: np.ndarray, params: MeasurementParams) -> tuple[np.ndarray, np.ndarray]:
    """Runs above the hysteresis thresholds that last longer than a blink and are mostly closed:
    deliberate eye closures. Long runs that are only slightly above threshold are a narrowed eye
    (smiling, talking), not a closure; the blinks inside them are found as peaks."""
    starts, ends = runs(hysteresis(c, params.blink_onset_closure, params.blink_offset_closure))
    if starts.size == 0:
        return starts, ends
    long_run = (t[ends] - t[starts]) > params.max_blink_duration_s
    index, mask = padded_windows(starts, ends, t.size)
    with np.errstate(invalid="ignore"):
        level = np.nanmedian(np.where(mask, c[index], np.nan), axis=1)
    held = long_run & (level >= params.held_closure_fraction * params.full_closure)
    return starts[held], ends[held]


def detect_eye_events(timestamps_s: np.ndarray, closure_series: np.ndarray,
                      params: MeasurementParams = DEFAULT_MEASUREMENT) -> EyeEvents:
    """Closure events of one eye.

    Blinks are peaks of closure that stand out from their surroundings (scipy's find_peaks, by
    prominence within about a second), so a blink while the eye is already narrowed by a smile is
    found and ends when the lid is back at the smile's level. Around each peak, hysteresis relative
    to the local base: the onset is where closure rises past base + the onset threshold, the offset
    where it falls below base + the (lower) offset threshold. Deliberate closures are the long runs
    above the absolute thresholds that stay mostly closed; lid flutter inside one is part of it.
    Crossing times are interpolated between frames, apexes refined with a parabola.
    """
    from scipy.signal import find_peaks  # ~1 s to import: loaded at first use, not at start-up
    t = np.asarray(timestamps_s, dtype=np.float64)
    c = np.asarray(closure_series, dtype=np.float64)
    empty = np.array([], dtype=np.float64)
    ints = np.array([], dtype=np.intp)
    if t.size < 3 or not np.isfinite(c).any():
        return EyeEvents(empty, empty.copy(), empty.copy(), ints, ints.copy(), empty.copy())
    # Lost frames count as open: no event is made up inside a gap.
    filled = np.where(np.isfinite(c), c, 0.0)
    frame_s = _frame_interval(t)

    held_starts, held_ends = _held_closures(t, c, params)
    held_onset = _crossing_time(t, filled, held_starts - 1, held_starts, params.blink_onset_closure)
    held_offset = _crossing_time(t, filled, held_ends, held_ends + 1, params.blink_offset_closure)

    # No longer than the clip: frame times a hair apart would ask for more frames than a C long holds.
    wlen = min(window_frames(params.blink_context_s, frame_s), 2 * t.size + 1)
    with warnings.catch_warnings():
        # Flat stretches give peaks of zero prominence; the prominence floor drops them anyway.
        warnings.filterwarnings("ignore", message="some peaks have a prominence of 0")
        peaks, _ = find_peaks(filled, height=params.blink_onset_closure, prominence=params.blink_onset_closure,
                              wlen=wlen)
    in_held = np.zeros(t.size, dtype=bool)
    if held_starts.size:
        edges = np.zeros(t.size + 1, dtype=np.int64)
        np.add.at(edges, held_starts, 1)
        np.add.at(edges, held_ends + 1, -1)
        in_held = np.cumsum(edges[:-1]) > 0
    keep = ~in_held[peaks]
    peaks = peaks[keep]
    half = wlen // 2
    lo = np.maximum(peaks - half, 0)
    hi = np.minimum(peaks + half, t.size - 1)
    # Local bases: the lowest closure within the context on each side of the peak.
    index, mask = padded_windows(lo, peaks, t.size)
    base_left = np.where(mask, filled[index], np.inf).min(axis=1) if peaks.size else empty
    index, mask = padded_windows(peaks, hi, t.size)
    base_right = np.where(mask, filled[index], np.inf).min(axis=1) if peaks.size else empty
    on_level = base_left + params.blink_onset_closure
    off_level = base_right + params.blink_offset_closure

    # Onset: after the last frame at or below the onset level before the peak.
    index, mask = padded_windows(lo, peaks, t.size)
    below = mask & (filled[index] <= on_level[:, None])
    rows = np.arange(peaks.size)
    last_below = index.shape[1] - 1 - np.argmax(below[:, ::-1], axis=1)
    starts = np.where(below.any(axis=1), index[rows, last_below] + 1, lo)
    # Offset: before the first frame at or below the offset level after the peak.
    index, mask = padded_windows(peaks, hi, t.size)
    below = mask & (filled[index] <= off_level[:, None])
    ends = np.where(below.any(axis=1), index[rows, np.argmax(below, axis=1)] - 1, hi)
    starts, ends = np.minimum(starts, peaks), np.maximum(ends, peaks)
    onset = _crossing_time(t, filled, starts - 1, starts, on_level)
    offset = _crossing_time(t, filled, ends, ends + 1, off_level)

    starts = np.concatenate([starts, held_starts])
    ends = np.concatenate([ends, held_ends])
    onset = np.concatenate([onset, held_onset])
    offset = np.concatenate([offset, held_offset])
    order = np.argsort(onset, kind="stable")
    starts, ends, onset, offset = starts[order], ends[order], onset[order], offset[order]
    apex_i, apex = _apex(t, filled, starts, ends)
    events = EyeEvents(onset, apex, offset, starts, ends, filled[apex_i])
    return events.select((offset - onset) >= params.min_blink_duration_s)


def _nearest(sorted_times: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Index into `sorted_times` of the nearest entry to each of `times` (-1 when empty)."""
    if sorted_times.size == 0:
        return np.full(times.shape, -1, dtype=np.intp)
    pos = np.clip(np.searchsorted(sorted_times, times), 1, max(sorted_times.size - 1, 1))
    left = np.clip(pos - 1, 0, sorted_times.size - 1)
    right = np.clip(pos, 0, sorted_times.size - 1)
    return np.where(np.abs(sorted_times[left] - times) <= np.abs(sorted_times[right] - times), left, right)


def pair_eyes(right: EyeEvents, left: EyeEvents, timestamps_s: np.ndarray, closure_by_side: dict[str, np.ndarray],
              params: MeasurementParams = DEFAULT_MEASUREMENT) -> Blinks:
    """Merge the eyes' events: mutually nearest apexes within the pairing gap are one blink of both
    eyes; the rest are one-sided (a wink, or a side too weak to cross the threshold)."""
    r_to_l = _nearest(left.apex_s, right.apex_s)
    l_to_r = _nearest(right.apex_s, left.apex_s)
    paired_r = np.zeros(len(right), dtype=bool)
    if len(right) and len(left):
        gap = np.abs(left.apex_s[r_to_l] - right.apex_s)
        # Long closures have flat, ill-defined apexes: there, overlapping in time is enough.
        overlap = (np.minimum(right.offset_s, left.offset_s[r_to_l]) - np.maximum(right.onset_s, left.onset_s[r_to_l]))
        shorter = np.minimum(right.offset_s - right.onset_s, left.offset_s[r_to_l] - left.onset_s[r_to_l])
        together = (gap <= params.pair_max_apex_gap_s) | (overlap >= 0.5 * shorter)
        paired_r = together & (l_to_r[r_to_l] == np.arange(len(right)))
    paired_l = np.zeros(len(left), dtype=bool)
    paired_l[r_to_l[paired_r]] = True

    pr = right.select(paired_r)
    pl = left.select(r_to_l[paired_r])
    solo_r = right.select(~paired_r)
    solo_l = left.select(~paired_l)

    eye = np.concatenate([np.full(len(pr), EYE_CODES["both"]), np.full(len(solo_r), EYE_CODES["right"]),
                          np.full(len(solo_l), EYE_CODES["left"])]).astype(np.int8)
    onset = np.concatenate([np.minimum(pr.onset_s, pl.onset_s), solo_r.onset_s, solo_l.onset_s])
    offset = np.concatenate([np.maximum(pr.offset_s, pl.offset_s), solo_r.offset_s, solo_l.offset_s])
    apex = np.concatenate([0.5 * (pr.apex_s + pl.apex_s), solo_r.apex_s, solo_l.apex_s])
    first = np.concatenate([np.minimum(pr.onset_index, pl.onset_index), solo_r.onset_index, solo_l.onset_index])
    last = np.concatenate([np.maximum(pr.offset_index, pl.offset_index), solo_r.offset_index, solo_l.offset_index])
    order = np.argsort(onset, kind="stable")
    eye, onset, offset, apex, first, last = (a[order] for a in (eye, onset, offset, apex, first, last))

    # Events that still overlap in time are one event (one eye's long closure against the other
    # eye's two shorter ones, say): merge them, both eyes.
    if eye.size > 1:
        running_end = np.maximum.accumulate(offset)
        new_group = np.concatenate(([True], onset[1:] > running_end[:-1]))
        starts = np.flatnonzero(new_group)
        sizes = np.diff(np.append(starts, eye.size))
        eye = np.where(sizes > 1, EYE_CODES["both"], eye[starts]).astype(np.int8)
        onset, offset = onset[starts], np.maximum.reduceat(offset, starts)
        first, last = first[starts], np.maximum.reduceat(last, starts)
        apex = np.where(sizes > 1, np.nan, apex[starts])

    n_frames = np.asarray(timestamps_s).size
    t = np.asarray(timestamps_s, dtype=np.float64)
    index, mask = padded_windows(first, last, n_frames)
    peak, values = {}, {}
    for side in ("right", "left"):
        values[side] = np.where(mask, closure_by_side[side][index], np.nan)
        with np.errstate(invalid="ignore"):
            peak[side] = (np.nanmax(np.where(np.isfinite(values[side]), values[side], -np.inf), axis=1) if len(eye)
                          else np.array([]))
        peak[side] = np.where(np.isfinite(peak[side]), peak[side], np.nan)
    if np.isnan(apex).any():
        either = np.fmax(closure_by_side["right"], closure_by_side["left"])
        _, merged_apex = _apex(t, np.where(np.isfinite(either), either, -np.inf), first, last)
        apex = np.where(np.isnan(apex), merged_apex, apex)

    # One-sided only when the other eye really stayed open: crossing the threshold in one eye and
    # not quite in the other, with both closing alike, is a blink of both eyes.
    own = np.where(eye == EYE_CODES["right"], peak["right"], peak["left"])
    other = np.where(eye == EYE_CODES["right"], peak["left"], peak["right"])
    both_after_all = (eye != EYE_CODES["both"]) & (np.nan_to_num(other) >= np.maximum(
        params.blink_onset_closure, params.one_sided_max_ratio * np.nan_to_num(own)))
    eye = np.where(both_after_all, EYE_CODES["both"], eye).astype(np.int8)
    # And one eye's closure is a wink only where that eye really closed: a shallow one-sided
    # "closure" is the lid following the gaze (down or sideways) or a squint while talking, on real
    # healthy faces 1 in 5 of their "blinks" (closure 0.18-0.23 held 0.3-0.5 s, the other eye open).
    # It is no blink of either eye.
    keep = (eye == EYE_CODES["both"]) | (np.nan_to_num(own) >= params.one_sided_min_closure)
    eye, onset, apex, offset = eye[keep], onset[keep], apex[keep], offset[keep]
    first, last = first[keep], last[keep]
    peak = {side: values[keep] for side, values in peak.items()}

    # A deliberate closure is long and held closed: a blink whose lid hovers near the offset threshold
    # as it reopens (glasses; a reopening seen through camera motion) lasts past max_blink_duration_s
    # by its thresholds, yet is closed past half its depth only 0.27-0.33 s, as a blink is.
    index, mask = padded_windows(first, last, n_frames)
    either = np.fmax(closure_by_side["right"], closure_by_side["left"])
    depth = np.fmax(peak["right"], peak["left"])
    with np.errstate(invalid="ignore"):
        closed = mask & (either[index] > 0.5 * depth[:, None])
    held_s = closed.sum(axis=1) * _frame_interval(t) if len(eye) else np.zeros(0)
    voluntary = ((offset - onset) > params.max_blink_duration_s) & (held_s >= params.held_closure_min_s)
    closed_enough = params.complete_fraction * params.full_closure
    deepest = np.where(eye == EYE_CODES["right"], peak["right"],
                       np.where(eye == EYE_CODES["left"], peak["left"], np.fmin(peak["right"], peak["left"])))
    complete = np.nan_to_num(deepest, nan=0.0) >= closed_enough
    # The events kept (one-eyed shallow ones dropped above), over their own windows.
    own = closing_eye(eye, *(np.where(mask, closure_by_side[side][index], np.nan) for side in ("right", "left")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an event without a finite frame
        level = np.nanmedian(own, axis=1) if len(eye) else np.zeros(0)
    shut = voluntary & (np.nan_to_num(level, nan=0.0) >= closed_enough)
    return Blinks(eye, onset, apex, offset, peak["right"], peak["left"], complete, voluntary, shut)


def closing_eye(eye: np.ndarray, right: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Per event (rows, `eye` its EYE_CODES), the closure of the eye that closed, from the two
    eyes' (events, frames) closures: the deeper one for both eyes (a weak side may not close all the way)."""
    eye = np.asarray(eye)[:, None]
    return np.where(eye == EYE_CODES["right"], right, np.where(eye == EYE_CODES["left"], left, np.fmax(right, left)))


def detect_blinks(timestamps_s: np.ndarray, closure_by_side: dict[str, np.ndarray],
                  params: MeasurementParams = DEFAULT_MEASUREMENT) -> Blinks:
    right = detect_eye_events(timestamps_s, closure_by_side["right"], params)
    left = detect_eye_events(timestamps_s, closure_by_side["left"], params)
    return pair_eyes(right, left, timestamps_s, closure_by_side, params)


def lid_start_s(timestamps_s: np.ndarray, closure_by_side: dict[str, np.ndarray], blinks: Blinks,
                params: MeasurementParams = DEFAULT_MEASUREMENT) -> np.ndarray:
    """When each event's lid(s) started to move: the last frame before the detected onset at which
    the closing eye(s) were still within `lid_start_rise` of their lowest closure in the
    `lid_search_s` before it.

    The detected onset (closure past the hysteresis threshold) lags the lid, by more where the mesh
    closes an eye only partly (glasses, a weak side): a mouth movement coupled to the lid starts
    before it. Whatever judges "before the blink" must end here.
    """
    t = np.asarray(timestamps_s, dtype=np.float64)
    if not len(blinks):
        return np.zeros(0)
    right = np.nan_to_num(closure_by_side["right"], nan=0.0)
    left = np.nan_to_num(closure_by_side["left"], nan=0.0)
    onset_i = np.clip(np.searchsorted(t, blinks.onset_s, side="left"), 0, t.size - 1)
    first_i = np.searchsorted(t, blinks.onset_s - params.lid_search_s, side="left")
    index, mask = padded_windows(first_i, onset_i, t.size)
    c = np.where(mask, closing_eye(blinks.eye, right[index], left[index]), np.inf)
    lowest = c.min(axis=1, keepdims=True)
    still = mask & (c <= lowest + params.lid_start_rise)
    # The last still frame of each window (each window's lowest frame is always still).
    last_col = index.shape[1] - 1 - np.argmax(still[:, ::-1], axis=1)
    return np.minimum(t[index[np.arange(index.shape[0]), last_col]], blinks.onset_s)
