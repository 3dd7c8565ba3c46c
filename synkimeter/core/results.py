"""A clip's result as typed, frozen objects, and their one JSON form.

The core measures (`core.analysis`); these objects carry what it found, per subject's side, with raw
floats (NaN where nothing could be measured). `ClipResult.to_json()` is the result document that
`analyze --json`, the store and the reports read: the NaN rule (NaN and inf become null) and the
rounding live here and nowhere else (`number`, `jsonable`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA_VERSION = 1
# Severity when too few blinks could be scored to grade at all.
UNDETERMINED = "undetermined"
# Digits kept in the document: 1e-4 mm is far below any landmark's precision.
DIGITS = 4


def number(x: Any, digits: int = DIGITS) -> float | None:
    """One number for the document: None for NaN/inf (strict JSON), else rounded."""
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if np.isfinite(x) else None


def finite(x: Any) -> float | None:
    """A number kept as it is, or None for NaN/inf (database columns)."""
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def jsonable(value: Any) -> Any:
    """A copy with NaN/inf as null and numpy scalars and arrays as plain numbers and lists."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value


def _pair(values: tuple[float, float], digits: int = DIGITS) -> list[float | None]:
    return [number(values[0], digits), number(values[1], digits)]


def _sides(values: Mapping[str, float], digits: int = DIGITS) -> dict[str, float | None]:
    return {side: number(values[side], digits) for side in ("left", "right")}


@dataclass(frozen=True)
class BlinkEvent:
    """One blink (or long eye closure) and what each mouth corner did during it."""

    eye: str  # "both", "right" or "left": which eyes closed
    onset_s: float
    lid_start_s: float
    apex_s: float
    offset_s: float
    duration_s: float
    closure: Mapping[str, float]  # peak closure 0-1 per eye
    complete: bool
    mouth_mm: Mapping[str, float]  # each mouth corner's peak movement
    mouth_up_mm: Mapping[str, float]
    mouth_out_mm: Mapping[str, float]
    mouth_latency_s: Mapping[str, float]
    scored: bool
    reason: str | None  # why it was not scored

    def to_json(self) -> dict[str, Any]:
        return {
            "eye": self.eye, "onset_s": number(self.onset_s), "lid_start_s": number(self.lid_start_s),
            "apex_s": number(self.apex_s), "offset_s": number(self.offset_s), "duration_s": number(self.duration_s),
            "closure": _sides(self.closure), "complete": bool(self.complete), "mouth_mm": _sides(self.mouth_mm),
            "mouth_up_mm": _sides(self.mouth_up_mm), "mouth_out_mm": _sides(self.mouth_out_mm),
            "mouth_latency_s": _sides(self.mouth_latency_s), "scored": bool(self.scored), "reason": self.reason,
        }


@dataclass(frozen=True)
class SideCoupling:
    """Mouth-corner movement during blinks on one side of the subject's face."""

    average_peak_mm: float  # the headline: peak of the blink-triggered average
    average_ci95_mm: tuple[float, float]
    median_mm: float  # median of each blink's own peak
    ci95_mm: tuple[float, float]
    coupled_fraction: float  # blinks whose peak passed the coupled threshold (NaN: none scored)
    n: int  # blinks scored for this side
    correlation: float  # eye closure against mouth movement
    latency_s: float

    def to_json(self) -> dict[str, Any]:
        return {"median_mm": number(self.median_mm), "ci95_mm": _pair(self.ci95_mm),
                "coupled_fraction": number(self.coupled_fraction), "n": int(self.n),
                "correlation": number(self.correlation), "latency_s": number(self.latency_s),
                "average_peak_mm": number(self.average_peak_mm), "average_ci95_mm": _pair(self.average_ci95_mm)}


@dataclass(frozen=True)
class OcularOral:
    """Ocular-oral synkinesis (the mouth corner moving with blinks) of a clip, with its verdict."""

    right: SideCoupling
    left: SideCoupling
    asymmetry_mm: float  # right minus left blink-averaged movement
    affected_side: str | None
    severity: str  # none, mild, moderate, severe or undetermined
    # The blink-triggered average itself: time_s and per side its curves (arrays), peak and n.
    blink_triggered_average: Mapping[str, Any] = field(default_factory=dict)

    def side(self, name: str) -> SideCoupling:
        return self.right if name == "right" else self.left

    def to_json(self) -> dict[str, Any]:
        return {"left": self.left.to_json(), "right": self.right.to_json(), "asymmetry_mm": number(self.asymmetry_mm),
                "affected_side": self.affected_side, "severity": self.severity,
                "blink_triggered_average": jsonable(self.blink_triggered_average)}


@dataclass(frozen=True)
class ClosureCoupling:
    """Mouth-corner movement on one side while the eyes are held closed (core.closure): the median
    over the clip's held closures of each one's movement against the rest just before it."""

    median_mm: float
    ci95_mm: tuple[float, float]
    n: int  # held closures counted

    def to_json(self) -> dict[str, Any]:
        return {"median_mm": number(self.median_mm), "ci95_mm": _pair(self.ci95_mm), "n": int(self.n)}


@dataclass(frozen=True)
class ClosureOcularOral:
    """Ocular-oral synkinesis of held eye closures, per subject's side (None: no closure of that
    side's eye could be read)."""

    right: ClosureCoupling | None = None
    left: ClosureCoupling | None = None

    def side(self, name: str) -> ClosureCoupling | None:
        return self.right if name == "right" else self.left

    def to_json(self) -> dict[str, Any]:
        return {"right": self.right.to_json() if self.right else None,
                "left": self.left.to_json() if self.left else None}


@dataclass(frozen=True)
class HeadPose:
    max_abs_yaw_deg: float
    max_abs_pitch_deg: float
    frames_out_of_range: int

    def to_json(self) -> dict[str, Any]:
        return {"max_abs_yaw_deg": number(self.max_abs_yaw_deg), "max_abs_pitch_deg": number(self.max_abs_pitch_deg),
                "frames_out_of_range": int(self.frames_out_of_range)}


@dataclass(frozen=True)
class BlinkCounts:
    both: int
    right_only: int
    left_only: int
    right_eye: int
    left_eye: int
    scored: int

    @property
    def total(self) -> int:
        return self.both + self.right_only + self.left_only

    def to_json(self) -> dict[str, int]:
        return {"both": self.both, "right_only": self.right_only, "left_only": self.left_only,
                "right_eye": self.right_eye, "left_eye": self.left_eye, "scored": self.scored}


@dataclass(frozen=True)
class ClipResult:
    """Everything measured on one clip that a person reads: the clip, its scale, its blinks and the
    ocular-oral verdict; a video's own facts (source, size) and the expressions found in it are added
    by the use case that read the video (`usecases.analyze`)."""

    fps: float
    duration_s: float
    frames: int
    face_frames: int
    mm_per_px: float
    mm_per_px_uncertainty: float
    iris_px: float
    head_pose: HeadPose
    blink_counts: BlinkCounts
    implausible_frames: int
    blinks: tuple[BlinkEvent, ...]
    eye_closures: tuple[BlinkEvent, ...]
    ocular_oral: OcularOral
    params: Mapping[str, Any]  # the measurement parameters used
    warnings: tuple[str, ...] = ()
    # Mouth-corner movement during held eye closures (gentle or forceful eye-closure tasks).
    closure_ocular_oral: ClosureOcularOral = field(default_factory=ClosureOcularOral)
    # The video's own facts (empty for landmarks measured live).
    source: str | None = None
    container_fps: float | None = None
    width: int = 0
    height: int = 0
    truncated: bool = False
    optical_flow_points: tuple[int, ...] = ()
    multi_face_frames: int = 0
    # Expressions found in the clip and the eye narrowing in them (JSON-ready documents from
    # `core.expression_oral_ocular`); None where they were not looked for (the live view).
    expressions: tuple[Mapping[str, Any], ...] | None = None
    oral_ocular: Mapping[str, Any] | None = None
    # How a guided recording was set up (usecases.setup_check), when it was.
    setup: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION, "fps": number(self.fps), "duration_s": number(self.duration_s),
            "frames": int(self.frames), "face_frames": int(self.face_frames), "mm_per_px": number(self.mm_per_px),
            "mm_per_px_uncertainty": number(self.mm_per_px_uncertainty), "iris_px": number(self.iris_px),
            "head_pose": self.head_pose.to_json(), "blink_counts": self.blink_counts.to_json(),
            "implausible_frames": int(self.implausible_frames),
            "blinks": [b.to_json() for b in self.blinks], "eye_closures": [b.to_json() for b in self.eye_closures],
            "ocular_oral": self.ocular_oral.to_json(),
            "closure_ocular_oral": self.closure_ocular_oral.to_json(), "params": jsonable(self.params),
            "warnings": list(self.warnings),
        }
        if self.source is not None:
            doc["source"] = self.source
            if self.container_fps is not None:
                doc["container_fps"] = float(self.container_fps)
            doc.update({"width": int(self.width), "height": int(self.height), "truncated": bool(self.truncated),
                        "optical_flow_points": [int(i) for i in self.optical_flow_points],
                        "multi_face_frames": int(self.multi_face_frames)})
        if self.expressions is not None:
            doc["expressions"] = jsonable(list(self.expressions))
        if self.oral_ocular is not None:
            doc["oral_ocular"] = jsonable(self.oral_ocular)
        if self.setup is not None:
            doc["setup"] = jsonable(self.setup)
        return doc


__all__ = ["DIGITS", "SCHEMA_VERSION", "UNDETERMINED", "BlinkCounts", "BlinkEvent", "ClipResult", "ClosureCoupling",
           "ClosureOcularOral", "HeadPose", "OcularOral", "SideCoupling", "finite", "jsonable", "number"]
