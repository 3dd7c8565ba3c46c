"""Eye openness, closure and the iris scale, per subject side, vectorised over frames."""

from __future__ import annotations

import numpy as np

from synkimeter.core.align import AlignedPoints
from synkimeter.core.anatomy import (
    CENTRAL_LID_PAIRS,
    IRIS_HORIZONTAL,
    LATERAL_CANTHUS,
    MEDIAL_CANTHUS,
    SIDES,
    LandmarkSubset,
)
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams


def _distance_between(points: AlignedPoints, i: int, j: int, dims: int = 3) -> np.ndarray:
    """Distance (T,) between points i and j (positions along axis 1) of every frame in its first
    `dims` coordinates: sqrt(((p_i - p_j) ** 2).sum(axis=-1)), the same numbers.

    Worked one coordinate at a time on strided views of the frames: gathering the points first
    (points[:, idx] or np.take) cost several times the arithmetic, and a sum over 3-long rows
    makes numpy loop in threes."""
    total = points[:, i, 0] - points[:, j, 0]
    total *= total
    for axis in range(1, dims):
        d = points[:, i, axis] - points[:, j, axis]
        d *= d
        total += d
    return np.sqrt(total)


def _mean3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """np.stack([a, b, c], axis=1).mean(axis=1), the same numbers, without the stack."""
    total = a + b
    total += c
    return total / 3


def fissure_height_px(aligned: AlignedPoints, subset: LandmarkSubset, side: str) -> np.ndarray:
    """Palpebral fissure height: mean of the three central upper-to-lower lid gaps, (T,)."""
    return _mean3(*(_distance_between(aligned, int(subset[u]), int(subset[lo])) for u, lo in CENTRAL_LID_PAIRS[side]))


def eye_width_px(aligned: np.ndarray, subset: LandmarkSubset, side: str) -> np.ndarray:
    return _distance_between(aligned, int(subset[LATERAL_CANTHUS[side]]), int(subset[MEDIAL_CANTHUS[side]]))


def openness(aligned: np.ndarray, subset: LandmarkSubset) -> dict[str, np.ndarray]:
    """Fissure height over eye width per side: a scale-free openness, (T,) each."""
    out = {}
    for side in SIDES:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[side] = fissure_height_px(aligned, subset, side) / eye_width_px(aligned, subset, side)
    return out


def iris_diameter_px(aligned: AlignedPoints, subset: LandmarkSubset) -> dict[str, np.ndarray]:
    """Horizontal iris ring diameter per side, (T,), in the aligned (reference) frame's pixels."""
    return {side: _distance_between(aligned, int(subset[a]), int(subset[b]), dims=2)
            for side, (a, b) in IRIS_HORIZONTAL.items()}


def _fill_gaps(values: np.ndarray) -> np.ndarray:
    """Linear interpolation over non-finite samples (by position), so filters see a whole series."""
    finite = np.isfinite(values)
    if finite.all() or not finite.any():
        return values
    positions = np.arange(values.size)
    return np.interp(positions, positions[finite], values[finite])


def median_frame_interval_s(timestamps_s: np.ndarray) -> float:
    steps = np.diff(np.asarray(timestamps_s, dtype=np.float64))
    steps = steps[np.isfinite(steps) & (steps > 0)]
    return float(np.median(steps)) if steps.size else 1.0 / 30.0


def window_frames(window_s: float, frame_interval_s: float, odd: bool = True) -> int:
    frames = max(1, int(round(window_s / frame_interval_s)))
    return frames + 1 if odd and frames % 2 == 0 else frames


def open_baseline(openness_series: np.ndarray, frame_interval_s: float,
                  params: MeasurementParams = DEFAULT_MEASUREMENT) -> np.ndarray:
    """Rolling high percentile of openness: the eye's open level, following slow drift and gaze.

    The window is counted in frames from the clip's median frame interval; over ~5 s that is
    insensitive to the few dropped frames a webcam has.
    """
    filled = _fill_gaps(np.asarray(openness_series, dtype=np.float64))
    if not np.isfinite(filled).any():
        return np.full(filled.shape, np.nan)
    size = min(window_frames(params.open_baseline_window_s, frame_interval_s), max(1, filled.size))
    from scipy import ndimage  # loaded at first use: the window starts without it
    baseline = ndimage.percentile_filter(filled, params.open_baseline_percentile, size=size, mode="nearest")
    baseline[~np.isfinite(openness_series)] = np.nan
    return baseline


def closure(openness_by_side: dict[str, np.ndarray], frame_interval_s: float,
            params: MeasurementParams = DEFAULT_MEASUREMENT) -> dict[str, np.ndarray]:
    """c = 1 - openness / open baseline per side: 0 open, towards 1 closed (the mesh rarely reaches 1)."""
    out = {}
    for side, series in openness_by_side.items():
        base = open_baseline(series, frame_interval_s, params)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[side] = 1.0 - series / base
    return out


def iris_scale(aligned: AlignedPoints, subset: LandmarkSubset, closure_by_side: dict[str, np.ndarray],
               params: MeasurementParams = DEFAULT_MEASUREMENT) -> dict:
    """mm per reference pixel from the median horizontal iris diameter over open-eye frames.

    Returns {"mm_per_px", "iris_px", "iris_px_by_side", "uncertainty_mm_per_px"}; the uncertainty
    combines the spread of adult iris size with the spread of the measured diameter.
    """
    diameters = iris_diameter_px(aligned, subset)
    by_side = {}
    samples = []
    for side in SIDES:
        open_eye = (np.isfinite(diameters[side])
                    & (np.nan_to_num(closure_by_side[side], nan=1.0) < params.blink_offset_closure))
        values = diameters[side][open_eye]
        by_side[side] = float(np.median(values)) if values.size else float("nan")
        samples.append(values)
    pooled = np.concatenate(samples)
    if pooled.size == 0 or not np.median(pooled) > 0:  # no open eye, or landmarks collapsed to a point
        return {"mm_per_px": float("nan"), "iris_px": float("nan"), "iris_px_by_side": by_side,
                "uncertainty_mm_per_px": float("nan")}
    iris_px = float(np.median(pooled))
    mm_per_px = params.iris_diameter_mm / iris_px
    # Robust relative spread of the per-frame diameter, reduced by the number of frames.
    mad = float(np.median(np.abs(pooled - iris_px))) * 1.4826
    measured_rel = mad / iris_px / np.sqrt(pooled.size)
    rel = float(np.hypot(params.iris_diameter_spread, measured_rel))
    return {"mm_per_px": mm_per_px, "iris_px": iris_px, "iris_px_by_side": by_side,
            "uncertainty_mm_per_px": mm_per_px * rel}
