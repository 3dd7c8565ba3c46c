"""Expressions found in any clip: rest, smile, pucker, lips pushed to one side, open mouth, talking,
brow raise and held eye closure, each a segment with its start, end, side and confidence.

Pure numpy, from the face mesh's own geometry, in mm (iris scale) relative to the clip's rest:

- each mouth corner's `lift` along the face's up axis against the midpoint between the lips (a jaw
  drop moves corners and that midpoint alike, so it is not a smile) and its `half_width` outwards
  from the nose's midline (a one-sided pull drags the lip centre along, which must not widen the
  other half); a smile moves the corner up and out along the zygomaticus major's line (~45
  degrees), so its size is the movement along that diagonal;
- the mouth's width (corner to corner): a pucker narrows it by a quarter or more;
- the inner-lip gap: open mouth, and talking (the lips opening and closing several times a second);
- the lip centre's sideways position against the nose: lips pushed to one side;
- the brow's height against the nose and forehead: brow raise;
- the upper lip's outer border beside the philtrum against the nose: snarl (the lip raised more than
  the corners moved, the mouth not narrowed);
- held eye closures come from the blink detector (`Blinks.voluntary`), so a closure is one thing
  across the tool.

MediaPipe's face blendshapes (52 expression coefficients) would name expressions too, but they need
the FaceLandmarker task's model file, which the mediapipe 0.10.21 wheel does not ship (only the
legacy face mesh and face detection models); downloading a model at run time is out for an offline
medical tool, and the geometry is in the units the measurement is in (mm per side), where a
blendshape score is a unitless number for both sides' sum of muscles.

Head motion: every frame is fitted on its own onto the clip's reference face (rotation, scale,
translation on the head anchors), without the analysis' bridging across blinks: expressions move
5-15 mm, far more than the 1-2 mm the mesh deforms the anchors in a blink, and a bridge held across
a long closure or a smile is exactly where the pose must not be guessed.

The rest level is the clip's first still stretch with the lips together (clips, and the Sunnybrook
and eFACE examinations, begin at rest), widened to every frame that looks like it, so a clip that
smiles for most of its length is still measured against its rest and not against its median.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synkimeter.core.align import apply_similarity, runs, similarity_transforms
from synkimeter.core.anatomy import (
    BROW,
    COMMISSURE,
    HEAD_ANCHORS,
    LOWER_LIP_INNER,
    SIDES,
    UPPER_LIP_INNER,
    UPPER_LIP_OUTER,
    LandmarkSubset,
)
from synkimeter.core.eyes import _fill_gaps, fissure_height_px, median_frame_interval_s, window_frames
from synkimeter.core.ocular_oral import face_axes
from synkimeter.core.oral_ocular import event_mask
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams

# Lip midline: philtrum edge, the lower lip's lowest midline point and the inner lips.
LIP_CENTRE = (0, 17, UPPER_LIP_INNER, LOWER_LIP_INNER)
# Nasal bridge and dorsum: the face's own midline, which no expression moves.
NOSE = (6, 168, 197, 195, 5, 4)

REST, SMILE, PUCKER, LIPS_TO_SIDE, MOUTH_OPEN, TALKING, BROW_RAISE, EYE_CLOSURE, SNARL = (
    "rest", "smile", "pucker", "lips_to_side", "mouth_open", "talking", "brow_raise", "eye_closure", "snarl")
KINDS = (REST, SMILE, PUCKER, LIPS_TO_SIDE, MOUTH_OPEN, TALKING, BROW_RAISE, EYE_CLOSURE, SNARL)
_MOUTH_KINDS = (SMILE, PUCKER, LIPS_TO_SIDE, MOUTH_OPEN, SNARL)
BOTH, NO_SIDE = "both", ""
# Rest is looked for among at most this many distinct still shapes of the mouth.
_MAX_STILL_SHAPES = 12
_REST_MAJORITY = 1.5
# Talking: two open-close cycles at least; two turns of the lips are at least this far apart.
_TALKING_TURNS = 4
_TURN_MIN_S = 0.1
_DIAGONAL = 1.0 / np.sqrt(2.0)


@dataclass(frozen=True)
class ExpressionSegment:
    """One expression held from `start_s` to `end_s`.

    `side`: the subject's side that made it ("right", "left"), "both", or "" where a side means
    nothing (rest, open mouth, talking); for lips pushed to one side, the side they went to.
    `size_mm` (`size_pct` for a pucker) is the defining movement at its peak against rest.
    `confidence`: the peak movement over twice its detection threshold, at most 1 (0.5 = just at
    the threshold, 1 = twice it or more); for rest, 1 when the clip's rest was found (a still,
    lips-together stretch) and 0.5 when the levels fell back to the clip's median; for a held eye
    closure, its depth over a full closure in the mesh.
    """

    kind: str
    start_s: float
    end_s: float
    side: str
    confidence: float
    size_mm: float = float("nan")
    size_pct: float = float("nan")
    # Held eye closures: "forceful" when the brows came down with it (the squeeze of orbicularis
    # oculi pulls them), else "gentle"; "" for every other kind.
    strength: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class FaceGeometry:
    """Per-frame geometry, (T,) each, in mm on per-frame head-aligned landmarks; NaN without a face."""

    width_mm: np.ndarray  # corner to corner
    gap_mm: np.ndarray  # inner lip to inner lip
    shift_mm: np.ndarray  # lip centre towards the subject's left, against the nose
    lift_mm: dict[str, np.ndarray]  # corner above the lip centre, along the face's up axis
    half_width_mm: dict[str, np.ndarray]  # corner out from the nose's midline
    brow_mm: dict[str, np.ndarray]  # brow height along the face's up axis (against the head)
    fissure_mm: dict[str, np.ndarray]  # palpebral fissure height
    upper_lip_mm: dict[str, np.ndarray]  # the upper lip's outer border beside the philtrum, against the nose

    def series(self) -> dict[str, np.ndarray]:
        out = {"width_mm": self.width_mm, "gap_mm": self.gap_mm, "shift_mm": self.shift_mm}
        for side in SIDES:
            out[f"lift_mm_{side}"] = self.lift_mm[side]
            out[f"half_width_mm_{side}"] = self.half_width_mm[side]
            out[f"brow_mm_{side}"] = self.brow_mm[side]
            out[f"upper_lip_mm_{side}"] = self.upper_lip_mm[side]
        return out


@dataclass(frozen=True)
class Movement:
    """Per-frame movement against rest, smoothed, (T,) each."""

    smile_mm: dict[str, np.ndarray]  # corner up-and-out along the diagonal
    out_mm: dict[str, np.ndarray]  # corner away from the nose's midline
    narrowing_pct: np.ndarray  # mouth width narrower than at rest, percent of the rest width
    gap_mm: np.ndarray  # lips further apart than at rest
    shift_mm: np.ndarray  # lip centre sideways, towards the subject's left positive
    brow_mm: dict[str, np.ndarray]  # brow above its rest height
    upper_lip_mm: dict[str, np.ndarray]  # upper lip raised towards the nose above its rest height


@dataclass(frozen=True)
class Expressions:
    segments: list[ExpressionSegment]
    rest_frames: np.ndarray  # (T,) bool: frames that look like the clip's rest
    rest_found: bool  # False: no still stretch with the lips together; levels are the clip's median
    geometry: FaceGeometry
    movement: Movement

    def of_kind(self, kind: str) -> list[ExpressionSegment]:
        return [s for s in self.segments if s.kind == kind]


# Frames moved at once by `per_frame_aligned` and `face_geometry` (a few MB of temporaries,
# whatever the clip's length).
_ALIGN_BLOCK_FRAMES = 4096


def _aligned_blocks(points: np.ndarray, subset: LandmarkSubset, reference: np.ndarray):
    """(first frame, its block of frames each fitted on its own onto the reference face) for blocks
    of `_ALIGN_BLOCK_FRAMES`, float32, NaN where no face: a whole-clip copy of the moved points (and
    of their anchors in double precision) was 1.2 kB a frame at the peak (2 MB a minute of video).
    Every frame's fit is its own, so blocks give the whole clip's numbers (the rotation's iteration
    stops when a block has converged, a change under 1e-12)."""
    anchors = subset[HEAD_ANCHORS]
    target = reference[anchors]
    usable = bool(np.isfinite(target).all())
    for lo in range(0, max(points.shape[0], 1), _ALIGN_BLOCK_FRAMES):
        block = np.asarray(points[lo:lo + _ALIGN_BLOCK_FRAMES])
        out = np.full(block.shape, np.nan, dtype=np.float32)
        anchor_pts = np.take(block, anchors, axis=1).astype(np.float64)
        face = np.isfinite(anchor_pts).all(axis=(1, 2))
        if usable and face.any():
            s, r, t = similarity_transforms(anchor_pts[face], target)
            out[face] = apply_similarity(np.asarray(block[face], dtype=np.float32), s.astype(np.float32),
                                         r.astype(np.float32), t.astype(np.float32))
        yield lo, out


def per_frame_aligned(points: np.ndarray, subset: LandmarkSubset, reference: np.ndarray) -> np.ndarray:
    """Every frame fitted on its own onto the reference face by its head anchors (no bridging)."""
    out = np.full(points.shape, np.nan, dtype=np.float32)
    for lo, aligned in _aligned_blocks(points, subset, reference):
        out[lo:lo + aligned.shape[0]] = aligned
    return out


def face_geometry(points: np.ndarray, subset: LandmarkSubset, reference: np.ndarray, mm_per_px: float) -> FaceGeometry:
    """The geometry every expression is read from, for packed landmarks (T, len(subset), 3).

    Worked a block of frames at a time (see `_aligned_blocks`): only the (T,) series are whole-clip."""
    across, up = face_axes(reference, subset)  # towards the subject's left; up
    parts: dict[str, list[np.ndarray]] = {}
    for _, aligned in _aligned_blocks(points, subset, reference):
        for name, values in _block_geometry(aligned, subset, across, up, mm_per_px).items():
            parts.setdefault(name, []).append(values)
    g = {name: np.concatenate(values) for name, values in parts.items()}
    names = ("lift", "half", "brow", "fissure", "upper_lip")
    by_side = ({side: g[f"{name}_{side}"] for side in SIDES} for name in names)
    return FaceGeometry(g["width"], g["gap"], g["shift"], *by_side)


def _block_geometry(aligned: np.ndarray, subset: LandmarkSubset, across: np.ndarray, up: np.ndarray,
                    mm_per_px: float) -> dict[str, np.ndarray]:
    """`face_geometry`'s series for one block of aligned frames."""
    xy = aligned[..., :2].astype(np.float64)
    centre = xy[:, subset[LIP_CENTRE]].mean(axis=1)
    nose = xy[:, subset[NOSE]].mean(axis=1)
    out = {}
    for side in SIDES:
        corner = xy[:, subset[COMMISSURE[side]]]
        outward = across if side == "left" else -across
        # Up against the lip centre (a jaw drop lowers corners and lip centre alike); out against the
        # nose (a one-sided pull drags the lip centre along, which would widen the other half too).
        out[f"lift_{side}"] = (corner - centre) @ up * mm_per_px
        out[f"half_{side}"] = (corner - nose) @ outward * mm_per_px
        out[f"brow_{side}"] = (xy[:, subset[BROW[side]]].mean(axis=1) - nose) @ up * mm_per_px
        out[f"fissure_{side}"] = fissure_height_px(aligned, subset, side) * mm_per_px
        out[f"upper_lip_{side}"] = (xy[:, subset[UPPER_LIP_OUTER[side]]].mean(axis=1) - nose) @ up * mm_per_px
    out["width"] = np.linalg.norm(xy[:, subset[COMMISSURE["left"]]] - xy[:, subset[COMMISSURE["right"]]],
                                  axis=1) * mm_per_px
    out["gap"] = np.linalg.norm(xy[:, subset[UPPER_LIP_INNER]] - xy[:, subset[LOWER_LIP_INNER]], axis=1) * mm_per_px
    out["shift"] = (centre - nose) @ across * mm_per_px
    return out


def _smooth(series: np.ndarray, frames: int) -> np.ndarray:
    """Moving average over gaps filled by interpolation; frames without a face stay NaN."""
    series = np.asarray(series, dtype=np.float64)
    if frames <= 1 or series.size < 2 or not np.isfinite(series).any():
        return series
    from scipy import ndimage  # loaded at first use: the window starts without it
    out = ndimage.uniform_filter1d(_fill_gaps(series), size=min(frames, series.size), mode="nearest")
    out[~np.isfinite(series)] = np.nan
    return out


def _rolling_range(series: np.ndarray, frames: int) -> np.ndarray:
    filled = _fill_gaps(np.asarray(series, dtype=np.float64))
    if not np.isfinite(filled).any():
        return np.full(filled.shape, np.nan)
    frames = max(1, min(frames, filled.size))
    from scipy import ndimage  # loaded at first use: the window starts without it
    return (ndimage.maximum_filter1d(filled, frames, mode="nearest")
            - ndimage.minimum_filter1d(filled, frames, mode="nearest"))


def _levels(series: dict[str, np.ndarray], frames: np.ndarray) -> dict[str, float]:
    return {k: _median(v[frames]) for k, v in series.items()}


def _median(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def rest_frames(t: np.ndarray, geometry: FaceGeometry,
                params: MeasurementParams = DEFAULT_MEASUREMENT) -> tuple[np.ndarray, bool]:
    """(T,) bool frames that look like the clip's rest, and whether a still stretch was found.

    Seed: the first stretch of at least `expression_rest_min_s` with the lips together and every
    mouth movement still: its range within half of its own detection threshold (so stillness means
    "not even half an expression", in each measure's units). Then every frame whose movement
    against the seed's level stays under half of each threshold is rest too.
    """
    series = geometry.series()
    face = np.isfinite(np.column_stack(list(series.values()))).all(axis=1)
    dt = median_frame_interval_s(t)
    # Absurdly close frame times must not ask for a filter longer than the clip.
    window = min(window_frames(params.expression_min_s, dt), max(t.size, 1))
    lips_together = face & (np.nan_to_num(geometry.gap_mm, nan=np.inf) < params.expression_open_mm / 2)
    zero = _movement_raw(geometry, {k: 0.0 if k != "width_mm" else _median(v) for k, v in series.items()})
    # A frame is a still centre when the whole window around it is still and lips-together.
    from scipy import ndimage  # loaded at first use: the window starts without it
    calm = (ndimage.minimum_filter1d(lips_together.astype(np.uint8), window, mode="nearest") > 0
            if t.size else lips_together)
    still = calm & within(_ranges(zero, window), params)
    # Held expressions are still too (a pucker, a closed-lips smile): the still frames fall into
    # groups of one shape each, and rest is the one against which most frames are no expression.
    best, best_frames = None, 0
    left = still.copy()
    for _ in range(_MAX_STILL_SHAPES):
        if not left.any():
            break
        first = int(np.flatnonzero(left)[0])
        seed = np.zeros(t.size, dtype=bool)
        seed[max(first - window // 2, 0):first + window // 2 + 1] = True
        move = _movement_raw(geometry, _levels(series, seed & face))
        # Frames that are no expression against this shape: if it is rest, that is most of a clip.
        calm_like = lips_together & within(move, params, fraction=1.0)
        calm_like[first] = True
        # Clips (and the examinations) begin at rest: the first still shape is rest unless another
        # leaves clearly more of the clip free of expressions.
        if best is None or calm_like.sum() > _REST_MAJORITY * best_frames:
            best, best_frames = calm_like, int(calm_like.sum())
        left &= ~(within(move, params) & still)
        left[first] = False
    if best is None:
        return face, False
    # The rest level from all those frames (a relaxed mouth does not come back to exactly the same
    # shape after each expression), then the frames near that level.
    move = _movement_raw(geometry, _levels(series, best & face))
    near = lips_together & within(move, params)
    return near if near.any() else best & face, True


def _ranges(move: "Movement", frames: int) -> "Movement":
    return Movement({s: _rolling_range(move.smile_mm[s], frames) for s in SIDES},
                    {s: _rolling_range(move.out_mm[s], frames) for s in SIDES},
                    _rolling_range(move.narrowing_pct, frames),
                    move.gap_mm, _rolling_range(move.shift_mm, frames),
                    {s: _rolling_range(move.brow_mm[s], frames) for s in SIDES},
                    {s: _rolling_range(move.upper_lip_mm[s], frames) for s in SIDES})


def within(move: "Movement", params: MeasurementParams, fraction: float = 0.5) -> np.ndarray:
    """(T,) bool: every mouth movement's size under `fraction` of its detection threshold. The brows
    are left out: the mesh moves them 1-2 mm in every blink, and rest is the mouth's."""
    def small(x, threshold):
        return np.nan_to_num(np.abs(x), nan=np.inf) < fraction * threshold

    ok = small(move.narrowing_pct, params.expression_pucker_pct) & small(move.shift_mm, params.expression_shift_mm)
    for side in SIDES:
        ok &= small(move.smile_mm[side], params.expression_smile_mm)
    return ok


def _movement_raw(geometry: FaceGeometry, level: dict[str, float]) -> Movement:
    smile, out, brow, upper_lip = {}, {}, {}, {}
    for side in SIDES:
        out[side] = geometry.half_width_mm[side] - level[f"half_width_mm_{side}"]
        smile[side] = (out[side] + (geometry.lift_mm[side] - level[f"lift_mm_{side}"])) * _DIAGONAL
        brow[side] = geometry.brow_mm[side] - level[f"brow_mm_{side}"]
        upper_lip[side] = geometry.upper_lip_mm[side] - level[f"upper_lip_mm_{side}"]
    with np.errstate(invalid="ignore", divide="ignore"):
        narrowing = 100.0 * (1.0 - geometry.width_mm / level["width_mm"])
    return Movement(smile, out, narrowing, geometry.gap_mm - level["gap_mm"], geometry.shift_mm - level["shift_mm"],
                    brow, upper_lip)


def rest_levels(geometry: FaceGeometry, frames: np.ndarray | None = None) -> dict[str, float]:
    """The rest level of every measure: its median over `frames` (all frames when not given)."""
    series = geometry.series()
    n = geometry.width_mm.shape[0]
    return _levels(series, np.ones(n, dtype=bool) if frames is None else np.asarray(frames, dtype=bool))


def held_mouth_task(kind: str, geometry: FaceGeometry, rest: dict[str, float],
                    params: MeasurementParams = DEFAULT_MEASUREMENT) -> bool:
    """Was a smile or pucker held over these frames (a practice round's hold)? The finder's own
    thresholds: a corner up and out by `expression_smile_mm` (either side: a weak side may not
    move), or the mouth `expression_pucker_pct` narrower with the lips together; over half the frames."""
    move = _movement_raw(geometry, rest)
    if kind == SMILE:
        done = np.fmax(move.smile_mm["right"], move.smile_mm["left"]) >= params.expression_smile_mm
    elif kind == PUCKER:
        done = ((move.narrowing_pct >= params.expression_pucker_pct)
                & (np.nan_to_num(move.gap_mm, nan=np.inf) < params.expression_open_mm))
    else:
        raise ValueError(f"not a mouth task: {kind!r}")
    seen = np.isfinite(geometry.width_mm)
    return bool(seen.any() and done[seen].mean() > 0.5)


def movement(t: np.ndarray, geometry: FaceGeometry, rest: np.ndarray,
             params: MeasurementParams = DEFAULT_MEASUREMENT) -> Movement:
    """Each measure against its median over the rest frames, lightly smoothed."""
    raw = _movement_raw(geometry, _levels(geometry.series(), rest))
    frames = window_frames(params.expression_smoothing_s, median_frame_interval_s(t))
    return Movement({s: _smooth(raw.smile_mm[s], frames) for s in SIDES},
                    {s: _smooth(raw.out_mm[s], frames) for s in SIDES},
                    _smooth(raw.narrowing_pct, frames),
                    _smooth(raw.gap_mm, frames), _smooth(raw.shift_mm, frames),
                    {s: _smooth(raw.brow_mm[s], frames) for s in SIDES},
                    {s: _smooth(raw.upper_lip_mm[s], frames) for s in SIDES})


def held_runs(t: np.ndarray, signal: np.ndarray, threshold: float, params: MeasurementParams = DEFAULT_MEASUREMENT,
              allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stretches where `signal` is past `edge_fraction x threshold` and reaches `threshold`, merged
    across short gaps and at least `expression_min_s` long: (start index, end index inclusive, peak)."""
    signal = np.asarray(signal, dtype=np.float64)
    ok = np.isfinite(signal) if allowed is None else np.isfinite(signal) & allowed
    above = ok & (signal >= params.expression_edge_fraction * threshold)
    starts, ends = runs(above)
    if starts.size == 0:
        return starts, ends, np.zeros(0)
    peak = np.maximum.reduceat(np.where(above, signal, -np.inf), starts)
    keep = peak >= threshold
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends, np.zeros(0)
    # Merge stretches separated by less than the merge gap (one expression with a dip in it).
    new = np.concatenate([[True], (t[starts[1:]] - t[ends[:-1]]) > params.expression_merge_gap_s])
    ends = np.maximum.reduceat(ends, np.flatnonzero(new))
    starts = starts[new]
    dt = median_frame_interval_s(t)
    long_enough = (t[ends] - t[starts]) + dt >= params.expression_min_s
    starts, ends = starts[long_enough], ends[long_enough]
    peak = np.array([np.nanmax(signal[a:b + 1]) for a, b in zip(starts, ends)]) if starts.size else np.zeros(0)
    return starts, ends, peak


def _confidence(peak: float, threshold: float) -> float:
    return float(np.clip(peak / (2.0 * threshold), 0.0, 1.0)) if np.isfinite(peak) else 0.0


def _both_or_one(peaks: dict[str, float], threshold: float) -> str:
    """Which side made the movement (a brow raise): a side counts when its own peak reaches the
    threshold and at least a third of the stronger side's (a strong one-sided raise lifts the other
    brow a little)."""
    strongest = max(peaks.values())
    moved = [s for s in SIDES if peaks[s] >= threshold and peaks[s] >= strongest / 3.0]
    return BOTH if len(moved) == 2 else (moved[0] if moved else max(peaks, key=peaks.__getitem__))


def talking_frames(t: np.ndarray, gap_mm: np.ndarray, params: MeasurementParams = DEFAULT_MEASUREMENT) -> np.ndarray:
    """(T,) bool: the lips opening and closing again and again. Every turn of the lip gap (an opening
    or a closing, by at least `talking_cycle_mm` against its surroundings) is an event; four or more
    events (two cycles), each within `talking_max_gap_s` of the last (a pause between phrases),
    are talking, from the first event to the last."""
    from scipy.signal import find_peaks  # ~1 s to import: loaded at first use, not at start-up
    gap = _fill_gaps(np.asarray(gap_mm, dtype=np.float64))
    out = np.zeros(t.size, dtype=bool)
    if t.size < 3 or not np.isfinite(gap).all():
        return out
    spacing = max(1, int(round(_TURN_MIN_S / median_frame_interval_s(t))))
    opens, _ = find_peaks(gap, prominence=params.talking_cycle_mm, distance=spacing)
    closes, _ = find_peaks(-gap, prominence=params.talking_cycle_mm, distance=spacing)
    turns = np.union1d(opens, closes)
    if turns.size < _TALKING_TURNS:
        return out
    close = np.diff(t[turns]) <= params.talking_max_gap_s
    starts, ends = runs(close)  # runs of consecutive short intervals between turns
    for a, b in zip(starts, ends):
        if b - a + 2 >= _TALKING_TURNS:  # b - a + 1 intervals join b - a + 2 turns
            out[turns[a]:turns[b + 1] + 1] = True
    return out


def _segments_of(kind: str, t: np.ndarray, starts, ends, peaks, threshold: float, sides: list[str],
                 pct: bool = False) -> list[ExpressionSegment]:
    out = []
    for a, b, p, side in zip(starts, ends, peaks, sides):
        start, end, confidence = float(t[a]), float(t[b]), _confidence(p, threshold)
        if pct:
            out.append(ExpressionSegment(kind, start, end, side, confidence, size_pct=float(p)))
        else:
            out.append(ExpressionSegment(kind, start, end, side, confidence, size_mm=float(p)))
    return out


def find_expressions(timestamps_s: np.ndarray, points: np.ndarray, subset: LandmarkSubset, reference: np.ndarray,
                     mm_per_px: float, blinks=None, params: MeasurementParams = DEFAULT_MEASUREMENT) -> Expressions:
    """Every expression in a clip, from its packed landmarks (T, len(subset), 3) in pixels (NaN where
    no face), the analysis' reference face and iris scale, and its blinks (for held eye closures)."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    timeless = ~np.isfinite(t)
    if timeless.any():  # a frame without a time cannot start or end anything: no face there
        points = np.array(points, dtype=np.float32)
        points[timeless] = np.nan
    geometry = face_geometry(points, subset, reference, mm_per_px)
    rest, found = rest_frames(t, geometry, params)
    move = movement(t, geometry, rest, params)
    segments: list[ExpressionSegment] = []
    if t.size == 0 or not np.isfinite(mm_per_px):
        return Expressions(segments, rest, found, geometry, move)

    talking = talking_frames(t, move.gap_mm, params) & np.isfinite(move.gap_mm)
    n = t.size
    edge = params.expression_edge_fraction
    # Lips pushed to one side: the lip centre moves sideways and the trailing corner goes with it,
    # towards the midline (in a one-sided smile the other corner stays where it was).
    shift_thr = params.expression_shift_mm
    pushed = {"left": (np.nan_to_num(move.shift_mm) >= edge * shift_thr)
              & (np.nan_to_num(move.out_mm["right"]) <= -edge * shift_thr / 2),
              "right": (np.nan_to_num(move.shift_mm) <= -edge * shift_thr)
              & (np.nan_to_num(move.out_mm["left"]) <= -edge * shift_thr / 2)}
    any_push = pushed["left"] | pushed["right"]

    # Smile, per side: the corner up and out; one-sided and two-sided stretches are told apart.
    by_side = {}
    for side in SIDES:
        a, b, _ = held_runs(t, move.smile_mm[side], params.expression_smile_mm, params, allowed=~any_push)
        by_side[side] = _mask(n, a, b)
    smiles = smile_segments(t, by_side, move, params)
    segments += smiles
    smiling = by_side["right"] | by_side["left"]

    # Pucker: the mouth narrowed with the lips together and in the middle (an open mouth narrows too).
    lips_near = np.nan_to_num(move.gap_mm, nan=np.inf) < params.expression_open_mm
    a, b, p = held_runs(t, move.narrowing_pct, params.expression_pucker_pct, params,
                        allowed=lips_near & ~any_push & ~smiling)
    segments += _segments_of(PUCKER, t, a, b, p, params.expression_pucker_pct, [BOTH] * len(a), pct=True)

    # Snarl: the upper lip raised towards the nose more than either corner moved up and out, outside
    # smiles, with the mouth not narrowed (a pucker pushes the upper lip up and forward) nor pushed to
    # one side. A smile raises the upper lip too (6-9 mm on real faces), and so does a closed-lips smile
    # with the lips pressed together, whose corners come back before the lip does.
    lip = np.fmax(move.upper_lip_mm["right"], move.upper_lip_mm["left"])
    corners = np.fmax(move.smile_mm["right"], move.smile_mm["left"])
    snarling = ((np.nan_to_num(lip, nan=-np.inf) >= np.nan_to_num(corners, nan=np.inf))
                & (np.nan_to_num(move.narrowing_pct, nan=np.inf) < edge * params.expression_pucker_pct)
                & ~any_push & ~smiling)
    a, b, p = held_runs(t, lip, params.expression_snarl_mm, params, allowed=snarling)
    sides = [_both_or_one({s: float(np.nanmax(move.upper_lip_mm[s][i:j + 1])) for s in SIDES},
                          params.expression_snarl_mm) for i, j in zip(a, b)]
    segments += _segments_of(SNARL, t, a, b, p, params.expression_snarl_mm, sides)

    for side, sign in (("left", 1.0), ("right", -1.0)):
        a, b, p = held_runs(t, sign * move.shift_mm, shift_thr, params, allowed=pushed[side])
        segments += _segments_of(LIPS_TO_SIDE, t, a, b, p, shift_thr, [side] * len(a))

    a, b, p = held_runs(t, move.gap_mm, params.expression_open_mm, params, allowed=~smiling)
    segments += _segments_of(MOUTH_OPEN, t, a, b, p, params.expression_open_mm, [NO_SIDE] * len(a))

    brow_signal = np.fmax(move.brow_mm["right"], move.brow_mm["left"])
    a, b, p = held_runs(t, brow_signal, params.expression_brow_mm, params)
    sides = [_both_or_one({s: float(np.nanmax(move.brow_mm[s][i:j + 1])) for s in SIDES}, params.expression_brow_mm)
             for i, j in zip(a, b)]
    segments += _segments_of(BROW_RAISE, t, a, b, p, params.expression_brow_mm, sides)

    if blinks is not None:
        segments += eye_closures(t, blinks, params, move)

    # The lips take every shape in speech ("ooo", "eee"): a mouth expression mostly inside talking is
    # a sound, not an expression held.
    segments = [s for s in segments if s.kind not in _MOUTH_KINDS or _inside(t, s, talking) <= 0.5]
    # A mouth movement that comes and goes within one eye closure is the closure's own: ocular-oral
    # synkinesis, measured apart (core/ocular_oral.py), not a smile. Taken for a smile it would also
    # give an "eye narrowing during smile" of the closed eye (70 % on a real face with 4 mm coupling).
    # A smile that outlasts the closure stays (its narrowing leaves out the closure it began in:
    # `expression_oral_ocular`), and so does one longer than a blink inside a blink's span.
    # A held closure's own (the eyes shut, not narrowed by a smile) is a mouth movement that starts
    # once the eyes are closing and is over within an expression's shortest hold of their opening.
    if blinks is not None and len(blinks):
        first, last = closure_spans(blinks, params)
        longest_s = params.max_blink_duration_s + params.post_blink_s + _margin_before_s(params)
        held = np.asarray(blinks.shut, dtype=bool)
        segments = [s for s in segments if s.kind not in _MOUTH_KINDS
                    or not np.any((first <= s.start_s) & (s.start_s <= last) & np.where(
                        held, s.end_s <= last + params.expression_min_s,
                        (s.end_s <= last) & (s.end_s - s.start_s <= longest_s)))]
    a, b = runs(talking)
    for i, j in zip(a, b):
        widest = float(np.nanmax(move.gap_mm[i:j + 1]))  # the lips' widest opening while talking
        segments.append(ExpressionSegment(TALKING, float(t[i]), float(t[j]), NO_SIDE,
                                          _confidence(widest, params.talking_cycle_mm), size_mm=widest))

    # For half a second after a face is found the mesh settles onto it (1.5-6 px at first, see
    # landmarks/flow.py): a "movement" over by then is the mesh's, not the face's.
    face = np.isfinite(geometry.width_mm)
    found_at = t[np.flatnonzero(face & ~np.concatenate([[False], face[:-1]]))]
    settling = event_mask(t, found_at, found_at + params.optical_flow_settle_s)
    segments = [s for s in segments if s.kind not in _MOUTH_KINDS + (BROW_RAISE,) or _inside(t, s, settling) < 1.0]

    busy = event_mask(t, [s.start_s for s in segments], [s.end_s for s in segments])
    a, b, p = held_runs(t, (rest & ~busy).astype(float), 1.0,
                        params.with_overrides(expression_min_s=params.expression_rest_min_s))
    for i, j in zip(a, b):
        segments.append(ExpressionSegment(REST, float(t[i]), float(t[j]), NO_SIDE, 1.0 if found else 0.5))
    segments.sort(key=lambda s: (s.start_s, s.kind))
    return Expressions(segments, rest, found, geometry, move)


def smile_segments(t: np.ndarray, by_side: dict[str, np.ndarray], move: Movement,
                   params: MeasurementParams = DEFAULT_MEASUREMENT) -> list[ExpressionSegment]:
    """Smiles from each side's smiling frames: a stretch where one side smiles alone is a one-sided
    smile, where both do a smile of both sides; pieces shorter than `expression_min_s` (one corner
    a moment ahead of the other) join the piece before them."""
    code = by_side["right"].astype(np.int8) + 2 * by_side["left"].astype(np.int8)
    out = []
    starts, ends = runs(code > 0)
    names = {1: "right", 2: "left", 3: BOTH}
    for a, b in zip(starts, ends):
        cuts = a + 1 + np.flatnonzero(np.diff(code[a:b + 1]) != 0)
        piece_start = np.concatenate([[a], cuts])
        piece_end = np.concatenate([cuts - 1, [b]])
        pieces: list[list[int]] = []
        for i, j in zip(piece_start, piece_end):
            short = t[j] - t[i] < params.expression_min_s
            if pieces and (short or pieces[-1][2] == code[i]):
                pieces[-1][1] = int(j)
            else:
                pieces.append([int(i), int(j), int(code[i])])
        for i, j, c in pieces:
            timed = np.flatnonzero(np.isfinite(t[i:j + 1]))  # a piece can be cut at a frame without a time
            if timed.size == 0:
                continue
            i, j = i + int(timed[0]), i + int(timed[-1])
            if t[j] - t[i] < params.expression_min_s:
                continue
            sides = SIDES if c == 3 else (names[c],)
            peak = max(float(np.nanmax(move.smile_mm[s][i:j + 1])) for s in sides)
            out.append(ExpressionSegment(SMILE, float(t[i]), float(t[j]), names[c],
                                         _confidence(peak, params.expression_smile_mm), size_mm=peak))
    return out


def eye_closures(t: np.ndarray, blinks, params: MeasurementParams = DEFAULT_MEASUREMENT,
                 move: Movement | None = None) -> list[ExpressionSegment]:
    """Held eye closures, as the blink detector finds them (one definition of a closure). A closure
    inside a smile is reported too: a big smile can close a healthy eye, and that is what is seen.
    With the face's `move`ment: forceful when the brows came down by `expression_brow_mm` or more
    (the median over the closure, against rest), gentle otherwise; `size_mm` is that brow drop."""
    out = []
    names = {0: BOTH, 1: "right", 2: "left"}
    for i in np.flatnonzero(np.asarray(blinks.voluntary, dtype=bool)):
        depth = max(float(blinks.closure_right[i]), float(blinks.closure_left[i]))
        start, end = float(blinks.onset_s[i]), float(blinks.offset_s[i])
        drop, strength = float("nan"), ""
        if move is not None:
            frames = (t >= start) & (t <= end)
            brow = np.fmin(move.brow_mm["right"][frames], move.brow_mm["left"][frames])
            drop = -_median(brow) if frames.any() else float("nan")
            if np.isfinite(drop):
                strength = "forceful" if drop >= params.expression_brow_mm else "gentle"
        out.append(ExpressionSegment(EYE_CLOSURE, start, end, names.get(int(blinks.eye[i]), BOTH),
                                     float(np.clip(depth / params.full_closure, 0.0, 1.0))
                                     if np.isfinite(depth) else 0.0,
                                     size_mm=drop, strength=strength))
    return out


def _margin_before_s(params: MeasurementParams) -> float:
    """How long before an eye's detected onset its closure's mouth movement may begin (the lid moves
    first, then the trace's smoothing reaches back)."""
    return params.align_bridge_margin_s + params.commissure_smoothing_s


def closure_spans(blinks, params: MeasurementParams = DEFAULT_MEASUREMENT) -> tuple[np.ndarray, np.ndarray]:
    """Each blink's or closure's span with the margins its own mouth movement can reach beyond the
    lids' onset and offset: (first, last) in seconds."""
    return (np.asarray(blinks.onset_s) - _margin_before_s(params),
            np.asarray(blinks.offset_s) + params.post_blink_s + params.commissure_smoothing_s)


def _inside(t: np.ndarray, segment: ExpressionSegment, mask: np.ndarray) -> float:
    """Fraction of a segment's frames inside `mask`."""
    frames = (t >= segment.start_s) & (t <= segment.end_s)
    return float(mask[frames].mean()) if frames.any() else 0.0


def _mask(n: int, starts, ends) -> np.ndarray:
    delta = np.zeros(n + 1, dtype=np.int64)
    np.add.at(delta, np.asarray(starts, dtype=np.intp), 1)
    np.add.at(delta, np.asarray(ends, dtype=np.intp) + 1, -1)
    return np.cumsum(delta[:-1]) > 0
