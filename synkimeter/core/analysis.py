"""From landmark frames to the clip's measurement: the one entry point `analyze` and the GUI share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synkimeter.core.align import Alignment, align_to_reference
from synkimeter.core.anatomy import HEAD_ANCHORS, MEASURED, SIDES
from synkimeter.core.blinks import EYE_NAMES, Blinks, detect_blinks, lid_start_s
from synkimeter.core.eyes import (
    closure,
    fissure_height_px,
    iris_scale,
    median_frame_interval_s,
    openness,
    window_frames,
)
from synkimeter.core.ocular_oral import (
    EventMouth,
    MouthTraces,
    blink_triggered_average,
    bootstrap_median_ci,
    coupling_correlation,
    measure_events,
    mouth_traces,
    rejection_reasons,
    severity,
)
from synkimeter.core.oral_ocular import event_mask
from synkimeter.params import DEFAULT_PARAMS, AnalysisParams

SCHEMA_VERSION = 1
# Severity when too few blinks could be scored to grade at all.
UNDETERMINED = "undetermined"


class MeasurementError(ValueError):
    """The clip cannot be measured; the message is one plain sentence for the user."""


@dataclass
class ClipAnalysis:
    """Everything measured on one clip. Arrays are per frame; `summary` is the JSON-ready result."""

    timestamps_s: np.ndarray
    face_found: np.ndarray
    alignment: Alignment
    closure: dict[str, np.ndarray]
    fissure_mm: dict[str, np.ndarray]
    traces: MouthTraces
    blinks: Blinks
    mouth: EventMouth
    reasons: list
    mm_per_px: float
    params_used: AnalysisParams = DEFAULT_PARAMS
    summary: dict = field(default_factory=dict)
    # Expressions found in the clip and their oral-ocular result (core.expression_oral_ocular); the
    # offline path (pipeline) fills them, the live view does not look for them.
    expressions: object = None
    oral_ocular: object = None


def head_within_range(alignment: Alignment, params: AnalysisParams) -> np.ndarray:
    return (np.abs(alignment.yaw_deg) <= params.max_yaw_deg) & (np.abs(alignment.pitch_deg) <= params.max_pitch_deg)


def _f(x) -> float | None:
    """JSON-safe float: None for NaN/inf."""
    x = float(x)
    return round(x, 4) if np.isfinite(x) else None


def analyze_landmarks(timestamps_s: np.ndarray, points: np.ndarray, params: AnalysisParams = DEFAULT_PARAMS,
                      affected_side: str | None = None, require_face: bool = True,
                      settled_at_start: bool = False) -> ClipAnalysis:
    """Measure a clip from its landmarks: `points` (T, 478, 3) pixels, NaN where no face, or the
    packed `MEASURED` subset (T, len(MEASURED), 3).

    Raises MeasurementError (a plain sentence) when there is nothing to measure.
    """
    t = np.asarray(timestamps_s, dtype=np.float64)
    points = np.asarray(points)
    if t.ndim != 1 or points.ndim != 3 or points.shape[2] != 3 or points.shape[0] != t.shape[0]:
        raise ValueError(f"expected timestamps (T,) and landmarks (T, 478, 3); got {t.shape} and {points.shape}")
    if points.shape[1] not in (478, len(MEASURED)):
        raise ValueError(f"expected 478 landmarks (or the {len(MEASURED)}-point subset), got {points.shape[1]}")
    if t.size and not np.all(np.diff(t[np.isfinite(t)]) >= 0):
        raise ValueError("timestamps must be non-decreasing")
    if t.size == 0:
        raise MeasurementError("The video holds no frames.")
    subset = MEASURED
    packed = subset.take(points)
    # A sum is NaN/inf exactly when a term is: one contiguous pass instead of a 3-D isfinite().all().
    face_found = np.isfinite(packed.reshape(packed.shape[0], -1).sum(axis=1)) & np.isfinite(t)
    partial = ~face_found & np.isfinite(packed.reshape(packed.shape[0], -1)).any(axis=1)
    if partial.any():  # a frame with some points missing is no face at all
        packed = packed.copy()
        packed[partial] = np.nan
    if require_face and not face_found.any():
        raise MeasurementError("No face was found in the video.")

    dt = median_frame_interval_s(t)
    # Openness is a ratio of distances within a frame, unchanged by head motion, so blinks are
    # found before alignment, and alignment can then bridge the blinks (see align_to_reference).
    closure_by_side = closure(openness(packed, subset), dt, params)
    blinks = detect_blinks(t, closure_by_side, params)
    hold = event_mask(t, blinks.onset_s - params.align_bridge_margin_s,
                        blinks.offset_s + params.post_blink_s + params.align_bridge_margin_s)
    alignment = align_to_reference(packed, subset[HEAD_ANCHORS], hold=hold,
                                   max_bridge_frames=window_frames(params.align_bridge_max_s, dt, odd=False),
                                   max_bridge_misfit=params.align_bridge_max_misfit)
    aligned = alignment.aligned
    scale = iris_scale(aligned, subset, closure_by_side, params)
    mm_per_px = scale["mm_per_px"]
    warnings: list[str] = []
    if require_face and not (np.isfinite(scale["iris_px"]) and scale["iris_px"] >= params.min_iris_diameter_px):
        raise MeasurementError(
            f"The face is too small to measure (the iris is {scale['iris_px']:.0f} pixels across; at least "
            f"{params.min_iris_diameter_px:.0f} are needed): sit closer to the camera or use a higher resolution."
        )
    if not np.isfinite(mm_per_px):
        mm_per_px = float("nan")

    fissure_mm = {side: fissure_height_px(aligned, subset, side) * mm_per_px for side in SIDES}
    traces = mouth_traces(aligned, alignment.reference, subset, mm_per_px, dt, params)
    head_ok = head_within_range(alignment, params)
    lid_s = lid_start_s(t, closure_by_side, blinks, params)
    # A clip cut from a longer recording (a guided task) starts with a face the mesh has long settled on.
    mouth = measure_events(t, blinks.onset_s, blinks.offset_s, traces, head_ok, params, lid_start_s=lid_s,
                           settled_at_start=settled_at_start)
    reasons = rejection_reasons(blinks, mouth, params)

    result = ClipAnalysis(t, face_found, alignment, closure_by_side, fissure_mm, traces, blinks, mouth, reasons,
                          mm_per_px, params_used=params)
    result.summary = summarize(result, scale, params, affected_side, warnings)
    return result


def summarize(a: ClipAnalysis, scale: dict, params: AnalysisParams, affected_side: str | None,
              warnings: list[str]) -> dict:
    t = a.timestamps_s
    n_frames = int(t.size)
    face_frames = int(a.face_found.sum())
    duration = float(t[-1] - t[0]) if n_frames > 1 else 0.0
    dt = median_frame_interval_s(t)
    head_ok = head_within_range(a.alignment, params)
    blinks = a.blinks
    scored = np.array([r is None for r in a.reasons], dtype=bool)

    blink_rows, closure_rows = [], []
    for i in range(len(blinks)):
        row = {
            "eye": EYE_NAMES[int(blinks.eye[i])],
            "onset_s": _f(blinks.onset_s[i]),
            "lid_start_s": _f(a.mouth.lid_start_s[i]),
            "apex_s": _f(blinks.apex_s[i]),
            "offset_s": _f(blinks.offset_s[i]),
            "duration_s": _f(blinks.duration_s[i]),
            "closure": {"left": _f(blinks.closure_left[i]), "right": _f(blinks.closure_right[i])},
            "complete": bool(blinks.complete[i]),
            "mouth_mm": {s: _f(a.mouth.peak_mm[s][i]) for s in ("left", "right")},
            "mouth_up_mm": {s: _f(a.mouth.up_mm[s][i]) for s in ("left", "right")},
            "mouth_out_mm": {s: _f(a.mouth.out_mm[s][i]) for s in ("left", "right")},
            "mouth_latency_s": {s: _f(a.mouth.latency_s[s][i]) for s in ("left", "right")},
            "scored": bool(scored[i]),
            "reason": a.reasons[i],
        }
        (closure_rows if blinks.voluntary[i] else blink_rows).append(row)

    # A side's eye must have closed for its mouth corner's movement to be coupling: one-sided
    # events count only for the side that closed.
    per_side = {}
    for side in SIDES:
        own_eye = (blinks.eye == 0) | (blinks.eye == (1 if side == "right" else 2))
        use = scored & own_eye
        values = a.mouth.peak_mm[side][use]
        values = values[np.isfinite(values)]
        median = float(np.median(values)) if values.size else float("nan")
        low, high = bootstrap_median_ci(values, params.bootstrap_resamples)
        closure_side = a.closure[side]
        per_side[side] = {
            "median_mm": _f(median),
            "ci95_mm": [_f(low), _f(high)],
            "coupled_fraction": _f(np.mean(values > params.coupled_threshold_mm)) if values.size else None,
            "n": int(values.size),
            "correlation": _f(coupling_correlation(t, blinks.onset_s[use], blinks.offset_s[use], closure_side,
                                                   a.traces.displacement_mm(side), params)),
            "latency_s": _f(np.nanmedian(a.mouth.latency_s[side][use])) if use.any() else None,
            "_median": median,
        }
    # The headline per side is the blink-averaged movement: averaging the signed traces of N blinks
    # before taking the size cancels jitter, where each blink's own peak is inflated by it (the
    # healthy floor of per-blink peaks is ~0.3-0.6 mm on the sample clips, of the average ~0.2 mm).
    bta = {}
    for side in SIDES:
        own_eye = (blinks.eye == 0) | (blinks.eye == (1 if side == "right" else 2))
        side_bta = blink_triggered_average(t, a.mouth.lid_start_s[scored & own_eye], a.traces, params)
        bta.setdefault("time_s", side_bta["time_s"])
        bta[side] = {**side_bta[side], "n": side_bta["n"]}
        per_side[side]["average_peak_mm"] = _f(bta[side]["peak_mm"])
        per_side[side]["average_ci95_mm"] = [_f(v) for v in bta[side].get("peak_ci95_mm", [np.nan, np.nan])]
        per_side[side].pop("_median")
    # Too few blinks give no verdict: the average of one or two blinks is mostly their jitter.
    averaged = {s: bta[s]["peak_mm"] if per_side[s]["n"] >= params.min_scored_blinks else float("nan")
                for s in SIDES}
    asym = averaged["right"] - averaged["left"]
    if affected_side not in SIDES:
        affected_side = None
        if np.isfinite(asym) and abs(asym) >= params.min_asymmetry_mm:
            worse = "right" if asym > 0 else "left"
            if averaged[worse] > params.healthy_floor_mm:
                affected_side = worse
    finite = [m for m in averaged.values() if np.isfinite(m)]
    graded = averaged[affected_side] if affected_side else (max(finite) if finite else float("nan"))
    sev = severity(graded, params) if finite else UNDETERMINED
    if not finite:
        warnings.append(f"Too few blinks could be scored for a verdict (at least {params.min_scored_blinks} "
                        "per side are needed): record again with the face still and the mouth at rest.")

    if face_frames < n_frames:
        warnings.append(f"No usable face in {n_frames - face_frames} of {n_frames} frames; they are left out.")
    turned = int((~head_ok & a.face_found).sum())
    implausible = int(np.sum(a.traces.implausible)) if a.traces.implausible is not None else 0
    if implausible:
        warnings.append(f"In {implausible} frames a mouth corner seemed further than "
                        f"{params.max_commissure_excursion_mm:g} mm from its place, more than a face can move it: "
                        "the face was not followed there, and those frames are left out.")
    if turned:
        warnings.append(f"The head was turned more than {params.max_yaw_deg:.0f} degrees in {turned} frames; "
                        "blinks there are not scored.")
    for side in SIDES:
        if per_side[side]["n"] == 0:
            warnings.append(f"No blink of the {side} eye could be scored.")
    if not len(blinks):
        warnings.append("No blinks were found.")

    fps = 1.0 / dt if dt > 0 else float("nan")
    return {
        "schema_version": SCHEMA_VERSION,
        "fps": _f(fps),
        "duration_s": _f(duration),
        "frames": n_frames,
        "face_frames": face_frames,
        "mm_per_px": _f(scale["mm_per_px"]),
        "mm_per_px_uncertainty": _f(scale["uncertainty_mm_per_px"]),
        "iris_px": _f(scale["iris_px"]),
        "head_pose": {
            "max_abs_yaw_deg": _f(np.nanmax(np.abs(a.alignment.yaw_deg))) if face_frames else None,
            "max_abs_pitch_deg": _f(np.nanmax(np.abs(a.alignment.pitch_deg))) if face_frames else None,
            "frames_out_of_range": turned,
        },
        "blink_counts": {
            "both": int(np.sum((blinks.eye == 0) & ~blinks.voluntary)),
            "right_only": int(np.sum((blinks.eye == 1) & ~blinks.voluntary)),
            "left_only": int(np.sum((blinks.eye == 2) & ~blinks.voluntary)),
            "right_eye": int(np.sum((blinks.eye != 2) & ~blinks.voluntary)),
            "left_eye": int(np.sum((blinks.eye != 1) & ~blinks.voluntary)),
            "scored": int(np.sum(scored)),
        },
        "implausible_frames": implausible,
        "blinks": blink_rows,
        "eye_closures": closure_rows,
        "ocular_oral": {
            "left": per_side["left"],
            "right": per_side["right"],
            "asymmetry_mm": _f(asym),
            "affected_side": affected_side,
            "severity": sev,
            "blink_triggered_average": bta,
        },
        "params": params.to_dict(),
        "warnings": warnings,
    }
