"""How much of an imposed pull the tracked mouth corner carries, before any measurement, on the
uncompressed frames and on the same frames through the MPEG-4 encode (docs/validation.md, "A narrow
pull on the small face", "What a compressed small face holds").

    python -m synkimeter_dev.synth.corner_probe ../shared/realclips [--face woman] [--fps 30]
        [--mm 2] [--field narrow] [--cycles 2] [--h264-crf 23]

For a control and a coupled copy of one face (synth/faces.py's stretches, synth/realface.py's warp),
each written uncompressed and as MPEG-4 (or, with --h264-crf, as H.264), it prints the slope (least
squares, over the frames where the imposed pull is over half its peak) of the right corner's
control-to-coupled displacement on the imposed pull, for: the face mesh alone, the mesh with the
optical flow (what the tool extracts), and pyramidal Lucas-Kanade straight from each control frame to
its coupled frame at the tracked corner with a 5, 9 and 15 px window, and a deformation model (below);
then, for the encoded frames, which fraction of the pull the decoded frame holds around the corner:
the fraction k (0-1.3) whose uncompressed warp matches the decoded frame best (least squares) in a
square of 7, 11 and 21 px centred on the corner, median over frames ("held"); the same fraction with
the decoded control frame warped instead ("decoded to decoded": what a tracker, which sees only
decoded frames, could read if it knew the pull's exact shape). The deformation model is the corner's
step from each control frame to its coupled frame fitted, over a square of 0.4 mouth widths, as a
translation, a linear stretch and a Gaussian bump centred on the corner whose width (0.04-0.2 of the
mouth) is not given but chosen by the least residual (`deformation_step`: what a tracker could read
not knowing the pull's shape; a slope over frames, as the Lucas-Kanade rows).
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from synkimeter.core.anatomy import COMMISSURE
from synkimeter.landmarks.facemesh import FaceMeshExtractor
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.synth import realface
from synkimeter_dev.synth.faces import FACES

WINDOWS_PX = (5, 9, 15)
# The deformation model's bump widths (fractions of the mouth's width, a geometric series) and its
# square's half side (a fraction of the mouth).
BUMP_WIDTHS_MOUTH = (0.04, 0.06, 0.09, 0.135, 0.2)
MODEL_HALF_MOUTH = 0.2
FIT_HALF_PX = (3, 5, 10)
FIT_FRACTIONS = np.round(np.arange(0.0, 1.31, 0.05), 2)
_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)


class _Frames:
    """A writer that keeps the frames it is given (the uncompressed clip)."""

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def write(self, frame: np.ndarray) -> None:
        self.frames.append(frame.copy())

    def release(self) -> None:
        pass


def frames(prepared: realface.Prepared, spec: realface.RealCouplingSpec, encoded: bool,
           h264_crf: int = 0) -> tuple[list, dict]:
    """The clip's frames, as made (uncompressed) or as decoded from its MPEG-4 (or H.264 at that rate
    factor) file, and its truth."""
    if encoded:
        spec = replace(spec, h264_crf=h264_crf)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "clip.mp4"
            truth = realface.write_coupled(prepared, path, spec)
            out, _, _ = realface.read_stretch(path, 0.0, None)
        return out, truth
    kept = _Frames()
    writer = realface.open_writer
    realface.open_writer = lambda path, fps, size: (kept, "kept")  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as folder:
            truth = realface.write_coupled(prepared, Path(folder) / "clip.mp4", spec)
    finally:
        realface.open_writer = writer
    return kept.frames, truth


def corners(clip: list[np.ndarray], fps: float, flow: bool) -> np.ndarray:
    """The subject's right commissure in every frame, (T, 2) px, with or without the optical flow."""
    params = DEFAULT_SETTINGS.with_overrides(optical_flow=flow)
    with FaceMeshExtractor(params) as mesh:
        return np.stack([mesh.process(f, k / fps).points[COMMISSURE["right"], :2] for k, f in enumerate(clip)])


def lk_step(control: np.ndarray, coupled: np.ndarray, at: np.ndarray, window: int) -> np.ndarray:
    """Lucas-Kanade from a control frame to its coupled frame at `at`: the displacement, px."""
    start = at.reshape(1, 1, 2).astype(np.float32)
    grey = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in (control, coupled)]
    moved, _, _ = cv2.calcOpticalFlowPyrLK(grey[0], grey[1], start, None,  # type: ignore[call-overload]
                                           winSize=(window, window), maxLevel=3, criteria=_CRITERIA)
    return (moved - start).reshape(2)


def _patch(frame: np.ndarray, at: np.ndarray, half: int) -> np.ndarray:
    x, y = (int(v) - half for v in at)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)[y:y + 2 * half + 1, x:x + 2 * half + 1].astype(float)


def deformation_step(control: np.ndarray, coupled: np.ndarray, at: np.ndarray, mouth_px: float,
                     iterations: int = 8) -> np.ndarray:
    """The step (px) of the point `at` from the control frame to the coupled one, fitting over a square
    around it u(x) = t + A (x - at) + a exp(-|x - at|^2 / 2 s^2) by Gauss-Newton on the grey levels,
    for each width s in BUMP_WIDTHS_MOUTH; the step u(at) = t + a of the width with least residual."""
    ref, cur = (cv2.cvtColor(f, cv2.COLOR_BGR2GRAY).astype(np.float32) for f in (control, coupled))
    grad_x, grad_y = (cv2.Sobel(cur, cv2.CV_32F, dx, dy, ksize=3) / 8.0 for dx, dy in ((1, 0), (0, 1)))
    half = int(round(MODEL_HALF_MOUTH * mouth_px))
    x0, y0 = int(round(at[0])), int(round(at[1]))
    ys, xs = np.mgrid[y0 - half:y0 + half + 1, x0 - half:x0 + half + 1].astype(np.float32)
    template = ref[y0 - half:y0 + half + 1, x0 - half:x0 + half + 1].astype(np.float64)
    dx, dy = xs - at[0], ys - at[1]
    best, best_step = np.inf, np.zeros(2)
    for width in BUMP_WIDTHS_MOUTH:
        bump = np.exp(-0.5 * (dx * dx + dy * dy) / (width * mouth_px) ** 2)

        def sampled(p: np.ndarray, image: np.ndarray, bump: np.ndarray = bump) -> np.ndarray:
            map_x = xs + (p[0] + p[2] * bump + p[4] * dx + p[5] * dy).astype(np.float32)
            map_y = ys + (p[1] + p[3] * bump + p[6] * dx + p[7] * dy).astype(np.float32)
            return cv2.remap(image, map_x, map_y, cv2.INTER_CUBIC).astype(np.float64)

        p = np.zeros(8)
        for _ in range(iterations):
            g_x, g_y = sampled(p, grad_x), sampled(p, grad_y)
            jac = np.stack([g_x, g_y, g_x * bump, g_y * bump, g_x * dx, g_x * dy, g_y * dx, g_y * dy], -1)
            jac = jac.reshape(-1, 8)
            normal = jac.T @ jac
            # Weak priors: a uniform movement is the translation's, not the bump's or the stretch's.
            scale = 1e-3 * np.trace(normal[:2, :2])
            normal[2:4, 2:4] += scale * np.eye(2)
            normal[4:, 4:] += scale / half**2 * np.eye(4)
            delta = np.linalg.solve(normal, -jac.T @ (sampled(p, cur) - template).ravel())
            p += delta
            if np.abs(delta).max() < 1e-3:
                break
        residual = float(np.mean((sampled(p, cur) - template) ** 2))
        if residual < best:
            best, best_step = residual, p[:2] + p[2:4]
    return best_step


def slope(measured_mm: np.ndarray, imposed_mm: np.ndarray, used: np.ndarray) -> float:
    return float(measured_mm[used] @ imposed_mm[used] / (imposed_mm[used] @ imposed_mm[used]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synkimeter_dev.synth.corner_probe",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("realclips", type=Path)
    ap.add_argument("--face", choices=list(FACES), default="woman")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--mm", type=float, default=2.0)
    ap.add_argument("--field", choices=tuple(realface.FIELD_SIGMA_MOUTH), default="narrow")
    ap.add_argument("--cycles", type=int, default=2)
    ap.add_argument("--h264-crf", type=int, default=0, help="encode as H.264 at this x264 rate factor, not MPEG-4")
    args = ap.parse_args(argv)
    face = FACES[args.face]
    prepared = realface.prepare(args.realclips / face.source, *face.stretch_s)

    def spec(mm: float) -> realface.RealCouplingSpec:
        return realface.RealCouplingSpec(mm, "right", args.field, *face.stretch_s, args.cycles, fps=args.fps)

    order = realface.resampled(realface.spaced_order(prepared.drive, prepared.fps, args.cycles, spec(0).min_gap_s),
                               prepared.fps, args.fps)
    centre = realface._smooth_time(prepared.points[:, COMMISSURE["right"], :2].astype(np.float64))[order]
    for encoded in (False, True):
        control, _ = frames(prepared, spec(0.0), encoded, args.h264_crf)
        coupled, truth = frames(prepared, spec(args.mm), encoded, args.h264_crf)
        imposed = np.asarray(truth["imposed_mm"]["right"])
        used = imposed > 0.5 * imposed.max()
        row = {}
        for flow in (False, True):
            a, b = corners(control, args.fps, flow), corners(coupled, args.fps, flow)
            row["mesh + flow" if flow else "mesh"] = slope(np.linalg.norm(b - a, axis=1) * prepared.mm_per_px,
                                                           imposed, used)
        for window in WINDOWS_PX:
            steps = np.array([lk_step(c, d, p, window) for c, d, p in zip(control, coupled, a)])
            row[f"LK {window} px"] = slope(np.linalg.norm(steps, axis=1) * prepared.mm_per_px, imposed, used)
        mouth_px = float(np.median(np.linalg.norm(prepared.points[:, COMMISSURE["right"], :2]
                                                  - prepared.points[:, COMMISSURE["left"], :2], axis=1)))
        steps = np.array([deformation_step(c, d, p, mouth_px) for c, d, p in zip(control, coupled, a)])
        row["deformation model"] = slope(np.linalg.norm(steps, axis=1) * prepared.mm_per_px, imposed, used)
        if encoded:
            partial = {k: frames(prepared, spec(args.mm * k), False)[0] for k in FIT_FRACTIONS}
            warp = realface.warp_geometry(prepared, spec(args.mm))
            for half in FIT_HALF_PX:
                best, best_decoded = [], []
                for i in np.flatnonzero(used):
                    target = _patch(coupled[i], centre[i], half)
                    errors = [np.mean((_patch(partial[k][i], centre[i], half) - target) ** 2) for k in FIT_FRACTIONS]
                    best.append(FIT_FRACTIONS[int(np.argmin(errors))])
                    errors = [np.mean((_patch(warp.apply(control[i], order[i], k), centre[i], half) - target) ** 2)
                              for k in FIT_FRACTIONS]
                    best_decoded.append(FIT_FRACTIONS[int(np.argmin(errors))])
                row[f"held in {2 * half + 1} px"] = float(np.median(best))
                row[f"decoded to decoded, {2 * half + 1} px"] = float(np.median(best_decoded))
        cells = ", ".join(f"{k} {v:.2f}" for k, v in row.items())
        encode = f"H.264 (rate factor {args.h264_crf})" if args.h264_crf else "MPEG-4"
        print(f"{args.face} {args.mm:g} mm {args.field} at {args.fps:g} frames/s, "
              f"{encode if encoded else 'uncompressed'}: {cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
