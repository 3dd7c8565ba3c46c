"""What a synthetic clip contains: blink schedule, coupling, head motion, face-absent stretches.

A `ClipSpec` plus its seed fully determines the truth (`ClipSpec.truth()`); the renderer only reads
the truth, so what is written to NAME.truth.json is exactly what was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synkimeter_dev.synth.face import FPS, HEIGHT, WIDTH

SCHEMA_VERSION = 1

# Blink time course (seconds): closing, hold at the apex, opening. Closing is faster than opening.
CLOSE_S = (0.08, 0.11)
HOLD_S = (0.01, 0.04)
OPEN_S = (0.15, 0.23)
# Gap between blink onsets and the quiet margin at the clip's start and end.
INTERVAL_S = (2.0, 2.6)
FIRST_ONSET_S = (1.5, 2.0)
END_MARGIN_S = 1.0
# No blink starts this long before a face-absent stretch or this long after it.
ABSENT_MARGIN_S = (0.8, 1.2)
PARTIAL_DEPTH = (0.4, 0.6)


@dataclass(frozen=True)
class ClipSpec:
    name: str
    seed: int
    duration_s: float = 22.0
    coupling_mm: dict[str, float] = field(default_factory=lambda: {"right": 0.0, "left": 0.0})
    # Fraction of blinks that are partial (depth drawn from PARTIAL_DEPTH).
    partial_fraction: float = 0.0
    # Eye pattern: counts of one-sided blinks; the rest of the schedule are both-eye blinks.
    right_winks: int = 0
    left_winks: int = 0
    head_motion: dict[str, float] | None = None
    face_absent: tuple[tuple[float, float], ...] = ()
    description: str = ""
    # Fixed blink onsets (seconds) instead of the seeded every-2-2.6-s schedule (short test clips).
    onsets_s: tuple[float, ...] = ()

    @property
    def frames(self) -> int:
        return int(round(self.duration_s * FPS))

    def truth(self) -> dict:
        rng = np.random.default_rng(self.seed)
        onsets = []
        t = float(rng.uniform(*FIRST_ONSET_S))
        while t < self.duration_s - END_MARGIN_S - 0.4:
            near_absent = any(
                a - ABSENT_MARGIN_S[0] < t < b + ABSENT_MARGIN_S[1] for a, b in self.face_absent
            )
            if not near_absent:
                onsets.append(t)
            t += float(rng.uniform(*INTERVAL_S))
        if self.onsets_s:
            onsets = [float(x) for x in self.onsets_s]
        n = len(onsets)
        eyes = ["right"] * self.right_winks + ["left"] * self.left_winks
        if len(eyes) > n:
            raise ValueError(f"{self.name}: {len(eyes)} winks but only {n} blinks fit")
        eyes += ["both"] * (n - len(eyes))
        eyes = [eyes[i] for i in rng.permutation(n)]
        partial = np.zeros(n, dtype=bool)
        partial[rng.permutation(n)[: int(round(self.partial_fraction * n))]] = True
        blinks = []
        for onset, eye, part in zip(onsets, eyes, partial):
            close = float(rng.uniform(*CLOSE_S))
            hold = float(rng.uniform(*HOLD_S))
            opening = float(rng.uniform(*OPEN_S))
            d = float(rng.uniform(*PARTIAL_DEPTH)) if part else 1.0
            depth = {
                "right": d if eye in ("both", "right") else 0.0,
                "left": d if eye in ("both", "left") else 0.0,
            }
            blinks.append(
                {
                    "eye": eye,
                    "onset_s": round(onset, 4),
                    # apex = middle of the short hold at full closure
                    "apex_s": round(onset + close + hold / 2, 4),
                    "offset_s": round(onset + close + hold + opening, 4),
                    "close_s": round(close, 4),
                    "open_s": round(opening, 4),
                    "depth": {k: round(v, 3) for k, v in depth.items()},
                }
            )
        from synkimeter_dev.synth.face import COUPLING_ANGLE_DEG, mm_per_px_from, rest_landmarks

        coupled = {k: v for k, v in self.coupling_mm.items() if v > 0}
        affected = max(coupled, key=coupled.get) if coupled else None
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "seed": self.seed,
            "fps": FPS,
            "width": WIDTH,
            "height": HEIGHT,
            "frames": self.frames,
            "duration_s": round(self.frames / FPS, 4),
            "mm_per_px": round(mm_per_px_from(rest_landmarks()), 5),
            "coupling_mm": {s: float(self.coupling_mm.get(s, 0.0)) for s in ("right", "left")},
            "coupling_direction_deg": COUPLING_ANGLE_DEG,
            "affected_side": affected,
            "blinks": blinks,
            "head_motion": dict(self.head_motion) if self.head_motion else None,
            "face_absent": [[float(a), float(b)] for a, b in self.face_absent],
            "description": self.description,
        }


def blink_closure(truth: dict, t: np.ndarray) -> dict[str, np.ndarray]:
    """Per-eye closure c(t) in [0, 1] at times t (seconds) from the truth's blinks.

    Closing and opening are half-cosine ramps (smooth at both ends), with a flat hold between.
    """
    t = np.asarray(t, dtype=np.float64)
    out = {"right": np.zeros_like(t), "left": np.zeros_like(t)}
    for b in truth["blinks"]:
        onset, close, opening, offset = b["onset_s"], b["close_s"], b["open_s"], b["offset_s"]
        shape = np.zeros_like(t)
        rising = (t >= onset) & (t < onset + close)
        shape[rising] = 0.5 - 0.5 * np.cos(np.pi * (t[rising] - onset) / close)
        shape[(t >= onset + close) & (t <= offset - opening)] = 1.0
        falling = (t > offset - opening) & (t < offset)
        shape[falling] = 0.5 + 0.5 * np.cos(np.pi * (t[falling] - (offset - opening)) / opening)
        for side in out:
            out[side] = np.maximum(out[side], b["depth"][side] * shape)
    return out


def head_pose(truth: dict, t: float) -> tuple[float, float, float, float]:
    """(roll_deg, scale, tx, ty) at time t. Smooth sines with a shared period, different phases."""
    hm = truth.get("head_motion")
    if not hm:
        return 0.0, 1.0, 0.0, 0.0
    w = 2.0 * np.pi / hm["period_s"]
    roll = hm["roll_deg"] * np.sin(w * t)
    scale = 1.0 + hm["scale"] * np.sin(w * t + 1.0)
    tx = hm["translate_px"] * np.sin(w * t + 2.0)
    ty = 0.6 * hm["translate_px"] * np.sin(2.0 * w * t + 0.5)
    return float(roll), float(scale), float(tx), float(ty)


def absent_at(truth: dict, t: float) -> bool:
    return any(a <= t < b for a, b in truth["face_absent"])
