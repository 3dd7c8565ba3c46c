"""Per-frame facial symmetry: what a person watches move while they practise.

All functions are vectorised over frames and take head-aligned landmarks (T, N, 3) (the full mesh
or a packed subset with its `LandmarkSubset`). Sides are the subject's.

- eye openness ratio: left eye's openness over the right eye's (1 = the same);
- commissure height difference: how much higher the right mouth corner sits than the left (mm,
  along the face's own up axis, so a tilted head does not count);
- commissure excursion: each mouth corner's distance from the lip midline (mm), and their difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synkimeter.core.anatomy import (
    COMMISSURE,
    IRIS_HORIZONTAL,
    LOWER_LIP_INNER,
    SIDES,
    UPPER_LIP_INNER,
    LandmarkSubset,
)
from synkimeter.core.eyes import openness
from synkimeter.core.ocular_oral import face_axes

# Lip midline: the philtrum edge (0), the lower lip's lowest midline point (17) and the inner lips.
LIP_MIDLINE = (0, 17, UPPER_LIP_INNER, LOWER_LIP_INNER)
# Face contour points beside the ears (subject right, subject left): their depth difference gives
# the head's turn away from the camera, independent of any reference pose.
CONTOUR_SIDES = (234, 454)


@dataclass(frozen=True)
class Symmetry:
    """Per-frame symmetry series (T,) each; NaN where there is no face."""

    openness: dict[str, np.ndarray]  # lid gap / eye width per side
    openness_ratio: np.ndarray  # left / right
    height_diff_mm: np.ndarray  # right corner minus left corner, up positive
    excursion_mm: dict[str, np.ndarray]  # each corner's distance from the lip midline
    excursion_diff_mm: np.ndarray  # right minus left


def commissure_geometry(aligned: np.ndarray, reference: np.ndarray, subset: LandmarkSubset,
                        mm_per_px: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Height (along the face's up axis) and excursion (outward from the lip midline) of each
    commissure relative to the lip midline, in mm, (T,) each."""
    across, up = face_axes(reference, subset)
    mid = aligned[:, subset[LIP_MIDLINE], :2].astype(np.float64).mean(axis=1)  # (T, 2)
    height, excursion = {}, {}
    for side in SIDES:
        delta = aligned[:, subset[COMMISSURE[side]], :2].astype(np.float64) - mid
        outward = across if side == "left" else -across
        height[side] = delta @ up * mm_per_px
        excursion[side] = delta @ outward * mm_per_px
    return height, excursion


def symmetry(aligned: np.ndarray, reference: np.ndarray, subset: LandmarkSubset, mm_per_px: float) -> Symmetry:
    """Every per-frame symmetry measure at once."""
    open_by_side = openness(aligned, subset)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = open_by_side["left"] / open_by_side["right"]
    height, excursion = commissure_geometry(aligned, reference, subset, mm_per_px)
    return Symmetry(open_by_side, ratio, height["right"] - height["left"], excursion,
                    excursion["right"] - excursion["left"])


def iris_diameter_image_px(points: np.ndarray, subset: LandmarkSubset) -> np.ndarray:
    """Mean horizontal iris diameter of both eyes in the camera image's own pixels, (T,): tells
    whether the face is large enough to measure, whatever the head alignment did."""
    diameters = [np.linalg.norm(points[:, subset[a], :2] - points[:, subset[b], :2], axis=-1)
                 for a, b in IRIS_HORIZONTAL.values()]
    return np.mean(diameters, axis=0)


def facing_yaw_deg(points: np.ndarray, subset: LandmarkSubset) -> np.ndarray:
    """How far the head is turned from facing the camera (degrees, signed), (T,), from the depth
    difference of the face contour beside the ears (the mesh's z is in the same units as x)."""
    right, left = (points[:, subset[i]].astype(np.float64) for i in CONTOUR_SIDES)
    d = left - right
    return np.degrees(np.arctan2(d[:, 2], np.abs(d[:, 0])))
