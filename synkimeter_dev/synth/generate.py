"""Render a `ClipSpec` to NAME.mp4 + NAME.truth.json."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from synkimeter_dev.synth.face import (
    FPS,
    HEIGHT,
    SENSOR_NOISE_SIGMA,
    WIDTH,
    FaceModel,
    HeadPose,
    load_photo_bgr,
    rest_landmarks,
)
from synkimeter_dev.synth.spec import ClipSpec, absent_at, blink_closure, head_pose

# Preferred first; the pip OpenCV wheels have no H.264 encoder, so 'avc1' usually fails and
# 'mp4v' (MPEG-4 Part 2) is what gets written.
FOURCCS = ("avc1", "mp4v")
# Flat grey-beige occluder (BGR) used for face-absent stretches: a card held in front of the face.
OCCLUDER_BGR = (150, 160, 172)
OCCLUDER_BOX = (80, 0, 560, 480)  # x0, y0, x1, y1
_NOISE_BANK = 12
_NOISE_PAD = 32

_MODEL: FaceModel | None = None


def face_model() -> FaceModel:
    global _MODEL
    if _MODEL is None:
        _MODEL = FaceModel(load_photo_bgr(), rest_landmarks())
    return _MODEL


_WORKING_FOURCC: str | None = None


def open_writer(path: Path, fps: float = FPS, size: tuple[int, int] = (WIDTH, HEIGHT)) -> tuple[cv2.VideoWriter, str]:
    """A writer with the first fourcc in FOURCCS this OpenCV can encode. OpenCV's error log for
    failed tries is silenced (a missing H.264 encoder is expected) and the answer is cached."""
    global _WORKING_FOURCC
    for fourcc in [_WORKING_FOURCC] if _WORKING_FOURCC else FOURCCS:
        old = cv2.getLogLevel() if hasattr(cv2, "getLogLevel") else None
        if old is not None and fourcc != FOURCCS[-1]:
            cv2.setLogLevel(0)
        try:
            writer = cv2.VideoWriter(
                str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size
            )
        finally:
            if old is not None:
                cv2.setLogLevel(old)
        if writer.isOpened():
            _WORKING_FOURCC = fourcc
            return writer, fourcc
        writer.release()
    raise RuntimeError(f"no MPEG-4 encoder available to write {path}")


class _Noise:
    """Gaussian sensor noise: a small seeded bank of noise fields, each frame a random window of
    one (independent enough frame to frame, and ~10x cheaper than drawing 920k normals a frame)."""

    def __init__(self, rng: np.random.Generator, sigma: float):
        shape = (_NOISE_BANK, HEIGHT + _NOISE_PAD, WIDTH + _NOISE_PAD, 3)
        self.bank = np.round(rng.standard_normal(shape, dtype=np.float32) * sigma).astype(np.int16)
        self.rng = rng

    def add(self, frame: np.ndarray) -> np.ndarray:
        k = int(self.rng.integers(_NOISE_BANK))
        dy, dx = (int(v) for v in self.rng.integers(_NOISE_PAD, size=2))
        noisy = frame.astype(np.int16) + self.bank[k, dy : dy + HEIGHT, dx : dx + WIDTH]
        return np.clip(noisy, 0, 255).astype(np.uint8)


def render_frames(truth: dict, model: FaceModel | None = None):
    """Yield the clip's frames (BGR uint8), frame i at time i / fps."""
    model = model or face_model()
    n = truth["frames"]
    t = np.arange(n) / truth["fps"]
    closure = blink_closure(truth, t)
    px_per_mm = 1.0 / model.mm_per_px
    rng = np.random.default_rng(truth["seed"] + 7919)
    noise = _Noise(rng, SENSOR_NOISE_SIGMA)
    for i in range(n):
        c = {side: float(closure[side][i]) for side in ("right", "left")}
        shift = {side: truth["coupling_mm"][side] * c[side] * px_per_mm for side in c}
        roll, scale, tx, ty = head_pose(truth, float(t[i]))
        frame = model.render(
            closure=c, corner_shift_px=shift, head=HeadPose(roll, scale, tx, ty)
        )
        if absent_at(truth, float(t[i])):
            x0, y0, x1, y1 = OCCLUDER_BOX
            frame[y0:y1, x0:x1] = OCCLUDER_BGR
        yield noise.add(frame)


def write_held_clip(path: Path | str, duration_s: float, windows: list[tuple[float, float]],
                    corner_mm: dict[str, float], closure: dict[str, float], seed: int = 5) -> Path:
    """A clip of the sample face holding one pose in each (start_s, end_s) window, ramped in and out
    over 0.3 s: each eye closed by `closure[side]` (0-1) and each mouth corner moved `corner_mm[side]`
    up and out (a big smile: both corners far, the eyes a little; a gentle eye closure: the eyes fully,
    a corner pulled). For the README's report picture (docs/make_report_first_page.py); no truth file."""
    model = face_model()
    path = Path(path)
    writer, _ = open_writer(path)
    noise = _Noise(np.random.default_rng(seed), SENSOR_NOISE_SIGMA)
    try:
        for i in range(int(round(duration_s * FPS))):
            t = i / FPS
            k = max(float(np.clip(min((t - a) / 0.3, (b - t) / 0.3), 0.0, 1.0)) for a, b in windows)
            writer.write(noise.add(model.render(
                closure={side: c * k for side, c in closure.items()},
                corner_shift_px={side: mm * k / model.mm_per_px for side, mm in corner_mm.items()})))
    finally:
        writer.release()
    return path


def write_clip(spec: ClipSpec, out_dir: Path | str) -> tuple[Path, Path, dict]:
    """Write OUT_DIR/NAME.mp4 and OUT_DIR/NAME.truth.json; return both paths and the truth."""
    return write_truth_clip(spec.truth(), out_dir)


def write_truth_clip(truth: dict, out_dir: Path | str) -> tuple[Path, Path, dict]:
    """Render a truth dict (as from `ClipSpec.truth()`) to OUT_DIR/NAME.mp4 + NAME.truth.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = truth["name"]
    video = out_dir / f"{name}.mp4"
    writer, _ = open_writer(video)
    try:
        for frame in render_frames(truth):
            writer.write(frame)
    finally:
        writer.release()
    truth_path = out_dir / f"{name}.truth.json"
    truth_path.write_text(json.dumps(truth, indent=2) + "\n")
    return video, truth_path, truth
