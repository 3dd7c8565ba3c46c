"""Synkinesis grades from measurement (Sunnybrook's five movements, eFACE-style items).

The shape only: the grading itself (thresholds and their sources) comes with the grades work of issue 27.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class MovementGrade:
    movement: str        # "brow_lift" | "gentle_closure" | "smile" | "snarl" | "pucker" (Sunnybrook order)
    quantity: str        # plain words for the measured quantity
    value: float         # NaN when not seen / not measurable
    ci95: tuple[float, float]
    unit: str            # "%" or "mm"
    grade: int | None    # 0-3; None when not seen


@dataclass(frozen=True)
class SynkinesisGrades:
    movements: tuple[MovementGrade, ...]
    sunnybrook_sum: int | None
    graded: int
    eface: Mapping[str, float | None]   # "ocular", "midfacial", "mentalis" 0-100
    label: str = "from measurement, to support a clinician's grading"
