"""Head-motion removal: a similarity transform per frame onto the clip's reference face.

A blink-coupled mouth movement is 0.5-4 mm, less than a patient's head moves, so every frame is
mapped (rotation, uniform scale, translation; Umeyama in 3D) from its head anchors onto a reference
shape, and every landmark goes with it. All frames are solved at once with a batched SVD.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import numpy as np

from synkimeter.core.anatomy import HEAD_ANCHORS

REFERENCE_SAMPLE_FRAMES = 2000

# Below this many values a second thread costs more than it saves (a live frame, a short clip).
_PARALLEL_MIN_VALUES = 1 << 20
# Below this many frames (about 10 minutes at 30 fps) the two sides' summaries are not worth a thread.
_PARALLEL_MIN_FRAMES = 1 << 14
_R = TypeVar("_R")
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def available_cores() -> int:
    """The cores this process may run on (its affinity, where the platform tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _in_halves(work: Callable[[int, int], _R], n_frames: int, values_per_frame: int) -> list[_R]:
    """`work(lo, hi)` over frames [0, n_frames), in two halves on two threads when the clip is long
    and there is a second core: numpy's element-wise loops let go of the GIL, and every step
    split this way is per frame, so the result is the same bit for bit. Results in frame order."""
    if n_frames * values_per_frame < _PARALLEL_MIN_VALUES or n_frames < 2 or available_cores() < 2:
        return [work(0, n_frames)]
    mid = n_frames // 2
    second = _second_thread().submit(work, mid, n_frames)
    return [work(0, mid), second.result()]


def side_by_side(work: Callable[[str], _R], sides: tuple[str, str], n_frames: int) -> list[_R]:
    """`work(side)` for two independent sides, on two threads when the clip is long and there is a
    second core (each side's work is the same computation either way). Results in `sides` order."""
    if n_frames < _PARALLEL_MIN_FRAMES or available_cores() < 2:
        return [work(side) for side in sides]
    second = _second_thread().submit(work, sides[1])
    return [work(sides[0]), second.result()]


def _second_thread() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synkimeter-core")
    return _pool


@dataclass(frozen=True)
class Alignment:
    # (T, N, 3) landmarks in the reference frame (reference pixels), frame-minor in memory; (0, N, 3)
    # when they are read as `columns` instead (align_to_reference's columns=True)
    aligned: np.ndarray
    reference: np.ndarray  # (N, 3) the reference face
    scale: np.ndarray  # (T,) frame -> reference scale
    rotation: np.ndarray  # (T, 3, 3) frame -> reference rotation
    translation: np.ndarray  # (T, 3)
    yaw_deg: np.ndarray  # (T,) head pose relative to the reference (the clip's typical pose)
    pitch_deg: np.ndarray
    roll_deg: np.ndarray
    residual_px: np.ndarray  # (T,) RMS anchor misfit after alignment, in reference pixels
    columns: "AlignedColumns | None" = None  # the aligned points read a coordinate series at a time

    @property
    def points(self) -> "AlignedPoints":
        """The aligned points as the measurement reads them (`[:, i, c]`): `columns` where kept so."""
        return self.columns if self.columns is not None else self.aligned


def similarity_transforms(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares similarity transforms mapping each `source[t]` (T, K, 3) onto `target` (K, 3).

    Returns scale (T,), rotation (T, 3, 3) and translation (T, 3) such that
    target ~= scale * source @ rotation.T + translation. Frames with non-finite anchors get NaN.
    """
    scale, rotation, translation, _ = _similarity_transforms(source, target)
    return scale, rotation, translation


# Frames per block in `_similarity_transforms`: (T, K, 3) temporaries for an hour are tens of MB.
_BLOCK_FRAMES = 2048


def _similarity_transforms(source: np.ndarray,
                           target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`similarity_transforms`, and the mean of each frame's source points (T, 3)."""
    # float32 anchors (the analysis' own) stay float32 for the whole clip: each block is made double.
    source = np.asarray(source)
    if source.dtype not in (np.float32, np.float64):
        source = source.astype(np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.ndim != 3 or source.shape[1:] != target.shape or target.shape[-1] != 3:
        raise ValueError(f"expected source (T, K, 3) and target (K, 3), got {source.shape} and {target.shape}")
    n_frames, k = source.shape[:2]
    valid = (np.isfinite(source.reshape(n_frames, -1).sum(axis=1, dtype=np.float64))
             & bool(np.isfinite(target).all()))
    mu_tgt = target.mean(axis=0)  # (3,)
    tgt_c = target - mu_tgt
    mu_src, var_src, cov = np.empty((n_frames, 3)), np.empty(n_frames), np.empty((n_frames, 3, 3))
    def fit(first: int, last: int) -> None:
        # Every step is per frame, so blocks give the whole-clip result bit for bit.
        for lo in range(first, last, _BLOCK_FRAMES):  # tens of blocks an hour
            hi = min(lo + _BLOCK_FRAMES, last)
            src = source[lo:hi].astype(np.float64, copy=False)
            if not valid[lo:hi].all():
                src = np.where(valid[lo:hi, None, None], src, 0.0)
            # einsum adds the points in the same order as src.mean(axis=1), five times faster (the
            # reduction over a middle axis runs 3-long inner loops).
            mu = np.einsum("tkj->tj", src, out=mu_src[lo:hi])
            mu /= k
            src_c = src - mu_src[lo:hi, None, :]
            var_src[lo:hi] = (src_c**2).sum(axis=(1, 2)) / k
            cov[lo:hi] = np.matmul(tgt_c.T, src_c) / k  # target x source

    _in_halves(fit, n_frames, k * 3)
    rotation = nearest_rotation(cov)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Umeyama's trace(D S) equals trace(R^T cov) at the optimum.
        scale = (rotation * cov).sum(axis=(1, 2)) / var_src
    translation = mu_tgt - scale[:, None] * np.matmul(rotation, mu_src[:, :, None])[:, :, 0]
    bad = ~valid | ~np.isfinite(scale) | (var_src <= 0)
    scale[bad] = np.nan
    rotation[bad] = np.nan
    translation[bad] = np.nan
    # The fit took frames with non-finite points as zeros; their mean is that of the points.
    if not valid.all():
        mu_src[~valid] = source[~valid].astype(np.float64).mean(axis=1)
    return scale, rotation, translation, mu_src


def apply_similarity(points: np.ndarray, scale: np.ndarray, rotation: np.ndarray,
                     translation: np.ndarray) -> np.ndarray:
    """Apply per-frame transforms to (T, N, 3) points."""
    return _apply_similarity(points, scale, rotation, translation)[0]


# Points per block of frames in `_apply_similarity`: its temporaries then stay in the cache, where
# whole-clip temporaries (tens of MB for an hour) cost more in memory traffic than the arithmetic
# itself; half this size measured 20 ms slower an hour, twice it no faster (frame-minor output).
_BLOCK_POINTS = 65536


def _apply_similarity(points: np.ndarray, scale: np.ndarray, rotation: np.ndarray, translation: np.ndarray,
                      anchors: np.ndarray | None = None,
                      target: np.ndarray | None = None, frame_minor: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`apply_similarity`, and with `anchors` and `target` also the RMS distance (T,) of the moved
    anchors from `target` (else an empty array), computed block by block while the moved points
    are still in the cache. `frame_minor`: the (T, N, 3) result is a view of a (3, N, T) array."""
    # Written out per axis: numpy's batched 3x3 matmul is several times slower than nine
    # element-wise multiply-adds, and the products are rounded in the points' precision in the
    # same order whatever the block size, so the result does not depend on it.
    points = np.asarray(points)
    sr = scale[:, None, None] * rotation  # (T, 3, 3)
    dtype = np.result_type(points.dtype, sr.dtype)
    n_frames, n_points = points.shape[0], points.shape[1]
    if frame_minor:
        out = np.empty(points.shape[::-1], dtype=dtype).transpose(2, 1, 0)
    else:
        out = np.empty(points.shape, dtype=dtype)
    misfit = np.empty(0 if anchors is None else n_frames, dtype=np.result_type(dtype, target))
    block = max(1, _BLOCK_POINTS // max(n_points, 1))

    def move(first: int, last: int) -> None:
        rows = min(block, last - first)
        planar = np.empty((3, rows, n_points), dtype=points.dtype)
        acc, tmp = np.empty((rows, n_points), dtype=dtype), np.empty((rows, n_points), dtype=dtype)
        for lo in range(first, last, block):  # a few hundred blocks an hour, never per frame
            hi = min(lo + block, last)
            # x, y and z apart first: the nine products then read contiguous rows, not every third value.
            p = planar[:, :hi - lo]
            np.copyto(p, points[lo:hi].transpose(2, 0, 1))
            c, t = sr[lo:hi], translation[lo:hi]
            a, b = acc[:hi - lo], tmp[:hi - lo]
            for axis in range(3):
                np.multiply(c[:, axis, 0, None], p[0], out=a)
                np.multiply(c[:, axis, 1, None], p[1], out=b)
                a += b
                np.multiply(c[:, axis, 2, None], p[2], out=b)
                a += b
                a += t[:, axis, None]
                out[lo:hi, :, axis] = a
                if anchors is not None and target is not None:
                    # Squared distances summed axis by axis (x, then y, then z, as a sum over a
                    # point's three coordinates adds them): no reduction over 3-long rows.
                    d = a[:, anchors] - target[:, axis]
                    if axis == 0:
                        squared = np.square(d, out=d)
                    else:
                        squared += np.square(d, out=d)
            if anchors is not None:
                misfit[lo:hi] = np.sqrt(squared.mean(axis=1))

    _in_halves(move, n_frames, n_points * 3)
    return out, misfit


class AlignedColumns:
    """The aligned points of a clip read one coordinate series at a time: `[:, i, c]` is point i's
    coordinate c in every frame, (T,), worked out when read, with the same arithmetic in the same
    order as `_apply_similarity` (the same numbers), from the clip's points and its transforms. What
    the measurement reads of the aligned face is a score of such series, so the (T, N, 3) copy, as
    large as the clip's landmarks, is never made."""

    def __init__(self, points: np.ndarray, scale: np.ndarray, rotation: np.ndarray, translation: np.ndarray):
        self.points = points
        self.sr = scale[:, None, None] * rotation
        self.translation = translation
        self.shape = points.shape
        self.dtype = np.result_type(points.dtype, self.sr.dtype)

    def __getitem__(self, key) -> np.ndarray:
        frames, i, c = key
        if frames != slice(None) or not all(isinstance(k, (int, np.integer)) for k in (i, c)):
            raise TypeError("aligned columns are read as [:, point, coordinate]")
        point, sr = self.points[:, i], self.sr[:, c]
        out = np.multiply(sr[:, 0], point[:, 0], dtype=self.dtype)
        tmp = np.multiply(sr[:, 1], point[:, 1], dtype=self.dtype)
        out += tmp
        out += np.multiply(sr[:, 2], point[:, 2], out=tmp)
        out += self.translation[:, c]
        return out


# What the measurement reads aligned points from: the (T, N, 3) array or its columns read on demand.
AlignedPoints: TypeAlias = np.ndarray | AlignedColumns


def euler_from_rotation(rotation: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yaw (about the image's vertical axis), pitch (horizontal axis) and roll (view axis) in degrees
    of the head in each frame relative to the reference, from the frame->reference rotations."""
    head = np.swapaxes(rotation, 1, 2)  # reference -> frame: how the head turned
    # Image axes: x right, y down, z away from the camera.
    yaw = np.degrees(np.arcsin(np.clip(-head[:, 2, 0], -1.0, 1.0)))
    pitch = np.degrees(np.arctan2(head[:, 2, 1], head[:, 2, 2]))
    roll = np.degrees(np.arctan2(head[:, 1, 0], head[:, 0, 0]))
    return yaw, pitch, roll


def bridge(series: np.ndarray, hold: np.ndarray, context_frames: int = 12, max_frames: int | None = None,
           held: np.ndarray | None = None) -> np.ndarray:
    """Replace the rows of `series` (T, ...) inside each run of `hold` by a quadratic fitted to the
    trusted rows within `context_frames` on both sides; NaN rows stay NaN.

    The quadratic follows a head that turns during the blink (a straight line between the edge
    frames leaves a bow of up to a millimetre at ordinary speeds), and fitting many frames, not
    the two edge frames, keeps one frame's jitter from spreading over the whole bridge.

    It never extrapolates: a bridge stays within the range its context spans (a curve fitted to a
    head that moves during a long closure ran away by tens of millimetres on real faces), a run
    with trusted frames on one side only holds their mean, and runs longer than `max_frames` keep
    their own rows (a deliberate closure lasts seconds; the head moves in ways no curve guesses),
    unless they hold a frame of `held` (a held eye closure, where the mesh's deformation lasts all
    the closure): those get at most a straight line between the frames before and after, which the
    caller checks against the anchors (`align_to_reference`).
    """
    out = np.array(series, dtype=np.float64, copy=True)
    flat = out.reshape(out.shape[0], -1)
    finite = np.isfinite(flat).all(axis=1)
    known = ~hold & finite
    starts, ends = runs(hold)
    frames = np.arange(out.shape[0])
    # One small least-squares fit per blink (hundreds an hour), never per frame; the fit's own
    # cost is a few numpy calls, so each blink makes as few calls as it can.
    for start, end in zip(starts.tolist(), ends.tolist()):
        long_run = max_frames is not None and end - start + 1 > max_frames
        closed = held is not None and bool(held[start:end + 1].any())
        if long_run and not closed:
            continue
        lo, hi = max(start - context_frames, 0), min(end + 1 + context_frames, out.shape[0])
        ctx = frames[lo:hi][known[lo:hi]]
        inside = frames[start:end + 1][finite[start:end + 1]]
        if inside.size == 0 or ctx.size == 0:
            continue
        before, after = np.count_nonzero(known[lo:start]), np.count_nonzero(known[end + 1:hi])
        centre = 0.5 * (start + end)
        degree = 2 if min(before, after) >= 3 else (1 if min(before, after) >= 1 else 0)
        if long_run:
            degree = min(degree, 1)
        values = flat[ctx]
        coef, *_ = np.linalg.lstsq(_vander((ctx - centre) / context_frames, degree), values, rcond=None)
        fitted = _vander((inside - centre) / context_frames, degree) @ coef
        flat[inside] = np.clip(fitted, values.min(axis=0), values.max(axis=0))
    return out


def _vander(x: np.ndarray, degree: int) -> np.ndarray:
    """np.vander(x, degree + 1) for degree <= 2 (the same numbers), without its generality's cost."""
    basis = np.empty((x.size, degree + 1))
    basis[:, degree] = 1.0
    if degree >= 1:
        basis[:, degree - 1] = x
    if degree == 2:
        basis[:, 0] = x * x
    return basis


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and inclusive end indices of the runs of True in a 1-D mask."""
    padded = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2] - 1


def _cofactors(m: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """Cofactor matrices (rows' cross products) of matrices stored component-major, m (9, T)."""
    # Component-major rows are contiguous, so every step is one plain vector operation.
    for row, (u, v) in enumerate(((3, 6), (6, 0), (0, 3))):
        for col, (i, j) in enumerate(((1, 2), (2, 0), (0, 1))):
            o = out[3 * row + col]
            np.multiply(m[u + i], m[v + j], out=o)
            np.multiply(m[u + j], m[v + i], out=tmp)
            o -= tmp
    return out


def _determinant(m: np.ndarray, cof: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    np.multiply(m[0], cof[0], out=out)
    np.multiply(m[1], cof[1], out=tmp)
    out += tmp
    np.multiply(m[2], cof[2], out=tmp)
    out += tmp
    return out


def _sum9(q: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """Sum of the 9 components, q (9, T), in the order numpy's pairwise sum adds a frame's 9
    contiguous values (the transforms, hence every aligned point, stay bit for bit as they were)."""
    np.add(q[0], q[1], out=out)
    np.add(q[2], q[3], out=tmp)
    out += tmp
    upper = q[4] + q[5]
    np.add(q[6], q[7], out=tmp)
    upper += tmp
    out += upper
    out += q[8]
    return out


# Matrices per block of the polar iteration: its dozen (9, block) temporaries fit in the cache.
_BLOCK_MATRICES = 8192


# Matrices whose rotations are iterated together: the iteration's half-dozen copies of them are
# then a few MB, not 0.4 kB a frame of the clip (0.8 MB a minute of video).
_ROTATION_FRAMES = 4096


def nearest_rotation(matrices: np.ndarray, tolerance: float = 1e-12, max_iterations: int = 20) -> np.ndarray:
    """The proper rotation nearest to each (T, 3, 3) matrix (Kabsch/Umeyama's U diag(1,1,d) V^T).

    Scaled Newton iteration for the polar factor (Higham), a few element-wise passes over all
    frames, about twice as fast as numpy's batched SVD; the rare frames whose matrix would give a
    reflection (det < 0: degenerate or wildly noisy anchors) take the SVD route. Blocks of
    `_ROTATION_FRAMES` iterate until each has converged (a change under `tolerance`).
    """
    x = np.asarray(matrices, dtype=np.float64)
    if x.shape[0] <= _ROTATION_FRAMES:
        return _nearest_rotation(x, tolerance, max_iterations)
    out = np.empty(x.shape)
    for lo in range(0, x.shape[0], _ROTATION_FRAMES):  # a block of a few minutes, never a frame
        out[lo:lo + _ROTATION_FRAMES] = _nearest_rotation(x[lo:lo + _ROTATION_FRAMES], tolerance, max_iterations)
    return out


def _nearest_rotation(x: np.ndarray, tolerance: float, max_iterations: int) -> np.ndarray:
    n = x.shape[0]
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x).all(axis=(1, 2))
    # Component-major (9, T) copies: the (T, 3, 3) layout made every step a strided pass.
    m = np.ascontiguousarray(np.where(ok[:, None, None], x, np.eye(3)).reshape(n, 9).T)
    cof, tmp, det = np.empty_like(m), np.empty(n), np.empty(n)
    newton = ok & (_determinant(m, _cofactors(m, cof, tmp), det, tmp) > 0)
    y = np.ascontiguousarray(m[:, newton])
    k = y.shape[1]
    nxt = np.empty_like(y)

    def step(first: int, last: int) -> np.ndarray:
        """One iteration for matrices [first, last), block by block so that its dozens of passes run
        in the cache; returns the largest change over them (NaN if any, as the whole-array max
        gave), the convergence test over all frames."""
        size = min(_BLOCK_MATRICES, last - first)
        inv_t, sq = np.empty((9, size)), np.empty((9, size))
        tmp, det, inv_norm, norm = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
        change = np.zeros(())
        for lo in range(first, last, _BLOCK_MATRICES):
            hi = min(lo + _BLOCK_MATRICES, last)
            n_b = hi - lo
            y_b, nxt_b, inv_b, sq_b = y[:, lo:hi], nxt[:, lo:hi], inv_t[:, :n_b], sq[:, :n_b]
            _cofactors(y_b, inv_b, tmp[:n_b])
            inv_b /= _determinant(y_b, inv_b, det[:n_b], tmp[:n_b])
            _sum9(np.square(inv_b, out=sq_b), inv_norm[:n_b], tmp[:n_b])
            _sum9(np.square(y_b, out=sq_b), norm[:n_b], tmp[:n_b])
            gamma = inv_norm[:n_b]
            np.sqrt(np.sqrt(np.divide(gamma, norm[:n_b], out=gamma), out=gamma), out=gamma)
            np.multiply(gamma, y_b, out=nxt_b)
            nxt_b += np.divide(inv_b, gamma, out=sq_b)
            nxt_b *= 0.5
            change = np.maximum(change, np.abs(np.subtract(nxt_b, y_b, out=sq_b), out=sq_b).max())
        return change

    for _ in range(max_iterations):
        # Not split over threads: a second thread gained nothing here (measured on 2 cores).
        change = step(0, k)
        y, nxt = nxt, y
        if change < tolerance:
            break
    out[newton] = y.T.reshape(k, 3, 3)
    slow = ok & ~newton
    if slow.any():
        u, _, vt = np.linalg.svd(x[slow])
        d = np.ones((int(slow.sum()), 3))
        d[:, 2] = np.sign(np.linalg.det(u) * np.linalg.det(vt))
        out[slow] = np.matmul(u * d[:, None, :], vt)
    return out


def _anchor_misfit(anchor_pts: np.ndarray, s: np.ndarray, r: np.ndarray, t: np.ndarray,
                   target: np.ndarray) -> np.ndarray:
    """RMS distance (T,) of the transformed anchors from the reference's (NaN -> 0)."""
    return np.nan_to_num(_apply_similarity(anchor_pts, s, r, t, np.arange(anchor_pts.shape[1]), target)[1])


def _median_reference(points: np.ndarray, anchor_pts: np.ndarray, face: np.ndarray) -> np.ndarray:
    """The clip's median face in two passes (see align_to_reference)."""
    # The reference is a median, so a few thousand evenly spread frames settle it as well as all.
    sample = np.flatnonzero(face)
    sample = sample[np.linspace(0, sample.size - 1, min(sample.size, REFERENCE_SAMPLE_FRAMES)).astype(np.intp)]
    sampled = anchor_pts[sample].astype(np.float64)
    first_ref = np.median(sampled, axis=0)
    s, r, t = similarity_transforms(sampled, first_ref)
    return np.median(apply_similarity(points[sample].astype(np.float64), s, r, t), axis=0)


def align_to_reference(points: np.ndarray, anchors: np.ndarray = HEAD_ANCHORS, hold: np.ndarray | None = None,
                       reference: np.ndarray | None = None, max_bridge_frames: int | None = None,
                       max_bridge_misfit: float | None = None, held: np.ndarray | None = None,
                       columns: bool = False) -> Alignment:
    """Remove head motion from (T, N, 3) landmarks (NaN rows where no face).

    `anchors` are positions along axis 1 of `points`: the full mesh's HEAD_ANCHORS by default, or
    their positions in a subset of the mesh (the analysis aligns only the points it measures).

    `hold` marks frames (blinks) whose own transform is not trusted: the face mesh deforms its
    upper face, nose and contour by 1-2 mm when the eyes close (measured on the synthetic clips,
    whose pixels there do not move), which a per-frame fit would turn into false mouth movement.
    There the transform is interpolated from the frames just before and after; head motion is
    smooth over a blink's few hundred milliseconds.

    The reference is the clip's median face, found in two passes: first frames are aligned to the
    median of the raw anchors, then the reference becomes the median of the aligned faces, and all
    frames are aligned again to it. A given `reference` ((N, 3), e.g. a face settled earlier, as the
    practice judge keeps one for a whole set) is used as it is instead.

    Held frames at the end of `points` (a blink still under way, seen online) have no trusted frames
    after them: `bridge` then holds the mean transform of the frames before.

    A bridge is a guess, so it is checked: runs of `hold` longer than `max_bridge_frames` are not
    bridged (but those holding a frame of `held`, a held eye closure: bridged by a straight line,
    since the mesh deforms the anchors all the while the eyes are closed, which read as 0.8-1.1 mm of
    mouth movement in held closures of a still real face), and a bridge whose anchor misfit exceeds
    the frame's own fit's by more than `max_bridge_misfit` (a fraction of the anchors' spread about
    their centre) is dropped for the frame's own transform: the mesh's blink deformation of the
    anchors is a millimetre or two, a head that turned or nodded during the closure misfits by far
    more.

    `columns=True`: `columns` is an `AlignedColumns`, the aligned points worked out as they are read
    (the same numbers), and `aligned` is empty: the (T, N, 3) array is not made.
    """
    points = np.asarray(points)
    if points.ndim != 3 or points.shape[-1] != 3 or points.shape[1] <= int(anchors.max()):
        raise ValueError(f"expected landmarks of shape (T, {int(anchors.max()) + 1}+, 3), got {points.shape}")
    n_frames, n_points, _ = points.shape
    # Only the anchors need double precision for the fit, a block of frames at a time; the whole
    # face is not copied.
    anchor_pts = np.take(points, anchors, axis=1)  # faster than points[:, anchors]
    if anchor_pts.dtype not in (np.float32, np.float64):
        anchor_pts = anchor_pts.astype(np.float64)
    face = np.isfinite(anchor_pts.reshape(n_frames, -1).sum(axis=1, dtype=np.float64))
    if not face.any():
        nan_t = np.full(n_frames, np.nan)
        return Alignment(
            aligned=np.full(points.shape, np.nan, dtype=np.float32),
            reference=np.full((n_points, 3), np.nan),
            scale=nan_t, rotation=np.full((n_frames, 3, 3), np.nan), translation=np.full((n_frames, 3), np.nan),
            yaw_deg=nan_t.copy(), pitch_deg=nan_t.copy(), roll_deg=nan_t.copy(), residual_px=nan_t.copy(),
        )
    if reference is not None:
        reference = np.asarray(reference, dtype=np.float64)
        if reference.shape != (n_points, 3):
            raise ValueError(f"expected a reference of shape ({n_points}, 3), got {reference.shape}")
    else:
        reference = _median_reference(points, anchor_pts, face)
    s, r, t, centre = _similarity_transforms(anchor_pts, reference[anchors])
    if hold is not None and np.any(hold):
        hold = np.asarray(hold, dtype=bool)
        # The head's position is bridged as where the anchors' centre was, not as the transform's
        # translation, which is about the image's corner: there a small error in the bridged
        # rotation moves the face by that error times its distance from the corner (camera motion on
        # a real face: 2-3 mm at the mouth). `centre` is the anchors' mean.
        with np.errstate(invalid="ignore", divide="ignore"):
            bridged = bridge(np.column_stack([np.log(s), centre, r.reshape(-1, 9)]), hold, max_frames=max_bridge_frames,
                             held=held)
        s_b = np.exp(bridged[:, 0])
        r_b = r.copy()
        r_b[hold] = nearest_rotation(bridged[hold, 4:].reshape(-1, 3, 3))
        target_centre = reference[anchors].mean(axis=0)
        t_b = target_centre - s_b[:, None] * np.matmul(r_b, bridged[:, 1:4, None])[:, :, 0]
        t_b[~hold] = t[~hold]
        if max_bridge_misfit is not None:
            target = reference[anchors]
            spread = float(np.sqrt(((target - target.mean(axis=0)) ** 2).sum(axis=1).mean()))
            # Only the held frames are ever bridged, so only they are checked.
            excess = np.zeros(n_frames, dtype=bool)
            held = anchor_pts[hold].astype(np.float64)
            excess[hold] = (_anchor_misfit(held, s_b[hold], r_b[hold], t_b[hold], target)
                            - _anchor_misfit(held, s[hold], r[hold], t[hold], target)) > max_bridge_misfit * spread
            starts, ends = runs(hold)
            for start, end in zip(starts, ends):  # per blink, not per frame
                if excess[start:end + 1].any():
                    s_b[start:end + 1], t_b[start:end + 1], r_b[start:end + 1] = (
                        s[start:end + 1], t[start:end + 1], r[start:end + 1])
        s, t, r = s_b, t_b, r_b
    # float32 is ample for pixels (1e-4 px) and halves the memory traffic of the largest step.
    # Frame-minor: what is read from the aligned face is a point's coordinate over time
    # (aligned[:, i, c]), then one contiguous row instead of a value every N * 3 floats.
    points32, s32, r32, t32 = (x.astype(np.float32, copy=False) for x in (points, s, r, t))
    read_by_columns = None
    if columns:
        # The anchors moved alone give the same misfit as the whole face moved.
        _, residual = _apply_similarity(np.take(points32, anchors, axis=1), s32, r32, t32,
                                        np.arange(anchors.size), reference[anchors])
        aligned = np.empty((0, n_points, 3), dtype=np.float32)
        read_by_columns = AlignedColumns(points32, s32, r32, t32)
    else:
        aligned, residual = _apply_similarity(points32, s32, r32, t32, anchors, reference[anchors], frame_minor=True)
    yaw, pitch, roll = euler_from_rotation(r)
    return Alignment(
        aligned=aligned,
        reference=reference,
        scale=s,
        rotation=r,
        translation=t,
        yaw_deg=yaw,
        pitch_deg=pitch,
        roll_deg=roll,
        residual_px=residual,
        columns=read_by_columns,
    )
