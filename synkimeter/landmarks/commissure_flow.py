"""The two mouth corners followed by optical flow, held to the face mesh only at slow time scales.

Why: the face mesh fits a whole-face model to each frame. A pull on one mouth corner is partly
explained away by the model (on the sample clips 1 mm reads 0.5 mm and 3 mm reads 2.5 mm), partly
spread to the other corner (a quarter of it), and the mesh's corners move ~0.4 mm on every blink of
a face whose mouth is still. Synkinesis is exactly a small one-sided movement during a blink, so
those are the errors that matter most.

The image itself shows where the corner went: a mouth corner is a textured 2D corner, which
pyramidal Lucas-Kanade follows to a fraction of a pixel from one frame to the next. Flow alone
drifts over minutes and can slide along the lip while someone talks, so the tracked point is pulled
towards the mesh's corner with a first-order time constant (`commissure_flow_tau_s`, 2 s): motion
faster than that (a blink's 0.1-0.5 s) comes from the image, the long-term position from the mesh.
A flow step that fails its forward-backward check moves with the mesh's own step for that frame,
so nothing jumps. The corner is kept on a short leash around the mesh's (`commissure_flow_leash_mouth`),
and a gap in time restarts it at the mesh.
"""

from __future__ import annotations

import math

import numpy as np

from ..capture._cv import cv2
from ..core.anatomy import COMMISSURE
from ..params import DEFAULT_PARAMS, AnalysisParams

# Right then left, as the landmark indices of the subject's commissures.
CORNER_INDICES = np.array([COMMISSURE["right"], COMMISSURE["left"]])

_PYRAMID_LEVELS = 3
_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)


def commissure_tracking(params: AnalysisParams = DEFAULT_PARAMS) -> str:
    """How landmarks extracted with these params place the commissures (LandmarkSeries.commissures)."""
    return "optical flow" if params.commissure_flow else "mesh"


def window_px(mouth_width_px: float, params: AnalysisParams = DEFAULT_PARAMS) -> int:
    """The odd tracking-window side for a mouth this wide (9-41 px)."""
    side = mouth_width_px * params.commissure_flow_window_mouth if math.isfinite(mouth_width_px) else 0.0
    side = int(min(41, max(9, round(side))))
    return side if side % 2 else side + 1


class CommissureFlow:
    """Stateful follower of the two commissures of one face, fed frames in order.

        flow = CommissureFlow(params)
        corners_xy = flow.update(gray, mesh_corners_xy, timestamp_s)   # (2, 2): right, left
    """

    def __init__(self, params: AnalysisParams = DEFAULT_PARAMS) -> None:
        self.params = params
        self.reset()

    def reset(self) -> None:
        self._gray: np.ndarray | None = None
        self._time_s: float | None = None
        self._mesh_xy: np.ndarray | None = None
        self._xy: np.ndarray | None = None

    def update(self, gray: np.ndarray, mesh_xy: np.ndarray, timestamp_s: float) -> np.ndarray:
        """The corners' (x, y) pixels in this frame: (2, 2) float32, rows right and left.

        `gray` is this frame as 8-bit grey; `mesh_xy` the mesh's corners here (NaN: no face, which
        ends the track and returns NaN)."""
        mesh_xy = np.asarray(mesh_xy, np.float32).reshape(2, 2)
        if not np.isfinite(mesh_xy).all():
            self.reset()
            return mesh_xy.copy()
        previous = self._gray, self._time_s, self._mesh_xy, self._xy
        self._gray, self._time_s, self._mesh_xy = gray, float(timestamp_s), mesh_xy
        prev_gray, prev_time_s, prev_mesh_xy, prev_xy = previous
        dt_s = float(timestamp_s) - prev_time_s if prev_time_s is not None else math.nan
        if (prev_gray is None or prev_xy is None or prev_mesh_xy is None or prev_gray.shape != gray.shape
                or not 0.0 < dt_s <= self.params.commissure_flow_max_gap_s):
            self._xy = mesh_xy.copy()
            return self._xy.copy()

        mouth_width_px = float(np.linalg.norm(mesh_xy[0] - mesh_xy[1]))
        side = window_px(mouth_width_px, self.params)
        # Only the mouth's surroundings are given to the flow: building image pyramids of the whole
        # frame cost 0.9 ms a frame at 640x480 (2.3 ms at 1280x720), the crop a tenth of that.
        # The margin (4 windows, >= 36 px) is beyond any corner's step between two webcam frames.
        margin = side * (2 ** (_PYRAMID_LEVELS - 1))
        both = np.concatenate([prev_xy, mesh_xy])
        height, width = gray.shape[:2]
        x0, y0 = (max(0, int(v) - margin) for v in np.floor(both.min(axis=0)))
        x1, y1 = (min(limit, int(v) + margin + 1) for v, limit in zip(np.ceil(both.max(axis=0)), (width, height)))
        corner = np.float32([x0, y0])
        before, now = prev_gray[y0:y1, x0:x1], gray[y0:y1, x0:x1]
        start = (prev_xy - corner).reshape(-1, 1, 2)
        ahead, ok_ahead, _ = cv2.calcOpticalFlowPyrLK(before, now, start, None, winSize=(side, side),
                                                      maxLevel=_PYRAMID_LEVELS, criteria=_CRITERIA)
        back, ok_back, _ = cv2.calcOpticalFlowPyrLK(now, before, ahead, None, winSize=(side, side),
                                                    maxLevel=_PYRAMID_LEVELS, criteria=_CRITERIA)
        ahead, back = ahead.reshape(2, 2) + corner, back.reshape(2, 2) + corner
        round_trip_px = np.linalg.norm(back - prev_xy, axis=1)
        trusted = ((ok_ahead.ravel() == 1) & (ok_back.ravel() == 1)
                   & (round_trip_px <= self.params.commissure_flow_max_fb_px) & np.isfinite(ahead).all(axis=1))
        moved = np.where(trusted[:, None], ahead, prev_xy + (mesh_xy - prev_mesh_xy))
        pull = 1.0 - math.exp(-dt_s / self.params.commissure_flow_tau_s)
        offset = (1.0 - pull) * (moved - mesh_xy)
        # Clamped rather than restarted, so a corner that slid along the lips returns without a jump.
        offset_px = np.linalg.norm(offset, axis=1, keepdims=True)
        leash_px = self.params.commissure_flow_leash_mouth * mouth_width_px
        offset *= np.minimum(1.0, leash_px / np.maximum(offset_px, 1e-6))
        self._xy = (mesh_xy + offset).astype(np.float32)
        return self._xy.copy()


__all__ = ["CORNER_INDICES", "CommissureFlow", "commissure_tracking", "window_px"]
