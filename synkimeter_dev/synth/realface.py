"""Known ocular-oral coupling imposed on a real recorded face.

The synthetic sample clips are one still photo; a real face has skin texture, compression, jitter
and a head that moves. This takes a stretch of a real clip, finds each frame's eye closure from the
face's own landmarks, and pushes one mouth corner up and away from the midline by
`coupling_mm x that eye's closure depth`, with a smooth backward-mapped displacement field:

- "narrow": the corner and the lip edge around it (a Gaussian of ~12 % of the mouth's width);
- "broad": the modiolus and the cheek above and lateral to it (~30 % of the mouth's width), as the
  zygomatic muscles pull in a patient.

The field tapers to exactly zero at the face's midline, so the other corner is untouched. A control
copy with no coupling goes through the same steps (decoding, warping machinery, camera motion,
resizing, lighting, re-encoding), so "measured minus control" isolates the imposed pull.

The stretch is played forwards and backwards (`cycles` times), which turns a 2 s still stretch with
two blinks into a clip with enough blinks to grade, without a jump where a loop would restart.
Optional rigid camera motion (roll, translation, scale: a hand-held laptop) is applied after the
coupling, so the pull stays `coupling_mm` on the face. Deterministic: the same inputs give the
same frames and the same truth JSON.

    python -m synkimeter_dev.synth.realface SOURCE.mp4 OUT.mp4 --coupling-mm 2 --side right --field broad \
        --start-s 0.2 --end-s 2.0 --cycles 3 [--roll-deg 3 --shift-px 25 --scale 0.04] [--resize 0.6] \
        [--hold-closed-s 2.5]

`--lossless` writes the clip without compression loss (FFV1, OUT .mkv or .avi): the frames as the live
measurement sees a camera's, before any encoding. `--h264-crf 23` writes it as H.264 (x264 at that
constant rate factor, 23 being its default), as phones, webcam apps and the source clips encode
video, through PyAV in a process of its own (synth/h264.py; PyAV is a test dependency). Otherwise the
clip is MPEG-4 Part 2 at OpenCV's fixed quality, ~650 kbit/s for 480x480: the pip OpenCV has no H.264
encoder.

`--hold-closed-s` plays each blink's fully closed frames back and forth for that long: held eye
closures (the gentle eye-closure task) with the coupling imposed while the eyes are closed.

Needs only OpenCV and the face mesh (no scikit-image). Used by tests and validation, not the window.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import cv2
import numpy as np

from synkimeter.core.anatomy import COMMISSURE, IRIS_CENTRE, MEASURED, SIDES
from synkimeter.core.eyes import closure, iris_scale, median_frame_interval_s, openness
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.synth.generate import open_writer
from synkimeter_dev.synth.h264 import H264Writer

FIELD_SIGMA_MOUTH = {"narrow": 0.12, "broad": 0.30}
# The broad field is centred on the modiolus: lateral to the corner and a little above it.
FIELD_OFFSET_MOUTH = {"narrow": 0.0, "broad": 0.12}
# The Gaussian is cut to exactly zero at this many sigmas, and by a taper that is zero at the midline.
CUTOFF_SIGMAS = 3.5
MIDLINE_TAPER_MOUTH = 0.25
# Up and away from the midline, in the face's own axes (as zygomaticus pulls the corner).
PULL_ANGLE_DEG = 45.0
# Eye closure from the mesh -> drive 0..1: below CLOSURE_FLOOR is jitter of an open eye; the mesh
# closes a closed eye only to ~params.full_closure.
CLOSURE_FLOOR = 0.08
# A blink's frames at this drive or more are its fully closed ones (held for a held closure).
HELD_DRIVE = 0.99


@dataclass(frozen=True)
class CameraMotion:
    """Smooth rigid camera motion about the frame's centre (a hand-held laptop): peak amplitudes."""

    roll_deg: float = 0.0
    shift_px: float = 0.0
    scale: float = 0.0  # fractional, e.g. 0.04 for +/- 4 %
    tilt_deg: float = 0.0  # a constant roll: the head (or the laptop) held tilted

    def affine(self, t_s: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
        """(T, 2, 3) affine matrices: incommensurate periods so the motion does not repeat."""
        roll = np.radians(self.tilt_deg + self.roll_deg * np.sin(2 * np.pi * t_s / 5.3))
        scale = 1.0 + self.scale * np.sin(2 * np.pi * t_s / 7.9 + 0.7)
        tx = self.shift_px * np.sin(2 * np.pi * t_s / 4.1 + 1.3)
        ty = 0.6 * self.shift_px * np.sin(2 * np.pi * t_s / 6.7 + 0.4)
        cos, sin = scale * np.cos(roll), scale * np.sin(roll)
        cx, cy = centre
        out = np.empty((t_s.size, 2, 3))
        out[:, 0, 0], out[:, 0, 1] = cos, -sin
        out[:, 1, 0], out[:, 1, 1] = sin, cos
        out[:, 0, 2] = cx - cos * cx + sin * cy + tx
        out[:, 1, 2] = cy - sin * cx - cos * cy + ty
        return out


@dataclass(frozen=True)
class RealCouplingSpec:
    coupling_mm: float = 0.0
    side: str = "right"
    field: str = "narrow"
    start_s: float = 0.0
    end_s: float | None = None
    cycles: int = 1
    camera: CameraMotion = dataclass_field(default_factory=CameraMotion)
    resize: float = 1.0  # output size / source size (a face further from the camera)
    gain: float = 1.0  # lighting: brightness factor
    gamma: float = 1.0
    # Each frame through JPEG at this quality first (0: not): a cheap webcam's compression.
    jpeg_quality: int = 0
    # Open-eye time before each blink at least (people blink every 2-6 s; see spaced_order).
    min_gap_s: float = 2.0
    # Each blink's fully closed frames played back and forth for this long (0: not): held eye
    # closures, as in the gentle eye-closure task, with the coupling imposed all the while.
    hold_closed_s: float = 0.0
    # The output's frame rate (0: the source's). A lower rate keeps the source frame nearest each
    # output time (a webcam's shutter, no blending), a higher one repeats frames: the blinks keep
    # their length in seconds, so at 24 frames/s a 100-130 ms blink is caught by 2-3 frames.
    fps: float = 0.0
    # Written losslessly (FFV1; the output must be .mkv or .avi) instead of as MPEG-4: the frames as
    # a camera gives them to the live view and the guided recording, which mesh each frame before
    # any encoding (a recording's video file is encoded after; `analyze` of a file sees the encode).
    lossless: bool = False
    # Written as H.264 at this x264 constant rate factor (0: not; 23 is x264's default).
    h264_crf: int = 0

    def __post_init__(self) -> None:
        if self.side not in SIDES or self.field not in FIELD_SIGMA_MOUTH:
            raise ValueError(f"side must be one of {SIDES} and field one of {tuple(FIELD_SIGMA_MOUTH)}")


def read_stretch(path: str | Path, start_s: float, end_s: float | None) -> tuple[list[np.ndarray], np.ndarray, float]:
    """BGR frames whose times fall in [start_s, end_s], their times, and the clip's frame rate."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise FileNotFoundError(f"cannot open {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames, times = [], []
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        t = index / fps
        index += 1
        if t < start_s - 1e-9:
            continue
        if end_s is not None and t > end_s + 1e-9:
            break
        frames.append(frame)
        times.append(t)
    cap.release()
    if not frames:
        raise ValueError(f"no frames of {path} between {start_s} and {end_s} s")
    return frames, np.asarray(times), float(fps)


def mesh_points(frames: list[np.ndarray], times_s: np.ndarray) -> np.ndarray:
    """The face mesh's own points (no optical flow) for each frame, (T, 478, 3) pixels."""
    from synkimeter.landmarks.facemesh import FaceMeshExtractor

    params = DEFAULT_SETTINGS.with_overrides(optical_flow=False)
    with FaceMeshExtractor(params) as mesh:
        return np.stack([mesh.process(f, float(t)).points for f, t in zip(frames, times_s)])


def _smooth_time(x: np.ndarray, frames: int = 9) -> np.ndarray:
    """Moving average along time (edges repeated): the warp's centre must not jitter with the mesh."""
    pad = frames // 2
    padded = np.concatenate([np.repeat(x[:1], pad, axis=0), x, np.repeat(x[-1:], pad, axis=0)])
    kernel = np.ones(frames) / frames
    return np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="valid"), 0, padded)


def closure_drive(points: np.ndarray, times_s: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per side: the eye's closure from its own landmarks, and the coupling's drive 0..1."""
    packed = MEASURED.take(points)
    dt = median_frame_interval_s(times_s)
    # The open level from the whole stretch: a ping-ponged 2 s stretch is shorter than the rolling window.
    params = DEFAULT_SETTINGS.with_overrides(open_baseline_window_s=max(DEFAULT_SETTINGS.open_baseline_window_s,
                                                                        2 * (times_s[-1] - times_s[0]) + dt))
    c = closure(openness(packed, MEASURED), dt, params)
    drive = {s: np.clip((np.nan_to_num(c[s]) - CLOSURE_FLOOR) / (params.full_closure - CLOSURE_FLOOR), 0.0, 1.0)
             for s in SIDES}
    return c, drive


def _field_weight(x: np.ndarray, y: np.ndarray, centre: np.ndarray, sigma: float, midline_pt: np.ndarray,
                  outward: np.ndarray, taper_px: float) -> np.ndarray:
    r2 = (x - centre[0]) ** 2 + (y - centre[1]) ** 2
    cut = np.square(np.clip(1.0 - r2 / (CUTOFF_SIGMAS * sigma) ** 2, 0.0, 1.0))
    # Signed distance from the midline towards the pulled side, then a smoothstep to 1.
    u = np.clip(((x - midline_pt[0]) * outward[0] + (y - midline_pt[1]) * outward[1]) / taper_px, 0.0, 1.0)
    return np.exp(-0.5 * r2 / sigma**2) * cut * u * u * (3.0 - 2.0 * u)


def warp_corner(frame: np.ndarray, shift_px: float, direction: np.ndarray, centre: np.ndarray, sigma: float,
                midline_pt: np.ndarray, outward: np.ndarray, taper_px: float) -> np.ndarray:
    """Backward-mapped push of the skin around `centre` by up to `shift_px` along `direction`:
    output pixel q shows the source at s with s + shift * w(s) * direction = q (fixed point)."""
    if abs(shift_px) < 1e-3:
        return frame
    h, w = frame.shape[:2]
    r = CUTOFF_SIGMAS * sigma + abs(shift_px) + 2
    x0, x1 = max(int(centre[0] - r), 0), min(int(centre[0] + r) + 1, w)
    y0, y1 = max(int(centre[1] - r), 0), min(int(centre[1] + r) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return frame
    qy, qx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    sx, sy = qx.copy(), qy.copy()
    for _ in range(8):
        wgt = shift_px * _field_weight(sx, sy, centre, sigma, midline_pt, outward, taper_px)
        sx, sy = qx - wgt * direction[0], qy - wgt * direction[1]
    out = frame.copy()
    out[y0:y1, x0:x1] = cv2.remap(frame, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_CUBIC,
                                  borderMode=cv2.BORDER_REFLECT)
    return out


def pingpong(n: int, cycles: int) -> np.ndarray:
    """Frame order 0..n-1, n-2..1, 0..n-1, ...: `cycles` passes, no repeated turn-around frame."""
    forward, backward = np.arange(n), np.arange(n - 2, 0, -1)
    order = [forward]
    for k in range(1, cycles):
        order.append(backward if k % 2 else forward)
    return np.concatenate(order)


def _stretch_run(first: int, last: int, frames: int) -> np.ndarray:
    """Frames first..last played back and forth until at least `frames` long, ending on `last`."""
    if last <= first:
        return np.full(max(frames, 1), first)
    swing = np.concatenate([np.arange(first, last + 1), np.arange(last - 1, first, -1)])
    order = np.resize(swing, max(frames, last - first + 1) + swing.size)
    ends = np.flatnonzero(order == last)
    return order[: int(ends[ends >= max(frames, last - first + 1) - 1][0]) + 1]


def _held(run: np.ndarray, deep: np.ndarray, frames: int) -> np.ndarray:
    """A closed run with its fully closed frames (`deep`: True there) played back and forth until
    they last `frames`: a blink made into a held eye closure, the eyes still and closed."""
    closed = np.flatnonzero(deep)
    if closed.size < 2 or closed.size >= frames:
        return run
    a, b = int(closed[0]), int(closed[-1])
    return np.concatenate([run[:a], run[a:b + 1][_stretch_run(0, b - a, frames)], run[b + 1:]])


def spaced_order(drive: dict[str, np.ndarray], fps: float, cycles: int, min_gap_s: float,
                 hold_closed_s: float = 0.0) -> np.ndarray:
    """Ping-pong frame order in which every stretch of open eyes lasts at least `min_gap_s`, and,
    with `hold_closed_s`, every blink's fully closed frames last that long (a held eye closure).

    A short still stretch holds its blinks closer together than people blink (every 2-6 s): its
    open-eye stretches are lengthened by playing them back and forth (a still face, moving only by
    its own micro-movements), so each blink has a quiet time before it.
    """
    base = pingpong(len(drive["right"]), cycles)
    deepest = np.maximum(drive["right"], drive["left"])
    # The lid's slow last few per cent of reopening count as open; one frame either side of the
    # closed runs keeps the lid's first and last movement with its blink.
    closed = deepest[base] > 0.05
    closed = np.convolve(closed.astype(float), np.ones(3), mode="same") > 0
    edges = np.flatnonzero(np.diff(np.concatenate(([True], closed, [True])).astype(int)))
    pieces, pos = [], 0
    min_frames = int(round(min_gap_s * fps))
    for start, stop in zip(edges[0::2], edges[1::2]):  # open runs [start, stop)
        pieces.append(base[pos:start])
        run = base[start:stop]
        if run.size >= min_frames or run.size < 2:
            pieces.append(run)
        else:
            # Swing along the run as it was played (forwards, backwards or across a turn).
            pieces.append(run[_stretch_run(0, run.size - 1, min_frames)])
        pos = stop
    pieces.append(base[pos:])
    if hold_closed_s > 0:  # the closed runs lie between the open ones: hold each one's closed frames
        hold_frames = int(round(hold_closed_s * fps))
        order = np.concatenate(pieces)
        open_frames = np.convolve((deepest[order] > 0.05).astype(float), np.ones(3), mode="same") == 0
        edges = np.flatnonzero(np.diff(np.concatenate(([True], open_frames, [True])).astype(int)))
        pieces, pos = [], 0
        for start, stop in zip(edges[0::2], edges[1::2]):  # closed runs [start, stop)
            run = order[start:stop]
            both_closed = np.minimum(drive["right"], drive["left"])[run] >= HELD_DRIVE
            pieces += [order[pos:start], _held(run, both_closed, hold_frames)]
            pos = stop
        pieces.append(order[pos:])
    return np.concatenate(pieces)


def resampled(order: np.ndarray, source_fps: float, fps: float) -> np.ndarray:
    """The frame order as seen at `fps`: the source frame nearest each output time."""
    if abs(fps - source_fps) < 1e-6:
        return order
    n = int(np.floor((order.size - 1) * fps / source_fps)) + 1
    return order[np.minimum(np.rint(np.arange(n) * source_fps / fps).astype(int), order.size - 1)]


@dataclass
class Prepared:
    """A source stretch read and meshed once, reused for every coupling and its control."""

    source: str
    frames: list[np.ndarray]
    times_s: np.ndarray
    fps: float
    points: np.ndarray
    closure: dict[str, np.ndarray]
    drive: dict[str, np.ndarray]
    mm_per_px: float


def prepare(source: str | Path, start_s: float = 0.0, end_s: float | None = None) -> Prepared:
    frames, times, fps = read_stretch(source, start_s, end_s)
    points = mesh_points(frames, times)
    if not np.isfinite(points[:, COMMISSURE["right"]]).all():
        raise ValueError(f"the face is not found in every frame of {source} between {start_s} and {end_s} s")
    c, drive = closure_drive(points, times)
    packed = MEASURED.take(points)
    scale = iris_scale(packed, MEASURED, c)
    return Prepared(str(source), frames, times, fps, points, c, drive, float(scale["mm_per_px"]))


@dataclass(frozen=True)
class WarpGeometry:
    """The coupling's displacement field per source frame (smoothed over time: the warp follows the
    face, not the mesh's jitter): its peak shift (px, for the full coupling), direction, centre,
    width (sigma), and the midline where it tapers to zero."""

    shift_px: np.ndarray
    direction: np.ndarray
    centre: np.ndarray
    sigma: np.ndarray
    midline: np.ndarray
    outward: np.ndarray
    taper_px: np.ndarray

    def apply(self, frame: np.ndarray, i: int, fraction: float = 1.0) -> np.ndarray:
        """Source frame `i`'s picture `frame` with `fraction` of the coupling imposed."""
        return warp_corner(frame, fraction * self.shift_px[i], self.direction[i], self.centre[i], self.sigma[i],
                           self.midline[i], self.outward[i], self.taper_px[i])


def warp_geometry(p: Prepared, spec: RealCouplingSpec) -> WarpGeometry:
    """The field `spec` imposes on each of the prepared stretch's frames."""
    corner = _smooth_time(p.points[:, COMMISSURE[spec.side], :2].astype(np.float64))
    other = _smooth_time(p.points[:, COMMISSURE["left" if spec.side == "right" else "right"], :2].astype(np.float64))
    iris_r = _smooth_time(p.points[:, IRIS_CENTRE["right"], :2].astype(np.float64))
    iris_l = _smooth_time(p.points[:, IRIS_CENTRE["left"], :2].astype(np.float64))
    across = iris_l - iris_r  # towards the subject's left
    across /= np.linalg.norm(across, axis=1, keepdims=True)
    up = np.stack([across[:, 1], -across[:, 0]], axis=1)  # image y grows downwards
    outward = across if spec.side == "left" else -across
    a = np.radians(PULL_ANGLE_DEG)
    direction = np.cos(a) * outward + np.sin(a) * up
    mouth_px = np.linalg.norm(corner - other, axis=1)
    sigma = FIELD_SIGMA_MOUTH[spec.field] * mouth_px
    centre = corner + (FIELD_OFFSET_MOUTH[spec.field] * mouth_px)[:, None] * direction
    midline = 0.5 * (corner + other)
    # The broad field is centred off the corner: scaled so that the corner itself moves by exactly
    # the coupling (what the truth says and the tool should read).
    at_corner = np.array([_field_weight(corner[i, 0], corner[i, 1], centre[i], sigma[i], midline[i], outward[i],
                                        MIDLINE_TAPER_MOUTH * mouth_px[i]) for i in range(len(p.frames))])
    shift_px = spec.coupling_mm / p.mm_per_px * p.drive[spec.side] / at_corner
    return WarpGeometry(shift_px, direction, centre, sigma, midline, outward, MIDLINE_TAPER_MOUTH * mouth_px)


def write_coupled(prepared: Prepared, out_path: str | Path, spec: RealCouplingSpec) -> dict:
    """Write the coupled clip (or, with coupling 0, the control) and its truth JSON beside it."""
    p = prepared
    out_path = Path(out_path)
    order = spaced_order(p.drive, p.fps, spec.cycles, spec.min_gap_s, spec.hold_closed_s)
    fps = spec.fps or p.fps
    order = resampled(order, p.fps, fps)
    t_out = np.arange(order.size) / fps
    warp = warp_geometry(p, spec)

    h, w = p.frames[0].shape[:2]
    out_size = (int(round(w * spec.resize)) // 2 * 2, int(round(h * spec.resize)) // 2 * 2)
    camera = spec.camera.affine(t_out, (w / 2.0, h / 2.0))
    moving = any(v != 0 for v in asdict(spec.camera).values())
    lut = None
    if spec.gain != 1.0 or spec.gamma != 1.0:
        lut = np.clip(255.0 * spec.gain * (np.arange(256) / 255.0) ** spec.gamma, 0, 255).astype(np.uint8)
    if spec.lossless:
        if out_path.suffix.lower() not in (".mkv", ".avi"):
            raise ValueError(f"a lossless clip is written as .mkv or .avi, not {out_path.name}")
        writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"FFV1"), fps, out_size)
        if not writer.isOpened():
            raise RuntimeError(f"no FFV1 encoder available to write {out_path}")
    elif spec.h264_crf:
        writer = H264Writer(out_path, fps, out_size, spec.h264_crf)
    else:
        writer, _ = open_writer(out_path, fps, out_size)
    try:
        for k, i in enumerate(order):
            frame = warp.apply(p.frames[i], i)
            if moving:
                frame = cv2.warpAffine(frame, camera[k], (w, h), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_REFLECT)
            if out_size != (w, h):
                frame = cv2.resize(frame, out_size, interpolation=cv2.INTER_AREA)
            if lut is not None:
                frame = cv2.LUT(frame, lut)
            if spec.jpeg_quality:
                ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(spec.jpeg_quality)])
                frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
            writer.write(frame)
    finally:
        writer.release()

    truth = {
        "source": Path(p.source).name,
        "stretch_s": [float(p.times_s[0]), float(p.times_s[-1])],
        "cycles": spec.cycles,
        "fps": fps,
        "frames": int(order.size),
        "spec": asdict(spec),
        "source_mm_per_px": p.mm_per_px,
        "pull_angle_deg": PULL_ANGLE_DEG,
        # What was imposed, frame by frame, in mm on the face (the source's iris scale).
        "imposed_mm": {s: ((spec.coupling_mm * p.drive[spec.side][order]) if s == spec.side
                           else np.zeros(order.size)).round(4).tolist() for s in SIDES},
        "drive": {s: p.drive[s][order].round(4).tolist() for s in SIDES},
    }
    out_path.with_suffix(".truth.json").write_text(json.dumps(truth))
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synkimeter_dev.synth.realface", description=__doc__.split("\n\n")[0])
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--coupling-mm", type=float, default=0.0)
    ap.add_argument("--side", choices=SIDES, default="right")
    ap.add_argument("--field", choices=tuple(FIELD_SIGMA_MOUTH), default="narrow")
    ap.add_argument("--start-s", type=float, default=0.0)
    ap.add_argument("--end-s", type=float, default=None)
    ap.add_argument("--cycles", type=int, default=1)
    ap.add_argument("--roll-deg", type=float, default=0.0)
    ap.add_argument("--shift-px", type=float, default=0.0)
    ap.add_argument("--scale", type=float, default=0.0)
    ap.add_argument("--resize", type=float, default=1.0)
    ap.add_argument("--gain", type=float, default=1.0)
    ap.add_argument("--gamma", type=float, default=1.0)
    ap.add_argument("--tilt-deg", type=float, default=0.0)
    ap.add_argument("--jpeg-quality", type=int, default=0)
    ap.add_argument("--hold-closed-s", type=float, default=0.0, help="hold each blink closed this long")
    ap.add_argument("--fps", type=float, default=0.0, help="the output's frame rate (default: the source's)")
    ap.add_argument("--lossless", action="store_true", help="write FFV1 (OUT .mkv or .avi), not MPEG-4")
    ap.add_argument("--h264-crf", type=int, default=0, help="write H.264 at this x264 rate factor (23: its default)")
    a = ap.parse_args(argv)
    spec = RealCouplingSpec(a.coupling_mm, a.side, a.field, a.start_s, a.end_s, a.cycles,
                            CameraMotion(a.roll_deg, a.shift_px, a.scale, a.tilt_deg), a.resize, a.gain, a.gamma,
                            jpeg_quality=a.jpeg_quality, hold_closed_s=a.hold_closed_s, fps=a.fps,
                            lossless=a.lossless, h264_crf=a.h264_crf)
    truth = write_coupled(prepare(a.source, a.start_s, a.end_s), a.out, spec)
    print(f"{a.out}: {truth['frames']} frames, {spec.coupling_mm:g} mm on the {spec.side} ({spec.field})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
