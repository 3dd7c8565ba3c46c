"""Mouth corners and head anchors followed by optical flow, held to the face mesh only slowly.

Why: the face mesh fits a whole-face model to each frame. A pull on one mouth corner is partly
explained away by the model (on the sample clips 2 mm read 1.34 mm and 3 mm read 2.47 mm), partly
spread to the other corner (a quarter of it), and the mesh's corners move ~0.2 mm on every blink of
a face whose mouth is still. Synkinesis is exactly a small one-sided movement during a blink, so
those are the errors that matter most. The head anchors (nose, forehead, upper contour) jitter from
frame to frame in the mesh, and that jitter enters the head-motion removal and so the mouth.

The image itself shows where a point went: pyramidal Lucas-Kanade follows a textured patch to a
fraction of a pixel from one frame to the next. Flow alone drifts over minutes and can slide along
the lips while someone talks, so each tracked point is pulled towards the mesh's with a first-order
time constant (`optical_flow_tau_s`, 2 s): motion faster than that (a blink's 0.1-0.5 s) comes from
the image, the long-term position from the mesh. A flow step that fails its forward-backward check
moves with the mesh's own step for that frame, so nothing jumps. Each point is kept on a short leash
around the mesh's (`optical_flow_leash_mouth`); a gap in time restarts the flow at the mesh. For the
first half second after a face is found the points are the mesh's own (`optical_flow_settle_s`): the
mesh settles onto a new face over a few frames, and flow started before that would keep its error.

On a small face (a mouth under ~75 px, where the window's least side, 9 px, is wider than 12 % of
the mouth) that window also takes in lip and skin that a pull on the corner alone moves less, and
reads such a pull 80 % on clean frames. There the two corners are refined each frame with a 5 px
window, from the wide window's step (`optical_flow_fine_window_px`). A small window wanders more, so
its difference from the wide window is let go with a time constant of 0.2 s: a blink's quick pull
keeps the small window's reading, the place between blinks is the wide window's. Where the corner
holds too little detail for 5 px (a dark picture) the refinement is refused by its least
eigenvalue and the corner keeps the wide window's step.

Only x and y are followed (the image has no depth); z stays the mesh's.
"""

from __future__ import annotations

import math

import numpy as np

from ..capture._cv import cv2
from ..core.anatomy import COMMISSURE, HEAD_ANCHORS
from ..core.params import DEFAULT_MEASUREMENT, MeasurementParams
from .params import DEFAULT_EXTRACTION, ExtractionParams

# The subject's right and left commissures first, then the head anchors of the alignment.
FLOW_INDICES = np.array([COMMISSURE["right"], COMMISSURE["left"], *HEAD_ANCHORS], dtype=np.intp)

_PYRAMID_LEVELS = 3
_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)


def flow_indices(params: ExtractionParams = DEFAULT_EXTRACTION) -> list[int]:
    """The landmarks whose x, y come from optical flow when extracted with these params."""
    return [int(i) for i in FLOW_INDICES] if params.optical_flow else []


def window_px(mouth_width_px: float, params: ExtractionParams = DEFAULT_EXTRACTION) -> int:
    """The odd tracking-window side for a mouth this wide (`optical_flow_window_min_px`-41 px)."""
    side = mouth_width_px * params.optical_flow_window_mouth if math.isfinite(mouth_width_px) else 0.0
    side = int(min(41, max(params.optical_flow_window_min_px, round(side))))
    return side if side % 2 else side + 1


def _grey(picture: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """The region [y0:y1, x0:x1] of an 8-bit grey or RGB picture, in grey (pixel by pixel what
    converting the whole picture gives)."""
    part = picture[y0:y1, x0:x1]
    return part if part.ndim == 2 else cv2.cvtColor(part, cv2.COLOR_RGB2GRAY)


def _cut(grey: tuple[np.ndarray, int, int] | None, x0: int, y0: int, x1: int, y1: int) -> np.ndarray | None:
    """[y0:y1, x0:x1] of a kept grey region, or None when the region does not hold it all."""
    if grey is None:
        return None
    image, left, top = grey
    if x0 < left or y0 < top or x1 > left + image.shape[1] or y1 > top + image.shape[0]:
        return None
    return image[y0 - top:y1 - top, x0 - left:x1 - left]


class LandmarkFlow:
    """Stateful follower of some points of one face, fed frames in order.

        flow = LandmarkFlow(params)
        xy = flow.update(picture, mesh_xy, timestamp_s, mouth_width_px)   # (K, 2), as mesh_xy
    """

    def __init__(self, params: ExtractionParams = DEFAULT_EXTRACTION) -> None:
        self.params = params
        # The settling time is the measurement's (it also leaves out blinks that soon after a face
        # is found); settings for every job carry it, bare extraction settings take its default.
        self.settle_s = (params.optical_flow_settle_s if isinstance(params, MeasurementParams)
                         else DEFAULT_MEASUREMENT.optical_flow_settle_s)
        self.reset()

    def reset(self) -> None:
        self._picture: np.ndarray | None = None
        self._grey: tuple[np.ndarray, int, int] | None = None  # a grey region of it, its top-left x, y
        self._time_s: float | None = None
        self._mesh_xy: np.ndarray | None = None
        self._xy: np.ndarray | None = None
        self._fine_xy: np.ndarray | None = None  # the corners as the small window follows them
        self._found_s: float | None = None  # when the face was found (the track began)

    def update(self, picture: np.ndarray, mesh_xy: np.ndarray, timestamp_s: float, mouth_width_px: float) -> np.ndarray:
        """The points' (x, y) pixels in this frame: (K, 2) float32, in the order of `mesh_xy`.

        `picture` is this frame, 8-bit grey or RGB, kept (not copied) until the next frame: give a
        fresh array each frame; `mesh_xy` the mesh's points here (NaN: no face, which ends the track
        and comes back as NaN); `mouth_width_px` sets the window and the leash."""
        mesh_xy = np.asarray(mesh_xy, np.float32).reshape(-1, 2)
        if not np.isfinite(mesh_xy).all():
            self.reset()
            return mesh_xy.copy()
        previous = self._picture, self._grey, self._time_s, self._mesh_xy, self._xy
        self._picture, self._grey, self._time_s, self._mesh_xy = picture, None, float(timestamp_s), mesh_xy
        prev_picture, prev_grey, prev_time_s, prev_mesh_xy, prev_xy = previous
        dt_s = float(timestamp_s) - prev_time_s if prev_time_s is not None else math.nan
        restart = (prev_picture is None or prev_xy is None or prev_mesh_xy is None
                   or prev_picture.shape != picture.shape
                   or prev_xy.shape != mesh_xy.shape or not math.isfinite(mouth_width_px)
                   or not 0.0 < dt_s <= self.params.optical_flow_max_gap_s)
        if restart:
            self._found_s = float(timestamp_s)
        if restart or self._found_s is None or float(timestamp_s) - self._found_s < self.settle_s:
            self._xy, self._fine_xy = mesh_xy.copy(), None
            return self._xy.copy()
        assert prev_picture is not None and prev_xy is not None and prev_mesh_xy is not None  # not a restart

        factor = max(1, round(mouth_width_px / self.params.optical_flow_mouth_px))
        side = window_px(mouth_width_px / factor, self.params)
        # Only the face and a margin are given to the flow (each call builds image pyramids of what
        # it is given, and that is most of its cost). The margin, 3 windows, is beyond a point's
        # step between two webcam frames; a point that leaves it fails its check, harmlessly.
        margin = 3 * side * factor
        both = np.concatenate([prev_xy, mesh_xy])
        height, width = picture.shape[:2]
        x0, y0 = (max(0, int(v) - margin) for v in np.floor(both.min(axis=0)))
        x1, y1 = (min(limit, int(v) + margin + 1) for v, limit in zip(np.ceil(both.max(axis=0)), (width, height)))
        x1, y1 = x0 + (x1 - x0) // factor * factor, y0 + (y1 - y0) // factor * factor
        if min(x1 - x0, y1 - y0) < 2 * side * factor or picture.dtype != np.uint8:
            # The face has (nearly) left the picture, or the picture is not 8-bit: the mesh alone.
            self._xy, self._fine_xy = mesh_xy.copy(), None
            return self._xy.copy()
        # Grey only where it is followed: this frame's region with room for the next frame's step
        # (kept, so the next frame does not convert this one again), the previous frame's from
        # what it kept, or converted afresh when the face moved beyond that room.
        room = side * factor
        region = (max(0, x0 - room), max(0, y0 - room), min(width, x1 + room), min(height, y1 + room))
        grey = _grey(picture, *region)
        self._grey = (grey, region[0], region[1])
        now = grey[y0 - region[1]:y1 - region[1], x0 - region[0]:x1 - region[0]]
        before = _cut(prev_grey, x0, y0, x1, y1)
        if before is None:
            before = _grey(prev_picture, x0, y0, x1, y1)
        if factor > 1:
            size = ((x1 - x0) // factor, (y1 - y0) // factor)
            before = cv2.resize(before, size, interpolation=cv2.INTER_AREA)
            now = cv2.resize(now, size, interpolation=cv2.INTER_AREA)
        # Pixel centres: full-size x maps to (x - x0 + 0.5) / factor - 0.5 in the shrunk crop.
        shift = np.array([x0 + 0.5 * (factor - 1), y0 + 0.5 * (factor - 1)], dtype=np.float32)
        start = ((prev_xy - shift) / factor).reshape(-1, 1, 2)
        # OpenCV's stubs do not take None for nextPts, which its API documents ("no initial guess").
        ahead, ok_ahead, _ = cv2.calcOpticalFlowPyrLK(before, now, start, None,  # type: ignore[call-overload]
                                                      winSize=(side, side), maxLevel=_PYRAMID_LEVELS,
                                                      criteria=_CRITERIA)
        back, ok_back, _ = cv2.calcOpticalFlowPyrLK(now, before, ahead, None,  # type: ignore[call-overload]
                                                    winSize=(side, side), maxLevel=_PYRAMID_LEVELS,
                                                    criteria=_CRITERIA)
        round_trip = np.linalg.norm(back.reshape(-1, 2) - start.reshape(-1, 2), axis=1)
        ahead = ahead.reshape(-1, 2) * factor + shift
        trusted = ((ok_ahead.ravel() == 1) & (ok_back.ravel() == 1)
                   & (round_trip <= self.params.optical_flow_max_fb_px) & np.isfinite(ahead).all(axis=1))
        moved = np.where(trusted[:, None], ahead, prev_xy + (mesh_xy - prev_mesh_xy))
        pull = 1.0 - math.exp(-dt_s / self.params.optical_flow_tau_s)
        offset = (1.0 - pull) * (moved - mesh_xy)
        # Clamped rather than restarted, so a point that slid (along parting lips, say) returns
        # without a jump.
        offset_px = np.linalg.norm(offset, axis=1, keepdims=True)
        leash_px = self.params.optical_flow_leash_mouth * mouth_width_px
        offset *= np.minimum(1.0, leash_px / np.maximum(offset_px, 1e-6))
        self._xy = (mesh_xy + offset).astype(np.float32)
        # A small face: the window at its least side is wider than its share of the mouth.
        small = mouth_width_px / factor * self.params.optical_flow_window_mouth < self.params.optical_flow_window_min_px
        if not (small and 0 < self.params.optical_flow_fine_window_px < side):
            self._fine_xy = None
            return self._xy.copy()
        out = self._xy.copy()
        out[:2] = self._refine_corners(before, now, shift, factor, start[:2], ahead[:2], trusted[:2],
                                       prev_xy[:2], self._xy[:2], (mesh_xy - prev_mesh_xy)[:2], dt_s, leash_px)
        return out

    def _refine_corners(self, before: np.ndarray, now: np.ndarray, shift: np.ndarray, factor: int,
                        start: np.ndarray, ahead: np.ndarray, trusted: np.ndarray, prev_xy: np.ndarray,
                        wide_xy: np.ndarray, mesh_step: np.ndarray, dt_s: float, leash_px: float) -> np.ndarray:
        """The two corners followed again with the small window (a small face): started where it
        left them and guided by the wide window's step (`ahead`, `trusted`, from `start` in the
        followed image; it took them from `prev_xy` to `wide_xy`); where it fails its check, or the
        corner holds too little detail for it (its least eigenvalue), the wide window's step. Its
        difference from the wide window's corners fades with `optical_flow_fine_tau_s`."""
        side, eigen = self.params.optical_flow_fine_window_px, self.params.optical_flow_fine_min_eigen
        prev_fine = self._fine_xy if self._fine_xy is not None else prev_xy
        fine_start = ((prev_fine - shift) / factor).reshape(-1, 1, 2)
        wide_step = np.where(trusted[:, None], (ahead - shift) / factor - start.reshape(-1, 2), mesh_step / factor)
        guess = (fine_start + wide_step.reshape(-1, 1, 2)).astype(np.float32)
        options = dict(winSize=(side, side), maxLevel=1, criteria=_CRITERIA, flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
                       minEigThreshold=eigen)
        fine_ahead, ok_ahead, _ = cv2.calcOpticalFlowPyrLK(before, now, fine_start, guess, **options)  # type: ignore[call-overload]
        back, ok_back, _ = cv2.calcOpticalFlowPyrLK(now, before, fine_ahead, fine_start.copy(), **options)  # type: ignore[call-overload]
        round_trip = np.linalg.norm((back - fine_start).reshape(-1, 2), axis=1)
        fine_ahead = fine_ahead.reshape(-1, 2) * factor + shift
        ok = ((ok_ahead.ravel() == 1) & (ok_back.ravel() == 1) & np.isfinite(fine_ahead).all(axis=1)
              & (round_trip <= self.params.optical_flow_max_fb_px))
        fine = np.where(ok[:, None], fine_ahead, prev_fine + (wide_xy - prev_xy))
        refined = math.exp(-dt_s / self.params.optical_flow_fine_tau_s) * (fine - wide_xy)
        # On the wide window's leash, as the wide window is on the mesh's: when the mesh moves to
        # another face the small window, left on the old one, comes with it.
        size = np.linalg.norm(refined, axis=1, keepdims=True)
        refined *= np.minimum(1.0, leash_px / np.maximum(size, 1e-6))
        self._fine_xy = (wide_xy + refined).astype(np.float32)
        return self._fine_xy


__all__ = ["FLOW_INDICES", "LandmarkFlow", "flow_indices", "window_px"]
