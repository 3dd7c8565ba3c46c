"""Synkinesis grades from measurement: a Sunnybrook-style grade 0-3 for each of the five voluntary
movements, their sum, and eFACE-style synkinesis items 0-100, each beside the measured quantity it
comes from. They support a clinician's grading; they do not replace it.

Pure: the use case (`usecases.grades`) hands in what a session measured; the bands live in
`core.params` with their sources, and docs/grades.md tables them.

Per movement, the involuntary movement the Sunnybrook grade is about:

- brow lift and pucker: how much the affected eye narrowed against its rest (%); a healthy eye does
  not narrow in a brow lift and narrows ~2 % in a pucker, so its own narrowing is the synkinesis;
- smile and snarl: how much more the affected eye narrowed than the other eye (percentage points of
  the rest fissure); a healthy eye narrows ~20 % in a big smile and with the cheek in a snarl, and the
  other eye is the person's own measure of that;
- gentle eye closure: how far the affected mouth corner moved during the held closures (mm).

A task that was not seen (its check failed, or it was not recorded) gets no grade, never 0; a task
seen but not measurable (no rest to compare with, no closure measured) gets none either. The sum
0-15 is given only when all five are graded.

eFACE (Banks et al., Plast Reconstr Surg 2015;136:223e) scores each synkinesis item on a 0-100 scale
where 100 is no synkinesis and 0 the most severe. Here: ocular = the eFACE-style ocular score already
measured (`core.oral_ocular.ocular_synkinesis_score`: the affected eye's remaining fissure against
the healthy eye's in pucker and smile), midfacial = 100 at the healthy floor of mouth-corner movement
during eye closure falling linearly to 0 at `eface_midfacial_zero_mm`, mentalis = not measured (the
face mesh's chin points follow the jaw's outline; see docs/grades.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from synkimeter.core.anatomy import SIDES
from synkimeter.core.oral_ocular import Narrowing, ocular_synkinesis_score
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams

# Sunnybrook's order.
MOVEMENTS = ("brow_lift", "gentle_closure", "smile", "snarl", "pucker")
# The eye's own narrowing (healthy eyes do not narrow) or its narrowing beyond the other eye's.
OWN_NARROWING = ("brow_lift", "pucker")
BEYOND_OTHER = ("smile", "snarl")
CLOSURE = "gentle_closure"
EFACE_ITEMS = ("ocular", "midfacial", "mentalis")
LABEL = "from measurement, to support a clinician's grading"
GRADE_WORDS = ("none", "mild", "moderate", "severe")
# Digits shown (and graded): narrowing in % to 0.1, movement in mm to 0.01.
PCT_DIGITS, MM_DIGITS = 1, 2
_Z95 = 1.959964
_NAN = float("nan")


@dataclass(frozen=True)
class MovementGrade:
    movement: str  # "brow_lift" | "gentle_closure" | "smile" | "snarl" | "pucker" (Sunnybrook order)
    quantity: str  # plain words for the measured quantity, e.g. "eye narrowing, affected side"
    value: float  # the measured value (NaN when not seen / not measurable)
    ci95: tuple[float, float]
    unit: str  # "%" or "mm"
    grade: int | None  # Sunnybrook synkinesis 0-3; None when the task was not seen or not measurable
    side: str | None = None  # the subject's side the value is of
    seen: bool = False  # the task was recorded and its check found it done

    @property
    def status(self) -> str:
        """'graded', 'not seen' or 'not measured'."""
        if self.grade is not None:
            return "graded"
        return "not measured" if self.seen else "not seen"


@dataclass(frozen=True)
class SynkinesisGrades:
    movements: tuple[MovementGrade, ...]  # the five, in Sunnybrook order
    sunnybrook_sum: int | None  # 0-15 only when all five are graded, else None
    graded: int  # how many of the five have a grade
    eface: Mapping[str, float | None]  # "ocular", "midfacial", "mentalis": 0-100, 100 = none (None: not measurable)
    label: str = LABEL
    eface_ci95: Mapping[str, tuple[float, float] | None] = field(default_factory=dict)

    def movement(self, key: str) -> MovementGrade:
        return next(m for m in self.movements if m.movement == key)


def band_grade(value: float, mild: float, moderate: float, severe: float, digits: int) -> int | None:
    """0-3 from a value and its three band edges (each edge belongs to the higher grade); None for NaN.
    The value is taken as shown (rounded to `digits`), so a grade always agrees with its number."""
    if value is None or not math.isfinite(value):
        return None
    return int(np.searchsorted(np.array([mild, moderate, severe]), round(float(value), digits), side="right"))


def narrowing_grade(pct: float, params: MeasurementParams = DEFAULT_MEASUREMENT) -> int | None:
    return band_grade(pct, params.grade_narrowing_mild_pct, params.grade_narrowing_moderate_pct,
                      params.grade_narrowing_severe_pct, PCT_DIGITS)


def closure_grade(mm: float, params: MeasurementParams = DEFAULT_MEASUREMENT) -> int | None:
    return band_grade(mm, params.healthy_floor_mm, params.moderate_mm, params.severe_mm, MM_DIGITS)


def _side_words(side: str, affected_side: str | None) -> str:
    return f"{side} side (affected)" if affected_side in SIDES else f"{side} side (the side that moved more)"


def _not_graded(movement: str, quantity: str, unit: str, seen: bool) -> MovementGrade:
    return MovementGrade(movement, quantity, _NAN, (_NAN, _NAN), unit, None, None, seen)


def _finite(n: Narrowing | None) -> bool:
    return n is not None and math.isfinite(n.pct)


def eye_narrowing_grade(movement: str, by_side: Mapping[str, Narrowing] | None, affected_side: str | None,
                        seen: bool, params: MeasurementParams = DEFAULT_MEASUREMENT) -> MovementGrade:
    """The grade of a brow lift, smile, snarl or pucker from each eye's narrowing against its rest."""
    beyond = movement in BEYOND_OTHER
    quantity = "eye narrowing beyond the other eye" if beyond else "eye narrowing"
    by_side = by_side or {}
    if not seen or not all(_finite(by_side.get(s)) for s in SIDES):
        return _not_graded(movement, quantity, "%", seen)

    def measured(side: str) -> tuple[float, float]:
        own = by_side[side]
        if not beyond:
            return own.pct, own.se_pct
        other = by_side["left" if side == "right" else "right"]
        return own.pct - other.pct, float(np.hypot(np.nan_to_num(own.se_pct), np.nan_to_num(other.se_pct)))

    side = affected_side if affected_side in SIDES else max(SIDES, key=lambda s: measured(s)[0])
    value, se = measured(side)
    ci = (value - _Z95 * se, value + _Z95 * se) if math.isfinite(se) else (_NAN, _NAN)
    return MovementGrade(movement, f"{quantity}, {_side_words(side, affected_side)}", float(value), ci, "%",
                         narrowing_grade(value, params), side, True)


def closure_movement_grade(closure: Mapping | None, affected_side: str | None, seen: bool,
                           params: MeasurementParams = DEFAULT_MEASUREMENT) -> MovementGrade:
    """The grade of gentle eye closure from the mouth corners' movement during the held closures:
    `closure` is a clip document's `closure_ocular_oral` ({side: {"median_mm", "ci95_mm", "n"} or None})."""
    quantity = "mouth-corner movement during eye closure"

    def mm(side: str) -> float:
        item = (closure or {}).get(side) or {}
        value = item.get("median_mm") if isinstance(item, Mapping) else None
        return float(value) if value is not None and math.isfinite(float(value)) else _NAN

    values = {s: mm(s) for s in SIDES}
    side = affected_side if affected_side in SIDES else max(SIDES, key=lambda s: np.nan_to_num(values[s], nan=-1.0))
    if not seen or not math.isfinite(values[side]):
        return _not_graded(CLOSURE, quantity, "mm", seen)
    raw_ci = ((closure or {}).get(side) or {}).get("ci95_mm") or (None, None)
    ci = tuple(float(x) if x is not None else _NAN for x in raw_ci[:2])
    return MovementGrade(CLOSURE, f"{quantity}, {_side_words(side, affected_side)}", values[side],
                         (ci[0], ci[1]) if len(ci) == 2 else (_NAN, _NAN), "mm", closure_grade(values[side], params),
                         side, True)


def midfacial_item(mm: float, params: MeasurementParams = DEFAULT_MEASUREMENT) -> float | None:
    """eFACE-style midfacial synkinesis (100 = none) from mouth-corner movement during eye closure."""
    if mm is None or not math.isfinite(mm):
        return None
    floor, zero = params.healthy_floor_mm, params.eface_midfacial_zero_mm
    return float(np.clip(100.0 * (1.0 - (mm - floor) / (zero - floor)), 0.0, 100.0))


def synkinesis_grades(narrowings: Mapping[str, Mapping[str, Narrowing]], closure: Mapping | None,
                      seen: Mapping[str, bool], affected_side: str | None = None,
                      params: MeasurementParams = DEFAULT_MEASUREMENT) -> SynkinesisGrades:
    """The five grades, their sum and the eFACE-style items from a session's measurements.

    `narrowings`: {movement: {side: Narrowing}} for brow_lift, smile, snarl and pucker (each eye's
    narrowing against the session's rest); `closure`: the gentle-closure clip's `closure_ocular_oral`
    (None when it has none); `seen`: {movement: whether the task was recorded and seen done}.
    """
    movements = []
    for movement in MOVEMENTS:
        was_seen = bool(seen.get(movement, False))
        if movement == CLOSURE:
            movements.append(closure_movement_grade(closure, affected_side, was_seen, params))
        else:
            movements.append(eye_narrowing_grade(movement, narrowings.get(movement), affected_side, was_seen, params))
    grades = [m.grade for m in movements if m.grade is not None]
    total = int(sum(grades)) if len(grades) == len(MOVEMENTS) else None

    # eFACE-style ocular item: the measured score, from the seen smile and pucker only.
    ocular_tasks = {k: dict(v) for k, v in narrowings.items() if k in ("smile", "pucker") and seen.get(k)
                    and all(_finite(v.get(s)) for s in SIDES)}
    score = ocular_synkinesis_score(ocular_tasks, affected_side, params) if ocular_tasks else None
    ocular = score.score if score is not None and math.isfinite(score.score) else None
    closure_grade_ = movements[MOVEMENTS.index(CLOSURE)]
    midfacial = midfacial_item(closure_grade_.value, params) if closure_grade_.grade is not None else None
    midfacial_ci = None
    if midfacial is not None and all(math.isfinite(x) for x in closure_grade_.ci95):
        ends = sorted(midfacial_item(x, params) or 0.0 for x in closure_grade_.ci95)
        midfacial_ci = (ends[0], ends[1])
    eface = {"ocular": ocular, "midfacial": midfacial, "mentalis": None}
    eface_ci = {"ocular": score.ci95 if ocular is not None and score is not None else None,
                "midfacial": midfacial_ci, "mentalis": None}
    return SynkinesisGrades(tuple(movements), total, len(grades), eface, LABEL, eface_ci)


__all__ = ["MOVEMENTS", "EFACE_ITEMS", "LABEL", "GRADE_WORDS", "PCT_DIGITS", "MM_DIGITS", "MovementGrade",
           "SynkinesisGrades", "band_grade", "narrowing_grade", "closure_grade", "eye_narrowing_grade",
           "closure_movement_grade", "midfacial_item", "synkinesis_grades"]
