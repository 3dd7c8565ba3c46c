"""A clip's result as typed, frozen objects, and their one JSON form.

The core measures (`core.analysis`); these objects carry what it found, per subject's side, with raw
floats (NaN where nothing could be measured). `ClipResult.to_json()` is the result document that
`analyze --json`, the store and the reports read: the NaN rule (NaN and inf become null) and the
rounding live here and nowhere else (`number`, `jsonable`). `ClipResult.from_json()` reads a document
back (the report reads stored results this way): a key an older document lacks becomes NaN, 0 or
empty, and keys the objects do not model (the store's task, picture size, fissure levels) are kept in
`extra`, so a stored document reads back and writes out unchanged.
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


def _float(doc: Mapping[str, Any], key: str) -> float:
    """A number read back from a document: NaN for null or a key an older document lacks."""
    value = doc.get(key)
    try:
        return float("nan") if value is None else float(value)
    except (TypeError, ValueError):
        return float("nan")


def _int(doc: Mapping[str, Any], key: str) -> int:
    value = doc.get(key)
    try:
        return 0 if value is None else int(value)
    except (TypeError, ValueError):
        return 0


def _dict(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _read_pair(doc: Mapping[str, Any], key: str) -> tuple[float, float]:
    value = doc.get(key)
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return (float("nan"), float("nan"))
    return (_float({"v": value[0]}, "v"), _float({"v": value[1]}, "v"))


def _read_sides(doc: Mapping[str, Any], key: str) -> dict[str, float]:
    values = _dict(doc, key)
    return {side: _float(values, side) for side in ("left", "right")}


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

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> BlinkEvent:
        return cls(eye=str(doc.get("eye") or "both"), onset_s=_float(doc, "onset_s"),
                   lid_start_s=_float(doc, "lid_start_s"), apex_s=_float(doc, "apex_s"),
                   offset_s=_float(doc, "offset_s"), duration_s=_float(doc, "duration_s"),
                   closure=_read_sides(doc, "closure"), complete=bool(doc.get("complete")),
                   mouth_mm=_read_sides(doc, "mouth_mm"), mouth_up_mm=_read_sides(doc, "mouth_up_mm"),
                   mouth_out_mm=_read_sides(doc, "mouth_out_mm"), mouth_latency_s=_read_sides(doc, "mouth_latency_s"),
                   scored=bool(doc.get("scored")), reason=doc.get("reason"))


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

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> SideCoupling:
        return cls(average_peak_mm=_float(doc, "average_peak_mm"), average_ci95_mm=_read_pair(doc, "average_ci95_mm"),
                   median_mm=_float(doc, "median_mm"), ci95_mm=_read_pair(doc, "ci95_mm"),
                   coupled_fraction=_float(doc, "coupled_fraction"), n=_int(doc, "n"),
                   correlation=_float(doc, "correlation"), latency_s=_float(doc, "latency_s"))


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

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> OcularOral:
        return cls(right=SideCoupling.from_json(_dict(doc, "right")), left=SideCoupling.from_json(_dict(doc, "left")),
                   asymmetry_mm=_float(doc, "asymmetry_mm"), affected_side=doc.get("affected_side"),
                   severity=str(doc.get("severity") or UNDETERMINED),
                   blink_triggered_average=dict(_dict(doc, "blink_triggered_average")))


@dataclass(frozen=True)
class ClosureCoupling:
    """Mouth-corner movement on one side while the eyes are held closed (core.closure): the median
    over the clip's held closures of each one's movement against the rest just before it."""

    median_mm: float
    ci95_mm: tuple[float, float]
    n: int  # held closures counted

    def to_json(self) -> dict[str, Any]:
        return {"median_mm": number(self.median_mm), "ci95_mm": _pair(self.ci95_mm), "n": int(self.n)}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None) -> ClosureCoupling | None:
        if not isinstance(doc, Mapping):
            return None
        return cls(_float(doc, "median_mm"), _read_pair(doc, "ci95_mm"), _int(doc, "n"))


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

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ClosureOcularOral:
        return cls(ClosureCoupling.from_json(doc.get("right")), ClosureCoupling.from_json(doc.get("left")))


@dataclass(frozen=True)
class HeadPose:
    max_abs_yaw_deg: float
    max_abs_pitch_deg: float
    frames_out_of_range: int

    def to_json(self) -> dict[str, Any]:
        return {"max_abs_yaw_deg": number(self.max_abs_yaw_deg), "max_abs_pitch_deg": number(self.max_abs_pitch_deg),
                "frames_out_of_range": int(self.frames_out_of_range)}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> HeadPose:
        return cls(_float(doc, "max_abs_yaw_deg"), _float(doc, "max_abs_pitch_deg"), _int(doc, "frames_out_of_range"))


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

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> BlinkCounts:
        return cls(*(_int(doc, key) for key in ("both", "right_only", "left_only", "right_eye", "left_eye", "scored")))


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
    # Keys of a read-back document that these objects do not model, written back as they were: the
    # store's `task`, `video` (picture size), `fissure_levels`, a guided clip's `dropped_frames`.
    extra: Mapping[str, Any] = field(default_factory=dict)

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
        doc.update({key: jsonable(value) for key, value in self.extra.items() if key not in doc})
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ClipResult:
        """The result a document (`to_json`, `analyze --json`, a stored result) describes; tolerant of
        older documents (a missing number reads NaN, a missing count 0, a missing list empty)."""
        has_source = doc.get("source") is not None
        expressions, oral_ocular, setup = doc.get("expressions"), doc.get("oral_ocular"), doc.get("setup")
        return cls(
            fps=_float(doc, "fps"), duration_s=_float(doc, "duration_s"), frames=_int(doc, "frames"),
            face_frames=_int(doc, "face_frames"), mm_per_px=_float(doc, "mm_per_px"),
            mm_per_px_uncertainty=_float(doc, "mm_per_px_uncertainty"), iris_px=_float(doc, "iris_px"),
            head_pose=HeadPose.from_json(_dict(doc, "head_pose")),
            blink_counts=BlinkCounts.from_json(_dict(doc, "blink_counts")),
            implausible_frames=_int(doc, "implausible_frames"),
            blinks=tuple(BlinkEvent.from_json(b) for b in doc.get("blinks") or () if isinstance(b, Mapping)),
            eye_closures=tuple(BlinkEvent.from_json(b) for b in doc.get("eye_closures") or ()
                               if isinstance(b, Mapping)),
            ocular_oral=OcularOral.from_json(_dict(doc, "ocular_oral")), params=dict(_dict(doc, "params")),
            warnings=tuple(str(w) for w in doc.get("warnings") or ()),
            closure_ocular_oral=ClosureOcularOral.from_json(_dict(doc, "closure_ocular_oral")),
            source=str(doc["source"]) if has_source else None,
            container_fps=_float(doc, "container_fps") if doc.get("container_fps") is not None else None,
            width=_int(doc, "width"), height=_int(doc, "height"), truncated=bool(doc.get("truncated")),
            optical_flow_points=tuple(int(i) for i in doc.get("optical_flow_points") or ()),
            multi_face_frames=_int(doc, "multi_face_frames"),
            expressions=tuple(expressions) if isinstance(expressions, (list, tuple)) else None,
            oral_ocular=oral_ocular if isinstance(oral_ocular, Mapping) else None,
            setup=setup if isinstance(setup, Mapping) else None,
            extra={key: value for key, value in doc.items() if key not in _MODELLED},
        )

    @property
    def task(self) -> str | None:
        """The guided task the store filed the clip under (None for a result not from the store)."""
        task = self.extra.get("task")
        return str(task) if task is not None else None

    @property
    def picture_size(self) -> tuple[int, int] | None:
        """The video's width and height in pixels, where the document gives them."""
        if self.width and self.height:
            return (self.width, self.height)
        video = self.extra.get("video")
        if isinstance(video, Mapping) and video.get("width") and video.get("height"):
            return (int(video["width"]), int(video["height"]))
        return None

    @property
    def dropped_frames(self) -> int | None:
        """Camera frames a guided recording skipped (None for a file or an older document)."""
        dropped = self.extra.get("dropped_frames")
        return int(dropped) if dropped is not None else None


# The document keys `ClipResult` models; any other key is kept in `extra`.
_MODELLED = frozenset((
    "schema_version", "fps", "duration_s", "frames", "face_frames", "mm_per_px", "mm_per_px_uncertainty", "iris_px",
    "head_pose", "blink_counts", "implausible_frames", "blinks", "eye_closures", "ocular_oral", "params", "warnings",
    "source", "container_fps", "width", "height", "truncated", "optical_flow_points", "multi_face_frames",
    "expressions", "oral_ocular", "setup", "closure_ocular_oral"))


__all__ = ["DIGITS", "SCHEMA_VERSION", "UNDETERMINED", "BlinkCounts", "BlinkEvent", "ClipResult", "ClosureCoupling",
           "ClosureOcularOral", "HeadPose", "OcularOral", "SideCoupling", "finite", "jsonable", "number"]
