"""Landmark tracks with known truth, for tests and benchmarks: blinks, coupled mouth corners, head
motion and jitter applied to a real face mesh (MediaPipe's landmarks of scikit-image's public-domain
astronaut photo, placed in a 640x480 frame)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synkimeter.core.anatomy import COMMISSURE, IRIS_CENTRE, IRIS_HORIZONTAL, LOWER_LID, SIDES, UPPER_LID
from synkimeter.data import base_face
from synkimeter.usecases.settings import DEFAULT_SETTINGS


def base_mm_per_px(face: np.ndarray | None = None) -> float:
    face = base_face() if face is None else face
    diam = np.mean([np.linalg.norm(face[a, :2] - face[b, :2]) for a, b in IRIS_HORIZONTAL.values()])
    return DEFAULT_SETTINGS.iris_diameter_mm / float(diam)


@dataclass
class SimBlink:
    apex_s: float
    eye: str = "both"  # "both", "right", "left"
    depth: float = 1.0
    close_s: float = 0.08  # onset to full closure
    hold_s: float = 0.04  # closed; the apex is the middle of the hold
    open_s: float = 0.16  # to open again


@dataclass
class SimTrack:
    timestamps_s: np.ndarray
    points: np.ndarray
    closure: dict[str, np.ndarray]  # imposed lid closure per side, 0..1
    mouth_mm: dict[str, np.ndarray]  # imposed commissure displacement per side
    mm_per_px: float
    blinks: list[SimBlink] = field(default_factory=list)


def blink_profile(t: np.ndarray, blink: SimBlink) -> np.ndarray:
    """Closure over time: a raised-cosine close, then a slower raised-cosine open."""
    closed_from = blink.apex_s - blink.hold_s / 2
    closed_to = blink.apex_s + blink.hold_s / 2
    closing = (t >= closed_from - blink.close_s) & (t < closed_from)
    held = (t >= closed_from) & (t <= closed_to)
    opening = (t > closed_to) & (t <= closed_to + blink.open_s)
    c = np.zeros_like(t)
    c[closing] = 0.5 - 0.5 * np.cos(np.pi * (t[closing] - closed_from + blink.close_s) / blink.close_s)
    c[held] = 1.0
    c[opening] = 0.5 + 0.5 * np.cos(np.pi * (t[opening] - closed_to) / blink.open_s)
    return c * blink.depth


def _rotation(yaw, pitch, roll):
    """(T, 3, 3) rotations from angles in radians (image axes: x right, y down, z away)."""
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    one, zero = np.ones_like(yaw), np.zeros_like(yaw)
    ry = np.stack([np.stack([cy, zero, sy], -1), np.stack([zero, one, zero], -1), np.stack([-sy, zero, cy], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cp, -sp], -1), np.stack([zero, sp, cp], -1)], -2)
    rz = np.stack([np.stack([cr, -sr, zero], -1), np.stack([sr, cr, zero], -1), np.stack([zero, zero, one], -1)], -2)
    return rz @ ry @ rx


def simulate(duration_s: float = 20.0, fps: float = 30.0, blinks: list[SimBlink] | None = None,
             coupling_mm: dict[str, float] | None = None, jitter_px: float = 0.0,
             head_motion: dict | None = None, lid_closed_fraction: float = 0.85, seed: int = 0,
             frame_time_jitter_s: float = 0.0, dtype=np.float32) -> SimTrack:
    """A landmark track with known blinks and mouth-corner coupling.

    `coupling_mm[side]`: the commissure moves up and outwards by this many mm times the closure of
    the same side's eye. `lid_closed_fraction`: how much of the lid gap closes at depth 1 (the real
    mesh never closes fully). `head_motion`: {"yaw_deg", "pitch_deg", "roll_deg", "translate_px",
    "scale", "period_s"} amplitudes of a smooth motion.
    """
    rng = np.random.default_rng(seed)
    blinks = list(blinks or [])
    coupling_mm = {"right": 0.0, "left": 0.0, **(coupling_mm or {})}
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    if frame_time_jitter_s:
        t = np.sort(t + rng.uniform(-frame_time_jitter_s, frame_time_jitter_s, n))
    face = base_face().astype(np.float64)
    mm_per_px = base_mm_per_px(face)
    closure = {s: np.zeros(n) for s in SIDES}
    for b in blinks:
        profile = blink_profile(t, b)
        for side in SIDES:
            if b.eye in ("both", side):
                closure[side] = np.maximum(closure[side], profile)

    points = np.broadcast_to(face, (n, *face.shape)).copy()
    across = face[IRIS_CENTRE["left"], :2] - face[IRIS_CENTRE["right"], :2]
    across /= np.linalg.norm(across)
    up = np.array([across[1], -across[0]])
    mouth_mm = {}
    for side in SIDES:
        upper, lower = np.array(UPPER_LID[side]), np.array(LOWER_LID[side])
        gap = face[lower] - face[upper]  # (7, 3)
        points[:, upper] += closure[side][:, None, None] * lid_closed_fraction * gap[None]
        outward = across if side == "left" else -across
        direction = (up + outward) / np.linalg.norm(up + outward)
        mouth_mm[side] = coupling_mm[side] * closure[side]
        shift_px = mouth_mm[side][:, None] / mm_per_px * direction[None, :]
        points[:, COMMISSURE[side], :2] += shift_px

    if head_motion:
        period = head_motion.get("period_s", 4.0)
        phase = 2 * np.pi * t / period
        yaw = np.radians(head_motion.get("yaw_deg", 0.0)) * np.sin(phase)
        pitch = np.radians(head_motion.get("pitch_deg", 0.0)) * np.sin(0.7 * phase + 1.0)
        roll = np.radians(head_motion.get("roll_deg", 0.0)) * np.sin(1.3 * phase + 2.0)
        scale = 1.0 + head_motion.get("scale", 0.0) * np.sin(0.5 * phase)
        shift = (head_motion.get("translate_px", 0.0)
                 * np.stack([np.sin(0.9 * phase), np.cos(1.1 * phase), 0 * phase], -1))
        centre = face.mean(axis=0)
        rot = _rotation(yaw, pitch, roll)
        points = scale[:, None, None] * np.einsum("tij,tnj->tni", rot, points - centre) + centre + shift[:, None, :]

    if jitter_px:
        points += rng.normal(0.0, jitter_px, points.shape)
    return SimTrack(t, points.astype(dtype), closure, mouth_mm, mm_per_px, blinks)


def regular_blinks(duration_s: float, interval_s: float = 3.0, start_s: float = 1.5, **kw) -> list[SimBlink]:
    return [SimBlink(apex_s=float(a), **kw) for a in np.arange(start_s, duration_s - 1.0, interval_s)]
