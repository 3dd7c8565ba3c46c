"""How much of an imposed pull the tracked mouth corner carries, before any measurement, on the
uncompressed frames and on the same frames through the MPEG-4 encode (docs/validation.md, "A narrow
pull on the small face").

    python -m synkimeter_dev.synth.corner_probe ../shared/realclips [--face woman] [--fps 30]
        [--mm 2] [--field narrow] [--cycles 2]

For a control and a coupled copy of one face (synth/faces.py's stretches, synth/realface.py's warp),
each written uncompressed and as MPEG-4, it prints the slope (least squares, over the frames where
the imposed pull is over half its peak) of the right corner's control-to-coupled displacement on the
imposed pull, for: the face mesh alone, the mesh with the optical flow (what the tool extracts), and
pyramidal Lucas-Kanade straight from each control frame to its coupled frame at the tracked corner
with a 5, 9 and 15 px window; then, for the MPEG-4 frames, which fraction of the pull the decoded
frame holds around the corner: the fraction k (0-1.3) whose uncompressed warp matches the decoded
frame best (least squares) in a square of 7, 11 and 21 px centred on the corner, median over frames.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np

from synkimeter.core.anatomy import COMMISSURE
from synkimeter.landmarks.facemesh import FaceMeshExtractor
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.synth import realface
from synkimeter_dev.synth.faces import FACES

WINDOWS_PX = (5, 9, 15)
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


def frames(prepared: realface.Prepared, spec: realface.RealCouplingSpec, encoded: bool) -> tuple[list, dict]:
    """The clip's frames, as made (uncompressed) or as decoded from its MPEG-4 file, and its truth."""
    if encoded:
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
    args = ap.parse_args(argv)
    face = FACES[args.face]
    prepared = realface.prepare(args.realclips / face.source, *face.stretch_s)

    def spec(mm: float) -> realface.RealCouplingSpec:
        return realface.RealCouplingSpec(mm, "right", args.field, *face.stretch_s, args.cycles, fps=args.fps)

    order = realface.resampled(realface.spaced_order(prepared.drive, prepared.fps, args.cycles, spec(0).min_gap_s),
                               prepared.fps, args.fps)
    centre = realface._smooth_time(prepared.points[:, COMMISSURE["right"], :2].astype(np.float64))[order]
    for encoded in (False, True):
        control, _ = frames(prepared, spec(0.0), encoded)
        coupled, truth = frames(prepared, spec(args.mm), encoded)
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
        if encoded:
            partial = {k: frames(prepared, spec(args.mm * k), False)[0] for k in FIT_FRACTIONS}
            for half in FIT_HALF_PX:
                best = []
                for i in np.flatnonzero(used):
                    target = _patch(coupled[i], centre[i], half)
                    errors = [np.mean((_patch(partial[k][i], centre[i], half) - target) ** 2) for k in FIT_FRACTIONS]
                    best.append(FIT_FRACTIONS[int(np.argmin(errors))])
                row[f"held in {2 * half + 1} px"] = float(np.median(best))
        cells = ", ".join(f"{k} {v:.2f}" for k, v in row.items())
        print(f"{args.face} {args.mm:g} mm {args.field} at {args.fps:g} frames/s, "
              f"{'MPEG-4' if encoded else 'uncompressed'}: {cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
