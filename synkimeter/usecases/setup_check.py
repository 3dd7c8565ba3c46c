"""The set-up check before a guided recording: distance, head pose, light and centring, in plain words.

The measurement's between-session spread grows when the face is far (iris ~14 px), dark, tilted or
heavily compressed (docs/validation.md), so a recording is only comparable with the patient's first
one when it is made the same way. `check_setup` looks at one frame and says what to change, most
important first; `baseline_setup` reads back how the patient's baseline recording was made.

Pure numpy, no Qt: the protocol runner calls it on every frame before the first task.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from synkimeter.core.align import euler_from_rotation, similarity_transforms
from synkimeter.core.anatomy import COMMISSURE, HEAD_ANCHORS, IRIS_HORIZONTAL, N_LANDMARKS
from synkimeter.data import base_face
from synkimeter.store.records import StoreError
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

# The words, most important first (a farther face loses scale, a turned one loses a side).
CLOSER = "Move a little closer to the camera"
FURTHER = "Move a little further away"
NO_FACE = "Look into the camera so your face can be seen"
CENTRE = "Move to the middle of the picture"
TURN = "Turn your face towards the camera"
CHIN_UP = "Lift your chin a little"
CHIN_DOWN = "Lower your chin a little"
DARK = "Turn towards the light"
BACKLIT = "There is too much light behind you"
BRIGHT = "There is too much light on you"


@dataclass(frozen=True)
class Setup:
    """How one frame was taken. Sizes in the camera image's own pixels, centre as fractions of the
    picture (0.5 = middle), brightness as the mean grey level (0-255) of the face's box."""

    iris_px: float
    yaw_deg: float  # turned left/right from facing the camera
    pitch_deg: float  # chin up (+) or down (-), relative to a face looking straight at the camera
    brightness: float
    background_brightness: float  # the whole picture's mean grey level
    centre_x: float
    centre_y: float
    face_height: float  # fraction of the picture's height
    # The mouth's width, corner to corner (NaN: unknown, as in set-ups saved before it was kept).
    mouth_px: float = math.nan

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if math.isfinite(v) else None) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "Setup":
        def num(key):
            v = data.get(key)
            return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else math.nan

        return cls(**{k: num(k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SetupCheck:
    ok: bool
    instructions: tuple[str, ...]  # plain words, most important first; empty when ok
    setup: Setup | None  # None when no face was found

    @property
    def words(self) -> str:
        return "Good - hold still" if self.ok else self.instructions[0]


def _frontal_anchors() -> np.ndarray:
    return base_face().astype(np.float64)[HEAD_ANCHORS]


_FRONTAL = None


def _grey_mean(image: np.ndarray | None, box: tuple[int, int, int, int] | None = None) -> float:
    """Mean grey level (ITU-R 601 weights on BGR) over `box` (x0, y0, x1, y1), every other pixel:
    plenty for a mean and cheap enough to run on every frame."""
    if image is None:
        return math.nan
    img = np.asarray(image)
    if box is not None:
        x0, y0, x1, y1 = box
        img = img[y0:y1, x0:x1]
    img = img[::2, ::2]
    if img.size == 0:
        return math.nan
    if img.ndim == 2:
        return float(img.mean())
    b, g, r = (img[..., i].astype(np.float32).mean() for i in range(3))
    return float(0.114 * b + 0.587 * g + 0.299 * r)


def measure_setup(points: np.ndarray | None, image: np.ndarray | None, width: int, height: int) -> Setup | None:
    """The set-up of one frame from its face-mesh landmarks ((478, 3) pixels) and picture (BGR, or
    None: brightness is then unknown). None when there is no face."""
    global _FRONTAL
    if points is None:
        return None
    pts = np.asarray(points, np.float64)
    if pts.shape != (N_LANDMARKS, 3) or not np.isfinite(pts).all():
        return None
    iris = float(np.mean([np.linalg.norm(pts[a, :2] - pts[b, :2]) for a, b in IRIS_HORIZONTAL.values()]))
    # Yaw from the depth of the face contour beside the ears, as the live view does.
    right, left = pts[234], pts[454]
    yaw = float(np.degrees(np.arctan2(left[2] - right[2], abs(left[0] - right[0]))))
    # Pitch: the rigid head points fitted onto a face that looks straight at the camera.
    if _FRONTAL is None:
        _FRONTAL = _frontal_anchors()
    _, rotation, _ = similarity_transforms(pts[None, HEAD_ANCHORS], _FRONTAL)
    # (The rotation's pitch is positive for the chin going down, towards the chest.)
    pitch = -float(euler_from_rotation(rotation)[1][0]) if np.isfinite(rotation).all() else math.nan
    x0, y0 = np.floor(pts[:, :2].min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts[:, :2].max(axis=0)).astype(int)
    box = (max(0, x0), max(0, y0), min(width, x1), min(height, y1))
    # Without the picture's size (a caller with landmarks only) centring is not judged.
    frame_w: float
    frame_h: float
    frame_w, frame_h = (width, height) if width > 0 and height > 0 else (math.nan, math.nan)
    return Setup(
        iris_px=iris, yaw_deg=yaw, pitch_deg=pitch,
        brightness=_grey_mean(image, box), background_brightness=_grey_mean(image),
        centre_x=float((x0 + x1) / 2 / frame_w), centre_y=float((y0 + y1) / 2 / frame_h),
        face_height=float((y1 - y0) / frame_h),
        mouth_px=float(np.linalg.norm(pts[COMMISSURE["right"], :2] - pts[COMMISSURE["left"], :2])),
    )


def judge_setup(setup: Setup | None, baseline: Setup | None = None,
                params: Settings = DEFAULT_SETTINGS) -> SetupCheck:
    """What to change so this set-up is measurable and, when `baseline` is given, like the baseline's."""
    p = params
    if setup is None:
        return SetupCheck(False, (NO_FACE,), None)
    said: list[str] = []
    # Distance: never beyond the scale's limit; and the face as large as at the baseline.
    far_px = p.min_iris_diameter_px
    near_px = math.inf
    if baseline is not None and math.isfinite(baseline.iris_px):
        far_px = max(far_px, baseline.iris_px * (1.0 - p.setup_iris_tolerance))
        near_px = baseline.iris_px * (1.0 + p.setup_iris_tolerance)
    # Closer, too, where the mouth is too small to show a pull on its corner alone; unless the
    # baseline was recorded smaller still, which a comparable recording must match.
    small_mouth = setup.mouth_px < p.min_mouth_detail_px and (
        baseline is None or not baseline.mouth_px < p.min_mouth_detail_px)
    if not setup.iris_px >= far_px or small_mouth:
        said.append(CLOSER)
    elif setup.iris_px > near_px or setup.face_height > p.setup_max_face_height:
        said.append(FURTHER)
    # Centring: a face at the edge is cut off when the head moves.
    if (abs(setup.centre_x - 0.5) > p.setup_max_offcentre or abs(setup.centre_y - 0.5) > p.setup_max_offcentre):
        said.append(CENTRE)
    # Head pose: facing the camera, and as at the baseline.
    yaw_ok = abs(setup.yaw_deg) <= p.setup_max_yaw_deg
    pitch_ref = 0.0
    pitch_limit = p.setup_max_pitch_deg
    if baseline is not None:
        if math.isfinite(baseline.yaw_deg):
            yaw_ok = yaw_ok and abs(setup.yaw_deg - baseline.yaw_deg) <= p.setup_pose_tolerance_deg
        if math.isfinite(baseline.pitch_deg) and abs(baseline.pitch_deg) <= p.setup_max_pitch_deg:
            pitch_ref, pitch_limit = baseline.pitch_deg, p.setup_pose_tolerance_deg
    if not yaw_ok and math.isfinite(setup.yaw_deg):
        said.append(TURN)
    if math.isfinite(setup.pitch_deg) and abs(setup.pitch_deg - pitch_ref) > pitch_limit:
        said.append(CHIN_DOWN if setup.pitch_deg > pitch_ref else CHIN_UP)
    # Light: the face neither dark nor washed out, not against a bright window, and as at the baseline.
    light = setup.brightness
    if math.isfinite(light):
        low, high = p.setup_min_brightness, p.setup_max_brightness
        if baseline is not None and math.isfinite(baseline.brightness) and baseline.brightness > 0:
            low = max(low, baseline.brightness / p.setup_brightness_factor)
            high = min(high, baseline.brightness * p.setup_brightness_factor)
        backlit = (math.isfinite(setup.background_brightness)
                   and light < setup.background_brightness * p.setup_backlight_ratio)
        if light < low:
            said.append(BACKLIT if backlit else DARK)
        elif light > high:
            said.append(BRIGHT)
    return SetupCheck(not said, tuple(said), setup)


def check_setup(points: np.ndarray | None, image: np.ndarray | None, width: int, height: int,
                baseline: Setup | None = None, params: Settings = DEFAULT_SETTINGS) -> SetupCheck:
    """One frame: ok, or what to change in plain words, most important first."""
    return judge_setup(measure_setup(points, image, width, height), baseline, params)


def file_light_warnings(light, params: Settings = DEFAULT_SETTINGS) -> list[str]:
    """The live check's light advice for a recorded file, from a sample of its frames' face region
    ((K, 3): face grey level, picture grey level, face contrast; see landmarks.extract.face_light)."""
    samples = np.asarray(light, np.float64).reshape(-1, 3)
    if samples.shape[0] == 0:
        return []
    face, picture, contrast = np.median(samples, axis=0)
    # Only the light is judged here: distance, pose and centring are unknown (NaN) or not asked (inf).
    setup = Setup(iris_px=math.inf, yaw_deg=math.nan, pitch_deg=math.nan, brightness=face,
                  background_brightness=picture, centre_x=math.nan, centre_y=math.nan, face_height=math.nan)
    level = f"the face's grey level in this video is {face:.0f} of 255"
    said = {
        DARK: f"{level}, under the {params.setup_min_brightness:g} the set-up check asks for",
        BACKLIT: f"{level} against {picture:.0f} for the whole picture: it is lit from behind",
        BRIGHT: f"{level}, over the {params.setup_max_brightness:g} the set-up check allows",
    }
    out = [f"{word} when recording ({said[word]}): in such light mouth-corner movement reads too low or "
           "unsteady, so compare this clip with others only with care." for word in judge_setup(setup, None, params)
           .instructions if word in said]
    if contrast < params.setup_min_face_contrast:
        out.append(f"The face has little contrast in this video (its grey levels vary by {contrast:.0f}, under the "
                   f"{params.setup_min_face_contrast:g} a clear picture shows): fog, glare or heavy compression hides "
                   "the texture the measurement follows, so movement may read too low.")
    return out


def median_setup(setups) -> Setup | None:
    """The median of each field over several frames' (or clips') set-ups, NaNs left out."""
    setups = [s for s in setups if s is not None]
    if not setups:
        return None
    values = {}
    for key in Setup.__dataclass_fields__:
        col = np.array([getattr(s, key) for s in setups], np.float64)
        col = col[np.isfinite(col)]
        values[key] = float(np.median(col)) if col.size else math.nan
    return Setup(**values)


def baseline_setup(store, patient) -> Setup | None:
    """How the patient's baseline (the earliest complete session of kind 'baseline') was recorded:
    the median over its clips' stored set-ups. Clips recorded before set-ups were stored give their
    iris size only. None without a baseline."""
    baseline = next((s for s in store.sessions(patient) if s.kind == "baseline" and s.status == "complete"), None)
    if baseline is None:
        return None

    setups = []
    for clip in store.clips(baseline):
        if clip.status != "complete":
            continue
        try:
            summary = store.summary(clip) or {}
        except StoreError:  # a damaged result must not keep anyone from recording
            continue
        if isinstance(summary.get("setup"), dict):
            setups.append(Setup.from_dict(summary["setup"]))
        elif isinstance(summary.get("iris_px"), (int, float)):
            setups.append(Setup.from_dict({"iris_px": summary["iris_px"]}))
    return median_setup(setups)


__all__ = ["Setup", "SetupCheck", "check_setup", "file_light_warnings", "judge_setup", "measure_setup",
           "median_setup", "baseline_setup"]
