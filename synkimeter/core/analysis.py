"""From landmark frames to the clip's measurement: the one entry point `analyze` and the GUI share."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from synkimeter.core.align import Alignment, align_to_reference, side_by_side
from synkimeter.core.anatomy import COMMISSURE, HEAD_ANCHORS, MEASURED, SIDES, LandmarkSubset
from synkimeter.core.blinks import EYE_NAMES, Blinks, detect_blinks, lid_start_s
from synkimeter.core.closure import ClosureMouth, closure_ocular_oral, measure_closures
from synkimeter.core.eyes import (
    _distance_between,
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
    bta_grid,
    bta_trigger_s,
    coupling_correlation,
    measure_events,
    mouth_traces,
    rejection_reasons,
    severity,
)
from synkimeter.core.oral_ocular import event_mask
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams, measurement_dict
from synkimeter.core.results import (
    UNDETERMINED,
    BlinkCounts,
    BlinkEvent,
    ClipResult,
    ClosureOcularOral,
    HeadPose,
    OcularOral,
    SideCoupling,
)


class MeasurementError(ValueError):
    """The clip cannot be measured; the message is one plain sentence for the user."""


@dataclass
class ClipAnalysis:
    """Everything measured on one clip: per-frame arrays for plots and exports, and `result`, the
    typed result a person reads (`summary` is its JSON document)."""

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
    closures: ClosureMouth | None = None  # the mouth during held eye closures (core.closure)
    params_used: MeasurementParams = DEFAULT_MEASUREMENT
    # Expressions found in the clip and their oral-ocular result (core.expression_oral_ocular); the
    # offline path (pipeline) fills them, the live view does not look for them.
    expressions: object = None
    oral_ocular: object = None

    _result: ClipResult | None = None

    @property
    def result(self) -> ClipResult:
        """The typed result (set once the clip is summarised)."""
        if self._result is None:
            raise ValueError("the clip has not been summarised")
        return self._result

    @result.setter
    def result(self, value: ClipResult) -> None:
        self._result = value

    @property
    def summary(self) -> dict:
        """The result document (`ClipResult.to_json`)."""
        return self.result.to_json()


def head_within_range(alignment: Alignment, params: MeasurementParams) -> np.ndarray:
    return (np.abs(alignment.yaw_deg) <= params.max_yaw_deg) & (np.abs(alignment.pitch_deg) <= params.max_pitch_deg)


def analyze_landmarks(timestamps_s: np.ndarray, points: np.ndarray, params: MeasurementParams = DEFAULT_MEASUREMENT,
                      affected_side: str | None = None, require_face: bool = True,
                      settled_at_start: bool = False, keep_aligned: bool = True) -> ClipAnalysis:
    """Measure a clip from its landmarks: `points` (T, 478, 3) pixels, NaN where no face, or the
    packed `MEASURED` subset (T, len(MEASURED), 3).

    `keep_aligned=False`: the aligned points are worked out a coordinate series at a time as they
    are measured (align.AlignedColumns, the same numbers) and the result's `alignment.aligned` is
    empty, (0, N, 3): a whole clip's are as large as its landmarks, 1.5 MB a minute of video, and
    only the live view reads them afterwards.

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
    # Only frames without a whole face can be partial; checking just those skips a pass over all points.
    partial = np.zeros_like(face_found)
    partial[~face_found] = np.isfinite(packed.reshape(packed.shape[0], -1)[~face_found]).any(axis=1)
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
    held = event_mask(t, blinks.onset_s[blinks.voluntary], blinks.offset_s[blinks.voluntary])
    alignment = align_to_reference(packed, subset[HEAD_ANCHORS], hold=hold,
                                   max_bridge_frames=window_frames(params.align_bridge_max_s, dt, odd=False),
                                   max_bridge_misfit=params.align_bridge_max_misfit, held=held,
                                   columns=not keep_aligned)
    aligned = alignment.points
    scale = iris_scale(aligned, subset, closure_by_side, params)
    mm_per_px = scale["mm_per_px"]
    warnings: list[str] = []
    if require_face and not (np.isfinite(scale["iris_px"]) and scale["iris_px"] >= params.min_iris_diameter_px):
        shown_px = np.floor(scale["iris_px"] * 10) / 10  # 11.96 shown as 11.9, never as the 12 it falls short of
        raise MeasurementError(
            f"The face is too small to measure (the iris is {shown_px:.1f} pixels across; at least "
            f"{params.min_iris_diameter_px:g} are needed): sit closer to the camera or use a higher resolution."
        )
    if not np.isfinite(mm_per_px):
        mm_per_px = float("nan")
    small = small_mouth_warning(packed, subset, params)
    if small:
        warnings.append(small)

    fissure_mm = {side: fissure_height_px(aligned, subset, side) * mm_per_px for side in SIDES}
    traces = mouth_traces(aligned, alignment.reference, subset, mm_per_px, dt, params)
    head_ok = head_within_range(alignment, params)
    lid_s = lid_start_s(t, closure_by_side, blinks, params)
    # A clip cut from a longer recording (a guided task) starts with a face the mesh has long settled on.
    mouth = measure_events(t, blinks.onset_s, blinks.offset_s, traces, head_ok, params, lid_start_s=lid_s,
                           settled_at_start=settled_at_start)
    reasons = rejection_reasons(blinks, mouth, params)
    closures = measure_closures(t, blinks, mouth, traces, closure_by_side, params)
    del aligned
    if not keep_aligned:
        alignment = replace(alignment, columns=None)  # its transforms in float32, 48 bytes a frame

    result = ClipAnalysis(t, face_found, alignment, closure_by_side, fissure_mm, traces, blinks, mouth, reasons,
                          mm_per_px, closures=closures, params_used=params)
    result.result = summarize(result, scale, params, affected_side, warnings)
    return result


def small_mouth_warning(points: np.ndarray, subset: LandmarkSubset, params: MeasurementParams) -> str | None:
    """The warning for a face too small in the picture to see a pull on the mouth corner alone
    (`min_mouth_detail_px`; `points` (T, N, 3) pixels of the picture), or None."""
    widths = _distance_between(points, subset[COMMISSURE["right"]], subset[COMMISSURE["left"]], dims=2)
    widths = widths[np.isfinite(widths)]
    if not widths.size:
        return None
    mouth_px = float(np.median(widths))
    if mouth_px >= params.min_mouth_detail_px:
        return None
    return (f"The face is small in the picture (the mouth is {mouth_px:.0f} pixels wide, under the "
            f"{params.min_mouth_detail_px:g} that show its corner in full): in a compressed video a pull on the "
            "corner alone can then read as little as half its size on some faces, though a pull that moves the cheek "
            "with it reads within a fifth. Sit closer to the camera or use a larger picture size.")


def coupling_verdict(average_peak_mm: dict[str, float], n_scored: dict[str, int], params: MeasurementParams,
                     affected_side: str | None = None) -> tuple[float, str | None, str]:
    """(asymmetry_mm, affected side, severity) from each side's blink-averaged movement.

    Too few blinks on a side give it no verdict (the average of one or two blinks is mostly their
    jitter). The affected side, unless the clinician named it, is the side that moves more by at
    least `min_asymmetry_mm` and more than healthy faces show; severity grades that side (or the
    larger movement when no side stands out), "undetermined" when no side could be graded."""
    averaged = {s: average_peak_mm[s] if n_scored[s] >= params.min_scored_blinks else float("nan") for s in SIDES}
    asym = averaged["right"] - averaged["left"]
    if affected_side not in SIDES:
        affected_side = None
        if np.isfinite(asym) and abs(asym) >= params.min_asymmetry_mm:
            worse = "right" if asym > 0 else "left"
            if averaged[worse] > params.healthy_floor_mm:
                affected_side = worse
    finite = [m for m in averaged.values() if np.isfinite(m)]
    graded = averaged[affected_side] if affected_side else (max(finite) if finite else float("nan"))
    return float(asym), affected_side, severity(graded, params) if finite else UNDETERMINED


def _event(a: ClipAnalysis, i: int, scored: bool) -> BlinkEvent:
    """One blink, with its peak mouth movement; or one held closure, with its held movement
    (core.closure) and whether that counts in the closure figure."""
    b, m, c = a.blinks, a.mouth, a.closures
    if c is not None and b.voluntary[i]:
        mouth_mm, up_mm, out_mm = c.held_mm, c.up_mm, c.out_mm
        latency: dict = {s: float("nan") for s in SIDES}
        scored, reason = c.reasons[i] is None, c.reasons[i]
    else:
        mouth_mm, up_mm, out_mm = m.peak_mm, m.up_mm, m.out_mm
        latency, reason = {s: m.latency_s[s][i] for s in SIDES}, a.reasons[i]
    return BlinkEvent(
        eye=EYE_NAMES[int(b.eye[i])], onset_s=b.onset_s[i], lid_start_s=m.lid_start_s[i], apex_s=b.apex_s[i],
        offset_s=b.offset_s[i], duration_s=b.duration_s[i],
        closure={"left": b.closure_left[i], "right": b.closure_right[i]}, complete=bool(b.complete[i]),
        mouth_mm={s: mouth_mm[s][i] for s in SIDES}, mouth_up_mm={s: up_mm[s][i] for s in SIDES},
        mouth_out_mm={s: out_mm[s][i] for s in SIDES}, mouth_latency_s=latency, scored=scored, reason=reason)


def summarize(a: ClipAnalysis, scale: dict, params: MeasurementParams, affected_side: str | None,
              warnings: list[str]) -> ClipResult:
    t = a.timestamps_s
    n_frames = int(t.size)
    face_frames = int(a.face_found.sum())
    duration = float(t[-1] - t[0]) if n_frames > 1 else 0.0
    dt = median_frame_interval_s(t)
    head_ok = head_within_range(a.alignment, params)
    blinks = a.blinks
    scored = np.array([r is None for r in a.reasons], dtype=bool)
    events = [_event(a, i, bool(scored[i])) for i in range(len(blinks))]

    # A side's eye must have closed for its mouth corner's movement to be coupling: one-sided
    # events count only for the side that closed.
    # The headline per side is the blink-averaged movement: averaging the signed traces of N blinks
    # before taking the size cancels jitter, where each blink's own peak is inflated by it (the
    # healthy floor of per-blink peaks is ~0.3-0.6 mm on the sample clips, of the average ~0.2 mm).
    def side_coupling(side: str) -> tuple[SideCoupling, dict]:
        own_eye = (blinks.eye == 0) | (blinks.eye == (1 if side == "right" else 2))
        use = scored & own_eye
        values = a.mouth.peak_mm[side][use]
        values = values[np.isfinite(values)]
        low, high = bootstrap_median_ci(values, params.bootstrap_resamples, min_values=params.min_scored_blinks)
        side_bta = blink_triggered_average(t, bta_trigger_s(blinks.apex_s[use], params), a.traces, params,
                                           sides=(side,), baseline_onset_s=a.mouth.baseline_lid_s[use])
        own_bta = {**side_bta[side], "n": side_bta["n"]}
        average_ci = own_bta.get("peak_ci95_mm", [np.nan, np.nan])
        return SideCoupling(
            average_peak_mm=float(own_bta["peak_mm"]),
            average_ci95_mm=(float(average_ci[0]), float(average_ci[1])),
            median_mm=float(np.median(values)) if values.size else float("nan"),
            ci95_mm=(float(low), float(high)),
            coupled_fraction=float(np.mean(values > params.coupled_threshold_mm)) if values.size else float("nan"),
            n=int(values.size),
            correlation=float(coupling_correlation(t, blinks.onset_s[use], blinks.offset_s[use], a.closure[side],
                                                   a.traces.displacement_mm(side), params)),
            latency_s=float(np.nanmedian(a.mouth.latency_s[side][use])) if use.any() else float("nan"),
        ), own_bta

    # Each side's summary (bootstraps, blink-triggered average) is its own: on a long clip the two
    # are worked out on two threads.
    per_side: dict[str, SideCoupling] = {}
    bta: dict = {"time_s": bta_grid(params).tolist()}
    for side, (coupling, side_bta) in zip(SIDES, side_by_side(side_coupling, SIDES, n_frames)):
        per_side[side], bta[side] = coupling, side_bta
    asym, affected_side, sev = coupling_verdict({s: per_side[s].average_peak_mm for s in SIDES},
                                                {s: per_side[s].n for s in SIDES}, params, affected_side)
    if sev == UNDETERMINED:
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
                        "blinks there are not scored: face the camera when you blink.")
    unscored = [side for side in SIDES if per_side[side].n == 0]
    if len(unscored) == 1:  # with none scored on either side the note on too few blinks says it
        warnings.append(f"No blink of the {unscored[0]} eye could be scored.")
    if not len(blinks):
        warnings.append("No blinks were found.")

    not_voluntary = ~blinks.voluntary
    return ClipResult(
        fps=1.0 / dt if dt > 0 else float("nan"),
        duration_s=duration,
        frames=n_frames,
        face_frames=face_frames,
        mm_per_px=scale["mm_per_px"],
        mm_per_px_uncertainty=scale["uncertainty_mm_per_px"],
        iris_px=scale["iris_px"],
        head_pose=HeadPose(
            max_abs_yaw_deg=float(np.nanmax(np.abs(a.alignment.yaw_deg))) if face_frames else float("nan"),
            max_abs_pitch_deg=float(np.nanmax(np.abs(a.alignment.pitch_deg))) if face_frames else float("nan"),
            frames_out_of_range=turned),
        blink_counts=BlinkCounts(
            both=int(np.sum((blinks.eye == 0) & not_voluntary)),
            right_only=int(np.sum((blinks.eye == 1) & not_voluntary)),
            left_only=int(np.sum((blinks.eye == 2) & not_voluntary)),
            right_eye=int(np.sum((blinks.eye != 2) & not_voluntary)),
            left_eye=int(np.sum((blinks.eye != 1) & not_voluntary)),
            scored=int(np.sum(scored))),
        implausible_frames=implausible,
        blinks=tuple(e for e, v in zip(events, blinks.voluntary) if not v),
        eye_closures=tuple(e for e, v in zip(events, blinks.voluntary) if v),
        ocular_oral=OcularOral(right=per_side["right"], left=per_side["left"], asymmetry_mm=asym,
                               affected_side=affected_side, severity=sev, blink_triggered_average=bta),
        closure_ocular_oral=(closure_ocular_oral(blinks, a.closures, params) if a.closures is not None
                             else ClosureOcularOral()),
        params=measurement_dict(params),
        warnings=tuple(warnings),
    )
