"""Ocular-oral synkinesis in held eye closures: how far each mouth corner moves while the eyes are
held closed (the gentle and forceful eye-closure tasks, and any held closure in a free clip).

A held closure is what the blink detector calls voluntary (`blinks._held_closures`): longer than a
blink and mostly closed; it is measured when the eye was shut through most of it (`Blinks.shut`),
not narrowed as by a smile. Per closure and side, the corner's place (head motion removed, the
traces of `ocular_oral.mouth_traces`) is the median of its up and out components over the frames the
eye is closed (closure at least `held_closure_fraction` of a full closure), against its mean place
in the rest window just before the lid started to move (the blinks' own baseline window); the
movement is the size of that shift, in mm. A median over the held frames reads a pull that lasts
while the eye is closed, and not the landmarks' frame-to-frame jitter, which a peak over seconds
would add.
The gates are the blinks' own (face lost, head turned, mouth already moving or away from rest
before, mouth not back once the eye reopened, ...); after a held closure the mouth counts as not
back only when it also stayed `closure_return_fraction` of its held movement away. Per side: the
median over the closures that side's eye took part in, with the 95 % interval the blink figures use
(a bootstrap of the median).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from synkimeter.core.anatomy import SIDES
from synkimeter.core.blinks import EYE_CODES, Blinks, closing_eye, padded_windows
from synkimeter.core.ocular_oral import (
    REASON_FACE_LOST,
    REASON_MOUTH_STAYED,
    EventMouth,
    MouthTraces,
    baseline_mean,
    bootstrap_median_ci,
    first_reasons,
    gate_checks,
)
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams
from synkimeter.core.results import ClosureCoupling, ClosureOcularOral

REASON_BLINK = "a blink, not a held eye closure"
REASON_NOT_SHUT = "the eyes were narrowed, not shut, through most of it"


@dataclass(frozen=True)
class ClosureMouth:
    """Per event of the clip (blinks and held closures alike; NaN for blinks), per side: the mouth
    corner's held movement and its components against the rest before, and why an event does not
    count (None: it does)."""

    held_mm: dict[str, np.ndarray]
    up_mm: dict[str, np.ndarray]
    out_mm: dict[str, np.ndarray]
    reasons: list[str | None]


def closed_frames(t: np.ndarray, blinks: Blinks, closure_by_side: dict[str, np.ndarray],
                  params: MeasurementParams = DEFAULT_MEASUREMENT) -> tuple[np.ndarray, np.ndarray]:
    """Frame-index matrix (events, longest event) from each event's onset to its offset, and the
    mask of the frames in it where the event's eye (either eye, for both) was held closed."""
    onset_i = np.searchsorted(t, blinks.onset_s, side="left")
    offset_i = np.maximum(np.searchsorted(t, blinks.offset_s, side="right") - 1, onset_i)
    index, mask = padded_windows(onset_i, offset_i, t.size)
    c = closing_eye(blinks.eye, *(np.nan_to_num(closure_by_side[s], nan=0.0)[index] for s in ("right", "left")))
    return index, mask & (c >= params.held_closure_fraction * params.full_closure)


def measure_closures(timestamps_s: np.ndarray, blinks: Blinks, mouth: EventMouth, traces: MouthTraces,
                     closure_by_side: dict[str, np.ndarray],
                     params: MeasurementParams = DEFAULT_MEASUREMENT) -> ClosureMouth:
    """Each held closure's mouth-corner movement per side (see the module's text); `mouth` is the
    blinks' own per-event measure (`ocular_oral.measure_events`), whose lid start and gates it shares."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    held = np.asarray(blinks.shut, dtype=bool)
    index, closed = closed_frames(t, blinks, closure_by_side, params)
    closed &= held[:, None]
    held_mm, up_mm, out_mm = {}, {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: blinks, or no closed frame seen
        for side in SIDES:
            shift = []
            for series in (traces.up_mm[side], traces.out_mm[side]):
                during = np.nanmedian(np.where(closed, series[index], np.nan), axis=1) if len(blinks) else np.zeros(0)
                shift.append(during - baseline_mean(t, mouth.lid_start_s, series, params))
            up_mm[side], out_mm[side] = shift
            held_mm[side] = np.hypot(*shift)
    unread = ~(np.isfinite(held_mm["right"]) & np.isfinite(held_mm["left"]))
    # The mouth stayed where it went (a new expression, not a pull that goes with the lid) only when
    # it stayed much of the way there.
    stayed = np.nan_to_num(mouth.unreturned_mm) > params.closure_return_fraction * np.fmax(*held_mm.values())
    gates = [(flags & stayed if reason == REASON_MOUTH_STAYED else flags, reason)
             for flags, reason in gate_checks(blinks, mouth, params)]
    reasons = first_reasons([(~blinks.voluntary, REASON_BLINK), (~held, REASON_NOT_SHUT), (unread, REASON_FACE_LOST),
                             *gates], len(blinks))
    return ClosureMouth(held_mm, up_mm, out_mm, reasons)


def closure_coupling(blinks: Blinks, closures: ClosureMouth, side: str,
                     params: MeasurementParams = DEFAULT_MEASUREMENT) -> ClosureCoupling | None:
    """One side's movement over the held closures its eye took part in (None: none could be read)."""
    own_eye = (blinks.eye == EYE_CODES["both"]) | (blinks.eye == EYE_CODES[side])
    counted = np.array([r is None for r in closures.reasons], dtype=bool) & own_eye
    values = closures.held_mm[side][counted]
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    low, high = bootstrap_median_ci(values, params.bootstrap_resamples, min_values=params.min_scored_blinks)
    return ClosureCoupling(median_mm=float(np.median(values)), ci95_mm=(low, high), n=int(values.size))


def closure_ocular_oral(blinks: Blinks, closures: ClosureMouth,
                        params: MeasurementParams = DEFAULT_MEASUREMENT) -> ClosureOcularOral:
    return ClosureOcularOral(**{side: closure_coupling(blinks, closures, side, params) for side in SIDES})


def closure_side(result: ClosureOcularOral, params: MeasurementParams = DEFAULT_MEASUREMENT) -> str | None:
    """The side whose mouth corner moves more during held closures, when it does so by at least
    `min_asymmetry_mm` and beyond what healthy faces show (`healthy_floor_mm`, as for blinks)."""
    if result.right is None or result.left is None:
        return None
    difference = result.right.median_mm - result.left.median_mm
    worse = "right" if difference > 0 else "left"
    moved = result.right.median_mm if worse == "right" else result.left.median_mm
    if abs(difference) >= params.min_asymmetry_mm and moved > params.healthy_floor_mm:
        return worse
    return None
