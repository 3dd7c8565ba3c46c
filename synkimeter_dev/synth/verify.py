"""Check a generated clip against its truth with MediaPipe (independent of synkimeter.core).

    python -m synkimeter_dev.synth.verify sample_videos/*.mp4

Per blink and eye: the face-mesh openness drop at the truth apex (1 - openness / open-eye value).
Per blink and side: the commissure's peak displacement (mm) in [onset, offset + 0.1 s] relative to
its pre-blink mean (-0.3..-0.1 s), after removing head motion with a 2D similarity fit on the head
anchors, and its component along the imposed direction (up and outward). This is a deliberately
simple yardstick for the generator, not the measurement engine.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from synkimeter.core import anatomy


def track(video: Path | str, max_faces: int = 2) -> tuple[np.ndarray, float]:
    """(frames, 478, 2) landmark pixels, NaN where no face; and the clip's fps."""
    import mediapipe as mp

    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    out = []
    with mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, refine_landmarks=True, max_num_faces=max_faces
    ) as mesh:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            res = mesh.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if res.multi_face_landmarks:
                lm = res.multi_face_landmarks[0].landmark
                out.append([(p.x * w, p.y * h) for p in lm])
            else:
                out.append(np.full((anatomy.N_LANDMARKS, 2), np.nan))
    cap.release()
    return np.asarray(out, dtype=np.float64), float(fps)


def openness(points: np.ndarray) -> dict[str, np.ndarray]:
    """Per eye: mean of the three central lid gaps / canthus-to-canthus width."""
    out = {}
    for side in anatomy.SIDES:
        gaps = [
            np.linalg.norm(points[:, u] - points[:, lo], axis=-1)
            for u, lo in anatomy.CENTRAL_LID_PAIRS[side]
        ]
        width = np.linalg.norm(
            points[:, anatomy.LATERAL_CANTHUS[side]] - points[:, anatomy.MEDIAL_CANTHUS[side]],
            axis=-1,
        )
        out[side] = np.mean(gaps, axis=0) / width
    return out


def align(points: np.ndarray) -> np.ndarray:
    """Remove head motion: per-frame 2D similarity (Umeyama) of the anchors onto their median."""
    anchors = points[:, anatomy.HEAD_ANCHORS]
    ref = np.nanmedian(anchors, axis=0)
    out = np.full_like(points, np.nan)
    mu_r = ref.mean(0)
    for i, a in enumerate(anchors):
        if np.isnan(a).any():
            continue
        mu_a = a.mean(0)
        A, R = a - mu_a, ref - mu_r
        U, S, Vt = np.linalg.svd(R.T @ A)
        d = np.sign(np.linalg.det(U @ Vt))
        D = np.diag([1.0, d])
        rot = U @ D @ Vt
        scale = np.trace(np.diag(S) @ D) / (A**2).sum()
        out[i] = (points[i] - mu_a) @ (scale * rot).T + mu_r
    return out


def evaluate(truth: dict, points: np.ndarray, aligned: bool = True) -> dict:
    fps = truth["fps"]
    t = np.arange(len(points)) / fps
    op = openness(points)
    from synkimeter_dev.synth.spec import blink_closure

    closure = blink_closure(truth, t)
    aligned = align(points) if aligned else points
    mid_x = np.nanmedian(aligned[:, [168, 4, 0, 17], 0])
    ang = np.deg2rad(truth.get("coupling_direction_deg", 45.0))
    blinks = []
    for b in truth["blinks"]:
        apex = int(round(b["apex_s"] * fps))
        row = {"eye": b["eye"], "apex_s": b["apex_s"], "drop": {}, "disp_mm": {}, "along_mm": {}}
        for side in anatomy.SIDES:
            rest = (closure[side] == 0) & np.isfinite(op[side])
            near = np.abs(t - b["apex_s"]) < 3.0
            base = np.nanmedian(op[side][rest & near])
            row["drop"][side] = float(1.0 - op[side][apex] / base)
            c = aligned[:, anatomy.COMMISSURE[side]]
            pre = (t >= b["onset_s"] - 0.3) & (t <= b["onset_s"] - 0.1)
            win = (t >= b["onset_s"]) & (t <= b["offset_s"] + 0.1)
            d = (c[win] - np.nanmean(c[pre], axis=0)) * truth["mm_per_px"]
            mag = np.linalg.norm(d, axis=1)
            k = int(np.nanargmax(mag))
            outward = np.sign(np.nanmedian(c[:, 0]) - mid_x)
            u = np.array([outward * np.cos(ang), -np.sin(ang)])
            row["disp_mm"][side] = float(mag[k])
            row["along_mm"][side] = float(np.nanmax(d @ u))
        blinks.append(row)
    missing = ~np.isfinite(points[:, 0, 0])
    span = [float(t[missing].min()), float(t[missing].max())] if missing.any() else None
    return {"blinks": blinks, "missing_frames": int(missing.sum()), "missing_s": span}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m synkimeter_dev.synth.verify")
    p.add_argument("videos", nargs="+", type=Path)
    p.add_argument(
        "--raw", action="store_true", help="no head-motion removal (fine for the still clips)"
    )
    args = p.parse_args(argv)
    for video in args.videos:
        truth = json.loads((video.parent / (video.stem + ".truth.json")).read_text())
        points, _ = track(video)
        res = evaluate(truth, points, aligned=not args.raw)
        print(
            f"== {video.name}: imposed coupling {truth['coupling_mm']}, "
            f"frames without a face {res['missing_frames']} {res['missing_s']}"
        )
        for r, b in zip(res["blinks"], truth["blinks"]):
            print(
                f"  {r['apex_s']:6.2f}s {r['eye']:5s} depth R{b['depth']['right']:.2f}"
                f" L{b['depth']['left']:.2f}"
                f"  drop R{r['drop']['right']:5.2f} L{r['drop']['left']:5.2f}"
                f"  mouth R {r['disp_mm']['right']:4.2f} ({r['along_mm']['right']:+4.2f}) mm"
                f"  L {r['disp_mm']['left']:4.2f} ({r['along_mm']['left']:+4.2f}) mm"
            )
        for side in anatomy.SIDES:
            full = [r for r, b in zip(res["blinks"], truth["blinks"]) if b["depth"][side] >= 0.99]
            if full:
                drop = np.median([r["drop"][side] for r in full])
                along = np.median([r["along_mm"][side] for r in full])
                mag = np.median([r["disp_mm"][side] for r in full])
                print(
                    f"  {side}: complete blinks of this eye: median openness drop {drop:.2f}; "
                    f"commissure along imposed direction {along:.2f} mm (|peak| {mag:.2f}) "
                    f"vs imposed {truth['coupling_mm'][side]:.2f} mm"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
