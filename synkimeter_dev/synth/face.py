"""The synthetic face: scikit-image's astronaut photo, framed like a webcam and animated by warps.

Everything here works in *output-frame* pixels (640x480). The photo is never resampled twice: each
frame is one backward map (output pixel -> photo pixel) built from

    output --(inverse head similarity)--> face frame --(inverse mouth-corner pull)-->
    --(inverse eyelid closure)--> rest frame --(framing)--> photo

and applied with a single ``cv2.remap``. The rest frame's face-mesh landmarks are measured once and
kept in ``_rest_landmarks.py`` (so the geometry, the scale and the truth files do not depend on the
machine's MediaPipe build); ``measure_rest_landmarks`` remeasures them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from synkimeter.core import anatomy

WIDTH = 640
HEIGHT = 480
FPS = 30.0

# Framing: photo pixel (x, y) = output (X, Y) / PHOTO_SCALE + offset, with the photo point
# FACE_CENTRE_PHOTO at the frame centre. 2.7x makes the iris ~22-23 px across, like a laptop
# webcam at arm's length.
PHOTO_SCALE = 2.7
FACE_CENTRE_PHOTO = (224.0, 112.0)

IRIS_DIAMETER_MM = 11.7
SENSOR_NOISE_SIGMA = 2.0  # grey levels (0-255)

# A fully closed upper lid ends this far past the lower lid margin (covers the lower lashes).
CLOSE_OVERLAP_PX = 1.5

# Direction of the synkinetic commissure pull: up and away from the midline, 45 degrees.
COUPLING_ANGLE_DEG = 45.0
# The pulled skin region: Gaussian of sigma = this x lip height (0 to 17), cut to zero smoothly at
# CORNER_CUTOFF_SIGMAS sigma.
CORNER_SIGMA_LIP_HEIGHTS = 0.6
CORNER_CUTOFF_SIGMAS = 3.5


def load_photo_bgr() -> np.ndarray:
    """The public-domain astronaut portrait (NASA), 512x512, as BGR uint8."""
    try:
        import skimage.data  # optional extra: synkimeter[samples]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the sample generator needs scikit-image: pip install 'synkimeter[samples]'"
        ) from exc
    return np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])


def frame_to_photo(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ox = FACE_CENTRE_PHOTO[0] - (WIDTH / 2) / PHOTO_SCALE
    oy = FACE_CENTRE_PHOTO[1] - (HEIGHT / 2) / PHOTO_SCALE
    return x / PHOTO_SCALE + ox, y / PHOTO_SCALE + oy


def render_rest(photo_bgr: np.ndarray) -> np.ndarray:
    """The still frame (no noise, no motion)."""
    return FaceModel(photo_bgr, np.zeros((anatomy.N_LANDMARKS, 2)), _geometry=False).render()


def measure_rest_landmarks(photo_bgr: np.ndarray | None = None, repeats: int = 5) -> np.ndarray:
    """Run MediaPipe face mesh on the rest frame (a few noise draws) and return (478, 2) pixels.

    The median over the draws is taken so the stored geometry is not one noise sample's.
    """
    import mediapipe as mp

    photo = load_photo_bgr() if photo_bgr is None else photo_bgr
    rest = render_rest(photo)
    rng = np.random.default_rng(0)
    points = []
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, refine_landmarks=True, max_num_faces=1
    ) as mesh:
        for k in range(repeats):
            noisy = rest.astype(np.float32)
            if k:
                noisy += rng.normal(0.0, SENSOR_NOISE_SIGMA, rest.shape).astype(np.float32)
            rgb = cv2.cvtColor(np.clip(noisy, 0, 255).astype(np.uint8), cv2.COLOR_BGR2RGB)
            result = mesh.process(rgb)
            if not result.multi_face_landmarks:
                raise RuntimeError("MediaPipe found no face in the rest frame")
            lm = result.multi_face_landmarks[0].landmark
            points.append([(p.x * WIDTH, p.y * HEIGHT) for p in lm])
    return np.median(np.asarray(points), axis=0)


def rest_landmarks() -> np.ndarray:
    """The stored (478, 2) face-mesh landmarks of the rest frame, output pixels."""
    from synkimeter_dev.synth._rest_landmarks import LANDMARKS

    return np.asarray(LANDMARKS, dtype=np.float64)


def iris_diameters_px(points: np.ndarray) -> dict[str, float]:
    return {
        side: float(np.linalg.norm(points[a] - points[b]))
        for side, (a, b) in anatomy.IRIS_HORIZONTAL.items()
    }


def mm_per_px_from(points: np.ndarray) -> float:
    return IRIS_DIAMETER_MM / float(np.median(list(iris_diameters_px(points).values())))


@dataclass(frozen=True)
class _Eye:
    """One eye in its own axes: u along lateral->medial canthus, v perpendicular, pointing down."""

    origin: np.ndarray  # lateral canthus, frame pixels
    e_u: np.ndarray
    e_v: np.ndarray
    u_grid: np.ndarray  # fine grid over which the lid curves are tabulated
    v_upper: np.ndarray
    close_gap: np.ndarray  # how far the upper margin travels to close, >= 0, zero at the canthi
    skin_h: float  # height of upper-lid skin above the margin that stretches down over the eye
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 where the warp can act (frame px)

    @classmethod
    def from_landmarks(cls, points: np.ndarray, side: str) -> "_Eye":
        from scipy.interpolate import PchipInterpolator

        lat = points[anatomy.LATERAL_CANTHUS[side]]
        med = points[anatomy.MEDIAL_CANTHUS[side]]
        width = float(np.linalg.norm(med - lat))
        e_u = (med - lat) / width
        e_v = np.array([-e_u[1], e_u[0]])
        if e_v[1] < 0:
            e_v = -e_v

        def curve(indices: tuple[int, ...]) -> PchipInterpolator:
            pts = points[list(indices)] - lat
            u = np.concatenate([[0.0], pts @ e_u, [width]])
            v = np.concatenate([[0.0], pts @ e_v, [0.0]])
            order = np.argsort(u)
            u, v = u[order], v[order]
            keep = np.concatenate([[True], np.diff(u) > 0.3])
            return PchipInterpolator(u[keep], v[keep])

        upper = curve(anatomy.UPPER_LID[side])
        lower = curve(anatomy.LOWER_LID[side])
        u_grid = np.linspace(0.0, width, int(width * 4) + 1)
        v_up = upper(u_grid)
        gap = np.maximum(lower(u_grid) - v_up, 0.0)
        # Taper the gap to zero over the last few pixels at each canthus so the field has no kink
        # that the eye would show as a tear at the corner.
        taper = np.clip(np.minimum(u_grid, width - u_grid) / (0.12 * width), 0.0, 1.0)
        gap = gap * (taper * taper * (3 - 2 * taper))
        # A closed lid ends a little past the lower margin, over the lower lashes.
        close_gap = gap + CLOSE_OVERLAP_PX * (gap > 0) * np.clip(gap / 4.0, 0.0, 1.0)
        # Lid skin that slides down: up to about the brow's lower edge, not the brow itself.
        skin_h = 1.2 * float(gap.max()) + 2.0
        v_lo = float(v_up.min()) - skin_h - 2.0
        v_hi = float((v_up + close_gap).max()) + 2.0
        corners = np.array(
            [lat + a * e_v - 2 * e_u for a in (v_lo, v_hi)]
            + [med + a * e_v + 2 * e_u for a in (v_lo, v_hi)]
        )
        box = (*corners.min(0), *corners.max(0))
        return cls(lat, e_u, e_v, u_grid, v_up, close_gap, skin_h, tuple(float(b) for b in box))

    def unwarp(self, fx: np.ndarray, fy: np.ndarray, closure: float) -> None:
        """Backward map in place: where a closed-by-`closure` lid's pixels come from at rest.

        The upper lid margin descends by closure * close_gap. The lid skin from `skin_h` above the
        margin down to the margin slides down with it: the margin (lash line) moves rigidly, the top
        not at all, the skin between stretches like an unfolding crease (forward:
        v = v0 + closure * close_gap * smoothstep(x), x = (v0 - top) / skin_h). The brow stays put
        and the field has no kink. Below the new margin the eye shows unchanged.
        """
        dx = fx - self.origin[0]
        dy = fy - self.origin[1]
        u = dx * self.e_u[0] + dy * self.e_u[1]
        v = dx * self.e_v[0] + dy * self.e_v[1]
        drop = closure * np.interp(u, self.u_grid, self.close_gap, left=0.0, right=0.0)
        top = np.interp(u, self.u_grid, self.v_upper) - self.skin_h
        depth = v - top
        inside = (depth > 0) & (depth < self.skin_h + drop) & (drop > 0)
        h = self.skin_h
        # Solve depth = h*x + drop*(3x^2 - 2x^3) for x in [0, 1] (monotone: Newton converges).
        x = np.clip(depth / (h + drop), 0.0, 1.0)
        for _ in range(6):
            f = h * x + drop * x * x * (3.0 - 2.0 * x) - depth
            x = np.clip(x - f / (h + 6.0 * drop * x * (1.0 - x)), 0.0, 1.0)
        v_src = np.where(inside, top + h * x, v)
        shift = v_src - v
        fx += shift * self.e_v[0]
        fy += shift * self.e_v[1]


@dataclass(frozen=True)
class _Corner:
    point: np.ndarray  # commissure at rest, frame px
    direction: np.ndarray  # unit vector, up and away from the midline
    sigma: float  # Gaussian radius of the pulled skin region, px

    def unwarp(self, fx: np.ndarray, fy: np.ndarray, shift_px: float) -> None:
        """Invert p' = p + shift * w(p) * d (fixed-point iteration).

        w is a Gaussian around the corner times a smooth cutoff (1 - r^2/R^2)^2 that reaches exactly
        zero at R = CORNER_CUTOFF_SIGMAS sigma, so the other mouth corner is untouched.
        """
        sx, sy = fx.copy(), fy.copy()
        k = -0.5 / self.sigma**2
        r2max = (CORNER_CUTOFF_SIGMAS * self.sigma) ** 2
        for _ in range(6):
            r2 = (sx - self.point[0]) ** 2 + (sy - self.point[1]) ** 2
            cut = np.square(np.clip(1.0 - r2 / r2max, 0.0, 1.0))
            w = shift_px * np.exp(k * r2) * cut
            sx = fx - w * self.direction[0]
            sy = fy - w * self.direction[1]
        fx[...] = sx
        fy[...] = sy

    def box(self, shift_px: float) -> tuple[float, float, float, float]:
        r = CORNER_CUTOFF_SIGMAS * self.sigma + abs(shift_px) + 1.0
        return (self.point[0] - r, self.point[1] - r, self.point[0] + r, self.point[1] + r)


@dataclass(frozen=True)
class HeadPose:
    """Rigid similarity about `centre`: rotate by roll_deg (image plane), scale, then translate."""

    roll_deg: float = 0.0
    scale: float = 1.0
    tx: float = 0.0
    ty: float = 0.0


class FaceModel:
    def __init__(self, photo_bgr: np.ndarray, points: np.ndarray, *, _geometry: bool = True):
        self.photo = photo_bgr
        self.points = np.asarray(points, dtype=np.float64)
        gy, gx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        self._gx, self._gy = gx, gy
        if not _geometry:
            return
        self.eyes = {side: _Eye.from_landmarks(self.points, side) for side in anatomy.SIDES}
        lip_height = float(np.linalg.norm(self.points[0] - self.points[17]))
        mid_x = float(np.mean(self.points[[168, 4, 0, 17], 0]))
        a = np.deg2rad(COUPLING_ANGLE_DEG)
        self.corners = {}
        for side in anatomy.SIDES:
            p = self.points[anatomy.COMMISSURE[side]]
            outward = np.sign(p[0] - mid_x)
            self.corners[side] = _Corner(
                p, np.array([outward * np.cos(a), -np.sin(a)]), sigma=CORNER_SIGMA_LIP_HEIGHTS * lip_height
            )
        self.centre = self.points[4].copy()  # head motion pivots about the nose tip
        self.mm_per_px = mm_per_px_from(self.points)

    # ------------------------------------------------------------------------------------------
    def _apply_in_box(self, fx, fy, box, fn) -> None:
        x0, y0, x1, y1 = box
        mask = (fx >= x0) & (fx <= x1) & (fy >= y0) & (fy <= y1)
        if not mask.any():
            return
        sx, sy = fx[mask].astype(np.float64), fy[mask].astype(np.float64)
        fn(sx, sy)
        fx[mask] = sx
        fy[mask] = sy

    def maps(
        self,
        closure: dict[str, float] | None = None,
        corner_shift_px: dict[str, float] | None = None,
        head: HeadPose | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backward map output pixel -> photo pixel for one frame."""
        if head is not None and (head.roll_deg or head.tx or head.ty or head.scale != 1.0):
            th = np.deg2rad(head.roll_deg)
            c, s = np.cos(th), np.sin(th)
            dx = (self._gx - self.centre[0] - head.tx) / head.scale
            dy = (self._gy - self.centre[1] - head.ty) / head.scale
            fx = (c * dx + s * dy + self.centre[0]).astype(np.float32)
            fy = (-s * dx + c * dy + self.centre[1]).astype(np.float32)
        else:
            fx, fy = self._gx.copy(), self._gy.copy()
        for side, shift in (corner_shift_px or {}).items():
            if shift:
                corner = self.corners[side]
                self._apply_in_box(
                    fx, fy, corner.box(shift), lambda x, y, c=corner, s=shift: c.unwarp(x, y, s)
                )
        for side, cl in (closure or {}).items():
            if cl > 0:
                eye = self.eyes[side]
                self._apply_in_box(fx, fy, eye.box, lambda x, y, e=eye, c=cl: e.unwarp(x, y, c))
        px, py = frame_to_photo(fx, fy)
        return px.astype(np.float32), py.astype(np.float32)

    def render(self, **kwargs) -> np.ndarray:
        """One noise-free BGR frame."""
        mx, my = self.maps(**kwargs)
        return cv2.remap(
            self.photo, mx, my, interpolation=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101
        )
